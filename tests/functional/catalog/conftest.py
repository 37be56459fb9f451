"""Catalogue fixtures: the demo catalogue seeded once, and a factory for throwaway items."""

import random

import pytest

from longgov.catalog import services as catalog
from longgov.catalog.schemas import NewItem
from longgov.platform import ServiceContext

_rng = random.Random()  # noqa: S311 - test data only


@pytest.fixture
async def seeded(platform):
    async with platform.db.transaction() as session:
        await catalog.seed_catalog(ServiceContext(session=session, platform=platform))
    return platform


def item_body(name: str = "测试事项", organisation: str = "620102-market_regulation") -> dict:
    """A valid new-item body with a fresh basic code."""
    return {
        "basic_code": f"620Z{_rng.randrange(10**10):010d}",
        "organisation_code": organisation,
        "content": {
            "name": name,
            "item_type": "行政许可",
            "legal_basis": ["《中华人民共和国行政许可法》第四十二条"],
            "conditions": "符合条件",
            "materials": [{"name": "申请书", "form": "电子件"}],
            "statutory_days": 20,
            "promised_days": 5,
            "channels": ["online"],
        },
    }


@pytest.fixture
def make_item(platform):
    async def make(name: str = "测试事项", organisation: str = "620102-market_regulation", *, publish: bool = True) -> str:
        async with platform.db.transaction() as session:
            view = await catalog.create_item(
                ServiceContext(session=session, platform=platform), NewItem.model_validate(item_body(name, organisation)), publish=publish
            )
        return view.code

    return make
