"""Workbench tasks (query side of open workflow tasks), claims, and stored deadlines on applications.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import longgov.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("division_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("prefecture_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("department_kind", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("clock_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("time_limit_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("deadline", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("clock_paused", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("deadline_provisional", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index("ix_applications_department_division_status", ["department_kind", "division_code", "status"], unique=False)
        batch_op.create_index("ix_applications_department_prefecture_status", ["department_kind", "prefecture_code", "status"], unique=False)
        batch_op.create_index("ix_applications_deadline", ["deadline"], unique=False)
    # Organisation codes are "<6-digit division>-<department kind>"; substr is the same on both backends.
    op.execute(
        "UPDATE applications SET division_code = substr(organisation_code, 1, 6), "
        "prefecture_code = substr(organisation_code, 1, 4) || '00', "
        "department_kind = CASE WHEN length(organisation_code) > 7 THEN substr(organisation_code, 8) END"
    )

    op.create_table(
        "application_tasks",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("task_name", sa.String(length=40), nullable=False),
        sa.Column("task_title", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("allowed_roles", sa.String(length=120), nullable=False),
        sa.Column("actions", sa.String(length=200), nullable=False),
        sa.Column("task_department", sa.String(length=40), nullable=True),
        sa.Column("department_kind", sa.String(length=40), nullable=True),
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("prefecture_code", sa.String(length=6), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("submitted_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("claimed_by_id", sa.Uuid(), nullable=True),
        sa.Column("claimed_by_name", sa.String(length=120), nullable=True),
        sa.Column("claimed_at", longgov.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", longgov.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"], name=op.f("fk_application_tasks_application_id_applications"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_tasks")),
        sa.UniqueConstraint("application_id", "task_id", "role", name="uq_application_tasks_application_task_role"),
    )
    with op.batch_alter_table("application_tasks", schema=None) as batch_op:
        # See ApplicationTask: one index per region level, each already in inbox order.
        batch_op.create_index("ix_application_tasks_queue_all", ["role", "deadline", "submitted_at"], unique=False)
        batch_op.create_index("ix_application_tasks_queue", ["role", "department_kind", "deadline", "submitted_at"], unique=False)
        batch_op.create_index("ix_application_tasks_queue_division", ["role", "department_kind", "division_code", "deadline", "submitted_at"], unique=False)
        batch_op.create_index("ix_application_tasks_queue_prefecture", ["role", "department_kind", "prefecture_code", "deadline", "submitted_at"], unique=False)
        batch_op.create_index("ix_application_tasks_claimed_by_id", ["claimed_by_id"], unique=False)
    # Rows for applications already open are filled by ``longgov.applications.tasks.backfill`` (it reads each
    # process with the workflow engine, which a migration should not import).


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("application_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_application_tasks_claimed_by_id")
        batch_op.drop_index("ix_application_tasks_queue_prefecture")
        batch_op.drop_index("ix_application_tasks_queue_division")
        batch_op.drop_index("ix_application_tasks_queue")
        batch_op.drop_index("ix_application_tasks_queue_all")
    op.drop_table("application_tasks")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_deadline")
        batch_op.drop_index("ix_applications_department_prefecture_status")
        batch_op.drop_index("ix_applications_department_division_status")
        batch_op.drop_column("deadline_provisional")
        batch_op.drop_column("clock_paused")
        batch_op.drop_column("deadline")
        batch_op.drop_column("time_limit_days")
        batch_op.drop_column("clock_start")
        batch_op.drop_column("department_kind")
        batch_op.drop_column("prefecture_code")
        batch_op.drop_column("division_code")
