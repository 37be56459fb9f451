"""Applications fixtures: the demo catalogue seeded, a logged-in applicant and helpers."""

import pytest

from longgov.catalog import services as catalog
from longgov.platform import ServiceContext

FOOD = "620A0005000000"
GOOD_FOOD_FORM = {
    "operator_name": "兰州测试餐饮有限公司",
    "uscc": "91620102MA71234567",
    "legal_representative": "张三",
    "premises_address": "甘肃省兰州市城关区测试路1号",
    "business_type": "餐饮服务经营者",
    "business_items": "热食类食品制售",
    "premises_area": 120,
    "employees": 8,
    "food_safety_officer": "李四",
    "planned_opening": "2026-12-01",
    "contact_phone": "13912345678",
    "commitment": True,
}
PDF = b"%PDF-1.7\n%test\n"


@pytest.fixture
async def seeded(platform):
    async with platform.db.transaction() as session:
        await catalog.seed_catalog(ServiceContext(session=session, platform=platform))
    return platform


async def item_code(platform, basic_code: str) -> str:
    async with platform.db.transaction() as session:
        views = await catalog.published_views(ServiceContext(session=session, platform=platform))
    return next(v.code for v in views if v.basic_code == basic_code)


async def upload_all(client, headers, draft):
    for m in draft["materials"]:
        if m["required"] and not m["replaceable"]:
            r = await client.post(
                f"/api/v1/applications/{draft['id']}/materials",
                headers=headers,
                data={"material": str(m["index"])},
                files={"file": (f"材料{m['index']}.pdf", PDF, "application/pdf")},
            )
            assert r.status_code == 201, r.text
