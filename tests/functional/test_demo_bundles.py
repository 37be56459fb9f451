"""Demo 一件事 cases: a fresh demo database gets bundle cases in every state, through the real services, once.

The demo is seeded as ``longgov demo`` seeds it (fewer citizens) on a database of its own: the first citizen's
开办餐饮店 is completed with every result (the new 营业执照 filling the food licence, a 补正 on the way), the
second citizen's 企业开办 waits on its accepted registration and their other restaurant has its sign refused,
the first married couple's newborn is registered, the third citizen's flat is transferred with the utilities
answering on the timeline; the key-item pages measure the completed cases of the current period. A second run adds nothing.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from longgov.app import all_modules
from longgov.applications import services as applications
from longgov.applications.models import Application
from longgov.config import Settings
from longgov.demo import seed_demo
from longgov.demo_bundles import COMPANY, FOOD, REGISTRATION, SIGN
from longgov.identity import services as identity
from longgov.kernel import events
from longgov.migrations import upgrade
from longgov.onething import keyitems
from longgov.onething import services as onething
from longgov.onething.models import BundleCase, BundleCaseEvent, KeyItemReview
from longgov.onething.schemas import CaseView
from longgov.platform import Platform, ServiceContext

PERSONS = 8  # the first eight demo citizens hold a married couple (6–7)


def _admin(server: str, statement: str) -> None:
    async def run() -> None:
        engine = create_async_engine(Settings(database_url=f"{server}/postgres").effective_database_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A database of its own (the seeding runs once per database): a new SQLite file, or a new database on the test PostgreSQL server."""
    url = os.environ.get("LONGGOV_TEST_DATABASE_URL", "")
    server, database = "", ""
    if url:
        server, _, name = url.rpartition("/")
        database = f"{name}_demo_{secrets.token_hex(4)}"
        _admin(server, f'CREATE DATABASE "{database}"')
        url = f"{server}/{database}"
    settings = Settings(mode="test", var_dir=Path(tmp_path_factory.mktemp("demo-bundles")), database_url=url)
    upgrade(settings)
    yield settings
    if database:
        _admin(server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def _seed(platform: Platform) -> list[str]:
    """Seed as ``longgov demo`` does; the printed citizens' ID numbers."""
    async with platform.db.transaction() as session:
        logins, _ = await seed_demo(ServiceContext(session=session, platform=platform), persons=PERSONS)
    return [login.identifier for login in logins if login.portal == "person"]


@pytest.fixture(scope="module")
async def seeded_demo(demo_settings: Settings) -> AsyncIterator[tuple[Platform, list[str]]]:
    # As ``longgov demo``: the modules' subscribers hear of the seeding's steps once it has committed.
    events.bus.install([s for m in all_modules(demo_settings) for s in m.subscriptions])
    platform = Platform.build(demo_settings)
    citizens = await _seed(platform)
    yield platform, citizens
    await platform.db.dispose()


@pytest.fixture
def demo(seeded_demo: tuple[Platform, list[str]]) -> Platform:
    return seeded_demo[0]


@pytest.fixture
def citizens(seeded_demo: tuple[Platform, list[str]]) -> list[str]:
    return seeded_demo[1]


async def _as(session: Any, platform: Platform, login: str) -> ServiceContext:
    """A demo citizen (by ID number) or staff member (by username)."""
    portal = "person" if login[:1].isdigit() else "staff"
    principal = await identity.principal_by_login(ServiceContext(session=session, platform=platform), portal, login)
    assert principal is not None, login
    return ServiceContext(session=session, platform=platform, actor=principal)


async def _cases(platform: Platform, login: str) -> list[CaseView]:
    async with platform.db.transaction() as session:
        ctx = await _as(session, platform, login)
        mine, _ = await onething.list_mine(ctx)
        return [await onething.get_case(ctx, c.id) for c in mine]


def _member(case: CaseView, basic_code: str) -> Any:
    return next(m for m in case.members if m.basic_code == basic_code)


async def _counts(platform: Platform) -> tuple[int, int, int, int]:
    async with platform.db.transaction() as session:
        counts = [
            int((await session.execute(select(func.count()).select_from(model))).scalar_one())
            for model in (BundleCase, BundleCaseEvent, KeyItemReview, Application)
        ]
    return counts[0], counts[1], counts[2], counts[3]


async def test_the_first_citizen_has_a_restaurant_opened_with_every_result(demo, citizens):
    [case] = await _cases(demo, citizens[0])
    assert (case.bundle_code, case.status) == ("open_restaurant", "completed")
    assert [m.basic_code for m in case.members] == [REGISTRATION, FOOD, SIGN]
    assert all(m.state == "granted" for m in case.members)
    assert case.members_granted == 3
    assert case.completed_at is not None
    # Each member has its decision letter; the registration and the food licence their licences too.
    for m in case.members:
        assert any(r.kind == "document" for r in m.results), m
    licence = next(r for r in _member(case, REGISTRATION).results if r.kind == "licence")
    assert "营业执照" in licence.title
    assert any(r.kind == "licence" and "食品经营许可证" in r.title for r in _member(case, FOOD).results)
    async with demo.db.transaction() as session:
        ctx = await _as(session, demo, citizens[0])
        # The food licence was filled from the 营业执照 the registration issued (a new credit code), after one 补正.
        food = await applications.get_mine(ctx, _member(case, FOOD).application_id)
        assert food.form["uscc"] == licence.number
        assert food.status == "delivered"
        timeline = await onething.timeline(ctx, case.id)
        name, payload = await onething.results_zip(ctx, case.id)
    steps = [e.step for e in timeline]
    assert "correction_notice" in steps
    assert any(s.startswith("resubmit:") for s in steps)
    with zipfile.ZipFile(io.BytesIO(payload)) as package:
        files = package.namelist()
    assert name.endswith(".zip")
    assert len([f for f in files if "准予" in f]) == 3, files
    assert any("营业执照" in f for f in files), files
    assert any("食品经营许可证" in f for f in files), files


async def test_the_second_citizen_waits_on_a_registration_and_has_a_sign_refused(demo, citizens):
    cases = {c.bundle_code: c for c in await _cases(demo, citizens[1])}
    enterprise = cases["start_enterprise"]
    assert enterprise.status == "in_progress"
    registration = _member(enterprise, COMPANY)
    assert (registration.state, registration.application_status) == ("started", "accepted")
    waiting = [m for m in enterprise.members if m.basic_code != COMPANY]
    assert len(waiting) == 4
    assert all(m.state == "waiting" and m.application_id is None for m in waiting)
    assert all("企业设立登记" in (m.note or "") for m in waiting)

    partial = cases["open_restaurant"]
    assert partial.status == "partially_completed"
    assert [(_member(partial, c).state) for c in (REGISTRATION, FOOD, SIGN)] == ["granted", "granted", "denied"]
    sign = _member(partial, SIGN)
    assert "禁止设置" in (sign.reason or "")
    assert sign.may_reapply is True
    assert any("户外广告设施设置审批" in s for s in partial.next_steps), partial.next_steps


async def test_a_newborn_is_registered_across_three_departments(demo):
    async with demo.db.transaction() as session:
        row = (await session.execute(select(BundleCase).where(BundleCase.bundle_code == "newborn_birth"))).scalar_one()
        principal = await identity.principal_by_login_id(ServiceContext(session=session, platform=demo), row.applicant_account_id)
        case = await onething.get_case(ServiceContext(session=session, platform=demo, actor=principal), row.id)
    assert case.status == "completed"
    # The mother applied: the 出生医学证明 was issued to her wallet and filled the 出生登记 and the 医保 of the newborn.
    assert case.form["mother_name"] == case.applicant_name
    assert [m.state for m in case.members] == ["granted", "granted", "granted"]
    assert len({m.department for m in case.members}) == 3


async def test_the_flat_is_transferred_and_the_utilities_answer_on_the_timeline(demo, citizens):
    [case] = await _cases(demo, citizens[2])
    assert (case.bundle_code, case.status) == ("home_transfer", "completed")
    async with demo.db.transaction() as session:
        timeline = await onething.timeline(await _as(session, demo, citizens[2]), case.id)
    titles = [e.title for e in timeline]
    assert "已向供水、供电、燃气单位发起联动过户" in titles
    assert "供水户已过户至新产权人" in titles
    assert "供电户已过户至新产权人" in titles
    assert any(t.startswith("燃气户未能过户") and "欠费86.40元" in t for t in titles), titles


async def test_the_key_items_measure_the_completed_cases_of_the_current_period(demo):
    async with demo.db.transaction() as session:
        ctx = await _as(session, demo, "lz_scjg_leader")
        restaurant = await keyitems.get_key_item(ctx, "open_restaurant")
        newborn = await keyitems.get_key_item(ctx, "newborn_birth")
    # No routine review is due yet (the period has not ended); the current period so far counts the completed
    # case, not the partly refused one.
    assert restaurant.reviews == []
    current = restaurant.current
    assert current is not None
    assert current.sample_size == 1
    assert current.outcome in {"met", "missed"}
    assert current.review_on > current.through
    metrics = {m.metric: m for m in current.metrics}
    assert metrics["days"].median == 0.0
    assert (metrics["materials"].median or 0) > 0
    assert newborn.current is not None
    assert newborn.current.sample_size == 1


async def test_a_second_run_adds_nothing(demo):
    before = await _counts(demo)
    assert before[0] == 5
    await _seed(demo)
    assert await _counts(demo) == before
    # Nothing of the cases was left open for the events delivered after the seeding committed.
    async with demo.db.transaction() as session:
        rows = (await session.execute(select(BundleCase.number, BundleCase.status))).tuples().all()
    assert sorted(status for _, status in rows) == ["completed", "completed", "completed", "in_progress", "partially_completed"]
    assert all(number and number.startswith("YJS") for number, _ in rows)
