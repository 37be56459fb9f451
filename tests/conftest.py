"""Shared fixtures: one migrated database per run (SQLite by default, PostgreSQL when
LONGGOV_TEST_DATABASE_URL is set), the app, HTTP clients and per-domain factories."""

from __future__ import annotations

import os
import random
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pyotp
import pytest
from litestar import Litestar

from longgov.config import Settings
from longgov.identity import services as identity
from longgov.identity.codes import make_resident_id, make_uscc
from longgov.identity.schemas import NewStaff
from longgov.migrations import upgrade
from longgov.notify.services import latest_message_to
from longgov.platform import Platform, ServiceContext
from longgov.timelimits.services import seed_reference_calendar
from tests.pg_support import pg_admin_url, pg_execute, with_database

PASSWORD = "Correct-horse-9"
STAFF_PASSWORD = "Staff-password-2024"
_rng = random.Random()  # noqa: S311 - test data only


@pytest.fixture(scope="session")
def var_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="longgov-test-"))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """The test database: SQLite in the session's var dir, or PostgreSQL — one fresh database per xdist worker."""
    url = os.environ.get("LONGGOV_TEST_DATABASE_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        yield url
        return
    admin_url, base = pg_admin_url(url)
    name = re.sub(r"[^a-z0-9_]", "_", f"{base}_{worker}".lower())[:63]
    pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    try:
        yield with_database(url, name)
    finally:
        pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def settings(var_dir: Path, database_url: str) -> Settings:
    return Settings(mode="test", var_dir=var_dir, database_url=database_url, session_idle_seconds=1800)


@pytest.fixture(scope="session")
def migrated(settings: Settings) -> Settings:
    upgrade(settings)
    return settings


@pytest.fixture(scope="session")
async def platform(migrated: Settings) -> AsyncIterator[Platform]:
    platform = Platform.build(migrated)
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        await identity.sync_organisations(ctx)
        await seed_reference_calendar(ctx)
    yield platform
    await platform.db.dispose()


@pytest.fixture(scope="session")
def app(platform: Platform) -> Litestar:
    from longgov.app import create_app

    return create_app(platform.settings, platform=platform)


def _http_client(app: Litestar) -> httpx.AsyncClient:
    # In-process ASGI calls; the app needs no lifespan events (the platform is built by the fixture).
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)), base_url="http://testserver.local")


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with _http_client(app) as c:
        yield c


@pytest.fixture
async def new_client(app: Litestar):
    """Factory for extra independent clients (each with its own cookies)."""
    clients: list[httpx.AsyncClient] = []

    async def make() -> httpx.AsyncClient:
        c = _http_client(app)
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


async def csrf_headers(c: httpx.AsyncClient) -> dict[str, str]:
    """Fetch a page so the CSRF cookie is set, and return the header that echoes it."""
    if "lg_csrf" not in c.cookies:
        await c.get("/login/person")
    return {"x-csrftoken": c.cookies["lg_csrf"]}


@dataclass
class PersonFixture:
    id: object
    name: str
    id_number: str
    phone: str
    password: str


@dataclass
class StaffFixture:
    account_id: object
    username: str
    password: str
    totp_secret: str
    roles: list[str]
    organisation: str


@dataclass
class EnterpriseFixture:
    id: object
    uscc: str
    phone: str
    password: str
    name: str


def random_phone() -> str:
    return f"1{_rng.choice('3578')}{_rng.randint(0, 9)}{_rng.randint(10_000_000, 99_999_999)}"


def random_resident_id(region: str = "620102") -> str:
    return make_resident_id(region, date(_rng.randint(1950, 2005), _rng.randint(1, 12), _rng.randint(1, 28)), _rng.randint(0, 999))


@pytest.fixture
def make_person(platform: Platform):
    async def make(region: str = "620102", name: str = "测试公民") -> PersonFixture:
        id_number, phone = random_resident_id(region), random_phone()
        async with platform.db.transaction() as session:
            person = await identity.register_person(
                ServiceContext(session=session, platform=platform),
                name=name,
                id_number=id_number,
                phone=phone,
                password=PASSWORD,
                address="甘肃省兰州市城关区测试路1号",
            )
        return PersonFixture(person.id, name, id_number, phone, PASSWORD)

    return make


@pytest.fixture
def make_enterprise(platform: Platform):
    async def make(region: str = "620102") -> EnterpriseFixture:
        body = "".join(_rng.choice("0123456789ABCDEFGH") for _ in range(8))
        uscc, phone = make_uscc("9", "1", region, body), random_phone()
        name = f"测试企业{body}有限公司"
        async with platform.db.transaction() as session:
            enterprise = await identity.register_enterprise(
                ServiceContext(session=session, platform=platform),
                name=name,
                uscc=uscc,
                legal_representative="张三",
                phone=phone,
                division_code=region,
                password=PASSWORD,
            )
        return EnterpriseFixture(enterprise.id, uscc, phone, PASSWORD, name)

    return make


@pytest.fixture
def make_staff(platform: Platform):
    async def make(roles: list[str], organisation: str = "620100-market_regulation") -> StaffFixture:
        username = f"t{_rng.randrange(16**10):010x}"
        async with platform.db.transaction() as session:
            created = await identity.create_staff(
                ServiceContext(session=session, platform=platform),
                NewStaff(username=username, display_name="测试人员", organisation_code=organisation, roles=roles, password=STAFF_PASSWORD),
            )
        return StaffFixture(created.account_id, username, STAFF_PASSWORD, created.totp_secret, roles, organisation)

    return make


async def sms_code(platform: Platform, phone: str) -> str:
    """The newest login code the local SMS gateway wrote for ``phone``."""
    async with platform.db.transaction() as session:
        body = await latest_message_to(session, platform.codec, phone)
    assert body is not None, "no SMS in the outbox"
    match = re.search(r"验证码为(\d{6})", body)
    assert match, body
    return match.group(1)


async def login_person(c: httpx.AsyncClient, platform: Platform, person: PersonFixture) -> None:
    headers = await csrf_headers(c)
    r = await c.post("/api/v1/auth/login", json={"portal": "person", "identifier": person.id_number, "password": person.password}, headers=headers)
    assert r.status_code == 200, r.text
    r = await c.post("/api/v1/auth/verify", json={"code": await sms_code(platform, person.phone)}, headers=headers)
    assert r.status_code == 200, r.text


async def login_enterprise(c: httpx.AsyncClient, platform: Platform, enterprise: EnterpriseFixture) -> None:
    headers = await csrf_headers(c)
    r = await c.post("/api/v1/auth/login", json={"portal": "enterprise", "identifier": enterprise.uscc, "password": enterprise.password}, headers=headers)
    assert r.status_code == 200, r.text
    r = await c.post("/api/v1/auth/verify", json={"code": await sms_code(platform, enterprise.phone)}, headers=headers)
    assert r.status_code == 200, r.text


async def login_staff(c: httpx.AsyncClient, staff: StaffFixture) -> None:
    headers = await csrf_headers(c)
    r = await c.post("/api/v1/auth/login", json={"portal": "staff", "identifier": staff.username, "password": staff.password}, headers=headers)
    assert r.status_code == 200, r.text
    r = await c.post("/api/v1/auth/verify", json={"code": pyotp.TOTP(staff.totp_secret).now()}, headers=headers)
    assert r.status_code == 200, r.text


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps its own event loop running,
    which would clash with the asyncio loop of the async tests if they came after it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
