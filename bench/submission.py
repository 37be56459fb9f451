"""The ``submission`` scenario of ``bench.loadgen``: online applications end to end, phase by phase.

Every request is authenticated with a person session opened through the real login flow (as for
``auth_json``) and carries the CSRF cookie and ``x-csrftoken`` header like a browser. The item is
one whose published version needs exactly one material (see ``bench.run.SUBMISSION_ITEM``), and the
form is valid for its JSON Schema. Four closed-loop phases run one after the other on the same
server, each with its own warm-up and measured window:

``draft_insert``
    ``POST /api/v1/applications`` with the complete form: one ``applications`` row, one
    ``application_events`` row (``draft_created``) and one audit record (plus the chain head update).
    This is the "one-row insert" baseline of the same stack; every draft it creates is kept.
``upload``
    ``POST /api/v1/applications/{id}/materials`` (multipart, one small PDF) on those drafts.
``submit``
    ``POST /api/v1/applications/{id}/submit`` with an ``Idempotency-Key`` on the drafts that have their
    material: the submissions/s of the issue's target.
``sequence``
    Whole applications: create → upload → submit on one connection; per-sequence and per-step latency.

A phase that runs out of drafts ends early; its rate is then taken over the time it actually ran.
After the phases, ``trace`` runs a few sequences in this process against the app object (httpx ASGI
transport, same database) and counts SQL statements and their time per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.client import Connection, HTTPError, Response, encode_request
from bench.inbox import read_json
from bench.loadgen import HOST, STRAGGLER_GRACE_S, Recorder, Window, _build_platform, _load_persons, _log_in_sessions, percentiles

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

PHASES = ("draft_insert", "upload", "submit", "sequence")
BOUNDARY = "longgovbench7d3f9a"
# A small but well-formed PDF (the server checks the magic bytes and the size, and digests it with SM3).
MATERIAL = (
    b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n" + b"%" + b"bench material padding " * 80 + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class BenchSession:
    """A logged-in person: session cookie and the CSRF cookie it echoes in ``x-csrftoken``."""

    token: str
    csrf: str

    def headers(self, **extra: str) -> dict[str, str]:
        """Cookie and CSRF headers of this session plus ``extra``."""
        return {"cookie": f"lg_csrf={self.csrf}; lg_session={self.token}", "x-csrftoken": self.csrf, **extra}


@dataclass
class Fixture:
    """What the requests need: item code, valid form, the index of the one material."""

    host: str
    item_code: str
    form: dict[str, Any]
    material_index: int = -1

    def create(self, session: BenchSession) -> bytes:
        body = json.dumps({"item_code": self.item_code, "form": self.form}, ensure_ascii=False).encode()
        return encode_request("POST", "/api/v1/applications", self.host, headers=session.headers(**{"content-type": "application/json"}), body=body)

    def upload(self, session: BenchSession, draft_id: str) -> bytes:
        head = (
            f'--{BOUNDARY}\r\ncontent-disposition: form-data; name="material"\r\n\r\n{self.material_index}\r\n'
            f'--{BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="premises-proof.pdf"\r\n'
            "content-type: application/pdf\r\n\r\n"
        ).encode()
        body = head + MATERIAL + f"\r\n--{BOUNDARY}--\r\n".encode()
        headers = session.headers(**{"content-type": f"multipart/form-data; boundary={BOUNDARY}"})
        return encode_request("POST", f"/api/v1/applications/{draft_id}/materials", self.host, headers=headers, body=body)

    def submit(self, session: BenchSession, draft_id: str, key: str) -> bytes:
        headers = session.headers(**{"idempotency-key": key})
        return encode_request("POST", f"/api/v1/applications/{draft_id}/submit", self.host, headers=headers, body=b"")


def _draft_id(response: Response) -> str | None:
    if response.status != 201:
        return None
    try:
        return str(json.loads(response.body)["id"])
    except (ValueError, KeyError):
        return None


@dataclass
class PhaseResult:
    """One phase: its HTTP recorder, actual window and whether it ran out of drafts."""

    rec: Recorder = field(default_factory=Recorder)
    started: float = 0.0
    ended: float = 0.0
    exhausted: bool = False
    cpu_s: float = 0.0
    sequences_ms: list[float] = field(default_factory=list)
    steps_ms: dict[str, list[float]] = field(default_factory=lambda: {"create": [], "upload": [], "submit": []})
    failed_sequences: int = 0

    def record(self, window: Window, t0: float, t1: float, response: Response) -> None:
        if not window.contains(t1):
            return
        self.rec.latencies_ms.append((t1 - t0) * 1000.0)
        self.rec.statuses[response.status] = self.rec.statuses.get(response.status, 0) + 1
        if not 200 <= response.status < 300:
            self.rec.note_error(f"HTTP {response.status}: {response.body[:200]!r}")

    def summary(self) -> dict[str, Any]:
        seconds = max(self.ended - self.started, 1e-9)
        out: dict[str, Any] = {
            "measured_s": round(seconds, 2),
            "requests": self.rec.requests,
            "errors": self.rec.errors,
            "status_counts": {str(k): v for k, v in sorted(self.rec.statuses.items())},
            "transport_errors": self.rec.transport_errors,
            "throughput_rps": round(self.rec.requests / seconds, 1),
            "latency_ms": percentiles(self.rec.latencies_ms),
            "exhausted": self.exhausted,
            "loadgen_cpu_cores": round(self.cpu_s / seconds, 3),
            "error_samples": self.rec.error_samples,
        }
        if self.sequences_ms or self.failed_sequences:
            out["sequences"] = len(self.sequences_ms)
            out["failed_sequences"] = self.failed_sequences
            out["sequences_per_s"] = round(len(self.sequences_ms) / seconds, 1)
            out["sequence_latency_ms"] = percentiles(self.sequences_ms)
            out["steps_latency_ms"] = {name: percentiles(v) for name, v in self.steps_ms.items()}
        return out


async def _phase(name: str, args: argparse.Namespace, worker: Callable[[Connection, Window, PhaseResult], Any]) -> PhaseResult:
    """Run ``worker`` on ``--concurrency`` connections: warm-up, then a window that ends early if every worker stops."""
    result = PhaseResult()
    now = time.perf_counter()
    window = Window(now + args.warmup, now + args.warmup + args.duration)
    stopped = asyncio.Event()

    async def marker() -> None:
        await asyncio.sleep(max(0.0, window.start - time.perf_counter()))
        result.started = time.perf_counter()
        cpu0 = time.process_time()
        print(f"MEASURE_START {name}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopped.wait(), timeout=max(0.0, window.stop - time.perf_counter()))
        result.ended = min(time.perf_counter(), window.stop)
        result.cpu_s = time.process_time() - cpu0
        print(f"MEASURE_END {name}", flush=True)

    async def run_one() -> None:
        conn = Connection(HOST, args.port)
        try:
            await worker(conn, window, result)
        finally:
            conn.close()

    mark = asyncio.create_task(marker())
    tasks = [asyncio.create_task(run_one()) for _ in range(args.concurrency)]
    _, stuck = await asyncio.wait(tasks, timeout=max(0.0, window.stop - time.perf_counter()) + STRAGGLER_GRACE_S)
    stopped.set()
    for task in stuck:
        task.cancel()
    if stuck:
        result.rec.transport_errors += len(stuck)
        result.rec.note_error(f"{len(stuck)} request(s) unanswered {STRAGGLER_GRACE_S:g}s after the window closed")
        await asyncio.wait(stuck)
    await mark
    for task in tasks:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error
    return result


async def _send(conn: Connection, raw: bytes, window: Window, result: PhaseResult) -> tuple[Response | None, float]:
    """One request; transport failures are counted (inside the window) and answered with None."""
    t0 = time.perf_counter()
    try:
        response = await conn.request(raw)
    except (HTTPError, OSError) as exc:
        if window.contains(time.perf_counter()):
            result.rec.transport_errors += 1
            result.rec.note_error(repr(exc))
        await asyncio.sleep(0.05)
        return None, 0.0
    t1 = time.perf_counter()
    result.record(window, t0, t1, response)
    return response, (t1 - t0) * 1000.0


async def run(args: argparse.Namespace) -> dict[str, Any]:  # noqa: C901, PLR0915 - the four phase workers share its state
    """Log in, probe the item, run the four phases and the in-process trace."""
    fixture_data = read_json(args.fixtures)["submission"]
    persons = _load_persons(args.persons)
    platform = _build_platform()
    try:
        started = time.perf_counter()
        pairs = await _log_in_sessions(args.port, persons, args.sessions, platform, args.setup_concurrency)
        setup_s = time.perf_counter() - started
    finally:
        await platform.db.dispose()
    sessions = [BenchSession(token, csrf) for token, csrf in pairs]
    fixture = Fixture(f"{HOST}:{args.port}", fixture_data["item_code"], fixture_data["form"])
    fixture.material_index = await _probe(args.port, fixture, sessions[0])
    wanted = [p for p in PHASES if p in args.phases.split(",")]

    created: deque[tuple[BenchSession, str]] = deque()
    uploaded: deque[tuple[BenchSession, str]] = deque()
    counter = iter(range(10**9))
    run_tag = f"{time.time_ns():x}"[-10:]

    async def draft_insert(conn: Connection, window: Window, result: PhaseResult) -> None:
        while time.perf_counter() < window.stop:
            session = sessions[next(counter) % len(sessions)]
            response, _ = await _send(conn, fixture.create(session), window, result)
            draft = _draft_id(response) if response is not None else None
            if draft is not None:
                created.append((session, draft))

    async def upload(conn: Connection, window: Window, result: PhaseResult) -> None:
        while time.perf_counter() < window.stop:
            if not created:
                result.exhausted = True
                return
            session, draft = created.popleft()
            response, _ = await _send(conn, fixture.upload(session, draft), window, result)
            if response is not None and response.status == 201:
                uploaded.append((session, draft))

    async def submit(conn: Connection, window: Window, result: PhaseResult) -> None:
        while time.perf_counter() < window.stop:
            if not uploaded:
                result.exhausted = True
                return
            session, draft = uploaded.popleft()
            await _send(conn, fixture.submit(session, draft, f"bench-{run_tag}-{next(counter)}"), window, result)

    async def sequence(conn: Connection, window: Window, result: PhaseResult) -> None:
        while time.perf_counter() < window.stop:
            session = sessions[next(counter) % len(sessions)]
            t0 = time.perf_counter()
            response, create_ms = await _send(conn, fixture.create(session), window, result)
            draft = _draft_id(response) if response is not None else None
            if draft is None:
                result.failed_sequences += window.contains(time.perf_counter())
                continue
            response, upload_ms = await _send(conn, fixture.upload(session, draft), window, result)
            if response is None or response.status != 201:
                result.failed_sequences += window.contains(time.perf_counter())
                continue
            response, submit_ms = await _send(conn, fixture.submit(session, draft, f"bench-{run_tag}-{next(counter)}"), window, result)
            t1 = time.perf_counter()
            if response is None or response.status != 201:
                result.failed_sequences += window.contains(t1)
                continue
            if window.contains(t1):
                result.sequences_ms.append((t1 - t0) * 1000.0)
                result.steps_ms["create"].append(create_ms)
                result.steps_ms["upload"].append(upload_ms)
                result.steps_ms["submit"].append(submit_ms)

    workers = {"draft_insert": draft_insert, "upload": upload, "submit": submit, "sequence": sequence}
    phases: dict[str, dict[str, Any]] = {}
    for name in wanted:
        print(f"phase {name}", file=__import__("sys").stderr, flush=True)
        phases[name] = (await _phase(name, args, workers[name])).summary()
    out: dict[str, Any] = {
        "sessions": len(sessions),
        "session_setup_s": round(setup_s, 2),
        "material_index": fixture.material_index,
        "material_bytes": len(MATERIAL),
        "phases": phases,
        "drafts_left": {"created_not_uploaded": len(created), "uploaded_not_submitted": len(uploaded)},
    }
    if args.trace:
        from bench.trace import trace_submissions  # noqa: PLC0415 - builds the app in this process

        out["db_trace"] = await trace_submissions(fixture, sessions[: args.trace], MATERIAL)
    return out


async def _probe(port: int, fixture: Fixture, session: BenchSession) -> int:
    """Create one draft: the session must work and the item must need exactly one material."""
    conn = Connection(HOST, port)
    try:
        response = await conn.request(fixture.create(session))
    finally:
        conn.close()
    if response.status != 201:
        msg = f"submission probe failed: HTTP {response.status} {response.body[:300]!r}"
        raise SystemExit(msg)
    draft = json.loads(response.body)
    needed = [m["index"] for m in draft["materials"] if m["required"] and not m["replaceable"]]
    if len(needed) != 1:
        msg = f"item {fixture.item_code} needs {len(needed)} materials, the scenario uploads exactly one"
        raise SystemExit(msg)
    return int(needed[0])
