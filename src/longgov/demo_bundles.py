"""Demo 一件事 cases: bundle cases by demo citizens, completed, in progress and partly refused.

我的一件事, the departments' workbenches, the metrics and the key-item pages then show real cases on a
fresh ``make demo``: 开办餐饮店 completed (the new 营业执照 filling the food licence, one 补正 on the
way), 企业开办 with its registration accepted and four items waiting, 新生儿出生 completed across three
departments, 二手房转移登记 granted with the water, electricity and gas accounts moved (gas refused for
arrears), and 开办餐饮店 with its outdoor sign refused (partial result, next steps).

Everything goes through the services as the people concerned: the applicant answers the guide, keeps
the values pre-filled from their licences, uploads each material once and submits; counter staff and
leaders of each department act in their workbench. A running platform brings a case up to date from
the events of each committed step; the seeding is one unit of work whose events arrive only after it
commits, so it brings each case up to date itself after every step (``onething.advance``, idempotent:
the events, delivered later, change nothing). Runs once: a database that has bundle cases is left as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from longgov.applications import casework
from longgov.applications import services as applications
from longgov.db import utcnow
from longgov.demo_cases import DEMO_PDF
from longgov.identity import services as identity
from longgov.identity.schemas import LoginPortal
from longgov.licences.demo import DemoPerson, sex_of
from longgov.onething import linked, metrics
from longgov.onething import services as onething
from longgov.onething.schemas import CaseView, NewCase
from longgov.onething.utilities import OutboxUtilityGateway, Party, Utility
from longgov.platform import ServiceContext

REGISTRATION, COMPANY, FOOD, SIGN = "620A0002000000", "620A0001000000", "620A0005000000", "620A0040000000"
BIRTH_CERTIFICATE, BIRTH_REGISTRATION, NEWBORN_INSURANCE = "620B0021000000", "620B0017000000", "620H0061000000"
PROPERTY_TRANSFER = linked.PROPERTY_TRANSFER_ITEM

# Staff of the departments the cases pass through (demo.py creates them): (counter staff, approver/leader).
MARKET = ("cg_scjg_window", "lz_scjg_leader")
URBAN = ("cg_cgj_window", "cg_cgj_leader")
HEALTH = "cg_wj_window"
POLICE = "lz_ga_window"
MEDICAL = "cg_yb_window"
LAND = ("lz_zrzy_window", "lz_zrzy_leader")

HOME_UNIT = "620102007012GB00031F00020502"
HOME_LOCATION = "甘肃省兰州市城关区雁滩路街道南河新村5号楼2单元502室"
# (utility, account number, provider, arrears in yuan): the gas account owes money, so its transfer is refused.
HOME_ACCOUNTS: tuple[tuple[Utility, str, str, Decimal], ...] = (
    ("water", "SW-0102-337815", "兰州威立雅水务（集团）有限责任公司", Decimal(0)),
    ("electricity", "6201020733158", "国网甘肃省电力公司兰州供电公司", Decimal(0)),
    ("gas", "RQ20418862", "兰州城市燃气有限公司", Decimal("86.40")),
)


def _step(task: str, action: str, opinion: str, *, missing: Sequence[str] = (), reason: str = "") -> casework.StepInput:
    return casework.StepInput(task=task, action=action, opinion=opinion, missing_items=list(missing), reason=reason)


@dataclass
class _Seeding:
    """The seeding's unit of work and the demo accounts acting in it."""

    system: ServiceContext
    people: dict[str, ServiceContext]

    async def login(self, portal: LoginPortal, identifier: str) -> ServiceContext:
        if identifier not in self.people:
            principal = await identity.principal_by_login(self.system, portal, identifier)
            if principal is None:
                msg = f"demo account {identifier} is missing"
                raise LookupError(msg)
            self.people[identifier] = ServiceContext(session=self.system.session, platform=self.system.platform, actor=principal)
        return self.people[identifier]

    async def apply(self, applicant: ServiceContext, code: str, answers: Mapping[str, bool | str], typed: Mapping[str, Any]) -> _Case:
        """The applicant's side: guide answered, the pre-filled values kept (and confirmed), each material uploaded once, submitted."""
        merged = await onething.merged_form(applicant, code, answers)
        form = {**typed, **{f.name: f.value for f in merged.prefill}}
        draft = await onething.create_case(applicant, NewCase(bundle_code=code, answers=dict(answers), form=form, prefill_confirmed=True, prefill_offered=True))
        for material in draft.materials:
            if material.needs_upload and not material.uploaded:
                await onething.upload_material(applicant, draft.id, material.key, f"{material.name[:20]}.pdf", DEMO_PDF)
        submitted = (await onething.submit_case(applicant, draft.id)).case
        return _Case(self, applicant, submitted.id, submitted.number or "")


