"""Licence presentations (用证) and mutual recognition (互认): disclosure manifests, presentations, their checks, trusted external issuers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import longgov.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "licence_disclosures",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("salts_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("manifest", JSON, nullable=False),
        sa.Column("signer", sa.String(length=12), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["licence_versions.id"], name=op.f("fk_licence_disclosures_version_id_licence_versions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_disclosures")),
        sa.UniqueConstraint("version_id", name=op.f("uq_licence_disclosures_version_id")),
    )

    op.create_table(
        "licence_presentations",
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("short_code", sa.String(length=12), nullable=False),
        sa.Column("licence_id", sa.Uuid(), nullable=False),
        sa.Column("identifier", sa.String(length=120), nullable=False),
        sa.Column("holder_person_id", sa.Uuid(), nullable=True),
        sa.Column("holder_enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("verifier_uscc", sa.String(length=18), nullable=True),
        sa.Column("verifier_name", sa.String(length=120), nullable=True),
        sa.Column("disclosed", JSON, nullable=False),
        sa.Column("single_use", sa.Boolean(), nullable=False),
        sa.Column("document_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("issued_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verified_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["licence_id"], ["licences.id"], name=op.f("fk_licence_presentations_licence_id_licences"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_presentations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_licence_presentations_public_id")),
        sa.UniqueConstraint("short_code", name=op.f("uq_licence_presentations_short_code")),
    )
    with op.batch_alter_table("licence_presentations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_presentations_licence_id"), ["licence_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_presentations_holder_person_id"), ["holder_person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_presentations_holder_enterprise_id"), ["holder_enterprise_id"], unique=False)

    op.create_table(
        "licence_presentation_checks",
        sa.Column("presentation_id", sa.Uuid(), nullable=False),
        sa.Column("checked_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("verifier", sa.String(length=120), nullable=True),
        sa.Column("checked_by", sa.String(length=160), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["presentation_id"], ["licence_presentations.id"], name="fk_licence_presentation_checks_presentation", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_presentation_checks")),
    )
    with op.batch_alter_table("licence_presentation_checks", schema=None) as batch_op:
        batch_op.create_index("ix_licence_presentation_checks_presentation", ["presentation_id", "checked_at"], unique=False)

    op.create_table(
        "licence_trusted_issuers",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("trust_level", sa.String(length=1), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_trusted_issuers")),
        sa.UniqueConstraint("key_id", name=op.f("uq_licence_trusted_issuers_key_id")),
    )
    with op.batch_alter_table("licence_trusted_issuers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_trusted_issuers_uscc"), ["uscc"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_table("licence_trusted_issuers")
    op.drop_table("licence_presentation_checks")
    op.drop_table("licence_presentations")
    op.drop_table("licence_disclosures")
