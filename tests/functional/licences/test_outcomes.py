"""Granting an application issues the electronic licence its item produces (办理结果 → 电子证照), for every mapped item.

Each case is a realistic application by a real applicant, driven through the item's own BPMN process by staff
of the implementing department; the licence must be sealed, validate, sit in the holder's wallet and say what
the form said. 企业 / 个体工商户设立登记 register a new business, which gets a new USCC.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from longgov.catalog import services as catalog
from longgov.identity import services as identity
from longgov.identity.codes import birth_date_of, check_uscc, sex_of
from longgov.identity.models import UsccCounter
from longgov.identity.uscc import uscc_for
from longgov.kernel.errors import ValidationFailed
from longgov.licences import outcomes
from longgov.licences import services as licences
from longgov.licences.catalogue import resolve_type
from longgov.platform import ServiceContext
from longgov.timelimits.services import china_today
from tests.conftest import PASSWORD, EnterpriseFixture, csrf_headers, login_enterprise, login_person, random_phone, random_resident_id
from tests.functional.applications.conftest import seeded, upload_all  # noqa: F401 - seeded is a fixture, re-exported
from tests.functional.applications.workbench_support import act, audits, staff, task_rows

ACTIONS = {"pre_check": "accept", "review": "pass", "department_review": "pass", "decision": "grant", "handle_on_the_spot": "grant"}
PHONE = "13912345678"


@dataclass(frozen=True)
class Case:
    """One mapped item: who applies, the form they send, and what the licence must say."""

    basic_code: str
    type_name: str
    applicant: str  # person | enterprise
    form: Callable[[Any], dict[str, Any]]
    expected: Callable[[Any, dict[str, Any]], dict[str, str]]  # licence data items, from the applicant and the form
    new_business: bool = False


def _person_fields(p: Any) -> dict[str, Any]:
    return {"name": p.name, "id_number": p.id_number, "contact_name": p.name, "contact_phone": PHONE}


def _same(*keys: str) -> Callable[[Any, dict[str, Any]], dict[str, str]]:
    return lambda _, f: {k: str(f[k]) for k in keys}


CASES = [
    Case(
        "620A0001000000",
        "营业执照",
        "person",
        lambda p: {
            "enterprise_name": "兰州陇原云数据科技有限公司",
            "entity_type": "有限责任公司（自然人投资或控股）",
            "legal_representative": p.name,
            "domicile": "甘肃省兰州市城关区雁滩路3号",
            "registered_capital": 200,
            "business_scope": "软件开发；信息技术咨询服务",
            "contact_name": p.name,
            "contact_phone": PHONE,
        },
        lambda p, f: {
            "name": f["enterprise_name"],
            "entity_type": f["entity_type"],
            "legal_representative": p.name,
            "domicile": f["domicile"],
            "registered_capital": "200万元人民币",
            "established_on": china_today().isoformat(),
            "business_scope": f["business_scope"],
        },
        new_business=True,
    ),
    Case(
        "620A0002000000",
        "营业执照",
        "person",
        lambda p: {
            "business_name": "城关区老马家牛肉面馆",
            "operator_name": p.name,
            "operator_id_number": p.id_number,
            "organisation_form": "个人经营",
            "premises_address": "甘肃省兰州市城关区永昌路12号",
            "business_scope": "小吃服务；预包装食品销售",
            "capital": 5,
            "employees": 2,
            "contact_phone": PHONE,
            "commitment": True,
        },
        lambda p, f: {
            "name": f["business_name"],
            "entity_type": "个体工商户（个人经营）",
            "legal_representative": p.name,
            "domicile": f["premises_address"],
            "registered_capital": "5万元人民币",
            "established_on": china_today().isoformat(),
            "business_scope": f["business_scope"],
        },
        new_business=True,
    ),
    Case(
        "620A0007000000",
        "药品经营许可证",
        "enterprise",
        lambda e: {
            "enterprise_name": e.name,
            "uscc": e.uscc,
            "legal_representative": "张三",
            "principal": "李四",
            "quality_principal": "王药师",
            "registered_address": "甘肃省兰州市城关区东岗西路100号",
            "business_mode": "零售",
            "business_scope": "中成药、化学药制剂、抗生素制剂",
            "pharmacists": 2,
            "contact_name": "李四",
            "contact_phone": PHONE,
        },
        _same("enterprise_name", "uscc", "legal_representative", "principal", "quality_principal", "registered_address", "business_mode", "business_scope"),
    ),
    Case(
        "620H0011000000",
        "社会保障卡",
        "person",
        lambda p: {**_person_fields(p), "issuing_bank": "甘肃银行"},
        lambda p, _: {"name": p.name, "social_security_number": p.id_number, "issuing_bank": "甘肃银行", "card_issued_on": china_today().isoformat()},
    ),
    Case(
        "620B0021000000",
        "出生医学证明",
        "person",
        lambda p: {
            "baby_name": "李小宝",
            "sex": "女",
            "birth_time": "2026-11-20 08:30",
            "birth_place": "甘肃省兰州市城关区",
            "delivery_institution": "兰州市第一人民医院",
            "mother_name": p.name,
            "mother_id_number": p.id_number,
            "father_name": "李强",
            "father_id_number": random_resident_id(),
            "contact_name": p.name,
            "contact_phone": PHONE,
        },
        _same("baby_name", "sex", "birth_time", "birth_place", "delivery_institution", "mother_name", "mother_id_number", "father_name", "father_id_number"),
    ),
    Case(
        "620A0022000000",
        "医师执业证书",
        "person",
        lambda p: {
            **_person_fields(p),
            "sex": sex_of(p.id_number),
            "birth_date": birth_date_of(p.id_number).isoformat(),
            "physician_level": "执业医师",
            "practice_category": "临床",
            "practice_scope": "内科专业",
            "practice_place": "甘肃省兰州市",
            "institution": "兰州市城关区人民医院",
        },
        _same("name", "sex", "birth_date", "physician_level", "practice_category", "practice_scope", "practice_place", "institution"),
    ),
    Case(
        "620B0026000000",
        "结婚证",
        "person",
        lambda p: {
            **_person_fields(p),
            "nationality": "中国",
            "spouse_name": "赵敏",
            "spouse_id_number": random_resident_id(),
            "description": "结婚登记",
        },
        lambda _, f: {
            "registration_date": china_today().isoformat(),
            "spouse_name": "赵敏",
            "spouse_id_number": f["spouse_id_number"],
            "holder_nationality": "中国",
        },
    ),
    Case(
        "620A0031000000",
        "教师资格证",
        "person",
        lambda p: {
            **_person_fields(p),
            "sex": sex_of(p.id_number),
            "birth_date": birth_date_of(p.id_number).isoformat(),
            "qualification_type": "初级中学教师资格",
            "subject": "数学",
        },
        _same("name", "sex", "birth_date", "qualification_type", "subject", "id_number"),
    ),
    Case(
        "620A0032000000",
        "建筑工程施工许可证",
        "enterprise",
        lambda e: {
            "builder": e.name,
            "builder_uscc": e.uscc,
            "project_name": "城关区雁南安置住宅楼项目",
            "site_address": "甘肃省兰州市城关区雁南路18号",
            "scale": "总建筑面积12000平方米，地上18层",
            "contract_price": 4500,
            "contract_period": 540,
            "survey_unit": "甘肃省建筑勘察设计院有限公司",
            "design_unit": "兰州市建筑设计研究院有限公司",
            "contractor": "甘肃第一建设集团有限责任公司",
            "supervisor": "兰州正信工程监理有限公司",
            "contact_name": "王建设",
            "contact_phone": PHONE,
            "description": "申请施工许可",
        },
        lambda e, f: {
            **{k: f[k] for k in ("project_name", "site_address", "scale", "survey_unit", "design_unit", "contractor", "supervisor")},
            "builder": e.name,
            "contract_price": "4500万元",
            "contract_period": "540日历天",
        },
    ),
    Case(
        "620B0035000000",
        "不动产权证书",
        "person",
        lambda p: {
            "obligee_name": p.name,
            "obligee_id_number": p.id_number,
            "obligor_name": "张卖方",
            "obligor_id_number": random_resident_id(),
            "transfer_cause": "买卖",
            "original_certificate_number": "甘（2019）兰州市不动产权第0012345号",
            "location": "城关区张掖路街道某小区1号楼2单元301室",
            "unit_number": "620102003004GB00012F00010023",
            "co_ownership": "单独所有",
            "right_type": "国有建设用地使用权/房屋所有权",
            "right_nature": "出让/市场化商品房",
            "usage": "城镇住宅用地/住宅",
            "area": 89.5,
            "term": "2010年05月01日起2080年04月30日止",
            "contact_name": p.name,
            "contact_phone": PHONE,
            "commitment": True,
        },
        lambda _, f: {
            **{k: f[k] for k in ("co_ownership", "location", "unit_number", "right_type", "right_nature", "usage", "term")},
            "area": "89.5平方米",
        },
    ),
    *(
        Case(
            code,
            "道路运输经营许可证",
            "enterprise",
            lambda e, scope=scope: {
                "operator_name": e.name,
                "uscc": e.uscc,
                "address": "甘肃省兰州市城关区南滨河东路88号",
                "economic_type": "有限责任公司",
                "principal": "张三",
                "business_scope": scope,
                "vehicles": 5,
                "contact_name": "张三",
                "contact_phone": PHONE,
            },
            _same("operator_name", "uscc", "address", "economic_type", "business_scope"),
        )
        for code, scope in (("620A0037000000", "道路普通货物运输"), ("620A0038000000", "市际班车客运"))
    ),
]


async def _item(platform, basic_code: str):
    async with platform.db.transaction() as session:
        views = await catalog.published_views(ServiceContext(session=session, platform=platform))
    return next(v for v in views if v.basic_code == basic_code)


async def _apply(client, platform, basic_code: str, form: dict[str, Any]) -> dict[str, Any]:
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    item = await _item(platform, basic_code)
    r = await client.post("/api/v1/applications", json={"item_code": item.code, "form": form}, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    await upload_all(client, headers, draft)
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def _grant(platform, new_client, make_staff, application: dict[str, Any], organisation: str) -> dict[str, Any]:
    """Drive the item's process to the grant, each task done by staff of its own department and role."""
    division = organisation.partition("-")[0]
    people: dict[tuple[str, str], Any] = {}
    for _ in range(10):
        rows = await task_rows(platform, application["id"])
        assert rows, "the process ended without a grant"
        row = rows[0]
        key = (row.role, f"{division}-{row.department_kind}")
        if key not in people:
            people[key] = await staff(new_client, make_staff, [row.role], key[1])
        action = ACTIONS[row.task_name]
        r = await act(people[key], application["id"], task=row.task_id, action=action)
        assert r.status_code == 201, r.text
        if action == "grant":
            assert r.json()["status"] == "granted"
            return r.json()
    pytest.fail("no grant after ten steps")


