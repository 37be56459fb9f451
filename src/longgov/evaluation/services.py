"""Service rating use cases (好差评, R3.8).

After an application is concluded (办结) or delivered (送达) its applicant rates it once, 1–5. A rating
of 2 or less opens a rectification (整改) for the department with a deadline of
:data:`RECTIFICATION_WORKING_DAYS` working days; the department leader writes the result, then the
applicant is re-visited (回访) and rates again. Statistics group ratings by item or by department.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from longgov.applications import services as applications
from longgov.db import utcnow
from longgov.evaluation import events
from longgov.evaluation.models import Rating, Rectification
from longgov.evaluation.schemas import (
    RECTIFICATION_STATUS_TITLES,
    REVISIT_CHANNEL_TITLES,
    SCORE_TITLES,
    PhoneRevisitInput,
    RatingInput,
    RatingState,
    RatingView,
    RectificationView,
    StatsRow,
    StatsView,
)
from longgov.identity import services as identity
from longgov.kernel.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from longgov.notify import services as notify
from longgov.notify.schemas import Notification
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.permissions import Permission
from longgov.security.principal import Principal
from longgov.security.scope import division_prefix
from longgov.timelimits import services as timelimits

RATEABLE = frozenset({"concluded", "delivered"})
BAD_SCORE = 2  # 2 不满意 and 1 非常不满意 open a rectification
SATISFIED_SCORE = 4  # 4 满意 and 5 非常满意 count as satisfied
RECTIFICATION_WORKING_DAYS = 5
OPEN, RECTIFIED, REVISITED = "open", "rectified", "revisited"
ONLINE, PHONE = "online", "phone"
DONE = (RECTIFIED, REVISITED)


# --- helpers ---------------------------------------------------------------------------------


def _staff(ctx: ServiceContext) -> Principal:
    if ctx.actor is None:
        raise NotAuthenticated("请先登录")
    if ctx.actor.kind != "staff":
        raise PermissionDenied("只有工作人员可以办理", code="staff_only")
    return ctx.actor


def _scope_filter(actor: Principal, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """Rows of organisations in the staff member's division and department (``620102-market_regulation``)."""
    clauses: list[ColumnElement[bool]] = []
    if actor.scope_division is not None:
        clauses.append(column.startswith(division_prefix(actor.scope_division)))
    if actor.scope_department is not None:
        clauses.append(column.endswith(f"-{actor.scope_department}"))
    return and_(true(), *clauses)


def _in_scope(actor: Principal, organisation_code: str) -> bool:
    division, kind = applications.department_of(organisation_code)
    if actor.scope_division is not None and not division.startswith(division_prefix(actor.scope_division)):
        return False
    return actor.scope_department is None or actor.scope_department == kind


def _rectification_view(row: Rectification, rating: Rating) -> RectificationView:
    return RectificationView(
        id=row.id,
        application_number=row.application_number,
        item_code=row.item_code,
        item_name=row.item_name,
        department_name=row.department_name,
        organisation_code=row.organisation_code,
        status=row.status,
        status_title=RECTIFICATION_STATUS_TITLES.get(row.status, row.status),
        deadline=row.deadline,
        overdue=row.status == OPEN and row.deadline < timelimits.china_today(),
        score=rating.score,
        comment=rating.comment,
        result=row.result,
        handled_by=row.handled_by,
        handled_at=row.handled_at,
        revisit_score=row.revisit_score,
        revisit_comment=row.revisit_comment,
        revisited_at=row.revisited_at,
        revisit_channel=row.revisit_channel,
        revisit_channel_title=REVISIT_CHANNEL_TITLES.get(row.revisit_channel or "", None),
        revisit_recorded_by=row.revisit_recorded_by,
    )


def _rating_view(rating: Rating, rectification: Rectification | None) -> RatingView:
    return RatingView(
        application_number=rating.application_number,
        score=rating.score,
        score_title=SCORE_TITLES[rating.score],
        comment=rating.comment,
        rated_at=rating.rated_at,
        rectification=_rectification_view(rectification, rating) if rectification else None,
    )


