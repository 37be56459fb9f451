"""Casework (R2.3/R3.3): the item's BPMN process behind a submitted application, the staff workbench.

``Application.workflow_state`` holds ``{"engine": <engine state>, "process": ..., "pauses": [[from, to]],
"correction_since": date|None, "clock_start": date|None, "working_days": n, "deadline": date|None,
"deadline_provisional": bool, "departments": [co-reviewing department kinds]}``.
Every completed step moves ``status`` and appends a timeline entry through :func:`services.record_step`,
then :func:`tasks.sync` stores the deadline and the ready tasks as rows for the workbench's queries
(:mod:`longgov.applications.workbench`). Claims (认领), batches (批量办理) and the recomputation of
deadlines when the holiday calendar changes live here too.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from longgov.applications import events, services, tasks
from longgov.applications.models import Application, ApplicationTask
from longgov.applications.schemas import ApplicationView, BatchItemResult, MaterialView, TimeLimitView
from longgov.catalog import services as catalog
from longgov.catalog.schemas import ItemView
from longgov.db import utcnow
from longgov.documents import services as documents
from longgov.documents.schemas import DocumentFields, DocumentKind, DocumentView, MaterialDefect
from longgov.identity import services as identity
from longgov.kernel.errors import AppError, Conflict, NotFound, PermissionDenied, ValidationFailed
from longgov.licences import services as licences
from longgov.platform import Platform, ServiceContext
from longgov.security.audit.service import record
from longgov.security.permissions import Permission
from longgov.security.pii import mask_address, mask_middle, mask_name, mask_phone
from longgov.security.principal import Principal
from longgov.security.scope import division_prefix
from longgov.timelimits import services as timelimits
from longgov.workflow import engine

APPLICANT = "applicant"
STAFF_ROLES = tasks.STAFF_TASK_ROLES
ROLE_TITLES = {"counter_staff": "窗口人员", "approver": "审批人员", "department_leader": "部门负责人", APPLICANT: services.APPLICANT_ROLE}
CLOSED = tasks.CLOSED
# A decision has been made: the promised time limit no longer runs (conclusion and delivery follow).
FINISHED = ("granted", "denied", "concluded", "delivered")
# 批量办理 only where no case needs its own judgment: the action → the task it completes.
# Refusing, correction requests, review and decisions are always handled one case at a time.
BATCH_ACTIONS: dict[str, str] = {"accept": "pre_check", "conclude": "conclude", "deliver": "deliver"}
RECOMPUTE_CHUNK = 500


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


def in_scope(actor: Principal, organisation_code: str, co_reviewing: tuple[str, ...] = ()) -> bool:
    """Region by the item's division, department by the item's department kind (or a co-reviewing one)."""
    division, kind = services.department_of(organisation_code)
    if actor.scope_division is not None and not division.startswith(division_prefix(actor.scope_division)):
        return False
    return actor.scope_department is None or actor.scope_department in {kind, *co_reviewing}


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


# --- one case ----------------------------------------------------------------------------------


def _mine(actor: Principal, task: engine.TaskView, own_department: str | None) -> bool:
    """Whether one of the actor's roles may do the task, in the department that does it.

    A joint-review instance is done by the department the engine assigned; every other task by the
    application's own department (a co-reviewer may read the case but not do the lead's steps).
    """
    department = task.department or own_department
    if actor.scope_department is not None and department != actor.scope_department:
        return False
    return any(str(role) in task.roles for role in actor.roles)


async def _scoped(ctx: ServiceContext, application_id: uuid.UUID, *, lock: bool) -> Application:
    actor = _staff(ctx)
    row = (await ctx.session.execute(select(Application).where(Application.id == application_id))).scalar_one_or_none()
    if row is None or row.workflow_state is None or not in_scope(actor, row.organisation_code, tasks.co_reviewers(row.workflow_state)):
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


def _deny(ctx: ServiceContext, application: Application, reason: str, *, tag: str = events.APPLICATION_STEP_DENIED, **details: Any) -> None:  # noqa: ANN401
    """Audit a refused step; the error raised next keeps the unit of work (``keep_changes``) so the record is committed."""
    record(
        ctx.session,
        tag,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="application",
        subject_id=application.number or application.id,
        details={"reason": reason, "status": application.status, **details},
    )


def _kept(error: AppError) -> AppError:
    error.keep_changes = True
    return error


@dataclass(frozen=True)
class TaskClaim:
    """Who holds (认领) a ready task, if anyone."""

    task_id: str
    task_name: str
    task_title: str
    claimed_by_id: uuid.UUID | None
    claimed_by_name: str | None
    claimed_at: datetime | None


@dataclass(frozen=True)
class StaffCase:
    """An application as the staff member handling it sees it."""

    application: ApplicationView
    tasks: list[engine.TaskView]
    time_limit: TimeLimitView | None
    claims: dict[str, TaskClaim] = field(default_factory=dict)
    supervisor: bool = False  # the caller may return or reassign others' claims


async def _claims(ctx: ServiceContext, application_id: uuid.UUID) -> dict[str, TaskClaim]:
    rows = (
        await ctx.session.execute(
            select(
                ApplicationTask.task_id,
                ApplicationTask.task_name,
                ApplicationTask.task_title,
                ApplicationTask.claimed_by_id,
                ApplicationTask.claimed_by_name,
                ApplicationTask.claimed_at,
            )
            .where(ApplicationTask.application_id == application_id)
            .distinct()
        )
    ).tuples()
    return {r[0]: TaskClaim(*r) for r in rows}


async def get_case(ctx: ServiceContext, application_id: uuid.UUID) -> StaffCase:
    """Materials, masked form, timeline and the caller's ready tasks of one application in scope (audited)."""
    actor = _staff(ctx)
    application = await _scoped(ctx, application_id, lock=False)
    view = await services.view_of(ctx, application, audit=True)
    view = view.model_copy(update={"form": mask_form(view.form), "workflow_state": None})
    own = tasks.place_of(application.organisation_code).department
    ready = [t for t in engine.ready_tasks(_state(application)["engine"]) if _mine(actor, t, own)]
    return StaffCase(view, ready, await time_limit(ctx, application), await _claims(ctx, application.id), actor.has(Permission.ApplicationsCasesSupervise))