async def _register(platform, uscc: str, name: str, division: str) -> EnterpriseFixture:
    phone = random_phone()
    async with platform.db.transaction() as session:
        enterprise = await identity.register_enterprise(
            ServiceContext(session=session, platform=platform),
            name=name,
            uscc=uscc,
            legal_representative="张三",
            phone=phone,
            division_code=division,
            password=PASSWORD,
        )
    return EnterpriseFixture(enterprise.id, uscc, phone, PASSWORD, name)


async def _granted_licence(case: Case, client, new_client, seeded, make_person, make_enterprise, make_staff):  # noqa: F811 - seeded
    if case.applicant == "person":
        applicant = await make_person(name="李秀兰")
        await login_person(client, seeded, applicant)
    else:
        applicant = await make_enterprise()
        await login_enterprise(client, seeded, applicant)
    form = case.form(applicant)
    item = await _item(seeded, case.basic_code)
    application = await _apply(client, seeded, case.basic_code, form)
    body = await _grant(seeded, new_client, make_staff, application, item.organisation_code)
    details = body["events"][-1]["details"]
    assert "licence_error" not in details, details.get("licence_error")
    return applicant, form, item, body, details["licence"]


@pytest.mark.parametrize("case", CASES, ids=[c.basic_code for c in CASES])
async def test_a_grant_issues_a_sealed_licence_that_says_what_the_form_said(
    case,
    client,
    new_client,
    seeded,  # noqa: F811 - the fixture
    make_person,
    make_enterprise,
    make_staff,
):
    applicant, form, item, body, issued = await _granted_licence(case, client, new_client, seeded, make_person, make_enterprise, make_staff)
    assert issued["type_name"] == case.type_name
    assert (await client.get("/api/v1/identity/validate", params={"kind": "licence_id", "value": issued["identifier"]})).json()["valid"] is True
    # The holder: the new business (once it registers with its new code), else the applicant.
    holder = client
    if case.new_business:
        uscc = issued["number"]
        assert check_uscc(uscc).valid
        assert uscc[:2] == ("91" if case.basic_code == "620A0001000000" else "92")
        assert uscc[2:8] == item.organisation_code[:6]
        holder = await new_client()
        await login_enterprise(holder, seeded, await _register(seeded, uscc, form.get("enterprise_name") or form["business_name"], uscc[2:8]))
    wallet = (await holder.get("/api/v1/licences/mine")).json()
    assert issued["identifier"] in [w["identifier"] for w in wallet]
    document = (await holder.get(f"/api/v1/licences/{issued['id']}/document")).json()
    claims = document["licence"]
    assert claims["licenceType"]["name"] == case.type_name
    assert claims["issuer"]["name"] == item.department
    expected = case.expected(applicant, form)
    assert {k: v for k, v in claims["data"].items() if k in expected} == expected
    if case.new_business:
        assert claims["data"]["uscc"] == claims["holder"]["idNumber"] == claims["number"]
    elif case.applicant == "enterprise":
        assert claims["holder"]["idNumber"] == applicant.uscc
    else:
        assert claims["holder"] == {"name": applicant.name, "idType": claims["holder"]["idType"], "idNumber": applicant.id_number}
    # The seal verifies against the issuer's key; the applicant's page names the licence.
    verified = (await client.post("/api/v1/licences/documents/verify", json=document)).json()
    assert verified["valid"] is True, verified
    page = await client.get(f"/{'citizen' if case.applicant == 'person' else 'enterprise'}/applications/{body['number']}")
    assert f"已签发电子证照：{case.type_name}" in page.text


