"""Happy paths, loops and refusals of the three processes."""

from __future__ import annotations

import pytest

from longgov.workflow import engine
from tests.unit.workflow.helpers import DEPARTMENTS, names, step, task


def test_available_processes():
    assert engine.available_processes() == ["instant", "promised", "joint_review"]


def test_instant_happy_path():
    state = engine.start("instant", {"applicant": "张三"})
    assert names(state) == ["handle_on_the_spot"]
    view = task(state, "handle_on_the_spot")
    assert (view.title, view.role, view.department) == ("受理并当场办结", "counter_staff", None)
    assert view.data == {"applicant": "张三"}
    state = step(state, "handle_on_the_spot", "counter_staff", "grant", licence_no="L-1")
    assert not engine.is_finished(state)
    assert engine.outcome(state) is None
    state = step(state, "deliver", "counter_staff", "deliver", method="窗口领取")
    assert engine.is_finished(state)
    assert engine.ready_tasks(state) == []
    assert engine.outcome(state) == "granted"
    assert [(h["name"], h["action"]) for h in engine.history(state)] == [("handle_on_the_spot", "grant"), ("deliver", "deliver")]


def _promised_until_accepted(process: str = "promised") -> str:
    data = {"departments": DEPARTMENTS} if process == "joint_review" else {}
    state = engine.start(process, {"applicant": "张三", **data})
    return step(state, "pre_check", "counter_staff", "accept", note="材料齐全")


@pytest.mark.parametrize(("decider", "action", "expected"), [("approver", "grant", "granted"), ("department_leader", "deny", "denied")])
def test_promised_happy_path(decider, action, expected):
    state = _promised_until_accepted()
    assert names(state) == ["review"]
    state = step(state, "review", "approver", "pass", opinion="符合条件")
    assert names(state) == ["decision"]
    assert task(state, "decision").roles == ("approver", "department_leader")
    extra = {"reason": "不符合条件"} if action == "deny" else {}
    state = step(state, "decision", decider, action, **extra)
    state = step(state, "conclude", "counter_staff", "conclude")
    assert engine.outcome(state) is None
    state = step(state, "deliver", "counter_staff", "deliver")
    assert engine.is_finished(state)
    assert engine.outcome(state) == expected
    history = engine.history(state)
    assert [h["name"] for h in history] == ["pre_check", "review", "decision", "conclude", "deliver"]
    assert history[0] == {
        "task_id": history[0]["task_id"],
        "name": "pre_check",
        "title": "预审",
        "action": "accept",
        "role": "counter_staff",
        "department": None,
        "data": {"note": "材料齐全"},
    }
    assert history[2]["role"] == decider


@pytest.mark.parametrize("process", ["promised", "joint_review"])
def test_correction_loop_twice_then_accept(process):
    data = {"departments": DEPARTMENTS} if process == "joint_review" else {}
    state = engine.start(process, data)
    state = step(state, "pre_check", "counter_staff", "request_correction", missing_items=["营业执照副本", "法定代表人身份证明"])
    assert names(state) == ["resubmit"]
    resubmit = task(state, "resubmit")
    assert resubmit.role == "applicant"
    assert resubmit.data["missing_items"] == ["营业执照副本", "法定代表人身份证明"]
    state = step(state, "resubmit", "applicant", "resubmit", materials=["a.pdf", "b.pdf"])
    assert names(state) == ["pre_check"]
    state = step(state, "pre_check", "counter_staff", "request_correction", missing_items=["场地证明"])
    assert task(state, "resubmit").data["missing_items"] == ["场地证明"]
    state = step(state, "resubmit", "applicant", "resubmit", materials=["c.pdf"])
    state = step(state, "pre_check", "counter_staff", "accept")
    assert names(state) == (["department_review"] * 3 + ["review"] if process == "joint_review" else ["review"])
    assert [h["action"] for h in engine.history(state)] == ["request_correction", "resubmit"] * 2 + ["accept"]


@pytest.mark.parametrize("process", ["promised", "joint_review"])
def test_refusal_ends_with_refused(process):
    data = {"departments": DEPARTMENTS} if process == "joint_review" else {}
    state = engine.start(process, data)
    state = step(state, "pre_check", "counter_staff", "refuse", reason="不属于本机关职权范围")
    assert engine.is_finished(state)
    assert engine.ready_tasks(state) == []
    assert engine.outcome(state) == "refused"


def test_joint_review_happy_path_and_all_departments_required():
    state = _promised_until_accepted("joint_review")
    views = engine.ready_tasks(state)
    assert sorted(v.department for v in views if v.name == "department_review") == sorted(DEPARTMENTS)
    assert all(v.role == "approver" for v in views)
    for department in DEPARTMENTS:
        assert "decision" not in names(state)
        state = step(state, "department_review", "approver", "pass", department, opinion=f"{department}同意")
    assert "decision" not in names(state)
    assert names(state) == ["review"]
    state = step(state, "review", "approver", "pass")
    decision = task(state, "decision")
    results = decision.data["department_results"]
    assert sorted(r["department"] for r in results) == sorted(DEPARTMENTS)
    assert all(r["action"] == "pass" for r in results)
    state = step(state, "decision", "approver", "grant")
    state = step(state, "conclude", "counter_staff", "conclude")
    state = step(state, "deliver", "counter_staff", "deliver")
    assert engine.outcome(state) == "granted"
    departments = [h["department"] for h in engine.history(state) if h["name"] == "department_review"]
    assert departments == DEPARTMENTS


def test_joint_review_departments_come_from_data():
    state = engine.start("joint_review", {"departments": ["ecology"]})
    state = step(state, "pre_check", "counter_staff", "accept")
    assert [(v.name, v.department) for v in engine.ready_tasks(state)] == [("department_review", "ecology"), ("review", None)]
