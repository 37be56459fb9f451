"""Catalogue search finds bundles (一件事) as ``{"kind": "bundle"}`` results among the items, without the catalogue importing them:
the bundles module contributes them through the kernel's search sources, and the index follows their publication."""

from __future__ import annotations

from typing import Any

import pytest

from longgov.kernel.registry import search_sources
from longgov.onething import services as onething
from longgov.platform import ServiceContext

SEARCH = "/api/v1/catalog/search"


@pytest.fixture
async def bundles(seeded):
    async with seeded.db.transaction() as session:
        await onething.seed_bundles(ServiceContext(session=session, platform=seeded))
    return seeded


async def _results(client: Any, q: str, **params: Any) -> list[dict[str, Any]]:
    r = await client.get(SEARCH, params={"q": q, **params})
    assert r.status_code == 200, r.text
    results: list[dict[str, Any]] = r.json()["results"]
    return results


async def test_a_life_event_finds_its_bundle_first_and_items_stay_items(client, bundles):
    results = await _results(client, "开餐馆要办哪些手续")
    first = results[0]
    assert first["kind"] == "bundle"
    assert first["code"] == "open_restaurant"
    assert first["name"] == "开办餐饮店"
    assert first["url"] == "/citizen/onething/bundles/open_restaurant"
    assert first["department"] == "城关区市场监督管理局"
    assert first["details"]["runnable"] is True
    departments = first["details"]["departments"]
    assert departments[0] == "城关区市场监督管理局"
    assert len(departments) == 3  # market regulation, urban management, fire and rescue
    # The items it comprises are still found, as items.
    food = next(r for r in results if r["name"] == "食品经营许可")
    assert food["kind"] == "item"
    assert {"code", "department", "item_type", "promised_days", "url"} <= set(food)
    assert all(r["kind"] in {"item", "bundle"} for r in results)

    for query, code in (("开饭店", "open_restaurant"), ("企业开办", "start_enterprise"), ("生孩子要办什么", "newborn_birth"), ("退休", "retirement")):
        top = (await _results(client, query))[0]
        assert (top["kind"], top["code"]) == ("bundle", code), query
    # A specific item asked for by name stays first; its bundle follows.
    results = await _results(client, "新生儿上户口")
    assert results[0]["kind"] == "item"
    assert results[0]["name"] == "出生登记"
    assert any(r["kind"] == "bundle" and r["code"] == "newborn_birth" for r in results)
    # Enterprise bundles open in the enterprise portal.
    credit = next(r for r in await _results(client, "信用修复") if r["kind"] == "bundle")
    assert credit["url"] == "/enterprise/onething/bundles/credit_repair"


async def test_the_search_page_shows_bundles_and_the_index_follows_publication(client, bundles):
    r = await client.get("/citizen/search", params={"q": "开餐馆要办哪些手续"})
    assert r.status_code == 200
    found = r.text[r.text.index('id="search-results"') :]
    first = found[: found.index("</li>")]
    assert 'data-kind="bundle"' in first
    assert 'href="/citizen/onething/bundles/open_restaurant"' in first
    assert "一次申请 · 网上可办" in first
    assert 'data-kind="item"' in found

    # A new alias is searchable once the new version is published, not before.
    async with bundles.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=bundles)
        raw = onething.shipped_definitions()
        definition = next(d for d in raw if d["code"] == "open_restaurant")
        await onething.update_bundle(ctx, "open_restaurant", {**definition, "aliases": [*definition["aliases"], "灶台烟火气"]})
    assert not any(r["code"] == "open_restaurant" for r in await _results(client, "灶台烟火气"))
    async with bundles.db.transaction() as session:
        await onething.publish_bundle(ServiceContext(session=session, platform=bundles), "open_restaurant")
    assert (await _results(client, "灶台烟火气"))[0]["code"] == "open_restaurant"


async def test_the_catalogue_knows_bundles_only_through_the_installed_source(client, bundles):
    # The app installed the bundles module's source (the import contracts keep onething out of the catalogue).
    assert [s.name for s in search_sources.all()] == ["onething"]
    results = await _results(client, "公积金怎么取")
    assert results[0]["kind"] == "item"
    assert results[0]["name"] == "住房公积金提取"
