"""Deadline reminders of rectifications (a scheduled job) and the re-visit recorded by phone (电话回访)."""

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from longgov.evaluation.models import Rectification
from longgov.evaluation.module import module as evaluation_module
from longgov.jobs.runner import run_job
from longgov.security.audit.models import AuditEvent
from longgov.timelimits.services import china_today
from tests.functional.applications.test_workbench import _staff
from tests.functional.evaluation.test_evaluation import _delivered

REMINDERS = next(j for j in evaluation_module.jobs if j.name == "evaluation.rectification-reminders")


async def _rectified_badly(client, new_client, seeded, make_person, make_staff):
    headers, application, leader, counter = await _delivered(client, new_client, seeded, make_person, make_staff)
    r = await client.post(f"/api/v1/evaluation/applications/{application['number']}/rating", json={"score": 1, "comment": "材料被退回三次"}, headers=headers)
    assert r.status_code == 201, r.text
    return application["number"], r.json()["rectification"]["id"], headers, leader, counter


async def _set(platform, rectification_id, **values):
    async with platform.db.transaction() as session:
        await session.execute(update(Rectification).where(Rectification.id == uuid.UUID(rectification_id)).values(**values))


async def _about(c, headers, number):
    r = await c.get("/api/v1/notify/messages", params={"limit": 100}, headers=headers)
    assert r.status_code == 200, r.text
    return [m for m in r.json()["items"] if number in m["body"]]


async def test_leaders_in_scope_are_reminded_once_a_day(client, new_client, seeded, make_person, make_staff):
    number, rect_id, _, (leader, leader_h), (counter, counter_h) = await _rectified_badly(client, new_client, seeded, make_person, make_staff)
    other, other_h = await _staff(new_client, make_staff, ["department_leader"], "620103-market_regulation")
    today = china_today()

    await _set(seeded, rect_id, deadline=today + timedelta(days=2))
    await run_job(seeded, REMINDERS, force=True)
    assert await _about(leader, leader_h, number) == []  # not due yet

    await _set(seeded, rect_id, deadline=today + timedelta(days=1))
    outcome = await run_job(seeded, REMINDERS, force=True)
    assert outcome.status == "ok", outcome.result
    mine = await _about(leader, leader_h, number)
    assert [(m["title"], m["category"], m["link"]) for m in mine] == [("整改明日到期", "rectification", "/workbench/rectifications")]
    assert "请尽快整改并填写整改结果" in mine[0]["body"]
    assert await _about(other, other_h, number) == []  # another county's leader
    assert await _about(counter, counter_h, number) == []  # not a leader

    # Later runs the same day send nothing more, even when the day marker is lost (the notice's key holds).
    await run_job(seeded, REMINDERS, force=True)
    await _set(seeded, rect_id, last_reminded_on=None)
    await run_job(seeded, REMINDERS, force=True)
    assert len(await _about(leader, leader_h, number)) == 1
    async with seeded.db.transaction() as session:
        row = (await session.execute(select(Rectification).where(Rectification.id == uuid.UUID(rect_id)))).scalar_one()
    assert row.last_reminded_on == today

    r = await leader.get("/workbench/messages")
    assert r.status_code == 200
    assert "整改明日到期" in r.text
    assert 'hx-get="/partials/notify/badge?portal=workbench"' in r.text


async def test_overdue_is_reminded_and_rectified_ones_are_not(client, new_client, seeded, make_person, make_staff):
    number, rect_id, _, (leader, leader_h), _ = await _rectified_badly(client, new_client, seeded, make_person, make_staff)
    await _set(seeded, rect_id, deadline=china_today() - timedelta(days=3))
    await run_job(seeded, REMINDERS, force=True)
    assert [m["title"] for m in await _about(leader, leader_h, number)] == ["整改已逾期3天"]

    done_number, done_id, _, (leader2, leader2_h), _ = await _rectified_badly(await new_client(), new_client, seeded, make_person, make_staff)
    r = await leader2.post(f"/api/v1/evaluation/rectifications/{done_id}/complete", json={"result": "已整改"}, headers=leader2_h)
    assert r.status_code == 201, r.text
    await _set(seeded, done_id, deadline=china_today() - timedelta(days=1))
    await run_job(seeded, REMINDERS, force=True)
    assert await _about(leader2, leader2_h, done_number) == []


