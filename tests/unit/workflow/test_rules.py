"""Who may do what, and what cannot be done."""

from __future__ import annotations

import json

import pytest

from longgov.workflow import engine
from longgov.workflow.engine import WorkflowError
from tests.unit.workflow.helpers import DEPARTMENTS, step, task


def _code(exc: pytest.ExceptionInfo[WorkflowError]) -> str:
    assert exc.value.message  # Chinese message for the user
    return exc.value.code


def test_wrong_role_is_not_allowed():
    state = engine.start("promised", {})
    view = task(state, "pre_check")
    for role in ("applicant", "approver", "department_leader", "nobody"):
        with pytest.raises(WorkflowError) as exc:
            engine.complete(state, view.id, role=role, department=None, action="accept", data={})
        assert _code(exc) == "step_not_allowed"
        assert exc.value.status_code == 403


def test_review_before_acceptance_is_not_ready():
    accepted = step(engine.start("promised", {}), "pre_check", "counter_staff", "accept")
    review_id = task(accepted, "review").id
    # Another case, still at pre-check: the review task (or any other id) does not exist there.
    fresh = engine.start("promised", {})
    for bogus in (review_id, "review", "made-up", ""):
        with pytest.raises(WorkflowError) as exc:
            engine.complete(fresh, bogus, role="approver", department=None, action="pass", data={})
        assert _code(exc) == "step_not_ready"


def test_completed_task_cannot_be_done_again():
    state = engine.start("promised", {})
    view = task(state, "pre_check")
    new = engine.complete(state, view.id, role="counter_staff", department=None, action="accept", data={})
    with pytest.raises(WorkflowError) as exc:
        engine.complete(new, view.id, role="counter_staff", department=None, action="accept", data={})
    assert _code(exc) == "step_not_ready"


def test_decision_not_ready_until_reviewed():
    state = step(engine.start("promised", {}), "pre_check", "counter_staff", "accept")
    assert "decision" not in [t.name for t in engine.ready_tasks(state)]


@pytest.mark.parametrize(
    ("name", "role", "action"), [("pre_check", "counter_staff", "grant"), ("pre_check", "counter_staff", "ACCEPT"), ("pre_check", "counter_staff", "")]
)
def test_invalid_action(name, role, action):
    state = engine.start("promised", {})
    with pytest.raises(WorkflowError) as exc:
        engine.complete(state, task(state, name).id, role=role, department=None, action=action, data={})
    assert _code(exc) == "invalid_action"


def test_decision_accepts_only_grant_or_deny():
    state = step(engine.start("promised", {}), "pre_check", "counter_staff", "accept")
    state = step(state, "review", "approver", "pass")
    with pytest.raises(WorkflowError) as exc:
        engine.complete(state, task(state, "decision").id, role="approver", department=None, action="accept", data={})
    assert _code(exc) == "invalid_action"


@pytest.mark.parametrize("items", [None, [], [""], ["  "], "营业执照", [1]])
def test_correction_request_must_list_items(items):
    state = engine.start("promised", {})
    data = {} if items is None else {"missing_items": items}
    with pytest.raises(WorkflowError) as exc:
        engine.complete(state, task(state, "pre_check").id, role="counter_staff", department=None, action="request_correction", data=data)
    assert _code(exc) == "correction_items_required"


def test_refusal_needs_reason():
    state = engine.start("promised", {})
    with pytest.raises(WorkflowError) as exc:
        engine.complete(state, task(state, "pre_check").id, role="counter_staff", department=None, action="refuse", data={})
    assert _code(exc) == "reason_required"


@pytest.mark.parametrize("data", [{"action": "refuse"}, {"departments": []}, {"_secret": 1}, {"x": float("nan")}, {"x": object()}, ["a"]])
def test_reserved_or_unserialisable_data_is_rejected(data):
    state = engine.start("promised", {})
    with pytest.raises(WorkflowError) as exc:
        engine.complete(state, task(state, "pre_check").id, role="counter_staff", department=None, action="accept", data=data)
    assert _code(exc) == "invalid_data"


def test_department_cannot_do_another_departments_task():
    state = step(engine.start("joint_review", {"departments": DEPARTMENTS}), "pre_check", "counter_staff", "accept")
    fire = task(state, "department_review", "fire_rescue")
    for department in ("market_regulation", None, "fire"):
        with pytest.raises(WorkflowError) as exc:
            engine.complete(state, fire.id, role="approver", department=department, action="pass", data={})
        assert _code(exc) == "step_not_allowed"
    with pytest.raises(WorkflowError) as exc:
        engine.complete(state, fire.id, role="counter_staff", department="fire_rescue", action="pass", data={})
    assert _code(exc) == "step_not_allowed"
    engine.complete(state, fire.id, role="approver", department="fire_rescue", action="pass", data={})


@pytest.mark.parametrize("departments", [None, [], ["health", "health"], [""], "health", [1]])
def test_joint_review_requires_departments(departments):
    data = {} if departments is None else {"departments": departments}
    with pytest.raises(WorkflowError) as exc:
        engine.start("joint_review", data)
    assert _code(exc) == "invalid_data"


def test_start_rejects_unknown_process_and_departments_elsewhere():
    with pytest.raises(WorkflowError) as exc:
        engine.start("nope", {})
    assert _code(exc) == "unknown_process"
    with pytest.raises(WorkflowError) as exc:
        engine.start("promised", {"departments": ["health"]})
    assert _code(exc) == "invalid_data"


@pytest.mark.parametrize(
    "state", ["", "not json", "[]", '{"format": 1, "process": "promised"}', '{"format": 1, "process": "promised", "history": [], "workflow": {}}']
)
def test_corrupt_state_is_reported(state):
    with pytest.raises(WorkflowError) as exc:
        engine.ready_tasks(state)
    assert _code(exc) == "invalid_state"


def test_rejected_call_leaves_state_usable_and_json():
    state = engine.start("promised", {"applicant": "李四"})
    view = task(state, "pre_check")
    with pytest.raises(WorkflowError):
        engine.complete(state, view.id, role="approver", department=None, action="accept", data={})
    assert json.loads(state)["process"] == "promised"
    assert task(state, "pre_check").id == view.id


def test_error_str_has_code():
    err = WorkflowError("step_not_ready", "该环节当前不可办理")
    assert str(err) == "step_not_ready: 该环节当前不可办理"
    assert err.to_dict()["code"] == "step_not_ready"
