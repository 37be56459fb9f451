"""The scenario guide, the merged form and materials, and an enterprise's bundle whose items all run in parallel."""

from __future__ import annotations

from longgov.onething import services as onething
from longgov.platform import ServiceContext
from tests.functional.applications.workbench_support import staff, whole_inbox
from tests.functional.onething.conftest import (
    ENTERPRISE_ANSWERS,
    FIRE,
    FOOD,
    GOVERNMENT,
    MARKET,
    PERSON_ANSWERS,
    REGISTRATION,
    SIGN,
    URBAN,
    applicant_account,
    draft_case,
    licensed_enterprise,
    member,
    messages,
    person_client,
    publish,
    restaurant,
    unique_code,
    upload_needed,
)


def query(answers):
    return {k: str(v).lower() if isinstance(v, bool) else v for k, v in answers.items()}


async def test_the_guide_names_applicable_items_their_order_and_why_others_are_not_needed(client, seeded, bundle):
    r = await client.get(f"/api/v1/onething/bundles/{bundle}/guide", params=query(PERSON_ANSWERS))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["complete"] is True
    assert [(i["basic_code"], i["after"]) for i in body["applicable"]] == [(REGISTRATION, []), (FOOD, [REGISTRATION]), (SIGN, [REGISTRATION])]
    assert body["applicable"][1]["after_names"] == ["个体工商户设立登记"]
    assert body["applicable"][1]["department"] == "城关区市场监督管理局"
    fire = {"basic_code": FIRE, "name": "公众聚集场所投入使用、营业前消防安全检查", "reason": "您在“经营场所面积”中选择了“300平方米以下”，无需办理"}
    assert body["excluded"] == [fire]

    r = await client.get(f"/api/v1/onething/bundles/{bundle}/guide", params={"has_business_licence": "是"})
    body = r.json()
    assert body["complete"] is False
    assert body["pending"] == ["outdoor_sign", "premises_area"]
    assert [i["basic_code"] for i in body["applicable"]] == [FOOD]
    assert [i["basic_code"] for i in body["excluded"]] == [REGISTRATION]


async def test_contradicting_or_unknown_answers_are_refused(client, seeded, bundle):
    r = await client.get(f"/api/v1/onething/bundles/{bundle}/guide", params=query({**ENTERPRISE_ANSWERS, "founding": "new"}))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "contradictory_answers"
    assert body["message"] == "回答相互矛盾：已取得营业执照的，不能再选择新设立"
    assert body["details"]["questions"] == ["has_business_licence", "founding"]
    assert body["details"]["texts"] == ["是否已经取得营业执照？", "经营主体"]
    r = await client.get(f"/api/v1/onething/bundles/{bundle}/guide", params={"has_business_licence": "maybe", "colour": "red"})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_answers"
    assert r.json()["details"] == {"answers.has_business_licence": "请回答是或否", "answers.colour": "没有这个问题"}
    r = await client.get("/api/v1/onething/bundles/no_such_bundle/guide")
    assert r.status_code == 404
    assert r.json()["code"] == "bundle_not_found"


