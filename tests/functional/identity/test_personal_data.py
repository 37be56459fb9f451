"""Personal data: encrypted at rest, masked by default, unmasking is a permission and an audit event."""

import logging

from sqlalchemy import select, text

from longgov.security.audit.models import AuditEvent
from tests.conftest import csrf_headers, login_person, login_staff


async def test_identifiers_are_not_stored_in_clear(platform, make_person):
    person = await make_person()
    async with platform.db.transaction() as session:
        row = (await session.execute(text("SELECT * FROM persons WHERE name = :n ORDER BY created_at DESC LIMIT 1"), {"n": person.name})).mappings().one()
    dump = repr(dict(row))
    assert person.id_number not in dump
    assert person.phone not in dump
    assert "测试路" not in dump
    assert row["id_number_masked"] == person.id_number[:4] + "*" * 10 + person.id_number[-4:]


async def test_staff_sees_masked_person_and_the_read_is_audited(client, platform, make_person, make_staff):
    person = await make_person("620102")
    staff = await make_staff(["counter_staff"], "620100-market_regulation")
    await login_staff(client, staff)
    r = await client.get(f"/api/v1/identity/persons/{person.id}")
    assert r.status_code == 200
    body = r.json()
    assert body["unmasked"] is False
    assert body["id_number"] == person.id_number[:4] + "**********" + person.id_number[-4:]
    assert body["phone"] == person.phone[:3] + "****" + person.phone[-4:]
    r = await client.get(f"/api/v1/identity/persons/{person.id}", params={"unmask": "true"})
    assert r.status_code == 403
    async with platform.db.transaction() as session:
        tags = (await session.execute(select(AuditEvent.tag, AuditEvent.result).where(AuditEvent.subject_id == str(person.id)).order_by(AuditEvent.seq))).all()
    assert ("identity:person:read", "success") in tags
    assert ("identity:person:unmask", "denied") in tags


async def test_leader_unmasks_with_audit(client, platform, make_person, make_staff):
    person = await make_person("620103")
    leader = await make_staff(["department_leader"], "620100-market_regulation")
    await login_staff(client, leader)
    r = await client.get(f"/api/v1/identity/persons/{person.id}", params={"unmask": "true"})
    assert r.status_code == 200
    assert r.json()["id_number"] == person.id_number
    assert r.json()["phone"] == person.phone
    async with platform.db.transaction() as session:
        event = (
            await session.execute(select(AuditEvent).where(AuditEvent.subject_id == str(person.id), AuditEvent.tag == "identity:person:unmask"))
        ).scalar_one()
    assert event.result == "success"
    assert event.actor_id == str(leader.account_id)
    assert event.organisation == "兰州市市场监督管理局"
    # The audit record itself never carries the identifier.
    assert person.id_number not in repr(event.details)


async def test_data_scope_hides_persons_of_other_regions(client, make_person, make_staff):
    outside = await make_person("620502")  # 天水市秦州区
    staff = await make_staff(["counter_staff"], "620100-market_regulation")  # 兰州市
    await login_staff(client, staff)
    r = await client.get(f"/api/v1/identity/persons/{outside.id}")
    assert r.status_code == 404
    listing = (await client.get("/api/v1/identity/persons", params={"limit": 200})).json()
    assert all(item["division_code"].startswith("6201") for item in listing["items"])


async def test_county_staff_see_only_their_county(client, make_person, make_staff):
    same_city_other_county = await make_person("620104")
    staff = await make_staff(["counter_staff"], "620102-market_regulation")  # 城关区
    await login_staff(client, staff)
    assert (await client.get(f"/api/v1/identity/persons/{same_city_other_county.id}")).status_code == 404


async def test_personal_data_never_reaches_the_logs(client, platform, make_person, make_staff, caplog):
    caplog.set_level(logging.DEBUG)
    person = await make_person()
    await login_person(client, platform, person)
    await client.get("/citizen/me")
    await client.get(f"/api/v1/identity/validate?kind=id_number&value={person.id_number}")
    await client.post("/api/v1/auth/login", json={"portal": "person", "identifier": person.id_number, "password": "bad"}, headers=await csrf_headers(client))
    leader = await make_staff(["department_leader"])
    await login_staff(client, leader)
    await client.get(f"/api/v1/identity/persons/{person.id}", params={"unmask": "true"})
    # The test's own HTTP client (httpx) logs the URLs it requests; everything server-side is checked.
    server_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    text_logged = "\n".join(r.getMessage() + " " + repr(r.args) for r in server_records)
    assert caplog.records, "expected access log lines"
    assert person.id_number not in text_logged
    assert person.phone not in text_logged


async def test_citizen_profile_is_masked(client, platform, make_person):
    person = await make_person()
    await login_person(client, platform, person)
    r = await client.get("/citizen/me")
    assert r.status_code == 200
    assert person.name in r.text
    assert person.id_number not in r.text
    assert person.phone not in r.text
    assert person.phone[-4:] in r.text
