"""Holiday notices end to end: seeding, missing-year alerts, publishing versions, subscribers, pages."""

from datetime import date

import pytest
from sqlalchemy import func, select

from longgov.platform import ServiceContext
from longgov.security.audit.models import AuditEvent
from longgov.timelimits import services
from longgov.timelimits.models import CalendarAlert, HolidayNotice
from tests.conftest import csrf_headers, login_staff

NOTICE_2027 = """# 国务院办公厅关于2027年部分节假日安排的通知（测试数据）
2027-01-01 元旦 放假
2027-02-06 至 2027-02-12 春节 放假
2027-02-14 春节 上班
"""


@pytest.fixture(scope="module")
async def seeded(platform):
    async with platform.db.transaction() as session:
        await services.seed_reference_calendar(ServiceContext(session=session, platform=platform))
    return platform


@pytest.fixture
async def admin_client(new_client, make_staff):
    c = await new_client()
    await login_staff(c, await make_staff(["system_admin"], "620000-data"))
    return c


async def _count(platform, stmt):
    async with platform.db.transaction() as session:
        return (await session.execute(stmt)).scalar_one()


async def test_reference_seed_is_idempotent_and_matches_known_years(seeded):
    platform = seeded
    async with platform.db.transaction() as session:
        assert await services.seed_reference_calendar(ServiceContext(session=session, platform=platform)) == 0
        calendar = await services.working_calendar(session)
        notice = (await session.execute(select(HolidayNotice).where(HolidayNotice.active_year == 2024))).scalar_one()
    assert notice.source == "chinese-calendar 1.11"
    assert set(range(2004, 2027)) <= calendar.covered_years
    assert calendar.add_working_days(date(2024, 9, 30), 5).date == date(2024, 10, 12)
    assert not calendar.is_working_day(date(2025, 1, 28))
    assert calendar.is_working_day(date(2025, 2, 8))


async def test_missing_2027_is_provisional_alerts_once_then_a_notice_fixes_it(seeded, admin_client):  # noqa: PLR0915 - one story, told in order
    platform = seeded
    tag_count = select(func.count()).select_from(AuditEvent).where(AuditEvent.tag == "timelimits:calendar:missing-year", AuditEvent.subject_id == "2027")
    audits_before = await _count(platform, tag_count)
    for _ in range(3):
        async with platform.db.transaction() as session:
            deadline = await services.deadline_for(ServiceContext(session=session, platform=platform), date(2026, 12, 25), 10)
        assert deadline.provisional
        assert deadline.missing_years == (2027,)
        assert deadline.date == date(2027, 1, 8)  # weekends only: 2027-01-01 (Friday) counted
    assert await _count(platform, select(func.count()).select_from(CalendarAlert).where(CalendarAlert.open_year == 2027)) == 1
    assert await _count(platform, tag_count) == audits_before + 1

    r = await admin_client.get("/admin/calendar?year=2027")
    assert r.status_code == 200
    assert "2027年节假日安排尚未录入，期限为临时计算" in r.text

    seen = []

    async def subscriber(event):
        # Runs after commit: a fresh transaction already sees the new notice.
        async with event.platform.db.transaction() as session:
            active = (await session.execute(select(HolidayNotice.version).where(HolidayNotice.active_year == event.year))).scalar_one()
        seen.append((event.year, event.years, active))

    unsubscribe = services.on_calendar_changed(subscriber)
    try:
        headers = await csrf_headers(admin_client)
        body = {
            "year": 2027,
            "title": "国务院办公厅关于2027年部分节假日安排的通知",
            "document_number": "国办发明电〔2026〕1号",
            "published_on": "2026-11-10",
            "text": NOTICE_2027,
        }
        r = await admin_client.post("/api/v1/timelimits/notices", json=body, headers=headers)
        assert r.status_code == 201, r.text
        first = r.json()
        assert (first["version"], first["status"], first["holidays"], first["adjusted_workdays"]) == (1, "active", 8, 1)
        assert seen == [(2027, (2027,), 1)]

        async with platform.db.transaction() as session:
            deadline = await services.deadline_for(ServiceContext(session=session, platform=platform), date(2026, 12, 25), 10)
        assert not deadline.provisional
        assert deadline.date == date(2027, 1, 11)  # 2027-01-01 is now a holiday
        assert await _count(platform, select(func.count()).select_from(CalendarAlert).where(CalendarAlert.open_year == 2027)) == 0
        resolved = await _count(platform, select(CalendarAlert.status).where(CalendarAlert.year == 2027))
        assert resolved == "resolved"

        body["document_number"] = "国办发明电〔2026〕2号"
        body["text"] = NOTICE_2027.replace("2027-02-14 春节 上班", "2027-02-14 春节 上班\n2027-02-20 春节 上班")
        r = await admin_client.post("/api/v1/timelimits/notices", json=body, headers=headers)
        assert r.status_code == 201, r.text
        assert r.json()["version"] == 2
        assert seen[-1] == (2027, (2027,), 2)
    finally:
        unsubscribe()

    r = await admin_client.get("/api/v1/timelimits/notices?year=2027")
    assert [(n["version"], n["status"]) for n in r.json()] == [(2, "active"), (1, "superseded")]
    r = await admin_client.get("/api/v1/timelimits/notices/active?year=2027")
    assert {d["date"] for d in r.json()["days"] if d["kind"] == "adjusted_workday"} == {"2027-02-14", "2027-02-20"}
    async with platform.db.transaction() as session:
        event = (
            await session.execute(select(AuditEvent).where(AuditEvent.tag == "timelimits:notice:publish").order_by(AuditEvent.seq.desc()).limit(1))
        ).scalar_one()
        calendar = await services.working_calendar(session)
    assert event.details["year"] == 2027
    assert event.details["version"] == 2
    assert event.details["superseded_version"] == 1
    assert event.actor_name == "测试人员"
    assert calendar.is_working_day(date(2027, 2, 20))
    assert not calendar.is_working_day(date(2027, 2, 8))
    r = await admin_client.get("/api/v1/timelimits/alerts")
    assert all(a["year"] != 2027 for a in r.json())