async def test_the_birth_certificate_fills_the_birth_registration_form(client, new_client, seeded, make_person, make_enterprise, make_staff):  # noqa: F811
    birth = next(c for c in CASES if c.basic_code == "620B0021000000")
    _, _, _, _, issued = await _granted_licence(birth, client, new_client, seeded, make_person, make_enterprise, make_staff)
    assert len(issued["number"]) == 10
    assert issued["number"][0] == "Q"
    registration = await _item(seeded, "620B0017000000")
    proposal = (await client.get("/api/v1/applications/prefill", params={"item_code": registration.code})).json()
    values = {f["name"]: f["value"] for f in proposal["fields"]}
    assert values["birth_certificate_number"] == issued["number"]
    assert values["child_name"] == "李小宝"
    assert values["birth_date"] == "2026-11-20"


async def test_each_registration_gets_its_own_new_code(client, new_client, seeded, make_person, make_enterprise, make_staff):  # noqa: F811
    company = next(c for c in CASES if c.basic_code == "620A0001000000")
    codes = []
    for _ in range(3):
        _, _, _, _, issued = await _granted_licence(company, client, new_client, seeded, make_person, make_enterprise, make_staff)
        codes.append(issued["number"])
    assert len(set(codes)) == 3
    assert all(check_uscc(c).valid for c in codes)
    assigned = {e.subject_id for e in await audits(seeded, "identity:uscc:assign")}
    assert set(codes) <= assigned


