"""Request id, security headers and session authentication, as ASGI middleware."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from litestar.datastructures import MutableScopeHeaders
from litestar.middleware import ASGIMiddleware

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from longgov.platform import Platform

SESSION_COOKIE = "lg_session"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("longgov.access")

SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
    # Everything is served by the platform itself: no CDN, no third-party origins.
    (
        "content-security-policy",
        (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
        ),
    ),
)


def cookie_value(scope: Scope, name: str) -> str | None:
    """Read one cookie from the raw headers without building a Request."""
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v or None
    return None


class RequestContextMiddleware(ASGIMiddleware):
    """Assign a request id, add security headers, and log one line per request (no bodies, no PII)."""

    def __init__(self, *, hsts: bool) -> None:
        self.hsts = hsts

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Wrap ``send`` to add headers and record the status."""
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"), "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableScopeHeaders.from_message(message)
                headers["x-request-id"] = request_id
                for name, value in SECURITY_HEADERS:
                    if name not in headers:
                        headers[name] = value
                if self.hsts:
                    headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
            await send(message)

        try:
            await next_app(scope, receive, send_wrapper)
        finally:
            # Path only, never the query string: queries can carry ID numbers.
            access_log.info(
                "%s %s %s %.1fms rid=%s",
                scope.get("method", "-"),
                scope.get("path", "-"),
                status,
                (time.perf_counter() - started) * 1000,
                request_id,
            )


class SessionAuthMiddleware(ASGIMiddleware):
    """Resolve the session cookie to a Principal in ``scope["user"]`` (None when anonymous)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Look the token up in its own short transaction, so guards can run before the handler."""
        from longgov.identity.services import principal_for_token  # noqa: PLC0415 - composition-time import

        token = cookie_value(scope, SESSION_COOKIE)
        principal: Any = None
        if token and not scope.get("path", "").startswith("/static/"):
            async with self.platform.db.transaction() as session:
                principal = await principal_for_token(session, token, idle_seconds=self.platform.settings.session_idle_seconds)
        scope["user"] = principal
        scope["auth"] = token if principal else None
        await next_app(scope, receive, send)
