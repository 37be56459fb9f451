"""``licence_verify``: in-process SM2 verification throughput on one core (no server, no database).

    uv run python -m bench.licence_verify [--duration 5] [--no-pin]

What is timed, each in its own closed loop for ``--duration`` seconds after a short warm-up, in this
process, pinned to one CPU (``os.sched_setaffinity``) unless ``--no-pin``:

* ``sm2_verify`` — one SM2-with-SM3 signature check of a sealed licence's canonical claims
  (``longgov.security.crypto.sm2_verify``: Z value, SM3, gmssl-pyx verification). Target: ≥ 1,500/s.
* ``seal_check`` — the whole check of a sealed licence document (``sealing.check_seal``: structure,
  GB/T 36904 identifier with its check character, JCS canonicalisation, SM2).
* ``presentation_offline`` — a whole offline presentation check (``offline.verify_offline``: signed
  trust list and status list read, platform proof, issuer-signed disclosure manifest, salted SM3
  digests of the disclosed fields, expiry and status). Four SM2 verifications per presentation (trust
  list, status list, proof, manifest), so this is the cost of a verifier that re-reads its lists each
  time; ``presentation_checks`` keeps the lists parsed and does the two per-presentation SM2 checks.

Keys and documents are generated in memory. Writes ``bench/results/licence_verify.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from longgov.licences import offline, sealing
from longgov.licences.canonical import canonical_json
from longgov.licences.catalogue import government_uscc, type_by_key
from longgov.licences.identifiers import make_identifier
from longgov.security.crypto import generate_sm2_keypair, sm2_sign, sm2_verify, sm3_hex

if TYPE_CHECKING:
    from collections.abc import Callable

RESULTS = Path(__file__).resolve().parent / "results" / "licence_verify.json"
TARGET_PER_SECOND = 1500


def _claims(issuer_uscc: str) -> dict[str, Any]:
    licence_type = type_by_key("business_licence")
    if licence_type is None:
        msg = "business_licence is missing from the catalogue"
        raise RuntimeError(msg)
    return sealing.claims(
        identifier=make_identifier(licence_type.code, issuer_uscc, "00012345", 1),
        type_code=licence_type.code,
        type_name=licence_type.name,
        number="91620102MA71K3Q5XB",
        holder_name="兰州黄河云数据科技有限公司",
        holder_id_type="统一社会信用代码",
        holder_id_number="91620102MA71K3Q5XB",
        issuer_name="兰州市城关区市场监督管理局",
        issuer_uscc=issuer_uscc,
        issuer_division="620102",
        issued_on=date(2020, 5, 1),
        valid_from=date(2020, 5, 1),
        valid_until=None,
        trust_level="A",
        version=1,
        status_index=1,
        data={
            "uscc": "91620102MA71K3Q5XB",
            "name": "兰州黄河云数据科技有限公司",
            "entity_type": "有限责任公司",
            "legal_representative": "张三",
            "domicile": "甘肃省兰州市城关区庆阳路1号",
            "registered_capital": "100万元人民币",
            "established_on": "2020-05-01",
            "business_scope": "数据处理和存储支持服务",
        },
    )


def _fixtures() -> dict[str, Any]:
    """A sealed licence, a presentation of it and the platform's signed trust and status lists."""
    platform_key, seal_key = generate_sm2_keypair(), generate_sm2_keypair()
    uscc = government_uscc("620102-market_regulation", "620102")
    claims = _claims(uscc)
    seal_id, platform_id = sm3_hex(seal_key.public_key), sm3_hex(platform_key.public_key)
    now = datetime.now(UTC)
    document = sealing.sealed_document(
        claims, key_id=seal_id, issuer_uscc=uscc, signed_at=now, signature=sm2_sign(seal_key.private_key, sealing.signed_bytes(claims))
    )
    salts = offline.new_salts(list(offline.selectable_values(claims)))
    manifest = offline.manifest_body(claims, salts, document_sm3=sm3_hex(sealing.signed_bytes(claims)), created_at=now)
    seal = offline.signature_block(seal_id, sm2_sign(seal_key.private_key, canonical_json(manifest)), attestedBy="issuer")
    values = offline.selectable_values(claims)
    chosen = [*offline.ALWAYS_DISCLOSED, "data.legal_representative"]
    body = offline.presentation_body(
        presentation_id="bench",
        manifest={"body": manifest, "seal": seal},
        disclosed={p: values[p] for p in chosen},
        salts={p: salts[p] for p in chosen},
        purpose="基准测试",
        verifier=None,
        single_use=False,
        issued_at=now,
        expires_at=now + timedelta(hours=1),
    )
    presentation = {
        "format": offline.PRESENTATION_FORMAT,
        "presentation": body,
        "proof": offline.signature_block(platform_id, sm2_sign(platform_key.private_key, canonical_json(body))),
    }
    seal_entry = offline.TrustedKey(seal_id, seal_key.public_key, uscc, "兰州市城关区市场监督管理局")
    trust_body = {
        "format": offline.TRUST_LIST_FORMAT,
        "generatedAt": now.isoformat(timespec="seconds"),
        "validUntil": (now + timedelta(days=7)).isoformat(timespec="seconds"),
        "entries": [offline.trust_entry(seal_entry)],
    }
    status_body = {"format": offline.STATUS_LIST_FORMAT, "generatedAt": now.isoformat(timespec="seconds"), "entries": []}
    return {
        "message": sealing.signed_bytes(claims),
        "signature": sm2_sign(seal_key.private_key, sealing.signed_bytes(claims)),
        "seal_public": seal_key.public_key,
        "document": document,
        "trusted_seals": {seal_id: (seal_key.public_key, uscc)},
        "presentation": presentation,
        "platform_public": platform_key.public_key,
        "trust_list": {"list": trust_body, "seal": offline.signature_block(platform_id, sm2_sign(platform_key.private_key, canonical_json(trust_body)))},
        "status_list": {"list": status_body, "seal": offline.signature_block(platform_id, sm2_sign(platform_key.private_key, canonical_json(status_body)))},
    }


