"""Identity tables: organisations, persons, enterprises, accounts, roles, sessions, one-time codes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase, Timestamps, UUIDPrimaryKey


class Organisation(UUIDPrimaryKey, Timestamps, ModelBase):
    """机构 — a people's government or one of its departments, placed on a GB/T 2260 division."""

    __tablename__ = "organisations"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # government | department
    department_kind: Mapped[str | None] = mapped_column(String(40))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    level: Mapped[str] = mapped_column(String(12))  # province | prefecture | county
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Person(UUIDPrimaryKey, Timestamps, ModelBase):
    """自然人 — a natural person; identifiers and contact data stored SM4-encrypted."""

    __tablename__ = "persons"

    name: Mapped[str] = mapped_column(String(60))
    id_number_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    phone_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(11))
    address_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    division_code: Mapped[str | None] = mapped_column(String(6), index=True)


class Enterprise(UUIDPrimaryKey, Timestamps, ModelBase):
    """法人 — a legal person identified by its unified social credit code (public)."""

    __tablename__ = "enterprises"

    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str] = mapped_column(String(60))
    phone_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(11))
    address_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    division_code: Mapped[str] = mapped_column(String(6), index=True)


class Account(UUIDPrimaryKey, Timestamps, ModelBase):
    """A login: a person, an enterprise (its operator) or a staff member of an organisation."""

    __tablename__ = "accounts"

    kind: Mapped[str] = mapped_column(String(12))  # person | enterprise | staff
    # person: "person:<blind index of ID number>", enterprise: "enterprise:<USCC>", staff: "staff:<username>"
    login_key: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("enterprises.id"))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)


class StaffRole(UUIDPrimaryKey, ModelBase):
    """A role held by a staff account; ``admin_duty`` makes the three admin roles exclusive."""

    __tablename__ = "staff_roles"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    # "admin" for system/security/audit administrators, else NULL: the unique constraint below
    # stops one account holding two of them even if a service check were bypassed.
    admin_duty: Mapped[str | None] = mapped_column(String(10))

    __table_args__ = (
        UniqueConstraint("account_id", "role", name="uq_staff_roles_account_role"),
        UniqueConstraint("account_id", "admin_duty", name="uq_staff_roles_account_admin_duty"),
    )


class LoginSession(UUIDPrimaryKey, ModelBase):
    """A browser/API session; only the SM3 hash of its bearer token is stored."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # second_factor | active
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))


class OneTimeCode(UUIDPrimaryKey, ModelBase):
    """短信验证码 — a one-time code bound to a pending session; only its hash is kept."""

    __tablename__ = "one_time_codes"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("login_sessions.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None]


Index("ix_accounts_kind_org", Account.kind, Account.organisation_id)


class UsccCounter(ModelBase):
    """The last organisation-code serial given to a business registered in one division (统一社会信用代码赋码)."""

    __tablename__ = "identity_uscc_counters"

    division_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
