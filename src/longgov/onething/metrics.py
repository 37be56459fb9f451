"""一件事 before/after metrics (issue 5 §6): what applying for the items separately asks of the applicant, against the bundle.

Everything is computed for one scenario of the guide: the answers a caller gives, or by default the
fullest one (the answers, free of contradictions, that make the most items applicable; ties go to the
first in guide order, "yes" before "no"). Items in sequence add up and items in parallel overlap, for
the time and everything else that happens along the way (the critical path of the dependency graph).

- 跑动次数 (visits): before, the sum of the catalogue's visits of the items; after, the longest dependency
  chain by visits (the bundle is submitted online; in-person visits of items running in parallel are made
  in one trip to the one-stop window, those of items in sequence add up).
- 申请材料 (materials): the required materials; before summed over the items, after each distinct material
  once (same name, or one ``shared_materials`` group). 需提交材料 (materials to submit): of those, what no
  licence, shared data or commitment replaces (as the catalogue marks them; a licence an earlier item
  issues counts as held, before and after).
- 表单字段 / 需填写字段 (fields / fields typed): the application form's fields, and those without an
  ``x-source`` binding (the platform pre-fills a bound field from the applicant's record or a licence).
  After: the merged form's fields, and those some applicable item asks for without a source.
- 办理环节 (steps), from the BPMN processes: applying for one item on its own takes the application (1),
  each staff step on the main path of its process, which the applicant's timeline shows and waits for
  (预审受理、审查、决定、办结; 当场办结 for an instant item; a joint review adds 部门联审), and collecting
  the result (送达, 1): the catalogue's 办理环节 plus one. After: one submission, the staff steps (without
  送达) along the longest chain, one collection of all results; a dependent item starts by itself.
- 办理时间 (days): promised working days; before, the sum (one item after another); after, the critical
  path by promised days. Actual: working days from submission to completion of the bundle's completed
  cases (the submission day not counted; the platform's working-day calendar).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import select

from longgov.applications import services as applications
from longgov.catalog import services as catalog
from longgov.catalog.schemas import ItemView
from longgov.kernel.errors import ValidationFailed
from longgov.onething import guide, services
from longgov.onething.models import BundleCase
from longgov.onething.schemas import Answer, BundleDefinition, BundleItem, BundleMetrics, ItemBurden, MetricComparison, Question
from longgov.platform import ServiceContext
from longgov.timelimits import services as timelimits

# Beyond this many answer combinations the fullest scenario is looked for among the first ones only.
MAX_SCENARIOS: Final = 4096
# (metric, title, unit, the key-item target it is held against) in display order.
METRICS: Final[tuple[tuple[str, str, str, str | None], ...]] = (
    ("visits", "跑动次数", "次", "visits"),
    ("materials", "申请材料", "份", None),
    ("materials_to_submit", "需提交材料", "份", "materials"),
    ("fields", "表单字段", "项", None),
    ("fields_typed", "需填写字段", "项", None),
    ("steps", "办理环节", "个", "steps"),
    ("days", "办理时间（承诺，工作日）", "工作日", "days"),
)
COMPLETED = "completed"
# The staff step that hands the result over: it is the applicant's "collect the result".
DELIVER = "deliver"
_TRUE, _FALSE = frozenset({"true", "1", "是", "yes"}), frozenset({"false", "0", "否", "no"})


# --- pure rules ------------------------------------------------------------------------------------


def longest_chain(items: Sequence[BundleItem], weight: Callable[[str], float]) -> tuple[float, list[str]]:
    """The heaviest chain of the dependency graph (weights summed along ``depends_on``) and its items in order.

    Items in parallel do not add up; a dependency outside ``items`` is ignored. Ties go to the first chain in
    dependency order.
    """
    best: dict[str, tuple[float, list[str]]] = {}
    for entry in guide.order(items):
        before = max((best[d] for d in entry.depends_on if d in best), key=lambda pair: pair[0], default=(0.0, []))
        best[entry.item] = (before[0] + weight(entry.item), [*before[1], entry.item])
    return max(best.values(), key=lambda pair: pair[0], default=(0.0, []))


def _values(question: Question) -> list[Answer]:
    return [True, False] if question.type == "boolean" else [o.value for o in question.options]


def fullest_answers(definition: BundleDefinition) -> dict[str, Answer]:
    """The answers, free of contradictions, that make the most items applicable (the first such in guide order)."""
    used = {k for i in definition.items for k in i.when} | {k for c in definition.contradictions for k in c.when}
    questions = [q for q in definition.questions if q.key in used]
    best: tuple[int, dict[str, Answer]] | None = None
    for combination in itertools.islice(itertools.product(*(_values(q) for q in questions)), MAX_SCENARIOS):
        answers = dict(zip((q.key for q in questions), combination, strict=True))
        if guide.contradiction(definition, answers) is not None:
            continue
        count = sum(1 for i in definition.items if guide.matches(i.when, answers))
        if best is None or count > best[0]:
            best = (count, answers)
    return best[1] if best is not None else {}


def answers_from_query(definition: BundleDefinition, params: Mapping[str, str]) -> dict[str, Answer]:
    """Answers given as query text (``true``/``false`` for yes/no questions, an option's value otherwise); 422 naming bad ones."""
    answers: dict[str, Answer] = {}
    for key, text in params.items():
        question = definition.question(key)
        lowered = text.strip().lower()
        if question is not None and question.type == "boolean" and lowered in _TRUE | _FALSE:
            answers[key] = lowered in _TRUE
        else:
            answers[key] = text.strip()
    errors = guide.answer_errors(definition, answers)
    if errors:
        raise ValidationFailed("情形引导的回答有误", code="invalid_answers", details=errors)
    clash = guide.contradiction(definition, answers)
    if clash is not None:
        raise ValidationFailed(f"回答相互矛盾：{clash.message}", code="contradictory_answers", details={"contradiction": clash.code})
    return answers


def _unbound(schema: Mapping[str, Any]) -> set[str]:
    """Fields of a form the applicant types: those naming no source to pre-fill them from."""
    return {name for name, prop in schema.get("properties", {}).items() if not (isinstance(prop, dict) and prop.get("x-source"))}


def _comparison(metric: str, title: str, unit: str, before: float, after: float, *, target: int | None) -> MetricComparison:
    reduction = round(before - after, 2)
    return MetricComparison(
        metric=metric,
        title=title,
        unit=unit,
        before=before,
        after=after,
        reduction=reduction,
        percent=round(reduction / before * 100, 1) if before else None,
        target=target,
    )


def median(values: Sequence[float]) -> float | None:
    """The median, one decimal; None for no values."""
    return round(float(statistics.median(values)), 1) if values else None


# --- the catalogue's side of each item -----------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One applicable item with its published catalogue item and its process's staff steps."""

    entry: BundleItem
    view: ItemView
    step_names: list[str]  # the catalogue's 办理环节, 送达 last

    @property
    def staff_steps(self) -> int:
        """Staff steps the applicant waits for, without handing over the result."""
        return max(len(self.step_names) - 1, 0)


async def _catalogue_steps(ctx: ServiceContext, item_code: str) -> list[str]:
    """The 办理环节 of an item's published version as the catalogue counts them (the BPMN process's main path)."""
    found = await catalog.item_metrics(ctx, item_code)
    version = next(v for v in found.versions if v.version == found.to_version)
    return list(version.step_names)


async def _items(ctx: ServiceContext, selected: Sequence[BundleItem], codes: Mapping[str, str | None]) -> list[_Item]:
    result = []
    for entry in guide.order(selected):
        item_code = codes.get(entry.item)
        if item_code is None:
            continue
        view = await catalog.get_published(ctx, item_code)
        result.append(_Item(entry, view, await _catalogue_steps(ctx, item_code)))
    return result


def _burden(item: _Item) -> ItemBurden:
    content = item.view.content
    schema = applications.form_schema(item.entry.item)
    required = [m for m in content.materials if m.required]
    return ItemBurden(
        basic_code=item.entry.item,
        item_code=item.view.code,
        name=content.name,
        department=item.view.department,
        process_type=content.process_type,
        depends_on=list(item.entry.depends_on),
        promised_days=content.promised_days,
        visits=content.visits,
        materials=len(required),
        materials_to_submit=sum(1 for m in required if m.replacement is None),
        fields=len(schema.get("properties", {})),
        fields_typed=len(_unbound(schema)),
        # Applying, each staff step, collecting the result (送达 among the catalogue's steps).
        steps=1 + len(item.step_names),
        step_names=["提交申请", *item.step_names],
    )


def _merged_materials(definition: BundleDefinition, items: Sequence[_Item]) -> tuple[int, int]:
    """(required, to submit) of the merged list: each material once by name or ``shared_materials`` group."""
    groups = {(code, name): shared.name for shared in definition.shared_materials for code, name in shared.covers}
    merged: dict[str, bool] = {}  # name → must be submitted
    for item in items:
        for material in item.view.content.materials:
            if not material.required:
                continue
            name = groups.get((item.entry.item, material.name), material.name)
            merged[name] = merged.get(name, False) or material.replacement is None
    return len(merged), sum(1 for submit in merged.values() if submit)


def _merged_fields(items: Sequence[_Item]) -> tuple[int, int]:
    """(fields, fields typed) of the merged form: each name once; typed where some item asks for it without a source."""
    names: set[str] = set()
    typed: set[str] = set()
    for item in items:
        schema = applications.form_schema(item.entry.item)
        names.update(schema.get("properties", {}))
        typed.update(_unbound(schema))
    return len(names), len(typed)


# --- actual elapsed time --------------------------------------------------------------------------------


def china_day(moment: datetime) -> date:
    """The China date of a moment."""
    return timelimits.china_today(moment)


async def elapsed_working_days(ctx: ServiceContext, cases: Sequence[BundleCase]) -> dict[Any, int]:
    """Case id → working days from submission to completion (the submission day not counted), for cases with both times."""
    calendar = await timelimits.working_calendar(ctx.session)
    return {
        case.id: calendar.elapsed_working_days(china_day(case.submitted_at), china_day(case.completed_at))
        for case in cases
        if case.submitted_at is not None and case.completed_at is not None
    }


async def _actual_days(ctx: ServiceContext, code: str) -> list[int]:
    rows = (await ctx.session.execute(select(BundleCase).where(BundleCase.bundle_code == code, BundleCase.status == COMPLETED))).scalars().all()
    return list((await elapsed_working_days(ctx, rows)).values())


# --- the use case ------------------------------------------------------------------------------------------


async def bundle_metrics(ctx: ServiceContext, code: str, params: Mapping[str, str] | None = None) -> BundleMetrics:
    """Before/after of a published bundle for the given answers (query text) or its fullest scenario; public, no personal data."""
    view = await services.get_published(ctx, code)
    definition = BundleDefinition.model_validate(view.definition)
    given = answers_from_query(definition, params) if params else None
    answers = given if given is not None else fullest_answers(definition)
    selection = guide.select(definition, answers)
    codes = {i.basic_code: i.item_code for i in view.item_views}
    items = await _items(ctx, selection.applicable, codes)
    burdens = [_burden(i) for i in items]
    by_code = {i.entry.item: i for i in items}
    entries = [i.entry for i in items]

    def weight_of(attribute: Callable[[_Item], float]) -> Callable[[str], float]:
        return lambda basic_code: attribute(by_code[basic_code])

    days_after, path = longest_chain(entries, weight_of(lambda i: i.view.content.promised_days))
    visits_after, _ = longest_chain(entries, weight_of(lambda i: i.view.content.visits))
    staff_after, _ = longest_chain(entries, weight_of(lambda i: i.staff_steps))
    materials_after, to_submit_after = _merged_materials(definition, items)
    fields_after, typed_after = _merged_fields(items)
    before = {
        "visits": sum(b.visits for b in burdens),
        "materials": sum(b.materials for b in burdens),
        "materials_to_submit": sum(b.materials_to_submit for b in burdens),
        "fields": sum(b.fields for b in burdens),
        "fields_typed": sum(b.fields_typed for b in burdens),
        "steps": sum(b.steps for b in burdens),
        "days": sum(b.promised_days for b in burdens),
    }
    after = {
        "visits": visits_after,
        "materials": materials_after,
        "materials_to_submit": to_submit_after,
        "fields": fields_after,
        "fields_typed": typed_after,
        # One submission, the staff steps along the longest chain, one collection of every result.
        "steps": (1 + staff_after + 1) if items else 0,
        "days": days_after,
    }
    targets = definition.targets.model_dump() if definition.targets is not None else {}
    comparisons = [
        _comparison(metric, title, unit, float(before[metric]), float(after[metric]), target=targets.get(target) if target else None)
        for metric, title, unit, target in METRICS
    ]
    actual = await _actual_days(ctx, code)
    names = {i.basic_code: i.name for i in view.item_views}
    return BundleMetrics(
        code=code,
        name=view.name,
        version=view.version,
        lead_department=view.lead_department,
        fullest=given is None,
        answers=dict(answers),
        scenario=[f"{q.text.rstrip('？?：: ')}：{q.label_of(answers[q.key])}" for q in definition.questions if q.key in answers],
        items=burdens,
        excluded=[names.get(i.item, i.item) for i, _ in selection.excluded],
        unavailable=[e.item for e in selection.applicable if codes.get(e.item) is None],
        critical_path=[by_code[c].view.content.name for c in path],
        metrics=comparisons,
        targets=definition.targets,
        actual_cases=len(actual),
        actual_median_days=median([float(d) for d in actual]),
        actual_max_days=max(actual) if actual else None,
    )


async def all_bundle_metrics(ctx: ServiceContext) -> list[BundleMetrics]:
    """Before/after of every published bundle (fullest scenarios), by name."""
    return [await bundle_metrics(ctx, summary.code) for summary in await services.list_published(ctx)]
