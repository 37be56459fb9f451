"""Health endpoint for load balancers and the operations centre."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text

from longgov.security.policy import PUBLIC
from longgov.storage import StorageError, storage_for

log = logging.getLogger(__name__)


@get("/healthz", operation_id="healthz", opt=PUBLIC, tags=["运维"])
async def healthz(state: State) -> Response[dict[str, Any]]:
    """``{"status": "ok", "database": "sqlite"|"postgresql", "storage": "local"|"s3"}``.

    503 with ``"failing": [...]`` when the database does not answer or the material store is not
    ready (S3: HeadBucket; local: the folder is writable): uploads would fail on this worker.
    """
    platform = state["platform"]
    failing: list[str] = []
    try:
        async with platform.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        failing.append("database")
    storage = storage_for(platform.settings)
    try:
        await storage.check_ready()
    except StorageError as exc:
        log.warning("health: storage not ready: %s", exc)
        failing.append("storage")
    body: dict[str, Any] = {"status": "ok", "database": platform.db.kind, "storage": storage.kind}
    if failing:
        return Response({**body, "status": "unavailable", "failing": failing}, status_code=503)
    return Response(body)


@get("/livez", operation_id="livez", opt=PUBLIC, tags=["运维"])
async def livez() -> dict[str, str]:
    """Liveness: the worker answers (no database round trip); also the stack's ceiling in benchmarks."""
    return {"status": "alive"}
