"""Bundles fixtures: the demo catalogue, bundle definitions published for a test, applicants and department staff."""

from __future__ import annotations

import random
import string
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from longgov.catalog import services as catalog
from longgov.licences import services as licences
from longgov.licences.schemas import HolderInput
from longgov.notify.models import Message
from longgov.onething import services as onething
from longgov.platform import ServiceContext
from longgov.security.audit.models import AuditEvent
from tests.conftest import csrf_headers, login_enterprise, login_person
from tests.functional.applications.workbench_support import Staff, staff

REGISTRATION, FOOD, SIGN, FIRE = "620A0002000000", "620A0005000000", "620A0040000000", "620A0041000000"
MARKET, URBAN, GOVERNMENT = "620102-market_regulation", "620102-urban_management", "620102-government"
PDF = b"%PDF-1.7\n%bundle test\n"
_rng = random.Random()  # noqa: S311 - test data only


def unique_code(prefix: str = "t") -> str:
    return f"{prefix}_{''.join(_rng.choice(string.ascii_lowercase) for _ in range(12))}"


def restaurant(code: str, **changes: Any) -> dict[str, Any]:
    """开办餐饮店 as a test bundle: without a licence the registration comes first; the sign needs the licence too."""
    raw: dict[str, Any] = {
        "code": code,
        "name": "开办餐饮店",
        "summary": "一次告知、一表申请、一次提交",
        "audience": "any",
        "lead_organisation": MARKET,
        "aliases": ["开餐馆", "开饭店"],
        "keywords": ["餐饮"],
        "questions": [
            {"key": "has_business_licence", "text": "是否已经取得营业执照？", "type": "boolean", "help": "已取得的，无需再办理个体工商户设立登记"},
            {"key": "outdoor_sign", "text": "是否设置户外招牌？", "type": "boolean"},
            {
                "key": "premises_area",
                "text": "经营场所面积",
                "type": "choice",
                "options": [{"value": "small", "label": "300平方米以下"}, {"value": "large", "label": "300平方米及以上"}],
            },
            {
                "key": "founding",
                "text": "经营主体",
                "type": "choice",
                "options": [{"value": "new", "label": "新设立"}, {"value": "existing", "label": "已有主体"}],
            },
        ],
        "contradictions": [
            {"when": {"has_business_licence": True, "founding": "new"}, "message": "已取得营业执照的，不能再选择新设立", "code": "licence_vs_new"}
        ],
        "items": [
            {"item": REGISTRATION, "when": {"has_business_licence": False}},
            {"item": FOOD, "depends_on": [REGISTRATION]},
            {"item": SIGN, "when": {"outdoor_sign": True}, "depends_on": [REGISTRATION]},
            {"item": FIRE, "when": {"premises_area": "large"}},
        ],
        "shared_materials": [
            {"name": "经营场所使用证明", "covers": [[REGISTRATION, "经营场所使用证明"], [SIGN, "设置场地使用权证明或者业主同意设置的证明"]]},
            {"name": "营业执照", "covers": [[FOOD, "营业执照或者其他主体资格证明文件"], [SIGN, "营业执照"], [FIRE, "营业执照"]]},
        ],
        "results": "各部门办理结果统一推送至卡包和“我的一件事”",
        "targets": {"days": 5, "materials": 6, "visits": 0, "steps": 4},
        "lead_note": "由区市场监管局牵头，城管、消防协同",
    }
    raw.update(changes)
    return raw


PERSON_ANSWERS = {"has_business_licence": False, "outdoor_sign": True, "premises_area": "small", "founding": "new"}
ENTERPRISE_ANSWERS = {"has_business_licence": True, "outdoor_sign": True, "premises_area": "large", "founding": "existing"}


def person_form(person: Any) -> dict[str, Any]:
    """The merged form of registration + food licence + sign, as a founder without a licence fills it."""
    return {
        "business_name": "兰州城关区老马牛肉面馆",
        "operator_name": person.name,
        "operator_id_number": person.id_number,
        "organisation_form": "个人经营",
        "premises_address": "甘肃省兰州市城关区张掖路88号",
        "business_scope": "餐饮服务",
        "capital": 10,
        "employees": 5,
        "contact_phone": "13912345678",
        "commitment": True,
        "business_type": "餐饮服务经营者",
        "business_items": "热食类食品制售",
        "premises_area": 120,
        "food_safety_officer": "李四",
        "contact_name": person.name,
        "sign_type": "门头招牌（店招）",
        "sign_text": "老马牛肉面",
        "sign_width": 4,
        "sign_height": 1,
        "setting_years": 3,
        "description": "设置门头招牌一块",
    }


@pytest.fixture
async def seeded(platform):
    async with platform.db.transaction() as session:
        await catalog.seed_catalog(ServiceContext(session=session, platform=platform))
    return platform


async def publish(platform: Any, raw: dict[str, Any]) -> str:
    """Create and publish a bundle as the system; its code."""
    async with platform.db.transaction() as session:
        view = await onething.create_bundle(ServiceContext(session=session, platform=platform), raw, publish=True)
    return view.code


