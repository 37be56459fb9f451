"""Bundle tables: bundles and their versions, bundle cases, their members, materials and timeline, the number counter; the key-item list and its reviews."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase, PortableJSON, Timestamps, UUIDPrimaryKey


class Bundle(UUIDPrimaryKey, Timestamps, ModelBase):
    """一件事 — a multi-item, multi-department life event; its definition lives in :class:`BundleVersion` rows.

    The row holds what identifies the bundle and what queries filter on (the lead organisation's
    division and department kind, for staff scope), like a catalogue item.
    """

    __tablename__ = "onething_bundles"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    lead_organisation_code: Mapped[str] = mapped_column(String(40))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    department_kind: Mapped[str | None] = mapped_column(String(40))
    published_version: Mapped[int | None] = mapped_column(Integer)
    latest_version: Mapped[int] = mapped_column(Integer, default=1)


class BundleVersion(UUIDPrimaryKey, Timestamps, ModelBase):
    """One version of a bundle's definition (guide, items, dependencies, materials): draft → published → superseded."""

    __tablename__ = "onething_bundle_versions"

    bundle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onething_bundles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # draft | published | superseded
    definition: Mapped[dict[str, Any]]
    created_by: Mapped[str | None] = mapped_column(String(120))
    published_at: Mapped[datetime | None]
    change_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("bundle_id", "version", name="uq_onething_bundle_versions_bundle_version"),)


class BundleCase(UUIDPrimaryKey, Timestamps, ModelBase):
    """一件事办件 — one applicant's case of one published bundle version: answers, one form, one submission.

    ``status`` is derived from the members (:func:`longgov.onething.services.advance`); ``notices`` remembers
    which combined notices went out (their signatures), so each is sent once.
    """

    __tablename__ = "onething_cases"

    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # YJS + yyyymmdd + 6 digits, set on submission
    applicant_account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    applicant_kind: Mapped[str] = mapped_column(String(12))  # person | enterprise
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_person_id: Mapped[uuid.UUID | None]
    applicant_enterprise_id: Mapped[uuid.UUID | None]
    bundle_code: Mapped[str] = mapped_column(String(40), index=True)
    bundle_version: Mapped[int] = mapped_column(Integer)
    bundle_name: Mapped[str] = mapped_column(String(120))
    answers: Mapped[dict[str, Any]]
    # The merged form (personal data): SM4-encrypted JSON.
    form_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    prefill_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(24), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    submitted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    notices: Mapped[dict[str, Any]]

    __table_args__ = (UniqueConstraint("applicant_account_id", "idempotency_key", name="uq_onething_cases_applicant_idempotency_key"),)


class BundleCaseMember(UUIDPrimaryKey, Timestamps, ModelBase):
    """One applicable item of a bundle case and its application (once started).

    ``state``: waiting (for its predecessors) | started | correction | awaiting_applicant | granted | denied |
    refused | blocked (a predecessor was not granted). ``attempts`` keeps earlier applications of the item
    when the applicant applied again within the bundle.
    """

    __tablename__ = "onething_case_members"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onething_cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_basic_code: Mapped[str] = mapped_column(String(40))
    item_code: Mapped[str] = mapped_column(String(80))
    item_name: Mapped[str] = mapped_column(String(200))
    department_name: Mapped[str] = mapped_column(String(120))
    depends_on: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    state: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    application_number: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("case_id", "item_basic_code", name="uq_onething_case_members_case_item"),)


class BundleCaseMaterial(UUIDPrimaryKey, Timestamps, ModelBase):
    """A material of the merged list, uploaded once for the whole case; each member application gets a copy."""

    __tablename__ = "onething_case_materials"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onething_cases.id", ondelete="CASCADE"), index=True)
    material_key: Mapped[str] = mapped_column(String(24))
    material_name: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(200))
    original_filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(BigInteger)
    sm3: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("case_id", "material_key", name="uq_onething_case_materials_case_material"),)


class BundleCaseEvent(UUIDPrimaryKey, ModelBase):
    """One step of the bundle case itself (submitted, a member started or blocked, a combined notice, completion)."""

    __tablename__ = "onething_case_events"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onething_cases.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    item_name: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    details: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_onething_case_events_case_occurred", "case_id", "occurred_at"),)


class BundleCaseNumberCounter(ModelBase):
    """The last bundle case number issued on one day (China time); one row per day."""

    __tablename__ = "onething_number_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class KeyItem(UUIDPrimaryKey, Timestamps, ModelBase):
    """重点事项清单 — one entry of the key-item list: a bundle, its departments, targets, launch and review cycle.

    The lead organisation's division and department kind are kept for staff scope, as on :class:`Bundle`;
    ``next_review_on`` is the first day after the period the next routine review covers.
    """

    __tablename__ = "onething_key_items"

    bundle_code: Mapped[str] = mapped_column(String(40), unique=True)
    bundle_name: Mapped[str] = mapped_column(String(120))
    lead_organisation_code: Mapped[str] = mapped_column(String(40))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    department_kind: Mapped[str | None] = mapped_column(String(40))
    participating: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    target_days: Mapped[int | None] = mapped_column(Integer)
    target_materials: Mapped[int | None] = mapped_column(Integer)
    target_visits: Mapped[int | None] = mapped_column(Integer)
    target_steps: Mapped[int | None] = mapped_column(Integer)
    launched_on: Mapped[date | None]
    review_cycle: Mapped[str] = mapped_column(String(12))  # monthly | quarterly | half_yearly | yearly
    status: Mapped[str] = mapped_column(String(12), index=True)  # planned | launched | paused
    responsible_person: Mapped[str] = mapped_column(String(60), default="")
    note: Mapped[str | None] = mapped_column(Text)
    next_review_on: Mapped[date | None]
    last_reviewed_on: Mapped[date | None]
    last_outcome: Mapped[str | None] = mapped_column(String(12))  # met | missed | no_data
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_by: Mapped[str | None] = mapped_column(String(120))


class KeyItemReview(UUIDPrimaryKey, ModelBase):
    """One routine review of a key item: the completed cases of one period against the targets; one per entry and period."""

    __tablename__ = "onething_key_item_reviews"

    key_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onething_key_items.id", ondelete="CASCADE"), index=True)
    bundle_code: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date]
    period_end: Mapped[date]
    reviewed_at: Mapped[datetime]
    sample_size: Mapped[int] = mapped_column(Integer)
    targets: Mapped[dict[str, Any]]
    actuals: Mapped[dict[str, Any]]  # metric → {median, mean, max}
    results: Mapped[dict[str, Any]]  # metric → met | missed | no_data | no_target
    outcome: Mapped[str] = mapped_column(String(12))
    notified: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("key_item_id", "period_end", name="uq_onething_key_item_reviews_item_period"),)
