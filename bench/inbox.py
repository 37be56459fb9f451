"""The ``inbox_search`` scenario: staff reads on a large database (``make bench-large``).

Database: ``--applications`` applications (1,000,000) with their workbench task rows and ``--audit-rows``
audit records (10,000,000) loaded by :mod:`bench.large`. Staff accounts of several scopes are created for the
run and logged in once through the real password + TOTP flow.

Each query kind runs as its own closed loop (``--inbox-concurrency`` connections, ``--warmup`` +
``--inbox-duration`` seconds), so its p50/p95/p99 and the server's CPU are its own. Afterwards each kind
is requested once more in the load generator process against the app object (same database), its SQL is
captured and the slowest SELECTs are run again under ``EXPLAIN (ANALYZE, BUFFERS)``; the plans go into the
result.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bench.client import Connection, encode_request
from bench.loadgen import HOST, Recorder, Window, _closed_loop_result, _hammer, _run_bounded

if TYPE_CHECKING:
    import argparse

    from bench.run import Environment

TARGET_P95_MS = 50.0
CATALOGUE_QUERIES = (
    "开个小饭馆要办什么证",
    "生了孩子怎么上户口",
    "营业执照",
    "社保卡",
    "公积金提取",
    "结婚登记",
    "身份证",
    "驾驶证换证",
    "个体户",
    "失业金",
    "低保",
    "施工许可",
)


@dataclass(frozen=True)
class Kind:
    """One query kind: name, what it is, the staff session it uses (None: public) and the paths it rotates over."""

    name: str
    what: str
    staff: str | None
    paths: tuple[str, ...]


def kinds(fixtures: dict[str, Any]) -> list[Kind]:
    """The query kinds of the scenario (audit filters use actors and dates the loader generated)."""
    from bench import large  # noqa: PLC0415

    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_ago, three_weeks_ago = (midnight - timedelta(days=30)).isoformat(), (midnight - timedelta(days=21)).isoformat()

    def audit(**query: str) -> str:
        return "/api/v1/audit/events?" + urlencode({**query, "limit": "50"})

    inbox = "/api/v1/applications/workbench/inbox"
    labels = {s["label"] for s in fixtures.get("staff", [])}
    out = [
        Kind("inbox_county", "staff inbox, county department (城关区市场监管局, counter staff), first page", "county_department", (inbox,)),
        Kind("inbox_city", "staff inbox, city department (兰州市市场监管局, counter staff), first page", "city_department", (inbox,)),
        Kind(
            "inbox_province",
            "staff inbox, province department (甘肃省市场监管局, counter staff): the whole province, first page",
            "province_department",
            (inbox,),
        ),
        Kind("inbox_county_page5", "staff inbox, county department, page 5", "county_department", (inbox + "?page=5",)),
    ]
    if "city_leader" in labels:
        out.append(Kind("supervision_city", "department leader view (兰州市市场监管局)", "city_leader", ("/api/v1/applications/workbench/supervision",)))
    out += [
        Kind(
            "audit_by_staff_actor",
            "audit browser: one busy staff member's records (actor = account id), newest 50",
            "audit_admin",
            (audit(actor=large.busiest_staff_actor()),),
        ),
        Kind(
            "audit_by_person_actor",
            "audit browser: one applicant's records (actor = account id), newest 50",
            "audit_admin",
            (audit(actor=large.some_person_actor()),),
        ),
        Kind("audit_by_actor_name", "audit browser: actor by display name", "audit_admin", (audit(actor="王伟伟0"),)),
        Kind(
            "audit_by_action_and_range",
            "audit browser: tag applications:application:submit between 30 and 21 days ago, newest 50",
            "audit_admin",
            (audit(tag="applications:application:submit", since=month_ago, until=three_weeks_ago),),
        ),
        Kind(
            "audit_by_rare_action_and_range",
            "audit browser: a rare tag (catalog:item:draft) between 30 and 21 days ago, newest 50",
            "audit_admin",
            (audit(tag="catalog:item:draft", since=month_ago, until=three_weeks_ago),),
        ),
        Kind(
            "catalog_search",
            "catalogue search (public), rotating over citizens' phrasings",
            None,
            tuple("/api/v1/catalog/search?" + urlencode({"q": q, "limit": "10"}) for q in CATALOGUE_QUERIES),
        ),
    ]
    return out


@dataclass(frozen=True)
class StaffSession:
    """A logged-in staff member."""

    token: str
    csrf: str

    @property
    def cookie(self) -> str:
        return f"lg_csrf={self.csrf}; lg_session={self.token}"


async def staff_login(port: int, staff: dict[str, Any]) -> StaffSession:
    """Password + TOTP through the real endpoints (each account once: a TOTP code is single-use per step)."""
    import pyotp  # noqa: PLC0415 - a project dependency

    host = f"{HOST}:{port}"
    conn = Connection(HOST, port)
    try:
        page = await conn.request(encode_request("GET", "/login/person", host))
        csrf = page.cookies()["lg_csrf"]
        headers = {"content-type": "application/json", "x-csrftoken": csrf, "cookie": f"lg_csrf={csrf}"}
        body = json.dumps({"portal": "staff", "identifier": staff["username"], "password": staff["password"]}).encode()
        login = await conn.request(encode_request("POST", "/api/v1/auth/login", host, headers=headers, body=body))
        if login.status != 200:
            msg = f"staff login failed: HTTP {login.status} {login.body[:200]!r}"
            raise SystemExit(msg)
        pending = login.cookies()["lg_session"]
        verify_headers = {**headers, "cookie": f"lg_csrf={csrf}; lg_session={pending}"}
        code = json.dumps({"code": pyotp.TOTP(staff["totp_secret"]).now()}).encode()
        verify = await conn.request(encode_request("POST", "/api/v1/auth/verify", host, headers=verify_headers, body=code))
        if verify.status != 200:
            msg = f"staff TOTP verification failed: HTTP {verify.status} {verify.body[:200]!r}"
            raise SystemExit(msg)
        return StaffSession(verify.cookies()["lg_session"], csrf)
    finally:
        conn.close()


async def _closed_loop(name: str, port: int, requests: list[bytes], *, concurrency: int, warmup: float, duration: float) -> tuple[Recorder, float]:
    rec = Recorder()
    now = time.perf_counter()
    window = Window(now + warmup, now + warmup + duration)
    cpu: dict[str, float] = {}

    async def marker() -> None:
        await asyncio.sleep(max(0.0, window.start - time.perf_counter()))
        cpu["start"] = time.process_time()
        print(f"MEASURE_START {name}", flush=True)
        await asyncio.sleep(max(0.0, window.stop - time.perf_counter()))
        cpu["stop"] = time.process_time()
        print(f"MEASURE_END {name}", flush=True)

    task = asyncio.create_task(marker())
    await _run_bounded([_hammer(port, requests, i, window, rec) for i in range(concurrency)], window, rec)
    await task
    return rec, cpu["stop"] - cpu["start"]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Log staff in, measure every query kind, then trace and explain each once in process."""
    fixtures = read_json(args.fixtures)
    sessions = {s["label"]: await staff_login(args.port, s) for s in fixtures["staff"]}
    host = f"{HOST}:{args.port}"
    results: dict[str, Any] = {}
    for kind in kinds(fixtures):
        headers = {"cookie": sessions[kind.staff].cookie} if kind.staff else {}
        requests = [encode_request("GET", path, host, headers=headers) for path in kind.paths]
        probe = Connection(HOST, args.port)
        try:
            t0 = time.perf_counter()
            answer = await probe.request(requests[0])
            first_ms = (time.perf_counter() - t0) * 1000.0
        finally:
            probe.close()
        entry: dict[str, Any] = {
            "what": kind.what,
            "paths": list(kind.paths),
            "staff": kind.staff,
            "probe_status": answer.status,
            "first_request_ms": round(first_ms, 1),
        }
        if answer.status != 200:
            entry["error"] = f"HTTP {answer.status}: {answer.body[:300].decode('utf-8', 'replace')}"
            results[kind.name] = entry
            continue
        entry["probe_items"] = _count_items(answer.body)
        print(f"kind {kind.name}", file=__import__("sys").stderr, flush=True)
        rec, cpu_s = await _closed_loop(kind.name, args.port, requests, concurrency=args.concurrency, warmup=args.warmup, duration=args.duration)
        measured = _closed_loop_result(rec, cpu_s, args)
        measured.pop("answered_total", None)
        entry.update(measured)
        results[kind.name] = entry
    explained = await _explain_all(fixtures, sessions)
    for name, plans in explained.items():
        results.setdefault(name, {})["sql"] = plans
    return {"path": "see queries.*.paths", "queries": results}


