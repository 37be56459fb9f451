"""Reduction metrics: steps per process, materials, fees, percentiles, comparisons."""

import re

import pytest

from longgov.catalog.metrics import COMPARED, PROCESS_STEPS, compare, fee_amount, percentile, version_metrics
from longgov.catalog.schemas import ItemContent
from longgov.workflow import engine

BASE = {
    "name": "测试事项",
    "item_type": "行政许可",
    "legal_basis": ["《行政许可法》"],
    "conditions": "符合条件",
    "statutory_days": 20,
    "promised_days": 10,
}


def _content(**changes) -> ItemContent:
    return ItemContent.model_validate({**BASE, "materials": [{"name": "申请书"}], **changes})


def test_every_process_has_steps_that_are_user_tasks_of_its_bpmn():
    assert set(PROCESS_STEPS) == set(engine.available_processes())
    for process, steps in PROCESS_STEPS.items():
        bpmn = (engine.PROCESS_DIR / f"{process}.bpmn").read_text(encoding="utf-8")
        tasks = set(re.findall(r'<bpmn:userTask id="([^"]+)"', bpmn))
        assert set(steps) <= tasks, process
        assert "resubmit" not in steps  # the applicant's correction loop is not a step


@pytest.mark.parametrize(
    ("text", "amount"),
    [("10元", 10.0), ("免收", 0.0), ("住宅80元/件；非住宅550元/件", 80.0), ("由刻章企业按市场价格收取", 0.0), ("12.5元", 12.5)],
)
def test_fee_amount(text, amount):
    assert fee_amount(text) == amount


def test_percentile():
    assert percentile([], 0.9) is None
    assert percentile([3], 0.9) == 3
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9.1
    assert percentile([4, 1, 2, 3], 0.5) == 2.5


def test_version_metrics_counts_required_and_replaceable_materials():
    content = _content(
        materials=[{"name": "申请书"}, {"name": "营业执照", "replaceable": True}, {"name": "补充说明", "required": False}],
        fees=[{"name": "工本费", "amount": "20元"}, {"name": "登记费", "amount": "免收"}],
        visits=1,
        process_type="instant",
    )
    m = version_metrics(1, "published", None, content, [1, 3, 2])
    assert (m.materials, m.materials_replaceable, m.materials_to_submit) == (2, 1, 1)
    assert m.steps == 2
    assert m.fees_total == 20
    assert m.actual_count == 3
    assert m.actual_median_days == 2
    assert m.actual_p90_days == 2.8
    none = version_metrics(1, "published", None, content)
    assert none.actual_median_days is None
    assert none.actual_p90_days is None


def test_compare_gives_numbers_and_percentages():
    before = version_metrics(1, "superseded", None, _content(materials=[{"name": "甲"}, {"name": "乙"}, {"name": "丙"}, {"name": "丁"}]))
    after = version_metrics(2, "published", None, _content(promised_days=4, process_type="instant"), [2])
    result = {r.metric: r for r in compare(before, after)}
    assert [r.metric for r in compare(before, after)] == [m for m, _ in COMPARED]
    assert (result["materials"].reduction, result["materials"].percent) == (3, 75.0)
    assert (result["promised_days"].reduction, result["promised_days"].percent) == (6, 60.0)
    assert (result["steps"].reduction, result["steps"].percent) == (3, 60.0)
    assert result["fees_total"].percent is None  # nothing to reduce from
    assert result["actual_median_days"].reduction is None
