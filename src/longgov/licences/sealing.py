"""The sealed licence document: canonical JSON claims plus the issuing department's SM2 seal.

Format (``longgov-licence/1``)::

    {
      "format": "longgov-licence/1",
      "licence": { ...claims... },
      "seal": {"algorithm": "SM2-with-SM3", "canonicalization": "JCS-RFC8785",
               "keyId": "<SM3 of the seal's public key, hex>", "issuer": "<issuer USCC>",
               "signedAt": "<UTC ISO 8601>", "signature": "<base64 DER (r, s)>"}
    }

The signature is SM2 (GB/T 32918, SM3 digest with the default signer id ``1234567812345678``)
over ``canonical_json(licence)`` (:mod:`longgov.licences.canonical`). A verifier resolves
``keyId`` through a key it trusts (the platform's seal registry or a downloaded trust list) — it
never takes a key from the document — and then checks that the key belongs to ``licence.issuer``.
Checking status (suspended, revoked, superseded) is the caller's job.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from longgov.licences.canonical import CanonicalisationError, canonical_json
from longgov.licences.identifiers import identifier_problem as _identifier_problem
from longgov.security.crypto import sm2_verify

FORMAT: Final = "longgov-licence/1"
ALGORITHM: Final = "SM2-with-SM3"
CANONICALIZATION: Final = "JCS-RFC8785"


@dataclass(frozen=True)
class Problem:
    """Why a document does not verify: a machine code and a Chinese reason."""

    code: str
    reason: str


def claims(
    *,
    identifier: str,
    type_code: str,
    type_name: str,
    number: str,
    holder_name: str,
    holder_id_type: str,
    holder_id_number: str,
    issuer_name: str,
    issuer_uscc: str,
    issuer_division: str,
    issued_on: date,
    valid_from: date,
    valid_until: date | None,
    trust_level: str,
    version: int,
    status_index: int,
    data: dict[str, str],
) -> dict[str, Any]:
    """The claims a seal signs (GB/T 36903 metadata plus the type-specific data)."""
    return {
        "identifier": identifier,
        "licenceType": {"code": type_code, "name": type_name},
        "number": number,
        "holder": {"name": holder_name, "idType": holder_id_type, "idNumber": holder_id_number},
        "issuer": {"name": issuer_name, "uscc": issuer_uscc, "division": issuer_division},
        "issuedOn": issued_on.isoformat(),
        "validFrom": valid_from.isoformat(),
        "validUntil": valid_until.isoformat() if valid_until else None,
        "trustLevel": trust_level,
        "version": version,
        "statusIndex": status_index,
        "data": dict(data),
    }


def sealed_document(licence_claims: dict[str, Any], *, key_id: str, issuer_uscc: str, signed_at: datetime, signature: bytes) -> dict[str, Any]:
    """The document a holder downloads: claims and seal."""
    return {
        "format": FORMAT,
        "licence": licence_claims,
        "seal": {
            "algorithm": ALGORITHM,
            "canonicalization": CANONICALIZATION,
            "keyId": key_id,
            "issuer": issuer_uscc,
            "signedAt": signed_at.isoformat(timespec="seconds"),
            "signature": base64.b64encode(signature).decode("ascii"),
        },
    }


def signed_bytes(licence_claims: dict[str, Any]) -> bytes:
    """What the seal signs."""
    return canonical_json(licence_claims)


def _seal_fields(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | Problem:
    if document.get("format") != FORMAT:
        return Problem("format_unknown", f"不是本平台电子证照格式（应为 {FORMAT}）")
    licence, seal = document.get("licence"), document.get("seal")
    if not isinstance(licence, dict) or not isinstance(seal, dict):
        return Problem("malformed", "电子证照缺少证照数据或签章")
    if seal.get("algorithm") != ALGORITHM or seal.get("canonicalization") != CANONICALIZATION:
        return Problem("algorithm_unsupported", "签章算法不受支持（应为 SM2-with-SM3 与 JCS 规范化）")
    if not all(isinstance(seal.get(k), str) for k in ("keyId", "issuer", "signature")):
        return Problem("malformed", "签章信息不完整")
    return licence, seal


def identifier_problem(licence: dict[str, Any]) -> Problem | None:
    """A corrupted or missing identifier (GB/T 36904 structure and check character)."""
    identifier = licence.get("identifier")
    if not isinstance(identifier, str):
        return Problem("identifier_missing", "电子证照缺少证照标识")
    problem = _identifier_problem(identifier)
    if problem is not None:
        return Problem("identifier_invalid", f"证照标识无效：{problem}")
    return None


def check_seal(document: dict[str, Any], public_key_of: dict[str, tuple[bytes, str]]) -> tuple[dict[str, Any], str] | Problem:  # noqa: PLR0911 - one return per rule
    """Structure, identifier and signature of a sealed document.

    ``public_key_of`` maps the key ids the caller trusts to (public key, owner USCC). Returns the
    claims and the key id, or the first problem found.
    """
    parts = _seal_fields(document)
    if isinstance(parts, Problem):
        return parts
    licence, seal = parts
    problem = identifier_problem(licence)
    if problem is not None:
        return problem
    issuer = licence.get("issuer")
    issuer_uscc = issuer.get("uscc") if isinstance(issuer, dict) else None
    trusted = public_key_of.get(seal["keyId"])
    if trusted is None:
        return Problem("unknown_issuer", "签章密钥未登记，无法确认颁发机构")
    public_key, owner_uscc = trusted
    if owner_uscc != issuer_uscc or seal["issuer"] != issuer_uscc:
        return Problem("issuer_mismatch", "签章机构与证照颁发机构不一致")
    # The identifier names the issuer too: a seal cannot vouch for another issuer's identifier.
    if str(licence["identifier"]).split(".")[6] != issuer_uscc:
        return Problem("issuer_mismatch", "证照标识中的颁发机构代码与颁发机构不一致")
    try:
        signature = base64.b64decode(seal["signature"], validate=True)
        message = signed_bytes(licence)
    except (binascii.Error, ValueError, CanonicalisationError):
        return Problem("signature_invalid", "签名无效：签名或证照数据格式错误")
    if not sm2_verify(public_key, message, signature):
        return Problem("signature_invalid", "签名无效：证照内容已被篡改或签名不是颁发机构所签")
    return licence, seal["keyId"]


def validity_problem(licence: dict[str, Any], today: date) -> Problem | None:
    """Not yet valid or expired, by the signed validity dates."""
    try:
        valid_from = date.fromisoformat(str(licence.get("validFrom")))
        until_raw = licence.get("validUntil")
        valid_until = date.fromisoformat(str(until_raw)) if until_raw is not None else None
    except ValueError:
        return Problem("malformed", "有效期格式错误")
    if today < valid_from:
        return Problem("not_yet_valid", f"证照尚未生效（自{valid_from.isoformat()}起有效）")
    if valid_until is not None and today > valid_until:
        return Problem("expired", f"证照已过有效期（有效期至{valid_until.isoformat()}）")
    return None
