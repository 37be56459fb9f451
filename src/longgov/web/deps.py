"""Dependencies: the request's unit of work and the service context."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from longgov.db import discard_after_commit, finish_failed, run_after_commit
from longgov.kernel.errors import AppError
from longgov.platform import Platform, ServiceContext
from longgov.security.policy import current_principal
from longgov.security.principal import RequestMeta

# Handlers declare ``ctx: Ctx`` to receive the request's service context.
Ctx = NamedDependency[ServiceContext]


def platform_of(state: State) -> Platform:
    """The process Platform stored on app state."""
    platform: Platform = state["platform"]
    return platform


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """The request owns the transaction: commit after the handler, roll back if it raised.

    Litestar closes this generator before the response is sent, so a failed commit
    becomes an error response instead of a silently lost write.
    """
    platform = platform_of(state)
    session = platform.db.sessionmaker()
    try:
        yield session
        await session.commit()
        await run_after_commit(session)
    except AppError as exc:
        await finish_failed(session, exc)
        raise
    except BaseException:
        await session.rollback()
        discard_after_commit(session)
        raise
    finally:
        await session.close()


def request_meta(request: Request[Any, Any, Any]) -> RequestMeta:
    """IP, user agent and request id of a request (for audit)."""
    client = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    # Behind the reverse proxy the client address is the first hop it reports.
    ip = forwarded.split(",")[0].strip() if forwarded and platform_of(request.app.state).settings.mode == "production" else client
    return RequestMeta(ip=ip, user_agent=request.headers.get("user-agent"), request_id=request.scope.get("state", {}).get("request_id"))


async def provide_ctx(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> ServiceContext:
    """The service context of this request."""
    return ServiceContext(session=db_session, platform=platform_of(request.app.state), actor=current_principal(request), meta=request_meta(request))
