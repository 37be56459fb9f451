"""重点事项清单 — the key-item list and its routine review (the mechanism the State Council's Decision asks for).

Each entry is a published bundle with its lead and participating departments, targets (working days,
materials, visits, steps), launch date, review cycle, status and the person responsible. Entries are
managed like bundle definitions: by staff holding ``onething:bundles:manage`` whose data scope covers the
entry's lead organisation, so a department leads its own entries and the province's administrators
(whole province, every department) oversee the whole list.

The routine review (:func:`run_reviews`, a scheduled job) takes every launched entry whose review is due:
periods follow the calendar (months; quarters from January, April, July, October; half years; years)
and a review covers one period, from its first day (or the launch date) to its last. From the bundle's
cases completed in the period it computes, per case, the elapsed working days (submission → completion,
the platform's working-day calendar), the materials uploaded, the visits (0 for the online submission,
plus the visits of the items that still need one, in parallel counted once) and the steps the applicant
took (one submission, each resubmission after 补正, each item resumed or applied for again, the staff steps
along the longest chain of the items as they ran, one collection of the results). Each metric's median is
held against its target; a missed target flags the entry and tells the lead department's leaders in-app.
Reviews are stored (one per entry and period) and the next is scheduled; periods missed while the job
did not run (or the entry was paused) are reviewed on the next run, and only the latest one alerts anyone.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from longgov.applications import services as applications
from longgov.applications.schemas import BundleMember
from longgov.catalog import services as catalog
from longgov.db import utcnow
from longgov.identity import services as identity
from longgov.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from longgov.notify import services as notify
from longgov.notify.schemas import Notification
from longgov.onething import metrics, services
from longgov.onething.models import BundleCase, BundleCaseEvent, BundleCaseMaterial, BundleCaseMember, KeyItem, KeyItemReview
from longgov.onething.schemas import (
    KEY_ITEM_STATUS_TITLES,
    METRIC_RESULT_TITLES,
    REVIEW_CYCLE_MONTHS,
    REVIEW_CYCLE_TITLES,
    REVIEW_OUTCOME_TITLES,
    BundleItem,
    KeyItemDetail,
    KeyItemFields,
    KeyItemProgress,
    KeyItemReviewView,
    KeyItemView,
    MetricResult,
    NewKeyItem,
    Targets,
)
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.permissions import Permission, Role

KEY_ITEM_CREATED = "onething:keyitem:create"
KEY_ITEM_UPDATED = "onething:keyitem:update"
KEY_ITEM_REVIEWED = "onething:keyitem:review"
KEY_ITEMS_SEEDED = "onething:keyitems:seed"

PLANNED, LAUNCHED, PAUSED = "planned", "launched", "paused"
MET, MISSED, NO_DATA, NO_TARGET = "met", "missed", "no_data", "no_target"
# (metric, title, unit) of a review, in display order; the targets carry the same keys.
REVIEWED: Final[tuple[tuple[str, str, str], ...]] = (
    ("days", "办理时间", "工作日"),
    ("materials", "提交材料", "份"),
    ("visits", "跑动次数", "次"),
    ("steps", "办理环节", "个"),
)
# Periods missed while the job was down are caught up at most this many at a time.
CATCH_UP_LIMIT: Final = 12
_CHINA = ZoneInfo("Asia/Shanghai")
_APPLICANT_ROLE = "申请人"
_RESUBMIT, _DELIVER = "resubmit", "deliver"
_MAX_NAME = 60


# --- periods -------------------------------------------------------------------------------------------


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def next_boundary(after: date, cycle: str) -> date:
    """The first day of the first review period that starts after ``after`` (periods aligned to the calendar year)."""
    months = REVIEW_CYCLE_MONTHS[cycle]
    return _month_start((_month_index(after) // months + 1) * months)


def period_ending(boundary: date, cycle: str, launched_on: date | None) -> tuple[date, date]:
    """The period a review due on ``boundary`` covers: (first day, last day), not before the launch."""
    start = _month_start(_month_index(boundary) - REVIEW_CYCLE_MONTHS[cycle])
    if launched_on is not None and launched_on > start:
        start = launched_on
    return start, boundary - timedelta(days=1)


def _china_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=_CHINA)


# --- helpers ---------------------------------------------------------------------------------------------


def _staff(ctx: ServiceContext) -> None:
    if ctx.actor is None or ctx.actor.kind != "staff":
        raise PermissionDenied("只有工作人员可以查看重点事项清单", code="staff_only")


def _require_manage(ctx: ServiceContext, lead_organisation: str) -> None:
    # Seeding runs without an actor; requests always carry one.
    if ctx.actor is not None and not services.may_manage(ctx.actor, lead_organisation):
        raise PermissionDenied("该重点事项的牵头机构不在您的数据范围内（仅可管理本部门、本地区牵头的事项）", code="out_of_scope")


def _actor_name(ctx: ServiceContext) -> str:
    return ctx.actor.display_name if ctx.actor is not None else "系统"


def _audit(ctx: ServiceContext, tag: str, row: KeyItem, **details: Any) -> None:  # noqa: ANN401
    record(ctx.session, tag, actor=ctx.actor, meta=ctx.meta, subject_type="key_item", subject_id=row.bundle_code, details=details)


async def _row(ctx: ServiceContext, code: str, *, lock: bool = False) -> KeyItem:
    query = select(KeyItem).where(KeyItem.bundle_code == code)
    row = (await ctx.session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if row is None:
        raise NotFound("重点事项清单中没有该一件事", code="key_item_not_found", details={"code": code})
    return row


def _targets(row: KeyItem) -> Targets:
    return Targets(days=row.target_days, materials=row.target_materials, visits=row.target_visits, steps=row.target_steps)


async def _last_period_end(ctx: ServiceContext, row: KeyItem) -> date | None:
    found: date | None = (await ctx.session.execute(select(func.max(KeyItemReview.period_end)).where(KeyItemReview.key_item_id == row.id))).scalar_one()
    return found


async def _schedule(ctx: ServiceContext, row: KeyItem) -> None:
    """The next review of a launched entry: the end of the period after its launch or its last review; none otherwise."""
    if row.status != LAUNCHED or row.launched_on is None:
        row.next_review_on = None
        return
    last = await _last_period_end(ctx, row)
    base = row.launched_on if last is None else max(row.launched_on, last + timedelta(days=1))
    row.next_review_on = next_boundary(base, row.review_cycle)


def _check(data: KeyItemFields) -> None:
    errors: dict[str, str] = {}
    names = [p.strip() for p in data.participating]
    if any(not n or len(n) > _MAX_NAME for n in names):
        errors["participating"] = "参与部门名称不能为空，且不超过60个字"
    elif len(set(names)) != len(names):
        errors["participating"] = "参与部门重复"
    if data.status != PLANNED and data.launched_on is None:
        errors["launched_on"] = "已上线或已暂停的事项须填写上线日期"
    if errors:
        raise ValidationFailed("重点事项填写有误，请按提示修改", code="invalid_key_item", details=errors)


def _apply(row: KeyItem, data: KeyItemFields) -> dict[str, Any]:
    """Copy the staff's fields onto the row; what changed (field → new value) for the audit."""
    values: dict[str, Any] = {
        "participating": [p.strip() for p in data.participating],
        "target_days": data.targets.days,
        "target_materials": data.targets.materials,
        "target_visits": data.targets.visits,
        "target_steps": data.targets.steps,
        "launched_on": data.launched_on,
        "review_cycle": data.review_cycle,
        "status": data.status,
        "responsible_person": data.responsible_person.strip(),
        "note": data.note.strip() or None,
    }
    changed = {}
    for name, value in values.items():
        if getattr(row, name, None) != value:
            changed[name] = value.isoformat() if isinstance(value, date) else value
            setattr(row, name, value)
    return changed