async def test_concurrent_assignments_never_share_a_code(seeded):  # noqa: F811
    async def one() -> str:
        async with seeded.db.transaction() as session:
            return await identity.assign_uscc(ServiceContext(session=session, platform=seeded), division_code="620121", category="1", name="并发测试企业")

    codes = await asyncio.gather(*(one() for _ in range(8)))
    assert len(set(codes)) == 8
    assert all(check_uscc(c).valid and c[2:8] == "620121" for c in codes)


async def test_a_code_already_held_is_skipped(seeded):  # noqa: F811
    # An enterprise registered with the next code (e.g. from an older register) and a code a licence register holds.
    async with seeded.db.transaction() as session:
        row = await session.get(UsccCounter, "620122")
        start = row.last_value if row else 0
    registered = await _register(seeded, uscc_for("620122", "1", start + 1), "皋兰县先登记有限公司", "620122")
    offered: list[str] = []

    async def taken(code: str) -> bool:
        offered.append(code)
        return len(offered) == 1

    async with seeded.db.transaction() as session:
        code = await identity.assign_uscc(ServiceContext(session=session, platform=seeded), division_code="620122", category="1", name="乙", taken=taken)
    assert offered == [uscc_for("620122", "1", start + 2), uscc_for("620122", "1", start + 3)]
    assert code == offered[1] != registered.uscc


