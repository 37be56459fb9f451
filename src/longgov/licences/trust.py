"""互通互认 (mutual recognition): trusted external issuers, the exported trust list, imported licences.

* **Trusted issuers.** Another province's platform (or department) is trusted through one row per SM2
  public key (``licence_trusted_issuers``): USCC, name, region, trust level (A–D, capping the level of
  the licences it vouches for), validity. The security administrator (``licences:trust:manage``)
  adds and retires keys; every change is audited. Keys are never deleted: licences signed before a
  key was retired stay verifiable against its validity dates.
* **Trust list.** ``GET /api/v1/licences/trust-list`` exports, signed with the platform key
  (SM2-with-SM3 over JCS, see :mod:`longgov.licences.offline`), the platform's own key, every seal
  of the issuers on this platform (``origin: local``) and the recognised external issuers
  (``origin: external``), each with its trust level and validity. Other platforms import it;
  offline verifiers use it with the status list.
* **Trust page** (``/workbench/licences/trust``): the same management for people, per issuer with its
  keys (SM3 fingerprint, validity, licences imported), its status-list feed and the last pull
  (:mod:`longgov.licences.feeds`). Local seals: rotated keys stay listed with their validity,
  compromised ones move to ``revokedKeys`` (:mod:`longgov.licences.rotation`).
* **Imported licences.** A sealed licence document (``longgov-licence/1``) from an external issuer is
  verified against the trust list (seal, identifier, validity) and stored as a licence held by the
  matching person or enterprise (``source = external``, shown as 外省签发). Holders import their own
  licences from the wallet; the system (CLI, demo) imports for anyone. Re-importing the same version
  changes nothing; a newer version of the same licence becomes its current version.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select

from longgov.db import utcnow
from longgov.identity import services as identity
from longgov.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from longgov.licences import events, feeds, importer, offline, sealing
from longgov.licences.canonical import CanonicalisationError, canonical_json, parse_json_object
from longgov.licences.catalogue import HOLDER_ID_TYPES, TRUST_LEVELS, HolderKind, type_by_code
from longgov.licences.credentials import public_key_from_multibase
from longgov.licences.identifiers import licence_key
from longgov.licences.models import Licence, LicenceStatusFeed, LicenceVersion, SealKey, TrustedIssuer
from longgov.licences.schemas import ExternalImportResult, TrustedIssuerGroup, TrustedIssuerInput, TrustedIssuerView
from longgov.licences.services import (
    CHINA_TZ,
    DOCUMENT_CIPHER_FIELD,
    PLATFORM_ISSUER,
    STATUS_SCOPE,
    Content,
    _content_digest,
    _history,
    _holder_columns,
    _number_index,
    _take,
    _view,
    issuer_url,
    today,
)
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.crypto import CryptoError, sm2_public_key_from_pem, sm2_sign, sm3_hex
from longgov.security.permissions import Permission
from longgov.security.pii import mask_middle

TRUST_LIST_DAYS: Final = 7
PLATFORM_NAME: Final = "陇政通电子证照平台（甘肃省）"
EXTERNAL_PREFIX: Final = "ext-"
_UNCOMPRESSED: Final = 65


# --- keys -------------------------------------------------------------------------------------------


def parse_public_key(text: str) -> bytes:
    """An SM2 public key from PEM, multibase (``z…``, sm2-pub) or hex of the uncompressed point; ValidationFailed otherwise."""
    value = text.strip()
    try:
        if value.startswith("-----BEGIN"):
            return sm2_public_key_from_pem(value.encode())
        if value.startswith("z"):
            return public_key_from_multibase(value)
        raw = bytes.fromhex(value)
        if len(raw) == _UNCOMPRESSED and raw[0] == 0x04:  # noqa: PLR2004
            # Reuse the multikey codec's on-curve check via a compress/decompress round trip.
            from longgov.licences.credentials import compress_public_key, decompress_public_key  # noqa: PLC0415

            if decompress_public_key(compress_public_key(raw)) == raw:
                return raw
    except (ValueError, CryptoError):
        pass
    raise ValidationFailed(
        "公钥格式错误：应为 SM2 公钥（PEM、multibase 或未压缩点的十六进制）", code="public_key_invalid", details={"public_key": "无效的 SM2 公钥"}
    )


def platform_key_id(ctx: ServiceContext) -> str:
    """Id of the platform's signing key (SM3 of the public key, hex)."""
    return sm3_hex(ctx.platform.keys.signing.public_key)


