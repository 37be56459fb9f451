"""Casework: the 承诺件 process behind an application, the staff workbench, time limits, documents, refusals."""

from sqlalchemy import select

from longgov.security.audit.models import AuditEvent
from tests.conftest import csrf_headers, login_person, login_staff
from tests.functional.applications.conftest import FOOD, GOOD_FOOD_FORM, PDF, item_code, upload_all

CHENGGUAN = "620102-market_regulation"


async def _submitted(client, platform, make_person):
    await login_person(client, platform, await make_person())
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    r = await client.post("/api/v1/applications", json={"item_code": await item_code(platform, FOOD), "form": GOOD_FOOD_FORM}, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    await upload_all(client, headers, draft)
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text
    return headers, r.json()


async def _staff(new_client, make_staff, roles, organisation=CHENGGUAN):
    c = await new_client()
    await login_staff(c, await make_staff(roles, organisation))
    return c, {**(await csrf_headers(c)), "accept": "application/json"}


async def _act(c, headers, application_id, **body):
    return await c.post(f"/api/v1/applications/workbench/{application_id}/act", json={"opinion": "同意", **body}, headers=headers)


async def _denials(platform, number):
    async with platform.db.transaction() as session:
        rows = (await session.execute(select(AuditEvent).where(AuditEvent.tag == "applications:application:step_denied"))).scalars().all()
    return [r for r in rows if r.subject_id == number]


async def test_wrong_role_other_county_and_skipping_are_refused(client, new_client, seeded, make_person, make_staff):
    _, application = await _submitted(client, seeded, make_person)
    app_id, number = application["id"], application["number"]
    assert application["status"] == "submitted"
    assert application["workflow_state"]["process"] == "promised"
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    approver, approver_h = await _staff(new_client, make_staff, ["approver"])
    leader, leader_h = await _staff(new_client, make_staff, ["department_leader"])
    other_county, other_h = await _staff(new_client, make_staff, ["counter_staff"], "620103-market_regulation")
    # The counter staff sees the pre-check task; the approver and another county's staff do not.
    r = await counter.get("/api/v1/applications/workbench/inbox", headers=counter_h)
    assert r.status_code == 200, r.text
    mine = [e for e in r.json()["items"] if e["number"] == number]
    assert [e["task_name"] for e in mine] == ["pre_check"]
    r = await approver.get("/api/v1/applications/workbench/inbox", headers=approver_h)
    assert number not in [e["number"] for e in r.json()["items"]]
    r = await other_county.get("/api/v1/applications/workbench/inbox", headers=other_h)
    assert number not in [e["number"] for e in r.json()["items"]]
    r = await other_county.get("/workbench/applications", headers=other_h)
    assert r.status_code == 200
    assert number not in r.text

    # Another county may not act (reads as absent); a wrong role is 403 and audited; skipping is 409.
    r = await _act(other_county, other_h, app_id, task="pre_check", action="accept")
    assert r.status_code == 404
    r = await _act(approver, approver_h, app_id, task="pre_check", action="accept")
    assert r.status_code == 403
    assert r.json()["code"] == "step_not_allowed"
    assert await _denials(seeded, number)
    r = await _act(leader, leader_h, app_id, task="decision", action="grant")
    assert r.status_code == 409

    assert len(await _denials(seeded, number)) >= 2  # the other county and the wrong role


async def test_promised_item_from_submission_to_delivery(client, new_client, seeded, make_person, make_staff):  # noqa: PLR0915 - one story, told in order
    applicant_headers, application = await _submitted(client, seeded, make_person)
    app_id, number = application["id"], application["number"]
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    approver, approver_h = await _staff(new_client, make_staff, ["approver"])
    leader, leader_h = await _staff(new_client, make_staff, ["department_leader"])

    # Correction: the complete list of missing items is required.
    r = await _act(counter, counter_h, app_id, task="pre_check", action="request_correction")
    assert r.status_code == 422
    r = await _act(counter, counter_h, app_id, task="pre_check", action="request_correction", missing_items=["营业执照复印件", "场所平面图"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "correction_requested"
    assert body["events"][-1]["details"]["document"]["kind_title"] == "补正材料通知书"
    assert body["awaiting_applicant"] is True

    # The applicant uploads again and resubmits from the timeline.
    r = await client.get(f"/citizen/applications/{number}")
    assert r.status_code == 200
    assert "补正后重新提交" in r.text
    r = await client.post(
        f"/api/v1/applications/{app_id}/materials",
        headers=applicant_headers,
        data={"material": "0"},
        files={"file": ("补正.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    r = await client.post(f"/api/v1/applications/{app_id}/resubmit", json={"note": "已补正"}, headers=applicant_headers)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pre_check"

    # Acceptance starts the clock and issues the acceptance notice.
    r = await _act(counter, counter_h, app_id, task="pre_check", action="accept")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "accepted"
    assert body["workflow_state"]["deadline"]
    assert body["workflow_state"]["pauses"]
    accepted = body["events"][-1]
    assert accepted["details"]["document"]["kind_title"] == "受理通知书"
    assert accepted["actor_department"]

    r = await approver.get("/api/v1/applications/workbench/inbox", headers=approver_h)
    entry = next(e for e in r.json()["items"] if e["number"] == number)
    assert entry["task_name"] == "review"
    assert entry["time_limit"]["working_days"] == 5
    assert entry["time_limit"]["status"] in {"green", "yellow"}
    r = await approver.get(f"/workbench/applications/{app_id}")
    assert r.status_code == 200
    assert "审查" in r.text
    assert GOOD_FOOD_FORM["contact_phone"] not in r.text  # personal data masked
    assert "139****5678" in r.text

    r = await _act(approver, approver_h, app_id, task="review", action="pass")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "under_review"
    r = await _act(leader, leader_h, app_id, task="decision", action="deny")
    assert r.status_code == 422  # a denial needs a reason
    r = await _act(leader, leader_h, app_id, task="decision", action="grant")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "granted"
    assert r.json()["events"][-1]["details"]["document"]["kind_title"] == "准予行政许可决定书"
    r = await _act(counter, counter_h, app_id, task="conclude", action="conclude")
    assert r.json()["status"] == "concluded"
    # The page form works as well as the JSON API.
    r = await counter.get(f"/workbench/applications/{app_id}")
    task_id = r.text.split('name="task" value="')[1].split('"')[0]
    r = await counter.post(f"/workbench/applications/{app_id}", data={"task": task_id, "action": "deliver", "opinion": "已送达"}, headers=counter_h)
    assert r.status_code in {302, 303}, r.text

    await _check_final(client, applicant_headers, app_id, number)


async def _check_final(client, applicant_headers, app_id, number):
    r = await client.get(f"/api/v1/applications/{app_id}", headers=applicant_headers)
    final = r.json()
    assert final["status"] == "delivered"
    steps = [e["step"] for e in final["events"]]
    for step in (
        "submitted",
        "pre_check:request_correction",
        "resubmit:resubmit",
        "pre_check:accept",
        "review:pass",
        "decision:grant",
        "conclude:conclude",
        "deliver:deliver",
    ):
        assert step in steps
    staff_steps = [e for e in final["events"] if ":" in e["step"] and not e["step"].startswith("resubmit")]
    assert all(e["actor_department"] and e["occurred_at"] for e in staff_steps)
    r = await client.get(f"/citizen/applications/{number}")
    assert "受理通知书" in r.text
    assert "/verify" in r.text or "核验" in r.text


async def test_routes_refuse_empty_input(client, new_client, seeded, make_person, make_staff):
    _, application = await _submitted(client, seeded, make_person)
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    r = await counter.post(f"/api/v1/applications/workbench/{application['id']}/act", json={}, headers=counter_h)
    assert r.status_code in {400, 422}
    r = await counter.post("/api/v1/applications/workbench/not-an-id/act", json={"task": "x", "action": "y", "opinion": "z"}, headers=counter_h)
    assert r.status_code == 404
    r = await counter.post(f"/workbench/applications/{application['id']}", data={}, headers=counter_h)
    assert r.status_code == 409
    r = await client.post(f"/api/v1/applications/{application['id']}/resubmit", json={}, headers={**(await csrf_headers(client)), "accept": "application/json"})
    assert r.status_code == 409
