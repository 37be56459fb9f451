"""Workbench tasks (query side of open workflow tasks), claims, and stored deadlines on applications.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 07:20:00.000000
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""


def downgrade() -> None:
    """Revert."""
