"""一件事 before/after metrics: exact numbers of 开办餐饮店 from its definition, the catalogue and the forms; a chosen scenario;
the critical path of a dependency graph; actual working days of completed cases; bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from longgov.applications import services as applications
from longgov.onething import metrics
from longgov.onething import services as onething
from longgov.onething.models import BundleCase
from longgov.onething.schemas import BundleItem
from longgov.platform import ServiceContext
from tests.functional.applications.workbench_support import staff
from tests.functional.onething.conftest import FIRE, FOOD, REGISTRATION, SIGN, publish, unique_code

COMPANY_CHANGE, ABNORMAL_LIST, PENALTY, TAX_CREDIT = "620A0003000000", "620B0055000000", "620H0054000000", "620B0056000000"


async def _seed_bundles(platform: Any) -> None:
    async with platform.db.transaction() as session:
        await onething.seed_bundles(ServiceContext(session=session, platform=platform))


def _by_metric(body: dict[str, Any]) -> dict[str, tuple[float, float, int | None]]:
    return {m["metric"]: (m["before"], m["after"], m["target"]) for m in body["metrics"]}


async def test_restaurant_before_and_after_are_computed_from_the_definition_the_catalogue_and_the_forms(client, seeded):
    await _seed_bundles(seeded)
    # Public: no login, no personal data.
    r = await client.get("/api/v1/onething/bundles/open_restaurant/metrics")
    assert r.status_code == 200, r.text
    body = r.json()
    # The fullest scenario: a new individual business with a sign and large premises (four items; 企业设立登记 is the alternative).
    assert body["fullest"] is True
    assert body["answers"] == {"founding": "new", "has_business_licence": False, "entity_form": "individual", "outdoor_sign": True, "premises_area": "large"}
    assert [i["basic_code"] for i in body["items"]] == [REGISTRATION, FOOD, SIGN, FIRE]
    assert body["excluded"] == ["企业设立登记"]
    items = {i["basic_code"]: i for i in body["items"]}
    # Per item, as applied for on its own: (promised days, required materials, to submit, fields, fields typed, steps).
    assert {code: (i["promised_days"], i["materials"], i["materials_to_submit"], i["fields"], i["fields_typed"], i["steps"]) for code, i in items.items()} == {
        REGISTRATION: (0, 3, 1, 10, 8, 3),  # instant: apply, 当场办结, 送达
        FOOD: (5, 5, 3, 13, 9, 6),  # promised: apply, 预审受理, 审查, 决定, 办结, 送达
        SIGN: (5, 4, 3, 14, 9, 6),
        FIRE: (5, 4, 3, 16, 10, 6),
    }
    assert items[REGISTRATION]["step_names"] == ["提交申请", "受理并当场办结", "送达"]
    # The forms themselves: fields, and those naming no source to pre-fill from.
    for code, item in items.items():
        schema = applications.form_schema(code)
        assert item["fields"] == len(schema["properties"])
        assert item["fields_typed"] == sum(1 for p in schema["properties"].values() if not p.get("x-source"))

    assert _by_metric(body) == {
        "visits": (0, 0, 0),
        # 16 required; merged: the 营业执照 of three items, the premises proof of two, the operator's identity of two, each once.
        "materials": (16, 12, None),
        # 经营场所使用证明 is a commitment for the registration but an upload for the sign: one upload either way.
        "materials_to_submit": (10, 10, 6),
        # 10 + 13 + 14 + 16 fields; 32 distinct names.
        "fields": (53, 32, None),
        # 8 + 9 + 9 + 10 typed separately; merged, 26 names some item asks for without a source (e.g. premises_address,
        # which the registration asks for and the food licence would take from the licence).
        "fields_typed": (36, 26, None),
        # 3 + 6 + 6 + 6; the bundle: one submission, 当场办结 then the four staff steps of one of the parallel items, one collection.
        "steps": (21, 7, 7),
        # One after another 0 + 5 + 5 + 5; the critical path: the registration, then the three in parallel.
        "days": (15, 5, 5),
    }
    assert body["critical_path"] == ["个体工商户设立登记", "食品经营许可"]
    steps = next(m for m in body["metrics"] if m["metric"] == "steps")
    assert steps["reduction"] == 14
    assert steps["percent"] == 66.7
    assert body["targets"] == {"days": 5, "materials": 6, "visits": 0, "steps": 7}


async def test_every_shipped_bundle_as_designed_meets_its_steps_target(client, seeded):
    """The steps target counts what the metric counts (submission, staff steps on the longest chain, one collection).

    A bundle whose own design cannot meet it would be flagged at every review whatever its departments do.
    """
    await _seed_bundles(seeded)
    for definition in onething.shipped_definitions():
        r = await client.get(f"/api/v1/onething/bundles/{definition['code']}/metrics")
        assert r.status_code == 200, r.text
        _, after, target = _by_metric(r.json())["steps"]
        assert target is not None
        assert after <= target, definition["code"]


async def test_given_answers_choose_the_scenario_and_bad_answers_are_refused(client, seeded):
    await _seed_bundles(seeded)
    # An existing business without sign or large premises: only the food licence; merging one item changes nothing.
    r = await client.get("/api/v1/onething/bundles/open_restaurant/metrics?founding=existing&has_business_licence=true&outdoor_sign=false&premises_area=small")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["fullest"] is False
    assert [i["basic_code"] for i in body["items"]] == [FOOD]
    assert {k: (b, a) for k, (b, a, _) in _by_metric(body).items()} == {
        "visits": (0, 0),
        "materials": (5, 5),
        "materials_to_submit": (3, 3),
        "fields": (13, 13),
        "fields_typed": (9, 9),
        "steps": (6, 6),
        "days": (5, 5),
    }
    assert "这家店是否已经取得营业执照：是" in body["scenario"]

    r = await client.get("/api/v1/onething/bundles/open_restaurant/metrics?founding=new&has_business_licence=true")
    assert r.status_code == 422
    assert r.json()["code"] == "contradictory_answers"
    r = await client.get("/api/v1/onething/bundles/open_restaurant/metrics?premises_area=huge")
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_answers"
    assert "answers.premises_area" in r.json()["details"]
    r = await client.get("/api/v1/onething/bundles/no_such_bundle/metrics")
    assert r.status_code == 404
    assert r.json()["code"] == "bundle_not_found"
    r = await client.get("/api/v1/onething/bundles/Bad-Code/metrics")
    assert r.status_code == 404


def test_the_longest_chain_follows_dependencies_not_the_sum_nor_the_largest_item():
    items = [
        BundleItem(item="A00000", depends_on=[]),
        BundleItem(item="B00000", depends_on=["A00000"]),
        BundleItem(item="C00000", depends_on=[]),
        BundleItem(item="D00000", depends_on=["B00000", "C00000"]),
        BundleItem(item="E00000", depends_on=["GONE00"]),  # a dependency the guide excluded counts for nothing
    ]
    days = {"A00000": 1, "B00000": 3, "C00000": 5, "D00000": 5, "E00000": 2}
    assert metrics.longest_chain(items, days.__getitem__) == (10, ["C00000", "D00000"])
    steps = {"A00000": 4, "B00000": 4, "C00000": 4, "D00000": 4, "E00000": 4}
    assert metrics.longest_chain(items, steps.__getitem__) == (12, ["A00000", "B00000", "D00000"])
    assert metrics.longest_chain([], days.__getitem__) == (0, [])


async def test_a_dependency_graph_gives_the_critical_path_by_promised_days_and_its_own_chain_by_steps(client, seeded):
    # 企业变更登记 (1 day) → 移出经营异常名录 (3) → 纳税信用修复 (5), and 信用修复（行政处罚） (5) → 纳税信用修复.
    code = await publish(
        seeded,
        {
            "code": unique_code("chain"),
            "name": "信用修复链",
            "audience": "enterprise",
            "lead_organisation": "620102-development_reform",
            "items": [
                {"item": COMPANY_CHANGE},
                {"item": ABNORMAL_LIST, "depends_on": [COMPANY_CHANGE]},
                {"item": PENALTY},
                {"item": TAX_CREDIT, "depends_on": [ABNORMAL_LIST, PENALTY]},
            ],
            "targets": {"days": 8},
        },
    )
    r = await client.get(f"/api/v1/onething/bundles/{code}/metrics")
    assert r.status_code == 200, r.text
    body = r.json()
    assert {i["basic_code"]: i["promised_days"] for i in body["items"]} == {COMPANY_CHANGE: 1, ABNORMAL_LIST: 3, PENALTY: 5, TAX_CREDIT: 5}
    by_metric = _by_metric(body)
    # Days: 1 + 3 + 5 = 9 along the first chain, 5 + 5 = 10 along the second: the critical path is the second.
    assert by_metric["days"] == (14, 10, 8)
    assert body["critical_path"] == ["信用修复申请（行政处罚信息）", "纳税信用修复"]
    # Steps (four staff steps per promised item): the three-item chain is the longest: 1 + 12 + 1.
    assert by_metric["steps"] == (24, 14, None)
    days = next(m for m in body["metrics"] if m["metric"] == "days")
    assert days["reduction"] == 4
    assert days["percent"] == 28.6


async def test_actual_days_count_working_days_of_completed_cases(seeded, bundle):
    # Two completed cases of the bundle, times set as if they ran over the 2025 National Day holiday and a plain week.
    async with seeded.db.transaction() as session:
        for submitted, completed, number in (
            (datetime(2025, 9, 30, 2, tzinfo=UTC), datetime(2025, 10, 9, 2, tzinfo=UTC), f"YJS20250930{unique_code('')[-6:]}"),
            (datetime(2025, 6, 2, 2, tzinfo=UTC), datetime(2025, 6, 9, 2, tzinfo=UTC), f"YJS20250602{unique_code('')[-6:]}"),
        ):
            session.add(
                BundleCase(
                    number=number,
                    applicant_account_id=uuid.uuid4(),
                    applicant_kind="person",
                    applicant_name="测试",
                    bundle_code=bundle,
                    bundle_version=1,
                    bundle_name="开办餐饮店",
                    answers={},
                    form_cipher=b"",
                    status="completed",
                    submitted_at=submitted,
                    completed_at=completed,
                    notices={},
                )
            )
    async with seeded.db.transaction() as session:
        found = await metrics.bundle_metrics(ServiceContext(session=session, platform=seeded), bundle)
    # 30 Sep → 9 Oct: 1–8 October are holidays, so one working day; 2 → 9 June: five (3, 4, 5, 6, 9 June).
    assert found.actual_cases == 2
    assert found.actual_median_days == 3.0
    assert found.actual_max_days == 5


async def test_the_staff_pages_show_every_bundle_and_one_bundles_bars(seeded, client, new_client, make_staff):
    await _seed_bundles(seeded)
    leader = await staff(new_client, make_staff, ["department_leader"], "620102-market_regulation")
    r = await leader.client.get("/workbench/onething/metrics")
    assert r.status_code == 200
    assert 'data-bundle="open_restaurant"' in r.text
    row = r.text.split('data-bundle="open_restaurant"')[1].split("</tr>")[0]
    assert '<td data-metric="steps" class="nowrap">21 → <strong>7</strong>' in row
    assert '<td data-metric="days" class="nowrap">15 → <strong>5</strong>' in row
    r = await leader.client.get("/workbench/onething/metrics/open_restaurant")
    assert r.status_code == 200
    assert 'id="metrics-chart"' in r.text
    assert "/static/vendor/echarts.min.js" in r.text
    assert "个体工商户设立登记 → 食品经营许可" in r.text
    steps = r.text.split('<li data-metric="steps">')[1].split("</li>")[0]
    assert "<b data-before>21</b>" in steps
    assert "<b data-after>7</b>" in steps
    assert "减少 14（66.7%）" in steps
    # A scenario that cannot be: the error, and the fullest scenario instead.
    r = await leader.client.get("/workbench/onething/metrics/open_restaurant?founding=new&has_business_licence=true")
    assert r.status_code == 422
    assert "回答相互矛盾" in r.text
    assert "<b data-after>7</b>" in r.text
    # Staff pages: not for applicants or the public.
    r = await client.get("/workbench/onething/metrics", headers={"accept": "application/json"})
    assert r.status_code == 401
    counter = await staff(new_client, make_staff, ["counter_staff"], "620102-market_regulation")
    r = await counter.client.get("/workbench/onething/metrics/open_restaurant", headers={"accept": "application/json"})
    assert r.status_code == 403
