"""Read the local SMS outbox (demo mode and tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from longgov.notify.models import SmsMessage
from longgov.security.pii import PiiCodec


@dataclass(frozen=True)
class OutboxEntry:
    """One SMS as the outbox page shows it."""

    phone_masked: str
    purpose: str
    body: str
    created_at: datetime


async def recent_outbox(session: AsyncSession, *, limit: int = 50) -> list[OutboxEntry]:
    """Newest messages first (numbers masked)."""
    rows = (await session.execute(select(SmsMessage).order_by(SmsMessage.created_at.desc()).limit(limit))).scalars()
    return [OutboxEntry(r.phone_masked, r.purpose, r.body, r.created_at) for r in rows]


async def latest_message_to(session: AsyncSession, codec: PiiCodec, phone: str) -> str | None:
    """Body of the newest message sent to ``phone`` (demo helpers and tests read codes this way)."""
    return (
        await session.execute(
            select(SmsMessage.body).where(SmsMessage.phone_index == codec.index("phone", phone)).order_by(SmsMessage.created_at.desc()).limit(1),
        )
    ).scalar_one_or_none()