def platform_trusted_key(ctx: ServiceContext) -> offline.TrustedKey:
    """The platform key as a trusted key (signs presentations, status and trust lists)."""
    return offline.TrustedKey(platform_key_id(ctx), ctx.platform.keys.signing.public_key, offline.PLATFORM, PLATFORM_NAME, origin=offline.PLATFORM)


def _external_key(row: TrustedIssuer) -> offline.TrustedKey:
    return offline.TrustedKey(row.key_id, row.public_key, row.uscc, row.name, row.trust_level, row.valid_from, row.valid_until, origin="external")


def _china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


def _local_key(row: SealKey) -> offline.TrustedKey:
    """A seal of this platform: in force from its creation until it was retired (rotated); compromised ones are flagged."""
    return offline.TrustedKey(
        row.key_id,
        row.public_key,
        row.organisation_uscc,
        row.organisation_name,
        "A",
        valid_from=_china_day(row.created_at),
        valid_until=_china_day(row.retired_at) if row.retired_at else None,
        origin="local",
        compromised=row.compromised_at is not None,
    )


async def trust_for_issuer(ctx: ServiceContext, issuer_uscc: str) -> dict[str, offline.TrustedKey]:
    """What an online check trusts for one issuer: the platform key, the issuer's seals here, its recognised external keys.

    Rotated seals come with their validity, compromised ones flagged (trusted for nothing).
    """
    trust = {platform_key_id(ctx): platform_trusted_key(ctx)}
    uscc = issuer_uscc.strip().upper()[:18]
    for seal in (await ctx.session.execute(select(SealKey).where(SealKey.organisation_uscc == uscc))).scalars():
        trust[seal.key_id] = _local_key(seal)
    for row in (await ctx.session.execute(select(TrustedIssuer).where(TrustedIssuer.uscc == uscc, TrustedIssuer.active.is_(True)))).scalars():
        trust[row.key_id] = _external_key(row)
    return trust


# --- managing the external trust list -----------------------------------------------------------------


def _require_manager(ctx: ServiceContext) -> None:
    actor = ctx.actor
    if actor is not None and not actor.has(Permission.LicencesTrustManage):
        raise PermissionDenied("无权管理互认信任列表", code="permission_denied")


def fingerprint(key_id: str) -> str:
    """An SM3 key id as people compare it: upper-case groups of four."""
    text = key_id.upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


_KEY_STATES: Final = {"active": "有效", "retired": "已停用", "expired": "已过期", "not_yet_valid": "未生效"}


def _key_state(row: TrustedIssuer) -> str:
    if not row.active:
        return "retired"
    day = today()
    if day < row.valid_from:
        return "not_yet_valid"
    return "expired" if row.valid_until is not None and day > row.valid_until else "active"


def _trusted_view(row: TrustedIssuer, imported: int = 0) -> TrustedIssuerView:
    state = _key_state(row)
    return TrustedIssuerView(
        id=row.id,
        uscc=row.uscc,
        name=row.name,
        region=row.region,
        key_id=row.key_id,
        trust_level=row.trust_level,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        active=row.active,
        note=row.note,
        added_by=row.added_by,
        created_at=row.created_at,
        retired_at=row.retired_at,
        fingerprint=fingerprint(row.key_id),
        state=state,
        state_title=_KEY_STATES[state],
        imported=imported,
    )


