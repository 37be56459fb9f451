"""Electronic licences: licences, signed versions, change history, counters and seal keys.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import longgov.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "licences",
        sa.Column("type_code", sa.String(length=21), nullable=False),
        sa.Column("issuer_code", sa.String(length=40), nullable=False),
        sa.Column("issuer_uscc", sa.String(length=18), nullable=False),
        sa.Column("issuer_name", sa.String(length=120), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("department_kind", sa.String(length=40), nullable=True),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=120), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("number_index", sa.String(length=64), nullable=False),
        sa.Column("number_display", sa.String(length=80), nullable=False),
        sa.Column("holder_kind", sa.String(length=12), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("holder_id_type", sa.String(length=20), nullable=False),
        sa.Column("holder_id_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("holder_index", sa.String(length=64), nullable=False),
        sa.Column("holder_id_masked", sa.String(length=40), nullable=False),
        sa.Column("holder_person_id", sa.Uuid(), nullable=True),
        sa.Column("holder_enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("trust_level", sa.String(length=1), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("content_sm3", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licences")),
        sa.UniqueConstraint("identifier", name=op.f("uq_licences_identifier")),
        sa.UniqueConstraint("status_index", name=op.f("uq_licences_status_index")),
        sa.UniqueConstraint("type_code", "issuer_code", "number_index", name="uq_licences_type_issuer_number"),
    )
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licences_type_code"), ["type_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_division_code"), ["division_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_holder_index"), ["holder_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_holder_person_id"), ["holder_person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_holder_enterprise_id"), ["holder_enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_application_id"), ["application_id"], unique=False)

    op.create_table(
        "licence_versions",
        sa.Column("licence_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=120), nullable=False),
        sa.Column("document_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("document_sm3", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("seal_key_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["licence_id"], ["licences.id"], name=op.f("fk_licence_versions_licence_id_licences"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_versions")),
        sa.UniqueConstraint("identifier", name=op.f("uq_licence_versions_identifier")),
        sa.UniqueConstraint("licence_id", "version", name="uq_licence_versions_licence_version"),
    )
    with op.batch_alter_table("licence_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_versions_licence_id"), ["licence_id"], unique=False)

    op.create_table(
        "licence_events",
        sa.Column("licence_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("actor_name", sa.String(length=120), nullable=True),
        sa.Column("occurred_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["licence_id"], ["licences.id"], name=op.f("fk_licence_events_licence_id_licences"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_events")),
    )
    with op.batch_alter_table("licence_events", schema=None) as batch_op:
        batch_op.create_index("ix_licence_events_licence_occurred", ["licence_id", "occurred_at"], unique=False)

    op.create_table(
        "licence_counters",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_licence_counters")),
    )

    op.create_table(
        "licence_seal_keys",
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.Column("organisation_uscc", sa.String(length=18), nullable=False),
        sa.Column("organisation_name", sa.String(length=120), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("private_key_cipher", sa.LargeBinary(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_seal_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_licence_seal_keys_key_id")),
    )
    with op.batch_alter_table("licence_seal_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_seal_keys_organisation_uscc"), ["organisation_uscc"], unique=False)
        # One active seal per organisation (a partial unique index on both backends).
        batch_op.create_index(
            "uq_licence_seal_keys_active_org",
            ["organisation_code"],
            unique=True,
            postgresql_where=sa.text("active IS true"),
            sqlite_where=sa.text("active = 1"),
        )


def downgrade() -> None:
    """Revert."""
    op.drop_table("licence_seal_keys")
    op.drop_table("licence_counters")
    op.drop_table("licence_events")
    op.drop_table("licence_versions")
    op.drop_table("licences")
