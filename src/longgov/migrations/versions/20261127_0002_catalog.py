"""Service item catalogue: items, immutable item versions, the search-index revision counter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 05:41:53.921725
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import longgov.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "catalog_items",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("basic_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.Column("department_name", sa.String(length=120), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("department_kind", sa.String(length=40), nullable=True),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_items_code")),
    )
    with op.batch_alter_table("catalog_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_items_basic_code"), ["basic_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_items_division_code"), ["division_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_items_organisation_code"), ["organisation_code"], unique=False)

    op.create_table(
        "catalog_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_revision")),
    )
    op.create_table(
        "catalog_item_versions",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("content", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("published_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["catalog_items.id"], name=op.f("fk_catalog_item_versions_item_id_catalog_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_item_versions")),
        sa.UniqueConstraint("item_id", "version", name="uq_catalog_item_versions_item_version"),
    )
    with op.batch_alter_table("catalog_item_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_item_versions_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("catalog_item_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_item_versions_item_id"))

    op.drop_table("catalog_item_versions")
    op.drop_table("catalog_revision")
    with op.batch_alter_table("catalog_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_items_organisation_code"))
        batch_op.drop_index(batch_op.f("ix_catalog_items_division_code"))
        batch_op.drop_index(batch_op.f("ix_catalog_items_basic_code"))

    op.drop_table("catalog_items")
