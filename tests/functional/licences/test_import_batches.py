"""汇聚 in batches: counters reserved per batch, one INSERT per table, and still row by row in what it reports,
signs, audits and leaves alone on re-import (batch size made small so a few rows cross several batches)."""

import pytest
from sqlalchemy import func, select

from longgov.licences import services
from longgov.licences.canonical import canonical_json
from longgov.licences.models import Licence, LicenceEvent, LicenceVersion
from longgov.platform import ServiceContext
from longgov.security.audit.models import AuditEvent
from tests.conftest import _rng
from tests.functional.licences.test_import import ISSUER, _csv, _import, _row, _uscc


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH", 3)


async def _stored(platform, prefix: str) -> list[Licence]:
    async with platform.db.transaction() as session:
        query = select(Licence).where(Licence.issuer_code == ISSUER, Licence.number_display.startswith(prefix)).order_by(Licence.number_display)
        return list((await session.execute(query)).scalars())


async def _versions(platform, ids) -> int:
    async with platform.db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(LicenceVersion).where(LicenceVersion.licence_id.in_(ids)))).scalar_one()


async def test_rows_across_batches_land_once_each_signed_linked_and_audited(platform, small_batches, make_enterprise):
    prefix = f"JB{_rng.randrange(10**8):08d}"
    registered = await make_enterprise("620103")
    good = [_row(f"{prefix}{i:02d}", _uscc()) for i in range(1, 8)]
    good[0] = _row(f"{prefix}01", registered.uscc, name=registered.name)
    bad = _row(f"{prefix}99", "91620103XXXX")
    changed = _row(f"{prefix}04", good[3][2], premises="兰州市七里河区建兰路9号")
    # Batches of 3 checked rows: [01 02 03] [04 04(changed) 05] [02(again) 06 07]; the bad row sits in the middle of the second.
    rows = [good[0], good[1], good[2], good[3], bad, changed, good[4], good[1], good[5], good[6]]
    report = await _import(platform, _csv(rows))
    assert (report.total, report.created, report.unchanged, report.updated, report.failed) == (10, 7, 1, 1, 1)
    assert {(e.row, e.field) for e in report.errors} == {(6, "持证主体证件号码"), (6, "社会信用代码")}

    stored = await _stored(platform, prefix)
    assert [s.number_display for s in stored] == [f"{prefix}{i:02d}" for i in range(1, 8)]
    assert len({s.serial for s in stored}) == len({s.status_index for s in stored}) == len({s.identifier for s in stored}) == 7
    assert stored[0].holder_enterprise_id == registered.id
    assert all(s.holder_enterprise_id is None for s in stored[1:])
    assert [s.version for s in stored] == [1, 1, 1, 2, 1, 1, 1]
    assert await _versions(platform, [s.id for s in stored]) == 8

    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        for licence in stored:
            version = (
                await session.execute(select(LicenceVersion).where(LicenceVersion.licence_id == licence.id, LicenceVersion.version == licence.version))
            ).scalar_one()
            document = services._document_of(ctx, version)
            assert version.identifier == licence.identifier == document["licence"]["identifier"]
            assert document["licence"]["statusIndex"] == licence.status_index
            result = await services.verify_licence_document(ctx, document)
            assert (result.valid, result.code) == (True, "valid"), (licence.number_display, result)
        issued = (
            await session.execute(
                select(AuditEvent.subject_id).where(AuditEvent.tag == "licences:licence:issue", AuditEvent.subject_id.in_([str(s.id) for s in stored]))
            )
        ).scalars()
        updated = (
            await session.execute(select(AuditEvent.subject_id).where(AuditEvent.tag == "licences:licence:update", AuditEvent.subject_id == str(stored[3].id)))
        ).scalars()
        history = (await session.execute(select(LicenceEvent.action).where(LicenceEvent.licence_id == stored[3].id).order_by(LicenceEvent.version))).scalars()
        assert sorted(issued) == sorted(str(s.id) for s in stored)
        assert list(updated) == [str(stored[3].id)]
        assert list(history) == ["import", "update"]


async def test_reimport_with_other_batch_boundaries_changes_nothing(platform, small_batches, monkeypatch):
    prefix = f"JR{_rng.randrange(10**8):08d}"
    rows = [_row(f"{prefix}{i:02d}", _uscc()) for i in range(1, 8)]
    rows.insert(3, _row(f"{prefix}98", "91620103XXXX"))
    first = await _import(platform, _csv(rows))
    assert (first.created, first.failed) == (7, 1)
    stored = await _stored(platform, prefix)
    monkeypatch.setattr(services, "IMPORT_BATCH", 2)
    again = await _import(platform, _csv(rows))
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 7, 1)
    after = await _stored(platform, prefix)
    assert [(s.id, s.identifier, s.serial, s.status_index, s.version) for s in after] == [
        (s.id, s.identifier, s.serial, s.status_index, s.version) for s in stored
    ]
    assert await _versions(platform, [s.id for s in after]) == 7


async def test_a_row_that_cannot_be_stored_is_reported_and_the_rest_of_its_batch_lands(platform, small_batches):
    prefix = f"JT{_rng.randrange(10**8):08d}"
    a, b, c = _uscc(), _uscc(), _uscc()
    assert (await _import(platform, _csv([_row(f"{prefix}01", a)]))).created == 1
    # In one batch: a known number now held by someone else (refused), a new licence and another new one.
    report = await _import(platform, _csv([_row(f"{prefix}02", b), _row(f"{prefix}01", c), _row(f"{prefix}03", c)]))
    assert (report.created, report.failed) == (2, 1)
    assert [(e.row, e.field) for e in report.errors] == [(3, "持证主体证件号码")]
    stored = await _stored(platform, prefix)
    assert [(s.number_display, s.holder_index) for s in stored] == [(f"{prefix}01", a), (f"{prefix}02", b), (f"{prefix}03", c)]


async def test_progress_is_reported_per_batch(platform, small_batches):
    prefix = f"JP{_rng.randrange(10**8):08d}"
    calls: list[tuple[int, int]] = []
    async with platform.db.transaction() as session:
        await services.import_register(
            ServiceContext(session=session, platform=platform),
            _csv([_row(f"{prefix}{i}", _uscc()) for i in range(7)]),
            "register.csv",
            "食品经营许可证",
            ISSUER,
            progress=lambda done, total: calls.append((done, total)),
        )
    assert calls == [(3, 7), (6, 7), (7, 7)]


def test_the_stored_document_is_the_canonical_json_of_what_was_signed():
    claims = {"identifier": "X", "data": {"名称": "兰州\n某店", "b": None}, "version": 1, "holder": {"name": 'a"b'}}
    signed = canonical_json(claims)
    document = {"format": "longgov-licence/1", "licence": claims, "seal": {"keyId": "k", "signature": "c2ln", "signedAt": "2026-11-27T00:00:00+00:00"}}
    assert services._document_json(signed, document) == canonical_json(document)
    assert services._document_json(signed, {**document, "extra": 1}) == canonical_json({**document, "extra": 1})
