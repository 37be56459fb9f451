"""Random sequences of steps never corrupt the state."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longgov.workflow import engine
from longgov.workflow.engine import WorkflowError

ROLES = ["counter_staff", "approver", "department_leader", "applicant", "nobody"]
ACTIONS = ["accept", "refuse", "request_correction", "resubmit", "pass", "reject", "grant", "deny", "conclude", "deliver", "bogus"]
DEPARTMENTS = ["market_regulation", "fire_rescue", "health"]
DATA = st.sampled_from([{}, {"missing_items": ["营业执照"]}, {"reason": "理由"}, {"missing_items": []}, {"action": "accept"}, {"note": "备注"}])
EXPECTED_CODES = {"step_not_ready", "step_not_allowed", "invalid_action", "invalid_data", "correction_items_required", "reason_required"}
STEP = st.tuples(
    st.integers(min_value=0, max_value=5),  # index into the ready tasks; out of range → a made-up id
    st.sampled_from(ROLES),
    st.sampled_from([None, *DEPARTMENTS]),
    st.sampled_from(ACTIONS),
    DATA,
    st.booleans(),  # cooperative: act with the task's own role, department and one of its actions
    st.integers(min_value=0, max_value=3),
)


def _valid(state: str) -> None:
    envelope = json.loads(state)
    assert envelope["format"] == engine.STATE_FORMAT
    views = engine.ready_tasks(state)
    finished = engine.is_finished(state)
    assert finished == (views == [])
    assert (engine.outcome(state) is not None) == finished
    for view in views:
        json.dumps(view.data)
        assert view.role


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(process=st.sampled_from(engine.available_processes()), steps=st.lists(STEP, max_size=25))
def test_random_steps_never_corrupt_state(process, steps):
    data = {"departments": DEPARTMENTS} if process == "joint_review" else {}
    state = engine.start(process, data)
    done = 0
    codes: list[str] = []
    for index, random_role, random_department, random_action, payload, cooperative, pick in steps:
        views = engine.ready_tasks(state)
        task_id = views[index].id if index < len(views) else f"made-up-{index}"
        role, department, action = random_role, random_department, random_action
        if cooperative and index < len(views):
            view = views[index]
            role, department, action = view.role, view.department, view.actions[pick % len(view.actions)]
        try:
            new = engine.complete(state, task_id, role=role, department=department, action=action, data=payload)
        except WorkflowError as exc:
            codes.append(exc.code)
            continue
        _valid(new)
        done += 1
        assert len(engine.history(new)) == done
        state = new
    _valid(state)
    assert set(codes) <= EXPECTED_CODES
