"""DTOs of applications: inputs (strict) and views."""

from __future__ import annotations

import uuid
from datetime import datetime
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
