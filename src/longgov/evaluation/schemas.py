"""Evaluation DTOs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCORE_TITLES: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
RECTIFICATION_STATUS_TITLES: dict[str, str] = {"open": "待整改", "rectified": "已整改，待回访", "revisited": "已回访"}
REVISIT_CHANNEL_TITLES: dict[str, str] = {"online": "网上回访", "phone": "电话回访"}


class StrictModel(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RatingInput(StrictModel):
    """The applicant's rating: 5 非常满意 … 1 非常不满意, with an optional comment."""

    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class RectificationResult(StrictModel):
    """The department leader's rectification result."""

    result: str = Field(min_length=1, max_length=2000)


class PhoneRevisitInput(StrictModel):
    """电话回访: the applicant's satisfaction (1–5) as answered by phone, and what was said."""

    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class RectificationView(BaseModel):
    """One rectification task."""

    id: uuid.UUID
    application_number: str
    item_code: str
    item_name: str
    department_name: str
    organisation_code: str
    status: str
    status_title: str
    deadline: date
    overdue: bool
    score: int
    comment: str | None
    result: str | None
    handled_by: str | None
    handled_at: datetime | None
    revisit_score: int | None
    revisit_comment: str | None
    revisited_at: datetime | None
    revisit_channel: str | None = None
    revisit_channel_title: str | None = None
    revisit_recorded_by: str | None = None


class RatingView(BaseModel):
    """A rating with its rectification, if one was opened."""

    application_number: str
    score: int
    score_title: str
    comment: str | None
    rated_at: datetime
    rectification: RectificationView | None = None


class RatingState(BaseModel):
    """What the rating page shows: the application, whether it may be rated, and the rating so far."""

    application_number: str
    item_name: str
    department_name: str
    status: str
    status_title: str
    can_rate: bool
    can_revisit: bool
    rating: RatingView | None


class StatsRow(BaseModel):
    """Rating statistics of one item or one department."""

    key: str
    name: str
    ratings: int
    average: float
    satisfied: int
    satisfaction_rate: float
    bad: int
    rectified: int
    rectification_rate: float | None  # None when there is no bad rating


class StatsView(BaseModel):
    """Statistics grouped by item or by department, with the total."""

    by: Literal["item", "department"]
    rows: list[StatsRow]
    total: StatsRow
