"""Bad input: clear 4xx with {"code", "message" (Chinese), "details"}; nothing half-written."""

from sqlalchemy import func, select

from longgov.identity.models import Account, StaffRole
from tests.conftest import csrf_headers, login_staff


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_malformed_json_is_400(client):
    r = await client.post("/api/v1/auth/login", content=b'{"portal": "person", ', headers={**(await csrf_headers(client)), "content-type": "application/json"})
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "malformed_json"
    assert _is_chinese(body["message"])


async def test_unknown_fields_are_422_with_field_details(client):
    r = await client.post(
        "/api/v1/auth/login", json={"portal": "person", "identifier": "x", "password": "y", "is_admin": True}, headers=await csrf_headers(client)
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_failed"
    assert any(d["field"] == "is_admin" and d["message"] == "不允许的字段" for d in body["details"])


async def test_missing_and_wrong_values_are_422(client):
    r = await client.post("/api/v1/auth/login", json={"portal": "martian", "identifier": "x"}, headers=await csrf_headers(client))
    assert r.status_code == 422
    fields = {d["field"] for d in r.json()["details"]}
    assert {"portal", "password"} <= fields


async def test_oversized_body_is_413(client):
    big = b'{"portal": "person", "identifier": "' + b"1" * (1024 * 1024 + 10) + b'", "password": "x"}'
    r = await client.post("/api/v1/auth/login", content=big, headers={**(await csrf_headers(client)), "content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"
    assert _is_chinese(r.json()["message"])


async def test_wrong_content_type_is_a_4xx(client):
    r = await client.post("/api/v1/auth/login", content=b"portal=person", headers={**(await csrf_headers(client)), "content-type": "text/plain"})
    assert r.status_code == 415
    assert r.json()["code"] == "unsupported_media_type"
    assert _is_chinese(r.json()["message"])


async def test_huge_integers_in_query_are_4xx_not_500(client, make_staff):
    staff = await make_staff(["counter_staff"])
    await login_staff(client, staff)
    for value in ("99999999999999999999999999", "-1", "abc"):
        r = await client.get("/api/v1/identity/persons", params={"offset": value})
        assert r.status_code in {400, 422}, (value, r.text)


async def test_validate_endpoint_answers_in_chinese(client):
    r = await client.get("/api/v1/identity/validate", params={"kind": "uscc", "value": "91110000802100433X"})
    assert r.status_code == 200
    assert r.json()["valid"] is False
    assert "校验码" in r.json()["message"]
    r = await client.get("/api/v1/identity/validate", params={"kind": "division", "value": "620102"})
    assert r.json() == {"valid": True, "message": "甘肃省兰州市城关区"}
    licence_id = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"
    r = await client.get("/api/v1/identity/validate", params={"kind": "licence_id", "value": licence_id})
    assert r.json() == {"valid": True, "message": "电子证照标识校验通过"}
    r = await client.get("/api/v1/identity/validate", params={"kind": "licence_id", "value": licence_id[:-1] + "E"})
    assert r.json() == {"valid": False, "message": "校验位错误，应为F"}
    r = await client.get("/api/v1/identity/validate", params={"kind": "nonsense", "value": "1"})
    assert r.status_code == 422


async def test_unknown_page_is_a_friendly_chinese_404(client):
    r = await client.get("/no/such/page")
    assert r.status_code == 404
    assert "页面不存在" in r.text
    r = await client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


async def test_refused_staff_creation_writes_nothing(client, platform, make_staff):
    admin = await make_staff(["system_admin"], "620000-data")
    await login_staff(client, admin)
    async with platform.db.transaction() as session:
        before = (await session.execute(select(func.count()).select_from(Account))).scalar_one()
    payload = {
        "username": "two_hats",
        "display_name": "两顶帽子",
        "organisation_code": "620000-data",
        "roles": ["system_admin", "security_admin"],
        "password": "Long-enough-1",
    }
    r = await client.post("/api/v1/identity/staff", json=payload, headers=await csrf_headers(client))
    assert r.status_code == 409
    assert r.json()["code"] == "admin_roles_not_separated"
    payload["roles"] = ["counter_staff"]
    payload["organisation_code"] = "999999-nowhere"
    r = await client.post("/api/v1/identity/staff", json=payload, headers=await csrf_headers(client))
    assert r.status_code == 404
    async with platform.db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(Account))).scalar_one() == before


async def test_admin_role_separation_holds_for_grants_and_in_the_database(client, platform, make_staff):
    import pytest
    from sqlalchemy.exc import IntegrityError

    security = await make_staff(["security_admin"], "620000-data")
    target = await make_staff(["system_admin"], "620000-data")
    await login_staff(client, security)
    headers = await csrf_headers(client)
    r = await client.post(f"/api/v1/identity/accounts/{target.account_id}/roles", json={"role": "audit_admin"}, headers=headers)
    assert r.status_code == 409
    r = await client.post(f"/api/v1/identity/accounts/{target.account_id}/roles", json={"role": "approver"}, headers=headers)
    assert r.status_code == 200
    # Even bypassing the service, the database refuses a second admin duty.
    with pytest.raises(IntegrityError):
        async with platform.db.transaction() as session:
            session.add(StaffRole(account_id=target.account_id, role="security_admin", admin_duty="admin"))
