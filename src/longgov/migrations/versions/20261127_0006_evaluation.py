"""Evaluation (好差评): ratings and the rectifications bad ratings open.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 06:35:00.340910
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import longgov.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "evaluation_ratings",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("application_number", sa.String(length=20), nullable=False),
        sa.Column("applicant_account_id", sa.Uuid(), nullable=False),
        sa.Column("item_code", sa.String(length=80), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.Column("department_name", sa.String(length=120), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_ratings")),
        sa.UniqueConstraint("application_id", name=op.f("uq_evaluation_ratings_application_id")),
    )
    with op.batch_alter_table("evaluation_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_ratings_applicant_account_id"), ["applicant_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_ratings_application_number"), ["application_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_ratings_item_code"), ["item_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_ratings_organisation_code"), ["organisation_code"], unique=False)

    op.create_table(
        "evaluation_rectifications",
        sa.Column("rating_id", sa.Uuid(), nullable=False),
        sa.Column("application_number", sa.String(length=20), nullable=False),
        sa.Column("applicant_account_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.Column("department_name", sa.String(length=120), nullable=False),
        sa.Column("item_code", sa.String(length=80), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("handled_by", sa.String(length=200), nullable=True),
        sa.Column("handled_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revisit_score", sa.Integer(), nullable=True),
        sa.Column("revisit_comment", sa.Text(), nullable=True),
        sa.Column("revisited_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rating_id"], ["evaluation_ratings.id"], name=op.f("fk_evaluation_rectifications_rating_id_evaluation_ratings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_rectifications")),
        sa.UniqueConstraint("rating_id", name=op.f("uq_evaluation_rectifications_rating_id")),
    )
    with op.batch_alter_table("evaluation_rectifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_rectifications_applicant_account_id"), ["applicant_account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_rectifications_organisation_code"), ["organisation_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_rectifications_status"), ["status"], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("evaluation_rectifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_rectifications_status"))
        batch_op.drop_index(batch_op.f("ix_evaluation_rectifications_organisation_code"))
        batch_op.drop_index(batch_op.f("ix_evaluation_rectifications_applicant_account_id"))

    op.drop_table("evaluation_rectifications")
    with op.batch_alter_table("evaluation_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_ratings_organisation_code"))
        batch_op.drop_index(batch_op.f("ix_evaluation_ratings_item_code"))
        batch_op.drop_index(batch_op.f("ix_evaluation_ratings_application_number"))
        batch_op.drop_index(batch_op.f("ix_evaluation_ratings_applicant_account_id"))

    op.drop_table("evaluation_ratings")
