"""Demo data: realistic citizens, enterprises and staff across Gansu, created idempotently.

Everything is generated from public facts (division codes, department names, common surnames)
with a fixed random seed, so two runs give the same people and the same logins.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import date

from longgov.catalog import services as catalog
from longgov.demo_bundles import seed_demo_bundles
from longgov.demo_cases import seed_demo_cases
from longgov.identity import services as identity
from longgov.identity.codes import make_resident_id, make_uscc
from longgov.identity.schemas import NewStaff
from longgov.kernel.errors import Conflict
from longgov.licences import demo as licences_demo
from longgov.onething import keyitems
from longgov.onething import services as onething
from longgov.platform import ServiceContext
from longgov.timelimits import services as timelimits

DEMO_PASSWORD = "Gansu2024demo"  # noqa: S105 - demo accounts only; demo mode refuses to run in production
DEMO_STAFF_PASSWORD = "Gansu2024staff!"  # noqa: S105

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "建国",
    "秀英",
    "志强",
    "丽娟",
    "海燕",
    "永红",
    "文博",
    "雅琴",
    "国庆",
    "玉兰",
    "晓东",
    "春梅",
    "天佑",
    "雪梅",
    "子涵",
    "浩然",
    "欣怡",
    "宇航",
    "思远",
    "嘉怡",
    "俊杰",
    "梦瑶",
    "明轩",
    "佳琪",
    "振华",
    "淑珍",
    "建军",
    "桂兰",
    "学文",
    "慧敏",
]
COUNTIES = [
    "620102",
    "620103",
    "620104",
    "620105",
    "620111",
    "620121",
    "620302",
    "620402",
    "620502",
    "620602",
    "620702",
    "620802",
    "620902",
    "621002",
    "621102",
    "621202",
    "622901",
    "623001",
]
ENTERPRISES = [
    ("甘肃陇原牛羊肉食品有限公司", "620121", "农产品加工"),
    ("兰州黄河云数据科技有限公司", "620102", "数据服务"),
    ("天水花牛苹果产销专业合作社", "620502", "农业"),
    ("定西马铃薯产业开发有限责任公司", "621102", "农业"),
    ("酒泉风光新能源科技有限公司", "620902", "新能源"),
    ("庆阳东数西算算力服务有限公司", "621002", "算力"),
    ("陇南橄榄油产业发展有限公司", "621202", "农产品加工"),
    ("张掖丝路文旅开发有限公司", "620702", "文旅"),
    ("白银铜城新材料有限公司", "620402", "材料"),
    ("临夏河州清真餐饮管理有限公司", "622901", "餐饮"),
    ("兰州安宁区晨光小吃店", "620105", "个体工商户"),
    ("武威凉州葡萄酒业有限公司", "620602", "酒类"),
]


@dataclass(frozen=True)
class DemoLogin:
    """A demo login printed on start-up."""

    portal: str
    identifier: str
    password: str
    name: str
    second_factor: str


STAFF: list[tuple[str, str, str, list[str]]] = [
    # username, display name, organisation code, roles
    ("sysadmin", "赵系统", "620000-data", ["system_admin"]),
    ("secadmin", "钱安全", "620000-data", ["security_admin"]),
    ("auditor", "孙审计", "620000-data", ["audit_admin"]),
    ("lz_scjg_window", "李受理", "620100-market_regulation", ["counter_staff"]),
    ("lz_scjg_approver", "周审批", "620100-market_regulation", ["approver"]),
    ("lz_scjg_leader", "吴科长", "620100-market_regulation", ["department_leader", "approver"]),
    ("cg_scjg_window", "郑窗口", "620102-market_regulation", ["counter_staff"]),
    ("lz_rs_window", "王社保", "620100-human_resources", ["counter_staff"]),
    ("lz_ga_window", "冯户政", "620100-public_security", ["counter_staff"]),
    ("ts_scjg_approver", "陈审批", "620500-market_regulation", ["approver"]),
    ("lz_12345_agent", "褚坐席", "620100-government_services", ["hotline_agent"]),
    ("gs_zwfw_leader", "卫主任", "620000-government_services", ["department_leader"]),
]
# Staff of the other departments the demo's 一件事 cases pass through: created, not printed (TOTP: longgov users totp-code).
DEPARTMENT_STAFF: list[tuple[str, str, str, list[str]]] = [
    ("cg_cgj_window", "蒋窗口", "620102-urban_management", ["counter_staff"]),
    ("cg_cgj_leader", "沈科长", "620102-urban_management", ["department_leader", "approver"]),
    ("cg_wj_window", "秦窗口", "620102-health", ["counter_staff"]),
    ("cg_yb_window", "尤窗口", "620102-medical_security", ["counter_staff"]),
    ("lz_zrzy_window", "许窗口", "620100-natural_resources", ["counter_staff"]),
    ("lz_zrzy_leader", "何科长", "620100-natural_resources", ["department_leader", "approver"]),
]


async def seed_demo(ctx: ServiceContext, *, persons: int = 36) -> tuple[list[DemoLogin], dict[str, str]]:
    """Create organisations, persons, enterprises and staff; return demo logins and TOTP secrets."""
    await identity.sync_organisations(ctx)
    await timelimits.seed_reference_calendar(ctx)
    await catalog.seed_catalog(ctx)
    await onething.seed_bundles(ctx)
    await keyitems.seed_key_items(ctx)
    rng = random.Random(20241129)  # noqa: S311 - reproducible demo data, not security
    logins: list[DemoLogin] = []
    holders: list[licences_demo.DemoPerson] = []
    businesses: list[licences_demo.DemoEnterprise] = []
    for i in range(persons):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        county = COUNTIES[i % len(COUNTIES)]
        birth = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        id_number = make_resident_id(county, birth, rng.randint(0, 999))
        phone = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        address = f"{identity.division_label(county)}{rng.choice(['滨河路', '东岗西路', '建设路', '民主街', '人民路'])}{rng.randint(1, 300)}号"
        with contextlib.suppress(Conflict):
            await identity.register_person(ctx, name=name, id_number=id_number, phone=phone, password=DEMO_PASSWORD, address=address)
        holders.append(licences_demo.DemoPerson(name, id_number, county, address))
        if i < 3:  # noqa: PLR2004 - print a few, not all
            logins.append(DemoLogin("person", id_number, DEMO_PASSWORD, name, f"短信验证码（发往 {phone[:3]}****{phone[-4:]}，见 /demo/sms）"))
    for i, (name, county, industry) in enumerate(ENTERPRISES):
        # GB 32100: 市场监管 registers companies as 91…, individual businesses (个体工商户) as 92….
        authority, category = ("9", "2") if industry == "个体工商户" else ("9", "1")
        uscc = make_uscc(authority, category, county, f"{rng.randint(10_000_000, 99_999_999)}"[:8].replace("0", "A", 1))
        phone = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        legal = rng.choice(SURNAMES) + rng.choice(GIVEN)
        with contextlib.suppress(Conflict):
            await identity.register_enterprise(
                ctx,
                name=name,
                uscc=uscc,
                legal_representative=legal,
                phone=phone,
                division_code=county,
                password=DEMO_PASSWORD,
                address=f"{identity.division_label(county)}工业园区{i + 1}号",
            )
        businesses.append(licences_demo.DemoEnterprise(name, uscc, county, industry, legal, f"{identity.division_label(county)}工业园区{i + 1}号"))
        if i < 2:  # noqa: PLR2004
            logins.append(DemoLogin("enterprise", uscc, DEMO_PASSWORD, name, f"短信验证码（发往 {phone[:3]}****{phone[-4:]}，见 /demo/sms）"))
    await licences_demo.seed_licences(ctx, holders, businesses)
    secrets: dict[str, str] = {}
    for username, display, org, roles in [*STAFF, *DEPARTMENT_STAFF]:
        try:
            created = await identity.create_staff(
                ctx, NewStaff(username=username, display_name=display, organisation_code=org, roles=roles, password=DEMO_STAFF_PASSWORD)
            )
            secrets[username] = created.totp_secret
        except Conflict:
            secrets[username] = await identity.demo_totp_secret(ctx, username)
        if (username, display, org, roles) in STAFF:
            logins.append(DemoLogin("staff", username, DEMO_STAFF_PASSWORD, display, "TOTP 动态口令"))
    # Cases in every stage for the first citizens (the printed logins among them).
    await seed_demo_cases(ctx, [h.id_number for h in holders[:4]])
    await seed_demo_bundles(ctx, holders)
    return logins, secrets
