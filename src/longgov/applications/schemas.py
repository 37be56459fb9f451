"""DTOs of applications: inputs (strict) and views."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from longgov.identity.schemas import StrictModel

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,80}$"


class NewApplication(StrictModel):
    """Start a draft for a published item; the form may be partly filled."""

    item_code: str = Field(min_length=6, max_length=80)
    form: dict[str, Any] = Field(default_factory=dict)


class DraftUpdate(StrictModel):
    """Replace the draft's form data (save and continue later)."""

    form: dict[str, Any]


class MaterialView(BaseModel):
    """One required material of the item version and what was uploaded for it."""

    index: int
    name: str
    required: bool
    replaceable: bool
    form: str
    note: str
    uploaded: bool
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    sm3: str | None = None
    uploaded_at: datetime | None = None


class EventView(BaseModel):
    """One timeline step."""

    step: str
    title: str
    actor_role: str
    actor_department: str | None
    occurred_at: datetime
    details: dict[str, Any]


class ApplicationSummary(BaseModel):
    """An application in 我的办件."""

    id: uuid.UUID
    number: str | None
    item_code: str
    item_name: str
    department: str
    status: str
    status_title: str
    created_at: datetime
    submitted_at: datetime | None


class TimeLimitView(BaseModel):
    """The promised time limit: it starts at acceptance and pauses while the applicant corrects materials."""

    start: date
    working_days: int
    deadline: date
    working_days_left: int
    status: str  # green | yellow (≤ 2 working days) | red (overdue)
    paused: bool = False
    finished: bool = False


class ApplicationView(ApplicationSummary):
    """One application with its form, materials and timeline (the applicant's view)."""

    applicant_kind: str
    applicant_name: str
    item_basic_code: str
    item_version: int
    form_id: str
    form: dict[str, Any]
    materials: list[MaterialView]
    events: list[EventView]
    workflow_state: dict[str, Any] | None = None
    time_limit: TimeLimitView | None = None
    awaiting_applicant: bool = False


class InboxEntry(BaseModel):
    """One ready task in a staff member's workbench inbox."""

    application_id: uuid.UUID
    number: str
    item_name: str
    applicant_name: str
    status: str
    status_title: str
    task_id: str
    task_name: str
    task_title: str
    actions: list[str]
    submitted_at: datetime | None
    time_limit: TimeLimitView | None = None


class StepBody(StrictModel):
    """A staff member's step: the task (id or name), the action, an opinion; missing items for a correction request, a reason to refuse or deny."""

    task: str = Field(min_length=1, max_length=80)
    action: str = Field(min_length=1, max_length=40)
    opinion: str = Field(min_length=1, max_length=2000)
    missing_items: list[str] = Field(default_factory=list, max_length=50)
    reason: str = Field(default="", max_length=2000)


class ResubmitBody(StrictModel):
    """The applicant's note on resubmitting corrected materials."""

    note: str = Field(default="", max_length=2000)
