"""Presentations (用证) and their verification without the platform: formats, digests, trust and status lists.

Everything here is pure: no database, no network. The platform uses it to build and check
presentations; a verifier (another system, an app at a counter, another province) uses
:func:`verify_offline` with a downloaded trust list and status list.

Selective disclosure (``longgov-disclosure/1``)
-----------------------------------------------
A sealed licence (:mod:`longgov.licences.sealing`) is signed over all of its claims, so it cannot be
shown in part. Each licence version therefore gets, once, a *disclosure manifest*: for every
selectable claim (:data:`SELECTABLE` — holder name, ID type and number, licence number, issue date,
validity, and each type-specific ``data.<key>``) a random 128-bit salt is drawn and the digest

    ``digest(path) = SM3(JCS([salt, path, value]))``  (hex; ``value`` as in the claims, ``null`` allowed)

is recorded. The manifest body holds the digests together with the licence's public facts
(identifier, version, type, issuer, trust level) and ``documentSm3`` = SM3 of the sealed claims'
canonical bytes (what the seal signed), and it is signed with SM2-with-SM3 over ``JCS(body)``:

* ``attestedBy: "issuer"`` — by the issuing organisation's seal (licences issued on this platform);
* ``attestedBy: "platform"`` — by the platform key, for licences imported from another province: the
  platform checked the external issuer's seal on import but does not hold that issuer's private key.

The salts stay secret (SM4-encrypted at rest). A presentation reveals the values *and salts* of the
fields the holder chose; a verifier recomputes their digests and finds them in the signed manifest,
so the values provably come from that sealed licence version while the other fields stay hidden
(their digests reveal nothing without the salts). Salts are per version, not per presentation: the
identifier is always disclosed, so fresh salts would not make presentations unlinkable anyway.

Presentation (``longgov-presentation/1``)
-----------------------------------------
``{"format", "presentation": body, "proof": {"algorithm": "SM2-with-SM3", "canonicalization":
"JCS-RFC8785", "keyId", "signature"}}`` where the proof is the platform's signature over
``JCS(body)`` and ``body`` holds: ``id`` (128-bit random, unguessable), ``manifest`` (body and seal as
above), ``disclosed`` (path → value) and ``salts`` (path → salt) of the disclosed fields, ``purpose``,
``verifier`` (``{"uscc", "name"}`` or null), ``singleUse``, ``issuedAt``, ``expiresAt`` (UTC ISO 8601)
and ``nonce``. :data:`ALWAYS_DISCLOSED` fields are in every presentation.

Checks and codes
----------------
:func:`check_presentation` checks structure, the identifier (GB/T 36904 check character), the
platform proof, the manifest seal (key in the trust list, owned by the licence's issuer, valid at
the manifest's date), every disclosed digest, and the licence's validity dates; the caller adds
status (revocation/suspension), consent (withdrawal), verifier binding, expiry and replay. Each
failure is a :class:`~longgov.licences.sealing.Problem` with a code and a Chinese reason.

Seal keys rotate (:mod:`longgov.licences.rotation`): the trust list keeps a rotated key with its
``validFrom``/``validUntil`` (it attests manifests made while it was in force) and lists a key retired
as compromised under ``revokedKeys``; a manifest it signed answers ``seal_key_compromised``.

Offline limits: a verifier working offline learns of revocations only as of its status list (it
refuses one older than ``max_status_age``), cannot see a withdrawal by the holder or earlier uses of
a single-use presentation (the short expiry bounds both), and must pin the platform's public key
(obtained out of band, e.g. ``signing.pub.pem``), since the trust list is signed with it.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from longgov.licences.canonical import CanonicalisationError, canonical_json, parse_json_object
from longgov.licences.credentials import public_key_from_multibase, public_key_multibase
from longgov.licences.identifiers import licence_key
from longgov.licences.sealing import ALGORITHM, CANONICALIZATION, Problem, identifier_problem
from longgov.security.crypto import sm2_verify, sm3_hex

PRESENTATION_FORMAT: Final = "longgov-presentation/1"
DISCLOSURE_FORMAT: Final = "longgov-disclosure/1"
TRUST_LIST_FORMAT: Final = "longgov-trust-list/1"
STATUS_LIST_FORMAT: Final = "longgov-licence-status/1"
PLATFORM: Final = "platform"
SELECTABLE: Final = ("holder.name", "holder.idType", "holder.idNumber", "number", "issuedOn", "validFrom", "validUntil")
ALWAYS_DISCLOSED: Final = ("holder.name", "holder.idType", "number", "validFrom", "validUntil")
SALT_BYTES: Final = 16
CLOCK_SKEW: Final = timedelta(minutes=5)
MAX_STATUS_AGE: Final = timedelta(hours=24)
CHINA_TZ: Final = ZoneInfo("Asia/Shanghai")
_HOLDER_PARTS: Final = 2


# --- building (the platform) -------------------------------------------------------------------------


def selectable_values(claims: dict[str, Any]) -> dict[str, Any]:
    """Path → value of every claim a holder may disclose (``data.<key>`` for type-specific items)."""
    holder = claims.get("holder") or {}
    values: dict[str, Any] = {
        "holder.name": holder.get("name"),
        "holder.idType": holder.get("idType"),
        "holder.idNumber": holder.get("idNumber"),
        "number": claims.get("number"),
        "issuedOn": claims.get("issuedOn"),
        "validFrom": claims.get("validFrom"),
        "validUntil": claims.get("validUntil"),
    }
    for key, value in (claims.get("data") or {}).items():
        values[f"data.{key}"] = value
    return values


def field_digest(salt: str, path: str, value: Any) -> str:  # noqa: ANN401 - a JSON value
    """SM3 (hex) of ``JCS([salt, path, value])``."""
    return sm3_hex(canonical_json([salt, path, value]))


def new_salts(paths: list[str]) -> dict[str, str]:
    """A fresh 128-bit salt (hex) per path."""
    return {path: secrets.token_hex(SALT_BYTES) for path in paths}


def manifest_body(claims: dict[str, Any], salts: dict[str, str], *, document_sm3: str, created_at: datetime) -> dict[str, Any]:
    """The disclosure manifest of a licence version (what the issuer's seal or the platform signs)."""
    values = selectable_values(claims)
    issuer = claims["issuer"]
    return {
        "format": DISCLOSURE_FORMAT,
        "identifier": claims["identifier"],
        "version": claims["version"],
        "licenceType": {"code": claims["licenceType"]["code"], "name": claims["licenceType"]["name"]},
        "issuer": {"name": issuer["name"], "uscc": issuer["uscc"], "division": issuer.get("division")},
        "trustLevel": claims.get("trustLevel"),
        "documentSm3": document_sm3,
        "digests": {path: field_digest(salts[path], path, value) for path, value in values.items()},
        "createdAt": created_at.astimezone(UTC).isoformat(timespec="seconds"),
    }


def signature_block(key_id: str, signature: bytes, **extra: str) -> dict[str, Any]:
    """``{"algorithm", "canonicalization", "keyId", "signature", …}``."""
    return {"algorithm": ALGORITHM, "canonicalization": CANONICALIZATION, "keyId": key_id, **extra, "signature": base64.b64encode(signature).decode("ascii")}


def presentation_body(
    *,
    presentation_id: str,
    manifest: dict[str, Any],
    disclosed: dict[str, Any],
    salts: dict[str, str],
    purpose: str,
    verifier: dict[str, str | None] | None,
    single_use: bool,
    issued_at: datetime,
    expires_at: datetime,
) -> dict[str, Any]:
    """What the platform signs for a presentation (see the module docstring)."""
    return {
        "format": PRESENTATION_FORMAT,
        "id": presentation_id,
        "manifest": manifest,
        "disclosed": disclosed,
        "salts": salts,
        "purpose": purpose,
        "verifier": verifier,
        "singleUse": single_use,
        "issuedAt": issued_at.astimezone(UTC).isoformat(timespec="seconds"),
        "expiresAt": expires_at.astimezone(UTC).isoformat(timespec="seconds"),
        "nonce": secrets.token_urlsafe(12),
    }


# --- trust ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedKey:
    """A key a verifier trusts: whose (an issuer's USCC, or ``platform``), its level and validity."""

    key_id: str
    public_key: bytes
    owner: str
    name: str
    trust_level: str = "A"
    valid_from: date | None = None
    valid_until: date | None = None
    origin: str = "local"  # local | external | platform
    compromised: bool = False  # a seal key retired as compromised: trusted for nothing, named for a clear answer

    def valid_on(self, day: date) -> bool:
        """Whether the key was in force on ``day``."""
        return (self.valid_from is None or day >= self.valid_from) and (self.valid_until is None or day <= self.valid_until)


Trust = Mapping[str, TrustedKey]


def _china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def parse_time(value: Any) -> datetime | None:  # noqa: ANN401
    """An aware ISO 8601 time, or None."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _signature(block: Any) -> tuple[str, bytes] | None:  # noqa: ANN401
    """(key id, signature bytes) of a signature block, None when malformed or of another algorithm."""
    if not isinstance(block, dict) or block.get("algorithm") != ALGORITHM or block.get("canonicalization") != CANONICALIZATION:
        return None
    key_id, signature = block.get("keyId"), block.get("signature")
    if not isinstance(key_id, str) or not isinstance(signature, str):
        return None
    try:
        return key_id, base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return None


def _signed_by(body: dict[str, Any], block: Any, public_key: bytes) -> bool:  # noqa: ANN401
    parts = _signature(block)
    if parts is None:
        return False
    try:
        message = canonical_json(body)
    except CanonicalisationError:
        return False
    return sm2_verify(public_key, message, parts[1])


def _platform_key(trust: Trust, key_id: str) -> TrustedKey | None:
    key = trust.get(key_id)
    return key if key is not None and key.owner == PLATFORM else None


# --- the checks -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedPresentation:
    """A presentation whose signatures and disclosures hold (status, consent and expiry still to check)."""

    body: dict[str, Any]
    presentation_id: str
    identifier: str
    issuer_name: str
    issuer_uscc: str
    type_name: str
    trust_level: str
    external: bool
    disclosed: dict[str, Any]
    expires_at: datetime
    issued_at: datetime


def _structure(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | Problem:
    if document.get("format") != PRESENTATION_FORMAT:
        return Problem("format_unknown", f"不是本平台的证照出示格式（应为 {PRESENTATION_FORMAT}）")
    body, proof = document.get("presentation"), document.get("proof")
    if not isinstance(body, dict) or not isinstance(proof, dict):
        return Problem("malformed", "证照出示缺少出示内容或平台签名")
    manifest = body.get("manifest")
    if body.get("format") != PRESENTATION_FORMAT or not isinstance(manifest, dict):
        return Problem("malformed", "证照出示缺少摘要清单")
    if not isinstance(manifest.get("body"), dict) or not isinstance(body.get("disclosed"), dict) or not isinstance(body.get("salts"), dict):
        return Problem("malformed", "证照出示的披露信息不完整")
    if not isinstance(body.get("id"), str) or not isinstance(body.get("purpose"), str):
        return Problem("malformed", "证照出示缺少编号或用途")
    return body, proof, manifest


def _manifest_problem(manifest: dict[str, Any], trust: Trust) -> tuple[TrustedKey, bool] | Problem:  # noqa: C901, PLR0911, PLR0912 - one return per rule
    """The key that attests the manifest and whether the licence is external, or the problem."""
    body, seal = manifest["body"], manifest.get("seal")
    if body.get("format") != DISCLOSURE_FORMAT or not isinstance(body.get("digests"), dict) or not isinstance(body.get("issuer"), dict):
        return Problem("malformed", "证照摘要清单格式错误")
    issuer_uscc = body["issuer"].get("uscc")
    if str(body.get("identifier", "")).split(".")[6:7] != [issuer_uscc]:
        return Problem("issuer_mismatch", "证照标识中的颁发机构代码与颁发机构不一致")
    parts = _signature(seal)
    if parts is None or not isinstance(seal, dict):
        return Problem("algorithm_unsupported", "证照摘要清单的签名算法不受支持（应为 SM2-with-SM3 与 JCS 规范化）")
    key = trust.get(parts[0])
    if key is not None and key.compromised:
        return Problem("seal_key_compromised", "签章密钥已停用（密钥泄露），该密钥所签的证照不再可信，请联系颁发机构以新密钥重新签章")
    attested_by = seal.get("attestedBy")
    issuer_keys = [k for k in trust.values() if k.owner == issuer_uscc and not k.compromised]
    if not issuer_keys:
        return Problem("unknown_issuer", "颁发机构不在信任列表中，无法确认证照来源")
    if attested_by == "issuer":
        if key is None or key.owner != issuer_uscc:
            return Problem("unknown_issuer", "证照摘要清单的签章密钥未登记或不属于颁发机构")
    elif attested_by == PLATFORM:
        # Only an external issuer's licence is attested by the platform (its private key is elsewhere).
        if key is None or key.owner != PLATFORM or not all(k.origin == "external" for k in issuer_keys):
            return Problem("unknown_issuer", "证照摘要清单的证明方不受信任")
    else:
        return Problem("malformed", "证照摘要清单缺少证明方")
    created = parse_time(body.get("createdAt"))
    if created is None:
        return Problem("malformed", "证照摘要清单时间格式错误")
    if not key.valid_on(_china_day(created)):
        return Problem("key_not_valid", "签章密钥在签名时不在有效期内")
    if not _signed_by(body, seal, key.public_key):
        return Problem("signature_invalid", "签名无效：证照摘要清单已被篡改或不是颁发机构所签")
    level = min(issuer_keys, key=lambda k: k.trust_level).trust_level
    return TrustedKey(key.key_id, key.public_key, issuer_uscc, issuer_keys[0].name, level, origin=issuer_keys[0].origin), attested_by == PLATFORM


def _disclosure_problem(body: dict[str, Any], digests: dict[str, Any]) -> Problem | None:
    disclosed, salts = body["disclosed"], body["salts"]
    missing = [path for path in ALWAYS_DISCLOSED if path not in disclosed]
    if missing:
        return Problem("malformed", "证照出示缺少必须披露的信息（持证主体、证照编号、有效期）")
    for path, value in disclosed.items():
        salt = salts.get(path)
        expected = digests.get(path)
        if not isinstance(salt, str) or not isinstance(expected, str):
            return Problem("disclosure_mismatch", f"披露的信息“{path}”不在颁发机构签名的证照摘要中")
        try:
            actual = field_digest(salt, path, value)
        except CanonicalisationError:
            return Problem("disclosure_mismatch", f"披露的信息“{path}”格式错误")
        if actual != expected:
            return Problem("disclosure_mismatch", f"披露的信息“{path}”与颁发机构签名的证照不一致（内容被篡改）")
    return None


def check_presentation(document: dict[str, Any], trust: Trust) -> CheckedPresentation | Problem:  # noqa: PLR0911 - one return per rule
    """Structure, identifier, platform proof, manifest seal and disclosed digests of a presentation.

    ``trust`` maps key ids to trusted keys (the platform's under owner ``platform``). Never raises for
    bad input.
    """
    try:
        parts = _structure(document)
        if isinstance(parts, Problem):
            return parts
        body, proof, manifest = parts
        manifest_body_ = manifest["body"]
        problem = identifier_problem(manifest_body_)
        if problem is not None:
            return problem
        signed = _signature(proof)
        if signed is None:
            return Problem("algorithm_unsupported", "平台签名算法不受支持（应为 SM2-with-SM3 与 JCS 规范化）")
        platform_key = _platform_key(trust, signed[0])
        if platform_key is None:
            return Problem("unknown_platform", "出示不是由受信任的平台签名（签名密钥不在信任列表中）")
        if not _signed_by(body, proof, platform_key.public_key):
            return Problem("signature_invalid", "签名无效：出示内容已被篡改或不是平台所签")
        attested = _manifest_problem(manifest, trust)
        if isinstance(attested, Problem):
            return attested
        issuer_key, external = attested
        problem = _disclosure_problem(body, manifest_body_["digests"])
        if problem is not None:
            return problem
        issued_at, expires_at = parse_time(body.get("issuedAt")), parse_time(body.get("expiresAt"))
        if issued_at is None or expires_at is None:
            return Problem("malformed", "出示的时间格式错误")
        return CheckedPresentation(
            body=body,
            presentation_id=body["id"],
            identifier=str(manifest_body_["identifier"]),
            issuer_name=str(manifest_body_["issuer"].get("name", "")),
            issuer_uscc=issuer_key.owner,
            type_name=str((manifest_body_.get("licenceType") or {}).get("name", "")),
            trust_level=max(str(manifest_body_.get("trustLevel") or "D"), issuer_key.trust_level),  # the weaker of the two
            external=external,
            disclosed=dict(body["disclosed"]),
            expires_at=expires_at,
            issued_at=issued_at,
        )
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return Problem("malformed", "证照出示数据结构错误")


def time_problem(checked: CheckedPresentation, now: datetime) -> Problem | None:
    """The presentation's own window, then the licence's validity dates (as disclosed, signed by the issuer)."""
    if checked.issued_at > now + CLOCK_SKEW:
        return Problem("presentation_not_yet_valid", "出示时间晚于当前时间，请核对设备时钟")
    if now > checked.expires_at:
        until = checked.expires_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        return Problem("presentation_expired", f"出示已过期（有效至 {until}），请持证人重新出示")
    today = _china_day(now)
    try:
        valid_from = date.fromisoformat(str(checked.disclosed["validFrom"]))
        until_raw = checked.disclosed.get("validUntil")
        valid_until = date.fromisoformat(str(until_raw)) if until_raw is not None else None
    except ValueError:
        return Problem("malformed", "有效期格式错误")
    if today < valid_from:
        return Problem("not_yet_valid", f"证照尚未生效（自{valid_from.isoformat()}起有效）")
    if valid_until is not None and today > valid_until:
        return Problem("expired", f"证照已过有效期（有效期至{valid_until.isoformat()}）")
    return None


def verifier_problem(body: dict[str, Any], declared: str | None) -> Problem | None:
    """A presentation bound to a verifier may be verified only by that verifier (by USCC or by name)."""
    bound = body.get("verifier")
    if not bound:
        return None
    uscc, name = (bound.get("uscc") or "").upper(), (bound.get("name") or "").strip()
    shown = name or uscc
    text = (declared or "").strip()
    if not text:
        return Problem("verifier_required", f"该出示仅限“{shown}”核验，请填写核验单位的统一社会信用代码或名称")
    if (uscc and text.upper() == uscc) or (name and text == name):
        return None
    return Problem("verifier_mismatch", f"该出示仅限“{shown}”核验，核验单位不符")


def status_problem(statuses: Mapping[str, str], identifier: str) -> Problem | None:
    """Revocation / suspension from a status list (licence key → status)."""
    status = statuses.get(licence_key(identifier))
    if status == "revoked":
        return Problem("revoked", "证照已被颁发机构吊销")
    if status == "suspended":
        return Problem("suspended", "证照已被颁发机构暂停使用")
    return None


# --- downloaded lists --------------------------------------------------------------------------------------


def trust_entry(key: TrustedKey) -> dict[str, Any]:
    """One entry of the trust list."""
    return {
        "uscc": key.owner,
        "name": key.name,
        "keyId": key.key_id,
        "publicKeyMultibase": public_key_multibase(key.public_key),
        "trustLevel": key.trust_level,
        "validFrom": key.valid_from.isoformat() if key.valid_from else None,
        "validUntil": key.valid_until.isoformat() if key.valid_until else None,
        "origin": key.origin,
    }


def revoked_entry(key: TrustedKey, revoked_at: datetime) -> dict[str, Any]:
    """One entry of the trust list's ``revokedKeys``: a compromised seal key, trusted for nothing."""
    return {
        "uscc": key.owner,
        "name": key.name,
        "keyId": key.key_id,
        "publicKeyMultibase": public_key_multibase(key.public_key),
        "revokedAt": revoked_at.astimezone(UTC).isoformat(timespec="seconds"),
        "origin": key.origin,
    }


def read_trust_list(document: Any, platform_public_key: bytes, now: datetime) -> dict[str, TrustedKey] | Problem:  # noqa: ANN401
    """The keys of a signed trust list (plus the pinned platform key), or why it cannot be used.

    ``entries`` are the keys in force or that were (``validFrom``/``validUntil``: rotated keys still
    verify what they signed then); ``revokedKeys`` (optional) are compromised keys, kept so that a
    verifier answers ``seal_key_compromised`` rather than ``unknown_issuer``. A verifier that
    ignores ``revokedKeys`` still trusts none of them.
    """
    try:
        body, seal = document["list"], document["seal"]
        if body.get("format") != TRUST_LIST_FORMAT:
            return Problem("trust_list_invalid", f"信任列表格式错误（应为 {TRUST_LIST_FORMAT}）")
        if not _signed_by(body, seal, platform_public_key):
            return Problem("trust_list_invalid", "信任列表签名无效（不是平台所签或已被篡改）")
        until = parse_time(body.get("validUntil"))
        if until is None or now > until:
            return Problem("trust_list_expired", "信任列表已过期，请重新下载")
        keys = {sm3_hex(platform_public_key): TrustedKey(sm3_hex(platform_public_key), platform_public_key, PLATFORM, "平台", origin=PLATFORM)}
        for entry in body["entries"]:
            keys[str(entry["keyId"])] = TrustedKey(
                key_id=str(entry["keyId"]),
                public_key=public_key_from_multibase(str(entry["publicKeyMultibase"])),
                owner=str(entry["uscc"]),
                name=str(entry["name"]),
                trust_level=str(entry.get("trustLevel") or "D"),
                valid_from=date.fromisoformat(entry["validFrom"]) if entry.get("validFrom") else None,
                valid_until=date.fromisoformat(entry["validUntil"]) if entry.get("validUntil") else None,
                origin=str(entry.get("origin") or "local"),
            )
        for entry in body.get("revokedKeys") or []:
            key_id = str(entry["keyId"])
            public_key = public_key_from_multibase(str(entry["publicKeyMultibase"]))
            origin = str(entry.get("origin") or "local")
            keys[key_id] = TrustedKey(key_id, public_key, str(entry["uscc"]), str(entry["name"]), "D", origin=origin, compromised=True)
    except (KeyError, TypeError, ValueError, AttributeError):
        return Problem("trust_list_invalid", "信任列表数据结构错误")
    return keys


def read_status_list(document: Any, platform_public_key: bytes, now: datetime, max_age: timedelta = MAX_STATUS_AGE) -> dict[str, str] | Problem:  # noqa: ANN401
    """Licence key → status of a signed status list, or why it cannot be used (bad signature, too old)."""
    try:
        body, seal = document["list"], document["seal"]
        if body.get("format") != STATUS_LIST_FORMAT:
            return Problem("status_list_invalid", f"状态列表格式错误（应为 {STATUS_LIST_FORMAT}）")
        if not _signed_by(body, seal, platform_public_key):
            return Problem("status_list_invalid", "状态列表签名无效（不是平台所签或已被篡改）")
        generated = parse_time(body.get("generatedAt"))
        if generated is None or now - generated > max_age:
            return Problem("status_list_stale", "状态列表过旧，无法确认证照未被吊销，请重新下载")
        return {str(e["licence"]): str(e["status"]) for e in body["entries"]}
    except (KeyError, TypeError, ValueError, AttributeError):
        return Problem("status_list_invalid", "状态列表数据结构错误")


@dataclass(frozen=True)
class OfflineResult:
    """The answer of :func:`verify_offline`: ``valid``, a code and a Chinese reason, and what was disclosed."""

    valid: bool
    code: str
    reason: str
    identifier: str | None = None
    type_name: str | None = None
    issuer_name: str | None = None
    purpose: str | None = None
    disclosed: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """``{"valid", "code", "reason", …}`` as JSON-ready values."""
        return {
            "valid": self.valid,
            "code": self.code,
            "reason": self.reason,
            "identifier": self.identifier,
            "type_name": self.type_name,
            "issuer_name": self.issuer_name,
            "purpose": self.purpose,
            "disclosed": self.disclosed,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }


def _failed(problem: Problem, checked: CheckedPresentation | None = None) -> OfflineResult:
    if checked is None:
        return OfflineResult(valid=False, code=problem.code, reason=problem.reason)
    return _answer(checked, valid=False, code=problem.code, reason=problem.reason, disclosed={})


def _answer(checked: CheckedPresentation, *, valid: bool, code: str, reason: str, disclosed: dict[str, Any]) -> OfflineResult:
    return OfflineResult(
        valid=valid,
        code=code,
        reason=reason,
        identifier=checked.identifier,
        type_name=checked.type_name,
        issuer_name=checked.issuer_name,
        purpose=str(checked.body.get("purpose")),
        disclosed=disclosed,
        expires_at=checked.expires_at,
    )


def verify_offline(
    presentation: dict[str, Any] | str | bytes,
    trust_list: dict[str, Any],
    status_list: dict[str, Any],
    *,
    platform_public_key: bytes,
    verifier: str | None = None,
    now: datetime | None = None,
    max_status_age: timedelta = MAX_STATUS_AGE,
) -> OfflineResult:
    """Verify a presentation with downloaded lists only: no database, no network.

    ``trust_list`` is ``GET /api/v1/licences/trust-list`` and ``status_list`` is ``GET
    /api/v1/licences/status-list``, both signed with the platform key the caller pins as
    ``platform_public_key`` (uncompressed SM2 point). ``verifier`` is who is verifying (a USCC or a
    name), needed when the holder bound the presentation to a verifier. Never raises for bad input.
    """
    moment = now or datetime.now(UTC)
    if not isinstance(presentation, dict):
        try:
            presentation = parse_json_object(presentation)
        except CanonicalisationError:
            return _failed(Problem("malformed", "不是有效的 JSON 对象"))
    trust = read_trust_list(trust_list, platform_public_key, moment)
    if isinstance(trust, Problem):
        return _failed(trust)
    statuses = read_status_list(status_list, platform_public_key, moment, max_status_age)
    if isinstance(statuses, Problem):
        return _failed(statuses)
    checked = check_presentation(presentation, trust)
    if isinstance(checked, Problem):
        return _failed(checked)
    problem = verifier_problem(checked.body, verifier) or status_problem(statuses, checked.identifier) or time_problem(checked, moment)
    if problem is not None:
        return _failed(problem, checked)
    return _answer(checked, valid=True, code="valid", reason="证照真实有效（离线核验：签名、信任列表、状态列表、有效期）", disclosed=checked.disclosed)
