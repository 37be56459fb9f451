"""The inbox as SQL over task rows: rows follow the process, paging and order, claims (认领/退回/改派)."""

from sqlalchemy import delete

from longgov.applications import tasks
from longgov.applications.models import ApplicationTask
from tests.functional.applications.workbench_support import (
    INBOX,
    act,
    applicant,
    audits,
    post,
    staff,
    stored,
    submit,
    task_rows,
    whole_inbox,
)


def _order_key(entry):
    return (entry["deadline"] is None, entry["deadline"] or "", entry["submitted_at"])


async def test_task_rows_follow_the_process_and_the_inbox_pages_in_deadline_order(client, new_client, seeded, make_person, make_staff):  # noqa: PLR0915
    headers = await applicant(client, seeded, make_person)
    apps = [await submit(client, headers, seeded) for _ in range(3)]
    first = apps[0]
    rows = await task_rows(seeded, first["id"])
    assert [(r.task_name, r.role, r.department_kind, r.division_code, r.prefecture_code) for r in rows] == [
        ("pre_check", "counter_staff", "market_regulation", "620102", "620100")
    ]
    assert rows[0].deadline is None
    assert rows[0].applicant_name != "测试公民"  # masked for a person
    assert rows[0].applicant_name.startswith("测")
    assert rows[0].number == first["number"]

    counter = await staff(new_client, make_staff, ["counter_staff"])
    approver = await staff(new_client, make_staff, ["approver"])
    # Pages of two: together they hold every application once, earliest deadline first, then oldest.
    r = await counter.client.get(INBOX, params={"size": 2}, headers=counter.headers)
    body = r.json()
    assert (body["page"], body["size"], len(body["items"])) == (1, 2, 2)
    assert body["pages"] == -(-body["total"] // 2)
    paged = await whole_inbox(counter, size=2)
    assert len(paged) == body["total"]
    assert len({(e["application_id"], e["task_id"]) for e in paged}) == len(paged)
    assert {a["number"] for a in apps} <= {e["number"] for e in paged}
    assert paged == sorted(paged, key=_order_key)
    r = await counter.client.get(INBOX, params={"page": 0}, headers=counter.headers)
    assert r.status_code == 422

    # Acceptance stores the deadline on the application and moves the task to the approver.
    r = await act(counter, first["id"], task="pre_check", action="accept")
    assert r.status_code == 201, r.text
    application = await stored(seeded, first["id"])
    assert application.clock_start is not None
    assert application.deadline is not None
    assert application.deadline > application.clock_start
    assert application.deadline.isoformat() == r.json()["workflow_state"]["deadline"]
    assert (application.division_code, application.department_kind, application.time_limit_days) == ("620102", "market_regulation", 5)
    rows = await task_rows(seeded, first["id"])
    assert [(r.task_name, r.role, r.deadline) for r in rows] == [("review", "approver", application.deadline)]
    assert first["number"] not in {e["number"] for e in await whole_inbox(counter)}
    entry = next(e for e in await whole_inbox(approver) if e["number"] == first["number"])
    assert entry["deadline"] == application.deadline.isoformat()
    assert entry["time_limit"]["working_days"] == 5
    assert entry["time_limit"]["status"] in {"green", "yellow"}
    # Accepted (dated) tasks come before those not yet started.
    approver_entries = await whole_inbox(approver)
    assert approver_entries == sorted(approver_entries, key=_order_key)

    # A task two of one's roles may do is listed once (the decision: approver or department leader).
    r = await act(approver, first["id"], task="review", action="pass")
    assert r.status_code == 201, r.text
    assert [(r.task_name, r.role) for r in await task_rows(seeded, first["id"])] == [("decision", "approver"), ("decision", "department_leader")]
    both = await staff(new_client, make_staff, ["approver", "department_leader"])
    assert [e["task_name"] for e in await whole_inbox(both) if e["number"] == first["number"]] == ["decision"]

    # The whole process: no rows once delivered.
    leader = await staff(new_client, make_staff, ["department_leader"])
    assert (await act(leader, first["id"], task="decision", action="grant")).status_code == 201
    assert (await act(counter, first["id"], task="conclude", action="conclude")).status_code == 201
    assert [r.task_name for r in await task_rows(seeded, first["id"])] == ["deliver"]
    assert (await act(counter, first["id"], task="deliver", action="deliver")).status_code == 201
    assert await task_rows(seeded, first["id"]) == []

    # The backfill rebuilds the rows of open applications from their processes.
    async with seeded.db.transaction() as session:
        await session.execute(delete(ApplicationTask).where(ApplicationTask.number.in_([a["number"] for a in apps])))
    async with seeded.db.transaction() as session:
        assert await tasks.backfill(session, chunk=7) >= 3
    assert [r.task_name for r in await task_rows(seeded, apps[1]["id"])] == ["pre_check"]
    assert await task_rows(seeded, first["id"]) == []


async def test_correction_pauses_and_resubmission_resumes_the_stored_clock(client, new_client, seeded, make_person, make_staff):
    headers = await applicant(client, seeded, make_person)
    application = await submit(client, headers, seeded)
    counter = await staff(new_client, make_staff, ["counter_staff"])
    r = await act(counter, application["id"], task="pre_check", action="request_correction", missing_items=["场所平面图"])
    assert r.status_code == 201, r.text
    assert (await stored(seeded, application["id"])).clock_paused is True
    assert await task_rows(seeded, application["id"]) == []  # the applicant's step is not a workbench task
    r = await client.post(f"/api/v1/applications/{application['id']}/resubmit", json={"note": "已补正"}, headers=headers)
    assert r.status_code == 201, r.text
    row = await stored(seeded, application["id"])
    assert row.clock_paused is False
    assert row.deadline is None  # the clock starts at acceptance
    assert [r.task_name for r in await task_rows(seeded, application["id"])] == ["pre_check"]


async def test_claim_return_and_reassign(client, new_client, seeded, make_person, make_staff):  # noqa: PLR0915
    headers = await applicant(client, seeded, make_person)
    application = await submit(client, headers, seeded)
    app_id, number = application["id"], application["number"]
    alice = await staff(new_client, make_staff, ["counter_staff"])
    bob = await staff(new_client, make_staff, ["counter_staff"])
    approver = await staff(new_client, make_staff, ["approver"])
    leader = await staff(new_client, make_staff, ["department_leader"])
    elsewhere = await staff(new_client, make_staff, ["counter_staff"], "620103-market_regulation")

    # Unclaimed: listed as such; another county cannot claim (reads as absent); a wrong role may not.
    assert number in {e["number"] for e in await whole_inbox(bob, claim="unclaimed")}
    assert (await post(elsewhere, f"{app_id}/claim", task="pre_check")).status_code == 404
    r = await post(approver, f"{app_id}/claim", task="pre_check")
    assert r.status_code == 403
    assert r.json()["code"] == "claim_not_allowed"

    r = await post(alice, f"{app_id}/claim", task="pre_check")
    assert r.status_code == 200, r.text
    assert r.json()["claimed_by_name"] == "测试人员"
    assert r.json()["claimed_by_id"] == alice.account_id
    assert (await post(alice, f"{app_id}/claim", task="pre_check")).status_code == 200  # claiming again changes nothing
    assert number in {e["number"] for e in await whole_inbox(alice, claim="mine")}
    assert number not in {e["number"] for e in await whole_inbox(bob, claim="mine")}
    assert number not in {e["number"] for e in await whole_inbox(bob, claim="unclaimed")}
    seen_by_bob = next(e for e in await whole_inbox(bob) if e["number"] == number)
    assert seen_by_bob["claimed_by_id"] == alice.account_id
    assert seen_by_bob["claimed_by_me"] is False

    # Only the claimer may act; others get a 409 in Chinese, and the attempt is audited.
    r = await post(bob, f"{app_id}/claim", task="pre_check")
    assert r.status_code == 409
    assert r.json()["code"] == "task_claimed"
    r = await act(bob, app_id, task="pre_check", action="accept")
    assert r.status_code == 409
    assert r.json()["code"] == "task_claimed"
    assert "认领" in r.json()["message"]
    denied = await audits(seeded, "applications:application:step_denied", number)
    assert any(d.details.get("reason") == "claimed_by_other" for d in denied)
    assert (await stored(seeded, app_id)).status == "submitted"

    # Bob may not return Alice's claim; the department leader may.
    r = await post(bob, f"{app_id}/release", task="pre_check")
    assert r.status_code == 403
    assert r.json()["code"] == "not_claimer"
    r = await post(leader, f"{app_id}/release", task="pre_check")
    assert r.status_code == 200, r.text
    assert r.json()["claimed_by_id"] is None
    released = await audits(seeded, "applications:task:release", number)
    assert released[-1].details["by_leader"] is True
    assert released[-1].details["previous"] == "测试人员"
    assert (await post(leader, f"{app_id}/release", task="pre_check")).status_code == 409  # nothing to return

    # The leader reassigns to Bob (an approver cannot take a pre-check); Alice is then refused.
    r = await post(leader, f"{app_id}/assign", task="pre_check", account_id=approver.account_id)
    assert r.status_code == 422
    assert r.json()["code"] == "assignee_not_allowed"
    r = await post(leader, f"{app_id}/assign", task="pre_check", account_id=bob.account_id)
    assert r.status_code == 200, r.text
    assert r.json()["claimed_by_id"] == bob.account_id
    assert (await post(alice, f"{app_id}/assign", task="pre_check", account_id=alice.account_id)).status_code == 403  # not a leader
    assert (await act(alice, app_id, task="pre_check", action="accept")).status_code == 409
    # Bob returns it himself, claims it again from the page, and completes it; the claim goes with the task.
    assert (await post(bob, f"{app_id}/release", task="pre_check")).status_code == 200
    rows = await task_rows(seeded, app_id)
    r = await bob.client.post(f"/workbench/applications/{app_id}/claim", data={"task": rows[0].task_id, "from": "inbox", "claim": "mine"}, headers=bob.headers)
    assert r.status_code in {302, 303}
    assert "claim=mine" in r.headers["location"]
    r = await bob.client.get("/workbench/applications?claim=mine")
    assert number in r.text
    assert "我已认领" in r.text
    r = await act(bob, app_id, task="pre_check", action="accept")
    assert r.status_code == 201, r.text
    assert all(row.claimed_by_id is None for row in await task_rows(seeded, app_id))
    claims = await audits(seeded, "applications:task:claim", number)
    assert len(claims) == 2
    assert (await audits(seeded, "applications:task:assign", number))[-1].details["claimed_by"] == "测试人员"


async def test_inbox_page_filters_and_pagination(client, new_client, seeded, make_person, make_staff):
    headers = await applicant(client, seeded, make_person)
    application = await submit(client, headers, seeded)
    counter = await staff(new_client, make_staff, ["counter_staff"])
    for claim, title in (("all", "全部"), ("mine", "我认领的"), ("unclaimed", "未认领")):
        r = await counter.client.get(f"/workbench/applications?claim={claim}")
        assert r.status_code == 200
        assert f'aria-current="page">{title}</a>' in r.text
    r = await counter.client.get("/workbench/applications?claim=mine")
    assert application["number"] not in r.text
    assert "您没有认领的待办" in r.text
    r = await counter.client.get("/api/v1/applications/workbench/inbox?size=1", headers=counter.headers)
    total = r.json()["total"]
    assert total >= 1
    last = -(-total // 20)
    r = await counter.client.get(f"/workbench/applications?page={last}")
    assert r.status_code == 200
    assert (f"第 {last} / {last} 页" in r.text) == (last > 1)
    r = await counter.client.get(f"/workbench/applications?page={last + 1}")
    assert r.status_code == 200
    assert 'name="pick"' not in r.text  # past the end: no rows
