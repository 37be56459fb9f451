"""The BPMN workflow engine behind applications (办件流程引擎).

Processes are standard BPMN 2.0 files in ``processes/`` executed with SpiffWorkflow. The engine keeps
no state of its own: every call takes the serialized state (a JSON string the caller stores with the
application) and returns a new one, so a rejected call never changes anything.

Each user task declares in its ``spiffworkflow:properties``:

- ``role``: comma-separated roles that may complete it (counter_staff, approver, department_leader, applicant);
- ``actions``: comma-separated actions it accepts (the exclusive gateways branch on ``action``);
- ``outcomes`` (optional): ``action:outcome`` pairs recorded as the case outcome (granted, denied, refused);
- ``department_variable`` (optional): the task-data variable naming the department that must do it
  (the joint-review multi-instance task sets ``department`` from the ``departments`` list).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final, cast

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from longgov.kernel.errors import AppError

PROCESS_DIR: Final = Path(__file__).parent / "processes"
PROCESSES: Final = ("instant", "promised", "joint_review")
STATE_FORMAT: Final = 1

# Variables the engine owns; callers may not set them through ``data``.
RESERVED_KEYS: Final = frozenset({"action", "department", "departments", "department_result", "department_results"})
ACTION_REQUIRING_ITEMS: Final = "request_correction"
ACTIONS_REQUIRING_REASON: Final = frozenset({"refuse", "deny"})

# Gateway plumbing not shown in ``TaskView.data`` (the timeline carries each step's action).
_HIDDEN_KEYS: Final = frozenset({"action", "department_result"})

_STATUS_BY_CODE: Final = {
    "step_not_allowed": 403,
    "step_not_ready": 409,
    "unknown_process": 404,
}


class WorkflowError(AppError):
    """A workflow step was refused; ``code`` is machine-readable and the message is Chinese.

    Codes: ``unknown_process``, ``invalid_state``, ``invalid_data``, ``step_not_ready``, ``step_not_allowed``,
    ``invalid_action``, ``correction_items_required``, ``reason_required``, ``engine_error``.
    """

    def __init__(self, code: str, message: str, *, details: Any = None) -> None:  # noqa: ANN401
        super().__init__(message, code=code, details=details, status_code=_STATUS_BY_CODE.get(code, 422 if code != "engine_error" else 500))

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class TaskView:
    """A user task waiting to be done (待办环节), as the applications module shows it."""

    id: str
    name: str
    title: str
    role: str
    department: str | None
    data: dict[str, Any]
    roles: tuple[str, ...] = ()
    actions: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _TaskRules:
    """What a user task declares in its BPMN extension properties."""

    roles: tuple[str, ...]
    actions: tuple[str, ...]
    outcomes: dict[str, str]
    department_variable: str | None


_SERIALIZER: Final = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))


def available_processes() -> list[str]:
    """The process names ``start`` accepts: ``instant`` 即办件, ``promised`` 承诺件, ``joint_review`` 联审."""
    return list(PROCESSES)


@cache
def _spec(process: str) -> Any:  # noqa: ANN401 - SpiffWorkflow is untyped
    """Parse (once) and validate against the BPMN XSD the process file of the same name."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(PROCESS_DIR / f"{process}.bpmn"))
    return parser.get_spec(process)


def start(process: str, data: dict[str, Any]) -> str:
    """Start ``process`` with the application's ``data`` and run to the first waiting user task.

    For ``joint_review`` the data must hold ``departments``: a non-empty list of distinct department kinds
    (e.g. ``["market_regulation", "fire_rescue", "health"]``), one review task each.
    """
    if process not in PROCESSES:
        raise WorkflowError("unknown_process", f"未知的办理流程：{process}", details={"available": list(PROCESSES)})
    initial = _check_data(data, allow={"departments"})
    if process == "joint_review":
        _check_departments(initial.get("departments"))
    elif "departments" in initial:
        raise WorkflowError("invalid_data", "只有联审流程可以指定联审部门（departments）")
    workflow = BpmnWorkflow(_spec(process))
    start_task = next(t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.name == "Start")
    start_task.data.update(initial)
    _run_engine(workflow)
    return _dump({"format": STATE_FORMAT, "process": process, "history": [], "outcome": None}, workflow)