def read_json(path: str) -> dict[str, Any]:
    """A JSON file written by ``bench.run`` (read once at start-up)."""
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def _count_items(body: bytes) -> Any:  # noqa: ANN401
    try:
        data = json.loads(body)
    except ValueError:
        return None
    for key in ("items", "results", "tasks"):
        if isinstance(data, dict) and isinstance(data.get(key), list):
            return {"returned": len(data[key]), "total": data.get("total")}
    return None


async def _explain_all(fixtures: dict[str, Any], sessions: dict[str, StaffSession]) -> dict[str, Any]:
    """Each kind once in process: statements, their time, and EXPLAIN (ANALYZE, BUFFERS) of the slowest SELECTs."""
    from bench.trace import app_client, capture, explain, summarise  # noqa: PLC0415

    client, platform = app_client()
    out: dict[str, Any] = {}
    try:
        for kind in kinds(fixtures):
            headers = {"cookie": sessions[kind.staff].cookie} if kind.staff else {}
            client.cookies.clear()
            await client.get(kind.paths[0], headers=headers)  # warm caches (catalogue index, calendar)
            client.cookies.clear()
            with capture() as log:
                t0 = time.perf_counter()
                response = await client.get(kind.paths[0], headers=headers)
                wall = (time.perf_counter() - t0) * 1000.0
            try:
                async with platform.db.transaction() as session:
                    plans = await explain(session, log.statements, top=3)
            except Exception as exc:  # noqa: BLE001 - a plan that cannot be re-run is reported, not fatal
                plans = [{"error": repr(exc)[:300]}]
            out[kind.name] = {"status": response.status_code, "in_process_ms": round(wall, 2), **summarise(log), "plans": plans}
    finally:
        await client.aclose()
        await platform.db.dispose()
    return out