async def _lead_names(ctx: ServiceContext, rows: Sequence[KeyItem]) -> dict[str, str]:
    names: dict[str, str] = {}
    for row in rows:
        if row.lead_organisation_code not in names:
            org = await identity.get_organisation_by_code(ctx.session, row.lead_organisation_code)
            names[row.lead_organisation_code] = org.name if org is not None else row.lead_organisation_code
    return names


def _view(ctx: ServiceContext, row: KeyItem, lead_department: str) -> KeyItemView:
    return KeyItemView(
        bundle_code=row.bundle_code,
        bundle_name=row.bundle_name,
        lead_organisation=row.lead_organisation_code,
        lead_department=lead_department,
        participating=list(row.participating),
        targets=_targets(row),
        launched_on=row.launched_on,
        review_cycle=row.review_cycle,
        review_cycle_title=REVIEW_CYCLE_TITLES.get(row.review_cycle, row.review_cycle),
        status=row.status,
        status_title=KEY_ITEM_STATUS_TITLES.get(row.status, row.status),
        responsible_person=row.responsible_person,
        note=row.note or "",
        next_review_on=row.next_review_on,
        last_reviewed_on=row.last_reviewed_on,
        last_outcome=row.last_outcome,
        last_outcome_title=REVIEW_OUTCOME_TITLES.get(row.last_outcome) if row.last_outcome else None,
        flagged=row.flagged,
        may_edit=services.may_manage(ctx.actor, row.lead_organisation_code),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def _metric_results(targets: Mapping[str, Any], actuals: Mapping[str, Any], outcomes: Mapping[str, Any]) -> list[MetricResult]:
    results = []
    for metric, title, unit in REVIEWED:
        actual = actuals.get(metric) or {}
        result = str(outcomes.get(metric, NO_TARGET))
        results.append(
            MetricResult(
                metric=metric,
                title=title,
                unit=unit,
                target=targets.get(metric),
                median=actual.get("median"),
                mean=actual.get("mean"),
                max=actual.get("max"),
                result=result,
                result_title=METRIC_RESULT_TITLES.get(result, result),
            )
        )
    return results


def review_view(row: KeyItemReview) -> KeyItemReviewView:
    """A stored review as staff read it."""
    results = _metric_results(row.targets, row.actuals, row.results)
    return KeyItemReviewView(
        id=row.id,
        bundle_code=row.bundle_code,
        period_start=row.period_start,
        period_end=row.period_end,
        reviewed_at=row.reviewed_at,
        sample_size=row.sample_size,
        outcome=row.outcome,
        outcome_title=REVIEW_OUTCOME_TITLES.get(row.outcome, row.outcome),
        metrics=results,
        notified=row.notified,
    )


async def _reviews(ctx: ServiceContext, row: KeyItem, limit: int = 120) -> list[KeyItemReviewView]:
    query = select(KeyItemReview).where(KeyItemReview.key_item_id == row.id).order_by(KeyItemReview.period_end.desc()).limit(limit)
    return [review_view(r) for r in (await ctx.session.execute(query)).scalars()]


async def _detail(ctx: ServiceContext, row: KeyItem) -> KeyItemDetail:
    names = await _lead_names(ctx, [row])
    view = _view(ctx, row, names[row.lead_organisation_code])
    return KeyItemDetail(**view.model_dump(), reviews=await _reviews(ctx, row), current=await _progress(ctx, row, metrics.china_day(utcnow())))


async def _progress(ctx: ServiceContext, row: KeyItem, today: date) -> KeyItemProgress | None:
    """本期至今: the current period's completed cases against the targets, for a launched entry."""
    if row.status != LAUNCHED or row.launched_on is None or row.launched_on > today:
        return None
    boundary = next_boundary(today, row.review_cycle)
    start, _ = period_ending(boundary, row.review_cycle, row.launched_on)
    cases = await _completed_cases(ctx, row.bundle_code, start, today + timedelta(days=1))
    targets = _targets(row)
    # The applications' steps are read as the system, as the routine review reads them.
    system = ServiceContext(session=ctx.session, platform=ctx.platform, meta=ctx.meta)
    actuals, results, outcome = assess(targets, await case_actuals(system, cases))
    return KeyItemProgress(
        period_start=start,
        through=today,
        review_on=boundary,
        sample_size=len(cases),
        outcome=outcome,
        outcome_title=REVIEW_OUTCOME_TITLES.get(outcome, outcome),
        metrics=_metric_results(targets.model_dump(), actuals, results),
    )


async def _completed_cases(ctx: ServiceContext, code: str, start: date, before: date) -> list[BundleCase]:
    """The bundle's cases completed from ``start`` up to (not including) ``before``, China days."""
    query = (
        select(BundleCase)
        .where(
            BundleCase.bundle_code == code,
            BundleCase.status == metrics.COMPLETED,
            BundleCase.completed_at >= _china_midnight(start),
            BundleCase.completed_at < _china_midnight(before),
        )
        .order_by(BundleCase.completed_at, BundleCase.id)
    )
    return list((await ctx.session.execute(query)).scalars().all())


# --- reading and editing -------------------------------------------------------------------------------------


async def list_key_items(ctx: ServiceContext) -> list[KeyItemView]:
    """The whole key-item list by name, each entry with its latest review and whether the caller may edit it (staff)."""
    _staff(ctx)
    rows = list((await ctx.session.execute(select(KeyItem).order_by(KeyItem.bundle_name, KeyItem.bundle_code))).scalars())
    names = await _lead_names(ctx, rows)
    return [_view(ctx, row, names[row.lead_organisation_code]) for row in rows]


async def get_key_item(ctx: ServiceContext, code: str) -> KeyItemDetail:
    """One entry with its review history, newest first (staff)."""
    _staff(ctx)
    return await _detail(ctx, await _row(ctx, code))


async def list_reviews(ctx: ServiceContext, code: str) -> list[KeyItemReviewView]:
    """The review history of one entry, newest first (staff)."""
    _staff(ctx)
    return await _reviews(ctx, await _row(ctx, code))


async def create_key_item(ctx: ServiceContext, data: NewKeyItem) -> KeyItemDetail:
    """Put a published bundle on the list (within the caller's scope over its lead organisation); audited."""
    _check(data)
    bundle = await services.get_published(ctx, data.bundle_code)
    _require_manage(ctx, bundle.lead_organisation)
    if (await ctx.session.execute(select(KeyItem.id).where(KeyItem.bundle_code == data.bundle_code))).first() is not None:
        raise Conflict("该一件事已在重点事项清单中", code="key_item_exists", details={"code": data.bundle_code})
    org = await identity.get_organisation_by_code(ctx.session, bundle.lead_organisation)
    row = KeyItem(
        bundle_code=bundle.code,
        bundle_name=bundle.name,
        lead_organisation_code=bundle.lead_organisation,
        division_code=org.division_code if org is not None else bundle.lead_organisation.partition("-")[0],
        department_kind=org.department_kind if org is not None else (bundle.lead_organisation.partition("-")[2] or None),
        flagged=False,
        updated_by=_actor_name(ctx),
    )
    changed = _apply(row, data)
    ctx.session.add(row)
    await ctx.session.flush()
    await _schedule(ctx, row)
    await ctx.session.flush()
    _audit(ctx, KEY_ITEM_CREATED, row, fields=changed)
    return await _detail(ctx, row)


async def update_key_item(ctx: ServiceContext, code: str, data: KeyItemFields) -> KeyItemDetail:
    """Change an entry (within the caller's scope); the next review is rescheduled from its launch or last review; audited."""
    _check(data)
    row = await _row(ctx, code, lock=True)
    _require_manage(ctx, row.lead_organisation_code)
    changed = _apply(row, data)
    if changed:
        row.updated_by = _actor_name(ctx)
        if not {"status", "launched_on", "review_cycle"}.isdisjoint(changed):
            await _schedule(ctx, row)
        await ctx.session.flush()
        _audit(ctx, KEY_ITEM_UPDATED, row, fields=changed)
    return await _detail(ctx, row)


async def seed_key_items(ctx: ServiceContext, today: date | None = None) -> int:
    """The national key items: an entry for each shipped bundle that is published and not on the list yet (idempotent).

    Targets come from the definition; runnable bundles are launched today, the others planned.
    """
    today = today or metrics.china_day(utcnow())
    existing = set((await ctx.session.execute(select(KeyItem.bundle_code))).scalars())
    created = 0
    for raw in services.shipped_definitions():
        code = str(raw.get("code", ""))
        if code in existing:
            continue
        try:
            bundle = await services.get_published(ctx, code)
        except NotFound:
            continue
        data = NewKeyItem(
            bundle_code=code,
            participating=[d for d in bundle.departments if d != bundle.lead_department],
            targets=bundle.targets or Targets(),
            launched_on=today if bundle.runnable else None,
            review_cycle="monthly",
            status=LAUNCHED if bundle.runnable else PLANNED,
            note="国家“高效办成一件事”重点事项清单",
        )
        await create_key_item(ctx, data)
        created += 1
    if created:
        record(ctx.session, KEY_ITEMS_SEEDED, actor=ctx.actor, meta=ctx.meta, subject_type="onething", details={"created": created})
    return created


# --- the routine review -----------------------------------------------------------------------------------


def _staff_steps(member: BundleMember) -> int:
    """Distinct staff steps an application went through, without handing over the result (the collection is counted once per case)."""
    tasks = {e.step.partition(":")[0] for e in member.events if ":" in e.step and e.actor_role != _APPLICANT_ROLE}
    return len(tasks - {_DELIVER, _RESUBMIT})


def _resubmissions(member: BundleMember) -> int:
    return sum(1 for e in member.events if e.step.startswith(f"{_RESUBMIT}:"))


class _Visits:
    """Catalogue visits of items, each item read once per run."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._known: dict[str, int] = {}

    async def of(self, item_code: str) -> int:
        if item_code not in self._known:
            try:
                self._known[item_code] = (await catalog.get_published(self.ctx, item_code)).content.visits
            except NotFound:
                self._known[item_code] = 0
        return self._known[item_code]


async def case_actuals(ctx: ServiceContext, cases: Sequence[BundleCase]) -> list[dict[str, float]]:
    """Per completed case: elapsed working days, materials uploaded, visits and the applicant's steps (see the module's docstring)."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    days = await metrics.elapsed_working_days(ctx, cases)
    uploads = dict(
        (
            await ctx.session.execute(
                select(BundleCaseMaterial.case_id, func.count()).where(BundleCaseMaterial.case_id.in_(ids)).group_by(BundleCaseMaterial.case_id)
            )
        )
        .tuples()
        .all()
    )
    resumed = dict(
        (
            await ctx.session.execute(
                select(BundleCaseEvent.case_id, func.count())
                .where(BundleCaseEvent.case_id.in_(ids), BundleCaseEvent.step == "member_awaiting")
                .group_by(BundleCaseEvent.case_id)
            )
        )
        .tuples()
        .all()
    )
    members: dict[uuid.UUID, list[BundleCaseMember]] = {}
    for m in (await ctx.session.execute(select(BundleCaseMember).where(BundleCaseMember.case_id.in_(ids)).order_by(BundleCaseMember.position))).scalars():
        members.setdefault(m.case_id, []).append(m)
    visits = _Visits(ctx)
    result = []
    for case in cases:
        rows = members.get(case.id, [])
        # The applications' own steps (read as the system: the job has no actor).
        snapshot = {m.application_id: m for m in await applications.bundle_members(ctx, case.number or "", with_events=True)}
        entries = [BundleItem(item=m.item_basic_code, depends_on=list(m.depends_on)) for m in rows]
        staff = {m.item_basic_code: _staff_steps(snapshot[m.application_id]) if m.application_id in snapshot else 0 for m in rows}
        visit = {m.item_basic_code: await visits.of(m.item_code) for m in rows}
        chain_staff, _ = metrics.longest_chain(entries, staff.__getitem__)
        chain_visits, _ = metrics.longest_chain(entries, visit.__getitem__)
        actions = sum(_resubmissions(s) for s in snapshot.values()) + sum(len(m.attempts) for m in rows) + resumed.get(case.id, 0)
        result.append(
            {
                "days": float(days.get(case.id, 0)),
                "materials": float(uploads.get(case.id, 0)),
                "visits": float(chain_visits),
                "steps": float(1 + actions + chain_staff + 1),
            }
        )
    return result


