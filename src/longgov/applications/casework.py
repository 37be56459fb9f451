"""Casework (R2.3/R3.3): the item's BPMN process behind a submitted application, the staff workbench.

``Application.workflow_state`` holds ``{"engine": <engine state>, "process": ..., "pauses": [[from, to]],
"correction_since": date|None, "clock_start": date|None, "working_days": n, "deadline": date|None}``.
Every completed step moves ``status`` and appends a timeline entry through :func:`services.record_step`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update

from longgov.applications import events, services
from longgov.applications.models import Application
from longgov.applications.schemas import ApplicationView, InboxEntry, TimeLimitView
from longgov.catalog import services as catalog
from longgov.catalog.schemas import ItemView
from longgov.db import utcnow
from longgov.documents import services as documents
from longgov.documents.schemas import DocumentFields, DocumentKind, DocumentView, MaterialDefect
from longgov.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.pii import mask_address, mask_middle, mask_name, mask_phone
from longgov.security.principal import Principal
from longgov.security.scope import division_prefix
from longgov.timelimits import services as timelimits
from longgov.workflow import engine

APPLICANT = "applicant"
STAFF_ROLES = ("counter_staff", "approver", "department_leader")
ROLE_TITLES = {"counter_staff": "窗口人员", "approver": "审批人员", "department_leader": "部门负责人", APPLICANT: services.APPLICANT_ROLE}
CLOSED = ("draft", "refused", "delivered", "withdrawn")


@dataclass(frozen=True)
class _Step:
    status: str
    title: str
    document: DocumentKind | None = None


# (task name, action) → the status it leads to, the timeline title and the document it issues.
STEPS: dict[tuple[str, str], _Step] = {
    ("pre_check", "accept"): _Step("accepted", "受理", DocumentKind.Acceptance),
    ("pre_check", "refuse"): _Step("refused", "不予受理", DocumentKind.Refusal),
    ("pre_check", "request_correction"): _Step("correction_requested", "一次性告知补正材料", DocumentKind.Correction),
    ("resubmit", "resubmit"): _Step("pre_check", "补正材料后重新提交"),
    ("review", "pass"): _Step("under_review", "审查通过"),
    ("review", "reject"): _Step("under_review", "审查不通过"),
    ("department_review", "pass"): _Step("under_review", "部门联审通过"),
    ("department_review", "reject"): _Step("under_review", "部门联审不通过"),
    ("decision", "grant"): _Step("granted", "作出准予许可决定", DocumentKind.Grant),
    ("decision", "deny"): _Step("denied", "作出不予许可决定", DocumentKind.Denial),
    ("handle_on_the_spot", "grant"): _Step("granted", "受理并当场准予许可", DocumentKind.Grant),
    ("handle_on_the_spot", "deny"): _Step("denied", "受理并当场不予许可", DocumentKind.Denial),
    ("conclude", "conclude"): _Step("concluded", "办结"),
    ("deliver", "deliver"): _Step("delivered", "送达"),
}
ACTION_TITLES = {
    "accept": "受理",
    "refuse": "不予受理",
    "request_correction": "一次性告知补正",
    "resubmit": "重新提交",
    "pass": "审查通过",
    "reject": "审查不通过",
    "grant": "准予许可",
    "deny": "不予许可",
    "conclude": "办结",
    "deliver": "送达",
}


# --- starting ----------------------------------------------------------------------------------


# --- scope, masking, time limits ---------------------------------------------------------------


def _staff(ctx: ServiceContext) -> Principal:
    actor = ctx.actor
    if actor is None or actor.kind != "staff":
        raise PermissionDenied("只有工作人员可以办理", code="staff_only")
    return actor


def in_scope(actor: Principal, organisation_code: str) -> bool:
    """Region by the item's division, department by the item's department kind."""
    division, kind = services.department_of(organisation_code)
    if actor.scope_division is not None and not division.startswith(division_prefix(actor.scope_division)):
        return False
    return actor.scope_department is None or actor.scope_department == kind


_PHONE = re.compile(r"^1\d{10}$")
_ID_LIKE = re.compile(r"^[0-9A-Z]{15,18}$")
_NAME_KEYS = ("representative", "officer", "person", "contact_name", "applicant_name")


def mask_form(form: dict[str, Any]) -> dict[str, Any]:
    """The form with personal data masked (phones, ID/credit codes, people's names, addresses)."""
    masked: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(value, str) or not value:
            masked[key] = value
        elif _PHONE.match(value) or "phone" in key:
            masked[key] = mask_phone(value)
        elif _ID_LIKE.match(value) or "id_number" in key:
            masked[key] = mask_middle(value, 4, 4)
        elif any(k in key for k in _NAME_KEYS):
            masked[key] = mask_name(value)
        elif "address" in key:
            masked[key] = mask_address(value)
        else:
            masked[key] = value
    return masked


def _state(application: Application) -> dict[str, Any]:
    state = application.workflow_state
    if not isinstance(state, dict) or not isinstance(state.get("engine"), str):
        raise NotFound("该申请没有办理流程", code="no_workflow")
    return dict(state)


def _pauses(state: dict[str, Any], today: date) -> list[tuple[date, date]]:
    pauses = [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in state.get("pauses", [])]
    if state.get("correction_since"):
        pauses.append((date.fromisoformat(state["correction_since"]), today))
    return pauses


async def time_limit(ctx: ServiceContext, application: Application) -> TimeLimitView | None:
    """Where the promised time limit stands (None before acceptance)."""
    return await time_limit_of(ctx, application.status, application.workflow_state)


async def time_limit_of(ctx: ServiceContext, status: str, workflow_state: dict[str, Any] | None) -> TimeLimitView | None:
    """The time limit of an application's status and stored workflow state."""
    state = workflow_state or {}
    start = state.get("clock_start")
    if not start:
        return None
    today = timelimits.china_today()
    finished = status in {"concluded", "delivered", "granted", "denied"}
    view = await timelimits.compute_deadline(ctx, date.fromisoformat(start), int(state.get("working_days", 0)), _pauses(state, today), today=today)
    return TimeLimitView(
        start=view.start,
        working_days=view.working_days,
        deadline=view.deadline,
        working_days_left=view.working_days_left,
        status=view.status,
        paused=bool(state.get("correction_since")),
        finished=finished,
    )


# --- the workbench -----------------------------------------------------------------------------


def _mine(actor: Principal, task: engine.TaskView) -> bool:
    if task.department is not None and actor.scope_department is not None and task.department != actor.scope_department:
        return False
    return any(str(role) in task.roles for role in actor.roles)


async def inbox(ctx: ServiceContext) -> list[InboxEntry]:
    """Ready tasks of applications in the caller's scope that one of the caller's roles may do, least time left first."""
    actor = _staff(ctx)
    query = select(Application).where(Application.workflow_state.is_not(None), Application.status.not_in(CLOSED))
    if actor.scope_division is not None:
        query = query.where(Application.organisation_code.startswith(division_prefix(actor.scope_division)))
    if actor.scope_department is not None:
        query = query.where(Application.organisation_code.endswith(f"-{actor.scope_department}"))
    entries: list[InboxEntry] = []
    for application in (await ctx.session.execute(query.order_by(Application.submitted_at))).scalars():
        if not in_scope(actor, application.organisation_code) or application.number is None:
            continue
        if not isinstance((application.workflow_state or {}).get("engine"), str):
            continue  # submitted before the workflow existed
        state = _state(application)
        limit = None
        for task in engine.ready_tasks(state["engine"]):
            if not _mine(actor, task):
                continue
            limit = limit or await time_limit(ctx, application)
            entries.append(
                InboxEntry(
                    application_id=application.id,
                    number=application.number,
                    item_name=application.item_name,
                    applicant_name=mask_name(application.applicant_name) if application.applicant_kind == "person" else application.applicant_name,
                    status=application.status,
                    status_title=services.STATUS_TITLES.get(application.status, application.status),
                    task_id=task.id,
                    task_name=task.name,
                    task_title=task.title,
                    actions=list(task.actions),
                    submitted_at=application.submitted_at,
                    time_limit=limit,
                )
            )
    entries.sort(key=lambda e: (e.time_limit is None, e.time_limit.working_days_left if e.time_limit else 0, e.submitted_at or utcnow()))
    record(ctx.session, events.WORKBENCH_LISTED, actor=actor, meta=ctx.meta, subject_type="application", details={"total": len(entries)})
    return entries


async def _scoped(ctx: ServiceContext, application_id: uuid.UUID, *, lock: bool) -> Application:
    actor = _staff(ctx)
    row = (await ctx.session.execute(select(Application).where(Application.id == application_id))).scalar_one_or_none()
    if row is None or row.workflow_state is None or not in_scope(actor, row.organisation_code):
        error = NotFound("未找到该申请", code="application_not_found")
        if row is not None:
            # Out of scope reads as absent, but the attempt is audited.
            _deny(ctx, row, "out_of_scope")
            error.keep_changes = True
        raise error
    if lock:
        await ctx.session.execute(
            update(Application).where(Application.id == application_id).values(updated_at=utcnow()).execution_options(synchronize_session=False)
        )
        await ctx.session.refresh(row)
    return row


def _deny(ctx: ServiceContext, application: Application, reason: str, **details: Any) -> None:  # noqa: ANN401
    """Audit a refused step; the error raised next keeps the unit of work (``keep_changes``) so the record is committed."""
    record(
        ctx.session,
        events.APPLICATION_STEP_DENIED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="application",
        subject_id=application.number or application.id,
        details={"reason": reason, "status": application.status, **details},
    )


@dataclass(frozen=True)
class StaffCase:
    """An application as the staff member handling it sees it."""

    application: ApplicationView
    tasks: list[engine.TaskView]
    time_limit: TimeLimitView | None


async def get_case(ctx: ServiceContext, application_id: uuid.UUID) -> StaffCase:
    """Materials, masked form, timeline and the caller's ready tasks of one application in scope (audited)."""
    actor = _staff(ctx)
    application = await _scoped(ctx, application_id, lock=False)
    view = await services.view_of(ctx, application, audit=True)
    view = view.model_copy(update={"form": mask_form(view.form), "workflow_state": None})
    tasks = [t for t in engine.ready_tasks(_state(application)["engine"]) if _mine(actor, t)]
    return StaffCase(view, tasks, await time_limit(ctx, application))


@dataclass(frozen=True)
class StepInput:
    """What a staff member (or the applicant) submits for a step."""

    task: str
    action: str
    opinion: str
    missing_items: list[str]
    reason: str


def _pick_task(state: str, task: str) -> engine.TaskView | None:
    return next((t for t in engine.ready_tasks(state) if task in {t.id, t.name}), None)


async def act(ctx: ServiceContext, application_id: uuid.UUID, step: StepInput) -> ApplicationView:
    """Complete a ready task as the staff member (role and department); 403 + audit when not allowed, 409 when not ready."""
    actor = _staff(ctx)
    application = await _scoped(ctx, application_id, lock=True)
    task = _pick_task(_state(application)["engine"], step.task)
    role = next((str(r) for r in sorted(actor.roles) if task is not None and str(r) in task.roles), None)
    role = role or next((str(r) for r in sorted(actor.roles) if str(r) in STAFF_ROLES), "none")
    return await _complete(ctx, application, task, step, role=role, department=actor.scope_department, department_name=actor.organisation_name)


async def applicant_view(ctx: ServiceContext, number: str) -> ApplicationView:
    """The applicant's own application with its time limit (audited read)."""
    view = await services.get_mine_by_number(ctx, number)
    return view.model_copy(update={"time_limit": await time_limit_of(ctx, view.status, view.workflow_state)})


async def resubmit(ctx: ServiceContext, application_id: uuid.UUID, note: str) -> ApplicationView:
    """The applicant's resubmission after a correction request (the applicant task)."""
    application = await services.lock_own(ctx, application_id)
    if application.workflow_state is None:
        raise NotFound("该申请没有办理流程", code="no_workflow")
    task = next((t for t in engine.ready_tasks(_state(application)["engine"]) if APPLICANT in t.roles), None)
    step = StepInput(task=task.id if task else "resubmit", action="resubmit", opinion=note or "已按要求补正材料", missing_items=[], reason="")
    return await _complete(ctx, application, task, step, role=APPLICANT, department=None, department_name=None)


def _check_input(step: StepInput) -> None:
    errors: dict[str, str] = {}
    if not step.opinion.strip():
        errors["opinion"] = "请填写办理意见"
    if step.action == "request_correction" and not [i for i in step.missing_items if i.strip()]:
        errors["missing_items"] = "请一次性列明全部需补正的材料"
    if step.action in {"refuse", "deny"} and not step.reason.strip():
        errors["reason"] = "请说明理由"
    if errors:
        raise ValidationFailed("办理信息不完整", code="validation_failed", details=errors)


async def _complete(
    ctx: ServiceContext,
    application: Application,
    task: engine.TaskView | None,
    step: StepInput,
    *,
    role: str,
    department: str | None,
    department_name: str | None,
) -> ApplicationView:
    state = _state(application)
    if task is None:
        _deny(ctx, application, "step_not_ready", task=step.task, action=step.action)
        error = engine.WorkflowError("step_not_ready", "该环节当前不可办理（尚未到达、已办理或不存在）", details={"task": step.task})
        error.keep_changes = True
        raise error
    _check_input(step)
    data: dict[str, Any] = {"opinion": step.opinion.strip()}
    if step.action == "request_correction":
        data["missing_items"] = [i.strip() for i in step.missing_items if i.strip()]
    if step.reason.strip():
        data["reason"] = step.reason.strip()
    try:
        new_engine = engine.complete(state["engine"], task.id, role=role, department=department, action=step.action, data=data)
    except engine.WorkflowError as exc:
        if exc.status_code == 403:  # noqa: PLR2004
            _deny(ctx, application, exc.code, task=task.name, action=step.action, role=role)
            exc.keep_changes = True
        raise
    outcome = STEPS.get((task.name, step.action), _STEP_FALLBACK)
    state["engine"] = new_engine
    item = await catalog.get_version(ctx, application.item_code, application.item_version)
    await _advance_clock(ctx, state, step.action)
    details: dict[str, Any] = {"task": task.name, "action": step.action, "action_title": ACTION_TITLES.get(step.action, step.action), **data}
    if state.get("deadline") and step.action == "accept":
        details["deadline"] = state["deadline"]
    if outcome.document is not None:
        doc = await _issue(ctx, application, item=item, kind=outcome.document, data=data, state=state)
        details["document"] = {
            "id": str(doc.id),
            "kind_title": doc.kind_title,
            "number": doc.number,
            "verify_path": doc.verify_path,
            "download_path": doc.download_path,
        }
    status = outcome.status or application.status
    if engine.is_finished(new_engine) and engine.outcome(new_engine) == "refused":
        status = "refused"
    await services.record_step(
        ctx,
        application.number or "",
        step=f"{task.name}:{step.action}",
        title=outcome.title or task.title,
        actor_role=ROLE_TITLES.get(role, role),
        actor_department=department_name,
        status=status,
        workflow_state=state,
        details=details,
    )
    return await services.view_of(ctx, application)


_STEP_FALLBACK = _Step("", "")


async def _advance_clock(ctx: ServiceContext, state: dict[str, Any], action: str) -> None:
    """The clock starts at acceptance (deadline in working days) and pauses from a correction request to the resubmission."""
    today = timelimits.china_today()
    if action == "request_correction":
        state["correction_since"] = today.isoformat()
    if action == "resubmit" and state.get("correction_since"):
        state["pauses"] = [*state.get("pauses", []), [state["correction_since"], today.isoformat()]]
        state["correction_since"] = None
    if action == "accept" and not state.get("clock_start"):
        state["clock_start"] = today.isoformat()
        deadline = await timelimits.deadline_for(ctx, today, int(state.get("working_days", 0)), _pauses(state, today))
        state["deadline"] = deadline.date.isoformat()


async def _issue(
    ctx: ServiceContext, application: Application, *, item: ItemView, kind: DocumentKind, data: dict[str, Any], state: dict[str, Any]
) -> DocumentView:
    reason = str(data.get("reason") or "")
    fields = DocumentFields(
        organisation_code=application.organisation_code,
        application_id=application.id,
        application_number=application.number or "",
        applicant_kind="enterprise" if application.applicant_kind == "enterprise" else "person",
        applicant_name=application.applicant_name,
        item_name=application.item_name,
        submitted_at=application.submitted_at,
        legal_basis="；".join(item.content.legal_basis)[:1000],
        reasons=[reason] if reason else [],
        materials=[MaterialDefect(name=i[:200], reason=str(data.get("opinion") or "需补正")[:500]) for i in data.get("missing_items", [])],
        time_limit_days=int(state.get("working_days", 0)) if kind is DocumentKind.Acceptance else None,
        decision_content=(item.content.result or item.content.name)[:2000] if kind is DocumentKind.Grant else None,
    )
    return await documents.issue_document(ctx, kind, fields)
