"""Health endpoint for load balancers and the operations centre."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from longgov.security.policy import PUBLIC


@get("/healthz", operation_id="healthz", opt=PUBLIC, tags=["运维"])
async def healthz(state: State) -> Response[dict[str, Any]]:
    """``{"status": "ok", "database": "sqlite"|"postgresql"}``; 503 when the database does not answer."""
    platform = state["platform"]
    try:
        async with platform.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return Response({"status": "unavailable", "database": platform.db.kind}, status_code=503)
    return Response({"status": "ok", "database": platform.db.kind})


@get("/livez", operation_id="livez", opt=PUBLIC, tags=["运维"])
async def livez() -> dict[str, str]:
    """Liveness: the worker answers (no database round trip); also the stack's ceiling in benchmarks."""
    return {"status": "alive"}
