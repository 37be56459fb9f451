"""Applicants hear of their applications' steps: 我的消息 and SMS, sent only after the step committed."""

import re

import pytest
from sqlalchemy import select

from longgov.applications import services as applications
from longgov.notify.models import Message
from longgov.notify.services import recent_outbox
from longgov.platform import ServiceContext
from longgov.security.audit.models import AuditEvent
from tests.conftest import csrf_headers
from tests.functional.applications.test_workbench import _act, _staff, _submitted


async def _messages(c, headers, **params):
    r = await c.get("/api/v1/notify/messages", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def _sms_to(platform, number):
    async with platform.db.transaction() as session:
        return [m for m in await recent_outbox(session, limit=500) if number in m.body]


async def _tags(platform, tag, subject_id=None):
    async with platform.db.transaction() as session:
        query = select(AuditEvent).where(AuditEvent.tag == tag)
        if subject_id is not None:
            query = query.where(AuditEvent.subject_id == str(subject_id))
        return (await session.execute(query)).scalars().all()


async def test_steps_reach_the_applicant_in_app_and_by_sms(client, new_client, seeded, make_person, make_staff):
    headers, application = await _submitted(client, seeded, make_person)
    app_id, number = application["id"], application["number"]

    page = await _messages(client, headers)
    submitted = [m for m in page["items"] if number in m["body"]]
    assert [m["title"] for m in submitted] == ["申请已提交"]
    assert submitted[0]["unread"] is True
    assert submitted[0]["link"] == f"/citizen/applications/{number}"
    sms = await _sms_to(seeded, number)
    assert [m.body for m in sms] == [f"【甘肃政务服务】您的申请{number}（{application['item_name']}）已提交，请留意受理结果。"]
    assert sms[0].purpose == "notify:application"

    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    r = await _act(counter, counter_h, app_id, task="pre_check", action="request_correction", missing_items=["营业执照复印件", "场所平面图"])
    assert r.status_code == 201, r.text
    correction = (await _messages(client, headers))["items"][0]
    assert correction["title"] == "请补正材料"
    assert "一次性补正以下材料后重新提交：1. 营业执照复印件；2. 场所平面图" in correction["body"]
    assert "营业执照复印件、场所平面图" in (await _sms_to(seeded, number))[0].body

    r = await client.post(f"/api/v1/applications/{app_id}/resubmit", json={"note": "已补正"}, headers=headers)
    assert r.status_code == 201, r.text
    r = await _act(counter, counter_h, app_id, task="pre_check", action="accept")
    assert r.status_code == 201, r.text
    deadline = r.json()["workflow_state"]["deadline"]
    y, m, d = (int(p) for p in deadline.split("-"))
    accepted = (await _messages(client, headers))["items"][0]
    assert accepted["title"] == "申请已受理"
    assert f"办理期限至{y}年{m}月{d}日" in accepted["body"]
    assert (await _sms_to(seeded, number))[0].body.endswith(f"已受理，办理期限至{y}年{m}月{d}日。")
    # The applicant's own resubmission and the internal steps are not notified.
    titles = [m["title"] for m in (await _messages(client, headers))["items"] if number in m["body"]]
    assert titles == ["申请已受理", "请补正材料", "申请已提交"]
    # The phone was read for the SMS as the system, audited; each notice was audited.
    assert await _tags(seeded, "identity:contact:read")
    sent = [e for e in await _tags(seeded, "notify:message:send") if e.details["title"] in {"申请已受理", "请补正材料"}]
    assert sent
    assert all(e.actor_id is None for e in sent)
    assert all(e.details["sms"] and e.details["in_app"] for e in sent)


async def test_unread_count_mark_read_and_someone_elses_message(client, new_client, seeded, make_person):
    headers, application = await _submitted(client, seeded, make_person)
    number = application["number"]
    r = await client.get("/api/v1/notify/messages/unread-count", headers=headers)
    assert r.json() == {"unread": 1}
    message = (await _messages(client, headers))["items"][0]

    # Another citizen can neither read nor mark it.
    other_headers, _ = await _submitted(other := await new_client(), seeded, make_person)
    theirs = await _messages(other, other_headers)
    assert all(number not in m["body"] for m in theirs["items"])
    r = await other.post(f"/api/v1/notify/messages/{message['id']}/read", headers=other_headers)
    assert r.status_code == 404
    r = await other.post("/api/v1/notify/messages/not-a-uuid/read", headers=other_headers)
    assert r.status_code == 404

    r = await client.post(f"/api/v1/notify/messages/{message['id']}/read", headers=headers)
    assert r.status_code == 200, r.text
    first_read = r.json()["read_at"]
    assert first_read is not None
    r = await client.post(f"/api/v1/notify/messages/{message['id']}/read", headers=headers)
    assert r.json()["read_at"] == first_read  # idempotent
    assert (await client.get("/api/v1/notify/messages/unread-count", headers=headers)).json() == {"unread": 0}
    assert (await _messages(client, headers, unread="true"))["items"] == []
    assert len(await _tags(seeded, "notify:message:read", message["id"])) == 1
    # Listing is audited like 我的办件; the anonymous caller gets a 401.
    assert await _tags(seeded, "notify:message:list")
    anonymous = await new_client()
    assert (await anonymous.get("/api/v1/notify/messages")).status_code == 401


async def test_message_centre_page_badge_open_and_read_all(client, new_client, seeded, make_person, make_staff):
    _, application = await _submitted(client, seeded, make_person)
    number, app_id = application["number"], application["id"]
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    r = await _act(counter, counter_h, app_id, task="pre_check", action="refuse", reason="不属于本机关职权范围")
    assert r.status_code == 201, r.text

    r = await client.get("/citizen/applications")
    assert 'hx-get="/partials/notify/badge?portal=citizen"' in r.text
    assert 'href="/citizen/messages"' in r.text
    r = await client.get("/partials/notify/badge?portal=citizen")
    assert r.status_code == 200
    assert re.search(r'class="msg-count"[^>]*>2<', r.text), r.text
    assert "2条未读" in r.text

    r = await client.get("/citizen/messages")
    assert r.status_code == 200
    assert "我的消息" in r.text
    assert "申请不予受理" in r.text
    assert "理由：不属于本机关职权范围" in r.text
    assert "2 条未读" in r.text
    ids = re.findall(r'action="/citizen/messages/([0-9a-f-]{36})/open"', r.text)
    assert len(ids) == 2
    form = await csrf_headers(client)
    r = await client.post(f"/citizen/messages/{ids[0]}/open", headers=form)
    assert r.status_code == 303
    assert r.headers["location"] == f"/citizen/applications/{number}"
    r = await client.get("/citizen/messages?show=unread")
    assert "1 条未读" in r.text
    assert ids[0] not in r.text
    r = await client.post("/citizen/messages/read-all", headers=form)
    assert r.status_code == 303
    r = await client.get("/partials/notify/badge?portal=citizen")
    assert "msg-count" not in r.text
    assert len(await _tags(seeded, "notify:message:read-all")) >= 1


async def test_a_step_that_rolls_back_sends_nothing(client, seeded, make_person):
    _, application = await _submitted(client, seeded, make_person)
    number = application["number"]
    before = len(await _sms_to(seeded, number))

    async def messages_about(title):
        async with seeded.db.transaction() as session:
            rows = (await session.execute(select(Message).where(Message.title == title))).scalars().all()
        return [m for m in rows if number in m.body]

    async def failing_unit_of_work():
        async with seeded.db.transaction() as session:
            await applications.record_step(
                ServiceContext(session=session, platform=seeded), number, step="conclude:conclude", title="办结", actor_role="窗口人员", status="concluded"
            )
            raise RuntimeError("the unit of work fails after the step")

    with pytest.raises(RuntimeError):
        await failing_unit_of_work()
    assert await messages_about("办件已办结") == []
    assert len(await _sms_to(seeded, number)) == before

    # The same step committed is notified (so the check above would have seen a leak).
    async with seeded.db.transaction() as session:
        await applications.record_step(
            ServiceContext(session=session, platform=seeded), number, step="conclude:conclude", title="办结", actor_role="窗口人员", status="concluded"
        )
    assert len(await messages_about("办件已办结")) == 1
    assert len(await _sms_to(seeded, number)) == before + 1
