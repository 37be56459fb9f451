"""Bundle definitions are data: staff create, check, version and publish them within their scope; bad ones are refused with
every problem named in Chinese; the shipped definitions seed idempotently."""

from __future__ import annotations

import pytest

from longgov.kernel.errors import ValidationFailed
from longgov.onething import services as onething
from longgov.platform import ServiceContext
from tests.functional.applications.workbench_support import staff
from tests.functional.onething.conftest import FOOD, MARKET, REGISTRATION, SIGN, audits, restaurant, unique_code

MANAGE = "/api/v1/onething/manage"


async def test_staff_create_version_and_publish_a_bundle(new_client, seeded, make_staff):
    leader = await staff(new_client, make_staff, ["department_leader"], MARKET)
    code = unique_code()
    r = await leader.client.post(f"{MANAGE}/bundles", json={"definition": restaurant(code), "note": "首次定义"}, headers=leader.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "draft"
    assert body["published_version"] is None
    assert [i["name"] for i in body["item_views"]] == ["个体工商户设立登记", "食品经营许可", "户外广告设施设置审批", "公众聚集场所投入使用、营业前消防安全检查"]
    assert "城关区市场监督管理局" in body["departments"]
    # Not public before publication.
    anonymous = await new_client()
    assert (await anonymous.get(f"/api/v1/onething/bundles/{code}")).status_code == 404

    r = await leader.client.post(f"{MANAGE}/bundles/{code}/publish", headers=leader.headers)
    assert r.status_code == 200, r.text
    assert r.json()["published_version"] == 1
    r = await anonymous.get(f"/api/v1/onething/bundles/{code}")
    assert r.status_code == 200
    assert r.json()["questions"][0]["text"] == "是否已经取得营业执照？"
    listed = (await anonymous.get("/api/v1/onething/bundles")).json()
    assert code in [b["code"] for b in listed]

    changed = restaurant(code, summary="开餐馆，一次办好")
    r = await leader.client.put(f"{MANAGE}/bundles/{code}", json={"definition": changed, "note": "改写简介"}, headers=leader.headers)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    # The public still sees version 1 until version 2 is published.
    assert (await anonymous.get(f"/api/v1/onething/bundles/{code}")).json()["summary"] == "一次告知、一表申请、一次提交"
    assert (await leader.client.post(f"{MANAGE}/bundles/{code}/publish", headers=leader.headers)).status_code == 200
    assert (await anonymous.get(f"/api/v1/onething/bundles/{code}")).json()["summary"] == "开餐馆，一次办好"
    versions = (await leader.client.get(f"{MANAGE}/bundles/{code}/versions", headers=leader.headers)).json()
    assert [(v["version"], v["status"], v["change_note"]) for v in versions] == [(2, "published", "改写简介"), (1, "superseded", "首次定义")]
    r = await leader.client.post(f"{MANAGE}/bundles/{code}/publish", headers=leader.headers)
    assert r.status_code == 409
    assert r.json()["code"] == "nothing_to_publish"
    assert [e.tag for e in await audits(seeded, "onething:bundle:publish", code)] == ["onething:bundle:publish"] * 2


async def test_a_cycle_is_refused_naming_the_cycle(new_client, seeded, make_staff):
    leader = await staff(new_client, make_staff, ["department_leader"], MARKET)
    code = unique_code()
    items = [{"item": REGISTRATION, "depends_on": [SIGN]}, {"item": FOOD, "depends_on": [REGISTRATION]}, {"item": SIGN, "depends_on": [FOOD]}]
    raw = restaurant(code, items=items)
    r = await leader.client.post(f"{MANAGE}/bundles", json={"definition": raw}, headers=leader.headers)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "dependency_cycle"
    assert body["message"].startswith("一件事定义有误：事项之间的前置关系形成循环")
    for name in ("个体工商户设立登记", "食品经营许可", "户外广告设施设置审批"):
        assert name in body["message"]
    # Nothing was created, but the refusal is on record.
    assert (await leader.client.get(f"{MANAGE}/bundles/{code}", headers=leader.headers)).status_code == 404
    assert await audits(seeded, "onething:bundle:reject", code)


@pytest.mark.parametrize(
    ("change", "code", "fragment"),
    [
        ({"items": [{"item": "620Z9999000000"}, {"item": FOOD}]}, "unknown_item", "620Z9999000000 不在政务服务事项目录中或尚未发布"),
        ({"lead_organisation": "620102-nowhere"}, "unknown_organisation", "牵头机构“620102-nowhere”不存在"),
        (
            {"contradictions": [{"when": {"has_business_licence": True, "colour": "red"}, "message": "没有这种颜色", "code": "colour"}]},
            "unknown_question",
            "条件引用了不存在的问题“colour”",
        ),
        (
            {"contradictions": [{"when": {"has_business_licence": True}, "message": "单个回答", "code": "single"}]},
            "contradiction_too_small",
            "至少应包含两个问题的回答",
        ),
        ({"items": [{"item": REGISTRATION, "when": {"premises_area": "huge"}}, {"item": FOOD}]}, "unknown_option", "问题“经营场所面积”没有取值“huge”"),
        (
            {"shared_materials": [{"name": "执照", "covers": [[FOOD, "没有这份材料"], [SIGN, "营业执照"]]}]},
            "unknown_material",
            "没有名为“没有这份材料”的申请材料",
        ),
        (
            {"questions": [{"key": "a", "text": "是非题？", "type": "boolean", "options": [{"value": "x", "label": "x"}, {"value": "y", "label": "y"}]}]},
            "invalid_definition",
            "不应列出选项",
        ),
        ({"code": "Bad-Code"}, "invalid_definition", "code：格式不正确"),
    ],
)
async def test_bad_definitions_are_refused_with_a_chinese_message_and_a_code(new_client, seeded, make_staff, change, code, fragment):
    leader = await staff(new_client, make_staff, ["department_leader"], MARKET)
    raw = {**restaurant(unique_code()), **change}
    r = await leader.client.post(f"{MANAGE}/bundles", json={"definition": raw}, headers=leader.headers)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == code
    assert fragment in body["message"]
    assert body["details"]["problems"][0]["code"] == code
    # The dry run names the same problem without storing anything.
    r = await leader.client.post(f"{MANAGE}/check", json={"definition": raw}, headers=leader.headers)
    assert r.status_code == 200
    assert code in [p["code"] for p in r.json()]


async def test_staff_manage_only_bundles_led_in_their_scope(new_client, seeded, make_staff):
    code = unique_code()
    other = await staff(new_client, make_staff, ["department_leader"], "620102-human_resources")
    r = await other.client.post(f"{MANAGE}/bundles", json={"definition": restaurant(code)}, headers=other.headers)
    assert r.status_code == 403
    assert r.json()["code"] == "out_of_scope"
    leader = await staff(new_client, make_staff, ["department_leader"], MARKET)
    assert (await leader.client.post(f"{MANAGE}/bundles", json={"definition": restaurant(code)}, headers=leader.headers)).status_code == 201
    assert (await other.client.post(f"{MANAGE}/bundles/{code}/publish", headers=other.headers)).status_code == 403
    assert code not in [b["code"] for b in (await other.client.get(f"{MANAGE}/bundles", headers=other.headers)).json()]
    assert code in [b["code"] for b in (await leader.client.get(f"{MANAGE}/bundles", headers=leader.headers)).json()]
    counter = await staff(new_client, make_staff, ["counter_staff"], MARKET)
    assert (await counter.client.get(f"{MANAGE}/bundles", headers=counter.headers)).status_code == 403


async def test_seeding_is_idempotent_and_stops_on_a_bad_definition(seeded):
    first, second = restaurant(unique_code()), restaurant(unique_code())
    async with seeded.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=seeded)
        assert await onething.seed_bundles(ctx, [first, second]) == 2
        assert await onething.seed_bundles(ctx, [first, second]) == 0
        view = await onething.get_published(ctx, first["code"])
        assert view.published_version == 1
    bad = restaurant(unique_code(), items=[{"item": "620Z9999000000"}, {"item": FOOD}])
    async with seeded.db.transaction() as session:
        with pytest.raises(ValidationFailed, match="开办餐饮店"):
            await onething.seed_bundles(ServiceContext(session=session, platform=seeded), [bad])


async def test_the_shipped_definitions_load_cleanly(seeded):
    shipped = onething.shipped_definitions()
    if not shipped:
        pytest.skip("data/bundles.json is not shipped yet")
    async with seeded.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=seeded)
        problems = {raw["code"]: await onething.validate_definition(ctx, raw) for raw in shipped}
    assert {code: [p.message for p in found] for code, found in problems.items() if found} == {}