async def case_material(ctx: ServiceContext, application_id: uuid.UUID, material_index: int) -> tuple[MaterialView, bytes]:
    """One uploaded material of an application in the caller's scope, for the staff member to examine (audited)."""
    _staff(ctx)
    application = await _scoped(ctx, application_id, lock=False)
    return await services.material_of(ctx, application, material_index)


@dataclass(frozen=True)
class StepInput:
    """What a staff member (or the applicant) submits for a step."""

    task: str
    action: str
    opinion: str
    missing_items: list[str]
    reason: str


def _pick_task(state: str, task: str, actor: Principal, own_department: str | None) -> engine.TaskView | None:
    matches = [t for t in engine.ready_tasks(state) if task in {t.id, t.name}]
    # By name several joint-review instances may match: the caller's own department's comes first.
    return next((t for t in matches if _mine(actor, t, own_department)), None) or next(iter(matches), None)


async def _check_claim(ctx: ServiceContext, application: Application, task: engine.TaskView, step: StepInput, actor: Principal) -> None:
    """Only the claimer may act on a claimed task (409, audited); an unclaimed task is open to everyone allowed."""
    holder = (
        await ctx.session.execute(
            select(ApplicationTask.claimed_by_id, ApplicationTask.claimed_by_name)
            .where(ApplicationTask.application_id == application.id, ApplicationTask.task_id == task.id)
            .limit(1)
        )
    ).first()
    if holder is None or holder.claimed_by_id is None or holder.claimed_by_id == actor.account_id:
        return
    _deny(ctx, application, "claimed_by_other", task=task.name, action=step.action, claimed_by=holder.claimed_by_name)
    raise _kept(
        Conflict(
            f"该待办已由{holder.claimed_by_name}认领，只有认领人可以办理；如需接手，请认领人退回或由部门负责人调整",
            code="task_claimed",
            details={"task": task.id, "claimed_by": holder.claimed_by_name},
        )
    )


