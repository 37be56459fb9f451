"""On PostgreSQL a unit of work that is issuing licences does not hold up other issuers on the shared counters.

Status-list positions (one counter for the whole province) and serials are reserved in a unit of work of their
own that commits at once: a long register import or a slow grant leaves everyone else free to issue.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from longgov.identity.codes import make_uscc
from longgov.licences import services as licences
from longgov.licences.models import Licence
from longgov.licences.schemas import HolderInput
from longgov.platform import ServiceContext

MARKET = "620102-market_regulation"


async def _issue(platform, session, body: str):
    uscc = make_uscc("9", "1", "620102", body)
    return await licences.issue_licence(
        ServiceContext(session=session, platform=platform),
        "business_licence",
        MARKET,
        HolderInput(kind="enterprise", name=f"兰州并发测试{body}有限公司", id_number=uscc),
        {
            "uscc": uscc,
            "name": f"兰州并发测试{body}有限公司",
            "entity_type": "有限责任公司（自然人投资或控股）",
            "legal_representative": "张三",
            "domicile": "甘肃省兰州市城关区庆阳路1号",
            "registered_capital": "100万元人民币",
            "established_on": "2020-05-01",
            "business_scope": "餐饮服务",
        },
        number=uscc,
    )


async def test_an_open_unit_of_work_that_issued_a_licence_does_not_hold_up_another_issuer(platform):
    if platform.db.kind != "postgresql":
        pytest.skip("SQLite has one writer at a time: there the reservation is part of the caller's unit of work")
    tag = f"{id(platform) % 10_000:04d}"

    async def elsewhere():
        async with platform.db.transaction() as other:
            return await _issue(platform, other, f"B{tag}CD1")

    # The department's seal key exists (its first use creates it, once).
    async with platform.db.transaction() as session:
        await _issue(platform, session, f"C{tag}CD1")
    async with platform.db.transaction() as session:
        first = await _issue(platform, session, f"A{tag}CD1")
        # Still open: with the counters locked until it commits, this would wait for ever.
        second = await asyncio.wait_for(elsewhere(), timeout=15)
    assert second.identifier != first.identifier
    async with platform.db.transaction() as session:
        rows = list((await session.execute(select(Licence).where(Licence.identifier.in_([first.identifier, second.identifier])))).scalars())
    assert len(rows) == 2
    assert rows[0].status_index != rows[1].status_index
    assert rows[0].serial != rows[1].serial
