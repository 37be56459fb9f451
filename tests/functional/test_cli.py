"""The ``longgov`` CLI against the test database."""

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from longgov.cli import EXIT_INVALID, EXIT_TAMPERED, app
from tests.functional.security.test_audit import _add_events, triggers_disabled


@pytest.fixture
def cli_env(settings, monkeypatch):
    monkeypatch.setenv("LONGGOV_MODE", "test")
    monkeypatch.setenv("LONGGOV_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("LONGGOV_DATABASE_URL", settings.database_url)
    return CliRunner()


def test_db_upgrade_is_idempotent(cli_env, platform):
    result = cli_env.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "新增机构 0 个" in result.output


def test_create_staff_prints_totp_secret_once(cli_env, platform):
    result = cli_env.invoke(
        app,
        ["users", "create-staff", "--username", "cli_window_1", "--name", "命令行", "--organisation", "620102-market_regulation", "--role", "counter_staff"],
        input="Cli-password-2024\nCli-password-2024\n",
    )
    assert result.exit_code == 0, result.output
    assert "TOTP" in result.output
    again = cli_env.invoke(
        app,
        ["users", "create-staff", "--username", "cli_window_1", "--name", "命令行", "--organisation", "620102-market_regulation", "--role", "counter_staff"],
        input="Cli-password-2024\nCli-password-2024\n",
    )
    assert again.exit_code == EXIT_INVALID
    assert "用户名已被使用" in again.output


def test_create_staff_refuses_two_admin_roles(cli_env, platform):
    result = cli_env.invoke(
        app,
        [
            "users",
            "create-staff",
            "--username",
            "cli_admin_x",
            "--name",
            "兼任",
            "--organisation",
            "620000-data",
            "--role",
            "system_admin",
            "--role",
            "audit_admin",
        ],
        input="Cli-password-2024\nCli-password-2024\n",
    )
    assert result.exit_code == EXIT_INVALID
    assert "三权分立" in result.output


async def test_audit_verify_exit_codes(cli_env, platform):
    import asyncio

    result = await asyncio.to_thread(cli_env.invoke, app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "审计链完整" in result.output
    last = await _add_events(platform, 2)
    async with triggers_disabled(platform):
        async with platform.db.transaction() as session:
            await session.execute(text("UPDATE audit_events SET result = 'failure' WHERE seq = :s"), {"s": last - 1})
        result = await asyncio.to_thread(cli_env.invoke, app, ["audit", "verify"])
        assert result.exit_code == EXIT_TAMPERED
        assert f"首个异常记录序号 {last - 1}" in result.output
        async with platform.db.transaction() as session:
            await session.execute(text("UPDATE audit_events SET result = 'success' WHERE seq = :s"), {"s": last - 1})
    result = await asyncio.to_thread(cli_env.invoke, app, ["audit", "verify"])
    assert result.exit_code == 0


def test_production_mode_refuses_placeholder_secret(cli_env, monkeypatch):
    monkeypatch.setenv("LONGGOV_MODE", "production")
    result = cli_env.invoke(app, ["audit", "verify"])
    assert result.exit_code == 2
    assert "LONGGOV_SECRET" in result.output
