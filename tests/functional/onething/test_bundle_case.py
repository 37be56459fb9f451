"""One bundle case end to end: a founder without a licence answers the guide, fills one form, uploads each material once and
submits; the registration goes first, the food licence and the sign follow in parallel once it is granted, filled from the
licence it issued; two departments ask for corrections (one combined notice each time), everything is granted (one
completion notice), one timeline shows every department, and the results download together."""

from __future__ import annotations

import io
import uuid
import zipfile

from sqlalchemy import select

from longgov.applications.models import Application, ApplicationMaterialRef
from longgov.onething.models import BundleCase
from tests.functional.onething.conftest import (
    FOOD,
    MARKET,
    PERSON_ANSWERS,
    REGISTRATION,
    SIGN,
    URBAN,
    act,
    audits,
    department,
    draft_case,
    get_case,
    grant_promised,
    member,
    messages,
    person_client,
    person_form,
    upload_needed,
)


async def _case_row(platform, case_id: str) -> BundleCase:
    async with platform.db.transaction() as session:
        return (await session.execute(select(BundleCase).where(BundleCase.id == uuid.UUID(case_id)))).scalar_one()


async def _application(platform, application_id: str) -> Application:
    async with platform.db.transaction() as session:
        return (await session.execute(select(Application).where(Application.id == uuid.UUID(application_id)))).scalar_one()