async def _rating_of(ctx: ServiceContext, application_id: uuid.UUID) -> tuple[Rating | None, Rectification | None]:
    rating = (await ctx.session.execute(select(Rating).where(Rating.application_id == application_id))).scalar_one_or_none()
    if rating is None:
        return None, None
    rectification = (await ctx.session.execute(select(Rectification).where(Rectification.rating_id == rating.id))).scalar_one_or_none()
    return rating, rectification


def _audit(ctx: ServiceContext, tag: str, subject_type: str, subject_id: object, **details: object) -> None:
    record(ctx.session, tag, actor=ctx.actor, meta=ctx.meta, subject_type=subject_type, subject_id=subject_id, details=dict(details))


# --- the applicant -----------------------------------------------------------------------------


async def rating_state(ctx: ServiceContext, number: str) -> RatingState:
    """The caller's application, whether it may be rated or re-visited, and its rating (audited read)."""
    application = await applications.rating_context(ctx, number)
    rating, rectification = await _rating_of(ctx, application.application_id)
    _audit(ctx, events.RATING_READ, "application", application.number, rated=rating is not None)
    return RatingState(
        application_number=application.number,
        item_name=application.item_name,
        department_name=application.department_name,
        status=application.status,
        status_title=application.status_title,
        can_rate=rating is None and application.status in RATEABLE,
        can_revisit=rectification is not None and rectification.status == RECTIFIED,
        rating=_rating_view(rating, rectification) if rating else None,
    )


async def rate(ctx: ServiceContext, number: str, data: RatingInput) -> RatingView:
    """Rate one's own concluded application once; a rating of 2 or less opens a rectification."""
    application = await applications.rating_context(ctx, number)
    if application.status not in RATEABLE:
        raise Conflict("办件办结后才能评价", code="not_concluded", details={"status": application.status_title})
    existing, _ = await _rating_of(ctx, application.application_id)
    if existing is not None:
        raise Conflict("该办件已评价，每件只能评价一次", code="already_rated")
    now = utcnow()
    rating = Rating(
        application_id=application.application_id,
        application_number=application.number,
        applicant_account_id=application.applicant_account_id,
        item_code=application.item_code,
        item_name=application.item_name,
        organisation_code=application.organisation_code,
        department_name=application.department_name,
        score=data.score,
        comment=data.comment or None,
        rated_at=now,
    )
    ctx.session.add(rating)
    try:
        await ctx.session.flush()
    except IntegrityError as exc:  # a concurrent rating of the same application won
        raise Conflict("该办件已评价，每件只能评价一次", code="already_rated") from exc
    _audit(ctx, events.RATING_CREATED, "application", application.number, score=data.score, item_code=application.item_code)
    rectification = None
    if data.score <= BAD_SCORE:
        deadline = await timelimits.deadline_for(ctx, timelimits.china_today(), RECTIFICATION_WORKING_DAYS)
        rectification = Rectification(
            rating_id=rating.id,
            application_number=application.number,
            applicant_account_id=application.applicant_account_id,
            organisation_code=application.organisation_code,
            department_name=application.department_name,
            item_code=application.item_code,
            item_name=application.item_name,
            status=OPEN,
            deadline=deadline.date,
        )
        ctx.session.add(rectification)
        await ctx.session.flush()
        _audit(
            ctx,
            events.RECTIFICATION_OPENED,
            "rectification",
            rectification.id,
            application_number=application.number,
            organisation_code=application.organisation_code,
            deadline=deadline.date.isoformat(),
        )
    return _rating_view(rating, rectification)


async def revisit(ctx: ServiceContext, number: str, data: RatingInput) -> RatingView:
    """回访: the applicant rates again once the department has rectified."""
    application = await applications.rating_context(ctx, number)
    rating, rectification = await _rating_of(ctx, application.application_id)
    if rating is None or rectification is None:
        raise Conflict("该办件没有需要回访的整改", code="no_rectification")
    if rectification.status != RECTIFIED:
        message = "部门整改完成后才能回访" if rectification.status == OPEN else "该整改已回访"
        raise Conflict(message, code="revisit_not_open", details={"status": RECTIFICATION_STATUS_TITLES[rectification.status]})
    rectification.status = REVISITED
    rectification.revisit_score = data.score
    rectification.revisit_comment = data.comment or None
    rectification.revisited_at = utcnow()
    rectification.revisit_channel = ONLINE
    await ctx.session.flush()
    _audit(ctx, events.REVISIT_RECORDED, "rectification", rectification.id, application_number=application.number, score=data.score, channel=ONLINE)
    return _rating_view(rating, rectification)