async def test_a_draft_needs_every_deciding_answer_and_follows_changed_answers(client, seeded, bundle, make_person):
    _, headers = await person_client(client, seeded, make_person)
    r = await client.post("/api/v1/onething/cases", json={"bundle_code": bundle, "answers": {"has_business_licence": False}}, headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "answers_incomplete"
    assert set(r.json()["details"]) == {"answers.outdoor_sign", "answers.premises_area"}
    r = await client.post("/api/v1/onething/cases", json={"bundle_code": bundle, "answers": PERSON_ANSWERS, "form": {"capital": "很多"}}, headers=headers)
    assert r.status_code == 422
    assert r.json()["details"] == {"capital": "应为数字"}

    case = await draft_case(client, headers, bundle, PERSON_ANSWERS, {"business_scope": "餐饮服务", "sign_text": "老马牛肉面"})
    assert [m["basic_code"] for m in case["members"]] == [REGISTRATION, FOOD, SIGN]
    # No sign after all: the sign's item, its fields and its materials go.
    answers = {**PERSON_ANSWERS, "outdoor_sign": False}
    r = await client.put(f"/api/v1/onething/cases/{case['id']}", json={"answers": answers}, headers=headers)
    assert r.status_code == 200, r.text
    case = r.json()
    assert [m["basic_code"] for m in case["members"]] == [REGISTRATION, FOOD]
    assert case["form"] == {"business_scope": "餐饮服务"}
    assert not any("户外广告" in m["name"] or "广告设施" in m["name"] for m in case["materials"])
    assert [a["label"] for a in case["answers"]] == ["否", "否", "300平方米以下", "新设立"]


async def test_an_enterprise_with_a_licence_gets_a_prefilled_form_and_every_item_at_once(client, new_client, seeded, bundle, make_enterprise, make_staff):
    enterprise, headers = await licensed_enterprise(client, seeded, make_enterprise)
    r = await client.post(f"/api/v1/onething/bundles/{bundle}/form", json={"answers": ENTERPRISE_ANSWERS}, headers=headers)
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["later"] == {}
    proposed = {f["name"]: f for f in merged["prefill"]}
    assert proposed["uscc"]["value"] == enterprise.uscc
    assert proposed["uscc"]["source"]["title"] == "营业执照"
    assert proposed["operator_name"]["value"] == enterprise.name
    assert proposed["premises_address"]["value"] == "甘肃省兰州市城关区庆阳路1号"
    # The three forms ask for premises_area, contact_phone and the rest once.
    separately = 13 + 14 + 16
    assert merged["fields_total"] < separately
    form = {f["name"]: f["value"] for f in merged["prefill"]}
    form.update(
        {
            "business_type": "餐饮服务经营者",
            "business_items": "热食类食品制售",
            "premises_area": 420,
            "food_safety_officer": "李四",
            "contact_phone": "13912345678",
            "commitment": True,
            "sign_type": "门头招牌（店招）",
            "sign_text": "陇上人家",
            "sign_width": 6,
            "sign_height": 1.2,
            "setting_years": 3,
            "venue_name": "陇上人家餐厅",
            "venue_floor": "一层",
            "capacity": 180,
            "fire_safety_manager": "王五",
        }
    )
    r = await client.post(
        "/api/v1/onething/cases", json={"bundle_code": bundle, "answers": ENTERPRISE_ANSWERS, "form": form, "prefill_confirmed": True}, headers=headers
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert [m["basic_code"] for m in case["members"]] == [FOOD, SIGN, FIRE]
    assert all(m["depends_on"] == [] for m in case["members"])
    # The licence in the wallet fulfils the 营业执照 of all three items: nothing to upload for it.
    licence = next(m for m in case["materials"] if m["name"] == "营业执照")
    assert licence["provided_by"] == "licence"
    assert len(licence["covers"]) == 3
    await upload_needed(client, headers, case)
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text
    case = r.json()
    assert {m["state"] for m in case["members"]} == {"started"}
    numbers = {m["basic_code"]: m["application_number"] for m in case["members"]}
    # Each in its own department's inbox.
    for organisation, code in ((MARKET, FOOD), (URBAN, SIGN), (GOVERNMENT, FIRE)):
        counter = await staff(new_client, make_staff, ["counter_staff"], organisation)
        assert numbers[code] in {e["number"] for e in await whole_inbox(counter)}
    # The consent to pre-filling went with each application.
    r = await client.get(f"/api/v1/applications/{member(case, FOOD)['application_id']}", headers=headers)
    food = r.json()
    assert food["prefill_consent"] is not None
    assert food["prefilled"]["uscc"]["edited"] is False
    assert next(m for m in food["materials"] if m["licence_type"] == "business_licence")["reference"]["valid"] is True
    account = await applicant_account(seeded, case["id"])
    submitted = [m for m in await messages(seeded, account) if m.title == "一件事已提交"]
    assert len(submitted) == 1
    assert "3个事项已分送" in submitted[0].body
    assert submitted[0].link.startswith("/enterprise/onething/cases/")


async def test_bundles_open_only_to_their_audience_and_when_runnable(client, seeded, make_person):
    _, headers = await person_client(client, seeded, make_person)
    for change, status, code in (({"audience": "enterprise"}, 403, "audience_mismatch"), ({"runnable": False}, 409, "bundle_not_runnable")):
        bundle = await publish(seeded, restaurant(unique_code(), **change))
        r = await client.post("/api/v1/onething/cases", json={"bundle_code": bundle, "answers": PERSON_ANSWERS}, headers=headers)
        assert r.status_code == status, r.text
        assert r.json()["code"] == code


async def test_staff_cannot_open_bundle_cases(new_client, seeded, bundle, make_staff):
    clerk = await staff(new_client, make_staff, ["counter_staff"], MARKET)
    r = await clerk.client.post("/api/v1/onething/cases", json={"bundle_code": bundle, "answers": PERSON_ANSWERS}, headers=clerk.headers)
    assert r.status_code == 403


async def test_the_shape_compares_the_items_separately_with_the_bundle(seeded, bundle):
    async with seeded.db.transaction() as session:
        shape = await onething.bundle_shape(ServiceContext(session=session, platform=seeded), bundle)
    assert {i.basic_code for i in shape.items} == {REGISTRATION, FOOD, SIGN, FIRE}
    assert shape.fields_separately == sum(i.fields for i in shape.items)
    assert shape.fields_merged < shape.fields_separately
    # The premises proof asked by two items and the 营业执照 asked by three are one material each in the bundle.
    assert shape.materials_separately - shape.materials_merged == 3
    assert shape.materials_to_submit_merged <= shape.materials_to_submit_separately
