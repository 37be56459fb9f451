"""Permission matrix: every declared route × every role; only roles holding the permission get through."""

import re
import uuid

import pytest
from litestar.handlers import HTTPRouteHandler

from longgov.security.permissions import ROLE_PERMISSIONS, Role
from longgov.security.policy import route_access
from tests.conftest import csrf_headers, login_enterprise, login_person, login_staff

STAFF_ORG = {
    Role.SystemAdmin: "620000-data",
    Role.SecurityAdmin: "620000-data",
    Role.AuditAdmin: "620000-data",
}


def _protected_routes(app):
    """(method, concrete path, permission) for every route guarded by a permission."""
    routes = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            kind, permission = route_access(handler)
            if kind != "permission":
                continue
            path = route.path.replace("{person_id:uuid}", str(uuid.uuid4())).replace("{account_id:uuid}", str(uuid.uuid4()))
            path = re.sub(r"\{\w+:int\}", "0", path)
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                routes.append((method, path, str(permission)))
    return sorted(set(routes))


@pytest.fixture(scope="module")
def role_clients():
    return {}


async def _client_for(role, new_client, platform, make_person, make_enterprise, make_staff):
    c = await new_client()
    if role is Role.Person:
        await login_person(c, platform, await make_person())
    elif role is Role.Enterprise:
        await login_enterprise(c, platform, await make_enterprise())
    else:
        await login_staff(c, await make_staff([str(role)], STAFF_ORG.get(role, "620100-market_regulation")))
    return c


async def test_every_protected_route_admits_exactly_the_roles_holding_its_permission(app, new_client, platform, make_person, make_enterprise, make_staff):
    routes = _protected_routes(app)
    assert len(routes) >= 15, routes
    anonymous = await new_client()
    anon_headers = await csrf_headers(anonymous)
    failures = []
    for method, path, _permission in routes:
        r = await anonymous.request(method, path, headers={**anon_headers, "accept": "application/json"}, json={} if method == "POST" else None)
        if r.status_code != 401:
            failures.append(("anonymous", method, path, r.status_code))
    for role in Role:
        c = await _client_for(role, new_client, platform, make_person, make_enterprise, make_staff)
        headers = {**(await csrf_headers(c)), "accept": "application/json"}
        granted = {str(p) for p in ROLE_PERMISSIONS[role]}
        for method, path, permission in routes:
            r = await c.request(method, path, headers=headers, json={} if method == "POST" else None)
            allowed = permission in granted
            if allowed and r.status_code in {401, 403}:
                failures.append((str(role), method, path, r.status_code, "should be allowed"))
            if not allowed and r.status_code != 403:
                failures.append((str(role), method, path, r.status_code, "should be 403"))
            if r.status_code >= 500:
                failures.append((str(role), method, path, r.status_code, r.text[:200]))
    assert not failures, failures


async def test_denials_are_audited(client, platform, make_person):
    from sqlalchemy import select

    from longgov.security.audit.models import AuditEvent

    person = await make_person()
    await login_person(client, platform, person)
    r = await client.get("/api/v1/audit/events", headers={"accept": "application/json"})
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"
    assert r.json()["message"] == "您没有执行此操作的权限"
    async with platform.db.transaction() as session:
        row = (
            await session.execute(select(AuditEvent).where(AuditEvent.tag == "security:access:denied").order_by(AuditEvent.seq.desc()).limit(1))
        ).scalar_one()
    assert row.subject_id == "GET /api/v1/audit/events"
    assert row.result == "denied"
    assert row.actor_name == person.name


async def test_anonymous_page_request_redirects_to_the_portal_login(client):
    r = await client.get("/workbench", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login/staff?next=/workbench"
    r = await client.get("/citizen/me", follow_redirects=False)
    assert r.headers["location"].startswith("/login/person")
