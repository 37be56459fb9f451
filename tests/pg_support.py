"""PostgreSQL test databases: the maintenance URL of a test server and statements run on it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
from urllib.parse import urlsplit, urlunsplit


def pg_admin_url(url: str) -> tuple[str, str]:
    """(URL of the server's ``postgres`` database, name of the test database) for a PostgreSQL URL."""
    parts = urlsplit(re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url))
    name = parts.path.lstrip("/") or "longgov_test"
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, "")), name


def with_database(url: str, name: str) -> str:
    """The same server URL naming another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


async def _pg_statements(admin_url: str, statements: tuple[str, ...]) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def pg_execute(admin_url: str, *statements: str) -> None:
    """Run statements on the server's maintenance database, in a thread of its own: Playwright's
    sync API keeps an event loop running in this thread, so asyncio.run() cannot be used here."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _pg_statements(admin_url, statements)).result(timeout=60)
