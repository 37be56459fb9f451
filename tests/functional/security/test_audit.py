"""Audit: every state change is chained; tampering, deletion and truncation are named; rows are append-only."""

from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from longgov.security.audit.service import record, verify_chain
from tests.conftest import csrf_headers, login_staff


@asynccontextmanager
async def triggers_disabled(platform):
    """What an attacker with database administrator rights could do."""
    async with platform.db.transaction() as session:
        if platform.db.kind == "postgresql":
            await session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            await session.execute(text("DROP TRIGGER audit_events_no_update"))
            await session.execute(text("DROP TRIGGER audit_events_no_delete"))
    try:
        yield
    finally:
        async with platform.db.transaction() as session:
            if platform.db.kind == "postgresql":
                await session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
            else:
                # A pooled SQLite connection checks DDL names against its cached schema at prepare
                # time; reading sqlite_master first makes it notice the triggers were dropped.
                await session.execute(text("SELECT count(*) FROM sqlite_master"))
                for action in ("UPDATE", "DELETE"):
                    await session.execute(
                        text(
                            f"CREATE TRIGGER audit_events_no_{action.lower()} BEFORE {action} ON audit_events "
                            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
                        )
                    )


async def _verify(platform):
    async with platform.db.transaction() as session:
        return await verify_chain(session)


async def _add_events(platform, n=3):
    async with platform.db.transaction() as session:
        for i in range(n):
            record(session, "test:event:write", actor=None, subject_type="test", subject_id=i, details={"i": i, "文本": "审计"})
    async with platform.db.transaction() as session:
        return (await session.execute(text("SELECT max(seq) FROM audit_events"))).scalar_one()


async def test_chain_verifies_after_real_activity(client, platform, make_staff):
    staff = await make_staff(["counter_staff"])
    await login_staff(client, staff)
    report = await _verify(platform)
    assert report.ok, report.reason
    assert report.checked > 0


async def test_rollback_writes_no_audit_event(platform):
    async with platform.db.transaction() as session:
        before = (await session.execute(text("SELECT count(*) FROM audit_events"))).scalar_one()

    async def failing_unit_of_work():
        async with platform.db.transaction() as session:
            record(session, "test:event:rolled-back", actor=None)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        await failing_unit_of_work()
    async with platform.db.transaction() as session:
        assert (await session.execute(text("SELECT count(*) FROM audit_events"))).scalar_one() == before


async def test_rows_cannot_be_updated_or_deleted(platform):
    last = await _add_events(platform, 1)
    for statement in ("UPDATE audit_events SET tag = 'x' WHERE seq = :s", "DELETE FROM audit_events WHERE seq = :s"):
        with pytest.raises((IntegrityError, OperationalError, DBAPIError)):
            async with platform.db.transaction() as session:
                await session.execute(text(statement), {"s": last})
    assert (await _verify(platform)).ok


async def test_altered_record_is_named(platform):
    last = await _add_events(platform)
    target = last - 1
    async with triggers_disabled(platform):
        async with platform.db.transaction() as session:
            original = (await session.execute(text("SELECT subject_id FROM audit_events WHERE seq = :s"), {"s": target})).scalar_one()
            await session.execute(text("UPDATE audit_events SET subject_id = 'forged' WHERE seq = :s"), {"s": target})
        report = await _verify(platform)
        assert not report.ok
        assert report.first_bad_seq == target
        assert f"第 {target} 条" in report.reason
        assert "篡改" in report.reason
        async with platform.db.transaction() as session:
            await session.execute(text("UPDATE audit_events SET subject_id = :v WHERE seq = :s"), {"s": target, "v": original})
    assert (await _verify(platform)).ok


async def test_deleted_record_is_named(platform):
    last = await _add_events(platform)
    target = last - 1
    async with triggers_disabled(platform):
        async with platform.db.transaction() as session:
            row = (await session.execute(text("SELECT * FROM audit_events WHERE seq = :s"), {"s": target})).mappings().one()
            saved = dict(row)
            await session.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": target})
        report = await _verify(platform)
        assert not report.ok
        assert report.first_bad_seq == target
        assert "缺失" in report.reason
        async with platform.db.transaction() as session:
            columns = ", ".join(saved)
            values = ", ".join(f":{c}" for c in saved)
            if platform.db.kind == "postgresql":
                import json

                saved["details"] = json.dumps(saved["details"], ensure_ascii=False)
                values = values.replace(":details", "CAST(:details AS JSONB)")
            await session.execute(text(f"INSERT INTO audit_events ({columns}) VALUES ({values})"), saved)  # noqa: S608 - test restores its own row
    assert (await _verify(platform)).ok


async def test_truncated_tail_is_detected(platform):
    last = await _add_events(platform, 1)
    async with triggers_disabled(platform):
        async with platform.db.transaction() as session:
            row = dict((await session.execute(text("SELECT * FROM audit_events WHERE seq = :s"), {"s": last})).mappings().one())
            await session.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": last})
        report = await _verify(platform)
        assert not report.ok
        assert report.first_bad_seq == last
        async with platform.db.transaction() as session:
            columns = ", ".join(row)
            values = ", ".join(f":{c}" for c in row)
            if platform.db.kind == "postgresql":
                import json

                row["details"] = json.dumps(row["details"], ensure_ascii=False)
                values = values.replace(":details", "CAST(:details AS JSONB)")
            await session.execute(text(f"INSERT INTO audit_events ({columns}) VALUES ({values})"), row)  # noqa: S608
    assert (await _verify(platform)).ok


async def test_audit_browser_filters_and_verify_button(client, platform, make_staff):
    auditor = await make_staff(["audit_admin"], "620000-data")
    window = await make_staff(["counter_staff"])
    await login_staff(client, window)
    await client.post("/api/v1/auth/logout", headers=await csrf_headers(client))
    client.cookies.clear()
    await login_staff(client, auditor)
    r = await client.get("/admin/audit", params={"tag": "identity:session:login"})
    assert r.status_code == 200
    assert "登录成功" in r.text
    api = (await client.get("/api/v1/audit/events", params={"tag": "identity:session:logout", "limit": 5})).json()
    assert api["items"]
    assert all(item["tag"] == "identity:session:logout" for item in api["items"])
    assert {"actor_name", "ip", "user_agent", "request_id", "hash"} <= set(api["items"][0])
    r = await client.post("/admin/audit/verify", data={"_csrf_token": client.cookies["lg_csrf"]})
    assert "审计链完整" in r.text
    r = await client.post("/api/v1/audit/verify", headers=await csrf_headers(client))
    assert r.json()["ok"] is True
