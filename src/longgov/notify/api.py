"""Notify JSON API (``/api/v1/notify``): the caller's in-app messages, unread count, mark read."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, QueryParameter

from longgov.notify import services
from longgov.notify.schemas import MessagePage, MessageView, UnreadCount
from longgov.security.policy import LOGIN_REQUIRED
from longgov.web.deps import Ctx


class NotifyController(Controller):
    """我的消息 of the logged-in account (citizen, enterprise or staff)."""

    path = "/api/v1/notify"
    tags = ["消息"]  # noqa: RUF012

    @get("/messages", operation_id="notifyMessagesList", opt=LOGIN_REQUIRED)
    async def messages(
        self,
        ctx: Ctx,
        unread: FromQuery[bool] = False,  # noqa: FBT002 - a query flag
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    ) -> MessagePage:
        """The caller's messages, newest first (``unread=true`` for unread ones only)."""
        return await services.list_mine(ctx, unread_only=unread, limit=limit, offset=offset)

    @get("/messages/unread-count", operation_id="notifyUnreadCount", opt=LOGIN_REQUIRED)
    async def unread_count(self, ctx: Ctx) -> UnreadCount:
        """How many messages are unread (the badge)."""
        return UnreadCount(unread=await services.unread_count(ctx))

    @post("/messages/{message_id:str}/read", operation_id="notifyMessageRead", opt=LOGIN_REQUIRED, status_code=200)
    async def read(self, ctx: Ctx, message_id: FromPath[str]) -> MessageView:
        """Mark one of the caller's messages read (idempotent)."""
        return await services.mark_read(ctx, services.parse_id(message_id))

    @post("/messages/read-all", operation_id="notifyMessagesReadAll", opt=LOGIN_REQUIRED, status_code=200)
    async def read_all(self, ctx: Ctx) -> UnreadCount:
        """Mark every message read; returns the unread count left (0)."""
        await services.mark_all_read(ctx)
        return UnreadCount(unread=await services.unread_count(ctx))
