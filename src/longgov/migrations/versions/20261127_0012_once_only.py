"""Once-only (表单免填写、证照免提交): pre-fill provenance and consent on applications, licence references as materials.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import longgov.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prefill", _JSON, nullable=True))
    op.create_table(
        "application_material_refs",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("material_index", sa.Integer(), nullable=False),
        sa.Column("material_name", sa.String(length=200), nullable=False),
        sa.Column("licence_id", sa.Uuid(), nullable=False),
        sa.Column("licence_identifier", sa.String(length=120), nullable=False),
        sa.Column("licence_version", sa.Integer(), nullable=False),
        sa.Column("licence_type_key", sa.String(length=60), nullable=False),
        sa.Column("document_sm3", sa.String(length=64), nullable=False),
        sa.Column("verified_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("facts", _JSON, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_application_material_refs_application_id_applications"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_material_refs")),
        sa.UniqueConstraint("application_id", "material_index", name="uq_application_material_refs_application_material"),
    )
    with op.batch_alter_table("application_material_refs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_material_refs_application_id"), ["application_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("application_material_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_material_refs_application_id"))
    op.drop_table("application_material_refs")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("prefill")
