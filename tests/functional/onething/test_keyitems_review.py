"""The routine review of the key-item list: a real bundle case run to completion is measured against the entry's targets; a
missed target flags the entry and tells the lead department's leaders once; nothing runs before it is due; missed periods
are caught up; the history stays."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from longgov.onething import keyitems, metrics
from longgov.onething.models import BundleCase
from longgov.onething.module import module
from longgov.platform import ServiceContext
from tests.functional.applications.workbench_support import staff
from tests.functional.onething.conftest import (
    FOOD,
    MARKET,
    REGISTRATION,
    SIGN,
    URBAN,
    act,
    audits,
    department,
    get_case,
    grant_promised,
    member,
    messages,
    person_client,
    submitted_case,
)


async def _completed_case(client, new_client, seeded, bundle, make_person, make_staff, *, backdate: bool = True) -> str:
    """A founder's case (registration, food licence, sign) completed through the departments; the food licence needed one 补正."""
    person, headers = await person_client(client, seeded, make_person)
    case = await submitted_case(client, headers, bundle, person)
    market = await department(new_client, make_staff, MARKET)
    urban = await department(new_client, make_staff, URBAN)
    await act(market["counter"], member(case, REGISTRATION)["application_id"], "handle_on_the_spot", "grant")
    case = await get_case(client, headers, case["id"])
    food, sign = member(case, FOOD)["application_id"], member(case, SIGN)["application_id"]
    await act(market["counter"], food, "pre_check", "request_correction", missing_items=["食品安全规章制度目录"])
    r = await client.post(f"/api/v1/applications/{food}/resubmit", json={"note": "已补正"}, headers=headers)
    assert r.status_code == 201, r.text
    await grant_promised(market, food)
    await grant_promised(urban, sign)
    case = await get_case(client, headers, case["id"])
    assert case["status"] == "completed"
    if not backdate:
        return str(case["number"])
    # As if submitted the day before the 2025 National Day holiday and completed the day after it.
    async with seeded.db.transaction() as session:
        await session.execute(
            update(BundleCase)
            .where(BundleCase.id == uuid.UUID(case["id"]))
            .values(submitted_at=datetime(2025, 9, 30, 2, tzinfo=UTC), completed_at=datetime(2025, 10, 9, 2, tzinfo=UTC))
        )
    return str(case["number"])


async def _review(platform, today: date, code: str) -> list:
    async with platform.db.transaction() as session:
        made = await keyitems.review_due(ServiceContext(session=session, platform=platform), today)
    return [r for r in made if r.bundle_code == code]


async def test_the_review_measures_completed_cases_flags_a_missed_target_and_tells_the_leaders_once(
    client, new_client, seeded, bundle, make_person, make_staff
):
    await _completed_case(client, new_client, seeded, bundle, make_person, make_staff)
    leader = await staff(new_client, make_staff, ["department_leader"], MARKET)
    elsewhere = await staff(new_client, make_staff, ["department_leader"], "620500-market_regulation")
    approver = await staff(new_client, make_staff, ["approver"], MARKET)
    body = {
        "bundle_code": bundle,
        "participating": ["城关区城市管理综合执法局"],
        "targets": {"days": 0, "materials": 7, "visits": 0, "steps": 6},
        "launched_on": "2025-09-01",
        "review_cycle": "monthly",
        "status": "launched",
        "responsible_person": "吴科长",
    }
    r = await leader.client.post("/api/v1/onething/key-items", json=body, headers=leader.headers)
    assert r.status_code == 201, r.text
    assert r.json()["next_review_on"] == "2025-10-01"

    # Not due yet: nothing happens.
    assert await _review(seeded, date(2025, 9, 30), bundle) == []
    # Due on 1 October for September (no case completed then) — caught up on 1 November together with October.
    made = await _review(seeded, date(2025, 11, 1), bundle)
    assert [(r.period_start, r.period_end, r.sample_size, r.outcome) for r in made] == [
        (date(2025, 9, 1), date(2025, 9, 30), 0, "no_data"),
        (date(2025, 10, 1), date(2025, 10, 31), 1, "missed"),
    ]
    october = {m.metric: m for m in made[1].metrics}
    # 30 Sep → 9 Oct: one working day (1–8 October are holidays), against a target of 0.
    assert (october["days"].median, october["days"].target, october["days"].result) == (1.0, 0, "missed")
    # Seven materials uploaded once each (the registration's, the food licence's three, the premises proof, the sign's two).
    assert (october["materials"].median, october["materials"].result) == (7.0, "met")
    assert (october["visits"].median, october["visits"].result) == (0.0, "met")
    # One submission, one resubmission after 补正, 当场办结 then 预审·审查·决定 of the food licence (the longest chain), one collection.
    assert (october["steps"].median, october["steps"].result) == (7.0, "missed")
    assert made[0].notified == 0  # an earlier period caught up alerts nobody
    assert made[1].notified >= 1

    notices = [m for m in await messages(seeded, leader.fixture.account_id) if m.title.startswith("重点事项未达标")]
    assert len(notices) == 1
    assert notices[0].link == f"/workbench/onething/key-items/{bundle}"
    assert "办理时间中位数 1 工作日，目标 0 工作日" in notices[0].body
    assert "办理环节中位数 7 个，目标 6 个" in notices[0].body
    assert "提交材料" not in notices[0].body
    assert not [m for m in await messages(seeded, elsewhere.fixture.account_id) if m.title.startswith("重点事项未达标")]
    assert not [m for m in await messages(seeded, approver.fixture.account_id) if m.title.startswith("重点事项未达标")]

    r = await leader.client.get(f"/api/v1/onething/key-items/{bundle}", headers=leader.headers)
    entry = r.json()
    assert entry["flagged"] is True
    assert entry["last_outcome"] == "missed"
    assert entry["next_review_on"] == "2025-12-01"
    assert [x["period_end"] for x in entry["reviews"]] == ["2025-10-31", "2025-09-30"]

    # The same day again, or before 1 December: nothing new, no second notice.
    assert await _review(seeded, date(2025, 11, 1), bundle) == []
    assert await _review(seeded, date(2025, 11, 30), bundle) == []
    assert len([m for m in await messages(seeded, leader.fixture.account_id) if m.title.startswith("重点事项未达标")]) == 1
    # November: nothing completed, so no data; the flag follows the latest review.
    made = await _review(seeded, date(2025, 12, 1), bundle)
    assert [(r.period_end, r.outcome) for r in made] == [(date(2025, 11, 30), "no_data")]
    r = await leader.client.get(f"/api/v1/onething/key-items/{bundle}/reviews", headers=leader.headers)
    assert [x["outcome"] for x in r.json()] == ["no_data", "missed", "no_data"]
    r = await leader.client.get(f"/api/v1/onething/key-items/{bundle}", headers=leader.headers)
    assert r.json()["flagged"] is False

    # The page shows the history and the flag.
    r = await leader.client.get(f"/workbench/onething/key-items/{bundle}")
    assert r.status_code == 200
    assert 'data-review="2025-10-31"' in r.text
    assert "未达标" in r.text

    # Each review is audited.
    reviewed = await audits(seeded, "onething:keyitem:review", bundle)
    assert [a.details["outcome"] for a in reviewed] == ["no_data", "missed", "no_data"]


