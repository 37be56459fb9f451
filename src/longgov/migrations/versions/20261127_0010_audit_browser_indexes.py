"""Audit browser indexes: actor id, actor name and tag each with seq, for newest-first keyset pages.

The old (actor_id, occurred_at) and (tag, occurred_at) indexes could not serve ``ORDER BY seq`` and
an OR across actor id and name defeated both: at 10M rows a rare actor took seconds. On PostgreSQL
the indexes are built CONCURRENTLY so a live audit table keeps taking writes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 08:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = (
    ("ix_audit_events_actor_seq", ["actor_id", "seq"]),
    ("ix_audit_events_actor_name_seq", ["actor_name", "seq"]),
    ("ix_audit_events_tag_seq", ["tag", "seq"]),
)
OLD = (
    ("ix_audit_events_actor_time", ["actor_id", "occurred_at"]),
    ("ix_audit_events_tag_time", ["tag", "occurred_at"]),
)


def _swap(create: tuple[tuple[str, list[str]], ...], drop: tuple[tuple[str, list[str]], ...]) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        with op.get_context().autocommit_block():
            for name, columns in create:
                op.create_index(name, "audit_events", columns, postgresql_concurrently=True, if_not_exists=True)
            for name, _ in drop:
                op.drop_index(name, table_name="audit_events", postgresql_concurrently=True, if_exists=True)
        return
    for name, columns in create:
        op.create_index(name, "audit_events", columns)
    for name, _ in drop:
        op.drop_index(name, table_name="audit_events")


def upgrade() -> None:
    """Apply."""
    _swap(NEW, OLD)


def downgrade() -> None:
    """Revert."""
    _swap(OLD, NEW)