@dataclass
class _Case:
    """A submitted bundle case being worked on by the departments."""

    seeding: _Seeding
    applicant: ServiceContext
    id: uuid.UUID
    number: str

    async def view(self) -> CaseView:
        return await onething.get_case(self.applicant, self.id)

    async def application(self, basic_code: str) -> uuid.UUID:
        member = next(m for m in (await self.view()).members if m.basic_code == basic_code)
        if member.application_id is None or member.state in {"waiting", "awaiting_applicant", "blocked"}:
            msg = f"{self.number}: {member.item_name} is not with its department ({member.state}: {member.note})"
            raise LookupError(msg)
        return member.application_id

    async def act(self, username: str, basic_code: str, step: casework.StepInput) -> None:
        staff = await self.seeding.login("staff", username)
        await casework.act(staff, await self.application(basic_code), step)
        await onething.advance(self.seeding.system, self.number)

    async def instant(self, window: str, basic_code: str, opinion: str) -> None:
        """即办件: granted on the spot, the result handed over."""
        await self.act(window, basic_code, _step("handle_on_the_spot", "grant", opinion))
        await self.act(window, basic_code, _step("deliver", "deliver", "电子证照已推送至卡包"))

    async def promised(self, desk: tuple[str, str], basic_code: str, review: str, *, deny: str = "") -> None:
        """承诺件: accepted, reviewed, decided (granted, or denied with the reason), concluded and delivered."""
        window, leader = desk
        await self.act(window, basic_code, _step("pre_check", "accept", "材料齐全，符合法定形式，予以受理"))
        if deny:
            await self.act(leader, basic_code, _step("review", "reject", review, reason=deny))
            await self.act(leader, basic_code, _step("decision", "deny", "不予许可", reason=deny))
        else:
            await self.act(leader, basic_code, _step("review", "pass", review))
            await self.act(leader, basic_code, _step("decision", "grant", "同意，准予许可"))
        await self.act(window, basic_code, _step("conclude", "conclude", "已办结"))
        await self.act(window, basic_code, _step("deliver", "deliver", "决定书及电子证照已推送，一件事结果统一送达"))

    async def correct(self, window: str, basic_code: str, missing: str, material: str) -> None:
        """一次性告知补正, then the applicant uploads the corrected material (the one whose name holds ``material``) and resubmits."""
        await self.act(window, basic_code, _step("pre_check", "request_correction", "材料需补正，请一次性补齐", missing=[missing]))
        application_id = await self.application(basic_code)
        view = await applications.get_mine(self.applicant, application_id)
        index = next(m.index for m in view.materials if material in m.name)
        await applications.upload_material(self.applicant, application_id, index, f"{material}（盖章）.pdf", DEMO_PDF)
        await casework.resubmit(self.applicant, application_id, "已上传加盖公章的材料，请审核")
        await onething.advance(self.seeding.system, self.number)


def _couple(citizens: Sequence[DemoPerson]) -> tuple[DemoPerson, DemoPerson]:
    """The first married demo couple (neighbours 0–1, 2–3 … of different sex, as licences.demo marries them): (mother, father)."""
    for i in range(0, len(citizens) - 1, 2):
        a, b = citizens[i], citizens[i + 1]
        if sex_of(a.id_number) != sex_of(b.id_number):
            return (a, b) if sex_of(a.id_number) == "女" else (b, a)
    msg = "no married couple among the demo citizens"
    raise LookupError(msg)


async def seed_demo_bundles(ctx: ServiceContext, citizens: Sequence[DemoPerson]) -> int:
    """Create the demo bundle cases for the demo citizens; 0 when the database already has bundle cases.

    The key-item pages show them in the current period so far (本期至今); the routine review runs when the period ends.
    """
    if await onething.any_cases(ctx):
        return 0
    seeding = _Seeding(ctx, {})
    mother, father = _couple(citizens)
    await _restaurant_completed(seeding, citizens[0])
    await _partial_restaurant(seeding, citizens[1])
    await _enterprise_in_progress(seeding, citizens[1])
    await _newborn(seeding, mother, father)
    await _home_transfer(seeding, buyer=citizens[2], seller=citizens[3])
    return 5


def _opening_day(days: int) -> str:
    return (metrics.china_day(utcnow()) + timedelta(days=days)).isoformat()


