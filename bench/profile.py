"""Where the server's CPU goes: py-spy samples of the granian workers, grouped into the bench's categories.

``py-spy`` comes from its wheel through ``uv run --no-project --with py-spy`` (nothing is added to the
project). It attaches to the running server (``--pid``, ``--subprocesses`` for the workers,
``--nonblocking`` so the workers are never paused) while a load generator phase runs, and writes
collapsed stacks (``--format raw``). Each sample is one stack of one worker thread that was on CPU
(py-spy leaves idle threads out), so the shares below are shares of the workers' busy time.

Two views per category: ``inclusive_pct`` (samples whose stack passes through it anywhere, e.g. the
audit chain including the SM3 hashing and the SQL it runs) and ``exclusive_pct`` (samples attributed
to the innermost frame that belongs to any category; these add up to 100).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# (category, description, frame pattern): a frame is "function (file:line)"; patterns match that text.
CATEGORIES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "sm2_verify_sign",
        "SM2 signature checks and signing (gmssl, key and DER checks; the Z value's SM3 counts as sm3_digest)",
        re.compile(r"^_?(sm2_\w+|is_valid_public_key|on_curve|is_well_formed_signature|der_\w+) \(.*longgov/security/crypto\.py"),
    ),
    ("sm3_digest", "SM3 hashing (audit chain hashes, material digest, CSRF/session HMACs)", re.compile(r"^sm3_\w+ \(.*longgov/security/crypto\.py")),
    ("sm4_field_encryption", "SM4-GCM of the form and other personal fields (encrypt + decrypt)", re.compile(r"^sm4_\w+ \(.*longgov/security/crypto\.py")),
    ("jsonschema_validation", "JSON Schema validation of the form", re.compile(r"jsonschema/|longgov/applications/forms\.py")),
    ("spiffworkflow", "SpiffWorkflow: start the BPMN process, serialize/deserialize its state", re.compile(r"SpiffWorkflow/|longgov/workflow/engine\.py")),
    ("licence_canonical_json", "JCS canonical JSON of licence claims (licences/canonical.py)", re.compile(r"longgov/licences/canonical\.py")),
    ("storage_write", "material storage (local folder)", re.compile(r"longgov/applications/storage\.py")),
    (
        "workbench_tasks_sync",
        "application_tasks rows and stored deadline written on submit (applications/tasks.py)",
        re.compile(r"longgov/applications/tasks\.py"),
    ),
    ("notifications_after_commit", "domain events delivered after commit: notification subscribers", re.compile(r"longgov/notify/|longgov/kernel/events\.py")),
    ("audit_chain", "audit: queue the record, lock the chain head, chain the hash, insert", re.compile(r"longgov/security/audit/service\.py")),
    ("multipart_parsing", "multipart upload parsing", re.compile(r"multipart|litestar/_multipart")),
    ("password_hashing", "argon2 (only login set-up)", re.compile(r"argon2")),
    ("db_driver_and_orm", "SQLAlchemy ORM/Core + asyncpg: building statements, flushing, encoding/decoding rows", re.compile(r"sqlalchemy/|asyncpg/")),
    ("pydantic_serialisation", "pydantic validation/dump of DTOs, msgspec/json encoding", re.compile(r"pydantic|msgspec|/json/")),
    ("http_framework", "granian, Litestar routing/middleware/DI, CSRF, cookies", re.compile(r"litestar/|granian")),
    (
        "socket_send",
        "send() on sockets (asyncpg → PostgreSQL, responses): the kernel's loopback TCP work runs in the sender, longer on a contended machine",
        re.compile(r"_SelectorSocketTransport\.write|sock_sendall|\bsend \("),
    ),
    ("event_loop_wait", "epoll wait sampled while runnable (not idle by py-spy's check)", re.compile(r"EpollSelector\.select|\bselect \(selectors")),
    ("asyncio_loop", "asyncio event loop plumbing", re.compile(r"asyncio/|uvloop|selectors\.py")),
    ("app_other", "other LongGov code (services, views, session lookup)", re.compile(r"longgov/")),
)
_INNERMOST_ORDER = [name for name, _, _ in CATEGORIES]
# Where in the request a sample is (inclusive shares): the three service calls, work after commit, the session lookup.
STAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("create_draft (service)", re.compile(r"^create_draft \(.*longgov/applications/services\.py")),  # module functions: bare names
    ("upload_material (service)", re.compile(r"^upload_material \(.*longgov/applications/services\.py")),
    ("submit (service)", re.compile(r"^submit \(.*longgov/applications/services\.py")),
    ("commit incl. audit chain append", re.compile(r"^(AsyncSession\.)?commit \(.*sqlalchemy/ext/asyncio/session\.py")),
    ("after-commit work (notifications, events)", re.compile(r"^run_after_commit \(.*longgov/db\.py")),
    ("session lookup (principal_for_token)", re.compile(r"^principal_for_token \(")),
)
# Stages of POST /api/v1/licences/verify (the licence_verify scenario).
LICENCE_STAGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("verify_any (whole handler)", re.compile(r"^verify_any \(.*longgov/licences/presentations\.py")),
    ("verify_licence_document", re.compile(r"^verify_licence_document \(.*longgov/licences/services\.py")),
    ("verify_credential", re.compile(r"^verify_credential \(.*longgov/licences/services\.py")),
    ("verify_presentation", re.compile(r"^verify_presentation \(.*longgov/licences/presentations\.py")),
    ("trust keys lookup", re.compile(r"^(trust_for_issuer|public_seal|_trusted_keys|_seal_keys|_credential_keys) \(.*longgov/licences/")),
    ("status lookup", re.compile(r"^(_status_problem|_licence_by_identifier|_online_problem) \(.*longgov/licences/")),
    ("commit incl. audit chain append", re.compile(r"^(AsyncSession\.)?commit \(.*sqlalchemy/ext/asyncio/session\.py")),
)


def find_pyspy() -> tuple[str | None, str]:
    """Path of a py-spy binary (from its wheel via uv), and how it was found or why not."""
    found = shutil.which("py-spy")
    if found:
        return found, "py-spy on PATH"
    uv = shutil.which("uv") or str(Path.home() / ".local/bin/uv")
    try:
        completed = subprocess.run(
            [uv, "run", "--no-project", "--quiet", "--with", "py-spy", "python", "-c", "import shutil; print(shutil.which('py-spy') or '')"],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"uv run --with py-spy failed: {exc!r}"
    path = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    if completed.returncode != 0 or not path:
        return None, f"uv run --with py-spy failed: {completed.stderr.strip()[-300:]}"
    return path, "uv run --no-project --with py-spy"


@dataclass
class Recording:
    """A running ``py-spy record``."""

    proc: subprocess.Popen[bytes]
    output: Path
    log: Path


def start(pyspy: str, pid: int, output: Path, rate: int = 200) -> Recording:
    """Attach to ``pid`` and its subprocesses until :func:`stop`."""
    log = output.with_suffix(".log")
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [pyspy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", str(rate), "--format", "raw", "--output", str(output)],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Recording(proc, output, log)


def stop(recording: Recording) -> str | None:
    """Stop sampling (SIGINT makes py-spy write its output); an error text if it failed."""
    if recording.proc.poll() is None:
        os.kill(recording.proc.pid, signal.SIGINT)
    try:
        recording.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        recording.proc.kill()
        recording.proc.wait()
        return "py-spy did not stop"
    if not recording.output.exists():
        return "py-spy wrote nothing: " + recording.log.read_text(errors="replace")[-400:]
    return None


def _frames(stack: str) -> list[str]:
    # py-spy puts "process <pid>:<cmdline>" and "thread (...)" pseudo-frames first with --subprocesses.
    return [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]


def analyse(raw: Path, *, top_functions: int = 15, stages: tuple[tuple[str, re.Pattern[str]], ...] = STAGES) -> dict[str, Any]:  # noqa: C901 - one pass
    """Category shares, ``stages`` (inclusive) and the hottest leaf functions of a py-spy raw (collapsed stacks) file."""
    inclusive = dict.fromkeys(_INNERMOST_ORDER, 0)
    exclusive = dict.fromkeys([*_INNERMOST_ORDER, "other"], 0)
    leaves: dict[str, int] = {}
    stage_counts = dict.fromkeys([name for name, _ in stages], 0)
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        if not frames:
            continue
        total += count
        leaf = frames[-1]
        leaves[leaf] = leaves.get(leaf, 0) + count
        seen = set()
        innermost = None
        for frame in reversed(frames):
            for name, _, pattern in CATEGORIES:
                if pattern.search(frame):
                    seen.add(name)
                    if innermost is None:
                        innermost = name
                    break
        for name in seen:
            inclusive[name] += count
        for name, pattern in stages:
            if any(pattern.search(frame) for frame in frames):
                stage_counts[name] += count
        exclusive[innermost or "other"] += count
    if not total:
        return {"samples": 0}

    def pct(n: int) -> float:
        return round(100.0 * n / total, 1)

    descriptions = {name: text for name, text, _ in CATEGORIES}
    descriptions["other"] = "everything else (stdlib, interpreter)"
    rows = [
        {"category": name, "what": descriptions[name], "exclusive_pct": pct(exclusive[name]), "inclusive_pct": pct(inclusive.get(name, exclusive[name]))}
        for name in [*_INNERMOST_ORDER, "other"]
    ]
    rows.sort(key=lambda r: -r["exclusive_pct"])
    # socket_send and event_loop_wait are mostly a worker that is runnable but not running (it just woke PostgreSQL,
    # which took the core): shares of the rest say where the Python work itself goes.
    waiting = exclusive["socket_send"] + exclusive["event_loop_wait"]
    working = max(total - waiting, 1)
    work_rows = [
        {"category": r["category"], "pct_of_python_work": round(100.0 * exclusive[r["category"]] / working, 1)}
        for r in rows
        if r["category"] not in {"socket_send", "event_loop_wait"}
    ]
    hot = sorted(leaves.items(), key=lambda kv: -kv[1])[:top_functions]
    return {
        "samples": total,
        "categories": rows,
        "python_work_excluding_socket_send_and_wait": work_rows,
        "stages_inclusive_pct": {name: pct(n) for name, n in stage_counts.items()},
        "top_leaf_functions": [{"frame": frame, "pct": pct(n)} for frame, n in hot],
    }
