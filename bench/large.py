"""Bulk loader of the ``inbox_search`` database: millions of audit records and applications through COPY.

Both loads are restartable and skip what is there: each batch is one transaction (rows + the audit
chain head), so an interrupted load resumes after the last committed batch, and a database that already
has the requested counts (``--keep-db``) is left as it is.

Audit records (``audit_events``) are valid for the schema and the hash chain: each batch is generated in a
worker process, which also builds every record's canonical JSON with the product's own function; the main
process chains the SM3 hashes in order (``hash = SM3(prev_hash ‖ canonical)``, exactly as
``longgov.security.audit.service`` does), sends the batch with asyncpg ``copy_records_to_table`` and moves
the chain head. Secondary indexes are dropped for the bulk load and built again afterwards (from the
model, ``CREATE INDEX IF NOT EXISTS``, so an interrupted run repairs them too).

Applications get every column the ``applications`` table has, including the stored scope and deadline
columns of migration 0007, real workflow states (snapshots of the item's BPMN process run through the
workflow engine along its normal path), SM4-encrypted forms, and — for open applications — their
``application_tasks`` rows, as ``applications.tasks.sync`` would write them. Timeline events and
materials are not loaded.

Distributions (deterministic, seeded): dates over the last 365 days; ~300,000 applicants and 6,000 staff
as audit actors (staff busier, Zipf-like); audit tags weighted like real traffic (reads and logins
dominate); applications spread over every department organisation of every Gansu division that has
catalogue items (70 % county, 25 % prefecture, 5 % province level), statuses mostly closed (~80 %), the
rest drafts and open cases at each workflow step.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

AUDIT_BATCH = 50_000
APPLICATION_BATCH = 20_000
SEED = 20261127
PERSON_ACTORS = 300_000
STAFF_ACTORS = 6_000
DAY = 86_400.0
YEAR_S = 365 * DAY

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石"
    "廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红娥梅琴云莲兵建国志福生文斌"
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36 UOS",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
)
# (tag, weight, who): who = person | staff | anonymous; details are filled per tag.
AUDIT_TAGS: tuple[tuple[str, int, str], ...] = (
    ("identity:session:login", 90, "person"),
    ("identity:session:password-ok", 90, "person"),
    ("identity:session:logout", 30, "person"),
    ("identity:session:login-failed", 12, "anonymous"),
    ("identity:session:second-factor-failed", 4, "person"),
    ("applications:application:create", 40, "person"),
    ("applications:application:update", 25, "person"),
    ("applications:material:upload", 80, "person"),
    ("applications:application:submit", 38, "person"),
    ("applications:application:read", 120, "person"),
    ("applications:application:list", 90, "person"),
    ("evaluation:rating:create", 10, "person"),
    ("identity:session:login", 30, "staff"),
    ("identity:session:password-ok", 30, "staff"),
    ("applications:workbench:list", 160, "staff"),
    ("applications:application:read", 90, "staff"),
    ("applications:application:step", 70, "staff"),
    ("applications:application:step_denied", 2, "staff"),
    ("documents:document:issue", 30, "staff"),
    ("identity:person:read", 20, "staff"),
    ("catalog:item:draft", 2, "staff"),
    ("audit:events:read", 3, "staff"),
)
STAFF_ROLES = ("窗口人员", "审批人员", "部门负责人", "审计管理员")


def staff_actor_id(i: int) -> str:
    """Account id of bench staff actor ``i`` (stable, so scenarios can filter by it)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"longgov-bench-staff-{i}"))


