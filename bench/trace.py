"""In-process traces for the bench: SQL statements per request and ``EXPLAIN (ANALYZE, BUFFERS)`` plans.

Runs in the load generator process, against the app object built from the server's ``LONGGOV_*``
environment (same database, keys and var dir) through httpx's ASGI transport: the same middleware,
handlers and services as the server, one request at a time on an otherwise idle stack. SQLAlchemy's
cursor events count every statement and time it (the round trip to PostgreSQL as the driver sees it).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx

    from bench.submission import BenchSession, Fixture


@dataclass
class Statement:
    """One SQL statement as the driver ran it."""

    sql: str
    params: Any
    ms: float


@dataclass
class SqlLog:
    """Statements seen while a :func:`capture` block runs."""

    statements: list[Statement] = field(default_factory=list)


@contextlib.contextmanager
def capture() -> Iterator[SqlLog]:
    """Record every statement any engine of this process runs inside the block."""
    log = SqlLog()

    def before(_conn: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any, _executemany: bool) -> None:  # noqa: ANN401, FBT001
        context._bench_t0 = time.perf_counter()  # noqa: SLF001

    def after(_conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _executemany: bool) -> None:  # noqa: ANN401, FBT001
        log.statements.append(Statement(statement, parameters, (time.perf_counter() - context._bench_t0) * 1000.0))  # noqa: SLF001

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield log
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)


def _kind(sql: str) -> str:
    word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    return word if word in {"SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK"} else "OTHER"


def summarise(log: SqlLog) -> dict[str, Any]:
    """Statement count, by kind, and summed driver time."""
    kinds: dict[str, int] = {}
    for s in log.statements:
        kinds[_kind(s.sql)] = kinds.get(_kind(s.sql), 0) + 1
    return {"statements": len(log.statements), "by_kind": kinds, "db_ms": round(sum(s.ms for s in log.statements), 3)}


def app_client() -> tuple[httpx.AsyncClient, Any]:
    """An httpx client on a fresh app built from this process's ``LONGGOV_*`` environment, and its platform."""
    import httpx  # noqa: PLC0415

    from longgov.app import create_app  # noqa: PLC0415
    from longgov.config import Settings  # noqa: PLC0415
    from longgov.platform import Platform  # noqa: PLC0415

    platform = Platform.build(Settings(db_pool_size=2))
    app = create_app(platform.settings, platform=platform)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)), base_url="http://127.0.0.1")
    return client, platform


async def trace_submissions(fixture: Fixture, sessions: list[BenchSession], material: bytes, *, rounds: int = 5) -> dict[str, Any]:
    """Run ``rounds`` whole applications in process; statements and wall time per request (median round)."""
    client, platform = app_client()
    per_step: dict[str, list[dict[str, Any]]] = {"create": [], "upload": [], "submit": []}
    try:
        for i in range(rounds + 1):
            session = sessions[i % len(sessions)]
            client.cookies.clear()
            headers = {"cookie": f"lg_csrf={session.csrf}; lg_session={session.token}", "x-csrftoken": session.csrf}
            with capture() as log:
                t0 = time.perf_counter()
                r = await client.post("/api/v1/applications", json={"item_code": fixture.item_code, "form": fixture.form}, headers=headers)
                wall = (time.perf_counter() - t0) * 1000.0
            draft = r.json()["id"] if r.status_code == 201 else None
            step_create = {"status": r.status_code, "wall_ms": round(wall, 3), **summarise(log)}
            with capture() as log:
                t0 = time.perf_counter()
                r = await client.post(
                    f"/api/v1/applications/{draft}/materials",
                    headers=headers,
                    data={"material": str(fixture.material_index)},
                    files={"file": ("premises-proof.pdf", material, "application/pdf")},
                )
                wall = (time.perf_counter() - t0) * 1000.0
            step_upload = {"status": r.status_code, "wall_ms": round(wall, 3), **summarise(log)}
            with capture() as log:
                t0 = time.perf_counter()
                r = await client.post(f"/api/v1/applications/{draft}/submit", headers={**headers, "idempotency-key": f"bench-trace-{time.time_ns()}"})
                wall = (time.perf_counter() - t0) * 1000.0
            step_submit = {"status": r.status_code, "wall_ms": round(wall, 3), **summarise(log), "sql": [_short(s) for s in log.statements]}
            if i == 0:
                continue  # the first round warms caches (catalogue, forms, process specs)
            per_step["create"].append(step_create)
            per_step["upload"].append(step_upload)
            per_step["submit"].append(step_submit)
    finally:
        await client.aclose()
        await platform.db.dispose()
    out: dict[str, Any] = {
        "what": (
            "in-process (httpx ASGI transport, no network, one request at a time, idle server): SQL statements per request "
            "counted with SQLAlchemy cursor events; db_ms = summed driver time of those statements (PostgreSQL round trips); "
            "median of the rounds by wall time"
        ),
        "rounds": rounds,
    }
    for step, samples in per_step.items():
        ordered = sorted(samples, key=lambda s: s["wall_ms"])
        out[step] = ordered[len(ordered) // 2] if ordered else None
    return out


_COMMON_TABLES = ("FROM login_sessions", "FROM audit_chain_head")


def _short(s: Statement) -> dict[str, Any]:
    text = " ".join(s.sql.split())
    return {"sql": text[:160] + ("…" if len(text) > 160 else ""), "ms": round(s.ms, 3)}


async def explain(session: Any, statements: list[Statement], *, top: int = 3, min_ms: float = 0.0) -> list[dict[str, Any]]:  # noqa: ANN401
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest SELECTs of ``statements``, run again with the same parameters."""
    # The session lookup and the audit chain head are the same for every request: explain what the endpoint itself reads.
    own = [s for s in statements if _kind(s.sql) == "SELECT" and s.ms >= min_ms and not any(t in s.sql for t in _COMMON_TABLES)]
    chosen = sorted(own, key=lambda s: -s.ms)[:top]
    plans = []
    conn = await session.connection()
    for s in chosen:
        result = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + s.sql, s.params)
        plan = [row[0] for row in result]
        plans.append({"sql": " ".join(s.sql.split()), "params": _jsonable(s.params), "traced_ms": round(s.ms, 3), "plan": plan})
    return plans


def _jsonable(params: Any) -> Any:  # noqa: ANN401
    if isinstance(params, (list, tuple)):
        return [_jsonable(p) for p in params]
    if isinstance(params, dict):
        return {str(k): _jsonable(v) for k, v in params.items()}
    if params is None or isinstance(params, (int, float, str, bool)):
        return params
    return str(params)
