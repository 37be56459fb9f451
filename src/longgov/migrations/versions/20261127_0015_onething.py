"""一件事 (bundles): bundles and their versions, bundle cases with members, materials, timeline and numbers; applications carry their bundle case.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import longgov.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "onething_bundles",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("lead_organisation_code", sa.String(length=40), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("department_kind", sa.String(length=40), nullable=True),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_bundles")),
        sa.UniqueConstraint("code", name=op.f("uq_onething_bundles_code")),
    )
    with op.batch_alter_table("onething_bundles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onething_bundles_division_code"), ["division_code"], unique=False)

    op.create_table(
        "onething_cases",
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("applicant_account_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_kind", sa.String(length=12), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("applicant_person_id", sa.Uuid(), nullable=True),
        sa.Column("applicant_enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("bundle_code", sa.String(length=40), nullable=False),
        sa.Column("bundle_version", sa.Integer(), nullable=False),
        sa.Column("bundle_name", sa.String(length=120), nullable=False),
        sa.Column("answers", _JSON, nullable=False),
        sa.Column("form_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("prefill_confirmed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("submitted_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notices", _JSON, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_cases")),
        sa.UniqueConstraint("applicant_account_id", "idempotency_key", name="uq_onething_cases_applicant_idempotency_key"),
        sa.UniqueConstraint("number", name=op.f("uq_onething_cases_number")),
    )
    with op.batch_alter_table("onething_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onething_cases_applicant_account_id"), ["applicant_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_cases_bundle_code"), ["bundle_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_cases_status"), ["status"], unique=False)

    op.create_table(
        "onething_number_counters",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_onething_number_counters")),
    )
    op.create_table(
        "onething_bundle_versions",
        sa.Column("bundle_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("published_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"], ["onething_bundles.id"], name=op.f("fk_onething_bundle_versions_bundle_id_onething_bundles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_bundle_versions")),
        sa.UniqueConstraint("bundle_id", "version", name="uq_onething_bundle_versions_bundle_version"),
    )
    with op.batch_alter_table("onething_bundle_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onething_bundle_versions_bundle_id"), ["bundle_id"], unique=False)

    op.create_table(
        "onething_case_events",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("details", _JSON, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["onething_cases.id"], name=op.f("fk_onething_case_events_case_id_onething_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_case_events")),
    )
    with op.batch_alter_table("onething_case_events", schema=None) as batch_op:
        batch_op.create_index("ix_onething_case_events_case_occurred", ["case_id", "occurred_at"], unique=False)

    op.create_table(
        "onething_case_materials",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("material_key", sa.String(length=24), nullable=False),
        sa.Column("material_name", sa.String(length=200), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sm3", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["onething_cases.id"], name=op.f("fk_onething_case_materials_case_id_onething_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_case_materials")),
        sa.UniqueConstraint("case_id", "material_key", name="uq_onething_case_materials_case_material"),
    )
    with op.batch_alter_table("onething_case_materials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onething_case_materials_case_id"), ["case_id"], unique=False)

    op.create_table(
        "onething_case_members",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_basic_code", sa.String(length=40), nullable=False),
        sa.Column("item_code", sa.String(length=80), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("department_name", sa.String(length=120), nullable=False),
        sa.Column("depends_on", _JSON, nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("application_number", sa.String(length=20), nullable=True),
        sa.Column("attempts", _JSON, nullable=False),
        sa.Column("started_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["onething_cases.id"], name=op.f("fk_onething_case_members_case_id_onething_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onething_case_members")),
        sa.UniqueConstraint("case_id", "item_basic_code", name="uq_onething_case_members_case_item"),
    )
    with op.batch_alter_table("onething_case_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onething_case_members_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_onething_case_members_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle_case_ref", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_applications_bundle_case_ref"), ["bundle_case_ref"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_bundle_case_ref"))
        batch_op.drop_column("bundle_case_ref")

    with op.batch_alter_table("onething_case_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onething_case_members_case_id"))
        batch_op.drop_index(batch_op.f("ix_onething_case_members_application_id"))

    op.drop_table("onething_case_members")
    with op.batch_alter_table("onething_case_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onething_case_materials_case_id"))

    op.drop_table("onething_case_materials")
    with op.batch_alter_table("onething_case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_onething_case_events_case_occurred")

    op.drop_table("onething_case_events")
    with op.batch_alter_table("onething_bundle_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onething_bundle_versions_bundle_id"))

    op.drop_table("onething_bundle_versions")
    op.drop_table("onething_number_counters")
    with op.batch_alter_table("onething_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onething_cases_status"))
        batch_op.drop_index(batch_op.f("ix_onething_cases_bundle_code"))
        batch_op.drop_index(batch_op.f("ix_onething_cases_applicant_account_id"))

    op.drop_table("onething_cases")
    with op.batch_alter_table("onething_bundles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onething_bundles_division_code"))

    op.drop_table("onething_bundles")
