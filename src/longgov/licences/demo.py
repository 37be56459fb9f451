"""Demo licences for the demo citizens and enterprises (idempotent: numbers are derived, re-runs skip them).

Also the mutual-recognition demo: an external issuer (四川省教育厅) with its own SM2 key, generated in
the var dir on first run, trusted on the external trust list, and 教师资格证 it sealed for the first
demo citizens, imported as 外省签发 licences. The issuer publishes its signed status list as a file in
``<var_dir>/external-issuers/`` (where :class:`~longgov.licences.feeds.FolderStatusSource` reads),
republished on every demo start: it revokes the third citizen's 教师资格证, which the feed then
marks 已吊销 here.
"""

from __future__ import annotations

import contextlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from longgov.identity import services as identity
from longgov.kernel.errors import Conflict
from longgov.licences import feeds, sealing, services, trust
from longgov.licences.catalogue import government_uscc, type_by_key
from longgov.licences.identifiers import licence_key, make_identifier
from longgov.licences.schemas import HolderInput, TrustedIssuerInput
from longgov.platform import ServiceContext
from longgov.security.crypto import SM2KeyPair, generate_sm2_keypair, sm2_keypair_from_pem, sm2_private_key_to_pem, sm2_public_key_to_pem, sm3_hex

ETHNICITIES = ("汉族", "汉族", "汉族", "回族", "藏族", "东乡族", "裕固族", "汉族")
FOOD_INDUSTRIES = {"农产品加工", "餐饮", "个体工商户", "酒类"}


@dataclass(frozen=True)
class DemoPerson:
    """A demo citizen as ``longgov.demo`` created them."""

    name: str
    id_number: str
    county: str
    address: str


@dataclass(frozen=True)
class DemoEnterprise:
    """A demo enterprise as ``longgov.demo`` created it."""

    name: str
    uscc: str
    county: str
    industry: str
    legal_representative: str
    address: str