# --- the department ----------------------------------------------------------------------------


async def list_rectifications(ctx: ServiceContext, *, status: str | None = None, limit: int = 100) -> list[RectificationView]:
    """Rectifications of the caller's division and department, open ones first, earliest deadline first (audited)."""
    actor = _staff(ctx)
    query = select(Rectification, Rating).join(Rating, Rating.id == Rectification.rating_id).where(_scope_filter(actor, Rectification.organisation_code))
    if status is not None:
        query = query.where(Rectification.status == status)
    query = query.order_by(case((Rectification.status == OPEN, 0), else_=1), Rectification.deadline, Rectification.id).limit(limit)
    rows = [_rectification_view(r, g) for r, g in (await ctx.session.execute(query)).tuples()]
    record(ctx.session, events.RECTIFICATIONS_LISTED, actor=ctx.actor, meta=ctx.meta, subject_type="rectification", details={"total": len(rows)})
    return rows


def parse_id(value: str) -> uuid.UUID:
    """A rectification id from a path; anything else reads as "not found"."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("未找到该整改任务", code="rectification_not_found") from exc


async def _locked_in_scope(ctx: ServiceContext, actor: Principal, rectification_id: uuid.UUID) -> tuple[Rectification, Rating]:
    """A rectification of the actor's scope with its rating, locked for the change; out of scope reads as absent."""
    found = (
        (
            await ctx.session.execute(
                select(Rectification, Rating).join(Rating, Rating.id == Rectification.rating_id).where(Rectification.id == rectification_id).with_for_update()
            )
        )
        .tuples()
        .one_or_none()
    )
    if found is None or not _in_scope(actor, found[0].organisation_code):
        raise NotFound("未找到该整改任务", code="rectification_not_found")
    return found[0], found[1]


async def complete_rectification(ctx: ServiceContext, rectification_id: uuid.UUID, result: str) -> RectificationView:
    """The department leader writes the rectification result; the applicant is then re-visited."""
    actor = _staff(ctx)
    row, rating = await _locked_in_scope(ctx, actor, rectification_id)
    if row.status != OPEN:
        raise Conflict("该整改任务已办理", code="rectification_done", details={"status": RECTIFICATION_STATUS_TITLES[row.status]})
    text = result.strip()
    if not text:
        raise ValidationFailed("请填写整改结果", details={"result": "请填写整改结果"})
    row.status = RECTIFIED
    row.result = text
    row.handled_by = actor.display_name
    row.handled_at = utcnow()
    await ctx.session.flush()
    _audit(
        ctx, events.RECTIFICATION_COMPLETED, "rectification", row.id, application_number=row.application_number, overdue=row.deadline < timelimits.china_today()
    )
    return _rectification_view(row, rating)


async def record_phone_revisit(ctx: ServiceContext, rectification_id: uuid.UUID, data: PhoneRevisitInput) -> RectificationView:
    """电话回访: a staff member of the department records the applicant's answer given by phone (audited)."""
    actor = _staff(ctx)
    row, rating = await _locked_in_scope(ctx, actor, rectification_id)
    if row.status != RECTIFIED:
        message = "部门整改完成后才能回访" if row.status == OPEN else "该整改已回访"
        raise Conflict(message, code="revisit_not_open", details={"status": RECTIFICATION_STATUS_TITLES[row.status]})
    row.status = REVISITED
    row.revisit_score = data.score
    row.revisit_comment = data.comment or None
    row.revisited_at = utcnow()
    row.revisit_channel = PHONE
    row.revisit_recorded_by = actor.display_name
    await ctx.session.flush()
    _audit(ctx, events.REVISIT_RECORDED, "rectification", row.id, application_number=row.application_number, score=data.score, channel=PHONE)
    return _rectification_view(row, rating)


# --- deadline reminders (a scheduled job) ------------------------------------------------------


