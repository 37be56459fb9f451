"""Licence tables: licences, their signed versions and history, serial counters and seal keys."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase, PortableJSON, Timestamps, UUIDPrimaryKey


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
    active: Mapped[bool] = mapped_column(default=True)  # the key that signs now (one per organisation)
    created_at: Mapped[datetime]  # in force from
    retired_at: Mapped[datetime | None]  # stopped signing (rotated or compromised); still verifies what it signed before
    compromised_at: Mapped[datetime | None]  # 密钥泄露: nothing it signed verifies any more
    retire_reason: Mapped[str | None] = mapped_column(Text)
    retired_by: Mapped[str | None] = mapped_column(String(120))


Index("ix_licence_events_licence_occurred", LicenceEvent.licence_id, LicenceEvent.occurred_at)
Index(
    "uq_licence_seal_keys_active_org", SealKey.organisation_code, unique=True, postgresql_where=SealKey.active.is_(True), sqlite_where=SealKey.active.is_(True)
)


class LicenceDisclosure(UUIDPrimaryKey, ModelBase):
    """选择性披露清单 — salted SM3 digests of one licence version's claims, signed once (see ``offline``).

    The salts are secret until a holder discloses a field; they are stored SM4-encrypted. ``manifest``
    is the signed body (digests, identifier, version, issuer), ``signer`` says whose key signed it:
    ``issuer`` (the issuing organisation's seal) or ``platform`` (a licence imported from another
    province, whose issuer's private key the platform does not hold).
    """

    __tablename__ = "licence_disclosures"

    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("licence_versions.id", ondelete="CASCADE"), unique=True)
    salts_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    manifest: Mapped[dict[str, Any]]
    signer: Mapped[str] = mapped_column(String(12))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class LicencePresentation(UUIDPrimaryKey, ModelBase):
    """用证 — a holder's signed presentation of one licence to a verifier, for a purpose, until it expires."""

    __tablename__ = "licence_presentations"

    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # random, in the QR link and the signed JSON
    short_code: Mapped[str] = mapped_column(String(12), unique=True)  # typed by a verifier at a counter
    licence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"), index=True)
    identifier: Mapped[str] = mapped_column(String(120))
    holder_person_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    holder_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    verifier_uscc: Mapped[str | None] = mapped_column(String(18))
    verifier_name: Mapped[str | None] = mapped_column(String(120))
    disclosed: Mapped[list[str]] = mapped_column(PortableJSON)
    single_use: Mapped[bool] = mapped_column(default=False)
    document_cipher: Mapped[bytes] = mapped_column(LargeBinary)  # the signed presentation JSON (personal data)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    verified_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(120))


class LicencePresentationCheck(UUIDPrimaryKey, ModelBase):
    """One verification of a presentation: who checked, when, through which channel, with what outcome."""

    __tablename__ = "licence_presentation_checks"

    # An explicit name: the convention's one would pass PostgreSQL's 63-character limit.
    presentation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("licence_presentations.id", ondelete="CASCADE", name="fk_licence_presentation_checks_presentation")
    )
    checked_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(12))  # page | api
    verifier: Mapped[str | None] = mapped_column(String(120))  # the verifier as declared (USCC or name)
    checked_by: Mapped[str | None] = mapped_column(String(160))  # the signed-in account, if any
    valid: Mapped[bool]
    code: Mapped[str] = mapped_column(String(40))


class TrustedIssuer(UUIDPrimaryKey, ModelBase):
    """互认信任列表 — an external issuer (another province's platform or department) and one of its SM2 keys."""

    __tablename__ = "licence_trusted_issuers"

    uscc: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(40))  # 四川省 …
    key_id: Mapped[str] = mapped_column(String(64), unique=True)  # SM3 of the public key, hex
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    trust_level: Mapped[str] = mapped_column(String(1))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


Index("ix_licence_presentation_checks_presentation", LicencePresentationCheck.presentation_id, LicencePresentationCheck.checked_at)


class LicenceStatusFeed(UUIDPrimaryKey, Timestamps, ModelBase):
    """外省状态列表 — where an external issuer publishes its signed status list, and how the last pulls went.

    One row per external issuer (USCC). ``list_generated_at`` is the ``generatedAt`` of the last list
    accepted: an older list is refused as a replay.
    """

    __tablename__ = "licence_status_feeds"

    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(500))
    updated_by: Mapped[str | None] = mapped_column(String(120))
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(12))  # ok | failed
    last_code: Mapped[str | None] = mapped_column(String(40))
    last_message: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed pulls
    list_generated_at: Mapped[datetime | None]
    entries: Mapped[int] = mapped_column(Integer, default=0)


class ExternalLicenceStatus(UUIDPrimaryKey, ModelBase):
    """A suspended or revoked licence as its external issuer's last accepted status list states it.

    Kept for licences not (yet) imported too: one imported later takes its status on import.
    """

    __tablename__ = "licence_external_statuses"

    uscc: Mapped[str] = mapped_column(String(18), index=True)
    licence_key: Mapped[str] = mapped_column(String(120), unique=True)  # identifier without version and check character
    status: Mapped[str] = mapped_column(String(12))  # suspended | revoked
    since: Mapped[datetime | None]
    recorded_at: Mapped[datetime]
