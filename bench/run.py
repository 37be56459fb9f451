"""``make bench``: benchmark LongGov on a throw-away PostgreSQL database, from a second process.

Steps: create a database named ``longgov_bench_<timestamp>_<pid>`` and a temporary var dir;
migrate, load the organisation tree and register ``--persons`` bench persons with known
phones; start ``longgov serve`` (granian) on 127.0.0.1; wait for ``/healthz``; run each
scenario with ``python -m bench.loadgen`` as a separate process (and ``wrk`` for the ceiling
when it is installed) while sampling the server's memory and CPU from ``/proc``; write
``bench/results/<scenario>.json`` and ``summary.json``; stop the server, drop the database and
remove the var dir. Only 127.0.0.1 is contacted. ``licence_verify`` also runs ``bench.licence_verify``
(in-process SM2) and ``licence_import`` runs ``bench.licence_import`` on a database of its own once the server
has stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Var dir (keys) of the large database, kept with it by ``--keep-db``.
LARGE_VAR_ROOT = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "longgov-bench"
HOST = "127.0.0.1"
BENCH_PASSWORD = "Bench2024load"  # noqa: S105 - throw-away accounts in a throw-away database
SCENARIOS = ("ceiling", "auth_json", "login_flow", "submission", "licence_verify", "licence_import")
# Opt-in: needs the large database (bench.large), see ``make bench-large``.
LARGE_SCENARIOS = ("inbox_search",)
ALL_SCENARIOS = SCENARIOS + LARGE_SCENARIOS
# 个体工商户设立登记: its own JSON Schema form, exactly one required material, the instant (即办件) BPMN process.
SUBMISSION_ITEM = "620A0002000000"
SUBMISSION_PHASES = ("draft_insert", "upload", "submit", "sequence")
SUBMISSION_FORM = {
    "business_name": "城关区压测便民小吃店",
    "operator_name": "王小明",
    "operator_id_number": "620102199001011234",
    "organisation_form": "个人经营",
    "premises_address": "甘肃省兰州市城关区测试路1号",
    "business_scope": "小吃服务；预包装食品销售",
    "capital": 5,
    "employees": 2,
    "contact_phone": "13900001234",
    "commitment": True,
}
SAMPLE_INTERVAL_S = 0.2
NOISY_CORES = 0.25
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d %d %.1f\\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
"""


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- machine, git, /proc -------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """CPU count and model, memory, kernel, Python and what else shares the cores."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_mb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_mb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]) // 1024
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "mem_total_mb": mem_mb,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def git_commit() -> dict[str, Any]:
    """HEAD and whether the working tree has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = bool(status.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": head, "dirty": dirty}


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which may itself contain spaces and parentheses.
    return raw[raw.rfind(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """``root`` and all its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def rss_kb(pids: list[int]) -> tuple[int, int]:
    """Summed resident set size and proportional set size (shared pages split) of ``pids``, in kB."""
    rss = pss = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                    break
    return rss, pss


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` (all their threads)."""
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / CLK_TCK


def backends_of(db_name: str) -> list[int]:
    """PostgreSQL backend processes connected to ``db_name`` (their title names the database)."""
    pids = []
    needle = f" {db_name} ".encode()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if needle in Path(f"/proc/{entry.name}/cmdline").read_bytes():
                    pids.append(int(entry.name))
    return pids


def system_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLK_TCK


@dataclass
class Sampler:
    """Samples the server tree's memory all along a scenario, and its CPU over the measured window."""

    root: int
    db_name: str
    peak_rss_kb: int = 0
    peak_pss_kb: int = 0
    window: dict[str, tuple[float, float, dict[int, float], float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _pids: list[int] = field(default_factory=list)

    def _sample(self) -> None:
        rss, pss = rss_kb(self._pids)
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)

    def _loop(self) -> None:
        refreshed = 0.0
        while not self._stop.is_set():
            if time.monotonic() - refreshed > 1.0:
                self._pids = process_tree(self.root)
                refreshed = time.monotonic()
            self._sample()
            self._stop.wait(SAMPLE_INTERVAL_S)

    def start(self) -> None:
        """Begin sampling in a background thread."""
        self._pids = process_tree(self.root)
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)
        self._thread.start()

    def mark(self, name: str) -> None:
        """Note the wall clock and CPU seconds of the server, the database's backends and the machine now."""
        backends = {pid: cpu_seconds([pid]) for pid in backends_of(self.db_name)}
        self.window[name] = (time.monotonic(), cpu_seconds(process_tree(self.root)), backends, system_busy_seconds())

    def stop(self) -> None:
        """Stop sampling (one last sample first)."""
        self._sample()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def cpu_cores(self, phase: str = "") -> dict[str, float | None]:
        """Cores in use over the window (of ``phase``): server tree, PostgreSQL backends of the bench database, whole machine."""
        start, end = f"start {phase}".strip(), f"end {phase}".strip()
        if start not in self.window or end not in self.window:
            return {"server": None, "postgres": None, "machine_busy": None}
        (t0, s0, pg0, b0), (t1, s1, pg1, b1) = self.window[start], self.window[end]
        wall = max(t1 - t0, 1e-9)
        # Backends opened during the window count from zero; ones closed during it are lost (pools keep them).
        postgres = sum(cpu - pg0.get(pid, 0.0) for pid, cpu in pg1.items())
        return {"server": round((s1 - s0) / wall, 3), "postgres": round(postgres / wall, 3), "machine_busy": round((b1 - b0) / wall, 3)}


# --- database, users, server -------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


async def _admin_sql(pg_url: str, statement: str) -> str:
    import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415 - the app's own driver

    conn = await asyncpg.connect(f"{pg_url}/postgres", timeout=10)
    try:
        await conn.execute(statement)
        return str(await conn.fetchval("SELECT version()"))
    finally:
        await conn.close()


async def _db_counters(pg_url: str, db_name: str) -> dict[str, int]:
    import asyncpg  # noqa: PLC0415

    conn = await asyncpg.connect(f"{pg_url}/postgres", timeout=10)
    try:
        row = await conn.fetchrow("SELECT sessions, xact_commit, xact_rollback FROM pg_stat_database WHERE datname = $1", db_name)
    finally:
        await conn.close()
    return dict(row) if row is not None else {}


def db_counters(env: Environment) -> dict[str, int]:
    """PostgreSQL's cumulative session and transaction counters of the bench database (empty if unreadable)."""
    try:
        return asyncio.run(_db_counters(env.pg_url, env.db_name))
    except Exception as exc:  # noqa: BLE001 - statistics are a nice-to-have
        log(f"could not read pg_stat_database: {exc!r}")
        return {}


def bench_persons(count: int) -> list[dict[str, str]]:
    """Deterministic bench persons with valid resident IDs and known, distinct phones."""
    from longgov.identity.codes import make_resident_id  # noqa: PLC0415
    from longgov.identity.divisions import all_divisions  # noqa: PLC0415

    # Gansu's county-level divisions (not the demo's list: the bench does not depend on the demo module).
    counties = sorted(d.code for d in all_divisions() if d.level == "county")

    rng = random.Random(20261127)  # noqa: S311 - reproducible test data
    persons = []
    for i in range(count):
        birth = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        persons.append(
            {
                "identifier": make_resident_id(counties[i % len(counties)], birth, i % 1000),
                "phone": f"1390000{i:04d}",
                "password": BENCH_PASSWORD,
            },
        )
    return persons


async def _seed(settings: Any, persons: list[dict[str, str]]) -> tuple[int, dict[str, Any]]:  # noqa: ANN401 - Settings, imported lazily
    """Organisation tree and demo catalogue (as ``longgov db upgrade``/the demo do) and the bench persons; idempotent."""
    from longgov.catalog import services as catalog  # noqa: PLC0415
    from longgov.identity.services import principal_by_login, register_person, sync_organisations  # noqa: PLC0415
    from longgov.kernel.errors import AppError  # noqa: PLC0415
    from longgov.platform import Platform, ServiceContext  # noqa: PLC0415

    app_platform = Platform.build(settings)
    try:
        async with app_platform.db.transaction() as session:
            ctx = ServiceContext(session=session, platform=app_platform)
            organisations = await sync_organisations(ctx)
            await catalog.seed_catalog(ctx)
            views = await catalog.published_views(ctx)
        for i, person in enumerate(persons):
            # A kept database (``--keep-db``) already has them (looked up without hashing a password).
            with contextlib.suppress(AppError):
                async with app_platform.db.transaction() as session:
                    ctx = ServiceContext(session=session, platform=app_platform)
                    if await principal_by_login(ctx, "person", person["identifier"]) is None:
                        await register_person(ctx, name=f"压测{i:04d}", id_number=person["identifier"], phone=person["phone"], password=person["password"])
    finally:
        await app_platform.db.dispose()
    item = next(v for v in views if v.basic_code == SUBMISSION_ITEM)
    fixtures = {
        "submission": {
            "item_code": item.code,
            "basic_code": item.basic_code,
            "item_name": item.content.name,
            "process": item.content.process_type,
            "materials": [{"name": m.name, "required": m.required, "replaceable": m.replaceable} for m in item.content.materials],
            "form": SUBMISSION_FORM,
        },
        "catalogue": [{"code": v.code, "basic_code": v.basic_code, "name": v.content.name, "organisation_code": v.organisation_code} for v in views],
    }
    return organisations, fixtures


def server_command(port: int, workers: int) -> list[str]:
    """``longgov serve`` from this environment."""
    script = Path(sys.executable).with_name("longgov")
    base = [str(script)] if script.exists() else [sys.executable, "-c", "from longgov.cli import main; main()"]
    return [*base, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]


def wait_healthy(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    """Poll ``/healthz`` until it answers 200 (no proxies: a direct connection to 127.0.0.1)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"server exited with code {proc.returncode} before becoming healthy"
            raise RuntimeError(msg)
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            body = response.read()
            if response.status == 200:
                return
            last = f"HTTP {response.status} {body[:200]!r}"
        except OSError as exc:
            last = repr(exc)
        finally:
            conn.close()
        time.sleep(0.2)
    msg = f"server not healthy after {timeout:.0f}s: {last}"
    raise RuntimeError(msg)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT (granian shuts its workers down), then SIGKILL to whatever of the tree we started is left."""
    tree = process_tree(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log("server did not stop on SIGINT; killing it")
    # The server runs in its own session, so its process group id is its pid: only those processes are ours.
    for pid in tree:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == proc.pid:
                os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def log_tail(path: Path, lines: int = 30) -> None:
    """Show the end of a log file on stderr."""
    with contextlib.suppress(OSError):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]:
            log(f"  | {line}")


@dataclass
class Environment:
    """What one bench run set up: database, var dir, persons file, server."""

    pg_url: str
    db_name: str
    var_dir: Path
    env: dict[str, str]
    port: int
    workers: int
    persons_file: Path
    server: subprocess.Popen[bytes] | None
    server_log: Path
    postgres_version: str
    fixtures_file: Path


def start_server(env: Environment, workers: int) -> None:
    """Start ``longgov serve`` with ``workers`` workers (stopping a running one first) and wait until it is healthy."""
    if env.server is not None:
        stop_server(env.server)
        env.server = None
    with env.server_log.open("ab") as log_file:
        env.server = subprocess.Popen(
            server_command(env.port, workers), cwd=ROOT, env=env.env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_healthy(env.server, env.port, timeout=60)
    except RuntimeError:
        log_tail(env.server_log)
        raise
    env.workers = workers
    log(f"server pid {env.server.pid} healthy on {HOST}:{env.port} with {workers} worker(s)")


@contextlib.contextmanager
def environment(args: argparse.Namespace, *, large: bool = False) -> Iterator[Environment]:  # noqa: PLR0915 - set-up and tear-down in order
    """Create everything, yield it, and always tear it down.

    ``large``: the database of ``inbox_search`` has a fixed name (``--large-db``) and a var dir that lives as
    long as it (its keys encrypt the loaded rows), so ``--keep-db`` lets the next run reuse both.
    """
    from longgov.config import Settings  # noqa: PLC0415
    from longgov.migrations import upgrade  # noqa: PLC0415

    if large:
        db_name = args.large_db
        var_dir = LARGE_VAR_ROOT / db_name
        var_dir.mkdir(parents=True, exist_ok=True)
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
        db_name = f"longgov_bench_{stamp}_{os.getpid()}"
        var_dir = Path(tempfile.mkdtemp(prefix="longgov-bench-"))
    database_url = f"{args.pg_url}/{db_name}"
    env_vars = {k: v for k, v in os.environ.items() if not k.startswith("LONGGOV_")}
    env_vars.update({"LONGGOV_MODE": "test", "LONGGOV_VAR_DIR": str(var_dir), "LONGGOV_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"})
    env: Environment | None = None
    created = False
    try:
        exists = large and asyncio.run(_database_exists(args.pg_url, db_name))
        if exists:
            log(f"reusing database {db_name}")
            postgres_version = asyncio.run(_admin_sql(args.pg_url, "SELECT 1"))
        else:
            log(f"creating database {db_name}")
            postgres_version = asyncio.run(_admin_sql(args.pg_url, f'CREATE DATABASE "{db_name}"'))
        created = True
        settings = Settings(mode="test", var_dir=var_dir, database_url=database_url)
        started = time.monotonic()
        upgrade(settings)
        load_report: dict[str, Any] | None = None
        if large:
            from bench import large as large_loader  # noqa: PLC0415

            # Audit rows first: their times run up to now, so the seeded records that follow stay in time order.
            load_report = asyncio.run(large_loader.load_audit(database_url, args.audit_rows, log=log))
        persons = bench_persons(args.persons)
        organisations, fixtures = asyncio.run(_seed(settings, persons))
        log(f"migrated, {organisations} new organisations, catalogue, {len(persons)} persons in {time.monotonic() - started:.1f}s")
        if large:
            from bench import large as large_loader  # noqa: PLC0415

            assert load_report is not None  # noqa: S101
            load_report.update(asyncio.run(large_loader.load_applications(database_url, settings, args.applications, log=log)))
            fixtures["staff"] = asyncio.run(large_loader.create_staff(settings))
            fixtures["load"] = load_report
        persons_file = var_dir / "bench-persons.json"
        persons_file.write_text(json.dumps(persons), encoding="utf-8")
        fixtures_file = var_dir / "bench-fixtures.json"
        fixtures_file.write_text(json.dumps(fixtures, ensure_ascii=False), encoding="utf-8")
        env = Environment(
            args.pg_url,
            db_name,
            var_dir,
            env_vars,
            args.port or free_port(),
            args.workers,
            persons_file,
            None,
            var_dir / "server.log",
            postgres_version,
            fixtures_file,
        )
        start_server(env, args.workers)
        yield env
    finally:
        if env is not None and env.server is not None:
            stop_server(env.server)
            if args.keep_server_log:
                kept = RESULTS_DIR / "server.log.tmp"
                with contextlib.suppress(OSError):
                    shutil.copyfile(var_dir / "server.log", kept)
                    log(f"server log copied to {kept}")
        if created and not args.keep_db:
            try:
                asyncio.run(_admin_sql(args.pg_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
                log(f"dropped database {db_name}")
            except Exception as exc:  # noqa: BLE001 - report, keep cleaning up
                log(f"could not drop database {db_name}: {exc!r}")
        if not args.keep_db or not large:
            shutil.rmtree(var_dir, ignore_errors=True)


async def _database_exists(pg_url: str, db_name: str) -> bool:
    import asyncpg  # noqa: PLC0415

    conn = await asyncpg.connect(f"{pg_url}/postgres", timeout=10)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db_name))
    finally:
        await conn.close()


# --- scenarios ---------------------------------------------------------------------------------------


def _pump_markers(stream: Any, sampler: Sampler, lines: list[str], on_marker: Callable[[str], None] | None = None) -> None:  # noqa: ANN401 - a text pipe
    for line in stream:
        text = line.strip()
        if text.startswith(("MEASURE_START", "MEASURE_END")):
            # "MEASURE_START" opens the scenario's window, "MEASURE_START <phase>" one phase's window.
            name = " ".join(["start" if text.startswith("MEASURE_START") else "end", *text.split()[1:2]])
            sampler.mark(name)
            if on_marker is not None:
                on_marker(name)
        elif text:
            lines.append(text)


def run_loadgen(
    env: Environment,
    scenario: str,
    concurrency: int,
    args: argparse.Namespace,
    out: Path,
    *,
    extra: list[str] | None = None,
    on_marker: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], Sampler]:
    """Run one scenario in a ``bench.loadgen`` process while sampling the server."""
    command = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--scenario",
        scenario,
        "--port",
        str(env.port),
        "--concurrency",
        str(concurrency),
        "--duration",
        str(args.duration),
        "--warmup",
        str(args.warmup),
        "--persons",
        str(env.persons_file),
        "--sessions",
        str(args.sessions),
        "--fixtures",
        str(env.fixtures_file),
        "--out",
        str(out),
        *(extra or []),
    ]
    counters_before = db_counters(env)
    assert env.server is not None  # noqa: S101
    sampler = Sampler(env.server.pid, env.db_name)
    sampler.start()
    lines: list[str] = []
    rounds = {"submission": len(SUBMISSION_PHASES), "inbox_search": 14}.get(scenario, 1)
    limit = (args.warmup + args.duration) * rounds + 300
    try:
        proc = subprocess.Popen(command, cwd=ROOT, env=env.env, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None  # noqa: S101
        pump = threading.Thread(target=_pump_markers, args=(proc.stdout, sampler, lines, on_marker), daemon=True)
        pump.start()
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            msg = f"load generator for {scenario} ran past {limit:.0f}s"
            raise RuntimeError(msg) from None
        pump.join(timeout=5)
    finally:
        sampler.stop()
    if code != 0:
        log_tail(env.server_log, 10)
        msg = f"load generator for {scenario} failed with exit code {code}: {' | '.join(lines[-5:])}"
        raise RuntimeError(msg)
    raw = json.loads(out.read_text(encoding="utf-8"))
    counters_after = db_counters(env)
    if counters_before and counters_after:
        delta = {key: counters_after[key] - counters_before[key] for key in counters_before}
        answered = raw.pop("answered_total", 0)
        if answered and scenario in {"ceiling", "auth_json"}:
            delta["transactions_per_request"] = round((delta["xact_commit"] + delta["xact_rollback"]) / answered, 2)
        raw["postgres_counters"] = delta
    raw.pop("answered_total", None)
    return raw, sampler


def run_wrk(env: Environment, concurrency: int, args: argparse.Namespace) -> tuple[dict[str, Any], Sampler] | None:
    """The ceiling measured by ``wrk`` (one thread), for comparison with the Python generator."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script = env.var_dir / "bench.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    sampler = Sampler(env.server.pid, env.db_name)
    sampler.start()
    command = [wrk, "-t1", f"-c{concurrency}", f"-d{args.duration:g}s", "-s", str(script), f"http://{HOST}:{env.port}/livez"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        sampler.mark("start")
        completed = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 60, check=False)
        sampler.mark("end")
    finally:
        sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if completed.returncode != 0 or line is None:
        log(f"wrk failed ({completed.returncode}): {completed.stderr.strip()[:300]}")
        return None
    requests, duration_us, status_errors, socket_errors, p50, p95, p99, worst = (int(v) for v in line.split()[1:9])
    mean = float(line.split()[9])
    duration = duration_us / 1e6

    def ms(us: float) -> float:
        return round(us / 1000.0, 3)

    return {
        "scenario": "ceiling_wrk",
        "path": "GET /livez",
        "concurrency": concurrency,
        "duration_s": round(duration, 2),
        "warmup_s": 0,
        "requests": requests,
        "errors": status_errors + socket_errors,
        "transport_errors": socket_errors,
        "throughput_rps": round(requests / duration, 1),
        "latency_ms": {"p50": ms(p50), "p95": ms(p95), "p99": ms(p99), "max": ms(worst), "mean": ms(mean)},
        "loadgen_cpu_cores": round(wrk_cpu_s / duration, 3),
    }, sampler


def _phase_cores(sampler: Sampler, phase: str, loadgen_cpu: float | None) -> dict[str, float | None]:
    cores = sampler.cpu_cores(phase)
    cores["loadgen"] = loadgen_cpu
    known = [cores["server"], cores["postgres"], cores["loadgen"]]
    if cores["machine_busy"] is not None and None not in known:
        cores["other"] = round(cores["machine_busy"] - sum(c for c in known if c is not None), 3)
    return cores


def run_submission(env: Environment, args: argparse.Namespace, meta: dict[str, Any]) -> dict[str, Any]:
    """The four submission phases on ``--submission-workers`` workers, the in-process trace, then the py-spy pass."""
    if env.workers != args.submission_workers:
        start_server(env, args.submission_workers)
    meta["loadavg"]["submission"] = [round(x, 2) for x in os.getloadavg()]
    log(
        f"submission: {args.submission_concurrency} connections, {args.submission_workers} workers, phases {','.join(SUBMISSION_PHASES)}, "
        f"each {args.warmup:g}s warm-up + {args.duration:g}s"
    )
    raw, sampler = run_loadgen(
        env, "submission", args.submission_concurrency, args, env.var_dir / "submission.raw.json", extra=["--trace", str(args.trace_rounds)]
    )
    trace = raw.pop("db_trace", None)
    result = build_result("submission", raw, sampler, env, meta)
    phases: dict[str, dict[str, Any]] = result["phases"]
    for name, phase in phases.items():
        phase["cpu_cores"] = _phase_cores(sampler, name, phase.pop("loadgen_cpu_cores", None))
        if phase["cpu_cores"]["server"] and phase["throughput_rps"]:
            phase["server_cpu_ms_per_request"] = round(phase["cpu_cores"]["server"] * 1000 / phase["throughput_rps"], 3)
        if phase["cpu_cores"]["postgres"] and phase["throughput_rps"]:
            phase["postgres_cpu_ms_per_request"] = round(phase["cpu_cores"]["postgres"] * 1000 / phase["throughput_rps"], 3)
    phases.get("draft_insert", {})["writes"] = DRAFT_INSERT_WRITES
    submit, insert, sequence = phases.get("submit"), phases.get("draft_insert"), phases.get("sequence")
    headline = submit or sequence or insert or {}
    result["requests"] = sum(p["requests"] for p in phases.values())
    result["errors"] = sum(p["errors"] for p in phases.values())
    result["throughput_rps"] = headline.get("throughput_rps")
    result["latency_ms"] = headline.get("latency_ms")
    result["cpu_cores"] = headline.get("cpu_cores", result["cpu_cores"])
    result["server_cpu_ms_per_request"] = headline.get("server_cpu_ms_per_request")
    result["concurrency"] = args.submission_concurrency
    result["submissions_per_s"] = submit["throughput_rps"] if submit else None
    result["sequences_per_s"] = sequence.get("sequences_per_s") if sequence else None
    result["one_row_insert_rps"] = insert["throughput_rps"] if insert else None
    if insert and insert["throughput_rps"]:
        result["ratio_to_one_row_insert"] = {
            "submit_over_insert": round(submit["throughput_rps"] / insert["throughput_rps"], 3) if submit else None,
            "sequence_over_insert": round(sequence["sequences_per_s"] / insert["throughput_rps"], 3) if sequence else None,
            "insert_endpoint": "POST /api/v1/applications (draft_insert phase)",
        }
    if submit:
        p99 = submit["latency_ms"]["p99"]
        result["target"] = {
            "submissions_per_s": SUBMISSION_TARGET_RPS,
            "p99_ms": SUBMISSION_TARGET_P99_MS,
            "met": bool(submit["throughput_rps"] >= SUBMISSION_TARGET_RPS and p99 is not None and p99 <= SUBMISSION_TARGET_P99_MS),
        }
    profile_result: dict[str, Any] = {}
    if args.profile_duration > 0:
        profile_result = profile_submission(env, args)
    profile_result["db_round_trips"] = trace
    result["profile"] = profile_result
    return result


DRAFT_INSERT_WRITES = (
    "One transaction: SessionAuthMiddleware's session/account lookup, the published item version read, INSERT applications (1 row, "
    "form SM4-encrypted), INSERT application_events (1 row, draft_created), then the audit chain: SELECT … FOR UPDATE of "
    "audit_chain_head, INSERT audit_events (1 row, SM3-chained), UPDATE audit_chain_head; and the response re-reads materials "
    "and events of the draft. No more minimal authenticated insert exists in the API (every write is audited)."
)
SUBMISSION_TARGET_RPS = 300
SUBMISSION_TARGET_P99_MS = 150


def profile_submission(env: Environment, args: argparse.Namespace) -> dict[str, Any]:
    """A separate ``sequence`` phase while py-spy samples the server (not the measured run: py-spy takes CPU too)."""
    from bench import profile  # noqa: PLC0415

    pyspy, how = profile.find_pyspy()
    if pyspy is None:
        log(f"no profile: {how}")
        return {"tool": None, "why": how}
    output = env.var_dir / "pyspy.txt"
    state: dict[str, Any] = {}
    assert env.server is not None  # noqa: S101
    server_pid = env.server.pid

    def on_marker(name: str) -> None:
        if name == "start sequence":
            state["recording"] = profile.start(pyspy, server_pid, output, rate=PROFILE_RATE_HZ)
        elif name == "end sequence" and "recording" in state:
            state["error"] = profile.stop(state["recording"])

    pass_args = argparse.Namespace(**{**vars(args), "warmup": 1.0, "duration": args.profile_duration})
    log(f"profile: py-spy ({how}) on the server during a {args.profile_duration:g}s sequence phase")
    raw, sampler = run_loadgen(
        env, "submission", args.submission_concurrency, pass_args, env.var_dir / "profile.raw.json", extra=["--phases", "sequence"], on_marker=on_marker
    )
    if "recording" in state and "error" not in state:
        state["error"] = profile.stop(state["recording"])
    if state.get("error") or not output.exists():
        return {"tool": f"py-spy ({how})", "error": state.get("error") or "no output"}
    phase = raw["phases"]["sequence"]
    return {
        "tool": f"py-spy record --subprocesses --nonblocking --rate {PROFILE_RATE_HZ} ({how})",
        "workload": "a separate sequence phase (create → upload → submit) right after the measured ones, same server and connections",
        "sequences_per_s_while_profiling": phase.get("sequences_per_s"),
        "cpu_cores_while_profiling": _phase_cores(sampler, "sequence", phase.get("loadgen_cpu_cores")),
        **profile.analyse(output),
    }


PROFILE_RATE_HZ = 100
LICENCE_TARGET_RPS = 800
LICENCE_TARGET_P99_MS = 50


def run_licence_verify(env: Environment, args: argparse.Namespace, meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Seed licences, load ``POST /api/v1/licences/verify`` on ``--licence-workers``, profile it; then the in-process SM2 loops.

    Returns ``licence_verify_http`` (the HTTP scenario) and ``licence_verify`` (``bench.licence_verify``, in process).
    """
    from bench import licence_http  # noqa: PLC0415
    from longgov.config import Settings  # noqa: PLC0415

    if env.workers != args.licence_workers:
        start_server(env, args.licence_workers)
    settings = Settings(mode="test", var_dir=env.var_dir, database_url=env.env["LONGGOV_DATABASE_URL"])
    persons = json.loads(env.persons_file.read_text(encoding="utf-8"))
    started = time.monotonic()
    fixtures = asyncio.run(licence_http.seed(settings, persons))
    seed_s = round(time.monotonic() - started, 1)
    fixtures_file = env.var_dir / "licence-fixtures.json"
    fixtures_file.write_text(json.dumps(fixtures, ensure_ascii=False), encoding="utf-8")
    log(f"licence_verify: seeded {fixtures['counts']} in {seed_s}s; {args.licence_concurrency} connections, {args.licence_workers} workers")
    meta["loadavg"]["licence_verify_http"] = [round(x, 2) for x in os.getloadavg()]
    extra = ["--licence-fixtures", str(fixtures_file), "--trace", str(args.trace_rounds)]
    raw, sampler = run_loadgen(env, "licence_verify", args.licence_concurrency, args, env.var_dir / "licence_verify.raw.json", extra=extra)
    trace = raw.pop("db_trace", None)
    result = build_result("licence_verify_http", raw, sampler, env, meta)
    result["seed_s"] = seed_s
    cores, rate = result["cpu_cores"], result["throughput_rps"]
    if cores.get("postgres") and rate:
        result["postgres_cpu_ms_per_request"] = round(cores["postgres"] * 1000 / rate, 3)
    if cores.get("server") and cores.get("postgres") and rate:
        per_request = (cores["server"] + cores["postgres"]) * 1000 / rate
        nproc = meta["machine"]["nproc"]
        result["cpu_budget"] = {
            "server_plus_postgres_cpu_ms_per_request": round(per_request, 3),
            "loadgen_cpu_ms_per_request": round((cores.get("loadgen") or 0.0) * 1000 / rate, 3),
            "cores": nproc,
            # What these cores could give at this CPU cost if nothing else (load generator, other jobs) ran on them.
            "rate_ceiling_on_these_cores": round(nproc * 1000 / per_request, 1),
            "cores_needed_for_target": round(LICENCE_TARGET_RPS * per_request / 1000, 2),
        }
    p99 = (result.get("latency_ms") or {}).get("p99")
    result["target"] = {
        "verifications_per_s": LICENCE_TARGET_RPS,
        "p99_ms": LICENCE_TARGET_P99_MS,
        "server_workers": args.licence_workers,
        "met": bool(rate and rate >= LICENCE_TARGET_RPS and p99 is not None and p99 <= LICENCE_TARGET_P99_MS),
    }
    profile_result: dict[str, Any] = {}
    if args.profile_duration > 0:
        profile_result = profile_licence_verify(env, args, fixtures_file)
    profile_result["db_round_trips"] = trace
    result["profile"] = profile_result
    results = {"licence_verify_http": result}
    if args.licence_loop_duration > 0:
        results["licence_verify"] = run_licence_loops(args)
    return results


def profile_licence_verify(env: Environment, args: argparse.Namespace, fixtures_file: Path) -> dict[str, Any]:
    """A separate short run of the same mix while py-spy samples the server."""
    from bench import profile  # noqa: PLC0415

    pyspy, how = profile.find_pyspy()
    if pyspy is None:
        log(f"no profile: {how}")
        return {"tool": None, "why": how}
    output = env.var_dir / "pyspy-licence.txt"
    state: dict[str, Any] = {}
    assert env.server is not None  # noqa: S101
    server_pid = env.server.pid

    def on_marker(name: str) -> None:
        if name == "start":
            state["recording"] = profile.start(pyspy, server_pid, output, rate=PROFILE_RATE_HZ)
        elif name == "end" and "recording" in state:
            state["error"] = profile.stop(state["recording"])

    pass_args = argparse.Namespace(**{**vars(args), "warmup": 1.0, "duration": args.profile_duration})
    log(f"profile: py-spy ({how}) on the server during a {args.profile_duration:g}s licence_verify pass")
    raw, sampler = run_loadgen(
        env,
        "licence_verify",
        args.licence_concurrency,
        pass_args,
        env.var_dir / "profile-licence.raw.json",
        extra=["--licence-fixtures", str(fixtures_file)],
        on_marker=on_marker,
    )
    if "recording" in state and "error" not in state:
        state["error"] = profile.stop(state["recording"])
    if state.get("error") or not output.exists():
        return {"tool": f"py-spy ({how})", "error": state.get("error") or "no output"}
    return {
        "tool": f"py-spy record --subprocesses --nonblocking --rate {PROFILE_RATE_HZ} ({how})",
        "workload": "a separate pass of the same request mix right after the measured one, same server",
        "throughput_rps_while_profiling": raw.get("throughput_rps"),
        "cpu_cores_while_profiling": _phase_cores(sampler, "", raw.get("loadgen_cpu_cores")),
        **profile.analyse(output, stages=profile.LICENCE_STAGES),
    }


def run_licence_loops(args: argparse.Namespace) -> dict[str, Any]:
    """``python -m bench.licence_verify``: SM2 and whole-document checks in one process pinned to one CPU (no server)."""
    out = args.results_dir / "licence_verify.json"
    log(f"licence_verify (in process): 4 loops of {args.licence_loop_duration:g}s")
    completed = subprocess.run(
        [sys.executable, "-m", "bench.licence_verify", "--duration", str(args.licence_loop_duration), "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in completed.stdout.splitlines():
        log(f"  {line}")
    if not out.exists():
        msg = f"bench.licence_verify failed ({completed.returncode}): {completed.stderr[-500:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def run_licence_import(args: argparse.Namespace) -> dict[str, Any]:
    """``python -m bench.licence_import``: the register import on its own database (after the server stopped)."""
    out = args.results_dir / "licence_import.json"
    command = [sys.executable, "-m", "bench.licence_import", "--rows", str(args.import_rows), "--pg-url", args.pg_url, "--output", str(out)]
    log(f"licence_import: {args.import_rows} rows")
    completed = subprocess.run(command, cwd=ROOT, check=False)
    if completed.returncode != 0 or not out.exists():
        msg = f"bench.licence_import failed with exit code {completed.returncode}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    log(_headline(result))
    return result


SHARED_CORES_NOTE = (
    "Load generator, server and PostgreSQL share the same {nproc} CPU core(s) on one machine; "
    "numbers are a lower bound for a server with the cores to itself. See cpu_cores for the split."
)
NOTES: dict[str, list[str]] = {
    "licence_verify_http": [
        (
            "POST /api/v1/licences/verify by anonymous verifiers (no session, no CSRF) with the mix in `mix`: sealed licences (valid, tampered, "
            "revoked, expired), presentations (bare and wrapped with a declared verifier, tampered) and licence VCs, seeded through the real "
            "services (`seeded`). Every answer is 200 with valid/code; `probe` lists the codes answered when each distinct body was sent once "
            "before the load (the bench stops when one differs from the expected code)."
        ),
        (
            "Each verification: signature (SM2) against the issuer's registered seal key, issuer binding, identifier, status (revoked / "
            "suspended / superseded) and validity; presentations also the platform proof, the issuer-signed disclosure manifest, consent, "
            "expiry and a check record; every verification writes a chained audit record (one transaction each)."
        ),
        "Python asyncio load generator (bench.loadgen), closed loop over a shuffled list of pre-encoded requests.",
    ],
    "ceiling": [
        (
            "GET /livez answers from the handler without a database round trip: the ceiling of granian + Litestar + "
            "the platform middleware (request id, security headers, access log, session cookie check, CSRF, guard)."
        ),
        "Python asyncio load generator (bench.loadgen), closed loop: each connection sends its next request when the previous answer arrived.",
    ],
    "ceiling_wrk": [
        "Same GET /livez measured with wrk (1 thread, C connections, no warm-up of its own: it runs right after the Python ceiling run).",
        "Compare with ceiling.json: if wrk is much faster, the Python generator was the bottleneck there.",
    ],
    "auth_json": [
        "GET /api/v1/auth/me rotating over pre-logged-in person sessions (logged in first through the real page → login → SMS → verify flow).",
        (
            "Each request: session cookie → SessionAuthMiddleware opens a transaction and looks the session + account up in PostgreSQL, "
            "then the guard and the handler build MeView."
        ),
        "Python asyncio load generator (bench.loadgen), closed loop.",
    ],
    "login_flow": [
        (
            "One flow: GET /login/person (lg_csrf cookie) → POST /api/v1/auth/login (argon2 verification, pending session, SMS to the outbox) → "
            "read the code from sms_outbox with longgov.notify.services.latest_message_to (in the load generator process) → POST /api/v1/auth/verify."
        ),
        "requests/throughput_rps/errors count the three HTTP requests of each flow; latency_ms is per whole flow; steps_latency_ms per step.",
        "Login is deliberately expensive (argon2 password hashing), so flows/s is CPU-bound.",
    ],
}


def build_result(scenario: str, raw: dict[str, Any], sampler: Sampler, env: Environment, meta: dict[str, Any]) -> dict[str, Any]:
    """The published JSON of one scenario."""
    cores = sampler.cpu_cores()
    cores["loadgen"] = raw.pop("loadgen_cpu_cores", None)
    known = [cores["server"], cores["postgres"], cores["loadgen"]]
    if cores["machine_busy"] is not None and None not in known:
        # Whatever else ran on the machine meanwhile (this orchestrator's sampling, other users' jobs).
        cores["other"] = round(cores["machine_busy"] - sum(c for c in known if c is not None), 3)
    result: dict[str, Any] = {
        "scenario": scenario,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": meta["git"]["commit"],
        "git_dirty": meta["git"]["dirty"],
        "machine": meta["machine"],
        "server": {
            "workers": env.workers,
            "database": "postgresql",
            "postgres_version": env.postgres_version,
            "mode": "test",
            "server": "granian via longgov serve",
        },
        "server_workers": env.workers,
        "loadgen": "wrk" if scenario.endswith("_wrk") else "python-asyncio (bench.loadgen)",
    }
    result.update(raw)
    result["scenario"] = scenario
    result["server_rss_mb"] = round(sampler.peak_rss_kb / 1024, 1)
    result["server_pss_mb"] = round(sampler.peak_pss_kb / 1024, 1)
    result["cpu_cores"] = cores
    # CPU per unit of work is steadier than throughput when other jobs share the machine.
    if cores["server"] and result.get("throughput_rps"):
        result["server_cpu_ms_per_request"] = round(cores["server"] * 1000 / result["throughput_rps"], 3)
    if cores["server"] and result.get("flows_per_s"):
        result["server_cpu_ms_per_flow"] = round(cores["server"] * 1000 / result["flows_per_s"], 1)
    result["loadavg_before"] = meta["loadavg"].get(scenario)
    result["notes"] = [
        *NOTES.get(scenario, []),
        SHARED_CORES_NOTE.format(nproc=meta["machine"]["nproc"]),
        (
            "cpu_cores: CPU in use over the measured window, in cores: server = granian process tree, postgres = backends of the bench "
            "database alive at the end of the window (connections closed meanwhile are missed), loadgen = the load generator, "
            "machine_busy = all cores from /proc/stat, other = the rest (other processes on the machine, exited backends)."
        ),
        (
            "postgres_counters: pg_stat_database deltas over the whole scenario incl. set-up and warm-up (approximate: PostgreSQL "
            "publishes them up to ~1 s late): sessions = connections opened, xact_commit/xact_rollback = transactions."
        ),
        (
            "server_rss_mb: peak of the summed VmRSS of the server process tree (granian main + workers), sampled every "
            f"{SAMPLE_INTERVAL_S:g}s from /proc during the whole scenario incl. set-up; server_pss_mb counts shared pages once."
        ),
    ]
    if (cores.get("other") or 0.0) > NOISY_CORES:
        result["notes"].append(
            f"WARNING: other processes used {cores['other']} cores during the window (load average before: "
            f"{result['loadavg_before']}); these numbers are disturbed, rerun on a quiet machine.",
        )
    return result


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write pretty UTF-8 JSON atomically."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def summarise(results: dict[str, dict[str, Any]], meta: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """``summary.json``: the headline numbers of every scenario and auth_json/ceiling."""
    keys = ("throughput_rps", "requests", "errors", "latency_ms", "server_rss_mb", "concurrency", "duration_s", "cpu_cores", "server_cpu_ms_per_request")
    summary: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": meta["git"]["commit"],
        "git_dirty": meta["git"]["dirty"],
        "machine": meta["machine"],
        "server_workers": args.workers,
        "scenarios": {name: {k: r.get(k) for k in keys} for name, r in results.items()},
    }
    if "login_flow" in results:
        flow = results["login_flow"]
        steps_p50 = {step: stats["p50"] for step, stats in flow["steps_latency_ms"].items()}
        summary["scenarios"]["login_flow"].update(
            flows_per_s=flow.get("flows_per_s"),
            failed_flows=flow.get("failed_flows"),
            steps_p50_ms=steps_p50,
            server_cpu_ms_per_flow=flow.get("server_cpu_ms_per_flow"),
        )
    if "submission" in results:
        sub = results["submission"]
        summary["scenarios"]["submission"].update(
            submissions_per_s=sub.get("submissions_per_s"),
            sequences_per_s=sub.get("sequences_per_s"),
            one_row_insert_rps=sub.get("one_row_insert_rps"),
            ratio_to_one_row_insert=sub.get("ratio_to_one_row_insert"),
            server_workers=sub.get("server_workers"),
            target=sub.get("target"),
        )
    if "licence_verify_http" in results:
        verify = results["licence_verify_http"]
        summary["scenarios"]["licence_verify_http"].update(
            server_workers=verify.get("server_workers"),
            postgres_cpu_ms_per_request=verify.get("postgres_cpu_ms_per_request"),
            cpu_budget=verify.get("cpu_budget"),
            target=verify.get("target"),
        )
    if "licence_verify" in results:
        loops = results["licence_verify"].get("loops", {})
        summary["scenarios"]["licence_verify"] = {
            "in_process_per_second": {name: loop.get("per_second") for name, loop in loops.items()},
            "meets_target": results["licence_verify"].get("meets_target"),
        }
    if "licence_import" in results:
        imported = results["licence_import"]
        summary["scenarios"]["licence_import"] = {
            k: imported.get(k) for k in ("register", "rows_per_s", "licences_per_s", "reimport_rows_per_s", "peak_rss_mb", "idempotent")
        }
    if "inbox_search" in results:
        summary["scenarios"]["inbox_search"] = {k: results["inbox_search"].get(k) for k in ("queries_summary", "load", "target")}
    ceiling = results.get("ceiling", {}).get("throughput_rps")
    auth = results.get("auth_json", {}).get("throughput_rps")
    summary["auth_json_over_ceiling"] = round(auth / ceiling, 3) if ceiling and auth else None
    noisy = [name for name, r in results.items() if ((r.get("cpu_cores") or {}).get("other") or 0.0) > NOISY_CORES]
    summary["disturbed_scenarios"] = noisy
    if "ceiling_wrk" in results and ceiling:
        summary["ceiling_python_over_wrk"] = round(ceiling / results["ceiling_wrk"]["throughput_rps"], 3)
    summary["total_wall_s"] = meta["total_wall_s"]
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line of ``python -m bench.run``."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="granian worker processes (default 1)")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated subset of {','.join(ALL_SCENARIOS)} (default: all but {','.join(LARGE_SCENARIOS)})"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each scenario (default 2)")
    parser.add_argument("--concurrency", type=int, default=32, help="connections for ceiling and auth_json (default 32)")
    parser.add_argument("--login-concurrency", type=int, default=4, help="concurrent login flows (default 4)")
    parser.add_argument("--persons", type=int, default=50, help="bench persons to register (default 50)")
    parser.add_argument("--sessions", type=int, default=50, help="sessions logged in for auth_json (default 50)")
    parser.add_argument("--no-wrk", action="store_true", help="skip the wrk ceiling even if wrk is installed")
    parser.add_argument("--submission-workers", type=int, default=2, help="granian workers for the submission scenario (default 2; the server is restarted)")
    parser.add_argument("--submission-concurrency", type=int, default=16, help="connections for the submission phases (default 16)")
    parser.add_argument("--trace-rounds", type=int, default=5, help="in-process traced applications after the submission phases (default 5, 0: none)")
    parser.add_argument("--profile-duration", type=float, default=6.0, help="seconds of the py-spy profile pass after submission (default 6, 0: none)")
    parser.add_argument("--licence-workers", type=int, default=2, help="granian workers for licence_verify (default 2; the server is restarted)")
    parser.add_argument("--licence-concurrency", type=int, default=8, help="connections for licence_verify (default 8)")
    parser.add_argument("--licence-loop-duration", type=float, default=5.0, help="seconds per in-process loop of bench.licence_verify (default 5, 0: skip it)")
    parser.add_argument("--import-rows", type=int, default=100_000, help="register rows of licence_import (default 100,000)")
    parser.add_argument("--large-db", default="longgov_bench_large", help="database of inbox_search (reused with --keep-db)")
    parser.add_argument("--applications", type=int, default=1_000_000, help="applications loaded for inbox_search (default 1,000,000)")
    parser.add_argument("--audit-rows", type=int, default=10_000_000, help="audit rows loaded for inbox_search (default 10,000,000)")
    parser.add_argument("--inbox-concurrency", type=int, default=4, help="connections per inbox_search query kind (default 4)")
    parser.add_argument("--inbox-duration", type=float, default=5.0, help="measured seconds per inbox_search query kind (default 5)")
    parser.add_argument("--pg-url", default=os.environ.get("PG_URL", "postgresql://postgres@127.0.0.1:5432"), help="PostgreSQL server URL without database")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database afterwards")
    parser.add_argument("--keep-server-log", action="store_true", help="copy the server log to bench/results/server.log.tmp")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios.split(",")) - set(ALL_SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if not HOST.startswith("127."):
        parser.error("the bench only talks to 127.0.0.1")
    return args


def main(argv: list[str] | None = None) -> int:  # noqa: C901, PLR0915 - the scenarios in order
    """Set up, run the scenarios, write the results, tear down."""
    args = parse_args(argv)
    started = time.monotonic()
    meta: dict[str, Any] = {"machine": machine_info(), "git": git_commit(), "loadavg": {}}
    args.results_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    wanted = [s for s in SCENARIOS if s in args.scenarios.split(",")]
    large = [s for s in LARGE_SCENARIOS if s in args.scenarios.split(",")]
    if large:
        from bench import inbox  # noqa: PLC0415

        with environment(args, large=True) as env:
            results["inbox_search"] = inbox.run_scenario(env, args, meta)
            write_json(args.results_dir / "inbox_search.json", results["inbox_search"])
    if not [s for s in wanted if s != "licence_import"]:
        wanted_env: contextlib.AbstractContextManager[Environment | None] = contextlib.nullcontext()
    else:
        wanted_env = environment(args)
    with wanted_env as env:
        for scenario in wanted:
            if scenario == "licence_import":
                continue  # its own database, after this server has stopped
            assert env is not None  # noqa: S101
            if scenario == "licence_verify":
                for name, result in run_licence_verify(env, args, meta).items():
                    results[name] = result
                    write_json(args.results_dir / f"{name}.json", result)
                log(_headline(results["licence_verify_http"]))
                continue
            if scenario == "submission":
                results[scenario] = run_submission(env, args, meta)
                write_json(args.results_dir / f"{scenario}.json", results[scenario])
                log(_headline(results[scenario]))
                continue
            concurrency = args.login_concurrency if scenario == "login_flow" else args.concurrency
            meta["loadavg"][scenario] = [round(x, 2) for x in os.getloadavg()]
            log(f"{scenario}: {concurrency} connections, {args.warmup:g}s warm-up + {args.duration:g}s")
            raw, sampler = run_loadgen(env, scenario, concurrency, args, env.var_dir / f"{scenario}.raw.json")
            results[scenario] = build_result(scenario, raw, sampler, env, meta)
            write_json(args.results_dir / f"{scenario}.json", results[scenario])
            log(_headline(results[scenario]))
            if scenario == "ceiling" and not args.no_wrk:
                meta["loadavg"]["ceiling_wrk"] = [round(x, 2) for x in os.getloadavg()]
                measured = run_wrk(env, args.concurrency, args)
                if measured is not None:
                    results["ceiling_wrk"] = build_result("ceiling_wrk", *measured, env, meta)
                    write_json(args.results_dir / "ceiling_wrk.json", results["ceiling_wrk"])
                    log(_headline(results["ceiling_wrk"]))
    if "licence_import" in wanted:
        results["licence_import"] = run_licence_import(args)
    meta["total_wall_s"] = round(time.monotonic() - started, 1)
    if set(wanted) != set(SCENARIOS):
        # A subset (e.g. inbox_search alone, make bench-large): summary.json stays the one of the last full run.
        log(f"results in {args.results_dir} ({meta['total_wall_s']}s)")
        return 0
    summary = summarise(results, meta, args)
    write_json(args.results_dir / "summary.json", summary)
    log(f"auth_json/ceiling = {summary['auth_json_over_ceiling']}; results in {args.results_dir} ({meta['total_wall_s']}s)")
    return 0


def _headline(result: dict[str, Any]) -> str:
    if result.get("scenario") == "licence_import":
        return f"licence_import: {result['rows_per_s']} rows/s, re-import {result['reimport_rows_per_s']} rows/s, peak RSS {result['peak_rss_mb']} MB"
    lat = result["latency_ms"]
    extra = f", {result['flows_per_s']} flows/s" if "flows_per_s" in result else ""
    return (
        f"{result['scenario']}: {result['throughput_rps']} req/s{extra}, errors {result['errors']}, "
        f"p50 {lat['p50']} ms, p99 {lat['p99']} ms, server RSS {result['server_rss_mb']} MB, cpu {result['cpu_cores']}"
    )


if __name__ == "__main__":
    sys.exit(main())