async def act(ctx: ServiceContext, application_id: uuid.UUID, step: StepInput) -> ApplicationView:
    """Complete a ready task as the staff member (role and department); 403 + audit when not allowed, 409 when not ready or claimed by another."""
    return await _act(ctx, application_id, step)


async def _act(ctx: ServiceContext, application_id: uuid.UUID, step: StepInput, *, only_task: str | None = None) -> ApplicationView:
    actor = _staff(ctx)
    application = await _scoped(ctx, application_id, lock=True)
    own = tasks.place_of(application.organisation_code).department
    task = _pick_task(_state(application)["engine"], step.task, actor, own)
    if task is not None and task.department is None and actor.scope_department not in {None, own}:
        # A co-reviewing department reads the case but does not do the lead department's steps.
        _deny(ctx, application, "step_not_allowed", task=task.name, action=step.action, department=actor.scope_department)
        raise _kept(engine.WorkflowError("step_not_allowed", f"“{task.title}”环节由牵头部门办理", details={"department": own}))
    if task is not None and only_task is not None and task.name != only_task:
        _deny(ctx, application, "not_batchable", task=task.name, action=step.action)
        raise _kept(ValidationFailed(f"“{task.title}”环节不能批量{ACTION_TITLES.get(step.action, step.action)}", code="batch_task_mismatch"))
    if task is not None:
        await _check_claim(ctx, application, task, step, actor)
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
        raise _kept(engine.WorkflowError("step_not_ready", "该环节当前不可办理（尚未到达、已办理或不存在）", details={"task": step.task}))
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
    if state.get("deadline") and step.action in {"accept", "resubmit"}:
        details["deadline"] = state["deadline"]
    if outcome.document is not None:
        doc = await _issue(ctx, application, item=item, kind=outcome.document, data=data, state=state)
        details["document"] = {
            "id": str(doc.id),
            "kind_title": doc.kind_title,
            "number": doc.number,
            "verify_path": doc.verify_path,
            "download_path": doc.download_path,
            "pdf_path": doc.pdf_path,
        }
    if outcome.status == "granted":
        details.update(await _issue_licence(ctx, application, item))
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
    # The one place (with submission) where the workbench's rows follow the process.
    await tasks.sync(ctx.session, application)
    return await services.view_of(ctx, application)


_STEP_FALLBACK = _Step("", "")


async def _issue_licence(ctx: ServiceContext, application: Application, item: ItemView) -> dict[str, Any]:
    """Issue the electronic licence a grant produces, inside a savepoint.

    The decision stands even when the form cannot fill a valid licence: the reason goes on the
    timeline and the issuing department issues it by hand.
    """
    try:
        async with ctx.session.begin_nested():
            licence = await licences.issue_for_grant(
                ctx,
                item_basic_code=item.basic_code,
                issuer_organisation_code=application.organisation_code,
                applicant_kind=application.applicant_kind,
                applicant_name=application.applicant_name,
                applicant_id_number=None,
                form=services.decode_form(ctx, application.form_cipher),
                application_id=application.id,
                applicant_person_id=application.applicant_person_id,
            )
    except AppError as exc:
        return {"licence_error": exc.message}
    if licence is None:
        return {}
    return {"licence": {"id": str(licence.id), "identifier": licence.identifier, "type_name": licence.type_name, "number": licence.number}}


async def _store_deadline(ctx: ServiceContext, state: dict[str, Any], today: date) -> None:
    deadline = await timelimits.deadline_for(ctx, date.fromisoformat(state["clock_start"]), int(state.get("working_days", 0)), _pauses(state, today))
    state["deadline"] = deadline.date.isoformat()
    state["deadline_provisional"] = deadline.provisional


