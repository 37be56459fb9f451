"""Record and verify audit events (R8.1, X7)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from longgov.db import Database, register_transaction_scoped, utcnow
from longgov.security.audit.models import AuditChainHead, AuditEvent
from longgov.security.crypto import sm3_hex
from longgov.security.principal import Principal, RequestMeta

GENESIS_HASH = "0" * 64
Result = Literal["success", "failure", "denied"]
_PENDING = "audit_pending"

_HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "tag",
    "result",
    "actor_id",
    "actor_name",
    "actor_role",
    "organisation",
    "subject_type",
    "subject_id",
    "ip",
    "user_agent",
    "request_id",
    "details",
)


def _canonical(row: dict[str, Any]) -> bytes:
    fields: dict[str, Any] = {}
    for name in _HASHED_FIELDS:
        value = row[name]
        if isinstance(value, datetime):
            value = value.isoformat(timespec="microseconds")
        fields[name] = value
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """SM3 over the previous hash and the record's canonical JSON."""
    return sm3_hex(prev_hash.encode() + _canonical(row))


def record(
    session: AsyncSession,
    tag: str,
    *,
    actor: Principal | None,
    meta: RequestMeta | None = None,
    subject_type: str | None = None,
    subject_id: object = None,
    result: Result = "success",
    details: dict[str, Any] | None = None,
) -> None:
    """Queue an audit event; it is chained and written when this transaction commits."""
    meta = meta or RequestMeta()
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    pending.append(
        {
            "occurred_at": utcnow(),
            "tag": tag,
            "result": result,
            "actor_id": str(actor.account_id) if actor else None,
            "actor_name": actor.display_name if actor else None,
            "actor_role": actor.role_label if actor else None,
            "organisation": actor.organisation_name if actor else None,
            "subject_type": subject_type,
            "subject_id": None if subject_id is None else str(subject_id),
            "ip": meta.ip,
            "user_agent": (meta.user_agent or "")[:400] or None,
            "request_id": meta.request_id,
            "details": details or {},
        },
    )


async def record_now(db: Database, tag: str, **kwargs: Any) -> None:  # noqa: ANN401
    """Write an audit event in its own transaction (denials, failures whose request rolls back)."""
    async with db.transaction() as session:
        record(session, tag, **kwargs)


def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint being released: the records wait for the real commit, which takes the
        # chain-head lock once for the whole unit of work.
        return
    pending: list[dict[str, Any]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    # The head row lock orders appends across workers; it is held only until this commit.
    head = session.execute(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        session.execute(insert(AuditChainHead).values(id=1, last_seq=0, last_hash=GENESIS_HASH))
        last_seq, last_hash = 0, GENESIS_HASH
    else:
        last_seq, last_hash = head.last_seq, head.last_hash
    rows = []
    for item in pending:
        last_seq += 1
        row = dict(item, seq=last_seq, prev_hash=last_hash)
        row["hash"] = last_hash = compute_hash(last_hash, row)
        rows.append(row)
    session.execute(insert(AuditEvent), rows)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_seq=last_seq, last_hash=last_hash))


event.listen(Session, "before_commit", _append_pending)
# Records queued inside a savepoint that rolls back go with it; the others stay queued.
register_transaction_scoped(_PENDING)


@dataclass(frozen=True)
class ChainReport:
    """Outcome of verifying the audit chain."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


async def verify_chain(session: AsyncSession, *, batch: int = 5000) -> ChainReport:
    """Recompute every hash in order; name the first altered, missing or extra record."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    async for row in _iter_events(session, batch):
        if row.seq != expected_seq:
            return ChainReport(ok=False, checked=checked, first_bad_seq=expected_seq, reason=f"第 {expected_seq} 条审计记录缺失（下一条为第 {row.seq} 条）")
        if row.prev_hash != prev_hash:
            return ChainReport(ok=False, checked=checked, first_bad_seq=row.seq, reason=f"第 {row.seq} 条审计记录的前序哈希不符，前一条记录被篡改或删除")
        values = {name: getattr(row, name) for name in _HASHED_FIELDS}
        if compute_hash(prev_hash, values) != row.hash:
            return ChainReport(ok=False, checked=checked, first_bad_seq=row.seq, reason=f"第 {row.seq} 条审计记录内容与哈希不符，已被篡改")
        prev_hash = row.hash
        expected_seq += 1
        checked += 1
    head = (await session.execute(select(AuditChainHead).where(AuditChainHead.id == 1))).scalar_one_or_none()
    last_seq = head.last_seq if head else 0
    if last_seq != checked or (head and head.last_hash != prev_hash):
        missing = checked + 1
        return ChainReport(ok=False, checked=checked, first_bad_seq=missing, reason=f"审计链末尾记录缺失：链头为第 {last_seq} 条，实际只有 {checked} 条")
    return ChainReport(ok=True, checked=checked)


async def _iter_events(session: AsyncSession, batch: int) -> AsyncIterator[AuditEvent]:
    after = 0
    while True:
        rows = (await session.execute(select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch))).scalars().all()
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].seq
        session.expunge_all()


@dataclass(frozen=True)
class EventFilter:
    """Audit browser filter."""

    actor: str | None = None
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    result: str | None = None


_FULL_TAG_COLONS = 2


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def search_events(session: AsyncSession, flt: EventFilter, *, limit: int = 50, before_seq: int | None = None) -> list[AuditEvent]:
    """Newest first, keyset-paginated by sequence number."""
    stmt = select(AuditEvent)
    if flt.actor:
        # An account id or a display name, each with its own (column, seq) index: an OR of the two
        # would make the planner walk the whole table backwards by seq (seconds at 10M rows).
        column = AuditEvent.actor_id if _is_uuid(flt.actor) else AuditEvent.actor_name
        stmt = stmt.where(column == flt.actor)
    if flt.tag:
        # A full tag (source:subject:action) uses the (tag, seq) index; a prefix lists a family.
        stmt = stmt.where(AuditEvent.tag == flt.tag if flt.tag.count(":") >= _FULL_TAG_COLONS else AuditEvent.tag.startswith(flt.tag))
    if flt.since:
        stmt = stmt.where(AuditEvent.occurred_at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEvent.occurred_at < flt.until)
    if flt.result:
        stmt = stmt.where(AuditEvent.result == flt.result)
    if before_seq is not None:
        stmt = stmt.where(AuditEvent.seq < before_seq)
    return list((await session.execute(stmt.order_by(AuditEvent.seq.desc()).limit(limit))).scalars())


@dataclass(frozen=True)
class LoginRecord:
    """One login-related event shown in a user centre."""

    occurred_at: datetime
    tag: str
    result: str
    ip: str | None


async def recent_logins(session: AsyncSession, account_id: object, *, limit: int = 5) -> list[LoginRecord]:
    """The account's latest login events (own security information in the user centre)."""
    rows = (
        await session.execute(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "account", AuditEvent.subject_id == str(account_id), AuditEvent.tag.startswith("identity:session:"))
            .order_by(AuditEvent.seq.desc())
            .limit(limit),
        )
    ).scalars()
    return [LoginRecord(r.occurred_at, r.tag, r.result, r.ip) for r in rows]


async def count_events(session: AsyncSession) -> int:
    """Number of audit events (from the chain head, no table scan)."""
    head = (await session.execute(select(AuditChainHead.last_seq).where(AuditChainHead.id == 1))).scalar_one_or_none()
    return int(head or 0)