async def test_a_registration_whose_licence_fails_leaves_no_code_used(seeded):  # noqa: F811
    form = CASES[0].form(SimpleNamespace(name="王五"))
    del form["business_scope"]
    async with seeded.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=seeded)
        before = await session.get(UsccCounter, "620102")
        start = before.last_value if before else 0
        with pytest.raises(ValidationFailed) as raised:
            async with session.begin_nested():
                await licences.issue_for_grant(
                    ctx,
                    item_basic_code="620A0001000000",
                    issuer_organisation_code="620102-market_regulation",
                    applicant_kind="person",
                    applicant_name="王五",
                    applicant_id_number=None,
                    form=form,
                    application_id=uuid.uuid4(),
                )
        assert raised.value.code == "licence_fields_invalid"
        assert "business_scope" in raised.value.details
        after = (await session.execute(select(UsccCounter.last_value).where(UsccCounter.division_code == "620102"))).scalar_one_or_none()
    assert (after or 0) == start


async def test_a_form_without_the_holder_leaves_the_grant_standing_with_the_reason(client, new_client, seeded, make_person, make_staff):  # noqa: F811
    # 建筑工程施工许可 sent with contact details only (the form of earlier versions): no licence, the decision stands.
    await login_person(client, seeded, await make_person())
    application = await _apply(client, seeded, "620A0032000000", {"contact_name": "王建设", "contact_phone": PHONE, "description": "申请施工许可"})
    body = await _grant(seeded, new_client, make_staff, application, "620102-housing")
    details = body["events"][-1]["details"]
    assert "licence" not in details
    assert "持证主体名称" in details["licence_error"]
    assert details["document"]["kind_title"] == "准予行政许可决定书"


def test_every_mapped_item_names_a_real_type_and_form_fields_its_form_has():
    from longgov.applications import forms

    for code, outcome in outcomes.OUTCOMES.items():
        licence_type = resolve_type(outcome.type_key)
        assert licence_type is not None, code
        properties = forms.form_for(code).schema["properties"]
        assert forms.form_for(code).key == code, f"{code} has no form of its own"
        keys = {f.key for f in licence_type.fields}
        required = {f.key for f in licence_type.fields if f.required}
        assert set(outcome.fields) <= keys, code
        assert required <= set(outcome.fields), f"{code}: {required - set(outcome.fields)} unmapped"
        sources = [s for s in (*outcome.fields.values(), outcome.holder_id, outcome.holder_name, outcome.number) if s is not None]
        if outcome.dependant is not None:
            found = outcome.dependant
            assert found.when in properties, code
            assert found.value in properties[found.when].get("enum", []), code
            assert set(found.fields) <= keys, code
            sources += [found.holder_id, found.holder_name, *found.fields.values()]
        for source in sources:
            names = (source,) if isinstance(source, str) else source.form
            assert set(names) <= set(properties), f"{code}: {set(names) - set(properties)} not in its form"