def run_scenario(env: Environment, args: argparse.Namespace, meta: dict[str, Any]) -> dict[str, Any]:
    """Parent side: run the load generator, add per-kind CPU, targets and the load report."""
    from bench.run import (  # noqa: PLC0415
        _phase_cores,
        build_result,
        log,
        run_loadgen,
        start_server,
    )

    if env.workers != args.submission_workers:
        start_server(env, args.submission_workers)
    fixtures = json.loads(env.fixtures_file.read_text(encoding="utf-8"))
    meta["loadavg"]["inbox_search"] = [round(x, 2) for x in __import__("os").getloadavg()]
    log(f"inbox_search: {args.inbox_concurrency} connections per query kind, {args.warmup:g}s warm-up + {args.inbox_duration:g}s each")
    kind_args = __import__("argparse").Namespace(**{**vars(args), "duration": args.inbox_duration})
    raw, sampler = run_loadgen(env, "inbox_search", args.inbox_concurrency, kind_args, env.var_dir / "inbox_search.raw.json")
    result = build_result("inbox_search", raw, sampler, env, meta)
    queries: dict[str, dict[str, Any]] = result["queries"]
    summary = {}
    for name, q in queries.items():
        if "throughput_rps" not in q:
            summary[name] = {"error": q.get("error")}
            continue
        q["cpu_cores"] = _phase_cores(sampler, name, q.pop("loadgen_cpu_cores", None))
        if q["cpu_cores"]["server"] and q["throughput_rps"]:
            q["server_cpu_ms_per_request"] = round(q["cpu_cores"]["server"] * 1000 / q["throughput_rps"], 3)
        p95 = q["latency_ms"]["p95"]
        q["meets_p95_target"] = p95 is not None and p95 <= TARGET_P95_MS and q["errors"] == 0
        summary[name] = {
            "throughput_rps": q["throughput_rps"],
            "p50": q["latency_ms"]["p50"],
            "p95": p95,
            "p99": q["latency_ms"]["p99"],
            "errors": q["errors"],
            "server_cpu_ms_per_request": q.get("server_cpu_ms_per_request"),
            "meets_p95_target": q["meets_p95_target"],
        }
    result["queries_summary"] = summary
    result["target"] = {"p95_ms": TARGET_P95_MS, "met_by_all": all(s.get("meets_p95_target") for s in summary.values())}
    result["load"] = fixtures.get("load")
    result["concurrency"] = args.inbox_concurrency
    result["duration_s"] = args.inbox_duration
    result["requests"] = sum(q.get("requests", 0) for q in queries.values())
    result["errors"] = sum(q.get("errors", 0) for q in queries.values())
    result["throughput_rps"] = None
    result["latency_ms"] = None
    result["notes"].insert(
        0,
        "Each query kind is its own closed loop; latency_ms/throughput per kind under queries.<kind>; "
        "queries.<kind>.sql has the statements of one in-process request and EXPLAIN (ANALYZE, BUFFERS) of its slowest SELECTs.",
    )
    return result
