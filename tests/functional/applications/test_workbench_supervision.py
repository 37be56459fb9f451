"""部门负责人 views: open cases by status, claimed workload, due-soon and overdue counts, the overdue list by organisation."""

from datetime import timedelta

from longgov.platform import ServiceContext
from longgov.timelimits import services as timelimits
from tests.functional.applications.workbench_support import act, applicant, post, staff, stored, submit

SUPERVISION = "/api/v1/applications/workbench/supervision"


async def _accept_on(monkeypatch, counter, application_id, day):
    """Accept as if on ``day`` (the clock starts that day)."""
    monkeypatch.setattr(timelimits, "china_today", lambda now=None: day)  # noqa: ARG005
    try:
        r = await act(counter, application_id, task="pre_check", action="accept")
        assert r.status_code == 201, r.text
    finally:
        monkeypatch.undo()


async def test_leader_sees_workload_due_soon_and_overdue_cases(client, new_client, seeded, make_person, make_staff, monkeypatch):  # noqa: PLR0915
    headers = await applicant(client, seeded, make_person)
    late, soon, fresh = [await submit(client, headers, seeded) for _ in range(3)]
    counter = await staff(new_client, make_staff, ["counter_staff"])
    approver = await staff(new_client, make_staff, ["approver"])
    leader = await staff(new_client, make_staff, ["department_leader"])
    city_leader = await staff(new_client, make_staff, ["department_leader"], "620100-market_regulation")
    province_leader = await staff(new_client, make_staff, ["department_leader"], "620000-government_services")

    today = timelimits.china_today()
    async with seeded.db.transaction() as session:
        calendar = await timelimits.working_calendar(session)
        del session
    due_soon_before = calendar.add_working_days(today, 3).date
    # Accepted six weeks ago: five working days are long gone.
    await _accept_on(monkeypatch, counter, late["id"], today - timedelta(days=42))
    # Accepted so that the deadline falls within the next two working days.
    start = next(today - timedelta(days=d) for d in range(1, 30) if today <= calendar.add_working_days(today - timedelta(days=d), 5).date < due_soon_before)
    await _accept_on(monkeypatch, counter, soon["id"], start)
    r = await act(counter, fresh["id"], task="pre_check", action="accept")
    assert r.status_code == 201
    assert (await stored(seeded, late["id"])).deadline < today
    assert (await post(approver, f"{late['id']}/claim", task="review")).status_code == 200
    assert (await post(approver, f"{fresh['id']}/claim", task="review")).status_code == 200

    r = await leader.client.get(SUPERVISION, headers=leader.headers)
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["today"] == today.isoformat()
    assert view["due_soon_before"] == due_soon_before.isoformat()
    assert view["overdue"] >= 1
    assert view["due_soon"] >= 1
    accepted = next(s for s in view["by_status"] if s["status"] == "accepted")
    assert accepted["count"] >= 3
    assert accepted["status_title"] == "已受理"
    assert view["open_total"] == sum(s["count"] for s in view["by_status"])
    load = next(w for w in view["workload"] if w["account_id"] == approver.account_id)
    assert (load["claimed"], load["overdue"]) == (2, 1)
    [group] = [g for g in view["overdue_groups"] if g["organisation_code"] == "620102-market_regulation"]
    numbers = [c["number"] for c in group["cases"]]
    assert late["number"] in numbers
    assert soon["number"] not in numbers
    assert fresh["number"] not in numbers
    case = next(c for c in group["cases"] if c["number"] == late["number"])
    assert case["working_days_overdue"] > 0
    assert group["count"] >= len(group["cases"])
    assert {o["organisation_code"] for o in view["organisations"]} == {"620102-market_regulation"}

    # The counts are the stored deadlines': the same as computing each case's traffic light.
    async with seeded.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=seeded)
        light = await timelimits.compute_deadline(ctx, (await stored(seeded, soon["id"])).clock_start, 5)
    assert light.status == "yellow"

    # A city leader sees the counties' organisations; the province's government-services leader all departments.
    r = await city_leader.client.get(SUPERVISION, headers=city_leader.headers)
    city = r.json()
    assert "620102-market_regulation" in {o["organisation_code"] for o in city["organisations"]}
    assert all(o["organisation_code"].endswith("-market_regulation") for o in city["organisations"])
    assert late["number"] in {c["number"] for g in city["overdue_groups"] for c in g["cases"]}
    r = await province_leader.client.get(SUPERVISION, headers=province_leader.headers)
    assert r.json()["overdue"] >= view["overdue"]

    # Pages: the leader's view with the overdue list; staff without the permission are refused.
    r = await leader.client.get("/workbench/supervision")
    assert r.status_code == 200
    assert "逾期办件清单" in r.text
    assert late["number"] in r.text
    assert "认领工作量" in r.text
    r = await city_leader.client.get("/workbench/supervision")
    assert "按机构" in r.text
    r = await counter.client.get(SUPERVISION, headers=counter.headers)
    assert r.status_code == 403
    r = await counter.client.get("/workbench/supervision")
    assert r.status_code == 403
    r = await leader.client.get("/workbench/applications")
    assert "部门办件监督" in r.text
