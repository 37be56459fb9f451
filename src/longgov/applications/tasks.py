"""The query side of casework: ready workflow tasks as rows (待办任务) and the stored time limit.

The process state lives in ``Application.workflow_state`` (a SpiffWorkflow JSON document). Reading it
for every application on every inbox request does not scale, so each time the state changes
:func:`sync` writes what the workbench filters and sorts on: one ``ApplicationTask`` row per ready
staff task and allowed role, and the application's deadline, pause and provisional flag.
Submission (``services.submit``) and every completed step (``casework._complete``) call it, so the
rows are changed in the same transaction as the state they mirror.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from longgov.applications.models import Application, ApplicationTask
from longgov.security.pii import mask_name
from longgov.security.principal import Principal
from longgov.security.scope import division_prefix
from longgov.workflow import engine

STAFF_TASK_ROLES = ("counter_staff", "approver", "department_leader")
CLOSED = ("draft", "refused", "delivered", "withdrawn")
BACKFILL_CHUNK = 500


@dataclass(frozen=True)
class Place:
    """Where an item is implemented: division, its prefecture and the department kind."""

    division: str
    prefecture: str
    department: str | None


def place_of(organisation_code: str) -> Place:
    """The place of an organisation code such as ``620102-market_regulation``."""
    division, _, kind = organisation_code.partition("-")
    return Place(division, division[:4] + "00", kind or None)


def region_clause(
    actor: Principal, division: InstrumentedAttribute[Any] | ColumnElement[Any], prefecture: InstrumentedAttribute[Any] | ColumnElement[Any]
) -> ColumnElement[bool]:
    """The actor's region as an index-friendly condition: equality for a county or prefecture, a range above."""
    scope = actor.scope_division
    if scope is None:
        return true()
    prefix = division_prefix(scope)
    if len(prefix) == 6:  # noqa: PLR2004 - a county (or a division without subdivisions)
        return division == scope
    if len(prefix) == 4:  # noqa: PLR2004 - a prefecture: every county in it shares the prefecture code
        return prefecture == prefix + "00"
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(division >= prefix, division < upper)


def co_reviewers(state: dict[str, Any] | None) -> tuple[str, ...]:
    """The departments a joint-review process was started with (empty for other processes)."""
    value = (state or {}).get("departments")
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _date(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def store_clock(application: Application) -> None:
    """Copy the time limit of the workflow state onto the application's columns."""
    state = application.workflow_state or {}
    place = place_of(application.organisation_code)
    application.division_code = place.division
    application.prefecture_code = place.prefecture
    application.department_kind = place.department
    application.clock_start = _date(state.get("clock_start"))
    application.time_limit_days = int(state.get("working_days") or 0) if state else None
    application.deadline = _date(state.get("deadline"))
    application.deadline_provisional = bool(state.get("deadline_provisional")) and application.deadline is not None
    application.clock_paused = bool(state.get("correction_since"))


async def sync(session: AsyncSession, application: Application) -> None:
    """Bring the application's stored deadline and task rows in line with its workflow state.

    Rows of tasks that are no longer ready go; a claim on a task that is still ready (a joint review
    where another department finished first) is kept.
    """
    store_clock(application)
    claims: dict[str, tuple[uuid.UUID, str | None, datetime | None]] = {
        task_id: (by, name, at)
        for task_id, by, name, at in (
            await session.execute(
                select(ApplicationTask.task_id, ApplicationTask.claimed_by_id, ApplicationTask.claimed_by_name, ApplicationTask.claimed_at).where(
                    ApplicationTask.application_id == application.id, ApplicationTask.claimed_by_id.is_not(None)
                )
            )
        ).tuples()
        if by is not None
    }
    await session.execute(delete(ApplicationTask).where(ApplicationTask.application_id == application.id).execution_options(synchronize_session=False))
    state = application.workflow_state or {}
    if application.status in CLOSED or application.number is None or not isinstance(state.get("engine"), str):
        return
    place = place_of(application.organisation_code)
    applicant = mask_name(application.applicant_name) if application.applicant_kind == "person" else application.applicant_name
    for task in engine.ready_tasks(state["engine"]):
        claim = claims.get(task.id)
        for role in task.roles:
            if role not in STAFF_TASK_ROLES:
                continue  # the applicant's own step (resubmission) is not a workbench task
            session.add(
                ApplicationTask(
                    application_id=application.id,
                    task_id=task.id,
                    task_name=task.name[:40],
                    task_title=task.title[:80],
                    role=role,
                    allowed_roles=f",{','.join(task.roles)},"[:120],
                    actions=",".join(task.actions)[:200],
                    task_department=task.department,
                    department_kind=task.department or place.department,
                    organisation_code=application.organisation_code,
                    division_code=place.division,
                    prefecture_code=place.prefecture,
                    item_name=application.item_name,
                    number=application.number,
                    applicant_name=applicant,
                    status=application.status,
                    submitted_at=application.submitted_at,
                    deadline=application.deadline,
                    paused=application.clock_paused,
                    claimed_by_id=claim[0] if claim else None,
                    claimed_by_name=claim[1] if claim else None,
                    claimed_at=claim[2] if claim else None,
                )
            )
    await session.flush()


async def backfill(session: AsyncSession, *, chunk: int = BACKFILL_CHUNK) -> int:
    """Rebuild the stored deadlines and task rows of every submitted application (after migration 0007).

    Idempotent; walks the table in id order, ``chunk`` rows at a time. Returns the applications visited.
    """
    visited = 0
    last: uuid.UUID | None = None
    while True:
        query = select(Application).where(Application.number.is_not(None)).order_by(Application.id).limit(chunk)
        if last is not None:
            query = query.where(Application.id > last)
        rows = list((await session.execute(query)).scalars())
        if not rows:
            return visited
        for application in rows:
            await sync(session, application)
        await session.flush()
        visited += len(rows)
        last = rows[-1].id
        session.expunge_all()  # keep memory flat over a large table