async def _advance_clock(ctx: ServiceContext, state: dict[str, Any], action: str) -> None:
    """The clock starts at acceptance (deadline in working days) and pauses from a correction request to the resubmission.

    The deadline is stored at acceptance and again at a resubmission, which pushes it back by the paused working days.
    """
    today = timelimits.china_today()
    if action == "request_correction":
        state["correction_since"] = today.isoformat()
    if action == "resubmit" and state.get("correction_since"):
        state["pauses"] = [*state.get("pauses", []), [state["correction_since"], today.isoformat()]]
        state["correction_since"] = None
        if state.get("clock_start"):
            await _store_deadline(ctx, state, today)
    if action == "accept" and not state.get("clock_start"):
        state["clock_start"] = today.isoformat()
        await _store_deadline(ctx, state, today)


# --- claims (认领 / 退回) ---------------------------------------------------------------------------


def _may_do(actor: Principal, row: ApplicationTask) -> bool:
    department_ok = actor.scope_department is None or actor.scope_department == row.department_kind
    return department_ok and any(str(r) == row.role for r in actor.roles)


def _supervises(actor: Principal, row: ApplicationTask) -> bool:
    """A department leader over the task's department (the region was checked with the application)."""
    return actor.has(Permission.ApplicationsCasesSupervise) and (actor.scope_department is None or actor.scope_department == row.department_kind)


async def _task_rows(ctx: ServiceContext, application: Application, task: str, actor: Principal) -> list[ApplicationTask]:
    """The rows of one ready task (by id, or by name preferring the caller's department); 409 + audit when none is ready."""
    rows = list(
        (
            await ctx.session.execute(
                select(ApplicationTask)
                .where(ApplicationTask.application_id == application.id, (ApplicationTask.task_id == task) | (ApplicationTask.task_name == task))
                .order_by(ApplicationTask.task_id, ApplicationTask.role)
            )
        ).scalars()
    )
    if not rows:
        _deny(ctx, application, "step_not_ready", tag=events.TASK_CLAIM_DENIED, task=task)
        raise _kept(Conflict("该待办当前不可认领（尚未到达、已办理或不存在）", code="step_not_ready", details={"task": task}))
    chosen = next((r.task_id for r in rows if _may_do(actor, r)), rows[0].task_id)
    return [r for r in rows if r.task_id == chosen]


