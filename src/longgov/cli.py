"""``longgov`` command line (Typer + rich): demo, serve, db, users, audit."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from longgov.config import Settings, SettingsError

app = typer.Typer(help="陇政通 LongGov — 甘肃省数字政府平台", no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False)
db_app = typer.Typer(help="数据库", no_args_is_help=True)
users_app = typer.Typer(help="账号", no_args_is_help=True)
audit_app = typer.Typer(help="审计", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EXIT_CONFIG = 2
EXIT_INVALID = 3
EXIT_TAMPERED = 4


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except (SettingsError, ValueError) as exc:
        err.print(f"[red]配置错误：[/red]{exc}")
        raise typer.Exit(EXIT_CONFIG) from exc


def _upgrade(settings: Settings) -> None:
    from longgov.migrations import upgrade  # noqa: PLC0415

    upgrade(settings)


async def _with_platform_ctx(settings: Settings, work):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
    from longgov.platform import Platform, ServiceContext  # noqa: PLC0415

    platform = Platform.build(settings)
    try:
        async with platform.db.transaction() as session:
            result = await work(ServiceContext(session=session, platform=platform))
        from longgov.db import run_after_commit  # noqa: PLC0415, F401 - side effects already ran in transaction()

        return result
    finally:
        await platform.db.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema and load reference data (organisation tree)."""
    settings = _settings()
    _upgrade(settings)

    async def work(ctx):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        from longgov.identity.services import sync_organisations  # noqa: PLC0415
        from longgov.timelimits.services import seed_reference_calendar  # noqa: PLC0415

        created = await sync_organisations(ctx)
        await seed_reference_calendar(ctx)
        return created

    created = asyncio.run(_with_platform_ctx(settings, work))
    console.print(f"数据库已升级到最新版本（{settings.database_kind}），新增机构 {created} 个")


@users_app.command("create-staff")
def create_staff(
    username: Annotated[str, typer.Option(help="登录用户名（小写字母开头）")],
    name: Annotated[str, typer.Option(help="姓名")],
    organisation: Annotated[str, typer.Option(help="机构代码，如 620100-market_regulation")],
    role: Annotated[
        list[str], typer.Option(help="角色，可重复：counter_staff, approver, department_leader, hotline_agent, system_admin, security_admin, audit_admin")
    ],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="初始密码（至少10位）")],
) -> None:
    """Create a staff account and print its TOTP enrolment secret once."""
    from pydantic import ValidationError  # noqa: PLC0415

    from longgov.identity.schemas import NewStaff  # noqa: PLC0415
    from longgov.identity.services import create_staff as create  # noqa: PLC0415
    from longgov.kernel.errors import AppError  # noqa: PLC0415

    settings = _settings()
    try:
        data = NewStaff(username=username, display_name=name, organisation_code=organisation, roles=role, password=password)
    except ValidationError as exc:
        err.print(f"[red]输入无效：[/red]{'; '.join(str(e['loc'][0]) + ' ' + e['msg'] for e in exc.errors())}")
        raise typer.Exit(EXIT_INVALID) from exc

    async def work(ctx):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        return await create(ctx, data)

    try:
        created = asyncio.run(_with_platform_ctx(settings, work))
    except AppError as exc:
        err.print(f"[red]{exc.message}[/red]（{exc.code}）")
        raise typer.Exit(EXIT_INVALID) from exc
    console.print(f"已创建工作人员 [bold]{created.username}[/bold]")
    console.print(f"TOTP 密钥（仅显示一次，请录入身份验证器）：[bold]{created.totp_secret}[/bold]")
    console.print(created.totp_uri)


