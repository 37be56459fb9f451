"""重点事项清单: the key-item list (a bundle's departments, targets, launch, review cycle) and its routine reviews.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import longgov.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "onething_key_items",
        sa.Column("bundle_code", sa.String(length=40), nullable=False),
        sa.Column("bundle_name", sa.String(length=120), nullable=False),
        sa.Column("lead_organisation_code", sa.String(length=40), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("department_kind", sa.String(length=40), nullable=True),
        sa.Column("participating", _JSON, nullable=False),
        sa.Column("target_days", sa.Integer(), nullable=True),
        sa.Column("target_materials", sa.Integer(), nullable=True),
        sa.Column("target_visits", sa.Integer(), nullable=True),
        sa.Column("target_steps", sa.Integer(), nullable=True),
        sa.Column("launched_on", sa.Date(), nullable=True),
        sa.Column("review_cycle", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("responsible_person", sa.String(length=60), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("last_reviewed_on", sa.Date(), nullable=True),
        sa.Column("last_outcome", sa.String(length=12), nullable=True),
        sa.Column("flagged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_key_items")),
        sa.UniqueConstraint("bundle_code", name=op.f("uq_onething_key_items_bundle_code")),
    )
    with op.batch_alter_table("onething_key_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onething_key_items_division_code"), ["division_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_key_items_status"), ["status"], unique=False)

    op.create_table(
        "onething_key_item_reviews",
        sa.Column("key_item_id", sa.Uuid(), nullable=False),
        sa.Column("bundle_code", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("reviewed_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("targets", _JSON, nullable=False),
        sa.Column("actuals", _JSON, nullable=False),
        sa.Column("results", _JSON, nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("notified", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_item_id"], ["onething_key_items.id"], name=op.f("fk_onething_key_item_reviews_key_item_id_onething_key_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_key_item_reviews")),
        sa.UniqueConstraint("key_item_id", "period_end", name="uq_onething_key_item_reviews_item_period"),
    )
    with op.batch_alter_table("onething_key_item_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onething_key_item_reviews_key_item_id"), ["key_item_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("onething_key_item_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onething_key_item_reviews_key_item_id"))

    op.drop_table("onething_key_item_reviews")
    with op.batch_alter_table("onething_key_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onething_key_items_status"))
        batch_op.drop_index(batch_op.f("ix_onething_key_items_division_code"))

    op.drop_table("onething_key_items")
