"""When a department refuses its part the bundle shows partial results and next steps, and nothing else is lost; a step
whose event was lost is picked up by the reconcile job; an item the platform cannot complete waits for the applicant."""

from __future__ import annotations

import random

from longgov.applications.schemas import ApplicationStepRecorded
from longgov.identity.codes import make_uscc
from longgov.kernel import events as domain_events
from longgov.onething import services as onething
from longgov.platform import ServiceContext
from tests.functional.onething.conftest import (
    FOOD,
    MARKET,
    PDF,
    REGISTRATION,
    SIGN,
    URBAN,
    act,
    applicant_account,
    audits,
    department,
    get_case,
    grant_promised,
    member,
    messages,
    person_client,
    submitted_case,
)


async def test_a_refused_registration_gives_partial_results_blocks_its_dependents_and_can_be_applied_for_again(
    client, new_client, seeded, bundle, make_person, make_staff
):
    person, headers = await person_client(client, seeded, make_person)
    case = await submitted_case(client, headers, bundle, person)
    account = await applicant_account(seeded, case["id"])
    market = await department(new_client, make_staff, MARKET)
    first = member(case, REGISTRATION)["application_id"]

    await act(market["counter"], first, "handle_on_the_spot", "deny", reason="拟用名称与已登记的个体工商户名称相同")
    case = await get_case(client, headers, case["id"])
    registration = member(case, REGISTRATION)
    assert registration["state"] == "denied"
    assert registration["reason"] == "拟用名称与已登记的个体工商户名称相同"
    assert registration["may_reapply"] is True
    # The decision letter is a result the applicant keeps.
    assert [r["title"] for r in registration["results"]] == ["不予行政许可决定书"]
    for code in (FOOD, SIGN):
        blocked = member(case, code)
        assert blocked["state"] == "blocked"
        assert "个体工商户设立登记" in blocked["note"]
        assert blocked["application_id"] is None
    assert case["status"] == "partially_completed"
    assert any("重新申请" in s for s in case["next_steps"])
    titles = [m.title for m in await messages(seeded, account)]
    assert titles.count("一件事中有事项未获准予") == 1
    assert titles.count("一件事部分办结") == 1
    assert "不予许可" not in titles
    partial = next(m for m in await messages(seeded, account) if m.title == "一件事部分办结")
    assert "暂缓办理" in partial.body

    # Apply again within the bundle with another name: nothing typed or uploaded before is asked again.
    r = await client.post(
        f"/api/v1/onething/cases/{case['id']}/members/{REGISTRATION}/reapply", json={"form": {"business_name": "兰州城关区马记牛肉面馆"}}, headers=headers
    )
    assert r.status_code == 200, r.text
    case = r.json()
    registration = member(case, REGISTRATION)
    assert registration["state"] == "started"
    assert registration["application_id"] != first
    assert registration["attempts"][0]["application_id"] == first
    assert registration["attempts"][0]["state"] == "denied"
    assert case["form"]["business_name"] == "兰州城关区马记牛肉面馆"
    assert case["form"]["food_safety_officer"] == "李四"
    assert all(m["uploaded"] for m in case["materials"] if m["needs_upload"])
    assert member(case, FOOD)["state"] == "waiting"
    assert member(case, SIGN)["state"] == "waiting"
    assert case["status"] == "submitted"
    # The refused application itself stays, as decided.
    r = await client.get(f"/api/v1/applications/{first}", headers=headers)
    assert r.json()["status"] == "denied"
    assert await audits(seeded, "onething:member:reapply", case["number"])

    granted = await act(market["counter"], registration["application_id"], "handle_on_the_spot", "grant")
    assert granted["events"][-1]["details"]["licence"]["number"]
    case = await get_case(client, headers, case["id"])
    assert member(case, FOOD)["state"] == "started"
    assert member(case, SIGN)["state"] == "started"
    assert case["status"] == "in_progress"
    assert case["completed_at"] is None
    r = await client.get(f"/api/v1/applications/{member(case, FOOD)['application_id']}", headers=headers)
    assert r.json()["form"]["operator_name"] == "兰州城关区马记牛肉面馆"