def birth_date_of(id_number: str) -> date:
    """The birth date in a resident ID number (digits 7–14)."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def sex_of(id_number: str) -> str:
    """男 / 女 by the parity of the 17th digit."""
    return "男" if int(id_number[16]) % 2 else "女"


def _prefecture(county: str) -> str:
    return county[:4] + "00"


async def _issue(ctx: ServiceContext, key: str, issuer: str, holder: HolderInput, fields: dict[str, str], *, number: str, issued_on: date) -> None:
    licence_type = type_by_key(key)
    assert licence_type is not None  # noqa: S101 - keys of the shipped catalogue
    # A re-run meets the same numbers: Conflict means the licence is already there.
    with contextlib.suppress(Conflict):
        async with ctx.session.begin_nested():
            await services.issue_licence(ctx, licence_type.code, issuer, holder, fields, number=number, issued_on=issued_on)


async def _person_licences(ctx: ServiceContext, rng: random.Random, i: int, person: DemoPerson, spouse: DemoPerson | None) -> None:
    holder = HolderInput(kind="person", name=person.name, id_number=person.id_number)
    birth = birth_date_of(person.id_number)
    sex = sex_of(person.id_number)
    issued = date(2016 + i % 8, 1 + i % 12, 1 + i % 27)
    police = f"{person.county}-public_security"
    await _issue(
        ctx,
        "resident_identity",
        police,
        holder,
        {
            "name": person.name,
            "sex": sex,
            "ethnicity": ETHNICITIES[i % len(ETHNICITIES)],
            "birth_date": birth.isoformat(),
            "address": person.address,
            "id_number": person.id_number,
        },
        number=person.id_number,
        issued_on=issued,
    )
    await _issue(
        ctx,
        "household_register",
        police,
        holder,
        {
            "household_type": "家庭户",
            "head_name": person.name,
            "relation_to_head": "户主",
            "address": person.address,
            "native_place": identity.division_label(person.county),
        },
        number=f"{person.county}{200000 + i:08d}",
        issued_on=issued - timedelta(days=400),
    )
    await _issue(
        ctx,
        "social_security_card",
        f"{_prefecture(person.county)}-human_resources",
        holder,
        {
            "name": person.name,
            "social_security_number": person.id_number,
            "issuing_bank": rng.choice(["中国工商银行甘肃省分行", "中国农业银行甘肃省分行", "甘肃银行", "兰州银行"]),
            "card_issued_on": issued.isoformat(),
        },
        number=f"G{62000000 + i * 7919:08d}",
        issued_on=issued,
    )
    if spouse is not None:
        await _issue(
            ctx,
            "marriage_certificate",
            f"{person.county}-civil_affairs",
            holder,
            {
                "registration_date": date(2012 + i % 10, 5, 20).isoformat(),
                "spouse_name": spouse.name,
                "spouse_id_number": spouse.id_number,
                "holder_nationality": "中国",
            },
            number=f"J{person.county}-{2012 + i % 10}-{1000 + i:06d}",
            issued_on=date(2012 + i % 10, 5, 20),
        )
    if i % 4 == 1:
        await _issue(
            ctx,
            "teacher_qualification",
            f"{person.county}-education",
            holder,
            {
                "name": person.name,
                "sex": sex,
                "birth_date": birth.isoformat(),
                "qualification_type": rng.choice(["小学教师资格", "初级中学教师资格", "高级中学教师资格"]),
                "subject": rng.choice(["语文", "数学", "英语", "物理"]),
                "id_number": person.id_number,
            },
            number=f"{2015 + i % 8}62{1020000000 + i:010d}",
            issued_on=issued,
        )
    if i % 3 == 0:
        await _issue(
            ctx,
            "real_estate_certificate",
            f"{person.county}-natural_resources",
            holder,
            {
                "co_ownership": "单独所有",
                "location": person.address,
                "unit_number": f"{person.county}001001GB{10000 + i:05d}F0001{i % 9}0{i % 7}",
                "right_type": "国有建设用地使用权/房屋所有权",
                "right_nature": "出让/市场化商品房",
                "usage": "城镇住宅用地/住宅",
                "area": f"{80 + i * 3}.{i % 10}5平方米",
                "term": "2010年01月01日起2080年12月31日止",
            },
            number=f"甘（{issued.year}）{identity.division_label(person.county)[-3:]}不动产权第{3000000 + i:07d}号",
            issued_on=issued,
        )
    if i == 5:  # noqa: PLR2004 - one physician among the demo citizens
        await _issue(
            ctx,
            "physician_practice",
            f"{_prefecture(person.county)}-health",
            holder,
            {
                "name": person.name,
                "sex": sex,
                "birth_date": birth.isoformat(),
                "physician_level": "执业医师",
                "practice_category": "临床",
                "practice_scope": "内科专业",
                "practice_place": "甘肃省",
                "institution": "兰州市第一人民医院",
            },
            number=f"1106201{i:02d}00{birth.year}{i:04d}",
            issued_on=issued,
        )


async def _enterprise_licences(ctx: ServiceContext, i: int, enterprise: DemoEnterprise) -> None:
    holder = HolderInput(kind="enterprise", name=enterprise.name, id_number=enterprise.uscc)
    established = date(2010 + i % 12, 1 + i % 12, 1 + (i * 3) % 27)
    individual = enterprise.industry == "个体工商户"
    await _issue(
        ctx,
        "business_licence",
        f"{enterprise.county}-market_regulation",
        holder,
        {
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "entity_type": "个体工商户" if individual else "有限责任公司（自然人投资或控股）",
            "legal_representative": enterprise.legal_representative,
            "domicile": enterprise.address,
            "registered_capital": "—" if individual else f"{(i + 1) * 500}万元人民币",
            "established_on": established.isoformat(),
            "business_scope": f"{enterprise.industry}相关经营活动（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        },
        number=enterprise.uscc,
        issued_on=established,
    )
    if enterprise.industry in FOOD_INDUSTRIES:
        issued = date(2024, 1 + i % 12, 10)
        await _issue(
            ctx,
            "food_business_licence",
            f"{enterprise.county}-market_regulation",
            holder,
            {
                "operator_name": enterprise.name,
                "uscc": enterprise.uscc,
                "legal_representative": enterprise.legal_representative,
                "domicile": enterprise.address,
                "premises": enterprise.address,
                "business_form": "餐饮服务经营者（小型餐馆）" if enterprise.industry in {"餐饮", "个体工商户"} else "食品销售经营者（食品贸易商）",
                "business_items": "热食类食品制售" if enterprise.industry in {"餐饮", "个体工商户"} else "预包装食品（含冷藏冷冻食品）销售",
                "daily_supervisor": f"{identity.division_label(enterprise.county)[-3:]}市场监督管理所",
            },
            number=f"JY{'2' if enterprise.industry in {'餐饮', '个体工商户'} else '1'}{enterprise.county}{10000000 + i:08d}",
            issued_on=issued,
        )
    if enterprise.industry in {"新能源", "材料"}:
        await _issue(
            ctx,
            "construction_permit",
            f"{enterprise.county}-housing",
            holder,
            {
                "builder": enterprise.name,
                "project_name": f"{enterprise.name.removesuffix('有限公司')}生产基地一期工程",
                "site_address": enterprise.address,
                "scale": "建筑面积 24,600 平方米",
                "contract_price": "8,650 万元",
                "contractor": "甘肃第一建设集团有限责任公司",
                "supervisor": "甘肃省建设监理有限责任公司",
                "contract_period": "540 日历天",
            },
            number=f"{enterprise.county}202{i % 5}0{i:03d}0101",
            issued_on=date(2025, 3, 1 + i),
        )
    if enterprise.industry == "农业" and i % 2 == 1:
        await _issue(
            ctx,
            "road_transport_licence",
            f"{enterprise.county}-transport",
            holder,
            {
                "operator_name": enterprise.name,
                "uscc": enterprise.uscc,
                "address": enterprise.address,
                "economic_type": "有限责任公司",
                "business_scope": "道路普通货物运输",
            },
            number=f"甘交运管许可{identity.division_label(enterprise.county)[-3:-1]}字{620000000000 + i:012d}号",
            issued_on=date(2024, 6, 1 + i),
        )


async def seed_licences(ctx: ServiceContext, persons: list[DemoPerson], enterprises: list[DemoEnterprise]) -> None:
    """Issue the demo licences.

    Every citizen gets a 居民身份证, 户口簿 and 社会保障卡 (couples a 结婚证, some a 教师资格证 or 不动产权证书);
    every enterprise a 营业执照 (food businesses a 食品经营许可证, builders a 建筑工程施工许可证 …).
    """
    rng = random.Random(20261127)  # noqa: S311 - reproducible demo data
    for i, person in enumerate(persons):
        # Neighbouring citizens 0–1, 2–3 … of different sex are married to each other.
        partner = persons[i + 1] if i % 2 == 0 and i + 1 < len(persons) else (persons[i - 1] if i % 2 == 1 else None)
        spouse = partner if partner is not None and sex_of(partner.id_number) != sex_of(person.id_number) else None
        await _person_licences(ctx, rng, i, person, spouse)
    for i, enterprise in enumerate(enterprises):
        await _enterprise_licences(ctx, i, enterprise)
    await seed_external(ctx, persons[:EXTERNAL_HOLDERS])


# --- 互通互认: a second, "external province" issuer -------------------------------------------------------

EXTERNAL_HOLDERS = 3
EXTERNAL_REGION = "四川省"
EXTERNAL_NAME = "四川省教育厅"
EXTERNAL_KEY_FILE = "sichuan-education.pem"
EXTERNAL_STATUS_FILE = "sichuan-education-status.json"
EXTERNAL_REVOKED = 2  # the third demo citizen's 教师资格证 is revoked in Sichuan


def external_keypair(var_dir: Path) -> SM2KeyPair:
    """The demo external issuer's SM2 key, generated on first use in the var dir (never in the repository)."""
    path = var_dir / "external-issuers" / EXTERNAL_KEY_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_bytes(sm2_private_key_to_pem(generate_sm2_keypair()))
        path.chmod(0o600)
    return sm2_keypair_from_pem(path.read_bytes())


