"""A granted 食品经营许可 issues the 食品经营许可证 as an electronic licence; a form that cannot fill one leaves the grant standing."""

import random

from longgov.identity.codes import make_uscc
from tests.conftest import csrf_headers, login_person
from tests.functional.applications.conftest import FOOD, GOOD_FOOD_FORM, item_code, upload_all
from tests.functional.applications.test_workbench import _act, _staff


async def _granted(client, new_client, platform, make_person, make_staff, form):
    await login_person(client, platform, await make_person())
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    r = await client.post("/api/v1/applications", json={"item_code": await item_code(platform, FOOD), "form": form}, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    await upload_all(client, headers, draft)
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    app_id = r.json()["id"]
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    approver, approver_h = await _staff(new_client, make_staff, ["approver"])
    leader, leader_h = await _staff(new_client, make_staff, ["department_leader"])
    assert (await _act(counter, counter_h, app_id, task="pre_check", action="accept")).status_code == 201
    assert (await _act(approver, approver_h, app_id, task="review", action="pass")).status_code == 201
    r = await _act(leader, leader_h, app_id, task="decision", action="grant")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "granted"
    return r.json(), leader, leader_h


async def test_grant_issues_the_food_business_licence(client, new_client, seeded, make_person, make_staff):
    uscc = make_uscc("9", "1", "620102", f"MA7{random.randrange(10**4, 10**5)}")  # noqa: S311 - test data
    form = {**GOOD_FOOD_FORM, "uscc": uscc, "operator_name": "兰州牛肉面馆有限公司"}
    body, leader, _ = await _granted(client, new_client, seeded, make_person, make_staff, form)
    issued = body["events"][-1]["details"]["licence"]
    assert issued["type_name"] == "食品经营许可证"
    r = await client.get("/api/v1/identity/validate", params={"kind": "licence_id", "value": issued["identifier"]})
    assert r.json()["valid"] is True
    # The issuing department sees it, held by the operator named in the form, valid.
    r = await leader.get(f"/workbench/licences/{issued['id']}")
    assert r.status_code == 200, r.text
    assert "兰州牛肉面馆有限公司" in r.text
    assert issued["identifier"] in r.text
    page = await leader.get(f"/workbench/applications/{body['id']}")
    assert f'data-licence="{issued["identifier"]}"' in page.text
    r = await client.get(f"/citizen/applications/{body['number']}")
    assert "已签发电子证照：食品经营许可证" in r.text


async def test_a_form_that_cannot_fill_a_licence_does_not_undo_the_grant(client, new_client, seeded, make_person, make_staff):
    # GOOD_FOOD_FORM's credit code has a wrong check character: no licence, the decision stands.
    body, _, _ = await _granted(client, new_client, seeded, make_person, make_staff, GOOD_FOOD_FORM)
    details = body["events"][-1]["details"]
    assert "licence" not in details
    assert "统一社会信用代码" in details["licence_error"] or "证件号码" in details["licence_error"]
    assert details["document"]["kind_title"] == "准予行政许可决定书"