async def add_trusted_issuer(ctx: ServiceContext, data: TrustedIssuerInput) -> TrustedIssuerView:
    """Trust an external issuer's key (and set where it publishes its status list); audited.

    Conflict when the key is already listed or is one of this platform's.
    """
    _require_manager(ctx)
    uscc = data.uscc.strip().upper()
    feed_url = feeds.check_feed_url(ctx.settings, data.status_list_url) if data.status_list_url else None
    check = identity.validate_code("uscc", uscc)
    if not check.valid:
        raise ValidationFailed(f"统一社会信用代码无效：{check.message}", code="uscc_invalid", details={"uscc": check.message})
    if data.trust_level not in TRUST_LEVELS:  # pragma: no cover - the schema restricts it
        raise ValidationFailed("可信等级应为 A、B、C 或 D", code="trust_level_invalid")
    public_key = parse_public_key(data.public_key)
    key_id = sm3_hex(public_key)
    start = data.valid_from or today()
    if data.valid_until is not None and data.valid_until < start:
        raise ValidationFailed("有效期截止日期早于起始日期", code="validity_invalid", details={"valid_until": "早于起始日期"})
    if (await ctx.session.execute(select(TrustedIssuer.id).where(TrustedIssuer.key_id == key_id))).first():
        raise Conflict("该公钥已在信任列表中", code="trusted_key_exists")
    local = (await ctx.session.execute(select(SealKey.id).where(SealKey.key_id == key_id))).first()
    if local or key_id == platform_key_id(ctx) or (await ctx.session.execute(select(SealKey.id).where(SealKey.organisation_uscc == uscc))).first():
        raise Conflict("本平台的机构无需加入互认信任列表", code="trusted_key_local")
    actor = ctx.actor
    row = TrustedIssuer(
        uscc=uscc,
        name=data.name,
        region=data.region,
        key_id=key_id,
        public_key=public_key,
        trust_level=data.trust_level,
        valid_from=start,
        valid_until=data.valid_until,
        active=True,
        note=data.note,
        added_by=actor.display_name if actor else "系统",
        created_at=utcnow(),
    )
    ctx.session.add(row)
    await ctx.session.flush()
    record(
        ctx.session,
        events.TRUSTED_ISSUER_ADDED,
        actor=actor,
        meta=ctx.meta,
        subject_type="trusted_issuer",
        subject_id=row.id,
        details={"uscc": uscc, "name": data.name, "region": data.region, "key_id": key_id, "trust_level": data.trust_level},
    )
    if feed_url is not None:
        await feeds.set_status_feed(ctx, uscc, feed_url)
    return _trusted_view(row)


async def retire_trusted_issuer(ctx: ServiceContext, issuer_id: uuid.UUID, reason: str) -> TrustedIssuerView:
    """Stop trusting a key (licences it signed no longer verify or import); audited."""
    _require_manager(ctx)
    row = await ctx.session.get(TrustedIssuer, issuer_id)
    if row is None:
        raise NotFound("信任列表中没有该密钥", code="trusted_issuer_not_found")
    if not row.active:
        raise Conflict("该密钥已停用", code="trusted_issuer_retired")
    row.active, row.retired_at = False, utcnow()
    record(
        ctx.session,
        events.TRUSTED_ISSUER_RETIRED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="trusted_issuer",
        subject_id=row.id,
        details={"uscc": row.uscc, "key_id": row.key_id, "reason": reason},
    )
    await ctx.session.flush()
    return _trusted_view(row)


async def trusted_issuers(ctx: ServiceContext) -> list[TrustedIssuerView]:
    """Every external key, newest first (for the security administrator); audited."""
    _require_manager(ctx)
    rows = (await ctx.session.execute(select(TrustedIssuer).order_by(TrustedIssuer.created_at.desc()))).scalars().all()
    per_key = await _imported_by_key(ctx)
    record(ctx.session, events.TRUSTED_ISSUER_LISTED, actor=ctx.actor, meta=ctx.meta, subject_type="trusted_issuer", details={"count": len(rows)})
    return [_trusted_view(r, per_key.get(r.key_id, 0)) for r in rows]


async def _imported_by_key(ctx: ServiceContext) -> dict[str, int]:
    """Imported licences per sealing key (a licence counts once per key that sealed one of its versions)."""
    query = (
        select(LicenceVersion.seal_key_id, func.count(func.distinct(LicenceVersion.licence_id)))
        .join(Licence, Licence.id == LicenceVersion.licence_id)
        .where(Licence.source == "external")
        .group_by(LicenceVersion.seal_key_id)
    )
    return {key_id: int(count) for key_id, count in (await ctx.session.execute(query)).tuples()}


