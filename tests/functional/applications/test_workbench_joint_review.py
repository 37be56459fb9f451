"""联审: the catalogue names the co-reviewing departments; each one's approver gets its own review task."""

import pytest
from pydantic import ValidationError

from longgov.catalog.schemas import ItemContent
from tests.functional.applications.workbench_support import act, applicant, staff, stored, submit, task_rows, whole_inbox

CONSTRUCTION_PERMIT = "620A0032000000"  # 建筑工程施工许可证核发, 城关区住建局
CO_REVIEWERS = ("human_resources", "natural_resources", "urban_management")
FORM = {"contact_name": "王建设", "contact_phone": "13912340000", "description": "兰州市城关区某住宅楼项目申请施工许可"}


def _content(**changes):
    base = {
        "name": "测试联审事项",
        "item_type": "行政许可",
        "legal_basis": ["《测试法》"],
        "conditions": "符合条件",
        "materials": [{"name": "申请表"}],
        "statutory_days": 20,
        "promised_days": 10,
        "process_type": "joint_review",
    }
    return {**base, **changes}


def test_co_reviewing_departments_are_known_distinct_and_only_for_joint_review():
    assert ItemContent.model_validate(_content(co_reviewing_departments=["housing", "ecology"])).co_reviewing_departments == ["housing", "ecology"]
    with pytest.raises(ValidationError, match="未知的联审部门：fire_brigade"):
        ItemContent.model_validate(_content(co_reviewing_departments=["housing", "fire_brigade"]))
    with pytest.raises(ValidationError, match="联审部门不得重复"):
        ItemContent.model_validate(_content(co_reviewing_departments=["housing", "housing"]))
    with pytest.raises(ValidationError, match="只有联审件可以指定联审部门"):
        ItemContent.model_validate(_content(process_type="promised", co_reviewing_departments=["housing"]))


async def test_each_co_reviewing_department_reviews_in_its_own_inbox(client, new_client, seeded, make_person, make_staff):
    headers = await applicant(client, seeded, make_person)
    application = await submit(client, headers, seeded, CONSTRUCTION_PERMIT, FORM)
    app_id, number = application["id"], application["number"]
    assert sorted(application["workflow_state"]["departments"]) == list(CO_REVIEWERS)
    counter = await staff(new_client, make_staff, ["counter_staff"], "620102-housing")
    lead = await staff(new_client, make_staff, ["approver"], "620102-housing")
    reviewers = {kind: await staff(new_client, make_staff, ["approver"], f"620102-{kind}") for kind in CO_REVIEWERS}
    elsewhere = await staff(new_client, make_staff, ["approver"], "620103-natural_resources")
    assert (await act(counter, app_id, task="pre_check", action="accept")).status_code == 201

    rows = await task_rows(seeded, app_id)
    assert sorted((r.task_name, r.department_kind, r.task_department) for r in rows) == [
        ("department_review", "human_resources", "human_resources"),
        ("department_review", "natural_resources", "natural_resources"),
        ("department_review", "urban_management", "urban_management"),
        ("review", "housing", None),
    ]
    assert {r.deadline for r in rows} == {(await stored(seeded, app_id)).deadline}
    # The lead approver sees the lead review only; each co-reviewer its own instance; another county nothing.
    assert [e["task_name"] for e in await whole_inbox(lead) if e["number"] == number] == ["review"]
    for kind, reviewer in reviewers.items():
        mine = [e for e in await whole_inbox(reviewer) if e["number"] == number]
        assert [(e["task_name"], e["department"]) for e in mine] == [("department_review", kind)]
    assert number not in {e["number"] for e in await whole_inbox(elsewhere)}

    # A co-reviewer opens the case (in its scope through the review) and completes its own instance only.
    reviewer = reviewers["natural_resources"]
    r = await reviewer.client.get(f"/api/v1/applications/workbench/{app_id}", headers=reviewer.headers)
    assert r.status_code == 200, r.text
    [task] = r.json()["tasks"]
    assert (task["name"], task["department"]) == ("department_review", "natural_resources")
    other_instance = next(r.task_id for r in rows if r.task_department == "urban_management")
    r = await act(reviewer, app_id, task=other_instance, action="pass")
    assert r.status_code == 403
    r = await act(reviewer, app_id, task="review", action="pass")  # the lead department's own step
    assert r.status_code == 403
    assert r.json()["code"] == "step_not_allowed"
    assert (await act(reviewer, app_id, task="department_review", action="pass")).status_code == 201
    assert (await elsewhere.client.get(f"/api/v1/applications/workbench/{app_id}", headers=elsewhere.headers)).status_code == 404

    remaining = sorted((r.task_name, r.department_kind) for r in await task_rows(seeded, app_id))
    assert remaining == [("department_review", "human_resources"), ("department_review", "urban_management"), ("review", "housing")]
    for kind in ("human_resources", "urban_management"):
        assert (await act(reviewers[kind], app_id, task="department_review", action="pass")).status_code == 201
    assert (await act(lead, app_id, task="review", action="pass")).status_code == 201
    assert [(r.task_name, r.department_kind) for r in await task_rows(seeded, app_id)] == [("decision", "housing"), ("decision", "housing")]
