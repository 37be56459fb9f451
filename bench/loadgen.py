"""Load generator process: ``python -m bench.loadgen --scenario NAME ...`` (started by ``bench.run``).

Closed-loop model: ``--concurrency`` keep-alive connections each send their next request as
soon as the previous answer arrived. Nothing is counted during ``--warmup``; then requests
completing in the next ``--duration`` seconds are counted and timed. ``MEASURE_START`` and
``MEASURE_END`` lines on stdout tell the parent when the window opens and closes (it samples
the server's CPU then). The raw result goes to ``--out`` as JSON.

Scenarios:

``ceiling``
    ``GET /livez`` (no database): what granian + Litestar + the middleware stack can do.
``auth_json``
    ``GET /api/v1/auth/me`` rotating over ``--sessions`` sessions, each logged in first
    through the real password + SMS flow.
``login_flow``
    Whole person logins: login page (CSRF cookie), ``POST /api/v1/auth/login``, reading the
    SMS code from the local outbox (the project's own code, same database and keys),
    ``POST /api/v1/auth/verify``. Each bench person is used by one flow at a time, so the
    newest outbox message to its phone is always the code of its own flow.
``submission``
    Online applications, phase by phase (draft insert, material upload, submit, whole
    sequence): see :mod:`bench.submission`.
``licence_verify``
    ``POST /api/v1/licences/verify`` with a mix of sealed licences, presentations and credentials
    (valid, tampered, revoked, expired): see :mod:`bench.licence_http`.
``inbox_search``
    Staff inbox, audit browser and catalogue search on a large database: see :mod:`bench.inbox`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.client import Connection, HTTPError, Response, encode_request

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from longgov.platform import Platform

HOST = "127.0.0.1"
_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_MAX_ERROR_SAMPLES = 5
STEPS = ("page", "login", "sms_read", "verify")
STRAGGLER_GRACE_S = 10.0


@dataclass(frozen=True)
class Person:
    """A bench person's login: resident ID, phone (to read the SMS) and password."""

    identifier: str
    phone: str
    password: str


class FlowError(Exception):
    """A login flow step did not get the answer it needs."""

    def __init__(self, step: str, status: int | None, detail: str) -> None:
        super().__init__(f"{step}: HTTP {status} {detail}")
        self.step = step
        self.status = status


@dataclass
class Window:
    """The measurement window on the ``time.perf_counter`` clock."""

    start: float
    stop: float

    def contains(self, t: float) -> bool:
        """True when ``t`` is inside the window."""
        return self.start <= t < self.stop


@dataclass
class Recorder:
    """Counts and latencies of requests completed inside the window."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    # Every answered request, warm-up included (to relate database counters to requests).
    answered_total: int = 0

    def note_error(self, text: str) -> None:
        """Keep the first few error descriptions for the report."""
        if len(self.error_samples) < _MAX_ERROR_SAMPLES:
            self.error_samples.append(text[:300])

    @property
    def requests(self) -> int:
        """Requests answered (any status) plus transport failures."""
        return sum(self.statuses.values()) + self.transport_errors

    @property
    def errors(self) -> int:
        """Non-2xx answers plus transport failures."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300) + self.transport_errors


