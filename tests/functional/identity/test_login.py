"""Two-factor login, lockout, sessions and cookies."""

from datetime import timedelta

import pyotp
from sqlalchemy import select, update

from longgov.db import utcnow
from longgov.identity.models import Account, LoginSession
from tests.conftest import csrf_headers, login_enterprise, login_person, sms_code


async def test_person_logs_in_with_password_and_sms_code(client, platform, make_person):
    person = await make_person()
    headers = await csrf_headers(client)
    r = await client.post("/api/v1/auth/login", json={"portal": "person", "identifier": person.id_number, "password": person.password}, headers=headers)
    assert r.status_code == 200
    body = r.json()
    assert body["second_factor"] == "sms"
    assert body["phone_masked"] == person.phone[:3] + "****" + person.phone[-4:]
    assert "token" not in body
    cookie = r.headers["set-cookie"]
    assert "lg_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    pending_token = client.cookies["lg_session"]

    # A password-only session is not a login.
    assert (await client.get("/api/v1/auth/me")).status_code == 401

    r = await client.post("/api/v1/auth/verify", json={"code": await sms_code(platform, person.phone)}, headers=headers)
    assert r.status_code == 200, r.text
    assert client.cookies["lg_session"] != pending_token  # rotated: no session fixation
    me = (await client.get("/api/v1/auth/me")).json()
    assert me["kind"] == "person"
    assert me["roles"] == ["person"]
    assert me["display_name"] == person.name


async def test_lowercase_x_and_spaces_in_id_number_are_accepted(client, platform, make_person):
    person = await make_person()
    headers = await csrf_headers(client)
    r = await client.post(
        "/api/v1/auth/login", json={"portal": "person", "identifier": f" {person.id_number.lower()} ", "password": person.password}, headers=headers
    )
    assert r.status_code == 200


async def test_enterprise_logs_in(client, platform, make_enterprise):
    enterprise = await make_enterprise()
    await login_enterprise(client, platform, enterprise)
    me = (await client.get("/api/v1/auth/me")).json()
    assert me["kind"] == "enterprise"
    r = await client.get("/enterprise/me")
    assert enterprise.uscc in r.text


async def test_staff_logs_in_with_totp_and_replay_is_refused(client, new_client, make_staff):
    staff = await make_staff(["counter_staff"])
    headers = await csrf_headers(client)
    code = pyotp.TOTP(staff.totp_secret).now()
    await client.post("/api/v1/auth/login", json={"portal": "staff", "identifier": staff.username, "password": staff.password}, headers=headers)
    assert (await client.post("/api/v1/auth/verify", json={"code": code}, headers=headers)).status_code == 200
    me = (await client.get("/api/v1/auth/me")).json()
    assert me["kind"] == "staff"
    assert me["organisation"] == "兰州市市场监督管理局"
    assert me["scope_division"] == "620100"

    # The same TOTP code cannot be used twice.
    other = await new_client()
    headers = await csrf_headers(other)
    r = await other.post("/api/v1/auth/login", json={"portal": "staff", "identifier": staff.username, "password": staff.password}, headers=headers)
    assert r.json()["second_factor"] == "totp"
    # Replaying the code already used (even if the 30-second step has moved on since).
    r = await other.post("/api/v1/auth/verify", json={"code": code}, headers=headers)
    assert r.status_code == 401
    assert r.json()["code"] == "authentication_failed"


async def test_wrong_password_is_a_chinese_401_that_counts(client, platform, make_person):
    person = await make_person()
    headers = await csrf_headers(client)
    r = await client.post("/api/v1/auth/login", json={"portal": "person", "identifier": person.id_number, "password": "wrong-password-1"}, headers=headers)
    assert r.status_code == 401
    body = r.json()
    assert body["code"] == "authentication_failed"
    assert "账号或密码错误" in body["message"]
    assert body["details"]["attempts_left"] == 4


async def test_unknown_account_gives_the_same_answer(client):
    headers = await csrf_headers(client)
    r = await client.post("/api/v1/auth/login", json={"portal": "staff", "identifier": "nobody_here", "password": "x"}, headers=headers)
    assert r.status_code == 401
    assert "账号或密码错误" in r.json()["message"]


