"""Audit records and after-commit side effects follow savepoints: a rolled-back savepoint drops only its own."""

from __future__ import annotations

import contextlib

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from longgov.db import after_commit
from longgov.security.audit.models import AuditEvent
from longgov.security.audit.service import record


async def _tags(platform, prefix: str) -> list[str]:
    async with platform.db.transaction() as session:
        rows = await session.execute(select(AuditEvent.tag).where(AuditEvent.tag.startswith(prefix)).order_by(AuditEvent.seq))
        return list(rows.scalars())


async def test_savepoint_rollback_drops_only_its_own_records_and_side_effects(platform):
    ran: list[str] = []

    def effect(name: str):
        async def run() -> None:
            ran.append(name)

        return run

    async with platform.db.transaction() as session:
        record(session, "test:savepoint:before", actor=None)
        after_commit(session, effect("before"))
        nested = await session.begin_nested()
        record(session, "test:savepoint:inside", actor=None)
        after_commit(session, effect("inside"))
        await nested.rollback()
        released = await session.begin_nested()
        record(session, "test:savepoint:released", actor=None)
        await released.commit()
        record(session, "test:savepoint:after", actor=None)
        after_commit(session, effect("after"))

    assert await _tags(platform, "test:savepoint:") == ["test:savepoint:before", "test:savepoint:released", "test:savepoint:after"]
    assert ran == ["before", "after"]


async def test_a_failed_insert_in_a_savepoint_keeps_the_transactions_other_records(platform):
    async with platform.db.transaction() as session:
        record(session, "test:dedup:first", actor=None)
        await session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS dedup_probe (k INTEGER PRIMARY KEY)"))
        await session.execute(text("INSERT INTO dedup_probe VALUES (1)"))
        with contextlib.suppress(IntegrityError):  # the unique violation is the point
            async with session.begin_nested():
                record(session, "test:dedup:duplicate", actor=None)
                await session.execute(text("INSERT INTO dedup_probe VALUES (1)"))
        record(session, "test:dedup:second", actor=None)
    assert await _tags(platform, "test:dedup:") == ["test:dedup:first", "test:dedup:second"]


async def test_a_whole_rollback_then_commit_runs_nothing_of_the_undone_work(platform):
    ran: list[str] = []

    async def undone() -> None:
        ran.append("undone")

    async with platform.db.transaction() as session:
        await session.execute(text("SELECT 1"))  # the unit of work has begun, as any handler's has
        record(session, "test:rollback:undone", actor=None)
        after_commit(session, undone)
        await session.rollback()
        record(session, "test:rollback:kept", actor=None)
    assert ran == []
    assert await _tags(platform, "test:rollback:") == ["test:rollback:kept"]
    async with platform.db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.tag == "test:rollback:undone"))).scalar_one() == 0


async def test_released_savepoints_append_with_the_real_commit(platform):
    async with platform.db.transaction() as session:
        record(session, "test:release:outer", actor=None)
        async with session.begin_nested():
            record(session, "test:release:inner", actor=None)
        # Still queued: nothing was written when the savepoint was released.
        assert [r["tag"] for r in session.info["audit_pending"]] == ["test:release:outer", "test:release:inner"]
    assert await _tags(platform, "test:release:") == ["test:release:outer", "test:release:inner"]