def _loop(name: str, work: Callable[[], bool], duration: float, warmup: float) -> dict[str, Any]:
    end = time.perf_counter() + warmup
    while time.perf_counter() < end:
        if not work():
            msg = f"{name}: the check failed"
            raise RuntimeError(msg)
    count, failures = 0, 0
    latencies: list[float] = []
    start = time.perf_counter()
    end = start + duration
    while True:
        t0 = time.perf_counter()
        if t0 >= end:
            break
        ok = work()
        latencies.append(time.perf_counter() - t0)
        count += 1
        failures += not ok
    elapsed = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 4)  # noqa: E731
    return {
        "per_second": round(count / elapsed, 1),
        "operations": count,
        "failures": failures,
        "latency_ms": {"p50": pick(0.50), "p99": pick(0.99), "max": round(latencies[-1] * 1000, 4)},
    }


def _git() -> tuple[str | None, bool | None]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return None, None
    return commit, dirty


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="licence_verify: in-process SM2 verification throughput on one core")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per loop")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds of warm-up per loop")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the process to one CPU")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    pinned = None
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        pinned = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {pinned})
    f = _fixtures()
    trust = offline.read_trust_list(f["trust_list"], f["platform_public"], datetime.now(UTC))
    if isinstance(trust, sealing.Problem):
        raise SystemExit(trust.reason)

    def presentation_checks() -> bool:
        checked = offline.check_presentation(f["presentation"], trust)
        return not isinstance(checked, sealing.Problem) and offline.time_problem(checked, datetime.now(UTC)) is None

    loops = {
        "sm2_verify": lambda: sm2_verify(f["seal_public"], f["message"], f["signature"]),
        "seal_check": lambda: not isinstance(sealing.check_seal(f["document"], f["trusted_seals"]), sealing.Problem),
        "presentation_checks": presentation_checks,
        "presentation_offline": lambda: (
            offline.verify_offline(f["presentation"], f["trust_list"], f["status_list"], platform_public_key=f["platform_public"]).valid
        ),
    }
    results = {name: _loop(name, work, args.duration, args.warmup) for name, work in loops.items()}
    commit, dirty = _git()
    report = {
        "scenario": "licence_verify",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "git_dirty": dirty,
        "machine": {"nproc": os.cpu_count(), "cpu_model": _cpu_model(), "python": platform.python_version(), "pinned_cpu": pinned},
        "target_sm2_verify_per_second": TARGET_PER_SECOND,
        "meets_target": results["sm2_verify"]["per_second"] >= TARGET_PER_SECOND,
        "duration_s": args.duration,
        "loops": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    for name, result in results.items():
        print(f"{name:<22} {result['per_second']:>9.1f}/s  p50 {result['latency_ms']['p50']:.3f} ms  p99 {result['latency_ms']['p99']:.3f} ms")
    print(f"target sm2_verify ≥ {TARGET_PER_SECOND}/s: {'met' if report['meets_target'] else 'NOT met'} → {args.output}")
    return 0 if report["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
