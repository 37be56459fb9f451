"""The migrated schema is exactly what the models declare (no drift between models and Alembic scripts)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from longgov.db import ModelBase
from longgov.migrations import current_heads


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, ModelBase.metadata))


async def test_models_and_migrations_agree(platform):
    async with platform.db.engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == [], "models and migrations differ; write a migration:\n" + "\n".join(map(str, diff))


def test_one_head(migrated):
    assert len(current_heads(migrated)) == 1