def percentiles(samples: list[float]) -> dict[str, float | None]:
    """p50/p95/p99 (nearest rank), max and mean of ``samples``, rounded to microseconds."""
    if not samples:
        return {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(samples)
    n = len(ordered)

    def rank(q: float) -> float:
        return round(ordered[max(0, math.ceil(q * n) - 1)], 3)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": round(ordered[-1], 3), "mean": round(sum(ordered) / n, 3)}


# --- hot loop: one pre-encoded request after another --------------------------------------------------


async def _hammer(port: int, requests: list[bytes], offset: int, window: Window, rec: Recorder) -> None:
    conn = Connection(HOST, port)
    perf = time.perf_counter
    latencies = rec.latencies_ms
    statuses = rec.statuses
    n = len(requests)
    i = offset
    start, stop = window.start, window.stop
    try:
        while True:
            t0 = perf()
            if t0 >= stop:
                return
            try:
                response = await conn.request(requests[i % n])
            except (HTTPError, OSError) as exc:
                if start <= perf() < stop:
                    rec.transport_errors += 1
                    rec.note_error(repr(exc))
                await asyncio.sleep(0.05)
                continue
            t1 = perf()
            if start <= t1 < stop:
                latencies.append((t1 - t0) * 1000.0)
                status = response.status
                statuses[status] = statuses.get(status, 0) + 1
                if not 200 <= status < 300:
                    rec.note_error(f"HTTP {status}: {response.body[:200]!r}")
            i += 1
    finally:
        rec.answered_total += i - offset
        conn.close()


async def _mark_window(window: Window, cpu: dict[str, float]) -> None:
    """Print the window markers and note this process's CPU time at both ends."""
    await asyncio.sleep(max(0.0, window.start - time.perf_counter()))
    cpu["start"] = time.process_time()
    print("MEASURE_START", flush=True)
    await asyncio.sleep(max(0.0, window.stop - time.perf_counter()))
    cpu["stop"] = time.process_time()
    print("MEASURE_END", flush=True)


async def _run_closed_loop(port: int, requests: list[bytes], concurrency: int, warmup: float, duration: float) -> tuple[Recorder, float]:
    rec = Recorder()
    now = time.perf_counter()
    window = Window(now + warmup, now + warmup + duration)
    cpu: dict[str, float] = {}
    marker = asyncio.create_task(_mark_window(window, cpu))
    await _run_bounded([_hammer(port, requests, i, window, rec) for i in range(concurrency)], window, rec)
    await marker
    return rec, cpu["stop"] - cpu["start"]


async def _run_bounded(workers: list[Coroutine[Any, Any, None]], window: Window, rec: Recorder) -> None:
    """Run the workers; a request still unanswered ``STRAGGLER_GRACE_S`` after the window is cut off and counted as an error."""
    tasks = [asyncio.create_task(w) for w in workers]
    _, stuck = await asyncio.wait(tasks, timeout=max(0.0, window.stop - time.perf_counter()) + STRAGGLER_GRACE_S)
    for task in stuck:
        task.cancel()
    if stuck:
        rec.transport_errors += len(stuck)
        rec.note_error(f"{len(stuck)} request(s) unanswered {STRAGGLER_GRACE_S:g}s after the window closed")
        await asyncio.wait(stuck)
    for task in tasks:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error


# --- login flow ----------------------------------------------------------------------------------------


def _build_platform() -> Platform:
    """The project's Platform on the server's database and keys (from the LONGGOV_* environment)."""
    from longgov.config import Settings  # noqa: PLC0415 - only the login scenarios need the app
    from longgov.platform import Platform  # noqa: PLC0415

    return Platform.build(Settings(db_pool_size=4))


async def _read_code(platform: Platform, phone: str) -> str:
    from longgov.notify.services import latest_message_to  # noqa: PLC0415

    async with platform.db.transaction() as session:
        body = await latest_message_to(session, platform.codec, phone)
    match = _CODE.search(body or "")
    if match is None:
        raise FlowError("sms_read", None, f"no code in outbox message {body!r}")
    return match.group(0)


def _expect(response: Response, step: str, cookie: str) -> str:
    if response.status != 200:
        raise FlowError(step, response.status, response.body[:200].decode("utf-8", "replace"))
    value = response.cookies().get(cookie)
    if not value:
        raise FlowError(step, response.status, f"no {cookie} cookie")
    return value


async def login_flow(conn: Connection, port: int, person: Person, platform: Platform) -> tuple[str, dict[str, float], str]:
    """One full person login on ``conn``; returns the active session token, per-step ms and the CSRF cookie."""
    host = f"{HOST}:{port}"
    perf = time.perf_counter
    steps: dict[str, float] = {}
    t0 = perf()
    csrf = _expect(await conn.request(encode_request("GET", "/login/person", host)), "page", "lg_csrf")
    t1 = perf()
    steps["page"] = (t1 - t0) * 1000.0
    json_headers = {"content-type": "application/json", "x-csrftoken": csrf}
    body = json.dumps({"portal": "person", "identifier": person.identifier, "password": person.password}).encode()
    login = encode_request("POST", "/api/v1/auth/login", host, headers={**json_headers, "cookie": f"lg_csrf={csrf}"}, body=body)
    pending = _expect(await conn.request(login), "login", "lg_session")
    t2 = perf()
    steps["login"] = (t2 - t1) * 1000.0
    code = await _read_code(platform, person.phone)
    t3 = perf()
    steps["sms_read"] = (t3 - t2) * 1000.0
    verify = encode_request(
        "POST",
        "/api/v1/auth/verify",
        host,
        headers={**json_headers, "cookie": f"lg_csrf={csrf}; lg_session={pending}"},
        body=json.dumps({"code": code}).encode(),
    )
    active = _expect(await conn.request(verify), "verify", "lg_session")
    t4 = perf()
    steps["verify"] = (t4 - t3) * 1000.0
    if active == pending:
        raise FlowError("verify", 200, "session token was not replaced")
    return active, steps, csrf


async def _log_in_sessions(port: int, persons: list[Person], count: int, platform: Platform, concurrency: int) -> list[tuple[str, str]]:
    """Open ``count`` active sessions through the real flow (persons reused round-robin): (session token, CSRF cookie)."""
    pool: asyncio.Queue[Person] = asyncio.Queue()
    for person in persons:
        pool.put_nowait(person)
    tokens: list[tuple[str, str]] = []

    async def worker(todo: list[int]) -> None:
        conn = Connection(HOST, port)
        try:
            while todo:
                todo.pop()
                person = await pool.get()
                try:
                    token, _, csrf = await login_flow(conn, port, person, platform)
                finally:
                    pool.put_nowait(person)
                tokens.append((token, csrf))
        finally:
            conn.close()

    todo = list(range(count))
    await asyncio.gather(*(worker(todo) for _ in range(min(concurrency, count))))
    return tokens


@dataclass
class FlowRecorder:
    """Flows completed inside the window, their steps and the HTTP requests they made."""

    flows_ms: list[float] = field(default_factory=list)
    steps_ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    failed: int = 0
    http: Recorder = field(default_factory=Recorder)


async def _flow_worker(port: int, pool: asyncio.Queue[Person], platform: Platform, window: Window, rec: FlowRecorder) -> None:
    conn = Connection(HOST, port)
    perf = time.perf_counter
    http_steps = ("page", "login", "verify")
    try:
        while perf() < window.stop:
            person = await pool.get()
            t0 = perf()
            try:
                _, steps, _ = await login_flow(conn, port, person, platform)
            except FlowError as exc:
                if window.contains(perf()):
                    rec.failed += 1
                    rec.http.note_error(str(exc))
                    # Steps before the failing one answered 200; the failing HTTP step answered ``status``.
                    done = http_steps[: http_steps.index(exc.step)] if exc.step in http_steps else ("page", "login")
                    rec.http.statuses[200] = rec.http.statuses.get(200, 0) + len(done)
                    if exc.status is not None:
                        rec.http.statuses[exc.status] = rec.http.statuses.get(exc.status, 0) + 1
                continue
            except (HTTPError, OSError) as exc:
                if window.contains(perf()):
                    rec.failed += 1
                    rec.http.transport_errors += 1
                    rec.http.note_error(repr(exc))
                conn.close()
                await asyncio.sleep(0.05)
                continue
            finally:
                pool.put_nowait(person)
            t1 = perf()
            if window.contains(t1):
                rec.flows_ms.append((t1 - t0) * 1000.0)
                for name, ms in steps.items():
                    rec.steps_ms[name].append(ms)
                rec.http.statuses[200] = rec.http.statuses.get(200, 0) + len(http_steps)
                for name in http_steps:
                    rec.http.latencies_ms.append(steps[name])
    finally:
        conn.close()


# --- scenarios -----------------------------------------------------------------------------------------


def _load_persons(path: str | None) -> list[Person]:
    if not path:
        msg = "--persons is required for this scenario"
        raise SystemExit(msg)
    return [Person(**p) for p in json.loads(Path(path).read_text(encoding="utf-8"))]


def _closed_loop_result(rec: Recorder, cpu_s: float, args: argparse.Namespace) -> dict[str, Any]:
    return {
        "requests": rec.requests,
        "errors": rec.errors,
        "status_counts": {str(k): v for k, v in sorted(rec.statuses.items())},
        "transport_errors": rec.transport_errors,
        "throughput_rps": round(rec.requests / args.duration, 1),
        "latency_ms": percentiles(rec.latencies_ms),
        "loadgen_cpu_cores": round(cpu_s / args.duration, 3),
        "error_samples": rec.error_samples,
        "answered_total": rec.answered_total,
    }


async def scenario_ceiling(args: argparse.Namespace) -> dict[str, Any]:
    """GET /livez."""
    request = encode_request("GET", "/livez", f"{HOST}:{args.port}")
    rec, cpu_s = await _run_closed_loop(args.port, [request], args.concurrency, args.warmup, args.duration)
    return {"path": "GET /livez", **_closed_loop_result(rec, cpu_s, args)}


async def scenario_auth_json(args: argparse.Namespace) -> dict[str, Any]:
    """GET /api/v1/auth/me over pre-logged-in sessions."""
    persons = _load_persons(args.persons)
    platform = _build_platform()
    try:
        started = time.perf_counter()
        tokens = await _log_in_sessions(args.port, persons, args.sessions, platform, args.setup_concurrency)
        setup_s = time.perf_counter() - started
    finally:
        await platform.db.dispose()
    host = f"{HOST}:{args.port}"
    requests = [encode_request("GET", "/api/v1/auth/me", host, headers={"cookie": f"lg_session={t}"}) for t, _ in tokens]
    # Check once that a session really authenticates (a 401 storm would look fast).
    probe = Connection(HOST, args.port)
    try:
        answer = await probe.request(requests[0])
    finally:
        probe.close()
    if answer.status != 200 or b"account_id" not in answer.body:
        msg = f"auth probe failed: HTTP {answer.status} {answer.body[:200]!r}"
        raise SystemExit(msg)
    rec, cpu_s = await _run_closed_loop(args.port, requests, args.concurrency, args.warmup, args.duration)
    return {"path": "GET /api/v1/auth/me", "sessions": len(tokens), "session_setup_s": round(setup_s, 2), **_closed_loop_result(rec, cpu_s, args)}


async def scenario_login_flow(args: argparse.Namespace) -> dict[str, Any]:
    """Full person logins."""
    persons = _load_persons(args.persons)
    if len(persons) < args.concurrency:
        msg = "need at least as many bench persons as concurrent flows"
        raise SystemExit(msg)
    platform = _build_platform()
    pool: asyncio.Queue[Person] = asyncio.Queue()
    for person in persons:
        pool.put_nowait(person)
    rec = FlowRecorder()
    now = time.perf_counter()
    window = Window(now + args.warmup, now + args.warmup + args.duration)
    cpu: dict[str, float] = {}
    try:
        marker = asyncio.create_task(_mark_window(window, cpu))
        await _run_bounded([_flow_worker(args.port, pool, platform, window, rec) for _ in range(args.concurrency)], window, rec.http)
        await marker
    finally:
        await platform.db.dispose()
    flows = len(rec.flows_ms)
    http = _closed_loop_result(rec.http, cpu["stop"] - cpu["start"], args)
    http["http_latency_ms"] = http.pop("latency_ms")
    return {
        "path": "GET /login/person → POST /api/v1/auth/login → SMS outbox read → POST /api/v1/auth/verify",
        "flows": flows,
        "failed_flows": rec.failed,
        "flows_per_s": round(flows / args.duration, 2),
        # For this scenario latency_ms is per whole flow; http_latency_ms mixes its three HTTP steps.
        "latency_ms": percentiles(rec.flows_ms),
        "steps_latency_ms": {name: percentiles(samples) for name, samples in rec.steps_ms.items()},
        **http,
    }


async def scenario_submission(args: argparse.Namespace) -> dict[str, Any]:
    """Drafts, uploads, submissions and whole applications (``bench.submission``)."""
    from bench import submission  # noqa: PLC0415 - imports this module

    return await submission.run(args)


async def scenario_licence_verify(args: argparse.Namespace) -> dict[str, Any]:
    """Licence verification by anonymous verifiers (``bench.licence_http``)."""
    from bench import licence_http  # noqa: PLC0415 - imports this module

    return await licence_http.run(args)


async def scenario_inbox_search(args: argparse.Namespace) -> dict[str, Any]:
    """Staff inbox, audit browser and catalogue search on the large database (``bench.inbox``)."""
    from bench import inbox  # noqa: PLC0415 - imports this module

    return await inbox.run(args)


SCENARIOS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]]] = {
    "ceiling": scenario_ceiling,
    "auth_json": scenario_auth_json,
    "login_flow": scenario_login_flow,
    "submission": scenario_submission,
    "licence_verify": scenario_licence_verify,
    "inbox_search": scenario_inbox_search,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line of the generator."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--persons", help="JSON file of bench persons (auth_json, login_flow)")
    parser.add_argument("--sessions", type=int, default=50, help="sessions to log in first (auth_json)")
    parser.add_argument("--setup-concurrency", type=int, default=4, help="concurrent logins while opening sessions")
    parser.add_argument("--fixtures", help="JSON file written by bench.run: item codes, forms, staff logins (submission, inbox_search)")
    parser.add_argument("--phases", default="draft_insert,upload,submit,sequence", help="submission phases to run")
    parser.add_argument("--trace", type=int, default=0, help="submission, licence_verify: trace N in-process requests afterwards (SQL per request)")
    parser.add_argument("--licence-fixtures", help="JSON file of request bodies by kind written by bench.run (licence_verify)")
    parser.add_argument("--out", required=True, help="where to write the JSON result")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one scenario and write its JSON."""
    args = parse_args(argv)
    started = time.time()
    measured = asyncio.run(SCENARIOS[args.scenario](args))
    result = {
        "scenario": args.scenario,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "loadgen_wall_s": round(time.time() - started, 2),
        **measured,
    }
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
