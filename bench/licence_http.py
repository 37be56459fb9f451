"""The ``licence_verify`` scenario: ``POST /api/v1/licences/verify`` under load, with a realistic mix of what verifiers send.

Seeding (:func:`seed`, in the orchestrator before the server takes load, through the real services as
the system or as the holder): sealed licences of several types and issuers —

* 营业执照 and 食品经营许可证 of four market-regulation departments (城关、七里河、西固、安宁) for synthetic
  enterprises, 居民身份证 (城关区公安分局) and 社会保障卡 (城关区人社局) for the registered bench persons;
* some revoked (``revoke_licence``) and some long expired (issued with past dates);
* for each bench person a presentation (用证) of their identity card, reusable for a day, disclosing the
  address, made by ``presentations.create_presentation`` with the person as the actor; and the VC export of
  their social security card (``export_credential``).

The request mix (``MIX``: kind, weight, expected ``code``) is expanded into a list of pre-encoded requests,
shuffled; every connection walks it from its own offset. Tampered documents change the holder's name
after sealing; tampered presentations change a disclosed value. Before the load each distinct body is
sent once and its ``code`` compared with the expected one (``probe``): a wrong answer stops the bench.
After the load, ``--trace`` requests of each kind run in the load generator's process against the app
object (SQL statements, driver time and wall time per request).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.client import Connection, encode_request
from bench.loadgen import HOST, Recorder, Window, _hammer, _mark_window, _run_bounded, percentiles

if TYPE_CHECKING:
    import argparse

PATH = "/api/v1/licences/verify"
MARKET_ISSUERS = ("620102-market_regulation", "620103-market_regulation", "620104-market_regulation", "620105-market_regulation")
POLICE_ISSUER = "620102-public_security"
HR_ISSUER = "620102-human_resources"
ENTERPRISES = 240
REVOKED_EVERY = 8  # every 8th enterprise licence is revoked
EXPIRED = 24
# (kind, weight in %, expected answer code)
MIX: tuple[tuple[str, int, str], ...] = (
    ("document_valid", 45, "valid"),
    ("document_tampered", 10, "signature_invalid"),
    ("document_revoked", 10, "revoked"),
    ("document_expired", 5, "expired"),
    ("presentation_valid", 15, "valid"),
    ("presentation_wrapped", 5, "valid"),
    ("presentation_tampered", 5, "signature_invalid"),
    ("credential_valid", 5, "valid"),
)
MIX_SIZE = 2000
STAFF_PASSWORD = "Bench2024load!"  # noqa: S105 - throw-away accounts in a throw-away database


def _enterprise_fields(rng: random.Random, uscc: str, name: str) -> dict[str, str]:
    return {
        "uscc": uscc,
        "name": name,
        "entity_type": rng.choice(("有限责任公司", "股份有限公司", "个人独资企业")),
        "legal_representative": rng.choice("王李张刘陈杨赵") + rng.choice(("伟", "芳", "敏", "强", "军", "洋")),
        "domicile": f"甘肃省兰州市城关区庆阳路{rng.randint(1, 500)}号",
        "registered_capital": f"{rng.randint(10, 5000)}万元人民币",
        "established_on": f"{rng.randint(2005, 2023)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        "business_scope": "食品销售；餐饮服务；日用百货销售",
    }


def _food_fields(rng: random.Random, uscc: str, name: str) -> dict[str, str]:
    address = f"甘肃省兰州市七里河区西津西路{rng.randint(1, 500)}号"
    return {
        "operator_name": name,
        "uscc": uscc,
        "legal_representative": "王五",
        "domicile": address,
        "premises": address,
        "business_form": "食品销售经营者",
        "business_items": "预包装食品销售（含冷藏冷冻食品）",
    }


async def seed(settings: Any, persons: list[dict[str, str]]) -> dict[str, Any]:  # noqa: ANN401, PLR0915 - one linear seeding procedure
    """Issue, revoke, present and export through the services; the request pools by kind."""
    from sqlalchemy import select  # noqa: PLC0415

    from longgov.identity.codes import make_uscc  # noqa: PLC0415
    from longgov.identity.schemas import NewStaff  # noqa: PLC0415
    from longgov.identity.services import create_staff, principal_by_login  # noqa: PLC0415
    from longgov.licences import presentations, services  # noqa: PLC0415
    from longgov.licences.models import LicenceVersion  # noqa: PLC0415
    from longgov.licences.schemas import HolderInput, PresentationRequest  # noqa: PLC0415
    from longgov.platform import Platform, ServiceContext  # noqa: PLC0415

    rng = random.Random(20261128)  # noqa: S311 - reproducible test data
    platform = Platform.build(settings)
    pools: dict[str, list[Any]] = {kind: [] for kind, _, _ in MIX}
    counts = {"licences": 0, "revoked": 0, "expired": 0, "presentations": 0, "credentials": 0}

    async def document(ctx: ServiceContext, licence_id: Any) -> dict[str, Any]:  # noqa: ANN401
        version = (await ctx.session.execute(select(LicenceVersion).where(LicenceVersion.licence_id == licence_id))).scalars().first()
        assert version is not None  # noqa: S101
        return services._document_of(ctx, version)  # noqa: SLF001 - the bench reads the stored sealed JSON

    try:
        enterprise_ids: list[tuple[Any, bool]] = []
        async with platform.db.transaction() as session:
            ctx = ServiceContext(session=session, platform=platform)
            for i in range(ENTERPRISES):
                uscc = make_uscc("9", "1", "620102", f"{i + 30_000_000:08d}")
                name = f"兰州压测{i:03d}商贸有限公司"
                issuer = MARKET_ISSUERS[i % len(MARKET_ISSUERS)]
                holder = HolderInput(kind="enterprise", name=name, id_number=uscc)
                if i % 2:
                    view = await services.issue_licence(ctx, "营业执照", issuer, holder, _enterprise_fields(rng, uscc, name), number=uscc)
                else:
                    view = await services.issue_licence(ctx, "食品经营许可证", issuer, holder, _food_fields(rng, uscc, name), number=f"JY1{uscc[2:8]}{i:08d}")
                enterprise_ids.append((view.id, i % REVOKED_EVERY == REVOKED_EVERY - 1))
            for i in range(EXPIRED):
                uscc = make_uscc("9", "1", "620102", f"{i + 40_000_000:08d}")
                name = f"兰州过期{i:03d}商贸有限公司"
                holder = HolderInput(kind="enterprise", name=name, id_number=uscc)
                view = await services.issue_licence(
                    ctx,
                    "营业执照",
                    MARKET_ISSUERS[i % len(MARKET_ISSUERS)],
                    holder,
                    _enterprise_fields(rng, uscc, name),
                    number=uscc,
                    issued_on=date(2012, 3, 1),
                    valid_from=date(2012, 3, 1),
                    valid_until=date(2018, 2, 28),
                )
                pools["document_expired"].append(await document(ctx, view.id))
                counts["expired"] += 1
            # Revocation is a decision of the issuing department's staff: one department leader per issuer.
            stamp = f"{int(time.time()) % 10**8:08d}"
            leaders = {}
            for k, issuer in enumerate(MARKET_ISSUERS):
                staff = NewStaff(
                    username=f"lv{stamp}s{k}", display_name="压测科长", organisation_code=issuer, roles=["department_leader"], password=STAFF_PASSWORD
                )
                created = await create_staff(ctx, staff)
                leaders[issuer] = await principal_by_login(ctx, "staff", staff.username)
                assert created.account_id is not None  # noqa: S101
            for n, (licence_id, revoke) in enumerate(enterprise_ids):
                doc = await document(ctx, licence_id)
                if revoke:
                    leader_ctx = ServiceContext(session=session, platform=platform, actor=leaders[MARKET_ISSUERS[n % len(MARKET_ISSUERS)]])
                    await services.revoke_licence(leader_ctx, licence_id, "压测：吊销")
                    pools["document_revoked"].append(doc)
                    counts["revoked"] += 1
                else:
                    pools["document_valid"].append(doc)
                    tampered = json.loads(json.dumps(doc))
                    tampered["licence"]["holder"]["name"] += "（变造）"
                    pools["document_tampered"].append(tampered)
            counts["licences"] = len(enterprise_ids) + EXPIRED
        for i, person in enumerate(persons):
            async with platform.db.transaction() as session:
                ctx = ServiceContext(session=session, platform=platform)
                actor = await principal_by_login(ctx, "person", person["identifier"])
                assert actor is not None  # noqa: S101 - registered by bench.run
                name = actor.display_name
                holder = HolderInput(kind="person", name=name, id_number=person["identifier"])
                birth = f"{person['identifier'][6:10]}-{person['identifier'][10:12]}-{person['identifier'][12:14]}"
                card = await services.issue_licence(
                    ctx,
                    "居民身份证",
                    POLICE_ISSUER,
                    holder,
                    {
                        "name": name,
                        "sex": "男" if int(person["identifier"][16]) % 2 else "女",
                        "ethnicity": "汉族",
                        "birth_date": birth,
                        "address": f"甘肃省兰州市城关区测试路{i + 1}号",
                        "id_number": person["identifier"],
                    },
                    number=person["identifier"],
                )
                social = await services.issue_licence(
                    ctx,
                    "社会保障卡",
                    HR_ISSUER,
                    holder,
                    {"name": name, "social_security_number": person["identifier"], "issuing_bank": "中国工商银行兰州分行", "card_issued_on": "2020-06-01"},
                )
                counts["licences"] += 2
                pools["document_valid"].append(await document(ctx, card.id))
                holder_ctx = ServiceContext(session=session, platform=platform, actor=actor)
                request = PresentationRequest(purpose="开立银行账户（压测）", fields=["data.address", "data.sex"], expires_in=86400)
                shown = await presentations.create_presentation(holder_ctx, card.id, request)
                assert shown.document is not None  # noqa: S101
                pools["presentation_valid"].append(shown.document)
                pools["presentation_wrapped"].append({"presentation": shown.document, "verifier": "兰州银行城关支行"})
                tampered = json.loads(json.dumps(shown.document))
                tampered["presentation"]["disclosed"]["data.address"] = "甘肃省兰州市城关区变造路1号"
                pools["presentation_tampered"].append(tampered)
                pools["credential_valid"].append(await services.export_credential(holder_ctx, social.id))
                counts["presentations"] += 1
                counts["credentials"] += 1
    finally:
        await platform.db.dispose()
    return {"pools": pools, "counts": counts}


def request_list(pools: dict[str, list[Any]], host: str, *, size: int = MIX_SIZE, seed: int = 7) -> tuple[list[bytes], list[str]]:
    """``size`` requests in the proportions of :data:`MIX` (each kind cycling over its pool), shuffled; and their kinds."""
    rng = random.Random(seed)  # noqa: S311
    encoded = {kind: [_encode(body, host) for body in bodies] for kind, bodies in pools.items()}
    chosen: list[tuple[str, bytes]] = []
    for kind, weight, _ in MIX:
        pool = encoded[kind]
        chosen += [(kind, pool[j % len(pool)]) for j in range(size * weight // 100)]
    rng.shuffle(chosen)
    return [r for _, r in chosen], [k for k, _ in chosen]


def _encode(body: Any, host: str) -> bytes:  # noqa: ANN401 - a JSON value
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return encode_request("POST", PATH, host, headers={"content-type": "application/json"}, body=data)


async def probe(port: int, pools: dict[str, list[Any]]) -> dict[str, Any]:
    """Send every distinct body once; the codes answered per kind (and any mismatch with ``MIX``)."""
    expected = {kind: code for kind, _, code in MIX}
    host = f"{HOST}:{port}"
    answered: dict[str, dict[str, int]] = {}
    mismatches: list[str] = []
    conn = Connection(HOST, port)
    try:
        for kind, bodies in pools.items():
            seen = answered.setdefault(kind, {})
            for body in bodies:
                response = await conn.request(_encode(body, host))
                code = json.loads(response.body).get("code") if response.status == 200 else f"HTTP {response.status}"
                seen[str(code)] = seen.get(str(code), 0) + 1
                if code != expected[kind] and len(mismatches) < 5:
                    mismatches.append(f"{kind}: expected {expected[kind]}, got {code}: {response.body[:200]!r}")
    finally:
        conn.close()
    return {"codes_by_kind": answered, "mismatches": mismatches}


async def trace(pools: dict[str, list[Any]], rounds: int) -> dict[str, Any]:
    """``rounds`` requests of each kind in process (after one warm-up each): median wall time, statements, driver time."""
    from bench.trace import _short, app_client, capture, summarise  # noqa: PLC0415

    client, platform = app_client()
    # libgmssl prints a trace to stderr for each signature that fails to verify (the tampered kinds).
    quiet = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    os.dup2(quiet, 2)
    out: dict[str, Any] = {
        "what": (
            "in-process (httpx ASGI transport, one request at a time, idle server): SQL statements per request "
            "(SQLAlchemy cursor events) and their summed driver time db_ms; median round by wall time"
        ),
        "rounds": rounds,
    }
    try:
        for kind, _, _ in MIX:
            samples = []
            # The same body each round: round 0 warms the worker's caches (seal keys), the others are measured.
            body = pools[kind][0]
            for i in range(rounds + 1):
                with capture() as log:
                    t0 = time.perf_counter()
                    r = await client.post(PATH, json=body)
                    wall = (time.perf_counter() - t0) * 1000.0
                if i:
                    sql = [_short(s) for s in log.statements]
                    samples.append({"status": r.status_code, "code": r.json().get("code"), "wall_ms": round(wall, 3), **summarise(log), "sql": sql})
            ordered = sorted(samples, key=lambda s: s["wall_ms"])
            out[kind] = ordered[len(ordered) // 2] if ordered else None
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(quiet)
        await client.aclose()
        await platform.db.dispose()
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Probe, closed loop over the mix, then the in-process trace."""
    fixtures = json.loads(Path(args.licence_fixtures).read_text(encoding="utf-8"))  # noqa: ASYNC240 - before any load
    pools: dict[str, list[Any]] = fixtures["pools"]
    checked = await probe(args.port, pools)
    if checked["mismatches"]:
        msg = "licence_verify probe: unexpected answers: " + " | ".join(checked["mismatches"])
        raise SystemExit(msg)
    requests, _ = request_list(pools, f"{HOST}:{args.port}")
    rec = Recorder()
    now = time.perf_counter()
    window = Window(now + args.warmup, now + args.warmup + args.duration)
    cpu: dict[str, float] = {}
    marker = asyncio.create_task(_mark_window(window, cpu))
    step = max(1, len(requests) // max(1, args.concurrency))
    await _run_bounded([_hammer(args.port, requests, i * step, window, rec) for i in range(args.concurrency)], window, rec)
    await marker
    cpu_s = cpu["stop"] - cpu["start"]
    result: dict[str, Any] = {
        "path": f"POST {PATH}",
        "mix": [{"kind": kind, "weight_pct": weight, "expected_code": code, "distinct_bodies": len(pools[kind])} for kind, weight, code in MIX],
        "seeded": fixtures["counts"],
        "probe": checked["codes_by_kind"],
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
    if args.trace:
        result["db_trace"] = await trace(pools, args.trace)
    return result