async def test_a_revisit_by_phone_is_recorded_by_the_department(client, new_client, seeded, make_person, make_staff):
    number, rect_id, headers, (leader, leader_h), (counter, counter_h) = await _rectified_badly(client, new_client, seeded, make_person, make_staff)
    path = f"/api/v1/evaluation/rectifications/{rect_id}/phone-revisit"
    r = await leader.post(path, json={"score": 4}, headers=leader_h)
    assert r.status_code == 409  # not rectified yet
    assert r.json()["code"] == "revisit_not_open"
    r = await leader.post(f"/api/v1/evaluation/rectifications/{rect_id}/complete", json={"result": "已优化材料审核流程"}, headers=leader_h)
    assert r.status_code == 201, r.text

    r = await counter.post(path, json={"score": 4}, headers=counter_h)
    assert r.status_code == 403
    other, other_h = await _staff(new_client, make_staff, ["department_leader"], "620103-market_regulation")
    r = await other.post(path, json={"score": 4}, headers=other_h)
    assert r.status_code == 404
    r = await leader.post(path, json={"score": 9}, headers=leader_h)
    assert r.status_code in {400, 422}

    r = await leader.post(path, json={"score": 4, "comment": "电话回访，申请人表示满意"}, headers=leader_h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["status"], body["revisit_score"], body["revisit_channel"], body["revisit_channel_title"]) == ("revisited", 4, "phone", "电话回访")
    assert body["revisit_recorded_by"] == "测试人员"
    r = await leader.post(path, json={"score": 5}, headers=leader_h)
    assert r.status_code == 409
    r = await client.post(f"/api/v1/evaluation/applications/{number}/revisit", json={"score": 5}, headers=headers)
    assert r.status_code == 409  # the applicant was already re-visited by phone
    async with seeded.db.transaction() as session:
        audit = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.tag == "evaluation:rectification:revisit", AuditEvent.subject_id == rect_id).order_by(AuditEvent.seq)
                )
            )
            .scalars()
            .all()
        )
    assert [(a.details["channel"], a.details["score"], a.actor_role) for a in audit] == [("phone", 4, "department_leader")]

    r = await leader.get("/workbench/rectifications")
    assert "电话回访，测试人员记录" in r.text
    assert f'action="/workbench/rectifications/{rect_id}/phone-revisit"' not in r.text


async def test_the_phone_revisit_form_on_the_rectifications_page(client, new_client, seeded, make_person, make_staff):
    _, rect_id, _, (leader, leader_h), _ = await _rectified_badly(client, new_client, seeded, make_person, make_staff)
    r = await leader.post(f"/api/v1/evaluation/rectifications/{rect_id}/complete", json={"result": "已整改"}, headers=leader_h)
    assert r.status_code == 201, r.text
    r = await leader.get("/workbench/rectifications")
    assert f'action="/workbench/rectifications/{rect_id}/phone-revisit"' in r.text
    r = await leader.post(f"/workbench/rectifications/{rect_id}/phone-revisit", data={"score": "", "comment": "x"}, headers=leader_h)
    assert r.status_code == 422
    r = await leader.post(f"/workbench/rectifications/{rect_id}/phone-revisit", data={"score": "5", "comment": "很满意"}, headers=leader_h)
    assert r.status_code == 303, r.text
    r = await leader.get("/api/v1/evaluation/rectifications?status=revisited", headers=leader_h)
    row = next(i for i in r.json()["items"] if i["id"] == rect_id)
    assert (row["revisit_channel"], row["revisit_score"], row["revisit_comment"]) == ("phone", 5, "很满意")
