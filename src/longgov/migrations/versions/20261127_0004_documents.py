"""Documents: issued documents (metadata, signed PDF bytes) and per organisation/kind/year number sequences.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 06:06:07.180134
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import longgov.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "document_sequences",
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("organisation_code", "kind", "year", name=op.f("pk_document_sequences")),
    )
    op.create_table(
        "documents",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.Column("organisation_name", sa.String(length=120), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("application_number", sa.String(length=60), nullable=False),
        sa.Column("applicant_kind", sa.String(length=12), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("applicant_masked", sa.String(length=200), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("issued_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_by_id", sa.Uuid(), nullable=True),
        sa.Column("issued_by_name", sa.String(length=120), nullable=True),
        sa.Column("content", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("pdf_sm3", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("signer_key_sm3", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_documents_number")),
        sa.UniqueConstraint("organisation_code", "kind", "year", "serial", name="uq_documents_org_kind_year_serial"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_application_number"), ["application_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_division_code"), ["division_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_organisation_code"), ["organisation_code"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_organisation_code"))
        batch_op.drop_index(batch_op.f("ix_documents_division_code"))
        batch_op.drop_index(batch_op.f("ix_documents_application_number"))
        batch_op.drop_index(batch_op.f("ix_documents_application_id"))

    op.drop_table("documents")
    op.drop_table("document_sequences")
