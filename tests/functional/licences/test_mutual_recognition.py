"""互通互认: external issuers on a trust list, licences imported from another province, the exported trust list,
and offline verification with the downloaded lists only (R3.6 items 4–5, R4.5)."""

import copy
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from longgov.licences import offline, sealing, trust
from longgov.licences.catalogue import government_uscc, type_by_key
from longgov.licences.credentials import public_key_multibase
from longgov.licences.identifiers import make_identifier
from longgov.platform import ServiceContext
from longgov.security.crypto import generate_sm2_keypair, sm2_public_key_to_pem, sm3_hex
from tests.conftest import csrf_headers, login_enterprise, login_person, login_staff
from tests.functional.licences.conftest import CHENGGUAN_MARKET

SICHUAN_EDUCATION = government_uscc("510000-education", "510000")
# Tests share one database: the management test trusts another Sichuan body, so retiring one key here is not masked.
SICHUAN_HEALTH = government_uscc("510000-health", "510000")


def _teacher_claims(person, *, serial="00000042", version=1, valid_until=None):
    licence_type = type_by_key("teacher_qualification")
    return sealing.claims(
        identifier=make_identifier(licence_type.code, SICHUAN_EDUCATION, serial, version),
        type_code=licence_type.code,
        type_name=licence_type.name,
        number="20195100012345",
        holder_name=person.name,
        holder_id_type="公民身份号码",
        holder_id_number=person.id_number,
        issuer_name="四川省教育厅",
        issuer_uscc=SICHUAN_EDUCATION,
        issuer_division="510000",
        issued_on=date(2019, 7, 1),
        valid_from=date(2019, 7, 1),
        valid_until=valid_until,
        trust_level="A",
        version=version,
        status_index=7,
        data={
            "name": person.name,
            "sex": "男",
            "birth_date": "1990-01-01",
            "qualification_type": "高级中学教师资格",
            "subject": "数学",
            "id_number": person.id_number,
        },
    )


@pytest.fixture
def sichuan_key():
    return generate_sm2_keypair()


async def _security_admin(new_client, make_staff):
    c = await new_client()
    await login_staff(c, await make_staff(["security_admin"], "620000-data"))
    return c, await csrf_headers(c)


