"""Page rendering: one helper decides layout vs htmx fragment and fills the shared context."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template

from longgov.kernel.registry import Module, Portal, nav_for
from longgov.security.policy import current_principal

A11Y_COOKIE = "lg_a11y"

PORTALS: dict[Portal, dict[str, str]] = {
    "citizen": {"title": "甘快办", "subtitle": "甘肃政务服务 · 个人办事", "home": "/citizen", "login": "/login/person"},
    "enterprise": {"title": "陇商通", "subtitle": "甘肃政务服务 · 企业办事", "home": "/enterprise", "login": "/login/enterprise"},
    "workbench": {"title": "工作台", "subtitle": "陇政通 · 政务工作人员", "home": "/workbench", "login": "/login/staff"},
    "admin": {"title": "管理后台", "subtitle": "陇政通 · 系统、安全与审计管理", "home": "/admin", "login": "/login/staff"},
}


def modules_of(request: Request[Any, Any, Any]) -> list[Module]:
    """Registered modules (navigation source)."""
    modules: list[Module] = request.app.state["modules"]
    return modules


def page(request: Request[Any, Any, Any], template: str, portal: Portal, *, status_code: int = 200, **context: Any) -> Template:  # noqa: ANN401
    """Render a page of a portal; htmx requests get the fragment without the layout."""
    principal = current_principal(request)
    permissions = principal.permissions if principal else frozenset()
    is_htmx = request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    nav = nav_for(modules_of(request), portal, permissions)
    base = {
        "request": request,
        "portal": portal,
        "portal_info": PORTALS[portal],
        "nav": nav,
        "nav_current": current_entry([e.path for e in nav], request.url.path, PORTALS[portal]["home"]),
        "principal": principal,
        "a11y": request.cookies.get(A11Y_COOKIE) == "1",
        "layout": "partials/fragment.html" if is_htmx else "layout.html",
        "demo_mode": request.app.state["platform"].settings.is_demo,
    }
    base.update(context)
    return Template(template_name=template, context=base, status_code=status_code)


def current_entry(paths: list[str], here: str, home: str) -> str | None:
    """The navigation entry of this page: the exact one, else the longest section holding it (the portal home holds only itself)."""
    if here in paths:
        return here
    holding = [p for p in paths if p != home and here.startswith(p.rstrip("/") + "/")]
    return max(holding, key=len, default=None)


def redirect(path: str) -> Redirect:
    """303 See Other, so a POST is followed by a GET."""
    return Redirect(path=path, status_code=303)


def safe_next(value: str | None, default: str) -> str:
    """Only same-site relative paths may be redirect targets."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


CHINA_TZ = ZoneInfo("Asia/Shanghai")


def china_time(value: datetime, *, seconds: bool = False) -> str:
    """Format a UTC datetime in Beijing time."""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def install_filters(engine: JinjaTemplateEngine) -> None:
    """Template filters shared by every page."""
    engine.engine.filters["cst"] = china_time
