"""One place that checks permissions: every route declares ``opt`` and this guard enforces it.

A route is exactly one of: ``opt={"permission": Permission.X}`` (logged in and holding X),
``opt={"login": True}`` (any logged-in account), or ``opt={"public": True}``.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from longgov.kernel.errors import NotAuthenticated, PermissionDenied
from longgov.security.permissions import Permission
from longgov.security.principal import Principal


def require(permission: Permission) -> dict[str, Any]:
    """Route ``opt`` requiring a permission: ``@get(..., opt=require(Permission.X))``."""
    return {"permission": permission}


LOGIN_REQUIRED: dict[str, Any] = {"login": True}
PUBLIC: dict[str, Any] = {"public": True}


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The principal the auth middleware resolved, if any."""
    user = connection.scope.get("user")
    return user if isinstance(user, Principal) else None


def route_access(handler: BaseRouteHandler) -> tuple[str, Permission | None]:
    """How a route is protected: ("permission", X), ("login", None) or ("public", None)."""
    opt = handler.opt
    if "permission" in opt:
        return "permission", Permission(opt["permission"])
    if opt.get("login"):
        return "login", None
    if opt.get("public"):
        return "public", None
    # Static files and framework routes carry no opt; everything of ours must declare it.
    return "undeclared", None


async def permission_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Refuse the request unless the principal satisfies the route's declared access."""
    kind, permission = route_access(handler)
    if kind in {"public", "undeclared"}:
        return
    principal = current_principal(connection)
    if principal is None:
        raise NotAuthenticated("请先登录", code="not_authenticated")
    if permission is not None and not principal.has(permission):
        connection.scope.setdefault("state", {})["denied_permission"] = str(permission)
        raise PermissionDenied("您没有执行此操作的权限", code="permission_denied", details={"permission": str(permission)})