async def test_invalid_lines_are_refused_line_by_line_and_nothing_is_stored(seeded, admin_client):
    headers = await csrf_headers(admin_client)
    lines_in = [
        "2028-01-03 元旦 放假",  # fine
        "2028-02-30 春节 放假",  # no such date
        "2028-03-06 春节 上班",  # a Monday
        "2029-05-01 劳动节 放假",  # another year
        "2028-01-03 元旦 放假",  # duplicate
        "随便写点什么",  # unreadable
    ]
    text = "\n".join(lines_in)
    body = {"year": 2028, "title": "国务院办公厅关于2028年部分节假日安排的通知", "text": text}
    r = await admin_client.post("/api/v1/timelimits/notices", json=body, headers=headers)
    assert r.status_code == 422, r.text
    payload = r.json()
    assert payload["code"] == "invalid_notice"
    lines: dict[int, str] = {}
    for e in payload["details"]["lines"]:
        lines[e["line"]] = lines.get(e["line"], "") + e["message"]
    assert set(lines) == {2, 3, 4, 5, 6}
    assert "日期无效" in lines[2]
    assert "周六或周日" in lines[3]
    assert "不在2028年内" in lines[4]
    assert "重复" in lines[5]
    assert "无法识别" in lines[6]
    assert await _count(seeded, select(func.count()).select_from(HolidayNotice).where(HolidayNotice.year == 2028)) == 0

    r = await admin_client.post("/api/v1/timelimits/notices", json={"year": 2028, "title": "测试通知标题", "days": []}, headers=headers)
    assert r.status_code == 422
    r = await admin_client.post("/api/v1/timelimits/notices", json={}, headers=headers)
    assert r.status_code == 422


async def test_admin_page_form_publishes_and_shows_errors(seeded, admin_client):
    headers = await csrf_headers(admin_client)
    form = {"year": "2030", "title": "国务院办公厅关于2030年部分节假日安排的通知", "document_number": "", "published_on": "", "text": "2030-10-01 国庆节 上班"}
    r = await admin_client.post("/admin/calendar", data=form, headers=headers)
    assert r.status_code == 422
    assert "调休上班日 2030-10-01 是周二" in r.text
    assert "没有放假安排" in r.text
    form["text"] = "2030-10-01 至 2030-10-07 国庆节 放假\n2030-09-29 国庆节 上班"
    r = await admin_client.post("/admin/calendar", data=form, headers=headers, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/admin/calendar?year=2030&published=1"
    r = await admin_client.get(r.headers["location"])
    assert "已录入 2030 年节假日安排（第1版）" in r.text
    assert "2030-10-07" in r.text
    assert "节假日安排" in r.text


async def test_counter_staff_may_compute_but_not_manage(seeded, new_client, make_staff):
    c = await new_client()
    await login_staff(c, await make_staff(["counter_staff"]))
    headers = {**(await csrf_headers(c)), "accept": "application/json"}
    r = await c.post("/api/v1/timelimits/deadlines", json={"start": "2024-09-30", "working_days": 5}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["deadline"] == "2024-10-12"
    assert r.json()["provisional"] is False
    r = await c.post("/api/v1/timelimits/deadlines", json={"start": "2024-03-01", "working_days": 5, "pauses": [["2024-03-05", "2024-03-07"]]}, headers=headers)
    assert r.json()["deadline"] == "2024-03-12"
    r = await c.post("/api/v1/timelimits/notices", json={"year": 2031, "title": "测试通知标题", "text": "2031-10-01 国庆节 放假"}, headers=headers)
    assert r.status_code == 403
    r = await c.get("/admin/calendar", headers=headers)
    assert r.status_code == 403