async def _set_claim(ctx: ServiceContext, rows: list[ApplicationTask], holder: Principal | None) -> TaskClaim:
    first = rows[0]
    now = utcnow() if holder is not None else None
    values = {
        "claimed_by_id": holder.account_id if holder else None,
        "claimed_by_name": holder.display_name if holder else None,
        "claimed_at": now,
        "updated_at": utcnow(),
    }
    await ctx.session.execute(
        update(ApplicationTask)
        .where(ApplicationTask.application_id == first.application_id, ApplicationTask.task_id == first.task_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return TaskClaim(first.task_id, first.task_name, first.task_title, values["claimed_by_id"], values["claimed_by_name"], now)  # type: ignore[arg-type]


async def claim(ctx: ServiceContext, application_id: uuid.UUID, task: str) -> TaskClaim:
    """认领: take a ready task in scope that one's role and department may do; someone else's claim is a 409 (audited)."""
    actor = _staff(ctx)
    application = await _scoped(ctx, application_id, lock=True)
    rows = await _task_rows(ctx, application, task, actor)
    first = rows[0]
    if not any(_may_do(actor, r) for r in rows):
        _deny(ctx, application, "claim_not_allowed", tag=events.TASK_CLAIM_DENIED, task=first.task_name)
        raise _kept(PermissionDenied(f"当前角色或部门无权认领“{first.task_title}”环节", code="claim_not_allowed"))
    if first.claimed_by_id is not None and first.claimed_by_id != actor.account_id:
        _deny(ctx, application, "claimed_by_other", tag=events.TASK_CLAIM_DENIED, task=first.task_name, claimed_by=first.claimed_by_name)
        raise _kept(Conflict(f"该待办已由{first.claimed_by_name}认领", code="task_claimed", details={"claimed_by": first.claimed_by_name}))
    if first.claimed_by_id == actor.account_id:
        return TaskClaim(first.task_id, first.task_name, first.task_title, first.claimed_by_id, first.claimed_by_name, first.claimed_at)
    result = await _set_claim(ctx, rows, actor)
    _audit_task(ctx, application, events.TASK_CLAIMED, first, claimed_by=actor.display_name)
    return result


async def release(ctx: ServiceContext, application_id: uuid.UUID, task: str) -> TaskClaim:
    """退回: the claimer gives the task back to the pool; a department leader may release anyone's claim."""
    actor = _staff(ctx)
    application = await _scoped(ctx, application_id, lock=True)
    rows = await _task_rows(ctx, application, task, actor)
    first = rows[0]
    if first.claimed_by_id is None:
        raise Conflict("该待办尚未被认领", code="task_not_claimed")
    by_leader = first.claimed_by_id != actor.account_id
    if by_leader and not _supervises(actor, first):
        _deny(ctx, application, "not_claimer", tag=events.TASK_CLAIM_DENIED, task=first.task_name, claimed_by=first.claimed_by_name)
        raise _kept(PermissionDenied("只有认领人或部门负责人可以退回该待办", code="not_claimer"))
    result = await _set_claim(ctx, rows, None)
    _audit_task(ctx, application, events.TASK_RELEASED, first, previous=first.claimed_by_name, by_leader=by_leader)
    return result


async def assign(ctx: ServiceContext, application_id: uuid.UUID, task: str, account_id: uuid.UUID) -> TaskClaim:
    """改派: a department leader hands a ready task to a staff member whose role, department and region may do it."""
    actor = _staff(ctx)
    application = await _scoped(ctx, application_id, lock=True)
    rows = await _task_rows(ctx, application, task, actor)
    first = rows[0]
    if not _supervises(actor, first):
        _deny(ctx, application, "not_supervisor", tag=events.TASK_CLAIM_DENIED, task=first.task_name)
        raise _kept(PermissionDenied("只有该部门的负责人可以改派待办", code="not_supervisor"))
    target = await identity.principal_by_login_id(ctx, account_id)
    if target is None or target.kind != "staff":
        raise NotFound("未找到该工作人员", code="staff_not_found")
    if not in_scope(target, application.organisation_code, tasks.co_reviewers(application.workflow_state)) or not any(_may_do(target, r) for r in rows):
        raise ValidationFailed(f"{target.display_name}的角色、部门或地区不能办理“{first.task_title}”环节", code="assignee_not_allowed")
    result = await _set_claim(ctx, rows, target)
    _audit_task(ctx, application, events.TASK_ASSIGNED, first, previous=first.claimed_by_name, claimed_by=target.display_name)
    return result


def _audit_task(ctx: ServiceContext, application: Application, tag: str, row: ApplicationTask, **details: Any) -> None:  # noqa: ANN401
    record(
        ctx.session,
        tag,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="application",
        subject_id=application.number or application.id,
        details={"task": row.task_name, "task_id": row.task_id, **details},
    )


# --- batches (批量办理) ------------------------------------------------------------------------------


async def batch_act(ctx: ServiceContext, action: str, opinion: str, items: list[tuple[uuid.UUID, str]]) -> list[BatchItemResult]:
    """One action with one opinion on several cases, each completed on its own.

    Each case runs in its own savepoint: a refused case (not ready, claimed by another, out of scope, the
    wrong task) is rolled back alone and reported (失败 + reason, audited); the others stay done.
    """
    actor = _staff(ctx)
    expected = BATCH_ACTIONS.get(action)
    if expected is None:
        raise ValidationFailed("该操作需要逐件审查，不能批量办理（可批量办理：受理、办结、送达）", code="batch_not_allowed", details={"action": "不能批量办理"})
    if not opinion.strip():
        raise ValidationFailed("请填写办理意见", code="validation_failed", details={"opinion": "请填写办理意见"})
    results: list[BatchItemResult] = []
    seen: set[tuple[uuid.UUID, str]] = set()
    for application_id, task in items:
        if (application_id, task) in seen:
            continue
        seen.add((application_id, task))
        step = StepInput(task=task, action=action, opinion=opinion, missing_items=[], reason="")
        try:
            async with ctx.session.begin_nested():
                view = await _act(ctx, application_id, step, only_task=expected)
        except AppError as exc:
            results.append(BatchItemResult(application_id=application_id, number=None, task=task, ok=False, code=exc.code, message=exc.message))
            record(
                ctx.session,
                events.BATCH_ITEM_FAILED,
                actor=actor,
                meta=ctx.meta,
                subject_type="application",
                subject_id=application_id,
                result="failure",
                details={"action": action, "task": task, "code": exc.code, "message": exc.message},
            )
            continue
        results.append(BatchItemResult(application_id=application_id, number=view.number, task=task, ok=True, status=view.status, message="成功"))
    succeeded = sum(1 for r in results if r.ok)
    record(
        ctx.session,
        events.BATCH_COMPLETED,
        actor=actor,
        meta=ctx.meta,
        subject_type="application",
        details={"action": action, "succeeded": succeeded, "failed": len(results) - succeeded, "numbers": [r.number for r in results if r.ok]},
    )
    return results


# --- deadlines when the holiday calendar changes -----------------------------------------------


@dataclass(frozen=True)
class Recomputed:
    """What a recomputation changed."""

    checked: int
    changed: int
    provisional: int


def _closed_pauses(state: dict[str, Any]) -> list[tuple[date, date]]:
    return [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in state.get("pauses", [])]


async def recompute_deadlines(platform: Platform, years: tuple[int, ...], *, chunk: int = RECOMPUTE_CHUNK, calendar_version: int | None = None) -> Recomputed:
    """Recompute and store the deadline of every running time limit that counts days in ``years``.

    A time limit counts days from its start up to its deadline, so only those with ``clock_start`` on or
    before the last changed year and a deadline on or after its first are read; they are walked in id
    order, ``chunk`` at a time, one transaction per chunk. Audited with the numbers checked and changed.
    """
    first, last = date(min(years), 1, 1), date(max(years), 12, 31)
    checked = changed = provisional = 0
    after: uuid.UUID | None = None
    missing: set[int] = set()
    while True:
        async with platform.db.transaction() as session:
            query = (
                select(Application)
                .where(
                    Application.status.not_in(CLOSED),
                    Application.clock_start.is_not(None),
                    Application.clock_start <= last,
                    Application.deadline >= first,
                )
                .order_by(Application.id)
                .limit(chunk)
                .with_for_update()
            )
            if after is not None:
                query = query.where(Application.id > after)
            rows = list((await session.execute(query)).scalars())
            if not rows:
                break
            calendar = await timelimits.working_calendar(session)
            for application in rows:
                state = dict(application.workflow_state or {})
                start = application.clock_start
                if start is None:
                    continue
                deadline = calendar.add_working_days(start, int(state.get("working_days") or application.time_limit_days or 0), _closed_pauses(state))
                checked += 1
                provisional += deadline.provisional
                missing.update(deadline.missing_years)
                if deadline.date == application.deadline and deadline.provisional == application.deadline_provisional:
                    continue
                state["deadline"] = deadline.date.isoformat()
                state["deadline_provisional"] = deadline.provisional
                application.workflow_state = state
                tasks.store_clock(application)
                await session.execute(
                    update(ApplicationTask)
                    .where(ApplicationTask.application_id == application.id)
                    .values(deadline=deadline.date, updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                changed += 1
            after = rows[-1].id
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        if missing:
            await timelimits.raise_missing_year_alerts(ctx, missing)
        record(
            session,
            events.DEADLINES_RECOMPUTED,
            actor=None,
            subject_type="application",
            details={"years": list(years), "calendar_version": calendar_version, "checked": checked, "changed": changed, "provisional": provisional},
        )
    return Recomputed(checked, changed, provisional)


async def _on_calendar_changed(event: timelimits.CalendarChanged) -> None:
    await recompute_deadlines(event.platform, event.years, calendar_version=event.version)


# Registered once per process when the applications module is loaded; runs after the notice commits.
timelimits.on_calendar_changed(_on_calendar_changed)


# --- documents ---------------------------------------------------------------------------------


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