@users_app.command("totp-code")
def totp_code(username: Annotated[str, typer.Argument(help="工作人员用户名")]) -> None:
    """Print a demo staff account's current TOTP code (demo mode only)."""
    import pyotp  # noqa: PLC0415

    from longgov.identity.services import demo_totp_secret  # noqa: PLC0415
    from longgov.kernel.errors import AppError  # noqa: PLC0415

    settings = _settings()
    if not settings.is_demo:
        err.print("[red]仅演示模式可用[/red]")
        raise typer.Exit(EXIT_CONFIG)

    async def work(ctx):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        return await demo_totp_secret(ctx, username)

    try:
        secret = asyncio.run(_with_platform_ctx(settings, work))
    except AppError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(EXIT_INVALID) from exc
    console.print(pyotp.TOTP(secret).now())


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the SM3 hash chain; exit 4 naming the first bad record if anything was altered."""
    from longgov.security.audit.service import verify_chain  # noqa: PLC0415

    settings = _settings()

    async def work(ctx):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        return await verify_chain(ctx.session)

    report = asyncio.run(_with_platform_ctx(settings, work))
    if report.ok:
        console.print(f"[green]审计链完整[/green]：已校验 {report.checked} 条记录")
        return
    err.print(f"[red]审计链校验失败[/red]：{report.reason}（首个异常记录序号 {report.first_bad_seq}，此前 {report.checked} 条完好）")
    raise typer.Exit(EXIT_TAMPERED)


def _export_env(settings: Settings, host: str, port: int) -> None:
    # granian workers build the app from the environment, so pass settings through it.
    os.environ["LONGGOV_MODE"] = settings.mode
    os.environ["LONGGOV_VAR_DIR"] = str(settings.var_dir)
    os.environ["LONGGOV_HOST"] = host
    os.environ["LONGGOV_PORT"] = str(port)


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    from granian import Granian  # noqa: PLC0415
    from granian.constants import Interfaces  # noqa: PLC0415

    from longgov.web.assets import missing_assets  # noqa: PLC0415

    if missing := missing_assets():
        err.print(f"[yellow]缺少前端资源 {missing}：请先运行 make assets[/yellow]")
    _export_env(settings, host, port)
    Granian(
        "longgov.app:app_from_env",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=False,
    ).serve()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口", min=1, max=65535)] = None,
    workers: Annotated[int | None, typer.Option(help="工作进程数", min=1, max=64)] = None,
) -> None:
    """Serve the platform with granian."""
    settings = _settings()
    _serve(settings, host or settings.host, port or settings.port, workers or settings.workers)


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="监听地址（默认 127.0.0.1 或 $HOST）")] = None,
    port: Annotated[int | None, typer.Option(help="端口（默认 8000 或 $PORT）", min=1, max=65535)] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="只准备数据，不启动服务")] = False,  # noqa: FBT002
) -> None:
    """Create/upgrade the database, seed demo data idempotently, print the logins, and serve."""
    settings = _settings(mode="demo")
    if settings.mode != "demo":
        err.print("[red]演示命令只能在演示模式下运行[/red]")
        raise typer.Exit(EXIT_CONFIG)
    host = host or os.environ.get("HOST") or settings.host
    port = port or int(os.environ.get("PORT") or settings.port)
    _upgrade(settings)

    async def work(ctx):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        from longgov.demo import seed_demo  # noqa: PLC0415

        return await seed_demo(ctx)

    logins, secrets = asyncio.run(_with_platform_ctx(settings, work))
    portal_names = {"person": "甘快办 个人", "enterprise": "陇商通 法人", "staff": "工作台"}
    console.print(f"[bold]陇政通演示环境[/bold] http://{host}:{port}/  （登录页 /login/person · /login/enterprise · /login/staff）")
    for login in logins:
        factor = f"TOTP密钥 {secrets[login.identifier]}" if login.portal == "staff" else login.second_factor
        console.print(f"  {portal_names[login.portal]:<8} {login.identifier:<20} 密码 {login.password:<16} {login.name:<16} {factor}", soft_wrap=True)
    console.print("工作人员动态口令：longgov users totp-code <用户名>（仅演示模式），或把密钥录入任一身份验证器应用")
    if not no_serve:
        _serve(settings, host, port, 1)


def main() -> None:
    """Entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
