"""重点事项清单: the national key items seeded from the definitions; staff edit entries within their lead organisation's scope
(the province's government-services office oversees them all); bad input is refused with nothing written; every change audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from longgov.onething import keyitems
from longgov.onething import services as onething
from longgov.platform import ServiceContext
from tests.functional.applications.workbench_support import staff
from tests.functional.onething.conftest import MARKET, audits, publish, restaurant, unique_code

HEALTH = "620102-health"
PROVINCE_OFFICE = "620000-government_services"


async def _seed(platform: Any) -> None:
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        await onething.seed_bundles(ctx)
        await keyitems.seed_key_items(ctx)


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "participating": ["城关区城市管理综合执法局", "城关区消防救援大队"],
        "targets": {"days": 4, "materials": 6, "visits": 0, "steps": 4},
        "launched_on": "2026-03-01",
        "review_cycle": "quarterly",
        "status": "launched",
        "responsible_person": "王科长",
        "note": "按季度评估",
    }
    body.update(changes)
    return body


async def test_the_national_key_items_are_seeded_from_the_bundle_definitions(seeded, new_client, make_staff):
    await _seed(seeded)
    async with seeded.db.transaction() as session:
        again = await keyitems.seed_key_items(ServiceContext(session=session, platform=seeded))
    assert again == 0  # idempotent
    leader = await staff(new_client, make_staff, ["department_leader"], PROVINCE_OFFICE)
    r = await leader.client.get("/api/v1/onething/key-items", headers=leader.headers)
    assert r.status_code == 200, r.text
    entries = {e["bundle_code"]: e for e in r.json()}
    shipped = {d["code"]: d for d in onething.shipped_definitions()}
    assert set(shipped) <= set(entries)
    assert len(shipped) == 13
    for code, definition in shipped.items():
        entry = entries[code]
        assert entry["targets"] == definition["targets"], code
        assert entry["lead_organisation"] == definition["lead_organisation"]
        assert entry["status"] == ("launched" if definition["runnable"] else "planned"), code
        assert entry["may_edit"] is True  # the province's office oversees every entry
    restaurant_entry = entries["open_restaurant"]
    assert restaurant_entry["bundle_name"] == "开办餐饮店"
    assert restaurant_entry["review_cycle"] == "monthly"
    assert any("城市管理" in d for d in restaurant_entry["participating"])
    assert restaurant_entry["lead_department"] not in restaurant_entry["participating"]
    # Launched when seeded: the first review is due on the first day of the next month.
    launched = date.fromisoformat(restaurant_entry["launched_on"])
    assert restaurant_entry["next_review_on"] == keyitems.next_boundary(launched, "monthly").isoformat()
    assert entries["social_security_card_services"]["next_review_on"] is None  # planned: no review
    assert await audits(seeded, "onething:keyitems:seed")


async def test_staff_edit_only_entries_their_scope_leads_and_every_change_is_audited(seeded, client, new_client, make_staff):
    await _seed(seeded)
    market = await staff(new_client, make_staff, ["department_leader"], MARKET)
    r = await market.client.get("/api/v1/onething/key-items", headers=market.headers)
    assert r.status_code == 200
    may_edit = {e["bundle_code"]: e["may_edit"] for e in r.json()}
    assert may_edit["open_restaurant"] is True
    assert may_edit["newborn_birth"] is False  # led by the district health commission

    r = await market.client.put("/api/v1/onething/key-items/open_restaurant", json=_body(), headers=market.headers)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["targets"]["days"] == 4
    assert saved["review_cycle_title"] == "每季度"
    assert saved["responsible_person"] == "王科长"
    # Quarterly from a March launch (or its last review): due on the first day of the next quarter.
    assert saved["next_review_on"] is not None
    assert date.fromisoformat(saved["next_review_on"]).month in {1, 4, 7, 10}
    audit = (await audits(seeded, "onething:keyitem:update", "open_restaurant"))[-1]
    assert audit.actor_id == str(market.fixture.account_id)
    assert audit.details["fields"]["target_days"] == 4
    assert audit.details["fields"]["review_cycle"] == "quarterly"

    # Another department's entry: refused, nothing changed.
    r = await market.client.put("/api/v1/onething/key-items/newborn_birth", json=_body(), headers=market.headers)
    assert r.status_code == 403
    assert r.json()["code"] == "out_of_scope"
    health = await staff(new_client, make_staff, ["department_leader"], HEALTH)
    r = await health.client.get("/api/v1/onething/key-items/newborn_birth", headers=health.headers)
    assert r.json()["responsible_person"] == ""
    # The same department in another city: out of scope too.
    tianshui = await staff(new_client, make_staff, ["department_leader"], "620500-market_regulation")
    r = await tianshui.client.put("/api/v1/onething/key-items/open_restaurant", json=_body(), headers=tianshui.headers)
    assert r.status_code == 403
    # Without the permission, or without logging in.
    counter = await staff(new_client, make_staff, ["counter_staff"], MARKET)
    r = await counter.client.get("/api/v1/onething/key-items", headers=counter.headers)
    assert r.status_code == 403
    r = await client.get("/api/v1/onething/key-items", headers={"accept": "application/json"})
    assert r.status_code == 401


async def test_bad_entries_are_refused_with_chinese_messages_and_nothing_is_written(seeded, new_client, make_staff):
    await _seed(seeded)
    market = await staff(new_client, make_staff, ["department_leader"], MARKET)
    before = (await market.client.get("/api/v1/onething/key-items/open_restaurant", headers=market.headers)).json()
    cases = [
        (_body(launched_on=None), "invalid_key_item", "launched_on"),
        (_body(participating=["城管", "城管"]), "invalid_key_item", "participating"),
        (_body(participating=[""]), "invalid_key_item", "participating"),
        (_body(targets={"days": -1}), "validation_failed", None),
        (_body(review_cycle="weekly"), "validation_failed", None),
        (_body(owner="someone"), "validation_failed", None),
    ]
    for body, code, field in cases:
        r = await market.client.put("/api/v1/onething/key-items/open_restaurant", json=body, headers=market.headers)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == code
        if field is not None:
            assert field in r.json()["details"]
            assert r.json()["message"] == "重点事项填写有误，请按提示修改"
    after = (await market.client.get("/api/v1/onething/key-items/open_restaurant", headers=market.headers)).json()
    assert after == before
    r = await market.client.get("/api/v1/onething/key-items/no_such_bundle", headers=market.headers)
    assert r.status_code == 404
    assert r.json()["code"] == "key_item_not_found"


async def test_a_published_bundle_is_added_once_by_staff_of_its_lead_organisation(seeded, new_client, make_staff):
    code = await publish(seeded, restaurant(unique_code()))
    health = await staff(new_client, make_staff, ["department_leader"], HEALTH)
    r = await health.client.post("/api/v1/onething/key-items", json={"bundle_code": code}, headers=health.headers)
    assert r.status_code == 403
    assert r.json()["code"] == "out_of_scope"
    market = await staff(new_client, make_staff, ["department_leader"], MARKET)
    r = await market.client.post("/api/v1/onething/key-items", json={"bundle_code": code, "targets": {"days": 5}}, headers=market.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "planned"
    assert created["next_review_on"] is None
    assert created["reviews"] == []
    assert created["targets"] == {"days": 5, "materials": None, "visits": None, "steps": None}
    r = await market.client.post("/api/v1/onething/key-items", json={"bundle_code": code}, headers=market.headers)
    assert r.status_code == 409
    assert r.json()["code"] == "key_item_exists"
    r = await market.client.post("/api/v1/onething/key-items", json={"bundle_code": "no_such_bundle"}, headers=market.headers)
    assert r.status_code == 404
    created_audit = await audits(seeded, "onething:keyitem:create", code)
    assert len(created_audit) == 1
    assert created_audit[0].actor_id == str(market.fixture.account_id)


async def test_the_key_item_pages_show_the_list_and_save_the_form(seeded, new_client, make_staff):
    await _seed(seeded)
    market = await staff(new_client, make_staff, ["department_leader"], MARKET)
    r = await market.client.get("/workbench/onething/key-items")
    assert r.status_code == 200
    assert "重点事项清单" in r.text
    assert 'data-key-item="open_restaurant"' in r.text
    r = await market.client.get("/workbench/onething/key-items/open_restaurant")
    assert r.status_code == 200
    assert 'id="edit-key-item"' in r.text
    # Only the key-item list is the current nav entry, not 一件事管理 whose path holds it.
    assert r.text.count('aria-current="page"') == 1
    assert 'aria-current="page">重点事项清单</a>' in r.text
    csrf = {"x-csrftoken": market.headers["x-csrftoken"]}
    form = {
        "participating": "城关区城市管理综合执法局\n城关区消防救援大队",
        "days": "3",
        "materials": "6",
        "visits": "0",
        "steps": "",
        "launched_on": "2026-02-01",
        "review_cycle": "monthly",
        "status": "launched",
        "responsible_person": "马主任",
        "note": "",
    }
    r = await market.client.post("/workbench/onething/key-items/open_restaurant", data=form, headers=csrf)
    assert r.status_code == 200, r.text
    assert "已保存" in r.text
    entry = (await market.client.get("/api/v1/onething/key-items/open_restaurant", headers=market.headers)).json()
    assert entry["targets"] == {"days": 3, "materials": 6, "visits": 0, "steps": None}
    assert entry["responsible_person"] == "马主任"
    r = await market.client.post("/workbench/onething/key-items/open_restaurant", data={**form, "days": "三", "launched_on": "明天"}, headers=csrf)
    assert r.status_code == 422
    assert "办理时间应为不小于 0 的整数" in r.text
    assert "上线日期格式应为 YYYY-MM-DD" in r.text
    # Another department's entry is read only on the page.
    r = await market.client.get("/workbench/onething/key-items/newborn_birth")
    assert r.status_code == 200
    assert 'id="edit-key-item"' not in r.text
    r = await market.client.post("/workbench/onething/key-items/newborn_birth", data=form, headers=csrf)
    assert r.status_code == 403
