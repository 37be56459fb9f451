"""Shell pages: platform home, 适老化 toggle, logout, form validation fragments, demo SMS outbox."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from longgov.identity import services as identity
from longgov.notify import services as notify
from longgov.security.policy import PUBLIC
from longgov.web.deps import Ctx
from longgov.web.middleware import SESSION_COOKIE
from longgov.web.render import A11Y_COOKIE, page, redirect, safe_next
from longgov.web.sessions import clear_session_cookie


@get("/", operation_id="pageHome", opt=PUBLIC, include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Template:
    """Platform home: choose a portal."""
    return page(request, "home.html", "citizen")


@post("/accessibility", operation_id="pageAccessibilityToggle", opt=PUBLIC, include_in_schema=False)
async def toggle_accessibility(request: Request[Any, Any, Any]) -> Response[Any]:
    """Switch large-text, high-contrast mode on or off and return to the page."""
    on = request.cookies.get(A11Y_COOKIE) != "1"
    referer = request.headers.get("referer", "")
    path = referer.split(request.headers.get("host", "\x00"), 1)[-1] if referer else "/"
    response = redirect(safe_next(path, "/"))
    response.set_cookie(A11Y_COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@post("/logout", operation_id="pageLogout", opt=PUBLIC, include_in_schema=False)
async def logout(request: Request[Any, Any, Any], ctx: Ctx) -> Response[Any]:
    """End the session and go to the platform home."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await identity.logout(ctx, token)
    response = redirect("/")
    clear_session_cookie(response)
    return response


@get("/partials/validate", operation_id="partialValidate", opt=PUBLIC, include_in_schema=False)
async def validate_fragment(
    request: Request[Any, Any, Any],
    kind: FromQuery[Literal["id_number", "uscc", "division", "phone"]],
    value: Annotated[str | None, QueryParameter(max_length=64)] = None,
    identifier: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Template:
    """htmx: a one-line hint under a form field."""
    text = (value or identifier or "").strip()
    result = identity.validate_code(kind, text) if text else None
    return Template(template_name="partials/field_hint.html", context={"request": request, "result": result})


@get("/demo/sms", operation_id="pageDemoSmsOutbox", opt=PUBLIC, include_in_schema=False)
async def demo_sms(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """演示短信发件箱: what the local SMS gateway 'sent' (registered in demo mode only)."""
    messages = await notify.recent_outbox(ctx.session)
    return page(request, "demo/sms.html", "citizen", messages=messages)


shell_handlers = [home, toggle_accessibility, logout, validate_fragment]
demo_handlers = [demo_sms]
