"""Document tables: issued documents (metadata, PDF bytes, signature) and number sequences."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from longgov.db import ModelBase, Timestamps, UUIDPrimaryKey


class Document(UUIDPrimaryKey, Timestamps, ModelBase):
    """一份文书 — an issued official document, immutable once written.

    The PDF bytes are kept in the row for now (large-object storage comes later); ``pdf_sm3`` is the
    SM3 digest of those bytes and ``signature`` the platform's SM2 signature over that digest.
    """

    __tablename__ = "documents"

    kind: Mapped[str] = mapped_column(String(20))  # acceptance | refusal | correction | grant | denial
    number: Mapped[str] = mapped_column(String(80), unique=True)  # 城关市监许受〔2026〕第000123号
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    organisation_id: Mapped[uuid.UUID | None]
    organisation_code: Mapped[str] = mapped_column(String(40), index=True)
    organisation_name: Mapped[str] = mapped_column(String(120))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    application_number: Mapped[str] = mapped_column(String(60), index=True)
    applicant_kind: Mapped[str] = mapped_column(String(12))  # person | enterprise
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_masked: Mapped[str] = mapped_column(String(200))
    item_name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime]
    issued_on: Mapped[date] = mapped_column(Date)  # the date printed on the document (China time)
    issued_by_id: Mapped[uuid.UUID | None]
    issued_by_name: Mapped[str | None] = mapped_column(String(120))
    content: Mapped[dict[str, Any]]  # the fields the PDF was rendered from (ID numbers already masked)
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    size_bytes: Mapped[int] = mapped_column(Integer)
    pdf_sm3: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    signer_key_sm3: Mapped[str] = mapped_column(String(64))  # which platform key signed (for key rotation)

    __table_args__ = (UniqueConstraint("organisation_code", "kind", "year", "serial", name="uq_documents_org_kind_year_serial"),)


class DocumentSequence(ModelBase):
    """The last serial used per organisation, kind and year; one row is the lock numbering serialises on."""

    __tablename__ = "document_sequences"

    organisation_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