async def _trust_sichuan(new_client, make_staff, key, uscc=SICHUAN_EDUCATION, **extra):
    admin, headers = await _security_admin(new_client, make_staff)
    body = {"uscc": uscc, "name": "四川省教育厅", "region": "四川省", "public_key": sm2_public_key_to_pem(key.public_key).decode(), "trust_level": "B", **extra}
    r = await admin.post("/api/v1/licences/trusted-issuers", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return admin, headers, r.json()


async def test_trust_list_management_is_the_security_administrators_and_audited(platform, new_client, make_staff, sichuan_key):
    approver = await new_client()
    await login_staff(approver, await make_staff(["approver"], CHENGGUAN_MARKET))
    r = await approver.post("/api/v1/licences/trusted-issuers", json={}, headers=await csrf_headers(approver))
    assert r.status_code == 403
    admin, headers, added = await _trust_sichuan(new_client, make_staff, sichuan_key, uscc=SICHUAN_HEALTH)
    assert added["key_id"] == sm3_hex(sichuan_key.public_key)
    assert added["trust_level"] == "B"
    again = await admin.post(
        "/api/v1/licences/trusted-issuers",
        json={"uscc": SICHUAN_HEALTH, "name": "四川省教育厅", "region": "四川省", "public_key": public_key_multibase(sichuan_key.public_key)},
        headers=headers,
    )
    assert again.status_code == 409
    bad = await admin.post(
        "/api/v1/licences/trusted-issuers",
        json={"uscc": SICHUAN_EDUCATION, "name": "四川省教育厅", "region": "四川省", "public_key": "04" + "00" * 64},
        headers=headers,
    )
    assert bad.json()["code"] == "public_key_invalid"
    listed = (await admin.get("/api/v1/licences/trusted-issuers")).json()
    assert SICHUAN_HEALTH in [i["uscc"] for i in listed]
    from sqlalchemy import select

    from longgov.security.audit.models import AuditEvent

    async with platform.db.transaction() as session:
        tags = set((await session.execute(select(AuditEvent.tag).where(AuditEvent.tag.like("licences:trust:%")))).scalars())
    assert {"licences:trust:add", "licences:trust:list"} <= tags


async def test_external_licence_is_imported_verified_presented_and_verified_offline(platform, client, new_client, make_staff, make_person, sichuan_key):
    person = await make_person("620102", name="王外省")
    claims = _teacher_claims(person)
    document = trust.external_document(claims, private_key=sichuan_key.private_key, key_id=sm3_hex(sichuan_key.public_key))
    holder = await new_client()
    await login_person(holder, platform, person)
    headers = await csrf_headers(holder)
    # Before Sichuan is trusted, the document is refused with the reason.
    r = await holder.post("/api/v1/licences/external", content=json.dumps(document).encode(), headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_issuer"
    assert (await client.post("/api/v1/licences/verify", content=json.dumps(document).encode())).json()["code"] == "unknown_issuer"

    admin, admin_headers, added = await _trust_sichuan(new_client, make_staff, sichuan_key)
    tampered = copy.deepcopy(document)
    tampered["licence"]["data"]["subject"] = "物理"
    r = await holder.post("/api/v1/licences/external", content=json.dumps(tampered).encode(), headers=headers)
    assert r.json()["code"] == "signature_invalid"
    r = await holder.post("/api/v1/licences/external", content=json.dumps(document).encode(), headers=headers)
    assert r.status_code == 200, r.text
    imported = r.json()
    assert imported["created"] is True
    licence = imported["licence"]
    assert licence["source"] == "external"
    assert licence["trust_level"] == "B"  # capped by the level granted to the issuer
    again = await holder.post("/api/v1/licences/external", content=json.dumps(document).encode(), headers=headers)
    assert again.json()["created"] is False
    wallet = await holder.get("/citizen/licences")
    assert "外省签发" in wallet.text
    # Someone else cannot import it as theirs.
    other = await new_client()
    await login_person(other, platform, await make_person())
    r = await other.post("/api/v1/licences/external", content=json.dumps(document).encode(), headers=await csrf_headers(other))
    assert r.status_code == 403
    # The sealed document verifies here, through the external trust list.
    assert (await client.post("/api/v1/licences/verify", content=json.dumps(document).encode())).json()["code"] == "valid"

    r = await holder.post(f"/api/v1/licences/{licence['id']}/presentations", json={"purpose": "应聘教师岗位", "fields": ["data.subject"]}, headers=headers)
    assert r.status_code == 201, r.text
    presented = r.json()["document"]
    assert presented["presentation"]["manifest"]["seal"]["attestedBy"] == "platform"
    online = (await client.post("/api/v1/licences/verify", content=json.dumps(presented).encode())).json()
    assert (online["valid"], online["external"], online["trust_level"]) == (True, True, "B")

    trust_list = (await client.get("/api/v1/licences/trust-list")).json()
    status_list = (await client.get("/api/v1/licences/status-list")).json()
    origins = {(e["uscc"], e["origin"]) for e in trust_list["list"]["entries"]}
    assert (SICHUAN_EDUCATION, "external") in origins
    pinned = platform.keys.signing.public_key
    result = offline.verify_offline(presented, trust_list, status_list, platform_public_key=pinned)
    assert (result.valid, result.code) == (True, "valid"), result
    assert result.disclosed["data.subject"] == "数学"

    # Retiring the Sichuan key: imports and verifications through it stop.
    r = await admin.post(f"/api/v1/licences/trusted-issuers/{added['id']}/retire", json={"reason": "密钥轮换"}, headers=admin_headers)
    assert r.json()["active"] is False, r.text
    assert (await client.post("/api/v1/licences/verify", content=json.dumps(presented).encode())).json()["code"] == "unknown_issuer"


async def test_offline_verification_works_without_the_platform(platform, client, new_client, make_staff, business_licence):
    enterprise, view = await business_licence()
    holder = await new_client()
    await login_enterprise(holder, platform, enterprise)
    headers = await csrf_headers(holder)
    r = await holder.post(
        f"/api/v1/licences/{view.id}/presentations", json={"purpose": "签订租赁合同", "verifier": "91620102MA00000001", "expires_in": 1800}, headers=headers
    )
    presented = r.json()["document"]
    trust_list = (await client.get("/api/v1/licences/trust-list")).json()
    status_list = (await client.get("/api/v1/licences/status-list")).json()
    pinned = platform.keys.signing.public_key
    # Shut the platform out: the database is closed, the offline check needs nothing from it.
    await platform.db.dispose()
    try:
        ok = offline.verify_offline(json.dumps(presented), trust_list, status_list, platform_public_key=pinned, verifier="91620102MA00000001")
        assert (ok.valid, ok.code) == (True, "valid"), ok
        assert ok.as_dict()["disclosed"]["holder.name"] == enterprise.name
        assert offline.verify_offline(presented, trust_list, status_list, platform_public_key=pinned).code == "verifier_required"
        stranger = generate_sm2_keypair().public_key
        assert offline.verify_offline(presented, trust_list, status_list, platform_public_key=stranger).code == "trust_list_invalid"
        later = datetime.now(UTC) + timedelta(days=2)
        stale = offline.verify_offline(presented, trust_list, status_list, platform_public_key=pinned, verifier="91620102MA00000001", now=later)
        assert stale.code in {"status_list_stale", "presentation_expired"}
        assert offline.verify_offline(b"{oops", trust_list, status_list, platform_public_key=pinned).code == "malformed"
    finally:
        await platform.db.dispose()
    # After revocation the next status list makes the same presentation fail offline.
    staff = await new_client()
    await login_staff(staff, await make_staff(["approver"], CHENGGUAN_MARKET))
    await staff.post(f"/api/v1/licences/{view.id}/revoke", json={"reason": "依法吊销"}, headers=await csrf_headers(staff))
    fresh = (await client.get("/api/v1/licences/status-list")).json()
    revoked = offline.verify_offline(presented, trust_list, fresh, platform_public_key=pinned, verifier="91620102MA00000001")
    assert (revoked.valid, revoked.code) == (False, "revoked")
    tampered = copy.deepcopy(fresh)
    tampered["list"]["entries"] = []
    assert offline.verify_offline(presented, trust_list, tampered, platform_public_key=pinned, verifier="91620102MA00000001").code == "status_list_invalid"


async def test_trust_list_is_signed_and_lists_local_seals(platform, client, business_licence):
    _, view = await business_licence()
    document = (await client.get("/api/v1/licences/trust-list")).json()
    entries = {e["uscc"]: e for e in document["list"]["entries"]}
    assert entries[view.issuer_uscc]["origin"] == "local"
    keys = offline.read_trust_list(document, platform.keys.signing.public_key, datetime.now(UTC))
    assert not isinstance(keys, sealing.Problem)
    async with platform.db.transaction() as session:
        keys_online = await trust.trust_for_issuer(ServiceContext(session=session, platform=platform), view.issuer_uscc)
    assert set(keys_online) <= set(keys)
    document["list"]["entries"][0]["trustLevel"] = "A" if document["list"]["entries"][0]["trustLevel"] != "A" else "B"
    assert isinstance(offline.read_trust_list(document, platform.keys.signing.public_key, datetime.now(UTC)), sealing.Problem)