def _reminder_title(deadline: date, today: date) -> str:
    if deadline < today:
        return f"整改已逾期{(today - deadline).days}天"
    return "整改今日到期" if deadline == today else "整改明日到期"


async def remind_rectification_deadlines(ctx: ServiceContext) -> str:
    """Job: open rectifications overdue or due by tomorrow remind the department leaders in scope (in-app), once a day each.

    ``last_reminded_on`` skips rectifications already reminded today; the notices' de-duplication key
    (rectification and China date) keeps a second concurrent run from repeating them.
    """
    today = timelimits.china_today()
    due = (
        await ctx.session.execute(
            select(Rectification)
            .where(
                Rectification.status == OPEN,
                Rectification.deadline <= today + timedelta(days=1),
                or_(Rectification.last_reminded_on.is_(None), Rectification.last_reminded_on < today),
            )
            .order_by(Rectification.deadline, Rectification.id)
        )
    ).scalars()
    rows = list(due)
    if not rows:
        return "没有需要提醒的整改"
    leaders = await identity.staff_holding(ctx, Permission.EvaluationRectificationsHandle)
    sent = 0
    for row in rows:
        title = _reminder_title(row.deadline, today)
        body = (
            f"办件{row.application_number}（{row.item_name}）收到差评，{row.department_name}的整改期限为"
            f"{row.deadline.year}年{row.deadline.month}月{row.deadline.day}日。请尽快整改并填写整改结果，整改后将回访申请人。"
        )
        for leader in leaders:
            if not _in_scope(leader, row.organisation_code):
                continue
            notice = Notification(
                recipient_account_id=leader.account_id,
                category="rectification",
                title=title,
                body=body,
                link="/workbench/rectifications",
                dedupe_key=f"rectification:{row.id}:{today.isoformat()}",
            )
            sent += int((await notify.send(ctx, notice)).in_app)
        row.last_reminded_on = today
    await ctx.session.flush()
    return f"提醒整改 {len(rows)} 件，发送站内消息 {sent} 条"


# --- statistics --------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def stats(ctx: ServiceContext, by: Literal["item", "department"]) -> StatsView:
    """Count, average, satisfaction rate (≥4) and rectification rate of bad ratings, per item or department, in the caller's scope."""
    actor = _staff(ctx)
    key, name = (Rating.item_code, Rating.item_name) if by == "item" else (Rating.organisation_code, Rating.department_name)
    satisfied = func.sum(case((Rating.score >= SATISFIED_SCORE, 1), else_=0))
    bad = func.sum(case((Rating.score <= BAD_SCORE, 1), else_=0))
    rectified = func.sum(case((Rectification.status.in_(DONE), 1), else_=0))
    query = (
        select(key, func.max(name), func.count(Rating.id), func.sum(Rating.score), satisfied, bad, rectified)
        .outerjoin(Rectification, Rectification.rating_id == Rating.id)
        .where(_scope_filter(actor, Rating.organisation_code))
        .group_by(key)
        .order_by(key)
    )
    rows: list[StatsRow] = []
    totals = [0, 0, 0, 0, 0]
    for k, n, count, score_sum, sat, bad_count, done in (await ctx.session.execute(query)).tuples():
        values = [int(count), int(score_sum or 0), int(sat or 0), int(bad_count or 0), int(done or 0)]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        rows.append(_row(str(k), str(n), values))
    record(ctx.session, events.STATS_READ, actor=ctx.actor, meta=ctx.meta, subject_type="rating", details={"by": by, "groups": len(rows)})
    return StatsView(by=by, rows=rows, total=_row("total", "合计", totals))


def _row(key: str, name: str, values: Sequence[int]) -> StatsRow:
    """A statistics row from (ratings, score sum, satisfied, bad, rectified)."""
    count, score_sum, satisfied, bad, rectified = values
    return StatsRow(
        key=key,
        name=name,
        ratings=count,
        average=round(score_sum / count, 2) if count else 0.0,
        satisfied=satisfied,
        satisfaction_rate=_rate(satisfied, count) or 0.0,
        bad=bad,
        rectified=rectified,
        rectification_rate=_rate(rectified, bad),
    )
