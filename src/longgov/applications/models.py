"""Application tables: applications, their materials, their timeline and the daily number counter."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, false
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
    # Where the item is implemented, split out of ``organisation_code`` so that scope filters are equality
    # (or range) lookups: the division, its prefecture (first four digits + "00") and the department kind.
    division_code: Mapped[str | None] = mapped_column(String(6))
    prefecture_code: Mapped[str | None] = mapped_column(String(6))
    department_kind: Mapped[str | None] = mapped_column(String(40))
    # The time limit as last computed from ``workflow_state`` (kept in step by ``applications.tasks.sync``):
    # the clock starts at acceptance, pauses while a correction is awaited; provisional while a year it runs
    # through has no holiday notice loaded.
    clock_start: Mapped[date | None]
    time_limit_days: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[date | None]
    clock_paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # 表单免填写: which fields the platform filled from which licence or record (keyed digests of the
    # values, never the values), and the applicant's consent (who, when, which licences and fields).
    prefill: Mapped[dict[str, Any] | None]
    # 一件事: the bundle case this application belongs to (opaque to this module; its notices are the bundle's).
    bundle_case_ref: Mapped[str | None] = mapped_column(String(40), index=True)

    __table_args__ = (
        UniqueConstraint("applicant_account_id", "idempotency_key", name="uq_applications_applicant_idempotency_key"),
        # Leader views: open cases of a department in a region by status, and the overdue list by deadline.
        Index("ix_applications_department_division_status", "department_kind", "division_code", "status"),
        Index("ix_applications_department_prefecture_status", "department_kind", "prefecture_code", "status"),
        Index("ix_applications_deadline", "deadline"),
    )


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


class ApplicationMaterialRef(UUIDPrimaryKey, Timestamps, ModelBase):
    """证照免提交 — one required material fulfilled by the applicant's electronic licence instead of a file.

    The licence version presented is pinned by its GB/T 36904 identifier, version and the SM3 digest of
    its sealed document; ``facts`` keeps what staff need to see (type, number, holder, issuer, validity)
    as they stood when the seal was verified. The status is checked again whenever it is shown.
    """

    __tablename__ = "application_material_refs"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    material_index: Mapped[int] = mapped_column(Integer)
    material_name: Mapped[str] = mapped_column(String(200))
    licence_id: Mapped[uuid.UUID]
    licence_identifier: Mapped[str] = mapped_column(String(120))
    licence_version: Mapped[int] = mapped_column(Integer)
    licence_type_key: Mapped[str] = mapped_column(String(60))
    document_sm3: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime]
    facts: Mapped[dict[str, Any]]

    __table_args__ = (UniqueConstraint("application_id", "material_index", name="uq_application_material_refs_application_material"),)


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


class ApplicationTask(UUIDPrimaryKey, Timestamps, ModelBase):
    """待办任务 — one ready user task of an open application, one row per role allowed to do it.

    The query side of the workflow state: the inbox and the leader views read these rows with SQL
    instead of loading every process. ``applications.tasks.sync`` rebuilds an application's rows each
    time its workflow state changes; a claim (认领) is kept as long as its task stays ready.
    """

    __tablename__ = "application_tasks"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(64))  # the engine's task id
    task_name: Mapped[str] = mapped_column(String(40))  # the BPMN id: pre_check, review, department_review …
    task_title: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(24))
    # Every role the task allows, as ",approver,department_leader,": a caller holding two of them reads
    # the task once (on the row of the first) with a filter on the row itself, not a self-join.
    allowed_roles: Mapped[str] = mapped_column(String(120))
    actions: Mapped[str] = mapped_column(String(200))  # comma-separated, as the BPMN declares them
    # The department the engine assigned (a joint-review instance), else None.
    task_department: Mapped[str | None] = mapped_column(String(40))
    # The department whose staff do the task: the assigned one, else the application's own.
    department_kind: Mapped[str | None] = mapped_column(String(40))
    organisation_code: Mapped[str] = mapped_column(String(40))
    division_code: Mapped[str] = mapped_column(String(6))
    prefecture_code: Mapped[str] = mapped_column(String(6))
    item_name: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(20))
    applicant_name: Mapped[str] = mapped_column(String(200))  # masked for persons
    status: Mapped[str] = mapped_column(String(24))
    submitted_at: Mapped[datetime | None]
    deadline: Mapped[date | None]
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by_id: Mapped[uuid.UUID | None]
    claimed_by_name: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("application_id", "task_id", "role", name="uq_application_tasks_application_task_role"),
        # The inbox is "role = ? AND department_kind = ? AND <region> ORDER BY deadline NULLS LAST, submitted_at
        # LIMIT 20": one index per kind of region so that the scan is already in page order and stops after
        # one page (B-tree ASC keeps NULLs last on PostgreSQL, matching the ORDER BY). A county office filters
        # on its division, a prefecture office on the prefecture, a province office on neither; a leader over
        # every department (government services) reads the role's queue and filters the region.
        Index("ix_application_tasks_queue_all", "role", "deadline", "submitted_at"),
        Index("ix_application_tasks_queue", "role", "department_kind", "deadline", "submitted_at"),
        Index("ix_application_tasks_queue_division", "role", "department_kind", "division_code", "deadline", "submitted_at"),
        Index("ix_application_tasks_queue_prefecture", "role", "department_kind", "prefecture_code", "deadline", "submitted_at"),
        # 我认领的 and the leader's per-staff workload.
        Index("ix_application_tasks_claimed_by_id", "claimed_by_id"),
    )
