"""Licence tables: licences, their signed versions and history, serial counters and seal keys."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase, Timestamps, UUIDPrimaryKey


class Licence(UUIDPrimaryKey, Timestamps, ModelBase):
    """电子证照 — one licence held by a person or an enterprise; its current state.

    The holder's ID number is stored SM4-encrypted with a blind index (persons) or in clear (an
    enterprise's USCC is public). The licence number is matched through ``number_index`` so a
    personal number (居民身份证) never sits in clear. Content lives in ``LicenceVersion`` rows.
    """

    __tablename__ = "licences"

    type_code: Mapped[str] = mapped_column(String(21), index=True)
    issuer_code: Mapped[str] = mapped_column(String(40))  # organisation code, 620102-market_regulation
    issuer_uscc: Mapped[str] = mapped_column(String(18))
    issuer_name: Mapped[str] = mapped_column(String(120))
    division_code: Mapped[str] = mapped_column(String(6), index=True)  # the issuer's division (staff scope)
    department_kind: Mapped[str | None] = mapped_column(String(40))
    serial: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    identifier: Mapped[str] = mapped_column(String(120), unique=True)  # GB/T 36904 id of the current version
    status_index: Mapped[int] = mapped_column(Integer, unique=True)  # position in the status lists
    number_index: Mapped[str] = mapped_column(String(64))
    number_display: Mapped[str] = mapped_column(String(80))
    holder_kind: Mapped[str] = mapped_column(String(12))  # person | enterprise
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_id_type: Mapped[str] = mapped_column(String(20))
    holder_id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    holder_index: Mapped[str] = mapped_column(String(64), index=True)
    holder_id_masked: Mapped[str] = mapped_column(String(40))
    holder_person_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    holder_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # None: 长期
    trust_level: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(12))  # valid | suspended | revoked
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(12))  # issued | imported | application
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    content_sm3: Mapped[str] = mapped_column(String(64))  # digest of the issued data, for idempotent re-import

    __table_args__ = (UniqueConstraint("type_code", "issuer_code", "number_index", name="uq_licences_type_issuer_number"),)


class LicenceVersion(UUIDPrimaryKey, ModelBase):
    """One signed version of a licence: canonical JSON (SM4-encrypted, it holds personal data) and its seal."""

    __tablename__ = "licence_versions"

    licence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    document_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    document_sm3: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    seal_key_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(20))  # issue | import | update | renew
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (UniqueConstraint("licence_id", "version", name="uq_licence_versions_licence_version"),)


class LicenceEvent(UUIDPrimaryKey, ModelBase):
    """证照变更记录 — every change of a licence (issued, new version, suspended, reinstated, revoked, renewed)."""

    __tablename__ = "licence_events"

    licence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    actor_name: Mapped[str | None] = mapped_column(String(120))
    occurred_at: Mapped[datetime]


class LicenceCounter(ModelBase):
    """Serial counters: one per (licence type, issuer); ``*status*`` allocates status-list positions."""

    __tablename__ = "licence_counters"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class SealKey(UUIDPrimaryKey, ModelBase):
    """电子印章密钥 — an issuing organisation's SM2 seal key; the private half SM4-encrypted with the platform data key."""

    __tablename__ = "licence_seal_keys"

    organisation_code: Mapped[str] = mapped_column(String(40))
    organisation_uscc: Mapped[str] = mapped_column(String(18), index=True)
    organisation_name: Mapped[str] = mapped_column(String(120))
    key_id: Mapped[str] = mapped_column(String(64), unique=True)  # SM3 of the public key, hex
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)  # None when the key lives in an HSM
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


Index("ix_licence_events_licence_occurred", LicenceEvent.licence_id, LicenceEvent.occurred_at)
Index(
    "uq_licence_seal_keys_active_org", SealKey.organisation_code, unique=True, postgresql_where=SealKey.active.is_(True), sqlite_where=SealKey.active.is_(True)
)
