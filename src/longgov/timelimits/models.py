"""Time-limit tables: holiday notices (versioned per year), their days, missing-year alerts, cache version."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase, Timestamps, UUIDPrimaryKey


class HolidayNotice(UUIDPrimaryKey, Timestamps, ModelBase):
    """国务院办公厅关于某年部分节假日安排的通知 — one version of a year's holiday arrangements.

    Publishing a new version for a year marks the previous one ``superseded`` (kept for history).
    ``active_year`` equals ``year`` while active and is NULL once superseded: its unique constraint
    allows exactly one active notice per year on every backend.
    """

    __tablename__ = "holiday_notices"

    year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # active | superseded
    active_year: Mapped[int | None] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    document_number: Mapped[str | None] = mapped_column(String(60))  # 国办发明电〔2025〕7号
    published_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(40))  # manual | chinese-calendar 1.11
    source_text: Mapped[str | None] = mapped_column(Text)
    entered_by_id: Mapped[uuid.UUID | None]
    entered_by_name: Mapped[str | None] = mapped_column(String(120))
    superseded_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("year", "version", name="uq_holiday_notices_year_version"),)


class HolidayDay(UUIDPrimaryKey, ModelBase):
    """One date of a notice: a day off (``holiday``) or an adjusted working weekend (``adjusted_workday``)."""

    __tablename__ = "holiday_days"

    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("holiday_notices.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # holiday | adjusted_workday
    name: Mapped[str] = mapped_column(String(60))  # 春节

    __table_args__ = (UniqueConstraint("notice_id", "day", name="uq_holiday_days_notice_day"),)


class CalendarAlert(UUIDPrimaryKey, Timestamps, ModelBase):
    """A deadline was computed for a year with no notice loaded; open until that year's notice arrives.

    ``open_year`` is the year while open and NULL once resolved, so there is at most one open alert
    per year even when several workers notice the gap at once.
    """

    __tablename__ = "calendar_alerts"

    year: Mapped[int] = mapped_column(Integer, index=True)
    open_year: Mapped[int | None] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(12))  # open | resolved
    message: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by_notice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("holiday_notices.id"))


class CalendarState(ModelBase):
    """One row: a counter bumped on every change, so each worker knows when to reload its calendar."""

    __tablename__ = "calendar_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
