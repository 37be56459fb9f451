"""Helpers of the workbench tests: submitted applications, staff clients, the stored task rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from longgov.applications.models import Application, ApplicationTask
from longgov.security.audit.models import AuditEvent
from tests.conftest import StaffFixture, csrf_headers, login_person, login_staff
from tests.functional.applications.conftest import FOOD, GOOD_FOOD_FORM, item_code, upload_all

CHENGGUAN_MARKET = "620102-market_regulation"
INBOX = "/api/v1/applications/workbench/inbox"


@dataclass
class Staff:
    client: httpx.AsyncClient
    headers: dict[str, str]
    fixture: StaffFixture

    @property
    def account_id(self) -> str:
        return str(self.fixture.account_id)


async def applicant(client: httpx.AsyncClient, platform: Any, make_person: Any) -> dict[str, str]:
    """Log a new person in on ``client``; the JSON headers to use."""
    await login_person(client, platform, await make_person())
    return {**(await csrf_headers(client)), "accept": "application/json"}


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str], platform: Any, basic_code: str = FOOD, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Create, fill and submit one application; its JSON view."""
    body = {"item_code": await item_code(platform, basic_code), "form": form if form is not None else GOOD_FOOD_FORM}
    r = await client.post("/api/v1/applications", json=body, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    await upload_all(client, headers, draft)
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def staff(new_client: Any, make_staff: Any, roles: list[str], organisation: str = CHENGGUAN_MARKET) -> Staff:
    c = await new_client()
    fixture = await make_staff(roles, organisation)
    await login_staff(c, fixture)
    return Staff(c, {**(await csrf_headers(c)), "accept": "application/json"}, fixture)


async def act(s: Staff, application_id: str, **body: Any) -> httpx.Response:
    return await s.client.post(f"/api/v1/applications/workbench/{application_id}/act", json={"opinion": "同意", **body}, headers=s.headers)


async def post(s: Staff, path: str, **body: Any) -> httpx.Response:
    return await s.client.post(f"/api/v1/applications/workbench/{path}", json=body, headers=s.headers)


async def whole_inbox(s: Staff, *, claim: str = "all", size: int = 100) -> list[dict[str, Any]]:
    """Every entry of the staff member's inbox, page by page."""
    entries: list[dict[str, Any]] = []
    page = 1
    while True:
        r = await s.client.get(INBOX, params={"page": page, "size": size, "claim": claim}, headers=s.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        entries.extend(body["items"])
        if page >= body["pages"]:
            return entries
        page += 1


async def task_rows(platform: Any, application_id: str) -> list[ApplicationTask]:
    async with platform.db.transaction() as session:
        rows = await session.execute(
            select(ApplicationTask).where(ApplicationTask.application_id == uuid.UUID(application_id)).order_by(ApplicationTask.task_name, ApplicationTask.role)
        )
        return list(rows.scalars())


async def stored(platform: Any, application_id: str) -> Application:
    async with platform.db.transaction() as session:
        return (await session.execute(select(Application).where(Application.id == uuid.UUID(application_id)))).scalar_one()


async def audits(platform: Any, tag: str, subject: str | None = None) -> list[AuditEvent]:
    async with platform.db.transaction() as session:
        query = select(AuditEvent).where(AuditEvent.tag == tag).order_by(AuditEvent.seq)
        if subject is not None:
            query = query.where(AuditEvent.subject_id == subject)
        return list((await session.execute(query)).scalars())