async def test_a_founder_gets_a_restaurant_opened_with_one_form_one_submission_and_one_result(  # noqa: PLR0915 - one story, told in order
    client, new_client, seeded, bundle, make_person, make_staff
):
    person, headers = await person_client(client, seeded, make_person)

    # 一表申请: each field once; what the registration's licence will fill is not asked now.
    r = await client.post(f"/api/v1/onething/bundles/{bundle}/form", json={"answers": PERSON_ANSWERS}, headers=headers)
    assert r.status_code == 200, r.text
    merged = r.json()
    properties = merged["json_schema"]["properties"]
    for shared in ("operator_name", "premises_address", "contact_phone", "commitment", "employees"):
        assert shared in properties
    assert properties["operator_name"]["x-items"] == [REGISTRATION, FOOD, SIGN]
    assert {"uscc", "legal_representative"} <= set(merged["later"])
    assert "uscc" not in merged["json_schema"]["required"]
    assert "个体工商户设立登记" in merged["later"]["uscc"]
    assert {f["name"]: f["value"] for f in merged["prefill"]}["operator_name"] == person.name

    case = await draft_case(client, headers, bundle, PERSON_ANSWERS, {"operator_name": person.name})
    assert case["status"] == "draft"
    assert [m["basic_code"] for m in case["members"]] == [REGISTRATION, FOOD, SIGN]
    # Each material once: the premises proof of the registration and of the sign is one upload; the licence the
    # food licence and the sign need comes from the registration's result.
    names = [m["name"] for m in case["materials"]]
    assert len(names) == len(set(names))
    premises = next(m for m in case["materials"] if m["name"] == "经营场所使用证明")
    assert len(premises["covers"]) == 2
    assert premises["needs_upload"] is True
    licence = next(m for m in case["materials"] if m["name"] == "营业执照")
    assert licence["provided_by"] == "result"
    assert licence["needs_upload"] is False
    identity_proof = next(m for m in case["materials"] if m["name"] == "经营者身份证明")
    assert identity_proof["provided_by"] == "shared_data"

    # Submitting before the materials are uploaded is refused, naming each one.
    r = await client.put(f"/api/v1/onething/cases/{case['id']}", json={"form": person_form(person)}, headers=headers)
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/submit", headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "materials_missing"
    assert "materials." + premises["key"] in r.json()["details"]
    uploaded = await upload_needed(client, headers, case)
    assert "经营场所使用证明" in uploaded
    assert len(uploaded) == 7

    r = await client.post(f"/api/v1/onething/cases/{case['id']}/submit", headers={**headers, "idempotency-key": f"bundle-{case['id']}"})
    assert r.status_code == 201, r.text
    case = r.json()
    number = case["number"]
    assert number.startswith("YJS")
    assert case["status"] == "submitted"
    assert member(case, REGISTRATION)["state"] == "started"
    assert member(case, FOOD)["state"] == "waiting"
    assert member(case, SIGN)["state"] == "waiting"
    assert "个体工商户设立登记" in member(case, FOOD)["note"]
    assert any("自动提交" in s for s in case["next_steps"])
    # A retry with the same key replays the submission.
    again = await client.post(f"/api/v1/onething/cases/{case['id']}/submit", headers={**headers, "idempotency-key": f"bundle-{case['id']}"})
    assert again.status_code == 200
    assert again.json()["number"] == number

    registration_id = member(case, REGISTRATION)["application_id"]
    stored = await _application(seeded, registration_id)
    assert stored.bundle_case_ref == number
    assert stored.status == "submitted"
    row = await _case_row(seeded, case["id"])
    account = row.applicant_account_id
    # One notice for the whole submission, none per item.
    titles = [m.title for m in await messages(seeded, account)]
    assert titles == ["一件事已提交"]

    market = await department(new_client, make_staff, MARKET)
    urban = await department(new_client, make_staff, URBAN)
    # The registration is an instant item: granted on the spot, it issues the 营业执照 of the new business.
    granted = await act(market["counter"], registration_id, "handle_on_the_spot", "grant")
    issued = granted["events"][-1]["details"]["licence"]
    assert issued["type_name"] == "营业执照"

    case = await get_case(client, headers, case["id"])
    assert member(case, REGISTRATION)["state"] == "granted"
    food, sign = member(case, FOOD), member(case, SIGN)
    assert food["state"] == "started", food
    assert sign["state"] == "started", sign
    assert case["status"] == "in_progress"
    # The food licence was filled from the new licence: its credit code, name and domicile, and the licence fulfils the material.
    r = await client.get(f"/api/v1/applications/{food['application_id']}", headers=headers)
    food_application = r.json()
    assert food_application["form"]["uscc"] == issued["number"]
    assert food_application["form"]["operator_name"] == "兰州城关区老马牛肉面馆"
    assert food_application["form"]["legal_representative"] == person.name
    assert food_application["form"]["business_items"] == "热食类食品制售"
    assert food_application["status"] == "submitted"
    async with seeded.db.transaction() as session:
        query = select(ApplicationMaterialRef).where(ApplicationMaterialRef.application_id == uuid.UUID(food["application_id"]))
        refs = list((await session.execute(query)).scalars())
    assert [r.licence_identifier for r in refs] == [issued["identifier"]]
    # Each was uploaded once, and each application got its copy.
    r = await client.get(f"/api/v1/applications/{sign['application_id']}", headers=headers)
    sign_materials = {m["name"]: m for m in r.json()["materials"]}
    assert sign_materials["设置场地使用权证明或者业主同意设置的证明"]["uploaded"] is True
    assert sign_materials["营业执照"]["reference"]["identifier"] == issued["identifier"]

    # Two departments ask for corrections at different times: each time ONE notice lists every open correction.
    await act(market["counter"], food["application_id"], "pre_check", "request_correction", missing_items=["食品安全规章制度目录（需加盖公章）"])
    await act(urban["counter"], sign["application_id"], "pre_check", "request_correction", missing_items=["广告设施结构安全说明（需设计单位盖章）"])
    case = await get_case(client, headers, case["id"])
    assert case["status"] == "awaiting_correction"
    assert member(case, FOOD)["missing_items"] == ["食品安全规章制度目录（需加盖公章）"]
    notices = [m for m in await messages(seeded, account) if m.title == "请补正材料（一次性告知）"]
    assert len(notices) == 2
    assert "食品安全规章制度目录" in notices[0].body
    assert "广告设施结构安全说明" not in notices[0].body
    assert "食品安全规章制度目录" in notices[1].body
    assert "广告设施结构安全说明" in notices[1].body
    assert "2个事项需要补正" in notices[1].body
    assert notices[1].link == f"/citizen/onething/cases/{number}"

    for application_id in (food["application_id"], sign["application_id"]):
        r = await client.post(f"/api/v1/applications/{application_id}/resubmit", json={"note": "已补正"}, headers=headers)
        assert r.status_code == 201, r.text
    case = await get_case(client, headers, case["id"])
    assert case["status"] == "in_progress"

    await grant_promised(market, food["application_id"])
    case = await get_case(client, headers, case["id"])
    assert case["status"] == "in_progress"
    assert [m.title for m in await messages(seeded, account)].count("一件事已全部办结") == 0
    await grant_promised(urban, sign["application_id"])

    case = await get_case(client, headers, case["id"])
    assert case["status"] == "completed"
    assert case["completed_at"] is not None
    assert case["members_granted"] == 3
    assert all(m["state"] == "granted" for m in case["members"])
    titles = [m.title for m in await messages(seeded, account)]
    assert titles.count("一件事已全部办结") == 1
    # Per-item notices of the members were left out in favour of the bundle's.
    assert not {"申请已提交", "申请已受理", "请补正材料", "准予许可"} & set(titles)
    done = next(m for m in await messages(seeded, account) if m.title == "一件事已全部办结")
    assert "营业执照" in done.body
    assert "食品经营许可证" in done.body

    # One timeline with every department's steps.
    r = await client.get(f"/api/v1/onething/cases/{case['id']}/timeline", headers=headers)
    assert r.status_code == 200, r.text
    entries = r.json()
    items = {e["item_name"] for e in entries if e["source"] == "item"}
    assert items == {"个体工商户设立登记", "食品经营许可", "户外广告设施设置审批"}
    departments = {e["department"] for e in entries if e["source"] == "item"}
    assert any("市场监督管理局" in d for d in departments if d)
    assert any("城市管理" in d for d in departments if d)
    assert entries == sorted(entries, key=lambda e: e["occurred_at"])
    assert any(e["step"] == "correction_notice" for e in entries)

    # Every result in one download: three decision letters and two licences, with a list.
    r = await client.get(f"/api/v1/onething/cases/{case['id']}/results", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as package:
        files = package.namelist()
        listing = package.read("办理结果清单.txt").decode("utf-8")
        assert all(package.read(name).startswith(b"%PDF") for name in files if name.endswith(".pdf"))
    assert len([f for f in files if "准予行政许可决定书" in f]) == 3
    assert len([f for f in files if "营业执照" in f or "食品经营许可证" in f]) == 2
    assert number in listing

    # Audited: the submission, each automatic step, the download.
    assert await audits(seeded, "onething:case:submit", number)
    assert len(await audits(seeded, "onething:case:advance", number)) >= 3
    assert await audits(seeded, "onething:results:download", number)


async def test_someone_elses_case_reads_as_missing(client, new_client, seeded, bundle, make_person):
    person, headers = await person_client(client, seeded, make_person)
    case = await draft_case(client, headers, bundle, PERSON_ANSWERS, {"operator_name": person.name})
    other = await new_client()
    _, other_headers = await person_client(other, seeded, make_person)
    for path in ("", "/timeline", "/results"):
        r = await other.get(f"/api/v1/onething/cases/{case['id']}{path}", headers=other_headers)
        assert r.status_code == 404, path
        assert r.json()["code"] == "case_not_found"
    r = await other.post(f"/api/v1/onething/cases/{case['id']}/submit", headers=other_headers)
    assert r.status_code == 404