def person_actor_id(i: int) -> str:
    """Account id of bench applicant ``i``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"longgov-bench-person-{i}"))


def chinese_name(rng: random.Random) -> str:
    """A plausible two- or three-character name."""
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def staff_actor_rank(rng: random.Random) -> int:
    """Zipf-like: a few staff members (busy counters) appear far more often than most."""
    return min(int(STAFF_ACTORS * rng.random() ** 3), STAFF_ACTORS - 1)


# --- audit ------------------------------------------------------------------------------------


def _audit_batch(job: tuple[int, int, float, float, int]) -> tuple[list[tuple[Any, ...]], list[bytes]]:
    """Rows (without prev_hash/hash) and canonical JSON of records ``first_seq`` … (in a worker process)."""
    from longgov.security.audit.service import _canonical  # noqa: PLC0415 - the product's own canonical form

    first_seq, count, t0, step, seed = job
    rng = random.Random(seed * 1_000_003 + first_seq)  # noqa: S311 - reproducible bench data
    weights = [w for _, w, _ in AUDIT_TAGS]
    tags = rng.choices(AUDIT_TAGS, weights=weights, k=count)
    rows: list[tuple[Any, ...]] = []
    canon: list[bytes] = []
    staff_names = [f"{SURNAMES[i % len(SURNAMES)]}{GIVEN[i % len(GIVEN)]}{GIVEN[(i * 7) % len(GIVEN)]}" for i in range(64)]
    for k in range(count):
        seq = first_seq + k
        tag, _, who = tags[k]
        occurred = datetime.fromtimestamp(t0 + (seq - first_seq) * step + rng.random() * step, tz=UTC)
        result = "failure" if who == "anonymous" or tag.endswith("failed") else ("denied" if tag.endswith("denied") else "success")
        if who == "person":
            n = rng.randrange(PERSON_ACTORS)
            actor_id, actor_name, actor_role, organisation = person_actor_id(n), f"{SURNAMES[n % len(SURNAMES)]}某{n % 97}", "自然人", None
        elif who == "staff":
            n = staff_actor_rank(rng)
            actor_id = staff_actor_id(n)
            actor_name = staff_names[n % 64] + str(n)
            actor_role = STAFF_ROLES[n % 3]
            organisation = f"第{n % 500}号部门"
        else:
            actor_id = actor_name = actor_role = organisation = None
        if tag.startswith("applications:"):
            subject_type, subject_id = "application", f"GS{occurred:%Y%m%d}{rng.randrange(1, 4000):06d}"
            details: dict[str, Any] = {"item_code": f"620A{rng.randrange(1, 46):04d}000000", "status": "submitted"}
        elif tag.startswith("identity:session:"):
            subject_type, subject_id = "account", actor_id or person_actor_id(rng.randrange(PERSON_ACTORS))
            details = {"portal": "person" if who != "staff" else "staff"}
        else:
            subject_type, subject_id, details = tag.split(":")[1], str(rng.randrange(10**6)), {}
        row = {
            "seq": seq,
            "occurred_at": occurred,
            "tag": tag,
            "result": result,
            "actor_id": actor_id,
            "actor_name": actor_name,
            "actor_role": actor_role,
            "organisation": organisation,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "user_agent": USER_AGENTS[rng.randrange(len(USER_AGENTS))],
            "request_id": f"{rng.getrandbits(128):032x}",
            "details": details,
        }
        canon.append(_canonical(row))
        rows.append(
            (
                seq,
                occurred,
                tag,
                result,
                actor_id,
                actor_name,
                actor_role,
                organisation,
                subject_type,
                subject_id,
                row["ip"],
                row["user_agent"],
                row["request_id"],
                json.dumps(details, ensure_ascii=False),
            )
        )
    return rows, canon


AUDIT_COLUMNS = (
    "seq",
    "occurred_at",
    "tag",
    "result",
    "actor_id",
    "actor_name",
    "actor_role",
    "organisation",
    "subject_type",
    "subject_id",
    "ip",
    "user_agent",
    "request_id",
    "details",
    "prev_hash",
    "hash",
)


def _index_statements(table: Any) -> tuple[list[str], list[str]]:  # noqa: ANN401 - a SQLAlchemy Table
    """(DROP INDEX, CREATE INDEX IF NOT EXISTS) statements of the model's secondary indexes."""
    from sqlalchemy.dialects import postgresql  # noqa: PLC0415
    from sqlalchemy.schema import CreateIndex  # noqa: PLC0415

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    drops = [f'DROP INDEX IF EXISTS "{index.name}"' for index in table.indexes]
    creates = [str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)) for index in table.indexes]
    return drops, creates


