"""The session cookie: HttpOnly, SameSite=Lax, Secure in production."""

from __future__ import annotations

from typing import Any

from litestar import Response

from longgov.config import Settings
from longgov.web.middleware import SESSION_COOKIE


def set_session_cookie(response: Response[Any], settings: Settings, token: str, *, max_age: int) -> None:
    """Attach the session token."""
    response.set_cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=max_age,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response[Any]) -> None:
    """Remove the session token from the browser."""
    response.delete_cookie(key=SESSION_COOKIE, path="/")
