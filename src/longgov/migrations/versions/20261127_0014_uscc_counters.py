"""Identity: per-division serial counters for assigning unified social credit codes (统一社会信用代码赋码).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import longgov.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "identity_uscc_counters",
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("division_code", name=op.f("pk_identity_uscc_counters")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("identity_uscc_counters")