async def trust_overview(ctx: ServiceContext) -> list[TrustedIssuerGroup]:
    """The trust page: each external issuer with its keys, its status-list feed and its licences' statuses; audited.

    Keys come with their state, SM3 fingerprint, validity and the number of licences imported with them.
    """
    _require_manager(ctx)
    rows = (await ctx.session.execute(select(TrustedIssuer).order_by(TrustedIssuer.uscc, TrustedIssuer.created_at.desc()))).scalars().all()
    per_key = await _imported_by_key(ctx)
    feed_rows = {f.uscc: feeds.feed_view(f) for f in (await ctx.session.execute(select(LicenceStatusFeed))).scalars()}
    counts_query = select(Licence.issuer_uscc, Licence.status, func.count()).where(Licence.source == "external").group_by(Licence.issuer_uscc, Licence.status)
    counts: dict[str, dict[str, int]] = {}
    for uscc, status, count in (await ctx.session.execute(counts_query)).tuples():
        counts.setdefault(uscc, {})[status] = int(count)
    groups: dict[str, TrustedIssuerGroup] = {}
    for row in rows:
        group = groups.get(row.uscc)
        if group is None:
            feed = feed_rows.get(row.uscc)
            statuses = counts.get(row.uscc, {})
            group = groups[row.uscc] = TrustedIssuerGroup(
                uscc=row.uscc,
                name=row.name,
                region=row.region,
                keys=[],
                feed=feed,
                feed_health=feeds.feed_health(feed),
                imported=sum(statuses.values()),
                not_valid=statuses.get("revoked", 0) + statuses.get("suspended", 0),
            )
        group.keys.append(_trusted_view(row, per_key.get(row.key_id, 0)))
    record(ctx.session, events.TRUSTED_ISSUER_LISTED, actor=ctx.actor, meta=ctx.meta, subject_type="trusted_issuer", details={"count": len(rows)})
    # Issuers with a key in force first, then by name.
    return sorted(groups.values(), key=lambda g: (not any(k.state == "active" for k in g.keys), g.name))


# --- the exported trust list ----------------------------------------------------------------------------


async def trust_list(ctx: ServiceContext) -> dict[str, Any]:
    """信任列表 for other platforms and offline verifiers, signed with the platform key (valid for a week)."""
    local = (await ctx.session.execute(select(SealKey).order_by(SealKey.organisation_uscc, SealKey.created_at))).scalars().all()
    external = (
        await ctx.session.execute(select(TrustedIssuer).where(TrustedIssuer.active.is_(True)).order_by(TrustedIssuer.uscc, TrustedIssuer.created_at))
    ).scalars()
    # Rotated seals stay listed with their validity (what they sealed still verifies offline); compromised ones move to
    # revokedKeys, so a verifier that does not know that field trusts none of them.
    entries = [offline.trust_entry(_local_key(row)) for row in local if row.compromised_at is None]
    entries += [offline.trust_entry(_external_key(row)) for row in external]
    revoked = [offline.revoked_entry(_local_key(row), row.compromised_at) for row in local if row.compromised_at is not None]
    now = utcnow()
    body = {
        "format": offline.TRUST_LIST_FORMAT,
        "issuer": issuer_url(ctx, PLATFORM_ISSUER),
        "platform": {
            "name": PLATFORM_NAME,
            **{k: v for k, v in offline.trust_entry(platform_trusted_key(ctx)).items() if k in {"keyId", "publicKeyMultibase"}},
        },
        "generatedAt": now.isoformat(timespec="seconds"),
        "validUntil": (now + timedelta(days=TRUST_LIST_DAYS)).isoformat(timespec="seconds"),
        "entries": entries,
        "revokedKeys": revoked,
    }
    signature = sm2_sign(ctx.platform.keys.signing.private_key, canonical_json(body))
    return {"list": body, "seal": offline.signature_block(platform_key_id(ctx), signature)}


# --- importing licences issued elsewhere ----------------------------------------------------------------


def _refuse(problem: sealing.Problem) -> ValidationFailed:
    return ValidationFailed(f"外省证照无法导入：{problem.reason}", code=problem.code)


async def _external_seal_key(ctx: ServiceContext, document: dict[str, Any]) -> TrustedIssuer | None:
    seal = document.get("seal")
    key_id = seal.get("keyId") if isinstance(seal, dict) else None
    if not isinstance(key_id, str) or len(key_id) > 128:  # noqa: PLR2004
        return None
    query = select(TrustedIssuer).where(TrustedIssuer.key_id == key_id, TrustedIssuer.active.is_(True))
    return (await ctx.session.execute(query)).scalar_one_or_none()


