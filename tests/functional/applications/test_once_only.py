"""Once-only (表单免填写、证照免提交): forms pre-filled from the applicant's licences with sources and consent,
materials fulfilled by a licence reference instead of an upload, checked again at submission and on the case page."""

import re
import uuid

from sqlalchemy import select

from longgov.applications.models import Application, ApplicationMaterial, ApplicationMaterialRef
from longgov.licences import services as licences
from longgov.licences.schemas import HolderInput
from longgov.platform import ServiceContext
from longgov.security.audit.models import AuditEvent
from tests.conftest import csrf_headers, login_enterprise, login_staff
from tests.functional.applications.conftest import FOOD, PDF, item_code
from tests.functional.licences.conftest import business_fields

MARKET = "620102-market_regulation"
# Everything the 营业执照 cannot say: the applicant types these.
OWN_FIELDS = {
    "business_type": "餐饮服务经营者",
    "business_items": "热食类食品制售",
    "premises_area": 80,
    "food_safety_officer": "李四",
    "contact_phone": "13912345678",
    "commitment": True,
}
LICENCE_MATERIAL = 1  # 营业执照或者其他主体资格证明文件
SHARED_MATERIAL = 4  # 法定代表人（负责人）身份证明: 数据共享


async def _enterprise_with_licence(platform, make_enterprise):
    enterprise = await make_enterprise()
    holder = HolderInput(kind="enterprise", name=enterprise.name, id_number=enterprise.uscc)
    licence_type = next(t for t in licences.list_types() if t.key == "business_licence")
    async with platform.db.transaction() as session:
        view = await licences.issue_licence(
            ServiceContext(session=session, platform=platform), licence_type.code, MARKET, holder, business_fields(enterprise), number=enterprise.uscc
        )
    return enterprise, view


async def _login(client, platform, enterprise):
    await login_enterprise(client, platform, enterprise)
    return {**(await csrf_headers(client)), "accept": "application/json"}


async def _upload(client, headers, draft_id, index):
    r = await client.post(
        f"/api/v1/applications/{draft_id}/materials", headers=headers, data={"material": str(index)}, files={"file": (f"m{index}.pdf", PDF, "application/pdf")}
    )
    assert r.status_code == 201, r.text


async def _revoke(new_client, make_staff, licence_id):
    staff = await new_client()
    await login_staff(staff, await make_staff(["approver"], MARKET))
    r = await staff.post(f"/api/v1/licences/{licence_id}/revoke", json={"reason": "依法吊销"}, headers=await csrf_headers(staff))
    assert r.status_code == 200, r.text