async def _restaurant_completed(seeding: _Seeding, citizen: DemoPerson) -> None:
    """开办餐饮店, all done: 个体工商户设立登记 on the spot, then 食品经营许可 (after one 补正) and the outdoor sign in parallel."""
    applicant = await seeding.login("person", citizen.id_number)
    shop = f"{citizen.name[0]}记牛肉面"
    case = await seeding.apply(
        applicant,
        "open_restaurant",
        {"founding": "new", "has_business_licence": False, "entity_form": "individual", "outdoor_sign": True, "premises_area": "small"},
        {
            "business_name": f"兰州市城关区{shop}馆",
            "operator_name": citizen.name,
            "operator_id_number": citizen.id_number,
            "organisation_form": "个人经营",
            "premises_address": "甘肃省兰州市城关区张掖路街道永昌路112号",
            "business_scope": "餐饮服务（热食类食品制售）",
            "capital": 20,
            "employees": 6,
            "contact_phone": "13919310112",
            "commitment": True,
            "business_type": "餐饮服务经营者",
            "business_items": "热食类食品制售",
            "premises_area": 86,
            "food_safety_officer": citizen.name,
            "planned_opening": _opening_day(30),
            "sign_type": "门头招牌（店招）",
            "sign_text": shop,
            "sign_width": 6,
            "sign_height": 1.2,
            "sign_illuminated": True,
            "setting_years": 3,
            "contact_name": citizen.name,
            "description": "门楣上方设置门头招牌一块，不超出建筑立面",
        },
    )
    await case.instant(MARKET[0], REGISTRATION, "申请材料齐全，当场核发营业执照")
    await case.correct(MARKET[0], FOOD, "食品安全规章制度目录（需加盖公章）", "规章制度目录")
    await case.promised(URBAN, SIGN, "招牌尺寸、位置符合户外广告设置规划")
    await case.promised(MARKET, FOOD, "经现场核查，经营场所布局与设施符合要求")


async def _partial_restaurant(seeding: _Seeding, citizen: DemoPerson) -> None:
    """开办餐饮店: the food licence granted, the free-standing sign refused (partial result; the applicant may apply for the sign again)."""
    applicant = await seeding.login("person", citizen.id_number)
    case = await seeding.apply(
        applicant,
        "open_restaurant",
        {"founding": "new", "has_business_licence": False, "entity_form": "individual", "outdoor_sign": True, "premises_area": "small"},
        {
            "business_name": "兰州市城关区金城老火锅店",
            "operator_name": citizen.name,
            "operator_id_number": citizen.id_number,
            "organisation_form": "家庭经营",
            "premises_address": "甘肃省兰州市城关区庆阳路街道庆阳路219号",
            "business_scope": "餐饮服务（热食类食品制售）",
            "capital": 80,
            "employees": 14,
            "contact_phone": "13893120219",
            "commitment": True,
            "business_type": "餐饮服务经营者",
            "business_items": "热食类食品制售；自制饮品制售",
            "premises_area": 240,
            "food_safety_officer": citizen.name,
            "planned_opening": _opening_day(45),
            "sign_type": "落地式广告牌",
            "sign_text": "金城老火锅",
            "sign_width": 2,
            "sign_height": 5,
            "sign_illuminated": True,
            "setting_years": 2,
            "contact_name": citizen.name,
            "description": "在店门前人行道设置落地式灯箱广告牌一座",
        },
    )
    await case.instant(MARKET[0], REGISTRATION, "申请材料齐全，当场核发营业执照")
    await case.promised(MARKET, FOOD, "经现场核查，经营场所布局与设施符合要求")
    refusal = "拟设置位置为庆阳路人行道，属户外广告设施设置规划禁止设置落地式广告牌的区域；可改为在门楣上方设置门头招牌"
    await case.promised(URBAN, SIGN, "设置位置不符合户外广告设置规划", deny=refusal)


