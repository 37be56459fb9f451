"""Outbox of the local SMS gateway."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
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
