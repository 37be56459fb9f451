"""Reduction metrics (R3.5 减环节、减材料、减时限、减费用): pure computations on item content and durations.

Nothing here reads the database; :func:`longgov.catalog.services.item_metrics` gathers the versions and the
durations of concluded applications and hands them over.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from longgov.catalog.schemas import REPLACED_BY_TITLES, ItemContent, Material, MaterialReplacement, Reduction, VersionMetrics

# 办理环节 per process type: the staff user tasks on the main path of each BPMN process in
# ``longgov/workflow/processes`` (the applicant's correction loop and the per-department copies of the
# joint review are not extra steps). One place, checked against the BPMN files by the unit tests.
PROCESS_STEPS: Final[dict[str, tuple[str, ...]]] = {
    "instant": ("handle_on_the_spot", "deliver"),
    "promised": ("pre_check", "review", "decision", "conclude", "deliver"),
    "joint_review": ("pre_check", "review", "department_review", "decision", "conclude", "deliver"),
}
STEP_TITLES: Final[dict[str, str]] = {
    "handle_on_the_spot": "受理并当场办结",
    "pre_check": "预审受理",
    "review": "审查",
    "department_review": "部门联审",
    "decision": "决定",
    "conclude": "办结",
    "deliver": "送达",
}
# (metric, title) compared between two versions, in display order.
COMPARED: Final[tuple[tuple[str, str], ...]] = (
    ("steps", "办理环节"),
    ("materials", "申请材料"),
    ("materials_to_submit", "需提交材料"),
    ("statutory_days", "法定时限（工作日）"),
    ("promised_days", "承诺时限（工作日）"),
    ("actual_median_days", "实际用时中位数（工作日）"),
    ("fees_total", "收费（元）"),
    ("visits", "跑动次数"),
)
_FREE = ("免", "不收")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def fee_amount(text: str) -> float:
    """The amount of a fee in yuan: its first number (“住宅80元/件；非住宅550元/件” → 80); free or unknown → 0."""
    match = _AMOUNT.search(text)
    if match is None or (any(word in text[: match.start()] for word in _FREE)):
        return 0.0
    return float(match.group())


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0–1) with linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 1)


def replacement_of(material: Material) -> MaterialReplacement:
    """X1: what replaces a replaceable material — a licence (named by its type), a shared-data call or a commitment."""
    kind = material.replaced_by or "shared_data"
    title = REPLACED_BY_TITLES[kind]
    if kind == "licence" and material.licence_type is not None:
        from longgov.licences import services as licences  # noqa: PLC0415 - the type's Chinese name, only for licence-replaced materials

        names = {t.key: t.name for t in licences.list_types()}
        title = f"{title}：{names.get(material.licence_type, material.licence_type)}"
    return MaterialReplacement(name=material.name, replaced_by=kind, title=title, licence_type=material.licence_type)


def version_metrics(version: int, status: str, published_at: datetime | None, content: ItemContent, durations: Sequence[int] = ()) -> VersionMetrics:
    """The metrics of one version; ``durations`` are the working days its concluded applications took."""
    steps = PROCESS_STEPS.get(content.process_type, ())
    required = [m for m in content.materials if m.required]
    replacements = [replacement_of(m) for m in required if m.replaceable]
    replaceable = len(replacements)
    kinds = [r.replaced_by for r in replacements]
    return VersionMetrics(
        version=version,
        status=status,
        published_at=published_at,
        process_type=content.process_type,
        steps=len(steps),
        step_names=[STEP_TITLES.get(s, s) for s in steps],
        materials=len(required),
        materials_replaceable=replaceable,
        materials_to_submit=len(required) - replaceable,
        materials_by_licence=kinds.count("licence"),
        materials_by_shared_data=kinds.count("shared_data"),
        materials_by_commitment=kinds.count("commitment"),
        replacements=replacements,
        statutory_days=content.statutory_days,
        promised_days=content.promised_days,
        actual_count=len(durations),
        actual_median_days=round(float(statistics.median(durations)), 1) if durations else None,
        actual_p90_days=percentile([float(d) for d in durations], 0.9),
        fees_total=round(sum(fee_amount(f.amount) for f in content.fees), 2),
        fees=len(content.fees),
        visits=content.visits,
    )


def compare(before: VersionMetrics, after: VersionMetrics) -> list[Reduction]:
    """How much each metric went down from ``before`` to ``after`` (negative: it went up)."""
    result = []
    for metric, title in COMPARED:
        old, new = getattr(before, metric), getattr(after, metric)
        if old is None or new is None:
            result.append(Reduction(metric=metric, title=title, before=old, after=new, reduction=None, percent=None))
            continue
        reduction = round(float(old) - float(new), 2)
        percent = round(reduction / float(old) * 100, 1) if old else None
        result.append(Reduction(metric=metric, title=title, before=float(old), after=float(new), reduction=reduction, percent=percent))
    return result
