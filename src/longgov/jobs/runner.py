"""Run the modules' scheduled jobs: in-process (an asyncio task of each web worker) or from cron (``longgov jobs run``).

Each run takes the job's lease first (a conditional UPDATE of its ``job_leases`` row), runs the job in
its own unit of work as the system (no actor), then records the outcome and frees the lease. A worker
that dies mid-run leaves the lease to expire after ``Job.lease``; job functions are written to be safe
to run again (their notifications carry de-duplication keys).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from longgov.db import utcnow
from longgov.jobs.models import JobLease
from longgov.kernel.jobs import Job, PartlyDone
from longgov.platform import Platform, ServiceContext
from longgov.security.audit.service import record, record_now

log = logging.getLogger("longgov.jobs")

JOB_RUN = "jobs:job:run"
RESULT_LIMIT = 500

Status = Literal["ok", "partial", "failed", "skipped"]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class JobOutcome:
    """What one attempt to run a job did."""

    name: str
    status: Status
    result: str


@dataclass(frozen=True)
class JobState:
    """A job with its lease row, for ``longgov jobs list``."""

    name: str
    title: str
    every: timedelta
    holder: str | None
    lease_until: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_status: str | None
    last_result: str | None
    runs: int


def worker_name() -> str:
    """Who holds a lease: host, process and a random suffix (two runners in one process differ)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _acquire(platform: Platform, job: Job, holder: str, *, force: bool, now: datetime) -> bool:
    async with platform.db.transaction() as session:
        insert = pg_insert if platform.db.kind == "postgresql" else sqlite_insert
        await session.execute(insert(JobLease).values(name=job.name, runs=0).on_conflict_do_nothing(index_elements=[JobLease.name]))
        free = or_(JobLease.lease_until.is_(None), JobLease.lease_until < now)
        condition = free if force else free & or_(JobLease.last_started_at.is_(None), JobLease.last_started_at <= now - job.every)
        result = await session.execute(
            update(JobLease)
            .where(JobLease.name == job.name, condition)
            .values(holder=holder, lease_until=now + job.lease, last_started_at=now, runs=JobLease.runs + 1)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1


async def _release(platform: Platform, job: Job, holder: str, status: Status, result: str, *, now: datetime) -> None:
    async with platform.db.transaction() as session:
        done = await session.execute(
            update(JobLease)
            .where(JobLease.name == job.name, JobLease.holder == holder)
            .values(holder=None, lease_until=None, last_finished_at=now, last_status=status, last_result=result)
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) != 1:
            log.warning("job %s outlived its lease; another worker holds it now", job.name)


async def run_job(platform: Platform, job: Job, *, force: bool = False, holder: str | None = None, clock: Clock = utcnow) -> JobOutcome:
    """Run ``job`` if its lease is free and (unless ``force``) it is due; record the outcome on its lease row."""
    holder = holder or worker_name()
    if not await _acquire(platform, job, holder, force=force, now=clock()):
        return JobOutcome(job.name, "skipped", "未到执行时间或正由其他进程执行")
    status: Status = "ok"
    try:
        async with platform.db.transaction() as session:
            result = await job.run(ServiceContext(session=session, platform=platform))
            if isinstance(result, PartlyDone):
                status = "partial"
            record(
                session,
                JOB_RUN,
                actor=None,
                subject_type="job",
                subject_id=job.name,
                result="failure" if status == "partial" else "success",
                details={"result": result[:RESULT_LIMIT], "status": status},
            )
    except Exception as exc:
        log.exception("job %s failed", job.name)
        status, result = "failed", f"{type(exc).__name__}: {exc}"
        await record_now(platform.db, JOB_RUN, actor=None, subject_type="job", subject_id=job.name, result="failure", details={"error": result[:RESULT_LIMIT]})
    await _release(platform, job, holder, status, result[:RESULT_LIMIT], now=clock())
    return JobOutcome(job.name, status, result)


async def run_due(platform: Platform, jobs: Sequence[Job], *, holder: str | None = None, clock: Clock = utcnow) -> list[JobOutcome]:
    """Run every job that is due and not leased elsewhere, one after another."""
    return [await run_job(platform, job, holder=holder, clock=clock) for job in jobs]


async def job_states(platform: Platform, jobs: Sequence[Job]) -> list[JobState]:
    """Each registered job with its lease row (a job never run has none yet)."""
    async with platform.db.transaction() as session:
        rows = {r.name: r for r in (await session.execute(select(JobLease))).scalars()}
    states = []
    for job in jobs:
        row = rows.get(job.name)
        states.append(
            JobState(
                name=job.name,
                title=job.title,
                every=job.every,
                holder=row.holder if row else None,
                lease_until=row.lease_until if row else None,
                last_started_at=row.last_started_at if row else None,
                last_finished_at=row.last_finished_at if row else None,
                last_status=row.last_status if row else None,
                last_result=row.last_result if row else None,
                runs=row.runs if row else 0,
            )
        )
    return states


class JobScheduler:
    """The in-process runner: every ``tick`` seconds, run the due jobs (started in the app lifespan)."""

    def __init__(self, platform: Platform, jobs: Sequence[Job], *, tick: float, grace: float = 10.0) -> None:
        self._platform = platform
        self._jobs = list(jobs)
        self._tick = tick
        self._grace = grace
        self._holder = worker_name()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await run_due(self._platform, self._jobs, holder=self._holder)
            except Exception:
                # A database outage must not end the loop; the next tick tries again.
                log.exception("scheduled jobs tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._tick)

    def start(self) -> None:
        """Start the loop (idempotent)."""
        if self._task is None and self._jobs:
            self._stopping = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="longgov-jobs")

    async def stop(self) -> None:
        """Let a running job finish (up to ``grace`` seconds), then end the loop; a job cut short leaves its lease to expire."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=self._grace)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
