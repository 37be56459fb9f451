"""审计日志 — append-only audit events chained by SM3 hashes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(ModelBase):
    """One audit record; ``hash`` = SM3(prev_hash ‖ canonical fields)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime]
    tag: Mapped[str] = mapped_column(String(120))
    result: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_role: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    subject_type: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(128))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        # The browser filters by one of these and pages newest first by seq (keyset).
        Index("ix_audit_events_actor_seq", "actor_id", "seq"),
        Index("ix_audit_events_actor_name_seq", "actor_name", "seq"),
        Index("ix_audit_events_tag_seq", "tag", "seq"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
    )


class AuditChainHead(ModelBase):
    """The last sequence number and hash; its row lock serialises appends across workers."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(SeqType)
    last_hash: Mapped[str] = mapped_column(Text)
