"""Applications: applications, their materials, their timeline events and the daily number counter.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import longgov.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "application_number_counters",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_application_number_counters")),
    )
    op.create_table(
        "applications",
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("applicant_account_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_kind", sa.String(length=12), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("applicant_person_id", sa.Uuid(), nullable=True),
        sa.Column("applicant_enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("item_code", sa.String(length=80), nullable=False),
        sa.Column("item_basic_code", sa.String(length=40), nullable=False),
        sa.Column("item_version", sa.Integer(), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("department_name", sa.String(length=120), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.Column("form_id", sa.String(length=80), nullable=False),
        sa.Column("form_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("submitted_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workflow_state", _JSON, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("applicant_account_id", "idempotency_key", name="uq_applications_applicant_idempotency_key"),
        sa.UniqueConstraint("number", name=op.f("uq_applications_number")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_applicant_account_id"), ["applicant_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_item_code"), ["item_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_organisation_code"), ["organisation_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_status"), ["status"], unique=False)

    op.create_table(
        "application_events",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("actor_role", sa.String(length=40), nullable=False),
        sa.Column("actor_department", sa.String(length=120), nullable=True),
        sa.Column("occurred_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("details", _JSON, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"], name=op.f("fk_application_events_application_id_applications"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_events")),
    )
    with op.batch_alter_table("application_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_events_application_id"), ["application_id"], unique=False)

    op.create_table(
        "application_materials",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("material_index", sa.Integer(), nullable=False),
        sa.Column("material_name", sa.String(length=200), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sm3", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"], name=op.f("fk_application_materials_application_id_applications"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_materials")),
        sa.UniqueConstraint("application_id", "material_index", name="uq_application_materials_application_material"),
    )
    with op.batch_alter_table("application_materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_materials_application_id"), ["application_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("application_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_materials_application_id"))
    op.drop_table("application_materials")
    with op.batch_alter_table("application_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_events_application_id"))
    op.drop_table("application_events")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_status"))
        batch_op.drop_index(batch_op.f("ix_applications_organisation_code"))
        batch_op.drop_index(batch_op.f("ix_applications_item_code"))
        batch_op.drop_index(batch_op.f("ix_applications_applicant_account_id"))
    op.drop_table("applications")
    op.drop_table("application_number_counters")
