"""The workbench's reads (办件工作台): the inbox and the department leader's view, as SQL over stored rows.

Both read what :func:`longgov.applications.tasks.sync` keeps in step with each process (task rows, the
stored deadline); no process state is loaded. Traffic lights (green / yellow / red) are computed only
for the rows of the page shown.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, false, func, select, union_all

from longgov.applications import events, services, tasks
from longgov.applications.casework import BATCH_ACTIONS
from longgov.applications.models import Application, ApplicationTask
from longgov.applications.schemas import (
    InboxEntry,
    InboxPage,
    OrganisationLoad,
    OverdueCase,
    OverdueGroup,
    StaffWorkload,
    StatusCount,
    Supervision,
    TimeLimitView,
)
from longgov.kernel.errors import PermissionDenied
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.permissions import Permission
from longgov.security.principal import Principal
from longgov.security.scope import division_prefix
from longgov.timelimits import services as timelimits

ClaimFilter = Literal["all", "mine", "unclaimed"]
CLAIM_FILTERS: dict[str, str] = {"all": "全部", "mine": "我认领的", "unclaimed": "未认领"}
PAGE_SIZE = 20
# Counting every matching row of a province-wide queue costs more than the page itself; past this the
# total reads "10000+".
COUNT_CAP = 10_000
# A clock still runs in these statuses (a decision ends it); overdue and due-soon count only these.
RUNNING = ("submitted", "pre_check", "correction_requested", "accepted", "under_review")
DUE_SOON_WORKING_DAYS = 2  # the yellow light of the time limits: at most two working days left
OVERDUE_LIST_LIMIT = 200
ORGANISATION_LIMIT = 100


def _staff(ctx: ServiceContext) -> Principal:
    actor = ctx.actor
    if actor is None or actor.kind != "staff":
        raise PermissionDenied("只有工作人员可以办理", code="staff_only")
    return actor


def _roles(actor: Principal) -> list[str]:
    return sorted(str(r) for r in actor.roles if str(r) in tasks.STAFF_TASK_ROLES)


def _inbox_conditions(actor: Principal, role: str, roles: list[str], claim: ClaimFilter) -> list[ColumnElement[bool]]:
    """The rows of one of the caller's roles (an equality on the index's first column)."""
    task = ApplicationTask
    conditions: list[ColumnElement[bool]] = [task.role == role, tasks.region_clause(actor, task.division_code, task.prefecture_code)]
    if actor.scope_department is not None:
        conditions.append(task.department_kind == actor.scope_department)
    # A task allowed to two of the caller's roles has a row for each: keep the first role's.
    conditions.extend(~task.allowed_roles.contains(f",{earlier},") for earlier in roles if earlier < role)
    if claim == "mine":
        conditions.append(task.claimed_by_id == actor.account_id)
    elif claim == "unclaimed":
        conditions.append(task.claimed_by_id.is_(None))
    return conditions


def _inbox_order(columns: Any) -> list[Any]:  # noqa: ANN401 - a table's or a subquery's columns
    return [columns.deadline.asc().nulls_last(), columns.submitted_at.asc(), columns.application_id, columns.task_id]


async def _page_ids(ctx: ServiceContext, actor: Principal, roles: list[str], claim: ClaimFilter, *, offset: int, size: int) -> tuple[int, list[Any]]:
    """(capped total, ids of the page's rows).

    One ordered, limited branch per role, merged: each branch is an index range scan that stops after
    ``offset + size`` rows (an ``IN`` over the roles could not use the index order).
    """
    task = ApplicationTask
    total = 0
    branches = []
    for role in roles:
        conditions = _inbox_conditions(actor, role, roles, claim)
        counted = select(task.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
        total += (await ctx.session.execute(select(func.count()).select_from(counted))).scalar_one()
        ordered = (
            select(task.id, task.deadline, task.submitted_at, task.application_id, task.task_id)
            .where(*conditions)
            .order_by(*_inbox_order(task))
            .limit(offset + size)
            .subquery()
        )
        branches.append(select(*ordered.c))
    merged = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery()
    ids = (await ctx.session.execute(select(merged.c.id).order_by(*_inbox_order(merged.c)).limit(size).offset(offset))).scalars().all()
    return total, list(ids)


def _time_limit(
    calendar: timelimits.WorkingCalendar,
    today: date,
    *,
    start: date | None,
    days: int | None,
    deadline: date | None,
    provisional: bool,
    paused: bool,
    status: str,
) -> TimeLimitView | None:
    if start is None or deadline is None:
        return None
    remaining = calendar.remaining(timelimits.Deadline(deadline, provisional), today)
    return TimeLimitView(
        start=start,
        working_days=days or 0,
        deadline=deadline,
        working_days_left=remaining.working_days_left,
        status=remaining.status.value,
        paused=paused,
        finished=status in {"granted", "denied", "concluded", "delivered"},
    )


async def inbox(ctx: ServiceContext, *, page: int = 1, size: int = PAGE_SIZE, claim: ClaimFilter = "all") -> InboxPage:
    """Ready tasks in the caller's region and department that one of their roles may do: one page, earliest deadline first.

    Tasks without a deadline yet (before acceptance) come after, oldest submission first.
    """
    actor = _staff(ctx)
    roles = _roles(actor)
    entries: list[InboxEntry] = []
    total = 0
    if roles:
        task = ApplicationTask
        total, ids = await _page_ids(ctx, actor, roles, claim, offset=(page - 1) * size, size=size)
        rows = (
            await ctx.session.execute(
                select(task, Application.clock_start, Application.time_limit_days, Application.deadline_provisional)
                .join(Application, Application.id == task.application_id)
                .where(task.id.in_(ids))
                .order_by(*_inbox_order(task))
            )
        ).tuples()
        calendar = await timelimits.working_calendar(ctx.session)
        today = timelimits.china_today()
        for row, start, days, provisional in rows:
            actions = [a for a in row.actions.split(",") if a]
            entries.append(
                InboxEntry(
                    application_id=row.application_id,
                    number=row.number,
                    item_name=row.item_name,
                    applicant_name=row.applicant_name,
                    status=row.status,
                    status_title=services.STATUS_TITLES.get(row.status, row.status),
                    task_id=row.task_id,
                    task_name=row.task_name,
                    task_title=row.task_title,
                    actions=actions,
                    submitted_at=row.submitted_at,
                    time_limit=_time_limit(
                        calendar, today, start=start, days=days, deadline=row.deadline, provisional=provisional, paused=row.paused, status=row.status
                    ),
                    deadline=row.deadline,
                    deadline_provisional=provisional,
                    department=row.task_department,
                    claimed_by_id=row.claimed_by_id,
                    claimed_by_name=row.claimed_by_name,
                    claimed_at=row.claimed_at,
                    claimed_by_me=row.claimed_by_id == actor.account_id,
                    batch_actions=[a for a in actions if _batchable(row.task_name, a)],
                )
            )
    capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    record(
        ctx.session,
        events.WORKBENCH_LISTED,
        actor=actor,
        meta=ctx.meta,
        subject_type="application",
        details={"total": total, "page": page, "filter": claim, "shown": len(entries)},
    )
    return InboxPage(items=entries, total=total, total_capped=capped, page=page, size=size, pages=max(1, -(-total // size)), claim_filter=claim)


def _batchable(task_name: str, action: str) -> bool:
    return BATCH_ACTIONS.get(action) == task_name


# --- the department leader's view --------------------------------------------------------------


def _application_scope(actor: Principal) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Application.number.is_not(None),
        Application.status.not_in(tasks.CLOSED),
        tasks.region_clause(actor, Application.division_code, Application.prefecture_code),
    ]
    if actor.scope_department is not None:
        conditions.append(Application.department_kind == actor.scope_department)
    return conditions


async def supervision(ctx: ServiceContext) -> Supervision:
    """部门负责人: open cases by status, claimed workload per staff member, due-soon and overdue counts and the overdue list.

    The scope is the leader's own: a county bureau sees its department in its county; a city or province
    leader sees every organisation of the region (grouped by organisation).
    """
    actor = _staff(ctx)
    if not actor.has(Permission.ApplicationsCasesSupervise):
        raise PermissionDenied("只有部门负责人可以查看部门办件情况", code="permission_denied")
    session = ctx.session
    calendar = await timelimits.working_calendar(session)
    today = timelimits.china_today()
    due_soon_before = calendar.add_working_days(today, DUE_SOON_WORKING_DAYS + 1).date
    scope = _application_scope(actor)
    running = and_(Application.status.in_(RUNNING), Application.deadline.is_not(None), Application.clock_paused.is_(false()))
    overdue = and_(running, Application.deadline < today)
    due_soon = and_(running, Application.deadline >= today, Application.deadline < due_soon_before)

    def counted(condition: ColumnElement[bool]) -> Any:  # noqa: ANN401 - an SQL expression
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    # One scan of the scope, grouped by organisation and status; the totals are summed from it here.
    grouped = (
        await session.execute(
            select(
                Application.organisation_code,
                func.min(Application.department_name),
                Application.status,
                func.count(),
                counted(due_soon),
                counted(overdue),
                counted(and_(Application.clock_paused.is_not(false()), Application.status.in_(RUNNING))),
                counted(and_(Application.deadline_provisional.is_not(false()), Application.status.in_(RUNNING))),
            )
            .where(*scope)
            .group_by(Application.organisation_code, Application.status)
        )
    ).tuples()
    statuses: dict[str, int] = {}
    loads: dict[str, OrganisationLoad] = {}
    totals = [0, 0, 0, 0]  # due soon, overdue, paused, provisional
    for code, name, status, n, *sums in grouped:
        statuses[status] = statuses.get(status, 0) + int(n)
        totals = [t + int(v) for t, v in zip(totals, sums, strict=True)]
        load = loads.setdefault(code, OrganisationLoad(organisation_code=code, department_name=name, open=0, due_soon=0, overdue=0))
        load.open += int(n)
        load.due_soon += int(sums[0])
        load.overdue += int(sums[1])
    by_status = [StatusCount(status=k, status_title=services.STATUS_TITLES.get(k, k), count=v) for k, v in sorted(statuses.items())]
    organisations = sorted(loads.values(), key=lambda o: (-o.overdue, o.organisation_code))[:ORGANISATION_LIMIT]
    # The longest overdue first (an index range on the deadline), grouped by organisation below.
    overdue_rows = (
        await session.execute(
            select(
                Application.id,
                Application.number,
                Application.item_name,
                Application.organisation_code,
                Application.department_name,
                Application.status,
                Application.deadline,
                Application.deadline_provisional,
            )
            .where(*scope, overdue)
            .order_by(Application.deadline, Application.number)
            .limit(OVERDUE_LIST_LIMIT)
        )
    ).tuples()
    groups: dict[str, OverdueGroup] = {}
    late_by_org = {code: load.overdue for code, load in loads.items()}
    for app_id, number, item_name, org, department, status, due, provisional in overdue_rows:
        deadline = due or today  # never None here: overdue means a deadline before today
        group = groups.setdefault(org, OverdueGroup(organisation_code=org, department_name=department, count=late_by_org.get(org, 0), cases=[]))
        group.cases.append(
            OverdueCase(
                application_id=app_id,
                number=number or "",
                item_name=item_name,
                organisation_code=org,
                department_name=department,
                status=status,
                status_title=services.STATUS_TITLES.get(status, status),
                deadline=deadline,
                working_days_overdue=calendar.working_days_between(deadline, today),
                provisional=provisional,
            )
        )
    workload = await _workload(ctx, actor, today)
    record(
        session,
        events.SUPERVISION_READ,
        actor=actor,
        meta=ctx.meta,
        subject_type="application",
        details={"overdue": int(totals[1]), "due_soon": int(totals[0])},
    )
    wide = actor.scope_department is None or actor.scope_division is None or len(division_prefix(actor.scope_division)) < 6  # noqa: PLR2004
    return Supervision(
        today=today,
        wide=wide,
        due_soon_before=due_soon_before,
        open_total=sum(s.count for s in by_status),
        by_status=by_status,
        due_soon=int(totals[0]),
        overdue=int(totals[1]),
        paused=int(totals[2]),
        provisional=int(totals[3]),
        workload=workload,
        organisations=organisations,
        overdue_groups=sorted(groups.values(), key=lambda g: (-g.count, g.organisation_code)),
        overdue_listed=OVERDUE_LIST_LIMIT,
    )


async def _workload(ctx: ServiceContext, actor: Principal, today: date) -> list[StaffWorkload]:
    """Claimed tasks per staff member, over the tasks of the leader's department and region."""
    task = ApplicationTask
    conditions: list[ColumnElement[bool]] = [task.claimed_by_id.is_not(None), tasks.region_clause(actor, task.division_code, task.prefecture_code)]
    if actor.scope_department is not None:
        conditions.append(task.department_kind == actor.scope_department)
    # One row per role: count each claimed task once.
    claimed = select(task.claimed_by_id, task.claimed_by_name, task.task_id, task.deadline, task.paused, task.status).where(*conditions).distinct().subquery()
    late = and_(claimed.c.deadline < today, claimed.c.paused.is_(false()), claimed.c.status.in_(RUNNING))
    rows = (
        await ctx.session.execute(
            select(claimed.c.claimed_by_id, func.min(claimed.c.claimed_by_name), func.count(), func.coalesce(func.sum(case((late, 1), else_=0)), 0))
            .group_by(claimed.c.claimed_by_id)
            .order_by(func.count().desc())
            .limit(ORGANISATION_LIMIT)
        )
    ).tuples()
    return [StaffWorkload(account_id=account_id, name=name or "", claimed=int(n), overdue=int(late_n)) for account_id, name, n, late_n in rows]