async def _enterprise_in_progress(seeding: _Seeding, citizen: DemoPerson) -> None:
    """企业开办: 企业设立登记 accepted; 公章刻制、发票领用、社保登记、公积金开户 wait for the 营业执照."""
    applicant = await seeding.login("person", citizen.id_number)
    case = await seeding.apply(
        applicant,
        "start_enterprise",
        {"need_seal": True, "need_invoice": True, "has_employees": True, "housing_fund": True},
        {
            "enterprise_name": "兰州金城数智科技有限公司",
            "entity_type": "有限责任公司（自然人独资）",
            "legal_representative": citizen.name,
            "domicile": "甘肃省兰州市城关区雁滩路街道天水北路2558号12层1206室",
            "registered_capital": 100,
            "business_scope": "软件开发；信息系统集成服务；数据处理和存储支持服务",
            "contact_name": citizen.name,
            "contact_phone": "13993102558",
            "seal_official": True,
            "seal_finance": True,
            "seal_invoice": True,
            "seal_legal_representative": True,
            "seal_delivery": "政务服务中心窗口领取",
            "taxpayer_type": "小规模纳税人",
            "invoice_type": "数电发票（普通发票）",
            "expected_monthly_sales": 15,
            "finance_officer_name": "柴淑芳",
            "finance_officer_phone": "13609318820",
            "tax_officer_name": "柴淑芳",
            "tax_officer_phone": "13609318820",
            "employees": 6,
            "payment_bank_name": "兰州银行城关支行",
            "payment_bank_account": "101200318820045566",
            "deposit_rate": 12,
            "deposit_bank": "兰州银行",
            "first_deposit_month": _opening_day(35)[:7],
        },
    )
    await case.act(MARKET[0], COMPANY, _step("pre_check", "accept", "材料齐全，符合法定形式，予以受理"))


async def _newborn(seeding: _Seeding, mother: DemoPerson, father: DemoPerson) -> None:
    """新生儿出生: 出生医学证明 → 出生登记 (filled from the certificate) → 新生儿医保参保, each on the spot."""
    applicant = await seeding.login("person", mother.id_number)
    born = metrics.china_day(utcnow()) - timedelta(days=9)
    case = await seeding.apply(
        applicant,
        "newborn_birth",
        {"has_birth_certificate": False, "join_medical_insurance": True, "apply_social_security_card": False},
        {
            "baby_name": f"{father.name[0]}沐阳",
            "sex": "男",
            "birth_time": f"{born.isoformat()} 08:42",
            "birth_place": "甘肃省兰州市城关区",
            "delivery_institution": "甘肃省妇幼保健院",
            "mother_name": mother.name,
            "mother_id_number": mother.id_number,
            "father_name": father.name,
            "father_id_number": father.id_number,
            "contact_name": mother.name,
            "contact_phone": "13519310925",
            "ethnicity": "汉族",
            "registration_with": "随母",
            "household_address": mother.address,
            "name": mother.name,
            "id_number": mother.id_number,
            "relationship_to_child": "母亲",
            "pay_now": True,
        },
    )
    await case.instant(HEALTH, BIRTH_CERTIFICATE, "核对分娩记录无误，签发出生医学证明")
    await case.instant(POLICE, BIRTH_REGISTRATION, "核对出生医学证明及父母户籍，准予落户")
    await case.instant(MEDICAL, NEWBORN_INSURANCE, "新生儿参保登记完成，自出生之日起享受待遇")


async def _home_transfer(seeding: _Seeding, *, buyer: DemoPerson, seller: DemoPerson) -> None:
    """二手房转移登记 granted; the water, electricity and gas accounts then move to the buyer (gas refused: arrears)."""
    utilities = linked.gateway(seeding.system.platform)
    if isinstance(utilities, OutboxUtilityGateway):  # the local ledger; a real joint platform keeps its own accounts
        holder = Party(name=seller.name, id_number=seller.id_number)
        for utility, number, provider, arrears in HOME_ACCOUNTS:
            await utilities.open_account(utility, number, provider=provider, unit_number=HOME_UNIT, location=HOME_LOCATION, holder=holder, outstanding=arrears)
    applicant = await seeding.login("person", buyer.id_number)
    case = await seeding.apply(
        applicant,
        "home_transfer",
        {"transfer_water": True, "transfer_electricity": True, "transfer_gas": True, "transfer_broadband": False, "use_housing_fund": False},
        {
            "obligee_name": buyer.name,
            "obligee_id_number": buyer.id_number,
            "obligor_name": seller.name,
            "obligor_id_number": seller.id_number,
            "transfer_cause": "买卖",
            "original_certificate_number": "甘（2018）兰州市不动产权第0031257号",
            "location": HOME_LOCATION,
            "unit_number": HOME_UNIT,
            "right_type": "国有建设用地使用权/房屋所有权",
            "right_nature": "出让/市场化商品房",
            "usage": "城镇住宅用地/住宅",
            "area": 96.82,
            "term": "2006年03月01日起2076年02月28日止",
            "co_ownership": "单独所有",
            "transaction_price": 128,
            "contract_number": "LZCJ20260031857",
            **{f"{utility}_account_number": number for utility, number, _, _ in HOME_ACCOUNTS},
            "contact_name": buyer.name,
            "contact_phone": "13709310502",
            "commitment": True,
        },
    )
    await case.promised(LAND, PROPERTY_TRANSFER, "权属清晰，完税凭证齐全，符合转移登记条件")
