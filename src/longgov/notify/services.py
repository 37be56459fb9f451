"""Notifications: the notifier other modules call, 我的消息 (in-app messages), and the local SMS outbox.

``send`` delivers one :class:`Notification` through the channels the settings switch on: the in-app
message is written in the caller's unit of work (so it commits or rolls back with it) and the SMS is
handed to the gateway only after that commit (``after_commit``). Texts carry the application number,
item and department, never names, ID numbers or phone numbers.

Audit: sending is audited (one record per notice, channels in the details); so are marking read and
listing one's messages. The listing is audited like 我的办件 because a message may quote what staff
wrote on one's application (a refusal reason, the materials to correct), as the audited timeline does;
the unread count is a number only and is not audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from longgov.db import after_commit, utcnow
from longgov.kernel.errors import NotAuthenticated, NotFound
from longgov.notify import events
from longgov.notify.models import Message, SmsMessage
from longgov.notify.schemas import CATEGORY_TITLES, Delivery, MessagePage, MessageView, Notification
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.pii import PiiCodec
from longgov.security.principal import Principal

# --- sending ---------------------------------------------------------------------------------


async def _duplicate(ctx: ServiceContext, notice: Notification) -> bool:
    if notice.dedupe_key is None:
        return False
    found = await ctx.session.execute(
        select(Message.id).where(Message.recipient_account_id == notice.recipient_account_id, Message.dedupe_key == notice.dedupe_key)
    )
    return found.first() is not None


async def _store(ctx: ServiceContext, notice: Notification) -> bool:
    """Write the in-app message; False when a concurrent sender stored the same de-duplication key first."""
    message = Message(
        recipient_account_id=notice.recipient_account_id,
        category=notice.category,
        title=notice.title,
        body=notice.body,
        link=notice.link,
        created_at=utcnow(),
        dedupe_key=notice.dedupe_key,
    )
    try:
        async with ctx.session.begin_nested():
            ctx.session.add(message)
    except IntegrityError:
        return False
    return True


async def send(ctx: ServiceContext, notice: Notification, *, phone: str | None = None) -> Delivery:
    """Send a notice: in-app now (with the unit of work), SMS to ``phone`` after commit; each channel as switched in settings."""
    if await _duplicate(ctx, notice):
        return Delivery(in_app=False, sms=False, duplicate=True)
    in_app = False
    if ctx.settings.notify_in_app:
        in_app = await _store(ctx, notice)
        if not in_app:
            return Delivery(in_app=False, sms=False, duplicate=True)
    sms = bool(ctx.settings.notify_sms and phone and notice.sms)
    if sms and phone and notice.sms:
        gateway, number = ctx.platform.sms, phone
        text = f"【{ctx.settings.sms_signature}】{notice.sms}"

        async def deliver_sms() -> None:
            await gateway.send(number, text, purpose=f"notify:{notice.category}")

        after_commit(ctx.session, deliver_sms)
    if in_app or sms:
        record(
            ctx.session,
            events.MESSAGE_SENT,
            actor=ctx.actor,
            meta=ctx.meta,
            subject_type="account",
            subject_id=notice.recipient_account_id,
            details={"category": notice.category, "title": notice.title, "in_app": in_app, "sms": sms, "dedupe_key": notice.dedupe_key},
        )
    return Delivery(in_app=in_app, sms=sms)


# --- 我的消息 ------------------------------------------------------------------------------------


def _me(ctx: ServiceContext) -> Principal:
    if ctx.actor is None:
        raise NotAuthenticated("请先登录")
    return ctx.actor


def _view(row: Message) -> MessageView:
    return MessageView(
        id=row.id,
        category=row.category,
        category_title=CATEGORY_TITLES.get(row.category, row.category),
        title=row.title,
        body=row.body,
        link=row.link,
        created_at=row.created_at,
        read_at=row.read_at,
        unread=row.read_at is None,
    )


def parse_id(value: str) -> uuid.UUID:
    """A message id from a path; anything else reads as "not found"."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("未找到该消息", code="message_not_found") from exc


async def unread_count(ctx: ServiceContext) -> int:
    """Unread messages of the caller (the badge; not audited: a number, no content)."""
    me = _me(ctx)
    query = select(func.count()).select_from(Message).where(Message.recipient_account_id == me.account_id, Message.read_at.is_(None))
    return int((await ctx.session.execute(query)).scalar_one())


async def list_mine(ctx: ServiceContext, *, unread_only: bool = False, limit: int = 20, offset: int = 0) -> MessagePage:
    """我的消息: the caller's messages, newest first (the listing is audited)."""
    me = _me(ctx)
    where = [Message.recipient_account_id == me.account_id]
    if unread_only:
        where.append(Message.read_at.is_(None))
    total = int((await ctx.session.execute(select(func.count()).select_from(Message).where(*where))).scalar_one())
    rows = (await ctx.session.execute(select(Message).where(*where).order_by(Message.created_at.desc(), Message.id).limit(limit).offset(offset))).scalars()
    items = [_view(r) for r in rows]
    unread = total if unread_only else await unread_count(ctx)
    record(
        ctx.session,
        events.MESSAGES_LISTED,
        actor=me,
        meta=ctx.meta,
        subject_type="account",
        subject_id=me.account_id,
        details={"total": total, "shown": len(items), "unread_only": unread_only},
    )
    return MessagePage(items=items, total=total, unread=unread)


async def mark_read(ctx: ServiceContext, message_id: uuid.UUID) -> MessageView:
    """Mark one of the caller's messages read (idempotent); someone else's reads as absent."""
    me = _me(ctx)
    row = (await ctx.session.execute(select(Message).where(Message.id == message_id, Message.recipient_account_id == me.account_id))).scalar_one_or_none()
    if row is None:
        raise NotFound("未找到该消息", code="message_not_found")
    if row.read_at is None:
        row.read_at = utcnow()
        await ctx.session.flush()
        record(ctx.session, events.MESSAGE_READ, actor=me, meta=ctx.meta, subject_type="message", subject_id=row.id, details={"category": row.category})
    return _view(row)


async def mark_all_read(ctx: ServiceContext) -> int:
    """Mark every unread message of the caller read; returns how many."""
    me = _me(ctx)
    result = await ctx.session.execute(
        update(Message)
        .where(Message.recipient_account_id == me.account_id, Message.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        record(ctx.session, events.MESSAGES_ALL_READ, actor=me, meta=ctx.meta, subject_type="account", subject_id=me.account_id, details={"count": count})
    return count


# --- the local SMS outbox (demo mode and tests) ------------------------------------------------


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
