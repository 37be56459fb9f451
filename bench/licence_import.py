"""``licence_import``: bulk import of a department's licence register (汇聚) on PostgreSQL, signing included.

    uv run python -m bench.licence_import [--rows 100000] [--keep-db]

Steps, all on this machine (127.0.0.1 only):

1. create a throw-away database ``longgov_bench_import_<UTC timestamp>_<pid>`` and a temporary var dir
   (fresh keys, mode ``test``); migrate and load the organisation tree;
2. register ``--enterprises`` (50) enterprises through ``identity.services.register_enterprise``: the
   first rows of the register belong to them, so the import links those licences to their accounts;
3. write a register CSV of ``--rows`` rows of 食品经营许可证 of ``620102-market_regulation`` (columns as a
   department exports them, valid USCCs, dates, premises …) with one bad row in every
   ``--bad-every`` (500: an invalid USCC) and ``--duplicates`` (10) rows repeated later in the file;
4. import it in a **separate process** (``python -m bench.licence_import --child``): one transaction through
   ``longgov.licences.services.import_register`` — the function behind ``longgov licences import`` and
   ``POST /api/v1/licences/imports`` — so its peak memory (``ru_maxrss``) and CPU are the import's own;
   PostgreSQL's backend CPU is sampled from ``/proc`` meanwhile;
5. checks what landed (licences, versions, events, audit records, no duplicate numbers or identifiers)
   and verifies a sample of the stored sealed documents through ``verify_licence_document``;
6. imports the same file again (idempotent: every good row ``unchanged``, nothing written but the import's
   audit record) and checks that nothing was added;
7. writes ``bench/results/licence_import.json``, drops the database and the var dir (``--keep-db`` keeps both).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from bench.run import RESULTS_DIR, ROOT, _admin_sql, backends_of, cpu_seconds, git_commit, log, machine_info, write_json

ISSUER = "620102-market_regulation"
LICENCE_TYPE = "食品经营许可证"
HEADER = [
    "许可证编号",
    "持证主体名称",
    "持证主体证件号码",
    "颁发日期",
    "有效期至",
    "经营者名称",
    "社会信用代码",
    "法定代表人（负责人）",
    "住所",
    "经营场所",
    "主体业态",
    "经营项目",
    "日常监督管理人员",
]
FORMS = ("食品销售经营者", "餐饮服务经营者", "单位食堂")
ITEMS = ("预包装食品销售（含冷藏冷冻食品）", "散装食品销售（不含冷藏冷冻食品）", "热食类食品制售", "冷食类食品制售", "自制饮品制售")
STREETS = ("庆阳路", "张掖路", "酒泉路", "武都路", "东岗西路", "南昌路", "雁滩路", "天水北路", "定西路", "白银路")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
SHOPS = ("便利店", "食品店", "小吃店", "面馆", "超市", "餐厅", "饮品店", "烧烤店", "牛肉面馆", "糕点店")
SAMPLE_VERIFY = 20
PASSWORD = "Bench2024load"  # noqa: S105 - throw-away accounts in a throw-away database
SAMPLE_INTERVAL_S = 0.5


def _uscc(i: int) -> str:
    from longgov.identity.codes import make_uscc  # noqa: PLC0415

    return make_uscc("9", "1", "620102", f"{i + 10_000_000:08d}")


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def register_rows(rows: int, *, bad_every: int, duplicates: int, seed: int = 20261127) -> tuple[list[list[str]], int]:
    """The register's data rows (header excluded) and how many of them are bad."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    out: list[list[str]] = []
    bad = 0
    start = date(2019, 1, 1)
    unique = rows - duplicates
    for i in range(unique):
        uscc = _uscc(i)
        shop = f"城关区{rng.choice(STREETS)}{_person_name(rng)}{rng.choice(SHOPS)}"
        address = f"甘肃省兰州市城关区{rng.choice(STREETS)}{rng.randint(1, 999)}号"
        issued = start + timedelta(days=rng.randrange(2000))
        until = issued.replace(year=issued.year + 5) - timedelta(days=1) if not (issued.month == 2 and issued.day == 29) else date(issued.year + 5, 2, 27)
        row = [
            f"JY1620102{i:08d}",
            shop,
            uscc,
            issued.isoformat(),
            until.isoformat(),
            shop,
            uscc,
            _person_name(rng),
            address,
            address,
            rng.choice(FORMS),
            "；".join(rng.sample(ITEMS, rng.randint(1, 3))),
            _person_name(rng) if rng.random() < 0.5 else "",
        ]
        if bad_every and i % bad_every == bad_every // 2:
            row[2] = row[6] = uscc[:-2] + "XX"  # a wrong check character
            bad += 1
        out.append(row)
    # Exact repeats later in the file (a register exported twice over a period): unchanged on their second occurrence.
    step = max(1, unique // max(1, duplicates))
    for k in range(duplicates):
        repeat = list(out[(k * step + 1) % unique])
        if repeat[2].endswith("XX"):
            bad += 1
        out.append(repeat)
    return out, bad


def write_register(path: Path, rows: list[list[str]]) -> int:
    """Write a UTF-8 (BOM) CSV as departments export it; its size in bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8-sig")
    path.write_bytes(data)
    return len(data)


# --- the child: one import, measured from inside --------------------------------------------------------


async def _child_import(path: Path) -> dict[str, Any]:
    from longgov.config import Settings  # noqa: PLC0415
    from longgov.licences.services import import_register  # noqa: PLC0415
    from longgov.platform import Platform, ServiceContext  # noqa: PLC0415

    platform = Platform.build(Settings())
    data = path.read_bytes()  # noqa: ASYNC240 - before the timed import
    marks: list[tuple[int, float]] = []
    try:
        before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        async with platform.db.transaction() as session:
            ctx = ServiceContext(session=session, platform=platform)
            report = await import_register(ctx, data, path.name, LICENCE_TYPE, ISSUER, progress=lambda done, _total: marks.append((done, time.perf_counter())))
            t1 = time.perf_counter()
        t2 = time.perf_counter()
    finally:
        await platform.db.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    return {
        "report": {**report.model_dump(mode="json", exclude={"errors"}), "errors": len(report.errors)},
        "error_samples": [e.model_dump(mode="json") for e in report.errors[:5]],
        "service_s": round(t1 - t0, 2),
        "commit_s": round(t2 - t1, 2),
        "wall_s": round(t2 - t0, 2),
        "progress": [(done, round(t - t0, 2)) for done, t in marks],
        "cpu_s": round(cpu_s, 2),
        "cpu_ms_per_row": round(cpu_s * 1000 / max(1, report.total), 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def child_main(path: str, out: str) -> int:
    """``--child``: import ``path`` once and write what was measured to ``out``."""
    result = asyncio.run(_child_import(Path(path)))
    Path(out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


# --- the parent ------------------------------------------------------------------------------------------


class BackendCpu:
    """CPU seconds of the bench database's PostgreSQL backends while a child runs (sampled: backends come and go)."""

    def __init__(self, db_name: str) -> None:
        self.db_name = db_name
        self.seen: dict[int, float] = {}
        self.base: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for pid in backends_of(self.db_name):
                self.seen[pid] = cpu_seconds([pid])
            self._stop.wait(SAMPLE_INTERVAL_S)

    def __enter__(self) -> Self:
        self.base = {pid: cpu_seconds([pid]) for pid in backends_of(self.db_name)}
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        """CPU of backends seen while running, minus what the ones alive at the start had used before."""
        return round(sum(cpu - self.base.get(pid, 0.0) for pid, cpu in self.seen.items()), 2)


def run_child(env: dict[str, str], db_name: str, register: Path, out: Path) -> dict[str, Any]:
    """One import in its own process; adds PostgreSQL backend CPU."""
    with BackendCpu(db_name) as pg:
        completed = subprocess.run(
            [sys.executable, "-m", "bench.licence_import", "--child", str(register), "--child-out", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        msg = f"import child failed ({completed.returncode}): {completed.stderr[-2000:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    result["postgres_cpu_s"] = pg.seconds
    return result


async def _seed(settings: Any, enterprises: int) -> None:  # noqa: ANN401 - Settings, imported lazily
    from longgov.identity.services import register_enterprise, sync_organisations  # noqa: PLC0415
    from longgov.platform import Platform, ServiceContext  # noqa: PLC0415

    platform = Platform.build(settings)
    try:
        async with platform.db.transaction() as session:
            await sync_organisations(ServiceContext(session=session, platform=platform))
        async with platform.db.transaction() as session:
            ctx = ServiceContext(session=session, platform=platform)
            for i in range(enterprises):
                await register_enterprise(
                    ctx, name=f"压测企业{i:03d}", uscc=_uscc(i), legal_representative="张三", phone=f"1390001{i:04d}", division_code="620102", password=PASSWORD
                )
    finally:
        await platform.db.dispose()


async def _check(settings: Any, sample: int) -> dict[str, Any]:  # noqa: ANN401
    """What is stored now, and a sample of sealed documents verified through the service."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from longgov.licences import services  # noqa: PLC0415
    from longgov.licences.models import Licence, LicenceEvent, LicenceVersion  # noqa: PLC0415
    from longgov.platform import Platform, ServiceContext  # noqa: PLC0415
    from longgov.security.audit.service import verify_chain  # noqa: PLC0415

    platform = Platform.build(settings)
    try:
        async with platform.db.transaction() as session:
            count = lambda q: session.scalar(select(func.count()).select_from(q))  # noqa: E731
            licences = await count(Licence)
            numbers = await session.scalar(select(func.count(func.distinct(Licence.number_index))))
            identifiers = await session.scalar(select(func.count(func.distinct(LicenceVersion.identifier))))
            versions = await count(LicenceVersion)
            events = await count(LicenceEvent)
            linked = await session.scalar(select(func.count()).select_from(Licence).where(Licence.holder_enterprise_id.is_not(None)))
            statuses = await session.scalar(select(func.count(func.distinct(Licence.status_index))))
            from longgov.security.audit.models import AuditEvent  # noqa: PLC0415

            tags = dict((await session.execute(select(AuditEvent.tag, func.count()).group_by(AuditEvent.tag))).tuples().all())
            chain = await verify_chain(session)
            ids = (await session.execute(select(LicenceVersion).order_by(func.random()).limit(sample))).scalars().all()
            # Registers hold old licences too: an expired one still has a good seal, so count answers by code.
            codes: dict[str, int] = {}
            for version in ids:
                document = services._document_of(ServiceContext(session=session, platform=platform), version)  # noqa: SLF001
                result = await services.verify_licence_document(ServiceContext(session=session, platform=platform), document)
                codes[result.code] = codes.get(result.code, 0) + 1
    finally:
        await platform.db.dispose()
    return {
        "licences": licences,
        "distinct_numbers": numbers,
        "distinct_status_indexes": statuses,
        "versions": versions,
        "distinct_identifiers": identifiers,
        "licence_events": events,
        "linked_to_enterprise_accounts": linked,
        "audit_records_by_tag": {k: v for k, v in sorted(tags.items()) if k.startswith("licences:")},
        "audit_chain_ok": chain.ok,
        "audit_records": chain.checked,
        "sample_verify_codes": codes,
        "sample_seal_ok": f"{sum(n for c, n in codes.items() if c in {'valid', 'expired'})}/{len(ids)}",
    }


def _rate(rows: int, seconds: float) -> float:
    return round(rows / seconds, 1) if seconds else 0.0


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - set-up, two imports, checks, tear-down in order
    parser = argparse.ArgumentParser(prog="python -m bench.licence_import", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="register rows (default 100,000)")
    parser.add_argument("--bad-every", type=int, default=500, help="one bad row (invalid USCC) in every N (default 500, 0: none)")
    parser.add_argument("--duplicates", type=int, default=10, help="rows repeated later in the file (default 10)")
    parser.add_argument("--enterprises", type=int, default=50, help="registered enterprises holding the first rows (default 50)")
    parser.add_argument("--pg-url", default=os.environ.get("PG_URL", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "licence_import.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child, args.child_out)

    from longgov.config import Settings  # noqa: PLC0415
    from longgov.migrations import upgrade  # noqa: PLC0415

    started = time.monotonic()
    meta = {"machine": machine_info(), "git": git_commit(), "loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    db_name = f"longgov_bench_import_{stamp}_{os.getpid()}"
    var_dir = Path(tempfile.mkdtemp(prefix="longgov-bench-import-"))
    database_url = f"{args.pg_url}/{db_name}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGGOV_")}
    env.update({"LONGGOV_MODE": "test", "LONGGOV_VAR_DIR": str(var_dir), "LONGGOV_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"})
    created = False
    try:
        log(f"licence_import: creating database {db_name}")
        postgres_version = asyncio.run(_admin_sql(args.pg_url, f'CREATE DATABASE "{db_name}"'))
        created = True
        settings = Settings(mode="test", var_dir=var_dir, database_url=database_url)
        upgrade(settings)
        asyncio.run(_seed(settings, args.enterprises))
        rows, bad = register_rows(args.rows, bad_every=args.bad_every, duplicates=args.duplicates)
        register = var_dir / "register.csv"
        size = write_register(register, rows)
        log(f"licence_import: {len(rows)} rows ({bad} bad, {args.duplicates} repeated), {size / 1e6:.1f} MB; importing")
        first = run_child(env, db_name, register, var_dir / "first.json")
        log(f"licence_import: first import {first['wall_s']}s, {_rate(len(rows), first['wall_s'])} rows/s, peak RSS {first['peak_rss_mb']} MB")
        after_first = asyncio.run(_check(settings, SAMPLE_VERIFY))
        second = run_child(env, db_name, register, var_dir / "second.json")
        log(f"licence_import: re-import {second['wall_s']}s, {_rate(len(rows), second['wall_s'])} rows/s")
        after_second = asyncio.run(_check(settings, 0))
    finally:
        if created and not args.keep_db:
            try:
                asyncio.run(_admin_sql(args.pg_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            except Exception as exc:  # noqa: BLE001 - report, keep cleaning up
                log(f"could not drop database {db_name}: {exc!r}")
        if args.keep_db:
            log(f"kept database {db_name} and its var dir {var_dir} (its keys)")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
    good = first["report"]["created"]
    idempotent = (
        second["report"]["created"] == 0
        and second["report"]["updated"] == 0
        and after_second["licences"] == after_first["licences"]
        and after_second["versions"] == after_first["versions"]
    )
    result = {
        "scenario": "licence_import",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": meta["git"]["commit"],
        "git_dirty": meta["git"]["dirty"],
        "machine": meta["machine"],
        "server": {"database": "postgresql", "postgres_version": postgres_version, "mode": "test"},
        "path": "longgov.licences.services.import_register (longgov licences import / POST /api/v1/licences/imports), one transaction, own process",
        "register": {"rows": len(rows), "bad_rows": bad, "repeated_rows": args.duplicates, "bytes": size, "type": LICENCE_TYPE, "issuer": ISSUER},
        "rows_per_s": _rate(len(rows), first["wall_s"]),
        "licences_per_s": _rate(good, first["wall_s"]),
        "first_import": first,
        "reimport_rows_per_s": _rate(len(rows), second["wall_s"]),
        "reimport": second,
        "peak_rss_mb": max(first["peak_rss_mb"], second["peak_rss_mb"]),
        "stored_after_import": after_first,
        "stored_after_reimport": after_second,
        "idempotent": idempotent,
        "loadavg_before": meta["loadavg_before"],
        "total_wall_s": round(time.monotonic() - started, 1),
        "notes": [
            (
                "rows_per_s: register rows (good, bad and repeated) / wall time of the first import (reading the CSV, checking every row, "
                "issuing, SM2 signing and SM4 encryption of every licence, the database writes and the commit with its audit records)."
            ),
            (
                "cpu_s: the importing process's user+system CPU during the import (start-up excluded); postgres_cpu_s: the bench "
                "database's backends over the whole child process (sampled every 0.5 s)."
            ),
            "peak_rss_mb: ru_maxrss of the importing process (the whole register file is read into memory first, as the API does).",
            f"The importer shares the machine's {meta['machine']['nproc']} cores with PostgreSQL (and whatever else runs on it).",
        ],
    }
    if not idempotent:
        result["notes"].append("WARNING: the re-import changed stored data")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.output, result)
    log(f"licence_import: {result['rows_per_s']} rows/s, re-import {result['reimport_rows_per_s']} rows/s, idempotent={idempotent} → {args.output}")
    return 0 if idempotent and after_first["audit_chain_ok"] else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
