"""Licences: seal key rotation and retirement, external issuers' status-list feeds and the statuses they state.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import longgov.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("licence_seal_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compromised_at", longgov.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retire_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retired_by", sa.String(length=120), nullable=True))
    op.create_table(
        "licence_status_feeds",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("last_attempt_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=12), nullable=True),
        sa.Column("last_code", sa.String(length=40), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("list_generated_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_status_feeds")),
        sa.UniqueConstraint("uscc", name=op.f("uq_licence_status_feeds_uscc")),
    )
    op.create_table(
        "licence_external_statuses",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("licence_key", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("since", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_external_statuses")),
        sa.UniqueConstraint("licence_key", name=op.f("uq_licence_external_statuses_licence_key")),
    )
    with op.batch_alter_table("licence_external_statuses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_external_statuses_uscc"), ["uscc"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("licence_external_statuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licence_external_statuses_uscc"))
    op.drop_table("licence_external_statuses")
    op.drop_table("licence_status_feeds")
    with op.batch_alter_table("licence_seal_keys", schema=None) as batch_op:
        batch_op.drop_column("retired_by")
        batch_op.drop_column("retire_reason")
        batch_op.drop_column("compromised_at")
