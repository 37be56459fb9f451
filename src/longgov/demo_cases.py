"""Demo casework: applications by demo citizens in every stage of the 食品经营许可 process, and one pre-filled 企业设立登记.

The workbench, timelines, messages and 好差评 pages then show real cases on a fresh ``make demo``.

Everything goes through the domains' services as the people concerned (the citizen applies, 城关区
counter staff pre-check, the city approver reviews, the department leader decides), so the cases carry
real numbers, BPMN states, deadlines, signed documents, notifications and audit records. Runs once:
a demo database that already has applications is left as it is.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from longgov.applications import casework
from longgov.applications import services as applications
from longgov.catalog import services as catalog
from longgov.evaluation import services as evaluation
from longgov.evaluation.schemas import RatingInput
from longgov.identity import services as identity
from longgov.identity.codes import make_uscc
from longgov.platform import ServiceContext

FOOD_BASIC_CODE = "620A0005000000"  # 食品经营许可, handled by 城关区市场监督管理局
COMPANY_BASIC_CODE = "620A0001000000"  # 企业设立登记, also 城关区市场监督管理局
COUNTER, APPROVER, LEADER = "cg_scjg_window", "lz_scjg_approver", "lz_scjg_leader"
# The smallest well-formed PDF the upload check accepts (magic bytes); demo materials only.
DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclass(frozen=True)
class _Case:
    shop: str
    stage: str  # submitted | correction | accepted | reviewed | delivered | rated


CASES = (
    _Case("城关区老马牛肉面馆", "submitted"),
    _Case("城关区金城小吃店", "submitted"),
    _Case("城关区黄河鱼庄", "correction"),
    _Case("城关区陇味家常菜馆", "accepted"),
    _Case("城关区敦煌驴肉黄面馆", "reviewed"),
    _Case("城关区甜醅子饮品店", "delivered"),
    _Case("城关区手抓羊肉馆", "rated"),
)


def _form(case: _Case, rng: random.Random, applicant: str) -> dict[str, object]:
    uscc = make_uscc("9", "2", "620102", "".join(rng.choice("0123456789ABCDEFGH") for _ in range(8)))
    return {
        "operator_name": case.shop,
        "uscc": uscc,
        "legal_representative": applicant,
        "premises_address": f"甘肃省兰州市城关区{rng.choice(['张掖路', '庆阳路', '酒泉路', '中山路'])}{rng.randint(1, 300)}号",
        "business_type": "餐饮服务经营者",
        "business_items": "热食类食品制售",
        "premises_area": rng.randint(40, 300),
        "employees": rng.randint(2, 20),
        "food_safety_officer": applicant,
        "planned_opening": "2026-12-20",
        "contact_phone": f"139{rng.randint(10_000_000, 99_999_999)}",
        "commitment": True,
    }


async def _as(ctx: ServiceContext, portal: str, login: str) -> ServiceContext:
    principal = await identity.principal_by_login(ctx, portal, login)  # type: ignore[arg-type]
    if principal is None:
        msg = f"demo account {login} is missing"
        raise LookupError(msg)
    return ServiceContext(session=ctx.session, platform=ctx.platform, actor=principal)


def _step(task: str, action: str, opinion: str, missing: list[str] | None = None) -> casework.StepInput:
    return casework.StepInput(task=task, action=action, opinion=opinion, missing_items=missing or [], reason="")


async def seed_demo_cases(ctx: ServiceContext, citizens: list[str]) -> int:
    """Create the demo cases for the citizens (resident ID numbers); 0 when the database already has applications."""
    if await applications.any_applications(ctx):
        return 0
    item_code = next(
        v.code for v in await catalog.published_views(ctx) if v.basic_code == FOOD_BASIC_CODE and v.organisation_code == "620102-market_regulation"
    )
    counter, approver, leader = [await _as(ctx, "staff", login) for login in (COUNTER, APPROVER, LEADER)]
    rng = random.Random(20261127)  # noqa: S311 - reproducible demo data
    for n, case in enumerate(CASES):
        citizen = await _as(ctx, "person", citizens[n % len(citizens)])
        name = citizen.actor.display_name if citizen.actor else case.shop
        draft = await applications.create_draft(citizen, item_code, _form(case, rng, name))
        for material in draft.materials:
            if material.required and not material.replaceable:
                await applications.upload_material(citizen, draft.id, material.index, f"{material.name[:20]}.pdf", DEMO_PDF)
        submitted = (await applications.submit(citizen, draft.id, f"demo-{uuid.uuid4().hex[:12]}")).application
        await _advance(case, submitted.id, citizen, counter, approver, leader)
    await _prefilled_registration(ctx, citizens[0])
    return len(CASES) + 1


async def _prefilled_registration(ctx: ServiceContext, citizen_id_number: str) -> None:
    """表单免填写: the first citizen registers a company, the form filled from their 居民身份证 (one value changed)."""
    item_code = next(
        v.code for v in await catalog.published_views(ctx) if v.basic_code == COMPANY_BASIC_CODE and v.organisation_code == "620102-market_regulation"
    )
    citizen = await _as(ctx, "person", citizen_id_number)
    proposal = await applications.prefill_proposal(citizen, item_code)
    form = {
        **proposal.values,
        "enterprise_name": "兰州陇原云数据科技有限公司",
        "entity_type": "有限责任公司（自然人投资或控股）",
        "domicile": "甘肃省兰州市城关区雁滩路3号",
        "registered_capital": 200,
        "business_scope": "软件开发；信息技术咨询服务；数据处理和存储支持服务",
        "contact_phone": "13909310001",
        # Moved since the 居民身份证 was issued: the applicant corrects the pre-filled address.
        "contact_address": "甘肃省兰州市城关区雁滩路3号",
    }
    draft = await applications.create_draft(citizen, item_code, form, prefill_confirmed=True)
    for material in draft.materials:
        if material.required and not material.replaceable:
            await applications.upload_material(citizen, draft.id, material.index, f"{material.name[:20]}.pdf", DEMO_PDF)
    await applications.submit(citizen, draft.id, f"demo-{uuid.uuid4().hex[:12]}")


async def _advance(case: _Case, application_id: uuid.UUID, citizen: ServiceContext, *staff: ServiceContext) -> None:
    counter, approver, leader = staff
    if case.stage == "submitted":
        return
    if case.stage == "correction":
        await casework.act(
            counter,
            application_id,
            _step("pre_check", "request_correction", "材料不齐，请一次性补正", ["经营场所平面布局图（标明功能区）", "从业人员健康证明"]),
        )
        return
    await casework.act(counter, application_id, _step("pre_check", "accept", "材料齐全，符合法定形式，予以受理"))
    if case.stage == "accepted":
        return
    await casework.act(approver, application_id, _step("review", "pass", "经审查，经营场所与设施符合要求"))
    if case.stage == "reviewed":
        return
    await casework.act(leader, application_id, _step("decision", "grant", "同意准予许可"))
    await casework.act(counter, application_id, _step("conclude", "conclude", "已办结"))
    await casework.act(counter, application_id, _step("deliver", "deliver", "电子证照已推送至卡包，纸质证书窗口领取"))
    if case.stage == "rated":
        view = await applications.get_mine(citizen, application_id)
        await evaluation.rate(citizen, view.number or "", RatingInput(score=5, comment="全程网办，没跑一次腿"))
