"""Time limits: versioned holiday notices and their days, missing-year alerts, the calendar counter.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 05:44:01.521569
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import longgov.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "calendar_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_state")),
    )
    op.create_table(
        "holiday_notices",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("active_year", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=60), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=True),
        sa.Column("entered_by_id", sa.Uuid(), nullable=True),
        sa.Column("entered_by_name", sa.String(length=120), nullable=True),
        sa.Column("superseded_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_notices")),
        sa.UniqueConstraint("active_year", name=op.f("uq_holiday_notices_active_year")),
        sa.UniqueConstraint("year", "version", name="uq_holiday_notices_year_version"),
    )
    with op.batch_alter_table("holiday_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holiday_notices_year"), ["year"], unique=False)

    op.create_table(
        "calendar_alerts",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("open_year", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("raised_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_notice_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["resolved_by_notice_id"], ["holiday_notices.id"], name=op.f("fk_calendar_alerts_resolved_by_notice_id_holiday_notices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_alerts")),
        sa.UniqueConstraint("open_year", name=op.f("uq_calendar_alerts_open_year")),
    )
    with op.batch_alter_table("calendar_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_alerts_year"), ["year"], unique=False)

    op.create_table(
        "holiday_days",
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["holiday_notices.id"], name=op.f("fk_holiday_days_notice_id_holiday_notices"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_days")),
        sa.UniqueConstraint("notice_id", "day", name="uq_holiday_days_notice_day"),
    )
    with op.batch_alter_table("holiday_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holiday_days_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_holiday_days_notice_id"), ["notice_id"], unique=False)

    # The counter every worker compares with its cached calendar; seeding and notices bump it.
    calendar_state = sa.table(
        "calendar_state", sa.column("id", sa.Integer()), sa.column("version", sa.Integer()), sa.column("updated_at", sa.DateTime(timezone=True))
    )
    op.bulk_insert(calendar_state, [{"id": 1, "version": 0, "updated_at": datetime.now(UTC)}])


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("holiday_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holiday_days_notice_id"))
        batch_op.drop_index(batch_op.f("ix_holiday_days_day"))

    op.drop_table("holiday_days")
    with op.batch_alter_table("calendar_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_alerts_year"))

    op.drop_table("calendar_alerts")
    with op.batch_alter_table("holiday_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holiday_notices_year"))

    op.drop_table("holiday_notices")
    op.drop_table("calendar_state")
