"""The lease and last outcome of each scheduled job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from longgov.db import ModelBase


class JobLease(ModelBase):
    """定时任务 — one row per job name: who holds it until when, and how its last run went.

    A worker may run a job only after setting ``holder``/``lease_until`` on a row whose lease is free
    or expired, in one conditional UPDATE: on both backends exactly one concurrent UPDATE matches.
    """

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(12))  # ok | partial | failed
    last_result: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, default=0)