async def load_audit(  # noqa: C901, PLR0915 - one linear procedure: resume point, batches, indexes
    database_url: str, target: int, *, log: Callable[[str], None], workers: int = 2
) -> dict[str, Any]:
    """Bring ``audit_events`` to ``target`` chained records (none removed); a report of what was done."""
    import asyncpg  # noqa: PLC0415

    from longgov.security.audit.models import AuditEvent  # noqa: PLC0415
    from longgov.security.audit.service import GENESIS_HASH, compute_hash  # noqa: PLC0415
    from longgov.security.crypto import sm3_hex  # noqa: PLC0415

    started = time.monotonic()
    conn = await asyncpg.connect(database_url)
    try:
        head = await conn.fetchrow("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1")
        last_seq, last_hash = (int(head["last_seq"]), str(head["last_hash"])) if head else (0, GENESIS_HASH)
        if head is None:
            await conn.execute("INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, $1)", GENESIS_HASH)
        todo = target - last_seq
        report: dict[str, Any] = {"audit_rows_before": last_seq, "audit_rows_target": target}
        drops, creates = _index_statements(AuditEvent.__table__)
        if todo <= 0:
            log(f"audit: {last_seq:,} records already there (target {target:,}); nothing to load")
            for statement in creates:  # an earlier interrupted load may have left them dropped
                await conn.execute(statement)
            report.update(audit_rows_loaded=0, audit_load_s=round(time.monotonic() - started, 1))
            return report
        log(f"audit: loading {todo:,} records after seq {last_seq:,} (batches of {AUDIT_BATCH:,})")
        await conn.execute("SET synchronous_commit = off")
        if todo > AUDIT_BATCH * 4:
            for statement in drops:
                await conn.execute(statement)
        # Times run over the last year up to an hour ago; a resumed load continues where the last one stopped.
        now = time.time() - 3600
        t_first = now - YEAR_S
        step = YEAR_S / max(target, 1)
        jobs = []
        seq = last_seq + 1
        while seq <= target:
            count = min(AUDIT_BATCH, target - seq + 1)
            jobs.append((seq, count, t_first + (seq - 1) * step, step, SEED))
            seq += count
        loaded = 0
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            for rows, canon in pool.imap(_audit_batch, jobs):
                records = []
                prev = last_hash
                for row, body in zip(rows, canon, strict=True):
                    digest = sm3_hex(prev.encode() + body)
                    records.append((*row, prev, digest))
                    prev = digest
                # Self-check once per batch against the product's own function.
                first = dict(zip(AUDIT_COLUMNS[:14], rows[0], strict=True))
                first["details"] = json.loads(first["details"])
                if compute_hash(last_hash, first) != records[0][-1]:
                    msg = "bench audit hash differs from longgov.security.audit.service.compute_hash"
                    raise RuntimeError(msg)
                async with conn.transaction():
                    await conn.copy_records_to_table("audit_events", records=records, columns=list(AUDIT_COLUMNS))
                    await conn.execute("UPDATE audit_chain_head SET last_seq = $1, last_hash = $2 WHERE id = 1", rows[-1][0], prev)
                last_hash = prev
                loaded += len(records)
                if loaded % (AUDIT_BATCH * 20) == 0:
                    rate = loaded / max(time.monotonic() - started, 1e-9)
                    log(f"audit: {last_seq + loaded:,}/{target:,} ({rate:,.0f} rows/s)")
        copy_s = time.monotonic() - started
        log(f"audit: {loaded:,} rows in {copy_s:.0f}s; building indexes")
        index_started = time.monotonic()
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in creates:
            await conn.execute(statement)
        await conn.execute("ANALYZE audit_events")
        report.update(
            audit_rows_loaded=loaded,
            audit_copy_s=round(copy_s, 1),
            audit_index_s=round(time.monotonic() - index_started, 1),
            audit_load_s=round(time.monotonic() - started, 1),
        )
        log(f"audit: indexes in {report['audit_index_s']}s")
        return report
    finally:
        await conn.close()