def assess(targets: Targets, per_case: Sequence[Mapping[str, float]]) -> tuple[dict[str, Any], dict[str, str], str]:
    """(actuals: metric → median/mean/max, results: metric → met/missed/no_data/no_target, outcome) of a period's cases."""
    goal = targets.model_dump()
    actuals: dict[str, Any] = {}
    results: dict[str, str] = {}
    for metric, _, _ in REVIEWED:
        values = [float(c[metric]) for c in per_case]
        middle = metrics.median(values)
        actuals[metric] = {"median": middle, "mean": round(sum(values) / len(values), 1) if values else None, "max": max(values) if values else None}
        target = goal.get(metric)
        if middle is None:
            results[metric] = NO_DATA
        elif target is None:
            results[metric] = NO_TARGET
        else:
            results[metric] = MET if middle <= target else MISSED
    outcome = NO_DATA if not per_case else MISSED if MISSED in results.values() else MET
    return actuals, results, outcome


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else str(value)


async def _tell_leaders(ctx: ServiceContext, row: KeyItem, review: KeyItemReview) -> int:
    """In-app notice to the leaders of the lead department (department leaders whose scope covers it); how many were sent."""
    missed = [
        f"{title}中位数 {_fmt(review.actuals[metric]['median'])} {unit}，目标 {review.targets[metric]} {unit}"
        for metric, title, unit in REVIEWED
        if review.results.get(metric) == MISSED
    ]
    body = (
        f"重点事项“{row.bundle_name}”{review.period_start.isoformat()}至{review.period_end.isoformat()}评估未达标"
        f"（办结 {review.sample_size} 件）：{'；'.join(missed)}。请组织分析原因并推动整改。"
    )
    sent = 0
    for leader in await identity.staff_holding(ctx, Permission.OnethingBundlesManage):
        if Role.DepartmentLeader not in leader.roles or not services.may_manage(leader, row.lead_organisation_code):
            continue
        notice = Notification(
            recipient_account_id=leader.account_id,
            category="tasks",
            title=f"重点事项未达标：{row.bundle_name}"[:120],
            body=body[:4000],
            link=f"/workbench/onething/key-items/{row.bundle_code}",
            dedupe_key=f"keyitem:{row.id}:{review.period_end.isoformat()}",
        )
        sent += int((await notify.send(ctx, notice)).in_app)
    return sent


