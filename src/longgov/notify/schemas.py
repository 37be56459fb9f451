"""Notify DTOs: what a module asks to send, and messages as 我的消息 shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["application", "rectification", "calendar", "tasks"]
CATEGORY_TITLES: dict[str, str] = {"application": "办件进度", "rectification": "整改督办", "calendar": "节假日安排", "tasks": "待办提醒"}


class Notification(BaseModel):
    """One notice to one account: always an in-app message; also an SMS when ``sms`` is set and a phone is given.

    ``sms`` is the text without the signature (the notifier adds 【签名】). ``dedupe_key`` (unique per
    recipient) turns a repeat into a no-op, e.g. ``rectification:<id>:2026-11-27`` for once a day.
    """

    model_config = ConfigDict(frozen=True)

    recipient_account_id: uuid.UUID
    category: Category
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=4000)
    link: str | None = Field(default=None, max_length=300, pattern=r"^/[^/\\]")
    sms: str | None = Field(default=None, max_length=300)
    dedupe_key: str | None = Field(default=None, max_length=160)


class Delivery(BaseModel):
    """Which channels a notice went out on (nothing when de-duplicated or every channel is off)."""

    in_app: bool
    sms: bool
    duplicate: bool = False


class MessageView(BaseModel):
    """One in-app message."""

    id: uuid.UUID
    category: str
    category_title: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    unread: bool


class MessagePage(BaseModel):
    """A page of 我的消息, newest first, with the totals."""

    items: list[MessageView]
    total: int
    unread: int


class UnreadCount(BaseModel):
    """The badge number."""

    unread: int
