"""Scheduled jobs: one runner at a time per job (database lease), due times, failures recorded, the CLI."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from longgov.cli import app as cli
from longgov.db import utcnow
from longgov.jobs.models import JobLease
from longgov.jobs.runner import JobScheduler, job_states, run_due, run_job
from longgov.kernel.jobs import Job
from longgov.security.audit.models import AuditEvent

_names = iter(range(10_000))


def _job(run, every=timedelta(hours=1), lease=timedelta(minutes=5)):
    return Job(f"test.job-{next(_names)}-{id(run)}", "测试任务", every=every, run=run, lease=lease)


async def _lease(platform, name):
    async with platform.db.transaction() as session:
        return (await session.execute(select(JobLease).where(JobLease.name == name))).scalar_one()


async def test_concurrent_runners_run_a_job_once(platform):
    calls = []

    async def work(ctx):
        calls.append(ctx.actor)
        await asyncio.sleep(0.2)
        return "done"

    job = _job(work)
    outcomes = await asyncio.gather(*(run_job(platform, job, holder=f"worker-{i}") for i in range(3)))
    assert sorted(o.status for o in outcomes) == ["ok", "skipped", "skipped"]
    assert calls == [None]  # run as the system
    row = await _lease(platform, job.name)
    assert (row.runs, row.last_status, row.last_result, row.holder, row.lease_until) == (1, "ok", "done", None, None)
    assert row.last_finished_at >= row.last_started_at


async def test_due_times_force_and_an_expired_lease(platform):
    runs = []

    async def work(ctx):
        runs.append(1)
        return f"第{len(runs)}次"

    job = _job(work, every=timedelta(hours=1))
    assert (await run_job(platform, job)).status == "ok"
    assert (await run_job(platform, job)).status == "skipped"  # not due for an hour
    assert (await run_job(platform, job, clock=lambda: utcnow() + timedelta(hours=1, seconds=1))).status == "ok"
    assert (await run_job(platform, job, force=True)).status == "ok"  # ``longgov jobs run --name``
    # A worker died holding the lease: nobody runs the job until the lease expires.
    async with platform.db.transaction() as session:
        row = (await session.execute(select(JobLease).where(JobLease.name == job.name))).scalar_one()
        row.holder, row.lease_until = "dead-worker", utcnow() + job.lease
    assert (await run_job(platform, job, force=True)).status == "skipped"
    later = lambda: utcnow() + job.lease + timedelta(seconds=1)  # noqa: E731
    assert (await run_job(platform, job, force=True, clock=later)).status == "ok"
    assert len(runs) == 4
    assert (await _lease(platform, job.name)).runs == 4


async def test_a_failing_job_is_recorded_and_frees_its_lease(platform):
    async def broken(ctx):
        raise RuntimeError("数据库不可用")

    job = _job(broken)
    outcome = await run_job(platform, job)
    assert outcome.status == "failed"
    assert "数据库不可用" in outcome.result
    row = await _lease(platform, job.name)
    assert (row.last_status, row.holder) == ("failed", None)
    async with platform.db.transaction() as session:
        audit = (await session.execute(select(AuditEvent).where(AuditEvent.tag == "jobs:job:run", AuditEvent.subject_id == job.name))).scalars().all()
    assert [a.result for a in audit] == ["failure"]
    assert (await run_job(platform, job, force=True)).status == "failed"  # free to retry at once


async def test_the_in_process_scheduler_runs_due_jobs_until_stopped(platform):
    ran = asyncio.Event()

    async def work(ctx):
        ran.set()
        return "ok"

    job = _job(work)
    scheduler = JobScheduler(platform, [job], tick=5)
    scheduler.start()
    await asyncio.wait_for(ran.wait(), timeout=10)
    await scheduler.stop()
    states = await job_states(platform, [job])
    assert states[0].runs == 1
    assert states[0].last_status == "ok"
    assert (await run_due(platform, [job]))[0].status == "skipped"


@pytest.fixture
def cli_env(settings, monkeypatch):
    monkeypatch.setenv("LONGGOV_MODE", "test")
    monkeypatch.setenv("LONGGOV_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("LONGGOV_DATABASE_URL", settings.database_url)
    return CliRunner()


def test_cli_lists_and_runs_the_registered_jobs(cli_env, platform):
    result = cli_env.invoke(cli, ["jobs", "run", "--name", "evaluation.rectification-reminders"])
    assert result.exit_code == 0, result.output
    assert "evaluation.rectification-reminders" in result.output
    assert "完成" in result.output
    result = cli_env.invoke(cli, ["jobs", "list"])
    assert result.exit_code == 0, result.output
    assert "整改期限提醒" in result.output
    assert "timelimits.missing-year-reminder" in result.output
    result = cli_env.invoke(cli, ["jobs", "run", "--name", "no.such-job"])
    assert result.exit_code != 0
    assert "没有名为" in result.output
