"""W3C Verifiable Credentials 2.0 export of licences, secured with the ``sm2-jcs-2026`` cryptosuite.

Credential shape
----------------
``@context`` is ``https://www.w3.org/ns/credentials/v2`` followed by the platform's licence context
(``/api/v1/licences/context/v1``, it defines every term below; ``data`` is ``@json`` so each type's
own items need no vocabulary). ``type`` is ``["VerifiableCredential", "<LicenceType>Credential"]``
(e.g. ``BusinessLicenceCredential``). ``id`` is ``urn:gbt36904:<identifier>``. ``issuer`` is the
issuing organisation, ``{"id": "<base>/api/v1/licences/issuers/<USCC>", "name": …}``; that URL
serves the organisation's keys (a did:web-like controller document). ``validFrom`` / ``validUntil``
are the licence's validity in China time (start of the first day, end of the last day).
``credentialSubject`` carries the same claims as the sealed licence JSON: the holder (name, ID type
and number) and ``licence`` (identifier, number, type, issue date, trust level, version, data).
``credentialStatus`` holds two ``BitstringStatusListEntry`` items (purposes ``revocation`` and
``suspension``) pointing at the platform's status list credentials.

Cryptosuite ``sm2-jcs-2026`` (a Data Integrity cryptosuite, modelled on ``eddsa-jcs-2022``)
-------------------------------------------------------------------------------------------------
The proof is a ``DataIntegrityProof`` with ``cryptosuite: "sm2-jcs-2026"``, ``proofPurpose:
"assertionMethod"``, ``created`` (XML Schema dateTime, UTC), ``verificationMethod`` (the issuer id,
``#`` and the key id) and ``proofValue``.

1. *Transformation.* ``transformedDocument = JCS(document without "proof")`` — RFC 8785
   (:func:`longgov.licences.canonical.canonical_json`).
2. *Proof configuration.* ``proofConfig`` = the proof object without ``proofValue`` and with the
   document's ``@context`` copied in; ``canonicalProofConfig = JCS(proofConfig)``.
3. *Hashing.* ``hashData = SM3(canonicalProofConfig) ‖ SM3(transformedDocument)`` (64 bytes;
   SM3 is GB/T 32905).
4. *Signing.* SM2 signature (GB/T 32918.2) of ``hashData`` with SM3 as the message digest and the
   default distinguishing identifier ``1234567812345678`` in Z; the signature is DER-encoded
   ``SEQUENCE { r INTEGER, s INTEGER }``. ``proofValue`` = multibase base58btc (``z`` prefix) of it.
5. *Verification.* Resolve ``verificationMethod`` to a ``Multikey`` whose ``controller`` is the
   credential's issuer, recompute steps 1–3 and check the SM2 signature; a credential whose
   ``proofValue``, proof options or any claim changed fails.

Keys are ``Multikey`` with ``publicKeyMultibase`` = base58btc of the multicodec ``sm2-pub``
(0x1206, varint ``0x86 0x24``) followed by the 33-byte compressed SM2 point.
"""

from __future__ import annotations

import base64
import gzip
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from longgov.licences.canonical import CanonicalisationError, canonical_json, from_multibase_base58btc, multibase_base58btc
from longgov.licences.sealing import Problem
from longgov.security.crypto import sm2_sign, sm2_verify, sm3_digest

VC_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
CONTEXT_PATH: Final = "/api/v1/licences/context/v1"
CRYPTOSUITE: Final = "sm2-jcs-2026"
PROOF_TYPE: Final = "DataIntegrityProof"
SM2_PUB_MULTICODEC: Final = b"\x86\x24"  # varint of 0x1206
STATUS_LIST_BITS: Final = 131_072  # the minimum length the Bitstring Status List spec sets (16 KB)

# SM2 curve (GB/T 32918.5) for point compression.
_P: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_A: Final = _P - 3
_B: Final = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_COMPRESSED_SIZE: Final = 33
_UNCOMPRESSED_SIZE: Final = 65


def pascal_case(key: str) -> str:
    """business_licence → BusinessLicence."""
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def credential_type(type_key: str) -> str:
    """The VC type of a licence type: BusinessLicenceCredential."""
    return pascal_case(type_key) + "Credential"


def context_document(type_keys: list[str]) -> dict[str, Any]:
    """The JSON-LD context of licence credentials (served at :data:`CONTEXT_PATH`)."""
    vocab = "https://longgov.gansu.gov.cn/ns/licences#"
    terms: dict[str, Any] = {
        "@version": 1.1,
        "@protected": True,
        "lg": vocab,
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "LicenceHolder": "lg:LicenceHolder",
        "Licence": "lg:Licence",
        "holderName": "lg:holderName",
        "idType": "lg:idType",
        "idNumber": "lg:idNumber",
        "licence": {"@id": "lg:licence", "@type": "@id"},
        "identifier": "lg:identifier",
        "number": "lg:number",
        "licenceType": "lg:licenceType",
        "typeCode": "lg:typeCode",
        "typeName": "lg:typeName",
        "issuedOn": {"@id": "lg:issuedOn", "@type": "xsd:date"},
        "trustLevel": "lg:trustLevel",
        "version": {"@id": "lg:version", "@type": "xsd:integer"},
        "data": {"@id": "lg:data", "@type": "@json"},
        "uscc": "lg:uscc",
        "division": "lg:division",
    }
    for key in type_keys:
        terms[credential_type(key)] = f"lg:{credential_type(key)}"
    # Floats never appear in signed claims; the context is plain JSON served as is.
    return {"@context": terms}