async def test_food_licence_prefilled_from_business_licence_and_fulfilled_without_upload(client, new_client, seeded, make_enterprise, make_staff):  # noqa: PLR0915 - one story, told in order
    enterprise, licence = await _enterprise_with_licence(seeded, make_enterprise)
    headers = await _login(client, seeded, enterprise)
    code = await item_code(seeded, FOOD)

    proposal = (await client.get("/api/v1/applications/prefill", params={"item_code": code}, headers=headers)).json()
    values = {f["name"]: f["value"] for f in proposal["fields"]}
    assert values == {
        "operator_name": enterprise.name,
        "uscc": enterprise.uscc,
        "legal_representative": "张三",
        "premises_address": "甘肃省兰州市城关区庆阳路1号",
    }
    source = proposal["fields"][0]["source"]
    assert (source["kind"], source["title"], source["identifier"]) == ("licence", "营业执照", licence.identifier)
    assert source["issuer_name"] == licence.issuer_name
    assert proposal["consent_text"] == "我确认以上信息由平台根据我的电子证照自动填写，如有误可修改"

    r = await client.post("/api/v1/applications", json={"item_code": code, "form": {**values, **OWN_FIELDS}, "prefill_confirmed": True}, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert set(draft["prefilled"]) == set(values)
    assert not any(p["edited"] for p in draft["prefilled"].values())
    assert draft["prefilled"]["uscc"]["source"]["licence_id"] == str(licence.id)
    assert draft["prefilled"]["uscc"]["source"]["title"] == "营业执照"
    assert draft["prefilled"]["uscc"]["source"]["field_title"] == "统一社会信用代码"
    consent = draft["prefill_consent"]
    assert consent["fields"] == ["经营者名称", "统一社会信用代码", "法定代表人（负责人）", "经营场所"]
    assert consent["licences"] == [f"营业执照（{licence.issuer_name}，{licence.issued_on.isoformat()}）"]
    steps = [e["step"] for e in draft["events"]]
    assert steps == ["draft_created", "prefill_confirmed", "material_referenced"]

    # The 营业执照 material is fulfilled by reference; the 法定代表人身份证明 by shared data.
    material = draft["materials"][LICENCE_MATERIAL]
    assert (material["replaced_by"], material["replaceable"], material["uploaded"]) == ("licence", True, False)
    reference = material["reference"]
    assert (reference["identifier"], reference["version"], reference["status"], reference["valid"]) == (licence.identifier, 1, "valid", True)
    assert (reference["number"], reference["holder_name"]) == (enterprise.uscc, enterprise.name)
    assert draft["materials"][SHARED_MATERIAL]["replaced_by"] == "shared_data"

    # Changing a pre-filled value marks that field (and only it) as edited.
    r = await client.put(f"/api/v1/applications/{draft['id']}", json={"form": {**values, **OWN_FIELDS, "legal_representative": "王五"}}, headers=headers)
    edited = {name for name, p in r.json()["prefilled"].items() if p["edited"]}
    assert edited == {"legal_representative"}

    before = (await client.get("/api/v1/applications/prefill-stats", params={"item_code": code})).json()
    needed = [m["index"] for m in draft["materials"] if m["required"] and not m["replaceable"]]
    assert needed == [0, 2, 3]
    for index in needed:
        await _upload(client, headers, draft["id"], index)
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text

    draft_id = uuid.UUID(draft["id"])
    async with seeded.db.transaction() as session:
        uploads = set((await session.execute(select(ApplicationMaterial.material_index).where(ApplicationMaterial.application_id == draft_id))).scalars())
        ref = (await session.execute(select(ApplicationMaterialRef).where(ApplicationMaterialRef.application_id == draft_id))).scalar_one()
        row = await session.get(Application, draft_id)
        consents = (await session.execute(select(AuditEvent).where(AuditEvent.tag == "applications:prefill:consent"))).scalars().all()
        referenced = (await session.execute(select(AuditEvent).where(AuditEvent.tag == "applications:material:reference"))).scalars().all()
    assert uploads == {0, 2, 3}  # nothing uploaded for the 营业执照
    assert (ref.material_index, ref.licence_id, ref.licence_identifier, ref.licence_version) == (LICENCE_MATERIAL, licence.id, licence.identifier, 1)
    assert re.fullmatch(r"[0-9a-f]{64}", ref.document_sm3)
    # The stored provenance holds digests, never the values.
    assert enterprise.uscc not in str(row.prefill)
    assert row.prefill["submitted"] == {"total": 13, "prefilled": 3, "edited": 1}
    assert [e.details["licences"] for e in consents if e.subject_id in {str(row.id), row.id.hex}] == [[licence.identifier]]
    assert referenced[-1].details["identifier"] == licence.identifier

    # Other tests may submit to the same item in this database: compare with the counts before.
    stats = (await client.get("/api/v1/applications/prefill-stats", params={"item_code": code})).json()
    assert (stats["fields_total"], stats["fields_bound"], stats["bound_share"]) == (13, 4, round(4 / 13, 3))
    counted = ("applications_submitted", "applications_prefilled", "fields_prefilled", "fields_edited")
    assert tuple(stats[k] - before[k] for k in counted) == (1, 1, 3, 1)
    assert stats["prefilled_share"] == round(stats["fields_prefilled"] / (13 * stats["applications_submitted"]), 3)

    # Staff see the licence inline, its status checked when they look: valid, then revoked.
    staff = await new_client()
    await login_staff(staff, await make_staff(["counter_staff"], MARKET))
    case = (await staff.get(f"/api/v1/applications/workbench/{draft['id']}")).json()["application"]
    assert case["materials"][LICENCE_MATERIAL]["reference"]["status"] == "valid"
    page = await staff.get(f"/workbench/applications/{draft['id']}")
    assert "以电子证照免提交" in page.text
    assert licence.identifier in page.text
    await _revoke(new_client, make_staff, licence.id)
    case = (await staff.get(f"/api/v1/applications/workbench/{draft['id']}")).json()["application"]
    assert (case["materials"][LICENCE_MATERIAL]["reference"]["status"], case["materials"][LICENCE_MATERIAL]["reference"]["valid"]) == ("revoked", False)
    assert "引用的电子证照已吊销" in (await staff.get(f"/workbench/applications/{draft['id']}")).text


async def test_revoked_licence_fulfils_nothing_and_an_upload_takes_its_place(client, new_client, seeded, make_enterprise, make_staff):
    enterprise, licence = await _enterprise_with_licence(seeded, make_enterprise)
    headers = await _login(client, seeded, enterprise)
    code = await item_code(seeded, FOOD)
    draft = (await client.post("/api/v1/applications", json={"item_code": code, "form": OWN_FIELDS}, headers=headers)).json()
    assert draft["prefilled"] == {}  # no confirmation asked for, none stored
    assert draft["materials"][LICENCE_MATERIAL]["reference"]["valid"] is True
    for index in (0, 2, 3):
        await _upload(client, headers, draft["id"], index)
    await client.put(f"/api/v1/applications/{draft['id']}", json={"form": {**OWN_FIELDS, **_licence_values(enterprise)}}, headers=headers)

    await _revoke(new_client, make_staff, licence.id)
    view = (await client.get(f"/api/v1/applications/{draft['id']}", headers=headers)).json()
    material = view["materials"][LICENCE_MATERIAL]
    assert (material["replaceable"], material["reference"]["status"], material["reference"]["status_title"]) == (False, "revoked", "已吊销")
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "licence_not_valid"
    assert body["details"] == {f"materials.{LICENCE_MATERIAL}": "引用的营业执照已吊销，不能代替“营业执照或者其他主体资格证明文件”，请上传该材料"}

    # Picking the revoked licence again is refused with the verifier's reason.
    r = await client.post(
        f"/api/v1/applications/{draft['id']}/materials/licence", json={"material": LICENCE_MATERIAL, "licence_id": str(licence.id)}, headers=headers
    )
    assert r.status_code == 422
    assert r.json()["code"] == "licence_not_valid"
    assert "证照已被颁发机构吊销" in r.json()["message"]

    # The applicant uploads instead: the reference gives way and the application goes in.
    await _upload(client, headers, draft["id"], LICENCE_MATERIAL)
    view = (await client.get(f"/api/v1/applications/{draft['id']}", headers=headers)).json()
    assert view["materials"][LICENCE_MATERIAL]["reference"] is None
    assert view["materials"][LICENCE_MATERIAL]["uploaded"] is True
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text


def _licence_values(enterprise):
    return {"operator_name": enterprise.name, "uscc": enterprise.uscc, "legal_representative": "张三", "premises_address": "甘肃省兰州市城关区庆阳路1号"}


async def test_without_a_licence_the_record_fills_in_and_the_material_must_be_uploaded(client, seeded, make_enterprise):
    enterprise = await make_enterprise()
    headers = await _login(client, seeded, enterprise)
    code = await item_code(seeded, FOOD)
    proposal = (await client.get("/api/v1/applications/prefill", params={"item_code": code}, headers=headers)).json()
    by_name = {f["name"]: f for f in proposal["fields"]}
    assert set(by_name) == {"operator_name", "uscc", "legal_representative"}  # 住所 only comes from the licence
    assert {f["source"]["title"] for f in proposal["fields"]} == {"法人登记信息"}

    # The page shows each value with its source and asks for the confirmation.
    page = await client.get(f"/enterprise/items/{code}/apply")
    assert page.status_code == 200
    assert 'data-source-for="uscc">来自：法人登记信息' in page.text
    assert 'name="prefill_confirmed"' in page.text
    form = {"operator_name": enterprise.name, "uscc": enterprise.uscc, "legal_representative": "张三", "premises_address": "甘肃省兰州市城关区测试路9号"}
    form.update({k: str(v) for k, v in OWN_FIELDS.items()})
    form["commitment"] = "on"
    r = await client.post(f"/enterprise/items/{code}/apply", data={**form, "prefill_offered": "1"}, headers=headers)
    assert r.status_code == 422
    assert "请勾选确认平台根据电子证照自动填写的信息" in r.text
    r = await client.post(f"/enterprise/items/{code}/apply", data={**form, "prefill_offered": "1", "prefill_confirmed": "on"}, headers=headers)
    assert r.status_code in {302, 303}, r.text
    draft_id = r.headers["location"].rsplit("/", 1)[1]

    draft = (await client.get(f"/api/v1/applications/{draft_id}", headers=headers)).json()
    assert set(draft["prefilled"]) == {"operator_name", "uscc", "legal_representative"}
    material = draft["materials"][LICENCE_MATERIAL]
    assert (material["replaceable"], material["reference"]) == (False, None)
    for index in (0, 2, 3):
        await _upload(client, headers, draft_id, index)
    r = await client.post(f"/api/v1/applications/{draft_id}/submit", headers=headers)
    assert r.status_code == 422
    assert r.json()["details"] == {f"materials.{LICENCE_MATERIAL}": "请上传：营业执照或者其他主体资格证明文件（您的卡包中没有有效的营业执照）"}


async def test_someone_elses_licence_cannot_fulfil_a_material(client, seeded, make_enterprise):
    _, licence = await _enterprise_with_licence(seeded, make_enterprise)
    other = await make_enterprise()
    headers = await _login(client, seeded, other)
    draft = (await client.post("/api/v1/applications", json={"item_code": await item_code(seeded, FOOD), "form": {}}, headers=headers)).json()
    r = await client.post(
        f"/api/v1/applications/{draft['id']}/materials/licence", json={"material": LICENCE_MATERIAL, "licence_id": str(licence.id)}, headers=headers
    )
    assert r.status_code == 422
    assert r.json()["code"] == "licence_not_found"
    r = await client.post(f"/api/v1/applications/{draft['id']}/materials/licence", json={"material": 0, "licence_id": str(licence.id)}, headers=headers)
    assert r.json()["code"] == "not_a_licence_material"
    async with seeded.db.transaction() as session:
        refs = (await session.execute(select(ApplicationMaterialRef).where(ApplicationMaterialRef.application_id == uuid.UUID(draft["id"])))).scalars().all()
        denied = (await session.execute(select(AuditEvent).where(AuditEvent.tag == "licences:licence:read", AuditEvent.result == "denied"))).scalars().all()
    assert refs == []
    assert any(e.subject_id == str(licence.id) or str(licence.id) in str(e.subject_id) for e in denied)
