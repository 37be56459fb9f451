"""Outbox of the local SMS gateway and the in-app messages (站内消息)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase, UUIDPrimaryKey


class SmsMessage(UUIDPrimaryKey, ModelBase):
    """短信发件箱 — one SMS handed to the local gateway; the number is stored encrypted."""

    __tablename__ = "sms_outbox"

    phone_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class Message(UUIDPrimaryKey, ModelBase):
    """站内消息 — one message to one account (citizen, enterprise or staff), unread until ``read_at``.

    ``dedupe_key`` makes a repeated notice (a reminder job run twice, a retried event) a no-op: it is
    unique per recipient; messages without one are never de-duplicated (NULLs are distinct).
    """

    __tablename__ = "notify_messages"

    recipient_account_id: Mapped[uuid.UUID]
    category: Mapped[str] = mapped_column(String(20))  # application | rectification | calendar
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(160))

    __table_args__ = (
        UniqueConstraint("recipient_account_id", "dedupe_key", name="uq_notify_messages_recipient_dedupe_key"),
        # 我的消息 newest first, and the unread count, are both "recipient = ?" range scans.
        Index("ix_notify_messages_recipient_created", "recipient_account_id", "created_at"),
    )