@pytest.fixture
async def bundle(seeded) -> str:
    return await publish(seeded, restaurant(unique_code()))


async def json_headers(c: httpx.AsyncClient) -> dict[str, str]:
    return {**(await csrf_headers(c)), "accept": "application/json"}


async def person_client(client: httpx.AsyncClient, platform: Any, make_person: Any) -> tuple[Any, dict[str, str]]:
    person = await make_person(name="马建国")
    await login_person(client, platform, person)
    return person, await json_headers(client)


async def licensed_enterprise(client: httpx.AsyncClient, platform: Any, make_enterprise: Any) -> tuple[Any, dict[str, str]]:
    """A logged-in enterprise whose 营业执照 is in its wallet."""
    enterprise = await make_enterprise()
    async with platform.db.transaction() as session:
        await licences.issue_licence(
            ServiceContext(session=session, platform=platform),
            "business_licence",
            MARKET,
            HolderInput(kind="enterprise", name=enterprise.name, id_number=enterprise.uscc),
            {
                "uscc": enterprise.uscc,
                "name": enterprise.name,
                "entity_type": "有限责任公司（自然人投资或控股）",
                "legal_representative": "张三",
                "domicile": "甘肃省兰州市城关区庆阳路1号",
                "registered_capital": "100万元人民币",
                "established_on": "2020-05-01",
                "business_scope": "餐饮服务",
            },
            number=enterprise.uscc,
        )
    await login_enterprise(client, platform, enterprise)
    return enterprise, await json_headers(client)


async def upload_needed(c: httpx.AsyncClient, headers: dict[str, str], case: dict[str, Any]) -> list[str]:
    """Upload every merged material that needs uploading, once each; their names."""
    names = []
    for m in case["materials"]:
        if m["needs_upload"] and not m["uploaded"]:
            r = await c.post(
                f"/api/v1/onething/cases/{case['id']}/materials",
                headers=headers,
                data={"material": m["key"]},
                files={"file": (f"{m['name'][:10]}.pdf", PDF, "application/pdf")},
            )
            assert r.status_code == 201, r.text
            names.append(m["name"])
    return names


async def draft_case(c: httpx.AsyncClient, headers: dict[str, str], code: str, answers: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    r = await c.post("/api/v1/onething/cases", json={"bundle_code": code, "answers": answers, "form": form}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def department(new_client: Any, make_staff: Any, organisation: str) -> dict[str, Staff]:
    """Counter staff, an approver and a leader of one department."""
    return {
        "counter": await staff(new_client, make_staff, ["counter_staff"], organisation),
        "approver": await staff(new_client, make_staff, ["approver"], organisation),
        "leader": await staff(new_client, make_staff, ["department_leader"], organisation),
    }


async def act(s: Staff, application_id: str, task: str, action: str, **body: Any) -> dict[str, Any]:
    r = await s.client.post(
        f"/api/v1/applications/workbench/{application_id}/act", json={"opinion": "同意", "task": task, "action": action, **body}, headers=s.headers
    )
    assert r.status_code == 201, r.text
    return r.json()


async def grant_promised(people: dict[str, Staff], application_id: str) -> dict[str, Any]:
    await act(people["counter"], application_id, "pre_check", "accept")
    await act(people["approver"], application_id, "review", "pass")
    return await act(people["leader"], application_id, "decision", "grant")


async def get_case(c: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> dict[str, Any]:
    r = await c.get(f"/api/v1/onething/cases/{case_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def member(case: dict[str, Any], basic_code: str) -> dict[str, Any]:
    return next(m for m in case["members"] if m["basic_code"] == basic_code)


async def messages(platform: Any, account_id: Any) -> list[Message]:
    async with platform.db.transaction() as session:
        rows = await session.execute(select(Message).where(Message.recipient_account_id == account_id).order_by(Message.created_at, Message.id))
        return list(rows.scalars())


async def audits(platform: Any, tag: str, subject: str | None = None) -> list[AuditEvent]:
    async with platform.db.transaction() as session:
        query = select(AuditEvent).where(AuditEvent.tag == tag).order_by(AuditEvent.seq)
        if subject is not None:
            query = query.where(AuditEvent.subject_id == subject)
        return list((await session.execute(query)).scalars())


async def submitted_case(c: httpx.AsyncClient, headers: dict[str, str], code: str, person: Any) -> dict[str, Any]:
    """A founder's case of the test bundle, filled, with every material uploaded once, submitted."""
    case = await draft_case(c, headers, code, PERSON_ANSWERS, person_form(person))
    await upload_needed(c, headers, case)
    r = await c.post(f"/api/v1/onething/cases/{case['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def applicant_account(platform: Any, case_id: str) -> Any:
    from longgov.onething.models import BundleCase

    async with platform.db.transaction() as session:
        return (await session.execute(select(BundleCase.applicant_account_id).where(BundleCase.id == uuid.UUID(case_id)))).scalar_one()
