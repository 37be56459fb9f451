"""汇聚: bulk import of a department's register — row-level errors, idempotent re-import, new versions, CLI."""

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from longgov.cli import EXIT_INVALID, app
from longgov.identity.codes import make_uscc
from longgov.kernel.errors import PermissionDenied, ValidationFailed
from longgov.licences import services
from longgov.licences.models import Licence, LicenceVersion
from longgov.platform import ServiceContext
from tests.conftest import _rng, csrf_headers, login_enterprise, login_staff

ISSUER = "620103-market_regulation"
HEADER = [
    "许可证编号",
    "持证主体名称",
    "持证主体证件号码",
    "颁发日期",
    "有效期至",
    "经营者名称",
    "社会信用代码",
    "法定代表人（负责人）",
    "住所",
    "经营场所",
    "主体业态",
    "经营项目",
]


def _uscc() -> str:
    return make_uscc("9", "1", "620103", "".join(_rng.choice("0123456789ABCDEFGH") for _ in range(8)))


def _row(number: str, uscc: str, name: str = "七里河某食品店", premises: str = "兰州市七里河区西津西路1号") -> list[str]:
    return [number, name, uscc, "2024-03-01", "2029-02-28", name, uscc, "王五", premises, premises, "食品销售经营者", "预包装食品销售"]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8-sig")


async def _import(platform, data: bytes, filename: str = "register.csv", actor=None):
    async with platform.db.transaction() as session:
        return await services.import_register(ServiceContext(session=session, platform=platform, actor=actor), data, filename, "食品经营许可证", ISSUER)


async def _count(platform, prefix: str) -> tuple[int, int]:
    async with platform.db.transaction() as session:
        licences = (
            await session.execute(select(func.count()).select_from(Licence).where(Licence.issuer_code == ISSUER, Licence.number_display.startswith(prefix)))
        ).scalar_one()
        versions = (
            await session.execute(
                select(func.count())
                .select_from(LicenceVersion)
                .join(Licence, Licence.id == LicenceVersion.licence_id)
                .where(Licence.issuer_code == ISSUER, Licence.number_display.startswith(prefix))
            )
        ).scalar_one()
    return licences, versions


async def test_good_rows_land_bad_rows_are_reported_and_reimport_is_idempotent(platform):
    prefix = f"JY{_rng.randrange(10**8):08d}"
    a, b = _uscc(), _uscc()
    rows = [_row(f"{prefix}01", a), _row(f"{prefix}02", b), _row(f"{prefix}03", "91620103XXXX"), _row("", a)]
    rows[1][3] = "2024-02-30"
    report = await _import(platform, _csv([rows[0], rows[2], rows[1], rows[3]]))
    assert (report.total, report.created, report.failed) == (4, 1, 3)
    problems = {(e.row, e.field) for e in report.errors}
    assert (3, "持证主体证件号码") in problems
    assert (3, "社会信用代码") in problems
    assert (4, "颁发日期") in problems
    assert (5, "许可证编号") in problems
    assert all(e.message for e in report.errors)
    assert await _count(platform, prefix) == (1, 1)

    again = await _import(platform, _csv([rows[0]]))
    assert (again.created, again.unchanged, again.updated) == (0, 1, 0)
    assert await _count(platform, prefix) == (1, 1)

    changed = await _import(platform, _csv([_row(f"{prefix}01", a, premises="兰州市七里河区建兰路9号")]))
    assert (changed.created, changed.updated) == (0, 1)
    assert await _count(platform, prefix) == (1, 2)
    async with platform.db.transaction() as session:
        licence = (await session.execute(select(Licence).where(Licence.issuer_code == ISSUER, Licence.number_display == f"{prefix}01"))).scalar_one()
    assert licence.version == 2
    assert licence.identifier.split(".")[-2] == "002"

    transferred = await _import(platform, _csv([_row(f"{prefix}01", b)]))
    assert transferred.failed == 1
    assert transferred.errors[0].field == "持证主体证件号码"


async def test_xlsx_register_and_header_errors(platform):
    prefix = f"JX{_rng.randrange(10**8):08d}"
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(_row(f"{prefix}01", _uscc()))
    buffer = io.BytesIO()
    book.save(buffer)
    report = await _import(platform, buffer.getvalue(), "register.xlsx")
    assert (report.created, report.failed) == (1, 0)
    missing = await _import(platform, "许可证编号,持证主体名称\nX1,某店\n".encode(), "short.csv")
    assert missing.created == 0
    assert missing.failed == 1
    assert {e.field for e in missing.errors} >= {"持证主体证件号码", "经营场所"}
    with pytest.raises(ValidationFailed) as raised:
        await _import(platform, b"PK\x03\x04 not really", "broken.xlsx")
    assert raised.value.code == "register_unreadable"


async def test_import_permission_and_scope(platform, make_staff):
    from longgov.identity import services as identity

    window = await make_staff(["counter_staff"], ISSUER)
    leader_elsewhere = await make_staff(["department_leader"], "620102-market_regulation")
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        window_principal = await identity.principal_by_login(ctx, "staff", window.username)
        leader_principal = await identity.principal_by_login(ctx, "staff", leader_elsewhere.username)
    for actor in (window_principal, leader_principal):
        with pytest.raises(PermissionDenied) as raised:
            await _import(platform, _csv([_row("JYNOPE", _uscc())]), actor=actor)
        assert raised.value.code == "licence_issuer_out_of_scope"


async def test_import_api_and_imported_licence_in_enterprise_wallet(platform, new_client, make_staff, make_enterprise):
    enterprise = await make_enterprise("620103")
    leader = await new_client()
    await login_staff(leader, await make_staff(["department_leader"], ISSUER))
    headers = await csrf_headers(leader)
    number = f"JYAPI{_rng.randrange(10**8):08d}"
    r = await leader.post(
        "/api/v1/licences/imports",
        params={"type_code": "食品经营许可证", "issuer": ISSUER, "filename": "register.csv"},
        content=_csv([_row(number, enterprise.uscc, name=enterprise.name)]),
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1
    holder = await new_client()
    await login_enterprise(holder, platform, enterprise)
    assert [m["number"] for m in (await holder.get("/api/v1/licences/mine")).json()] == [number]


def test_cli_import_reports_rows_and_exit_code(settings, platform, monkeypatch, tmp_path):
    monkeypatch.setenv("LONGGOV_MODE", "test")
    monkeypatch.setenv("LONGGOV_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("LONGGOV_DATABASE_URL", settings.database_url)
    prefix = f"JYCLI{_rng.randrange(10**8):08d}"
    register = tmp_path / "register.csv"
    register.write_bytes(_csv([_row(f"{prefix}1", _uscc()), _row(f"{prefix}2", "bad")]))
    runner = CliRunner()
    result = runner.invoke(app, ["licences", "import", str(register), "--type", "食品经营许可证", "--issuer", ISSUER])
    assert result.exit_code == EXIT_INVALID, result.output
    assert "新增 1" in result.output
    assert "失败 1" in result.output
    assert "持证主体证件号码" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(_csv([_row(f"{prefix}3", _uscc())]))
    result = runner.invoke(app, ["licences", "import", str(good), "--type", "食品经营许可证", "--issuer", ISSUER])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["licences", "import", str(good), "--type", "食品经营许可证", "--issuer", ISSUER])
    assert result.exit_code == 0
    assert "未变 1" in result.output