def ready_tasks(state: str) -> list[TaskView]:
    """The user tasks that can be done now, in a stable order."""
    _, workflow = _load(state)
    return [_view(task) for task in _ready(workflow)]


def complete(state: str, task_id: str, *, role: str, department: str | None, action: str, data: dict[str, Any]) -> str:
    """Complete the ready task ``task_id`` as ``role`` (of ``department``) with ``action``; return the new state.

    Checks, in order: the task is ready (``step_not_ready``), the caller's role and department may do it
    (``step_not_allowed``), the action is one the task accepts (``invalid_action``), the data is a JSON object
    without engine variables (``invalid_data``); a correction request must list every missing item at once in
    ``data["missing_items"]`` (一次性告知, ``correction_items_required``); refusing to accept and denying need a
    ``data["reason"]`` (``reason_required``).
    """
    meta, workflow = _load(state)
    task = next((t for t in _ready(workflow) if str(t.id) == task_id), None)
    if task is None:
        raise WorkflowError("step_not_ready", "该环节当前不可办理（尚未到达、已办理或不存在）", details={"task_id": task_id})
    rules = _rules(task.task_spec)
    task_department = _task_department(task, rules)
    if role not in rules.roles:
        raise WorkflowError("step_not_allowed", f"当前角色无权办理“{task.task_spec.bpmn_name}”环节", details={"roles": list(rules.roles)})
    if task_department is not None and department != task_department:
        raise WorkflowError("step_not_allowed", f"该联审环节只能由对应部门（{task_department}）办理", details={"department": task_department})
    if action not in rules.actions:
        raise WorkflowError("invalid_action", f"“{task.task_spec.bpmn_name}”环节不支持该操作：{action}", details={"actions": list(rules.actions)})
    submitted = _check_data(data, allow=set())
    _check_action_data(action, submitted)

    if task_department is not None and rules.department_variable is not None:
        # A joint-review instance reports through its output item, collected into ``department_results``.
        task.data["department_result"] = {"department": task_department, "action": action, **submitted}
    else:
        task.data.update(submitted)
        task.data["action"] = action
    task.run()
    _run_engine(workflow)

    history = cast("list[dict[str, Any]]", meta["history"])
    history.append(
        {
            "task_id": task_id,
            "name": task.task_spec.bpmn_id,
            "title": task.task_spec.bpmn_name,
            "action": action,
            "role": role,
            "department": task_department,
            "data": submitted,
        }
    )
    if action in rules.outcomes:
        meta["outcome"] = rules.outcomes[action]
    return _dump(meta, workflow)


def is_finished(state: str) -> bool:
    """Whether the process has reached an end event (refused, or delivered)."""
    _, workflow = _load(state)
    return bool(workflow.is_completed())


def outcome(state: str) -> str | None:
    """The result once finished: ``refused`` (不予受理), ``granted`` (准予) or ``denied`` (不予许可); ``None`` while running."""
    meta, workflow = _load(state)
    if not workflow.is_completed():
        return None
    result = meta.get("outcome")
    return result if isinstance(result, str) else None


def history(state: str) -> list[dict[str, Any]]:
    """The completed steps in order (for the timeline): task id, BPMN name, title, action, role, department, data."""
    meta, _ = _load(state)
    return copy.deepcopy(cast("list[dict[str, Any]]", meta["history"]))


# --- internals -------------------------------------------------------------------------------------


def _ready(workflow: Any) -> list[Any]:  # noqa: ANN401
    tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    return sorted(tasks, key=lambda t: (t.task_spec.bpmn_id or "", json.dumps(t.data.get("department"), ensure_ascii=False), str(t.id)))


def _rules(task_spec: Any) -> _TaskRules:  # noqa: ANN401
    extensions = getattr(task_spec, "extensions", None) or {}
    props: dict[str, str] = extensions.get("properties", {})

    def listed(value: str | None) -> tuple[str, ...]:
        return tuple(item.strip() for item in (value or "").split(",") if item.strip())

    outcomes = dict(pair.split(":", 1) for pair in listed(props.get("outcomes")))
    return _TaskRules(listed(props.get("role")), listed(props.get("actions")), outcomes, props.get("department_variable") or None)