async def test_the_current_period_so_far_is_shown_and_is_no_review(client, new_client, seeded, bundle, make_person, make_staff):
    await _completed_case(client, new_client, seeded, bundle, make_person, make_staff, backdate=False)
    leader = await staff(new_client, make_staff, ["department_leader"], MARKET)
    body = {"bundle_code": bundle, "targets": {"days": 5, "materials": 7, "visits": 0, "steps": 6}, "launched_on": "2025-09-01", "status": "launched"}
    r = await leader.client.post("/api/v1/onething/key-items", json=body, headers=leader.headers)
    assert r.status_code == 201, r.text
    today = metrics.china_day(datetime.now(UTC))
    current = r.json()["current"]
    assert current["period_start"] == today.replace(day=1).isoformat()
    assert current["through"] == today.isoformat()
    assert current["review_on"] == keyitems.next_boundary(today, "monthly").isoformat()
    assert current["sample_size"] == 1
    steps = next(m for m in current["metrics"] if m["metric"] == "steps")
    assert (steps["median"], steps["result"]) == (7.0, "missed")
    assert current["outcome"] == "missed"
    # Nothing stored, nobody told, the entry not flagged: only the routine review decides.
    entry = (await leader.client.get(f"/api/v1/onething/key-items/{bundle}", headers=leader.headers)).json()
    assert entry["reviews"] == []
    assert entry["flagged"] is False
    assert not [m for m in await messages(seeded, leader.fixture.account_id) if m.title.startswith("重点事项未达标")]
    r = await leader.client.get(f"/workbench/onething/key-items/{bundle}")
    assert 'data-review="current"' in r.text
    assert "本期至今" in r.text
    # A planned entry has no current period.
    fields = {k: v for k, v in body.items() if k != "bundle_code"}
    r = await leader.client.put(f"/api/v1/onething/key-items/{bundle}", json={**fields, "status": "planned"}, headers=leader.headers)
    assert r.status_code == 200, r.text
    assert r.json()["current"] is None


async def test_the_scheduled_job_catches_up_and_skips_what_is_not_due(client, new_client, seeded, bundle, make_staff):
    job = next(j for j in module.jobs if j.name == "onething.key-item-reviews")
    leader = await staff(new_client, make_staff, ["department_leader"], MARKET)
    body = {"bundle_code": bundle, "targets": {"days": 5}, "launched_on": "2026-06-15", "review_cycle": "quarterly", "status": "launched"}
    r = await leader.client.post("/api/v1/onething/key-items", json=body, headers=leader.headers)
    assert r.status_code == 201, r.text
    assert r.json()["next_review_on"] == "2026-07-01"
    async with seeded.db.transaction() as session:
        summary = await job.run(ServiceContext(session=session, platform=seeded))
    assert summary.startswith("评估重点事项")
    r = await leader.client.get(f"/api/v1/onething/key-items/{bundle}/reviews", headers=leader.headers)
    periods = [(x["period_start"], x["period_end"]) for x in r.json()]
    today = keyitems.metrics.china_day(datetime.now(UTC))
    # Every quarter ended by today, the first from the launch date (newest first); the next one is scheduled.
    expected, start, boundary = [], date(2026, 6, 15), date(2026, 7, 1)
    while boundary <= today:
        expected.insert(0, (start.isoformat(), (boundary - timedelta(days=1)).isoformat()))
        start, boundary = boundary, keyitems.next_boundary(boundary, "quarterly")
    assert periods == expected
    assert periods[-1] == ("2026-06-15", "2026-06-30")
    r = await leader.client.get(f"/api/v1/onething/key-items/{bundle}", headers=leader.headers)
    assert r.json()["next_review_on"] == boundary.isoformat()
    # Run again: nothing is due for this entry.
    async with seeded.db.transaction() as session:
        again = await keyitems.review_due(ServiceContext(session=session, platform=seeded))
    assert [r for r in again if r.bundle_code == bundle] == []
