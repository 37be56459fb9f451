"""In-app notifications, scheduled jobs and their leases; re-visit channel and reminder date on rectifications.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import longgov.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "notify_messages",
        sa.Column("recipient_account_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dedupe_key", sa.String(length=160), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_messages")),
        sa.UniqueConstraint("recipient_account_id", "dedupe_key", name="uq_notify_messages_recipient_dedupe_key"),
    )
    with op.batch_alter_table("notify_messages", schema=None) as batch_op:
        batch_op.create_index("ix_notify_messages_recipient_created", ["recipient_account_id", "created_at"], unique=False)

    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("lease_until", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=12), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )

    with op.batch_alter_table("evaluation_rectifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revisit_channel", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("revisit_recorded_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_reminded_on", sa.Date(), nullable=True))
    # Re-visits before this revision were answered online by the applicant.
    op.execute("UPDATE evaluation_rectifications SET revisit_channel = 'online' WHERE revisited_at IS NOT NULL")


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("evaluation_rectifications", schema=None) as batch_op:
        batch_op.drop_column("last_reminded_on")
        batch_op.drop_column("revisit_recorded_by")
        batch_op.drop_column("revisit_channel")
    op.drop_table("job_leases")
    with op.batch_alter_table("notify_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_notify_messages_recipient_created")
    op.drop_table("notify_messages")