def _china_start(day: date) -> str:
    return f"{day.isoformat()}T00:00:00+08:00"


def _china_end(day: date) -> str:
    return f"{day.isoformat()}T23:59:59+08:00"


def compress_public_key(public_key: bytes) -> bytes:
    """33-byte compressed form of an uncompressed (0x04 ‖ X ‖ Y) SM2 point."""
    if len(public_key) != _UNCOMPRESSED_SIZE or public_key[0] != 0x04:  # noqa: PLR2004
        msg = "an uncompressed SM2 public key is expected"
        raise ValueError(msg)
    y = int.from_bytes(public_key[33:], "big")
    return bytes([0x02 | (y & 1)]) + public_key[1:33]


def decompress_public_key(compressed: bytes) -> bytes:
    """The uncompressed point of a compressed SM2 public key; ValueError if it is not on the curve."""
    if len(compressed) != _COMPRESSED_SIZE or compressed[0] not in {2, 3}:
        msg = "a compressed SM2 public key is expected"
        raise ValueError(msg)
    x = int.from_bytes(compressed[1:], "big")
    if x >= _P:
        msg = "x out of range"
        raise ValueError(msg)
    rhs = (pow(x, 3, _P) + _A * x + _B) % _P
    y = pow(rhs, (_P + 1) // 4, _P)  # p ≡ 3 (mod 4)
    if y * y % _P != rhs:
        msg = "point not on the SM2 curve"
        raise ValueError(msg)
    if (y & 1) != (compressed[0] & 1):
        y = _P - y
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def public_key_multibase(public_key: bytes) -> str:
    """``publicKeyMultibase`` of an SM2 key (multicodec sm2-pub, compressed point)."""
    return multibase_base58btc(SM2_PUB_MULTICODEC + compress_public_key(public_key))


def public_key_from_multibase(value: str) -> bytes:
    """The uncompressed SM2 point of a ``publicKeyMultibase``; ValueError when it is not one."""
    raw = from_multibase_base58btc(value)
    if not raw.startswith(SM2_PUB_MULTICODEC):
        msg = "not an sm2-pub multikey"
        raise ValueError(msg)
    return decompress_public_key(raw[len(SM2_PUB_MULTICODEC) :])


def verification_method(controller: str, key_id: str, public_key: bytes) -> dict[str, Any]:
    """A Multikey verification method of a controller document."""
    return {"id": f"{controller}#{key_id}", "type": "Multikey", "controller": controller, "publicKeyMultibase": public_key_multibase(public_key)}


def _hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof_options.items() if k != "proofValue"}
    config["@context"] = document.get("@context")
    return sm3_digest(canonical_json(config)) + sm3_digest(canonical_json(unsecured))


def add_proof(document: dict[str, Any], *, private_key: bytes, verification_method_id: str, created: datetime) -> dict[str, Any]:
    """The document with an ``sm2-jcs-2026`` Data Integrity proof (signed locally with ``private_key``)."""
    options = proof_options(verification_method_id, created)
    return with_proof_value(document, options, sm2_sign(private_key, _hash_data(document, options)))


def proof_input(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """What an ``sm2-jcs-2026`` signature covers (for a signer that is not local, e.g. a seal provider)."""
    return _hash_data(document, proof_options)


def proof_options(verification_method_id: str, created: datetime) -> dict[str, Any]:
    """The proof object without ``proofValue``."""
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": verification_method_id,
        "proofPurpose": "assertionMethod",
    }


def with_proof_value(document: dict[str, Any], options: dict[str, Any], signature: bytes) -> dict[str, Any]:
    """Attach the proof made over :func:`proof_input`."""
    return {**document, "proof": {**options, "proofValue": multibase_base58btc(signature)}}


@dataclass(frozen=True)
class CheckedProof:
    """A proof that verified: the issuer id and the key id it was made with."""

    issuer_id: str
    key_id: str


def _issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _proof_problem(credential: dict[str, Any], proof: Any) -> Problem | None:  # noqa: ANN401, PLR0911 - one return per rule
    context = credential.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_CONTEXT:
        return Problem("malformed", f"凭证的 @context 第一项应为 {VC_CONTEXT}")
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        return Problem("malformed", "凭证类型应包含 VerifiableCredential")
    if not isinstance(proof, dict):
        return Problem("proof_missing", "凭证缺少证明（proof）")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return Problem("algorithm_unsupported", f"证明类型不受支持（应为 {PROOF_TYPE} / {CRYPTOSUITE}）")
    if proof.get("proofPurpose") != "assertionMethod":
        return Problem("proof_purpose", "证明用途应为 assertionMethod")
    if not isinstance(proof.get("verificationMethod"), str) or not isinstance(proof.get("proofValue"), str):
        return Problem("malformed", "证明缺少 verificationMethod 或 proofValue")
    return None


