"""Selective-disclosure digests and the pure presentation checks (no database)."""

import copy
from datetime import UTC, date, datetime, timedelta

from longgov.licences import offline, sealing
from longgov.licences.canonical import canonical_json
from longgov.licences.catalogue import government_uscc, type_by_key
from longgov.licences.identifiers import make_identifier
from longgov.security.crypto import generate_sm2_keypair, sm2_sign, sm3_hex

USCC = government_uscc("620102-market_regulation", "620102")


def _claims():
    licence_type = type_by_key("business_licence")
    return sealing.claims(
        identifier=make_identifier(licence_type.code, USCC, "00000009", 1),
        type_code=licence_type.code,
        type_name=licence_type.name,
        number="91620102MA71K3Q5XB",
        holder_name="兰州测试有限公司",
        holder_id_type="统一社会信用代码",
        holder_id_number="91620102MA71K3Q5XB",
        issuer_name="城关区市场监督管理局",
        issuer_uscc=USCC,
        issuer_division="620102",
        issued_on=date(2020, 1, 1),
        valid_from=date(2020, 1, 1),
        valid_until=None,
        trust_level="A",
        version=1,
        status_index=3,
        data={"legal_representative": "张三", "domicile": "兰州市城关区某路1号"},
    )


def _presentation(now, *, verifier=None, issuer=None, platform=None):
    issuer = issuer or generate_sm2_keypair()
    platform = platform or generate_sm2_keypair()
    claims = _claims()
    salts = offline.new_salts(list(offline.selectable_values(claims)))
    body = offline.manifest_body(claims, salts, document_sm3="00" * 32, created_at=now)
    manifest = {
        "body": body,
        "seal": offline.signature_block(sm3_hex(issuer.public_key), sm2_sign(issuer.private_key, canonical_json(body)), attestedBy="issuer"),
    }
    values = offline.selectable_values(claims)
    chosen = [*offline.ALWAYS_DISCLOSED, "data.legal_representative"]
    presentation = offline.presentation_body(
        presentation_id="p1",
        manifest=manifest,
        disclosed={p: values[p] for p in chosen},
        salts={p: salts[p] for p in chosen},
        purpose="测试",
        verifier=verifier,
        single_use=False,
        issued_at=now,
        expires_at=now + timedelta(minutes=10),
    )
    document = {
        "format": offline.PRESENTATION_FORMAT,
        "presentation": presentation,
        "proof": offline.signature_block(sm3_hex(platform.public_key), sm2_sign(platform.private_key, canonical_json(presentation))),
    }
    trust = {
        sm3_hex(platform.public_key): offline.TrustedKey(sm3_hex(platform.public_key), platform.public_key, offline.PLATFORM, "平台", origin=offline.PLATFORM),
        sm3_hex(issuer.public_key): offline.TrustedKey(sm3_hex(issuer.public_key), issuer.public_key, USCC, "城关区市场监督管理局"),
    }
    return document, trust, platform


def test_digests_bind_value_path_and_salt():
    digest = offline.field_digest("ab" * 16, "number", "123")
    assert digest == sm3_hex(canonical_json(["ab" * 16, "number", "123"]))
    assert offline.field_digest("ab" * 16, "number", "124") != digest
    assert offline.field_digest("cd" * 16, "number", "123") != digest
    assert offline.field_digest("ab" * 16, "data.number", "123") != digest
    salts = offline.new_salts(["a", "b"])
    assert len(set(salts.values())) == 2
    assert all(len(s) == 32 for s in salts.values())


def test_a_good_presentation_checks_and_hides_the_rest():
    now = datetime.now(UTC)
    document, trust, _ = _presentation(now)
    checked = offline.check_presentation(document, trust)
    assert isinstance(checked, offline.CheckedPresentation)
    assert checked.disclosed["data.legal_representative"] == "张三"
    assert "data.domicile" not in checked.disclosed
    assert "兰州市城关区某路1号" not in str(document)
    assert offline.time_problem(checked, now) is None
    assert offline.time_problem(checked, now + timedelta(minutes=11)).code == "presentation_expired"


def test_each_tampering_has_its_own_code():
    now = datetime.now(UTC)
    document, trust, platform = _presentation(now)

    def resigned(doc):
        doc["proof"] = offline.signature_block(sm3_hex(platform.public_key), sm2_sign(platform.private_key, canonical_json(doc["presentation"])))
        return doc

    changed = copy.deepcopy(document)
    changed["presentation"]["purpose"] = "别的"
    assert offline.check_presentation(changed, trust).code == "signature_invalid"
    value = resigned(copy.deepcopy(document))
    value["presentation"]["disclosed"]["data.legal_representative"] = "李四"
    assert offline.check_presentation(resigned(value), trust).code == "disclosure_mismatch"
    digest = copy.deepcopy(document)
    digest["presentation"]["manifest"]["body"]["digests"]["data.legal_representative"] = "00" * 32
    assert offline.check_presentation(resigned(digest), trust).code == "signature_invalid"
    missing = copy.deepcopy(document)
    del missing["presentation"]["disclosed"]["holder.name"]
    assert offline.check_presentation(resigned(missing), trust).code == "malformed"
    no_issuer = {k: v for k, v in trust.items() if v.owner == offline.PLATFORM}
    assert offline.check_presentation(document, no_issuer).code == "unknown_issuer"
    no_platform = {k: v for k, v in trust.items() if v.owner != offline.PLATFORM}
    assert offline.check_presentation(document, no_platform).code == "unknown_platform"
    for junk in (
        {},
        {"format": offline.PRESENTATION_FORMAT, "presentation": [], "proof": {}},
        {"format": offline.PRESENTATION_FORMAT, "presentation": {"manifest": 1}, "proof": {}},
    ):
        assert isinstance(offline.check_presentation(junk, trust), sealing.Problem)


def test_verifier_binding_by_uscc_or_name():
    body = {"verifier": {"uscc": "91620102MA71K3Q5XB", "name": None}}
    assert offline.verifier_problem(body, None).code == "verifier_required"
    assert offline.verifier_problem(body, "91620102ma71k3q5xb") is None
    assert offline.verifier_problem(body, "别人").code == "verifier_mismatch"
    assert offline.verifier_problem({"verifier": None}, None) is None