async def test_five_failures_lock_the_account_for_fifteen_minutes(client, platform, make_person):
    person = await make_person()
    headers = await csrf_headers(client)
    statuses = []
    for _ in range(5):
        r = await client.post("/api/v1/auth/login", json={"portal": "person", "identifier": person.id_number, "password": "nope-nope-1"}, headers=headers)
        statuses.append(r.status_code)
    assert statuses == [401, 401, 401, 401, 429]
    assert r.json()["code"] == "account_locked"
    assert "锁定" in r.json()["message"]

    # Even the right password is refused while locked.
    r = await client.post("/api/v1/auth/login", json={"portal": "person", "identifier": person.id_number, "password": person.password}, headers=headers)
    assert r.status_code == 429

    async with platform.db.transaction() as session:
        account = (await session.execute(select(Account).where(Account.person_id == person.id))).scalar_one()
        remaining = account.locked_until - utcnow()
        assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
        # After the lock expires the right password works again.
        account.locked_until = utcnow() - timedelta(seconds=1)
    await login_person(client, platform, person)


async def test_wrong_sms_codes_count_towards_the_lock(client, platform, make_person):
    person = await make_person()
    headers = await csrf_headers(client)
    await client.post("/api/v1/auth/login", json={"portal": "person", "identifier": person.id_number, "password": person.password}, headers=headers)
    real = await sms_code(platform, person.phone)
    wrong = f"{(int(real) + 1) % 1_000_000:06d}"
    codes = [(await client.post("/api/v1/auth/verify", json={"code": wrong}, headers=headers)).status_code for _ in range(5)]
    assert codes[-1] == 429
    # The right code no longer helps once locked.
    assert (await client.post("/api/v1/auth/verify", json={"code": real}, headers=headers)).status_code in {401, 429}


async def test_idle_session_expires(client, platform, make_person):
    person = await make_person()
    await login_person(client, platform, person)
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    async with platform.db.transaction() as session:
        account = (await session.execute(select(Account).where(Account.person_id == person.id))).scalar_one()
        idle = timedelta(seconds=platform.settings.session_idle_seconds + 1)
        await session.execute(update(LoginSession).where(LoginSession.account_id == account.id).values(last_seen_at=utcnow() - idle))
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_logout_revokes_the_session(client, platform, make_person):
    person = await make_person()
    await login_person(client, platform, person)
    token = client.cookies["lg_session"]
    r = await client.post("/api/v1/auth/logout", headers=await csrf_headers(client))
    assert r.status_code == 200
    client.cookies.set("lg_session", token)  # replaying the old cookie does not work
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_second_factor_without_pending_login_is_refused(client):
    r = await client.post("/api/v1/auth/verify", json={"code": "123456"}, headers=await csrf_headers(client))
    assert r.status_code == 401
    assert r.json()["code"] == "login_expired"


async def test_page_login_flow_and_wrong_password_message(client, platform, make_person):
    person = await make_person()
    headers = await csrf_headers(client)
    token = headers["x-csrftoken"]
    r = await client.post("/login/person", data={"identifier": person.id_number, "password": "bad-password-1", "_csrf_token": token})
    assert r.status_code == 401
    assert "账号或密码错误" in r.text
    r = await client.post("/login/person", data={"identifier": person.id_number, "password": person.password, "_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login/verify")
    page = await client.get("/login/verify")
    assert person.phone[-4:] in page.text
    r = await client.post("/login/verify", data={"code": await sms_code(platform, person.phone), "_csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/citizen/me"
    me = await client.get("/citizen/me")
    assert me.status_code == 200
    assert person.id_number[:4] + "**********" + person.id_number[-4:] in me.text
    assert person.id_number not in me.text


async def test_security_admin_grants_roles_on_the_page(client, platform, make_staff):
    from sqlalchemy import select as sa_select

    from longgov.identity.models import StaffRole
    from tests.conftest import login_staff

    security = await make_staff(["security_admin"], "620000-data")
    window = await make_staff(["counter_staff"])
    sysadmin = await make_staff(["system_admin"], "620000-data")
    await login_staff(client, security)
    token = client.cookies["lg_csrf"]
    page = await client.get("/admin/security")
    assert "<title>账号安全" in page.text
    assert "<h2>工作人员角色</h2>" in page.text
    assert f'action="/admin/security/roles/{window.account_id}"' in page.text
    r = await client.post(f"/admin/security/roles/{window.account_id}", data={"role": "approver", "_csrf_token": token})
    assert r.status_code == 200
    assert "已授予角色：审批人员" in r.text
    r = await client.post(f"/admin/security/roles/{sysadmin.account_id}", data={"role": "audit_admin", "_csrf_token": token})
    assert r.status_code == 409
    assert "三权分立" in r.text
    async with platform.db.transaction() as session:
        roles = set((await session.execute(sa_select(StaffRole.role).where(StaffRole.account_id == window.account_id))).scalars())
        admin_roles = set((await session.execute(sa_select(StaffRole.role).where(StaffRole.account_id == sysadmin.account_id))).scalars())
    assert roles == {"counter_staff", "approver"}
    assert admin_roles == {"system_admin"}