def check_proof(credential: dict[str, Any], public_key_of: dict[str, bytes]) -> CheckedProof | Problem:
    """Verify the ``sm2-jcs-2026`` proof of a credential.

    ``public_key_of`` maps verification method ids the caller trusts to SM2 public keys; a method
    must belong to the credential's issuer (``<issuer id>#<key id>``).
    """
    proof = credential.get("proof")
    problem = _proof_problem(credential, proof)
    if problem is not None:
        return problem
    assert isinstance(proof, dict)  # noqa: S101 - checked by _proof_problem
    issuer_id = _issuer_id(credential)
    method: str = proof["verificationMethod"]
    if issuer_id is None or not method.startswith(issuer_id + "#"):
        return Problem("issuer_mismatch", "证明所用密钥不属于凭证的颁发机构")
    public_key = public_key_of.get(method)
    if public_key is None:
        return Problem("unknown_issuer", "证明所用密钥未登记，无法确认颁发机构")
    try:
        signature = from_multibase_base58btc(proof["proofValue"])
        message = _hash_data(credential, proof)
    except (ValueError, CanonicalisationError):
        return Problem("signature_invalid", "签名无效：证明值或凭证内容格式错误")
    if not sm2_verify(public_key, message, signature):
        return Problem("signature_invalid", "签名无效：凭证内容已被篡改或不是颁发机构所签")
    return CheckedProof(issuer_id=issuer_id, key_id=method.split("#", 1)[1])


def credential_validity_problem(credential: dict[str, Any], now: datetime) -> Problem | None:
    """``validFrom`` / ``validUntil`` against ``now``."""
    try:
        valid_from = datetime.fromisoformat(str(credential["validFrom"])) if "validFrom" in credential else None
        valid_until = datetime.fromisoformat(str(credential["validUntil"])) if "validUntil" in credential else None
    except ValueError:
        return Problem("malformed", "凭证有效期格式错误")
    if valid_from is not None and (valid_from.tzinfo is None or now < valid_from):
        return Problem("not_yet_valid", "凭证尚未生效")
    if valid_until is not None and (valid_until.tzinfo is None or now > valid_until):
        return Problem("expired", "凭证已过有效期")
    return None


def build_credential(
    *,
    claims: dict[str, Any],
    type_key: str,
    base_url: str,
    issuer_id: str,
    status_index: int,
) -> dict[str, Any]:
    """The unsigned credential of a licence's claims (from :func:`longgov.licences.sealing.claims`)."""
    holder = claims["holder"]
    issuer = claims["issuer"]
    valid_from = date.fromisoformat(claims["validFrom"])
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, base_url + CONTEXT_PATH],
        "id": f"urn:gbt36904:{claims['identifier']}",
        "type": ["VerifiableCredential", credential_type(type_key)],
        "name": claims["licenceType"]["name"],
        "issuer": {"id": issuer_id, "name": issuer["name"]},
        "validFrom": _china_start(valid_from),
        "credentialSubject": {
            "type": "LicenceHolder",
            "holderName": holder["name"],
            "idType": holder["idType"],
            "idNumber": holder["idNumber"],
            "licence": {
                "type": "Licence",
                "identifier": claims["identifier"],
                "number": claims["number"],
                "licenceType": {"typeCode": claims["licenceType"]["code"], "typeName": claims["licenceType"]["name"]},
                "issuedOn": claims["issuedOn"],
                "trustLevel": claims["trustLevel"],
                "version": claims["version"],
                "uscc": issuer["uscc"],
                "division": issuer["division"],
                "data": claims["data"],
            },
        },
        "credentialStatus": [status_entry(base_url, purpose, status_index) for purpose in ("revocation", "suspension")],
    }
    if claims.get("validUntil"):
        credential["validUntil"] = _china_end(date.fromisoformat(claims["validUntil"]))
    return credential


def status_list_url(base_url: str, purpose: str) -> str:
    """The status list credential of a purpose."""
    return f"{base_url}/api/v1/licences/status-lists/{purpose}"


def status_entry(base_url: str, purpose: str, index: int) -> dict[str, Any]:
    """A ``BitstringStatusListEntry``."""
    url = status_list_url(base_url, purpose)
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": purpose, "statusListIndex": str(index), "statusListCredential": url}


def encode_bitstring(indexes: set[int], length: int = STATUS_LIST_BITS) -> str:
    """Multibase base64url (``u``) of the GZIP-compressed bitstring; bit 0 is the left-most bit of byte 0."""
    size = max(length, max(indexes, default=0) + 1)
    bits = bytearray((size + 7) // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode("ascii").rstrip("=")


def bit_is_set(encoded: str, index: int) -> bool:
    """Whether position ``index`` of an encoded list is set; ValueError on a malformed list."""
    if not encoded.startswith("u"):
        msg = "encodedList must be multibase base64url"
        raise ValueError(msg)
    raw = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    if index < 0 or index // 8 >= len(bits):
        return False
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
