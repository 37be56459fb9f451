"""Evaluation tables: one rating per application and the rectification (整改) a bad rating opens."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase, Timestamps, UUIDPrimaryKey


class Rating(UUIDPrimaryKey, Timestamps, ModelBase):
    """评价 — the applicant's 1–5 rating of one concluded application (at most one per application).

    Item and department are copied from the application so statistics need no join across modules.
    """

    __tablename__ = "evaluation_ratings"

    application_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    application_number: Mapped[str] = mapped_column(String(20), index=True)
    applicant_account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    item_code: Mapped[str] = mapped_column(String(80), index=True)
    item_name: Mapped[str] = mapped_column(String(200))
    organisation_code: Mapped[str] = mapped_column(String(40), index=True)
    department_name: Mapped[str] = mapped_column(String(120))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime]


class Rectification(UUIDPrimaryKey, Timestamps, ModelBase):
    """整改 — opened by a rating of 2 or less: the department rectifies by a deadline, then the applicant is re-visited (回访)."""

    __tablename__ = "evaluation_rectifications"

    rating_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluation_ratings.id", ondelete="CASCADE"), unique=True)
    application_number: Mapped[str] = mapped_column(String(20))
    applicant_account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    organisation_code: Mapped[str] = mapped_column(String(40), index=True)
    department_name: Mapped[str] = mapped_column(String(120))
    item_code: Mapped[str] = mapped_column(String(80))
    item_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | rectified | revisited
    deadline: Mapped[date]
    result: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[str | None] = mapped_column(String(200))
    handled_at: Mapped[datetime | None]
    revisit_score: Mapped[int | None] = mapped_column(Integer)
    revisit_comment: Mapped[str | None] = mapped_column(Text)
    revisited_at: Mapped[datetime | None]
    # 回访 answered online by the applicant, or by phone and recorded by a staff member (who is kept).
    revisit_channel: Mapped[str | None] = mapped_column(String(12))  # online | phone
    revisit_recorded_by: Mapped[str | None] = mapped_column(String(200))
    # The China date of the last deadline reminder, so the reminder job sends at most one a day.
    last_reminded_on: Mapped[date | None]
