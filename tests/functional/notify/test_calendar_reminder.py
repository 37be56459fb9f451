"""The missing-year job: system administrators are told once per year in 我的消息."""

from datetime import date

import pytest
from sqlalchemy import delete, select

from longgov.jobs.runner import run_job
from longgov.notify.models import Message
from longgov.timelimits import services as timelimits
from longgov.timelimits.models import CalendarAlert
from longgov.timelimits.module import module as timelimits_module

JOB = next(j for j in timelimits_module.jobs if j.name == "timelimits.missing-year-reminder")


async def _messages(platform, account_id):
    async with platform.db.transaction() as session:
        return (await session.execute(select(Message).where(Message.recipient_account_id == account_id).order_by(Message.title))).scalars().all()


@pytest.fixture
async def far_future(platform, monkeypatch):
    """Pretend it is late 2098: neither 2098 nor 2099 is loaded; remove the alerts afterwards (shared database)."""
    monkeypatch.setattr(timelimits, "china_today", lambda *_: date(2098, 11, 30))
    yield
    async with platform.db.transaction() as session:
        await session.execute(delete(CalendarAlert).where(CalendarAlert.year.in_([2097, 2098, 2099])))


async def test_admins_are_told_once_per_missing_year(platform, make_staff, far_future):
    admin = await make_staff(["system_admin"], "620000-data")
    leader = await make_staff(["department_leader"])
    outcome = await run_job(platform, JOB, force=True)
    assert outcome.status == "ok", outcome.result
    assert "2098" in outcome.result
    assert "2099" in outcome.result
    async with platform.db.transaction() as session:
        alerts = set((await session.execute(select(CalendarAlert.year).where(CalendarAlert.status == "open"))).scalars())
    assert {2098, 2099} <= alerts
    mine = [m for m in await _messages(platform, admin.account_id) if m.title in {"请录入2098年节假日安排", "请录入2099年节假日安排"}]
    assert [(m.title, m.category, m.link) for m in mine] == [
        ("请录入2098年节假日安排", "calendar", "/admin/calendar"),
        ("请录入2099年节假日安排", "calendar", "/admin/calendar"),
    ]
    assert "2099年节假日安排尚未录入，期限为临时计算" in mine[1].body
    assert await _messages(platform, leader.account_id) == []

    # Every later run (every six hours) finds the alerts still open and tells nobody again.
    await run_job(platform, JOB, force=True)
    assert len([m for m in await _messages(platform, admin.account_id) if "209" in m.title]) == 2


async def test_next_year_is_not_chased_before_the_configured_month(platform, make_staff, monkeypatch, far_future):
    monkeypatch.setattr(timelimits, "china_today", lambda *_: date(2026, 3, 1))
    await run_job(platform, JOB, force=True)
    async with platform.db.transaction() as session:
        assert (await session.execute(select(CalendarAlert.id).where(CalendarAlert.open_year == 2027))).first() is None