def _task_department(task: Any, rules: _TaskRules) -> str | None:  # noqa: ANN401
    if rules.department_variable is None:
        return None
    value = task.data.get(rules.department_variable)
    return value if isinstance(value, str) else None


def _view(task: Any) -> TaskView:  # noqa: ANN401
    rules = _rules(task.task_spec)
    return TaskView(
        id=str(task.id),
        name=str(task.task_spec.bpmn_id),
        title=str(task.task_spec.bpmn_name),
        role=rules.roles[0] if rules.roles else "",
        department=_task_department(task, rules),
        data={k: v for k, v in json.loads(json.dumps(task.data)).items() if k not in _HIDDEN_KEYS},
        roles=rules.roles,
        actions=rules.actions,
    )


def _check_data(data: object, *, allow: set[str]) -> dict[str, Any]:
    """A JSON-safe deep copy of caller data, without engine-owned keys (except those in ``allow``)."""
    if not isinstance(data, dict):
        raise WorkflowError("invalid_data", "办理数据必须是对象（键值对）")
    bad = sorted(str(k) for k in data if not isinstance(k, str) or k.startswith("_") or (k in RESERVED_KEYS and k not in allow))
    if bad:
        raise WorkflowError("invalid_data", f"办理数据包含保留字段：{'、'.join(bad)}", details={"keys": bad})
    try:
        return cast("dict[str, Any]", json.loads(json.dumps(data, ensure_ascii=False, allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise WorkflowError("invalid_data", "办理数据必须可以保存为 JSON") from exc


def _check_departments(departments: object) -> None:
    if (
        not isinstance(departments, list)
        or not departments
        or not all(isinstance(d, str) and d.strip() for d in departments)
        or len(set(departments)) != len(departments)
    ):
        raise WorkflowError("invalid_data", "联审必须指定至少一个联审部门（departments），且不得重复")


def _check_action_data(action: str, data: dict[str, Any]) -> None:
    if action == ACTION_REQUIRING_ITEMS:
        items = data.get("missing_items")
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
            raise WorkflowError("correction_items_required", "补正通知必须一次性告知全部需补正的材料（missing_items 至少一项）")
    if action in ACTIONS_REQUIRING_REASON:
        reason = data.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise WorkflowError("reason_required", "不予受理或不予许可必须说明理由（reason）")


def _run_engine(workflow: Any) -> None:  # noqa: ANN401
    try:
        workflow.do_engine_steps()
    except Exception as exc:  # SpiffWorkflow raises many types; the caller's stored state stays unchanged
        raise WorkflowError("engine_error", "流程引擎执行失败，请联系管理员") from exc


def _dump(meta: dict[str, Any], workflow: Any) -> str:  # noqa: ANN401
    envelope = dict(meta)
    envelope["workflow"] = _SERIALIZER.to_dict(workflow)
    envelope["workflow"][_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))


def _load(state: str) -> tuple[dict[str, Any], Any]:
    try:
        envelope = json.loads(state)
    except (TypeError, ValueError) as exc:
        raise WorkflowError("invalid_state", "流程状态数据损坏，无法读取") from exc
    if not isinstance(envelope, dict) or envelope.get("format") != STATE_FORMAT or envelope.get("process") not in PROCESSES:
        raise WorkflowError("invalid_state", "流程状态数据格式不正确")
    serialized = envelope.pop("workflow", None)
    if not isinstance(serialized, dict) or not isinstance(envelope.get("history"), list):
        raise WorkflowError("invalid_state", "流程状态数据格式不正确")
    try:
        _SERIALIZER.migrate(serialized)
        workflow = _SERIALIZER.from_dict(serialized)
    except Exception as exc:  # any failure here means the stored state is unusable
        raise WorkflowError("invalid_state", "流程状态数据损坏，无法恢复") from exc
    return envelope, workflow