async def test_a_lost_step_is_picked_up_and_what_the_result_cannot_fill_waits_for_the_applicant(  # noqa: PLR0915 - one story, told in order
    client, new_client, seeded, bundle, make_person, make_staff
):
    person, headers = await person_client(client, seeded, make_person)
    case = await submitted_case(client, headers, bundle, person)
    account = await applicant_account(seeded, case["id"])
    market = await department(new_client, make_staff, MARKET)
    urban = await department(new_client, make_staff, URBAN)

    # The event of the grant is lost (the subscriber is away): the case has not moved.
    unsubscribe = domain_events.bus.subscribe(ApplicationStepRecorded, onething.on_application_step)
    unsubscribe()
    try:
        granted = await act(market["counter"], member(case, REGISTRATION)["application_id"], "handle_on_the_spot", "grant")
    finally:
        domain_events.bus.subscribe(ApplicationStepRecorded, onething.on_application_step)
    case = await get_case(client, headers, case["id"])
    assert member(case, REGISTRATION)["state"] == "started"
    assert member(case, FOOD)["state"] == "waiting"
    # Meanwhile the licence the registration issued was revoked: it fills nothing and fulfils nothing.
    issued = granted["events"][-1]["details"]["licence"]
    leader = market["leader"]
    r = await leader.client.post(f"/api/v1/licences/{issued['id']}/revoke", json={"reason": "登记信息有误，撤销登记"}, headers=leader.headers)
    assert r.status_code == 200, r.text

    async with seeded.db.transaction() as session:
        summary = await onething.reconcile(ServiceContext(session=session, platform=seeded))
    assert "推进" in summary
    case = await get_case(client, headers, case["id"])
    assert member(case, REGISTRATION)["state"] == "granted"
    food, sign = member(case, FOOD), member(case, SIGN)
    assert food["state"] == "awaiting_applicant", food
    assert sign["state"] == "awaiting_applicant", sign
    assert food["note"] == "请补充统一社会信用代码、法定代表人（负责人）；请上传营业执照"
    assert sign["note"] == "请补充统一社会信用代码；请上传营业执照"
    assert case["status"] == "awaiting_applicant"
    # The drafts exist, in the applicant's name and the bundle's.
    r = await client.get(f"/api/v1/applications/{food['application_id']}", headers=headers)
    assert r.json()["status"] == "draft"
    assert r.json()["bundle_case_ref"] == case["number"]
    waiting = [m for m in await messages(seeded, account) if m.title == "请补充信息以继续办理"]
    assert len(waiting) == 1
    assert "食品经营许可" in waiting[0].body
    assert "户外广告设施设置审批" in waiting[0].body
    # Running the job again changes nothing and tells nothing twice.
    async with seeded.db.transaction() as session:
        assert not await onething.advance(ServiceContext(session=session, platform=seeded), case["number"])
    assert len([m for m in await messages(seeded, account) if m.title == "请补充信息以继续办理"]) == 1

    # The applicant uploads the licence once for both items and gives the credit code.
    licence = next(m for m in case["materials"] if m["name"] == "营业执照")
    r = await client.post(
        f"/api/v1/onething/cases/{case['id']}/materials",
        headers=headers,
        data={"material": licence["key"]},
        files={"file": ("营业执照.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    uscc = make_uscc("9", "2", "620102", f"MA7{random.randrange(10**4, 10**5)}")  # noqa: S311 - test data
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/resume", json={"form": {"uscc": uscc, "legal_representative": person.name}}, headers=headers)
    assert r.status_code == 200, r.text
    case = r.json()
    assert member(case, FOOD)["state"] == "started"
    assert member(case, SIGN)["state"] == "started"
    for code in (FOOD, SIGN):
        r = await client.get(f"/api/v1/applications/{member(case, code)['application_id']}", headers=headers)
        body = r.json()
        assert body["status"] == "submitted"
        assert body["form"]["uscc"] == uscc
        assert next(m for m in body["materials"] if m["name"].startswith("营业执照"))["uploaded"] is True
    await grant_promised(market, member(case, FOOD)["application_id"])
    await grant_promised(urban, member(case, SIGN)["application_id"])
    case = await get_case(client, headers, case["id"])
    assert case["status"] == "completed"


async def test_resume_without_anything_to_resume_is_a_conflict(client, seeded, bundle, make_person):
    person, headers = await person_client(client, seeded, make_person)
    case = await submitted_case(client, headers, bundle, person)
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/resume", json={"form": {}}, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "nothing_to_resume"
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/members/{FOOD}/reapply", json={"form": {}}, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "not_reapplicable"
    # Materials are uploaded to the bundle only while it is a draft or an item waits for them.
    r = await client.post(
        f"/api/v1/onething/cases/{case['id']}/materials",
        headers=headers,
        data={"material": case["materials"][0]["key"]},
        files={"file": ("x.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 409
