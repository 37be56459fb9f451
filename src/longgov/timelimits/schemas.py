"""DTOs of the time-limits module."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from longgov.identity.schemas import StrictModel

MIN_YEAR = 2004
MAX_YEAR = 2100


class NoticeDayInput(StrictModel):
    """One date of a notice given as structured JSON."""

    date: date
    kind: Literal["holiday", "adjusted_workday"]
    name: str = Field(min_length=1, max_length=40)


class NoticeInput(StrictModel):
    """A year's holiday notice: either ``text`` (one line per day or range, see the admin page) or ``days``.

    Errors in ``days`` are reported as 第N行 with N the item's position (1-based).
    """

    year: int = Field(ge=MIN_YEAR, le=MAX_YEAR)
    title: str = Field(min_length=4, max_length=200)
    document_number: str | None = Field(default=None, max_length=60)
    published_on: date | None = None
    text: str | None = Field(default=None, max_length=20_000)
    days: list[NoticeDayInput] | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_source(self) -> NoticeInput:
        if (self.text is None) == (self.days is None):
            msg = "text 与 days 须且仅须提供其一"
            raise ValueError(msg)
        return self


class HolidayDayView(BaseModel):
    """One date of a notice."""

    date: date
    kind: Literal["holiday", "adjusted_workday"]
    name: str
    weekday: str


class NoticeView(BaseModel):
    """One version of a year's notice."""

    id: uuid.UUID
    year: int
    version: int
    status: Literal["active", "superseded"]
    title: str
    document_number: str | None
    published_on: date | None
    source: str
    entered_by_name: str | None
    created_at: datetime
    superseded_at: datetime | None
    holidays: int
    adjusted_workdays: int
    days: list[HolidayDayView] = Field(default_factory=list)


class AlertView(BaseModel):
    """A missing-year alert."""

    id: uuid.UUID
    year: int
    status: Literal["open", "resolved"]
    message: str
    raised_at: datetime
    resolved_at: datetime | None


class DeadlineQuery(StrictModel):
    """Compute a deadline: ``n`` working days after ``start``, skipping paused working days."""

    start: date
    working_days: int = Field(ge=0, le=3660)
    pauses: list[tuple[date, date]] = Field(default_factory=list, max_length=50)


class DeadlineView(BaseModel):
    """A computed deadline with its traffic light on ``today``."""

    start: date
    working_days: int
    deadline: date
    provisional: bool
    missing_years: list[int]
    today: date
    status: Literal["green", "yellow", "red"]
    working_days_left: int
    calendar_version: int