def _checked_claims(document: dict[str, Any], key: TrustedIssuer | None) -> dict[str, Any]:
    """The claims of an external document whose seal, identifier and dates hold; ValidationFailed otherwise."""
    if key is None:
        raise _refuse(sealing.Problem("unknown_issuer", "签章密钥不在互认信任列表中"))
    try:
        checked = sealing.check_seal(document, {key.key_id: (key.public_key, key.uscc)})
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        checked = sealing.Problem("malformed", "电子证照数据结构错误")
    if isinstance(checked, sealing.Problem):
        raise _refuse(checked)
    claims, _ = checked
    signed_at = offline.parse_time(document["seal"].get("signedAt"))
    if signed_at is None or not _external_key(key).valid_on(signed_at.date()):
        raise _refuse(sealing.Problem("key_not_valid", "签章密钥在签章时不在有效期内"))
    problem = sealing.validity_problem(claims, today())
    if problem is not None:
        raise _refuse(problem)
    return claims


async def _holder_of(ctx: ServiceContext, kind: HolderKind, id_number: str) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The account the licence belongs to; a holder may import only their own licences."""
    principal = await identity.principal_by_login(ctx, kind, id_number)
    person_id, enterprise_id = (principal.person_id, principal.enterprise_id) if principal else (None, None)
    actor = ctx.actor
    if actor is None:
        return person_id, enterprise_id
    own = (actor.kind == "person" and person_id is not None and actor.person_id == person_id) or (
        actor.kind == "enterprise" and enterprise_id is not None and actor.enterprise_id == enterprise_id
    )
    if not own or not actor.has(Permission.LicencesOwnRead):
        raise PermissionDenied("只能导入本人（本单位）持有的证照", code="licence_not_own")
    return person_id, enterprise_id


def _content(claims: dict[str, Any], kind: HolderKind, id_number: str) -> Content:
    until = claims.get("validUntil")
    return Content(
        number=str(claims["number"]),
        holder_kind=kind,
        holder_name=str(claims["holder"]["name"]),
        holder_id_number=id_number,
        issued_on=date.fromisoformat(str(claims["issuedOn"])),
        valid_from=date.fromisoformat(str(claims["validFrom"])),
        valid_until=date.fromisoformat(str(until)) if until else None,
        fields={str(k): str(v) for k, v in (claims.get("data") or {}).items()},
    )


async def import_external_licence(ctx: ServiceContext, document: dict[str, Any] | str | bytes) -> ExternalImportResult:
    """导入外省签发的电子证照: verify against the external trust list, store for its holder; audited."""
    try:
        parsed = document if isinstance(document, dict) else parse_json_object(document)
    except CanonicalisationError as exc:
        raise _refuse(sealing.Problem("malformed", "不是有效的 JSON 对象")) from exc
    key = await _external_seal_key(ctx, parsed)
    claims = _checked_claims(parsed, key)
    assert key is not None  # noqa: S101 - _checked_claims refuses a missing key
    identifier = str(claims["identifier"]).upper()
    licence_type = type_by_code(str((claims.get("licenceType") or {}).get("code", "")))
    if licence_type is None:
        raise ValidationFailed("外省证照无法导入：证照类型不在本平台目录中", code="licence_type_unknown")
    kind: HolderKind = "person" if claims["holder"].get("idType") == HOLDER_ID_TYPES["person"] else "enterprise"
    id_number, problem = importer.holder_id_problem(kind, str(claims["holder"].get("idNumber", "")))
    if problem or kind not in licence_type.holder_kinds:
        raise ValidationFailed(f"外省证照无法导入：持证主体证件号码无效{('：' + problem) if problem else ''}", code="holder_id_invalid")
    person_id, enterprise_id = await _holder_of(ctx, kind, id_number)
    version_row = (await ctx.session.execute(select(LicenceVersion).where(LicenceVersion.identifier == identifier))).scalar_one_or_none()
    if version_row is not None:
        existing = await ctx.session.get(Licence, version_row.licence_id)
        assert existing is not None  # noqa: S101
        return ExternalImportResult(created=False, licence=_view(ctx, existing, claims))
    issuer_code = (EXTERNAL_PREFIX + key.uscc)[:40]
    serial = identifier.split(".")[7]
    content = _content(claims, kind, id_number)
    current = (
        await ctx.session.execute(select(Licence).where(Licence.type_code == licence_type.code, Licence.issuer_code == issuer_code, Licence.serial == serial))
    ).scalar_one_or_none()
    version = int(claims["version"])
    if current is not None and current.version >= version:
        raise Conflict("已导入该证照的更新版本", code="licence_newer_exists")
    if current is not None and licence_key(current.identifier) != licence_key(identifier):  # pragma: no cover - same type, issuer, serial
        raise Conflict("证照标识不一致", code="licence_exists")
    created = current is None
    licence = current or Licence(
        id=uuid.uuid4(),
        type_code=licence_type.code,
        issuer_code=issuer_code,
        issuer_uscc=key.uscc,
        issuer_name=str(claims["issuer"]["name"])[:120],
        division_code=str(claims["issuer"].get("division") or key.uscc[2:8])[:6],
        department_kind=None,
        serial=serial,
        version=version,
        identifier=identifier,
        status_index=await _take(ctx, STATUS_SCOPE),
        number_index=_number_index(ctx, licence_type, content.number),
        number_display=mask_middle(content.number, 4, 4) if licence_type.number_personal else content.number,
        holder_kind=kind,
        holder_name=content.holder_name,
        holder_person_id=person_id,
        holder_enterprise_id=enterprise_id,
        issued_on=content.issued_on,
        valid_from=content.valid_from,
        valid_until=content.valid_until,
        # The weaker of the licence's own level and the level granted to its issuer.
        trust_level=max(str(claims.get("trustLevel") or "D"), key.trust_level),
        status="valid",
        source="external",
        content_sm3="",
        **_holder_columns(ctx, kind, id_number),
    )
    if created:
        ctx.session.add(licence)
        await ctx.session.flush()
    licence.version, licence.identifier = version, identifier
    licence.issued_on, licence.valid_from, licence.valid_until, licence.holder_name = (
        content.issued_on,
        content.valid_from,
        content.valid_until,
        content.holder_name,
    )
    licence.content_sm3 = _content_digest(ctx, content)
    try:
        signature = base64.b64decode(parsed["seal"]["signature"], validate=True)
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - check_seal decoded it already
        raise _refuse(sealing.Problem("signature_invalid", "签名格式错误")) from exc
    ctx.session.add(
        LicenceVersion(
            licence_id=licence.id,
            version=version,
            identifier=identifier,
            document_cipher=ctx.codec.encrypt(DOCUMENT_CIPHER_FIELD, canonical_json(parsed).decode()),
            document_sm3=sm3_hex(sealing.signed_bytes(claims)),
            signature=signature,
            seal_key_id=key.key_id,
            reason="import",
            valid_from=content.valid_from,
            valid_until=content.valid_until,
            created_at=utcnow(),
            created_by=ctx.actor.display_name if ctx.actor else "系统",
        ),
    )
    _history(ctx, licence, "import" if created else "update", f"外省签发证照导入（{key.region}，{key.name}）", source="external", region=key.region)
    # Revoked or suspended where it was issued, as the issuer's last accepted status list says.
    await feeds.apply_recorded_status(ctx, licence)
    record(
        ctx.session,
        events.LICENCE_EXTERNAL_IMPORTED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"identifier": identifier, "issuer": key.uscc, "region": key.region, "created": created},
    )
    await ctx.session.flush()
    return ExternalImportResult(created=created, licence=_view(ctx, licence, claims))


def external_document(claims: dict[str, Any], *, private_key: bytes, key_id: str, signed_at: datetime | None = None) -> dict[str, Any]:
    """A sealed document as another platform using this format issues it (demo, tests, other platforms' tooling)."""
    moment = signed_at or datetime.now(UTC)
    signature = sm2_sign(private_key, sealing.signed_bytes(claims))
    return sealing.sealed_document(claims, key_id=key_id, issuer_uscc=str(claims["issuer"]["uscc"]), signed_at=moment, signature=signature)
