"""一件事 pages when things go another way: changing the guide's answers on a draft, a refused item applied for again from
the case page (the results obtained stay), and an item waiting for the applicant resumed with the values and the file it needs."""

from __future__ import annotations

import random

from longgov.applications.schemas import ApplicationStepRecorded
from longgov.identity.codes import make_uscc
from longgov.kernel import events as domain_events
from longgov.onething import services as onething
from longgov.platform import ServiceContext
from tests.conftest import csrf_headers
from tests.functional.onething.conftest import (
    FOOD,
    MARKET,
    PDF,
    PERSON_ANSWERS,
    REGISTRATION,
    SIGN,
    act,
    department,
    draft_case,
    get_case,
    member,
    person_client,
    person_form,
    submitted_case,
)


async def test_changing_the_answers_of_a_draft_changes_its_items(client, seeded, bundle, make_person):
    person, headers = await person_client(client, seeded, make_person)
    case = await draft_case(client, headers, bundle, PERSON_ANSWERS, person_form(person))
    path = f"/citizen/onething/drafts/{case['id']}"
    r = await client.get(path)
    assert 'id="change-answers"' in r.text
    assert 'name="answer.outdoor_sign" value="true" checked' in r.text
    page_headers = await csrf_headers(client)
    answers = {f"answer.{k}": str(v).lower() for k, v in {**PERSON_ANSWERS, "outdoor_sign": False}.items()}
    r = await client.post(f"{path}/answers", data=answers, headers=page_headers)
    assert r.status_code == 200, r.text
    assert "已按新的回答调整需要办理的事项" in r.text
    case = await get_case(client, headers, case["id"])
    assert [m["basic_code"] for m in case["members"]] == [REGISTRATION, FOOD]
    # The sign's fields went with it; a contradiction is refused with the message and nothing changes.
    assert "sign_text" not in case["form"]
    r = await client.post(f"{path}/answers", data={**answers, "answer.has_business_licence": "true"}, headers=page_headers)
    assert r.status_code == 422
    assert "回答相互矛盾" in r.text
    assert [m["basic_code"] for m in (await get_case(client, headers, case["id"]))["members"]] == [REGISTRATION, FOOD]


async def test_a_refused_item_is_applied_for_again_from_the_case_page(client, new_client, seeded, bundle, make_person, make_staff):
    person, headers = await person_client(client, seeded, make_person)
    case = await submitted_case(client, headers, bundle, person)
    market = await department(new_client, make_staff, MARKET)
    first = member(case, REGISTRATION)
    await act(market["counter"], first["application_id"], "handle_on_the_spot", "deny", reason="拟用名称与已登记的个体工商户名称相同")
    path = f"/citizen/onething/cases/{case['number']}"
    r = await client.get(path)
    assert "部分办结" in r.text
    reapply = r.text[r.text.index('id="reapply"') : r.text.index('id="members"')]
    assert "理由：拟用名称与已登记的个体工商户名称相同" in reapply
    assert f'name="item" value="{REGISTRATION}"' in reapply
    assert "不予行政许可决定书" in r.text  # the decision letter is a result the applicant keeps
    assert "暂缓办理" in r.text
    # Materials may be replaced before applying again.
    assert f"/citizen/onething/cases/{case['number']}/materials" in r.text

    page_headers = await csrf_headers(client)
    r = await client.post(f"{path}/reapply", data={"item": REGISTRATION}, headers=page_headers)
    assert r.status_code == 303, r.text
    r = await client.get(path)
    assert f"此前申请 1 次：{first['application_number']}（不予许可）" in r.text
    case = await get_case(client, headers, case["id"])
    assert member(case, REGISTRATION)["state"] == "started"
    # An item that was not refused cannot be applied for again.
    r = await client.post(f"{path}/reapply", data={"item": FOOD}, headers=page_headers)
    assert r.status_code == 409
    assert "只有不予受理或不予许可的事项可以重新申请" in r.text


async def test_an_item_waiting_for_the_applicant_is_resumed_from_the_case_page(client, new_client, seeded, bundle, make_person, make_staff):
    person, headers = await person_client(client, seeded, make_person)
    case = await submitted_case(client, headers, bundle, person)
    market = await department(new_client, make_staff, MARKET)
    # The grant's event is lost and the licence it issued is revoked meanwhile: the job finds nothing to fill the next items with.
    unsubscribe = domain_events.bus.subscribe(ApplicationStepRecorded, onething.on_application_step)
    unsubscribe()
    try:
        granted = await act(market["counter"], member(case, REGISTRATION)["application_id"], "handle_on_the_spot", "grant")
    finally:
        domain_events.bus.subscribe(ApplicationStepRecorded, onething.on_application_step)
    issued = granted["events"][-1]["details"]["licence"]
    leader = market["leader"]
    r = await leader.client.post(f"/api/v1/licences/{issued['id']}/revoke", json={"reason": "登记信息有误，撤销登记"}, headers=leader.headers)
    assert r.status_code == 200, r.text
    async with seeded.db.transaction() as session:
        await onething.reconcile(ServiceContext(session=session, platform=seeded))

    path = f"/citizen/onething/cases/{case['number']}"
    r = await client.get(path)
    resume = r.text[r.text.index('id="resume"') : r.text.index('id="members"')]
    assert "请补充统一社会信用代码、法定代表人（负责人）；请上传营业执照" in resume
    assert 'id="f-uscc"' in resume
    assert 'id="f-business_name"' not in resume  # filled before: not asked again
    case = await get_case(client, headers, case["id"])
    licence = next(m for m in case["materials"] if m["name"] == "营业执照")
    page_headers = await csrf_headers(client)
    r = await client.post(
        f"{path}/materials", data={"material": licence["key"]}, files={"file": ("营业执照.pdf", PDF, "application/pdf")}, headers=page_headers
    )
    assert r.status_code == 200, r.text
    assert "已上传“营业执照”" in r.text
    # Something still missing is named; with the values given, both items go on.
    r = await client.post(f"{path}/resume", data={"uscc": "", "legal_representative": person.name}, headers=page_headers)
    assert r.status_code == 422
    uscc = make_uscc("9", "2", "620102", f"MA7{random.randrange(10**4, 10**5)}")  # noqa: S311 - test data
    r = await client.post(f"{path}/resume", data={"uscc": uscc, "legal_representative": person.name}, headers=page_headers)
    assert r.status_code == 303, r.text
    case = await get_case(client, headers, case["id"])
    assert member(case, FOOD)["state"] == "started"
    assert member(case, SIGN)["state"] == "started"
    r = await client.get(path)
    assert 'id="resume"' not in r.text