async def _review(ctx: ServiceContext, row: KeyItem, boundary: date, *, latest: bool) -> KeyItemReview:
    start, end = period_ending(boundary, row.review_cycle, row.launched_on)
    cases = await _completed_cases(ctx, row.bundle_code, start, boundary)
    targets = _targets(row)
    actuals, results, outcome = assess(targets, await case_actuals(ctx, cases))
    review = KeyItemReview(
        key_item_id=row.id,
        bundle_code=row.bundle_code,
        period_start=start,
        period_end=end,
        reviewed_at=utcnow(),
        sample_size=len(cases),
        targets=targets.model_dump(),
        actuals=actuals,
        results=results,
        outcome=outcome,
        notified=0,
    )
    ctx.session.add(review)
    await ctx.session.flush()
    # Earlier periods caught up in the same run are recorded; only the latest one alerts the leaders.
    if outcome == MISSED and latest:
        review.notified = await _tell_leaders(ctx, row, review)
    record(
        ctx.session,
        KEY_ITEM_REVIEWED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="key_item",
        subject_id=row.bundle_code,
        result="success",
        details={"period": [start.isoformat(), end.isoformat()], "sample": len(cases), "outcome": outcome, "notified": review.notified},
    )
    return review


async def review_due(ctx: ServiceContext, today: date | None = None) -> list[KeyItemReviewView]:
    """Review every launched entry whose review is due on ``today`` (China), one period at a time; the reviews made."""
    system = ServiceContext(session=ctx.session, platform=ctx.platform, meta=ctx.meta)
    today = today or metrics.china_day(utcnow())
    due = (
        (
            await system.session.execute(
                select(KeyItem)
                .where(KeyItem.status == LAUNCHED, KeyItem.next_review_on.is_not(None), KeyItem.next_review_on <= today)
                .order_by(KeyItem.bundle_code)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    made: list[KeyItemReview] = []
    for row in due:
        for _ in range(CATCH_UP_LIMIT):
            boundary = row.next_review_on
            if boundary is None or boundary > today:
                break
            following = next_boundary(boundary, row.review_cycle)
            review = await _review(system, row, boundary, latest=following > today)
            made.append(review)
            row.last_reviewed_on = today
            row.last_outcome = review.outcome
            row.flagged = review.outcome == MISSED
            row.next_review_on = following
        await system.session.flush()
    return [review_view(r) for r in made]


async def run_reviews(ctx: ServiceContext) -> str:
    """Job: the routine review of the key-item list; a one-line Chinese summary."""
    made = await review_due(ctx)
    if not made:
        return "没有到期的重点事项评估"
    missed = sum(1 for r in made if r.outcome == MISSED)
    sent = sum(r.notified for r in made)
    return f"评估重点事项 {len(made)} 次（未达标 {missed} 次），发送站内消息 {sent} 条"
