"""Time-limit use cases: the holiday calendar the platform keeps, working days, deadlines and alerts.

Other modules call ``working_calendar`` (a cached, pure ``WorkingCalendar``) or ``deadline_for``
(which also raises the missing-year alert), and subscribe with ``on_calendar_changed`` to recompute
their open deadlines when a year's notice is loaded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from longgov.db import after_commit, utcnow
from longgov.identity import services as identity
from longgov.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from longgov.notify import services as notify
from longgov.notify.schemas import Notification
from longgov.platform import Platform, ServiceContext
from longgov.security.audit.service import record
from longgov.security.permissions import Permission
from longgov.timelimits import events
from longgov.timelimits.models import CalendarAlert, CalendarState, HolidayDay, HolidayNotice
from longgov.timelimits.notices import LineError, NoticeDay, parse_notice_text, validate_notice_days, weekday_label
from longgov.timelimits.schemas import AlertView, DeadlineView, HolidayDayView, NoticeInput, NoticeView
from longgov.timelimits.workdays import (
    Deadline,
    Pause,
    Remaining,
    TimeStatus,
    WorkingCalendar,
    build_calendar,
    china_today,
)

__all__ = [
    "CalendarChanged",
    "Deadline",
    "Pause",
    "Remaining",
    "TimeStatus",
    "WorkingCalendar",
    "china_today",
    "compute_deadline",
    "deadline_for",
    "list_alerts",
    "list_notices",
    "on_calendar_changed",
    "publish_notice",
    "raise_missing_year_alerts",
    "remind_missing_years",
    "seed_reference_calendar",
    "working_calendar",
]

log = logging.getLogger("longgov.timelimits")

LIBRARY_SOURCE = "chinese-calendar 1.11"
MANUAL_SOURCE = "manual"
REFERENCE_FIRST_YEAR = 2004
REFERENCE_LAST_YEAR = 2026  # chinese-calendar 1.11 has no data from 2027 on (it raises for those dates)

# chinese-calendar's English holiday names → the names the State Council notices use.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def missing_year_message(year: int) -> str:
    """The alert text shown to administrators."""
    return f"{year}年节假日安排尚未录入，期限为临时计算"


# --- subscribers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarChanged:
    """A year's notice was loaded.

    ``years`` are those whose working days may have changed: the notice's own year, plus the
    neighbouring year when it touches late December or early January.
    """

    year: int
    years: tuple[int, ...]
    version: int
    platform: Platform = field(repr=False)


CalendarSubscriber = Callable[[CalendarChanged], Awaitable[None]]
_subscribers: list[CalendarSubscriber] = []


def on_calendar_changed(callback: CalendarSubscriber) -> Callable[[], None]:
    """Call ``callback`` after each committed notice change (in this process); returns an unsubscribe."""
    _subscribers.append(callback)

    def unsubscribe() -> None:
        if callback in _subscribers:
            _subscribers.remove(callback)

    return unsubscribe


async def _notify(event: CalendarChanged) -> None:
    for callback in _subscribers:
        try:
            await callback(event)
        except Exception:
            log.exception("calendar subscriber failed for %s", event.year)


# --- the cached calendar -------------------------------------------------------------------------

_cache: dict[str, WorkingCalendar] = {}


def _cache_key(session: AsyncSession) -> str:
    bind = session.bind
    return str(bind.url if isinstance(bind, AsyncEngine) else bind.engine.url)


async def calendar_version(session: AsyncSession) -> int:
    """The change counter (0 before anything was loaded)."""
    value = (await session.execute(select(CalendarState.version).where(CalendarState.id == 1))).scalar_one_or_none()
    return value or 0


async def _bump_version(session: AsyncSession) -> int:
    now = utcnow()
    result = await session.execute(
        update(CalendarState).where(CalendarState.id == 1).values(version=CalendarState.version + 1, updated_at=now).returning(CalendarState.version)
    )
    version = result.scalar_one_or_none()
    if version is None:
        session.add(CalendarState(id=1, version=1, updated_at=now))
        await session.flush()
        version = 1
    return version


async def working_calendar(session: AsyncSession) -> WorkingCalendar:
    """The calendar of all active notices, rebuilt only when the counter in the database moved."""
    version = await calendar_version(session)
    key = _cache_key(session)
    cached = _cache.get(key)
    if cached is not None and cached.version == version:
        return cached
    rows = (
        await session.execute(
            select(HolidayDay.day, HolidayDay.kind, HolidayDay.name, HolidayNotice.year)
            .join(HolidayNotice, HolidayNotice.id == HolidayDay.notice_id)
            .where(HolidayNotice.status == "active")
        )
    ).all()
    # A notice's own year wins over a neighbour's entry for the same date: those rows come last.
    ordered = sorted(rows, key=lambda r: (r.day.year == r.year, r.day))
    years = (await session.execute(select(HolidayNotice.year).where(HolidayNotice.status == "active"))).scalars().all()
    calendar = build_calendar(((r.day, r.kind, r.name) for r in ordered), years, version)
    _cache[key] = calendar
    return calendar


# --- deadlines -----------------------------------------------------------------------------------


async def deadline_for(ctx: ServiceContext, start: date, working_days: int, pauses: Sequence[Pause] = ()) -> Deadline:
    """``working_days`` after ``start`` (acceptance day not counted); alerts administrators when provisional."""
    calendar = await working_calendar(ctx.session)
    try:
        deadline = calendar.add_working_days(start, working_days, pauses)
    except ValueError as exc:
        raise ValidationFailed("期限参数无效", code="invalid_time_limit", details={"reason": str(exc)}) from exc
    if deadline.provisional:
        await raise_missing_year_alerts(ctx, deadline.missing_years)
    return deadline


async def compute_deadline(ctx: ServiceContext, start: date, working_days: int, pauses: Sequence[Pause] = (), *, today: date | None = None) -> DeadlineView:
    """A deadline and its traffic light today (China time)."""
    deadline = await deadline_for(ctx, start, working_days, pauses)
    calendar = await working_calendar(ctx.session)
    today = today or china_today()
    remaining = calendar.remaining(deadline, today)
    return DeadlineView(
        start=start,
        working_days=working_days,
        deadline=deadline.date,
        provisional=deadline.provisional,
        missing_years=list(deadline.missing_years),
        today=today,
        status=remaining.status.value,
        working_days_left=remaining.working_days_left,
        calendar_version=calendar.version,
    )


async def raise_missing_year_alerts(ctx: ServiceContext, years: Iterable[int]) -> int:
    """Open one alert (and one audit event) per year without a notice; years already alerted are skipped."""
    raised = 0
    for year in sorted(set(years)):
        exists = (await ctx.session.execute(select(CalendarAlert.id).where(CalendarAlert.open_year == year))).first()
        if exists:
            continue
        now = utcnow()
        alert = CalendarAlert(year=year, open_year=year, status="open", message=missing_year_message(year), raised_at=now)
        try:
            async with ctx.session.begin_nested():
                ctx.session.add(alert)
        except IntegrityError:
            continue  # another worker raised it first
        record(
            ctx.session,
            events.ALERT_RAISED,
            actor=ctx.actor,
            meta=ctx.meta,
            subject_type="calendar_year",
            subject_id=year,
            details={"year": year, "message": alert.message},
        )
        log.warning("%s", alert.message)
        raised += 1
    return raised


# --- notices -------------------------------------------------------------------------------------


def _require_manager(ctx: ServiceContext) -> None:
    if ctx.actor is not None and not ctx.actor.has(Permission.CalendarNoticesManage):
        raise PermissionDenied("无权维护节假日安排", code="permission_denied")


def _input_days(data: NoticeInput) -> tuple[list[NoticeDay], list[LineError]]:
    if data.text is not None:
        return parse_notice_text(data.text)
    return [NoticeDay(d.date, d.kind, d.name, i) for i, d in enumerate(data.days or [], start=1)], []


async def publish_notice(ctx: ServiceContext, data: NoticeInput) -> NoticeView:
    """Validate and store a new version of a year's notice; the previous version is superseded.

    Resolves the year's open alert, bumps the calendar counter (every worker reloads), is audited,
    and after commit tells the subscribers so open deadlines can be recomputed.
    """
    _require_manager(ctx)
    days, errors = _input_days(data)
    if days or not errors:
        errors = sorted([*errors, *validate_notice_days(data.year, days)], key=lambda e: e.line)
    if errors:
        raise ValidationFailed(
            f"节假日安排有{len(errors)}处错误，未保存，请逐行修改",
            code="invalid_notice",
            details={"lines": [e.as_dict() for e in errors]},
        )
    session = ctx.session
    now = utcnow()
    current = (await session.execute(select(HolidayNotice).where(HolidayNotice.active_year == data.year).with_for_update())).scalar_one_or_none()
    last_version = (await session.execute(select(func.max(HolidayNotice.version)).where(HolidayNotice.year == data.year))).scalar_one_or_none() or 0
    if current is not None:
        current.status = "superseded"
        current.active_year = None
        current.superseded_at = now
        await session.flush()
    notice = HolidayNotice(
        year=data.year,
        version=last_version + 1,
        status="active",
        active_year=data.year,
        title=data.title,
        document_number=data.document_number or None,
        published_on=data.published_on,
        source=MANUAL_SOURCE,
        source_text=data.text,
        entered_by_id=ctx.actor.account_id if ctx.actor else None,
        entered_by_name=ctx.actor.display_name if ctx.actor else None,
    )
    session.add(notice)
    await session.flush()
    session.add_all(HolidayDay(notice_id=notice.id, day=d.day, kind=d.kind, name=d.name) for d in days)
    resolved = (
        await session.execute(
            update(CalendarAlert)
            .where(CalendarAlert.open_year == data.year)
            .values(status="resolved", open_year=None, resolved_at=now, resolved_by_notice_id=notice.id, updated_at=now)
            .returning(CalendarAlert.id)
        )
    ).all()
    version = await _bump_version(session)
    await session.flush()
    holidays = sum(1 for d in days if d.kind == "holiday")
    record(
        session,
        events.NOTICE_PUBLISHED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="holiday_notice",
        subject_id=notice.id,
        details={
            "year": data.year,
            "version": notice.version,
            "document_number": notice.document_number,
            "holidays": holidays,
            "adjusted_workdays": len(days) - holidays,
            "superseded_version": current.version if current else None,
            "calendar_version": version,
        },
    )
    if resolved:
        record(session, events.ALERT_RESOLVED, actor=ctx.actor, meta=ctx.meta, subject_type="calendar_year", subject_id=data.year, details={"year": data.year})
    changed = CalendarChanged(data.year, tuple(sorted({data.year} | {d.day.year for d in days})), version, ctx.platform)
    after_commit(session, lambda: _notify(changed))
    return _notice_view(
        notice, days=[HolidayDayView(date=d.day, kind=d.kind, name=d.name, weekday=weekday_label(d.day)) for d in sorted(days, key=lambda d: d.day)]
    )


def _notice_view(notice: HolidayNotice, *, days: list[HolidayDayView], counts: tuple[int, int] | None = None) -> NoticeView:
    holidays, workdays = counts or (sum(1 for d in days if d.kind == "holiday"), sum(1 for d in days if d.kind != "holiday"))
    return NoticeView(
        id=notice.id,
        year=notice.year,
        version=notice.version,
        status="active" if notice.status == "active" else "superseded",
        title=notice.title,
        document_number=notice.document_number,
        published_on=notice.published_on,
        source=notice.source,
        entered_by_name=notice.entered_by_name,
        created_at=notice.created_at,
        superseded_at=notice.superseded_at,
        holidays=holidays,
        adjusted_workdays=workdays,
        days=days,
    )


async def list_notices(ctx: ServiceContext, *, year: int | None = None, include_superseded: bool = True) -> list[NoticeView]:
    """Notices newest year first (each year's versions newest first), with day counts."""
    _require_manager(ctx)
    stmt = select(HolidayNotice)
    if year is not None:
        stmt = stmt.where(HolidayNotice.year == year)
    if not include_superseded:
        stmt = stmt.where(HolidayNotice.status == "active")
    notices = (await ctx.session.execute(stmt.order_by(HolidayNotice.year.desc(), HolidayNotice.version.desc()))).scalars().all()
    counts: dict[tuple[uuid.UUID, str], int] = {}
    if notices:
        rows = await ctx.session.execute(
            select(HolidayDay.notice_id, HolidayDay.kind, func.count())
            .where(HolidayDay.notice_id.in_([n.id for n in notices]))
            .group_by(HolidayDay.notice_id, HolidayDay.kind)
        )
        counts = {(notice_id, kind): n for notice_id, kind, n in rows.tuples()}
    return [_notice_view(n, days=[], counts=(counts.get((n.id, "holiday"), 0), counts.get((n.id, "adjusted_workday"), 0))) for n in notices]


async def get_active_notice(ctx: ServiceContext, year: int) -> NoticeView:
    """A year's active notice with its days."""
    _require_manager(ctx)
    notice = (await ctx.session.execute(select(HolidayNotice).where(HolidayNotice.active_year == year))).scalar_one_or_none()
    if notice is None:
        raise NotFound(f"{year}年节假日安排尚未录入", code="notice_not_found", details={"year": year})
    rows = (await ctx.session.execute(select(HolidayDay).where(HolidayDay.notice_id == notice.id).order_by(HolidayDay.day))).scalars().all()
    return _notice_view(
        notice,
        days=[
            HolidayDayView(date=d.day, kind="holiday" if d.kind == "holiday" else "adjusted_workday", name=d.name, weekday=weekday_label(d.day)) for d in rows
        ],
    )


async def list_alerts(ctx: ServiceContext, *, only_open: bool = True, limit: int = 50) -> list[AlertView]:
    """Missing-year alerts, open ones (or all, newest first)."""
    _require_manager(ctx)
    stmt = select(CalendarAlert)
    if only_open:
        stmt = stmt.where(CalendarAlert.status == "open")
    rows = (await ctx.session.execute(stmt.order_by(CalendarAlert.raised_at.desc()).limit(limit))).scalars().all()
    return [
        AlertView(
            id=a.id, year=a.year, status="open" if a.status == "open" else "resolved", message=a.message, raised_at=a.raised_at, resolved_at=a.resolved_at
        )
        for a in rows
    ]


# --- reference data ------------------------------------------------------------------------------


def reference_days(year: int) -> list[NoticeDay]:
    """Holidays and adjusted working weekends of a past year, read from chinese-calendar 1.11."""
    import chinese_calendar  # type: ignore[import-untyped]  # noqa: PLC0415 - only seeding needs the library

    days: list[NoticeDay] = []
    day, last = date(year, 1, 1), date(year, 12, 31)
    while day <= last:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name is not None:
            label = HOLIDAY_NAMES.get(str(name), str(name))
            if on_holiday:
                days.append(NoticeDay(day, "holiday", label))
            elif day.weekday() >= 5:  # noqa: PLR2004 - an in-lieu working weekend
                days.append(NoticeDay(day, "adjusted_workday", label))
        day += timedelta(days=1)
    return days


async def seed_reference_calendar(ctx: ServiceContext) -> int:
    """Load 2004–2026 from chinese-calendar 1.11 for every year that has no notice yet; idempotent.

    Returns the number of notices created. Called by ``longgov db upgrade`` and demo seeding.
    """
    session = ctx.session
    present = set((await session.execute(select(HolidayNotice.year).distinct())).scalars().all())
    created: list[int] = []
    for year in range(REFERENCE_FIRST_YEAR, REFERENCE_LAST_YEAR + 1):
        if year in present:
            continue
        notice = HolidayNotice(
            year=year,
            version=1,
            status="active",
            active_year=year,
            title=f"{year}年部分节假日安排（历史参考数据）",
            document_number=None,
            published_on=None,
            source=LIBRARY_SOURCE,
            entered_by_name=f"系统导入（{LIBRARY_SOURCE}）",
        )
        session.add(notice)
        await session.flush()
        session.add_all(HolidayDay(notice_id=notice.id, day=d.day, kind=d.kind, name=d.name) for d in reference_days(year))
        created.append(year)
    if created:
        version = await _bump_version(session)
        await session.flush()
        record(
            session,
            events.REFERENCE_SEEDED,
            actor=ctx.actor,
            meta=ctx.meta,
            subject_type="holiday_notice",
            details={"years": created, "source": LIBRARY_SOURCE, "calendar_version": version},
        )
    return len(created)


def covered_years_summary(calendar: WorkingCalendar, around: int, *, ahead: int = 2) -> list[tuple[int, bool]]:
    """(year, loaded?) for the years an administrator should look at: last year to ``ahead`` years on."""
    return [(y, y in calendar.covered_years) for y in range(around - 1, around + ahead + 1)]


# --- the missing-year reminder (a scheduled job) ---------------------------------------------------


async def remind_missing_years(ctx: ServiceContext) -> str:
    """Job: remind the system administrators of every year whose holiday notice is missing (in-app, once per year each).

    A missing notice for this year, or from ``calendar_alert_from_month`` on for next year, opens the
    year's alert first. Alerts raised by deadline computations (:func:`deadline_for`) reach the administrators the same way.
    """
    today = china_today()
    covered = (await working_calendar(ctx.session)).covered_years
    wanted = {today.year} if today.year not in covered else set()
    if today.month >= ctx.settings.calendar_alert_from_month and today.year + 1 not in covered:
        wanted.add(today.year + 1)
    raised = await raise_missing_year_alerts(ctx, wanted)
    years = sorted(set((await ctx.session.execute(select(CalendarAlert.year).where(CalendarAlert.status == "open"))).scalars()))
    if not years:
        return "节假日安排齐全，无需提醒"
    admins = await identity.staff_holding(ctx, Permission.CalendarNoticesManage)
    sent = 0
    for year in years:
        for admin in admins:
            notice = Notification(
                recipient_account_id=admin.account_id,
                category="calendar",
                title=f"请录入{year}年节假日安排",
                body=(
                    f"{missing_year_message(year)}。请在国务院办公厅发布{year}年部分节假日安排的通知后及时录入；"
                    "录入前，跨入该年的办理期限按周末双休临时计算，录入后自动重算。"
                ),
                link="/admin/calendar",
                dedupe_key=f"calendar-missing:{year}",
            )
            sent += int((await notify.send(ctx, notice)).in_app)
    return f"缺少节假日安排的年份 {years}，新开提醒 {raised} 个，发送站内消息 {sent} 条"