# --- applications -----------------------------------------------------------------------------

# Actions taken along each process's normal path, in preference order.
PATH_ACTIONS = ("accept", "pass", "grant", "conclude", "deliver")


def process_snapshots(process: str, departments: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Engine states of one process along its path: ``{"open": [(status, state)…], "closed": …, "correction": …, "refused": …}``."""
    from longgov.applications.casework import STEPS  # noqa: PLC0415
    from longgov.workflow import engine  # noqa: PLC0415

    state = engine.start(process, {"departments": departments} if process == "joint_review" else {})
    first = state
    open_states: list[tuple[str, str]] = [("submitted", state)]
    status = "submitted"
    for _ in range(30):
        ready = [t for t in engine.ready_tasks(state) if t.roles and t.roles[0] != "applicant"]
        if not ready:
            break
        task = ready[0]
        action = next(a for a in PATH_ACTIONS if a in task.actions)
        state = engine.complete(state, task.id, role=task.roles[0], department=task.department, action=action, data={})
        status = STEPS[(task.name, action)].status
        if engine.is_finished(state):
            break
        open_states.append((status, state))
    pre_check = engine.ready_tasks(first)[0]
    correction = (
        engine.complete(
            first, pre_check.id, role=pre_check.roles[0], department=None, action="request_correction", data={"missing_items": ["营业场所使用证明"]}
        )
        if "request_correction" in pre_check.actions
        else None
    )
    refused = (
        engine.complete(first, pre_check.id, role=pre_check.roles[0], department=None, action="refuse", data={"reason": "不属于本部门职责"})
        if ("refuse" in pre_check.actions)
        else None
    )
    return {
        "open": open_states,
        "closed": [(status, state)],
        "correction": [("correction_requested", correction)] if correction else [],
        "refused": [("refused", refused)] if refused else [],
    }


async def load_applications(database_url: str, settings: Any, target: int, *, log: Callable[[str], None]) -> dict[str, Any]:  # noqa: ANN401, C901, PLR0915, PLR0912
    """Bring ``applications`` to ``target`` rows (with ``application_tasks`` of the open ones)."""
    import asyncpg  # noqa: PLC0415

    from longgov.catalog import services as catalog  # noqa: PLC0415
    from longgov.platform import Platform, ServiceContext  # noqa: PLC0415
    from longgov.security.pii import mask_name  # noqa: PLC0415
    from longgov.workflow import engine  # noqa: PLC0415

    started = time.monotonic()
    conn = await asyncpg.connect(database_url)
    try:
        have = int(await conn.fetchval("SELECT count(*) FROM applications"))
        table_columns = {
            r["column_name"]: r
            for r in await conn.fetch(
                "SELECT column_name, is_nullable, column_default FROM information_schema.columns "
                "WHERE table_name = 'applications' AND table_schema = current_schema()"
            )
        }
        has_tasks = bool(await conn.fetchval("SELECT to_regclass('application_tasks') IS NOT NULL"))
        report: dict[str, Any] = {
            "applications_before": have,
            "applications_target": target,
            "application_tasks_table": has_tasks,
            "applications_columns": sorted(table_columns),
        }
        from longgov.applications.models import Application, ApplicationTask  # noqa: PLC0415

        await _check_schema(conn, [Application.__table__, *([ApplicationTask.__table__] if has_tasks else [])])
        if have >= target:
            for table in [Application.__table__] + ([ApplicationTask.__table__] if has_tasks else []):
                for statement in _index_statements(table)[1]:  # an earlier interrupted load may have left them dropped
                    await conn.execute(statement)
            log(f"applications: {have:,} already there (target {target:,}); nothing to load")
            report.update(applications_loaded=0, applications_load_s=0.0)
            report["open_applications"] = int(
                await conn.fetchval(
                    "SELECT count(*) FROM applications WHERE status NOT IN ('draft','refused','delivered','withdrawn','concluded','granted','denied')"
                )
            )
            if has_tasks:
                report["application_tasks"] = int(await conn.fetchval("SELECT count(*) FROM application_tasks"))
            return report
        departments = [
            (r["code"], r["name"], r["division_code"], r["level"])
            for r in await conn.fetch("SELECT code, name, division_code, level FROM organisations WHERE kind = 'department' ORDER BY code")
        ]
        platform = Platform.build(settings)
        try:
            async with platform.db.transaction() as session:
                views = await catalog.published_views(ServiceContext(session=session, platform=platform))
            codec = platform.codec
            from longgov.applications import forms  # noqa: PLC0415

            form_blobs: dict[str, tuple[str, bytes]] = {}
            for v in views:
                definition = forms.form_for(v.basic_code)
                sample = {"contact_name": "王小明", "contact_phone": "13900001234", "description": "压测数据"}
                form_blobs[v.basic_code] = (definition.form_id, codec.encrypt("applications.form", json.dumps(sample, ensure_ascii=False, sort_keys=True)))
        finally:
            await platform.db.dispose()
        items_by_kind: dict[str, list[Any]] = {}
        for v in views:
            items_by_kind.setdefault(v.organisation_code.partition("-")[2], []).append(v)
        usable = [d for d in departments if d[0].partition("-")[2] in items_by_kind]
        by_level = {level: [d for d in usable if d[3] == level] for level in ("county", "prefecture", "province")}
        level_weights = {"county": 0.70, "prefecture": 0.25, "province": 0.05}
        snapshots: dict[tuple[str, str], dict[str, list[tuple[str, str]]]] = {}
        ready_cache: dict[str, list[Any]] = {}
        known = {
            "id", "number", "applicant_account_id", "applicant_kind", "applicant_name", "applicant_person_id", "applicant_enterprise_id",
            "item_code", "item_basic_code", "item_version", "item_name", "department_name", "organisation_code", "form_id", "form_cipher",
            "status", "idempotency_key", "submitted_at", "workflow_state", "created_at", "updated_at", "division_code", "prefecture_code",
            "department_kind", "clock_start", "time_limit_days", "deadline", "clock_paused", "deadline_provisional",
        }  # fmt: skip
        missing = [c for c, r in table_columns.items() if c not in known and r["is_nullable"] == "NO" and r["column_default"] is None]
        if missing:
            msg = f"applications has NOT NULL columns the bench loader does not know: {missing}; update bench/large.py"
            raise RuntimeError(msg)
        columns = [c for c in known if c in table_columns]
        report["applications_columns_unknown_left_null"] = sorted(c for c in table_columns if c not in known)
        task_columns = [
            "id", "application_id", "task_id", "task_name", "task_title", "role", "allowed_roles", "actions", "task_department", "department_kind",
            "organisation_code", "division_code", "prefecture_code", "item_name", "number", "applicant_name", "status", "submitted_at",
            "deadline", "paused", "claimed_by_id", "claimed_by_name", "claimed_at", "created_at", "updated_at",
        ]  # fmt: skip
        if has_tasks:
            task_table = {
                r["column_name"] for r in await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = 'application_tasks'")
            }
            unknown_tasks = sorted(task_table - set(task_columns))
            if unknown_tasks:
                report["application_tasks_columns_unknown_left_null"] = unknown_tasks
            task_columns = [c for c in task_columns if c in task_table]
        engine_json: dict[str, str] = {}

        index_sql = [_index_statements(Application.__table__)] + ([_index_statements(ApplicationTask.__table__)] if has_tasks else [])
        if target - have > APPLICATION_BATCH * 4:
            # Secondary indexes are built once at the end (unique constraints stay: they are constraints).
            for drops, _ in index_sql:
                for statement in drops:
                    await conn.execute(statement)
        await conn.execute("SET synchronous_commit = off")
        rng = random.Random(SEED + have)  # noqa: S311 - reproducible bench data
        now_ts = time.time()
        # Daily numbers: continue after what an earlier (interrupted) load issued.
        counters: dict[str, int] = {
            r["d"]: int(r["n"])
            for r in await conn.fetch(
                "SELECT substr(number, 3, 8) AS d, max(substr(number, 11)::int) AS n FROM applications WHERE number IS NOT NULL GROUP BY 1"
            )
        }
        loaded = tasks_loaded = open_count = 0
        log(f"applications: loading {target - have:,} (have {have:,}), application_tasks: {'yes' if has_tasks else 'table absent'}")
        while have + loaded < target:
            count = min(APPLICATION_BATCH, target - have - loaded)
            app_rows: list[tuple[Any, ...]] = []
            task_rows: list[tuple[Any, ...]] = []
            for _ in range(count):
                level = rng.choices(("county", "prefecture", "province"), weights=[level_weights[k] for k in ("county", "prefecture", "province")])[0]
                org_code, org_name, division, _level = rng.choice(by_level[level] or usable)
                kind = org_code.partition("-")[2]
                item = rng.choice(items_by_kind[kind])
                process = item.content.process_type
                key = (process, kind)
                if key not in snapshots:
                    snapshots[key] = process_snapshots(process, [kind])
                snaps = snapshots[key]
                created = now_ts - rng.random() * YEAR_S
                created_at = datetime.fromtimestamp(created, tz=UTC)
                roll = rng.random()
                state_pick: tuple[str, str] | None
                if roll < 0.04:
                    status, state_pick = "draft", None
                elif roll < 0.05:
                    status, state_pick = "withdrawn", snaps["open"][0]
                elif roll < 0.08 and snaps["refused"]:
                    state_pick = snaps["refused"][0]
                    status = state_pick[0]
                elif roll < 0.10 and snaps["correction"]:
                    state_pick = snaps["correction"][0]
                    status = state_pick[0]
                elif roll < 0.22:
                    state_pick = rng.choice(snaps["open"])
                    status = state_pick[0]
                else:
                    state_pick = snaps["closed"][0]
                    status = state_pick[0]
                # Open cases are recent; closed ones anywhere in the year.
                if status not in {"draft", "withdrawn", "refused", "delivered", "concluded"}:
                    created = now_ts - rng.random() * 40 * DAY
                    created_at = datetime.fromtimestamp(created, tz=UTC)
                submitted_at = None if status == "draft" else created_at + timedelta(minutes=rng.randrange(5, 600))
                number = None
                if submitted_at is not None:
                    day = (submitted_at + timedelta(hours=8)).strftime("%Y%m%d")
                    counters[day] = counters.get(day, 0) + 1
                    number = f"GS{day}{counters[day]:06d}"
                clock_start = deadline = None
                workflow_state: str | None = None
                paused = status == "correction_requested"
                if state_pick is not None:
                    accepted = status not in {"submitted", "correction_requested", "refused", "withdrawn"}
                    if accepted and submitted_at is not None:
                        clock_start = (submitted_at + timedelta(days=rng.randrange(0, 3))).date()
                        deadline = clock_start + timedelta(days=item.content.promised_days * 7 // 5 + 1)
                    # The engine state is ~6–12 kB of JSON: encode it once per snapshot, splice the small fields in.
                    if state_pick[1] not in engine_json:
                        engine_json[state_pick[1]] = json.dumps(state_pick[1])
                    workflow_state = (
                        f'{{"engine": {engine_json[state_pick[1]]}, "process": "{process}", "pauses": [], '
                        f'"correction_since": {json.dumps(submitted_at.date().isoformat() if paused and submitted_at else None)}, '
                        f'"clock_start": {json.dumps(clock_start.isoformat() if clock_start else None)}, '
                        f'"working_days": {item.content.promised_days}, "deadline": {json.dumps(deadline.isoformat() if deadline else None)}}}'
                    )
                person = rng.random() < 0.8
                applicant_index = rng.randrange(PERSON_ACTORS)
                applicant_name = chinese_name(rng) if person else f"甘肃{chinese_name(rng)}商贸有限公司"
                app_id = uuid.uuid4()
                form_id, form_cipher = form_blobs[item.basic_code]
                updated_at = max(created_at, submitted_at or created_at)
                values = {
                    "id": app_id,
                    "number": number,
                    "applicant_account_id": uuid.UUID(person_actor_id(applicant_index)),
                    "applicant_kind": "person" if person else "enterprise",
                    "applicant_name": applicant_name,
                    "applicant_person_id": uuid.uuid5(uuid.NAMESPACE_OID, str(applicant_index)) if person else None,
                    "applicant_enterprise_id": None if person else uuid.uuid5(uuid.NAMESPACE_DNS, str(applicant_index)),
                    "item_code": f"{item.basic_code}-{division}",
                    "item_basic_code": item.basic_code,
                    "item_version": 1,
                    "item_name": item.content.name,
                    "department_name": org_name,
                    "organisation_code": org_code,
                    "form_id": form_id,
                    "form_cipher": form_cipher,
                    "status": status,
                    "idempotency_key": None,
                    "submitted_at": submitted_at,
                    "workflow_state": workflow_state,
                    "created_at": created_at,
                    "updated_at": updated_at,
                    "division_code": division,
                    "prefecture_code": division[:4] + "00",
                    "department_kind": kind,
                    "clock_start": clock_start,
                    "time_limit_days": item.content.promised_days if workflow_state else None,
                    "deadline": deadline,
                    "clock_paused": paused,
                    "deadline_provisional": False,
                }
                app_rows.append(tuple(values[c] for c in columns))
                open_case = state_pick is not None and status not in {"draft", "refused", "delivered", "withdrawn"} and number is not None
                if open_case and status not in {"concluded", "granted", "denied"}:
                    open_count += 1
                if has_tasks and open_case and state_pick is not None:
                    state_text = state_pick[1]
                    if state_text not in ready_cache:
                        ready_cache[state_text] = engine.ready_tasks(state_text)
                    masked = mask_name(applicant_name) if person else applicant_name
                    for task in ready_cache[state_text]:
                        for role in task.roles:
                            if role not in {"counter_staff", "approver", "department_leader"}:
                                continue
                            task_values = {
                                "id": uuid.uuid4(),
                                "application_id": app_id,
                                "task_id": task.id,
                                "task_name": task.name[:40],
                                "task_title": task.title[:80],
                                "role": role,
                                "allowed_roles": f",{','.join(task.roles)},"[:120],
                                "actions": ",".join(task.actions)[:200],
                                "task_department": task.department,
                                "department_kind": task.department or kind,
                                "organisation_code": org_code,
                                "division_code": division,
                                "prefecture_code": division[:4] + "00",
                                "item_name": item.content.name,
                                "number": number,
                                "applicant_name": masked,
                                "status": status,
                                "submitted_at": submitted_at,
                                "deadline": deadline,
                                "paused": paused,
                                "claimed_by_id": None,
                                "claimed_by_name": None,
                                "claimed_at": None,
                                "created_at": updated_at,
                                "updated_at": updated_at,
                            }
                            task_rows.append(tuple(task_values[c] for c in task_columns))
            async with conn.transaction():
                await conn.copy_records_to_table("applications", records=app_rows, columns=columns)
                if task_rows:
                    await conn.copy_records_to_table("application_tasks", records=task_rows, columns=task_columns)
            loaded += count
            tasks_loaded += len(task_rows)
            if loaded % (APPLICATION_BATCH * 10) == 0:
                rate = loaded / max(time.monotonic() - started, 1e-9)
                log(f"applications: {have + loaded:,}/{target:,} ({rate:,.0f} rows/s), {tasks_loaded:,} task rows")
        index_started = time.monotonic()
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for _, creates in index_sql:
            for statement in creates:
                await conn.execute(statement)
        report["applications_index_s"] = round(time.monotonic() - index_started, 1)
        await conn.execute("ANALYZE applications")
        if has_tasks:
            await conn.execute("ANALYZE application_tasks")
        report.update(
            applications_loaded=loaded,
            application_tasks_loaded=tasks_loaded,
            open_applications_loaded=open_count,
            applications_load_s=round(time.monotonic() - started, 1),
            processes_snapshotted=sorted({p for p, _ in snapshots}),
        )
        if has_tasks:
            report["application_tasks"] = int(await conn.fetchval("SELECT count(*) FROM application_tasks"))
        log(f"applications: {loaded:,} rows, {tasks_loaded:,} task rows in {report['applications_load_s']}s")
        return report
    finally:
        await conn.close()


async def _check_schema(conn: Any, tables: list[Any]) -> None:  # noqa: ANN401 - asyncpg connection, SQLAlchemy tables
    """A kept database migrated before a revision was edited in place lacks columns the code reads: say so clearly."""
    for table in tables:
        present = {r["column_name"] for r in await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = $1", table.name)}
        missing = sorted(c.name for c in table.columns if c.name not in present)
        if missing:
            msg = f"{table.name} lacks {missing} (a migration changed after this database was loaded): drop the database and load again"
            raise RuntimeError(msg)


# --- staff ------------------------------------------------------------------------------------

# (label, organisation code, roles): a county and a city department, a province office, an audit administrator.
STAFF_SCOPES = (
    ("county_department", "620102-market_regulation", ["counter_staff"]),
    ("city_department", "620100-market_regulation", ["counter_staff"]),
    ("province_department", "620000-market_regulation", ["counter_staff"]),
    ("county_approver", "620102-market_regulation", ["approver"]),
    ("city_leader", "620100-market_regulation", ["department_leader"]),
    ("audit_admin", "620000-government", ["audit_admin"]),
)
STAFF_PASSWORD = "Bench2024staff!"  # noqa: S105 - throw-away accounts in a throw-away database


async def create_staff(settings: Any) -> list[dict[str, Any]]:  # noqa: ANN401
    """New staff accounts for this run (TOTP secrets are only known at creation), one per scope."""
    from longgov.identity.schemas import NewStaff  # noqa: PLC0415
    from longgov.identity.services import create_staff as create  # noqa: PLC0415
    from longgov.platform import Platform, ServiceContext  # noqa: PLC0415

    platform = Platform.build(settings)
    staff = []
    stamp = f"{int(time.time()) % 10**8:08d}"
    try:
        for i, (label, organisation, roles) in enumerate(STAFF_SCOPES):
            username = f"b{stamp}s{i}"
            async with platform.db.transaction() as session:
                created = await create(
                    ServiceContext(session=session, platform=platform),
                    NewStaff(username=username, display_name=f"压测{label}", organisation_code=organisation, roles=roles, password=STAFF_PASSWORD),
                )
            staff.append(
                {
                    "label": label,
                    "organisation": organisation,
                    "roles": roles,
                    "username": username,
                    "password": STAFF_PASSWORD,
                    "totp_secret": created.totp_secret,
                    "account_id": str(created.account_id),
                }
            )
    finally:
        await platform.db.dispose()
    return staff


def busiest_staff_actor() -> str:
    """The audit actor with the most records (rank 0 of the Zipf-like draw)."""
    return staff_actor_id(0)


def some_person_actor() -> str:
    """An applicant actor (a few dozen records)."""
    return person_actor_id(12_345)


if __name__ == "__main__":  # pragma: no cover - manual use: python -m bench.large URL AUDIT_ROWS
    import sys

    asyncio.run(load_audit(sys.argv[1], int(sys.argv[2]), log=print))