async def seed_external(ctx: ServiceContext, persons: list[DemoPerson]) -> None:
    """四川省教育厅 as a trusted external issuer and the 教师资格证 it sealed for the first demo citizens.

    The licences are imported through the same path a holder's upload takes.
    """
    keypair = external_keypair(ctx.settings.var_dir)
    uscc = government_uscc("510000-education", "510000")
    with contextlib.suppress(Conflict):
        async with ctx.session.begin_nested():
            await trust.add_trusted_issuer(
                ctx,
                TrustedIssuerInput(
                    uscc=uscc,
                    name=EXTERNAL_NAME,
                    region=EXTERNAL_REGION,
                    public_key=sm2_public_key_to_pem(keypair.public_key).decode(),
                    trust_level="A",
                    valid_from=date(2015, 1, 1),
                    note="演示：外省政务服务平台签发机构（密钥由演示数据在 var 目录生成）",
                ),
            )
    licence_type = type_by_key("teacher_qualification")
    assert licence_type is not None  # noqa: S101 - a key of the shipped catalogue
    revoked: list[dict[str, object]] = []
    for i, person in enumerate(persons):
        issued = date(2018 + i, 7, 1)
        claims = sealing.claims(
            identifier=make_identifier(licence_type.code, uscc, f"{51000001 + i:08d}", 1),
            type_code=licence_type.code,
            type_name=licence_type.name,
            number=f"{issued.year}51{1030000000 + i:010d}",
            holder_name=person.name,
            holder_id_type="公民身份号码",
            holder_id_number=person.id_number,
            issuer_name=EXTERNAL_NAME,
            issuer_uscc=uscc,
            issuer_division="510000",
            issued_on=issued,
            valid_from=issued,
            valid_until=None,
            trust_level="A",
            version=1,
            status_index=9000 + i,
            data={
                "name": person.name,
                "sex": sex_of(person.id_number),
                "birth_date": birth_date_of(person.id_number).isoformat(),
                "qualification_type": ("小学教师资格", "初级中学教师资格", "高级中学教师资格")[i % 3],
                "subject": ("语文", "数学", "英语")[i % 3],
                "id_number": person.id_number,
            },
        )
        document = trust.external_document(claims, private_key=keypair.private_key, key_id=sm3_hex(keypair.public_key))
        with contextlib.suppress(Conflict):
            async with ctx.session.begin_nested():
                await trust.import_external_licence(ctx, document)
        if i == EXTERNAL_REVOKED:
            since = (datetime.now(UTC) - timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
            revoked.append({"statusIndex": 9000 + i, "licence": licence_key(claims["identifier"]), "status": "revoked", "since": since.isoformat()})
    await publish_external_status(ctx, keypair, uscc, revoked)


async def publish_external_status(ctx: ServiceContext, keypair: SM2KeyPair, uscc: str, entries: list[dict[str, object]]) -> None:
    """四川省教育厅 publishes its signed status list (as its platform would) and this platform pulls it through the feed."""
    listing = feeds.issuer_status_list(entries, private_key=keypair.private_key, key_id=sm3_hex(keypair.public_key), issuer=f"demo:{uscc}")
    folder = feeds.feed_folder(ctx.settings)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / EXTERNAL_STATUS_FILE).write_text(json.dumps(listing, ensure_ascii=False, indent=1), encoding="utf-8")
    await feeds.set_status_feed(ctx, uscc, f"file:{EXTERNAL_STATUS_FILE}")
    await feeds.pull_feed_now(ctx, uscc)
