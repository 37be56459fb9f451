"""Application tables: applications, their materials, their timeline and the daily number counter."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase, Timestamps, UUIDPrimaryKey


class Application(UUIDPrimaryKey, Timestamps, ModelBase):
    """申请 — one applicant's request for one published version of one service item.

    ``status`` is what the applicant sees (draft → submitted → …); the workflow engine owns
    ``workflow_state`` (its process instance, token positions) and moves ``status`` through
    :func:`longgov.applications.services.record_step`.
    """

    __tablename__ = "applications"

    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # GS + yyyymmdd + 6 digits, set on submission
    applicant_account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    applicant_kind: Mapped[str] = mapped_column(String(12))  # person | enterprise
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_person_id: Mapped[uuid.UUID | None]
    applicant_enterprise_id: Mapped[uuid.UUID | None]
    # The item version is referenced by code + number: published versions never change.
    item_code: Mapped[str] = mapped_column(String(80), index=True)
    item_basic_code: Mapped[str] = mapped_column(String(40))
    item_version: Mapped[int] = mapped_column(Integer)
    item_name: Mapped[str] = mapped_column(String(200))
    department_name: Mapped[str] = mapped_column(String(120))
    organisation_code: Mapped[str] = mapped_column(String(40), index=True)
    form_id: Mapped[str] = mapped_column(String(80))
    # The filled form (personal data): SM4-encrypted JSON.
    form_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(24), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    submitted_at: Mapped[datetime | None]
    workflow_state: Mapped[dict[str, Any] | None]

    __table_args__ = (UniqueConstraint("applicant_account_id", "idempotency_key", name="uq_applications_applicant_idempotency_key"),)


class ApplicationMaterial(UUIDPrimaryKey, Timestamps, ModelBase):
    """申请材料 — one uploaded file for one required material of the item version."""

    __tablename__ = "application_materials"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    material_index: Mapped[int] = mapped_column(Integer)
    material_name: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(200))
    original_filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(BigInteger)
    sm3: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("application_id", "material_index", name="uq_application_materials_application_material"),)


class ApplicationEvent(UUIDPrimaryKey, ModelBase):
    """One step of an application's timeline (办件进度), written by intake now and the workflow later."""

    __tablename__ = "application_events"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    actor_role: Mapped[str] = mapped_column(String(40))
    actor_department: Mapped[str | None] = mapped_column(String(120))
    occurred_at: Mapped[datetime]
    details: Mapped[dict[str, Any]]


class ApplicationNumberCounter(ModelBase):
    """The last application number issued on one day (China time); one row per day."""

    __tablename__ = "application_number_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)
