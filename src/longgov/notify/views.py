"""我的消息 pages of every portal, and the header badge fragment."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from longgov.kernel.registry import Portal
from longgov.notify import services
from longgov.security.policy import LOGIN_REQUIRED
from longgov.web.deps import Ctx
from longgov.web.render import page, redirect

PAGE_SIZE = 20
_PORTALS: tuple[Portal, ...] = ("citizen", "enterprise", "workbench", "admin")
_LISTS = [f"/{p}/messages" for p in _PORTALS]


def _portal(request: Request[Any, Any, Any]) -> Portal:
    first = request.url.path.split("/")[1]
    return next((p for p in _PORTALS if p == first), "citizen")


def messages_path(kind: str, portal: str) -> str:
    """Where an account's 我的消息 lives: its own portal (staff: the admin portal when they are on it)."""
    if kind == "person":
        return "/citizen/messages"
    if kind == "enterprise":
        return "/enterprise/messages"
    return "/admin/messages" if portal == "admin" else "/workbench/messages"


@get(_LISTS, operation_id="pageNotifyMessages", opt=LOGIN_REQUIRED, include_in_schema=False)
async def messages_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    show: Annotated[Literal["all", "unread"], QueryParameter(name="show")] = "all",
    page_no: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
) -> Template:
    """我的消息: newest first, unread ones marked; open a message to go to its application."""
    portal = _portal(request)
    result = await services.list_mine(ctx, unread_only=show == "unread", limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    return page(
        request,
        "notify/messages.html",
        portal,
        messages=result,
        show=show,
        page_no=page_no,
        pages=max(1, (result.total + PAGE_SIZE - 1) // PAGE_SIZE),
        base=f"/{portal}/messages",
    )


@post([f"{p}/{{message_id:str}}/open" for p in _LISTS], operation_id="pageNotifyMessageOpen", opt=LOGIN_REQUIRED, include_in_schema=False)
async def open_message(request: Request[Any, Any, Any], ctx: Ctx, message_id: FromPath[str]) -> Response[Any]:
    """Mark a message read and go to what it is about (the application's timeline)."""
    message = await services.mark_read(ctx, services.parse_id(message_id))
    return redirect(message.link or f"/{_portal(request)}/messages")


@post([f"{p}/{{message_id:str}}/read" for p in _LISTS], operation_id="pageNotifyMessageRead", opt=LOGIN_REQUIRED, include_in_schema=False)
async def read_message(request: Request[Any, Any, Any], ctx: Ctx, message_id: FromPath[str]) -> Response[Any]:
    """Mark a message read and stay on the list."""
    await services.mark_read(ctx, services.parse_id(message_id))
    return redirect(f"/{_portal(request)}/messages")


@post([f"{p}/read-all" for p in _LISTS], operation_id="pageNotifyMessagesReadAll", opt=LOGIN_REQUIRED, include_in_schema=False)
async def read_all(request: Request[Any, Any, Any], ctx: Ctx) -> Response[Any]:
    """Mark every message read."""
    await services.mark_all_read(ctx)
    return redirect(f"/{_portal(request)}/messages")


@get("/partials/notify/badge", operation_id="partialNotifyBadge", opt=LOGIN_REQUIRED, include_in_schema=False)
async def badge(request: Request[Any, Any, Any], ctx: Ctx, portal: Annotated[str, QueryParameter(max_length=12)] = "citizen") -> Template:
    """htmx: the header's 消息 link with the unread count (the layout loads it after the page)."""
    kind = ctx.actor.kind if ctx.actor else "person"
    unread = await services.unread_count(ctx)
    return Template(template_name="notify/_badge.html", context={"request": request, "unread": unread, "href": messages_path(kind, portal)})


route_handlers = [messages_page, open_message, read_message, read_all, badge]
