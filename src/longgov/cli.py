"""``longgov`` command line (Typer + rich): demo, serve, db, users, audit, jobs."""

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
jobs_app = typer.Typer(help="定时任务（生产环境由 cron/systemd 定时器调用 jobs run）", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(jobs_app, name="jobs")
licences_app = typer.Typer(help="电子证照", no_args_is_help=True)
app.add_typer(licences_app, name="licences")
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


def _install_subscriptions(settings: Settings):  # type: ignore[no-untyped-def]  # noqa: ANN202
    """The modules, with their event subscriptions installed (commands that change data send notices too)."""
    from longgov.app import all_modules  # noqa: PLC0415
    from longgov.kernel import events  # noqa: PLC0415

    modules = all_modules(settings)
    events.bus.install([s for m in modules for s in m.subscriptions])
    return modules


def _registered_jobs(settings: Settings):  # type: ignore[no-untyped-def]  # noqa: ANN202
    """The modules' jobs, with the modules' event subscriptions installed (jobs send notices)."""
    return [j for m in _install_subscriptions(settings) for j in m.jobs]


async def _with_platform(settings: Settings, work):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
    from longgov.platform import Platform  # noqa: PLC0415

    platform = Platform.build(settings)
    try:
        return await work(platform)
    finally:
        await platform.db.dispose()


@jobs_app.command("run")
def jobs_run(
    name: Annotated[str | None, typer.Option("--name", help="只运行这一项定时任务（立即运行，不论是否到期）")] = None,
) -> None:
    """Run the due jobs (or one named job now), each under its database lease; exit 1 if one failed."""
    from longgov.jobs.runner import run_due, run_job  # noqa: PLC0415

    settings = _settings()
    jobs = _registered_jobs(settings)
    if name is not None:
        job = next((j for j in jobs if j.name == name), None)
        if job is None:
            err.print(f"[red]没有名为 {name} 的定时任务[/red]，可用：{', '.join(j.name for j in jobs)}")
            raise typer.Exit(EXIT_INVALID)

        async def one(platform):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
            return [await run_job(platform, job, force=True)]

        outcomes = asyncio.run(_with_platform(settings, one))
    else:

        async def due(platform):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
            return await run_due(platform, jobs)

        outcomes = asyncio.run(_with_platform(settings, due))
    titles = {"ok": "[green]完成[/green]", "partial": "[yellow]部分失败[/yellow]", "failed": "[red]失败[/red]", "skipped": "[yellow]跳过[/yellow]"}
    for outcome in outcomes:
        console.print(f"{outcome.name:<36} {titles[outcome.status]}  {outcome.result}")
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


@jobs_app.command("list")
def jobs_list() -> None:
    """Each job, its interval, lease and last run."""
    from longgov.jobs.runner import job_states  # noqa: PLC0415
    from longgov.web.render import china_time  # noqa: PLC0415

    settings = _settings()
    jobs = _registered_jobs(settings)

    async def states(platform):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        return await job_states(platform, jobs)

    for state in asyncio.run(_with_platform(settings, states)):
        last = f"{china_time(state.last_started_at)} {state.last_status or '运行中'}：{state.last_result or ''}" if state.last_started_at else "从未运行"
        held = f"（{state.holder} 持有至 {china_time(state.lease_until)}）" if state.holder and state.lease_until else ""
        console.print(f"{state.name:<36} {state.title}  每 {state.every}  共 {state.runs} 次  {last}{held}")


@licences_app.command("import")
def licences_import(
    file: Annotated[str, typer.Argument(help="部门存量证照登记簿（.csv 或 .xlsx）")],
    licence_type: Annotated[str, typer.Option("--type", help="证照类型：类型代码、键名或名称，如 营业执照")],
    issuer: Annotated[str, typer.Option("--issuer", help="颁发机构代码，如 620102-market_regulation")],
    max_errors: Annotated[int, typer.Option(help="最多显示的错误行数", min=0, max=100_000)] = 50,
) -> None:
    """Import a department's register of licences (idempotent; bad rows are reported, good rows land)."""
    from pathlib import Path  # noqa: PLC0415

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    from longgov.kernel.errors import AppError  # noqa: PLC0415
    from longgov.licences.services import import_register  # noqa: PLC0415

    path = Path(file)
    if not path.is_file():
        err.print(f"[red]文件不存在：{file}[/red]")
        raise typer.Exit(EXIT_INVALID)
    settings = _settings()
    data = path.read_bytes()
    with Progress(TextColumn("导入证照"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("import", total=None)

        async def work(ctx):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
            return await import_register(ctx, data, path.name, licence_type, issuer, progress=lambda done, total: bar.update(task, completed=done, total=total))

        try:
            report = asyncio.run(_with_platform_ctx(settings, work))
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]（{exc.code}）")
            raise typer.Exit(EXIT_INVALID) from exc
    console.print(
        f"{report.issuer_name} · {report.type_name}：共 {report.total} 行，新增 {report.created}，"
        f"更新 {report.updated}（新版本），未变 {report.unchanged}，失败 {report.failed}"
    )
    if report.errors:
        table = Table("行", "字段", "问题", title="错误明细（这些行未导入）")
        for problem in report.errors[:max_errors]:
            table.add_row(str(problem.row), problem.field, problem.message)
        console.print(table)
        if len(report.errors) > max_errors:
            console.print(f"……另有 {len(report.errors) - max_errors} 条错误未显示")
        raise typer.Exit(EXIT_INVALID)


@licences_app.command("rotate-seal")
def licences_rotate_seal(
    department: Annotated[str, typer.Option("--department", help="颁发机构代码，如 620102-market_regulation")],
    reason: Annotated[str, typer.Option(help="理由（记入审计日志）")] = "印章密钥例行轮换",
    compromised: Annotated[bool, typer.Option("--compromised", help="旧密钥已泄露或失控：停用，其所签证照不再通过核验")] = False,  # noqa: FBT002
    reseal: Annotated[bool, typer.Option("--reseal/--no-reseal", help="停用时立即以新密钥重新签章现行证照")] = True,  # noqa: FBT002
) -> None:
    """Rotate a department's seal key: a new key signs from now on, the old one only verifies what it signed."""
    from longgov.kernel.errors import AppError  # noqa: PLC0415
    from longgov.licences.rotation import rotate_seal  # noqa: PLC0415

    settings = _settings()

    async def work(ctx):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        return await rotate_seal(ctx, department, reason, compromised=compromised, reseal=reseal)

    try:
        result = asyncio.run(_with_platform_ctx(settings, work))
    except AppError as exc:
        err.print(f"[red]{exc.message}[/red]（{exc.code}）")
        raise typer.Exit(EXIT_INVALID) from exc
    state = "已停用（泄露）" if result.compromised else "已轮换（仅用于核验）"
    console.print(f"{result.organisation_name}：旧密钥 {result.retired_key_id[:16]}… {state}；新密钥 {(result.new_key_id or '')[:16]}… 已启用")
    if result.compromised:
        console.print(f"以新密钥重新签章 {result.resealed} 张现行证照")


@licences_app.command("reseal")
def licences_reseal(department: Annotated[str, typer.Option("--department", help="颁发机构代码")]) -> None:
    """Re-seal the current licences a department sealed with a compromised key (new versions)."""
    from longgov.kernel.errors import AppError  # noqa: PLC0415
    from longgov.licences.rotation import reseal_organisation  # noqa: PLC0415

    settings = _settings()

    async def work(ctx):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        return await reseal_organisation(ctx, department)

    try:
        result = asyncio.run(_with_platform_ctx(settings, work))
    except AppError as exc:
        err.print(f"[red]{exc.message}[/red]（{exc.code}）")
        raise typer.Exit(EXIT_INVALID) from exc
    console.print(f"{result.organisation_code}：以现行密钥重新签章 {result.resealed} 张证照")


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

    _install_subscriptions(settings)  # the demo cases notify their applicants like real ones

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
