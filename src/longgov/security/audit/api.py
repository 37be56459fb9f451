"""Audit JSON API and pages for the audit administrator."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from longgov.security.audit.service import EventFilter, count_events, record, search_events, verify_chain
from longgov.security.audit.tags import RESULT_TITLES, TAG_TITLES
from longgov.security.permissions import Permission
from longgov.security.policy import require
from longgov.web.deps import Ctx
from longgov.web.render import page

Text = Annotated[str | None, QueryParameter(max_length=120)]
Seq = Annotated[int | None, QueryParameter(ge=1, le=2**62)]
PAGE_SIZE = 50


def _event_json(e: Any) -> dict[str, Any]:  # noqa: ANN401
    return {
        "seq": e.seq,
        "occurred_at": e.occurred_at.isoformat(),
        "tag": e.tag,
        "result": e.result,
        "actor_id": e.actor_id,
        "actor_name": e.actor_name,
        "actor_role": e.actor_role,
        "organisation": e.organisation,
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "ip": e.ip,
        "user_agent": e.user_agent,
        "request_id": e.request_id,
        "details": e.details,
        "hash": e.hash,
    }


class AuditController(Controller):
    """Read and verify the audit log."""

    path = "/api/v1/audit"
    tags = ["审计"]  # noqa: RUF012

    @get("/events", operation_id="auditListEvents", opt=require(Permission.AuditEventsRead))
    async def events(  # noqa: PLR0917 - one parameter per filter
        self,
        ctx: Ctx,
        actor: Text = None,
        tag: Text = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        before_seq: Seq = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """Events newest first; page with ``before_seq``."""
        rows = await search_events(ctx.session, EventFilter(actor=actor, tag=tag, since=since, until=until), limit=limit, before_seq=before_seq)
        record(ctx.session, "audit:events:read", actor=ctx.actor, meta=ctx.meta, details={"returned": len(rows)})
        return {"items": [_event_json(e) for e in rows], "next_before_seq": rows[-1].seq if len(rows) == limit else None}

    @post("/verify", operation_id="auditVerifyChain", opt=require(Permission.AuditChainVerify), status_code=200)
    async def verify(self, ctx: Ctx) -> dict[str, Any]:
        """Recompute the SM3 hash chain."""
        report = await verify_chain(ctx.session)
        record(
            ctx.session,
            "audit:chain:verify",
            actor=ctx.actor,
            meta=ctx.meta,
            result="success" if report.ok else "failure",
            details={"checked": report.checked, "first_bad_seq": report.first_bad_seq},
        )
        return {"ok": report.ok, "checked": report.checked, "first_bad_seq": report.first_bad_seq, "reason": report.reason}


@get("/admin/audit", operation_id="pageAdminAudit", opt=require(Permission.AuditEventsRead), include_in_schema=False)
async def audit_page(  # noqa: PLR0917 - one parameter per filter
    request: Request[Any, Any, Any],
    ctx: Ctx,
    actor: Text = None,
    tag: Text = None,
    since: Annotated[str | None, QueryParameter(max_length=20)] = None,
    until: Annotated[str | None, QueryParameter(max_length=20)] = None,
    result: Annotated[str | None, QueryParameter(pattern="^(success|failure|denied)?$")] = None,
    before_seq: Seq = None,
) -> Template:
    """审计日志 browser: filter by actor, action, time and result."""
    flt = EventFilter(actor=actor or None, tag=tag or None, since=_parse_day(since), until=_parse_day(until, end=True), result=result or None)
    rows = await search_events(ctx.session, flt, limit=PAGE_SIZE, before_seq=before_seq)
    record(ctx.session, "audit:events:read", actor=ctx.actor, meta=ctx.meta, details={"returned": len(rows)})
    total = await count_events(ctx.session)
    query = {k: v for k, v in {"actor": actor, "tag": tag, "since": since, "until": until, "result": result}.items() if v}
    return page(
        request,
        "audit/events.html",
        "admin",
        rows=rows,
        flt=query,
        total=total,
        tag_titles=TAG_TITLES,
        result_titles=RESULT_TITLES,
        next_before=rows[-1].seq if len(rows) == PAGE_SIZE else None,
        verify=None,
    )


@post("/admin/audit/verify", operation_id="pageAdminAuditVerify", opt=require(Permission.AuditChainVerify), include_in_schema=False)
async def audit_verify_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """Run the chain check from the browser."""
    report = await verify_chain(ctx.session)
    record(ctx.session, "audit:chain:verify", actor=ctx.actor, meta=ctx.meta, result="success" if report.ok else "failure", details={"checked": report.checked})
    rows = await search_events(ctx.session, EventFilter(), limit=PAGE_SIZE)
    total = await count_events(ctx.session)
    return page(
        request,
        "audit/events.html",
        "admin",
        rows=rows,
        flt={},
        total=total,
        tag_titles=TAG_TITLES,
        result_titles=RESULT_TITLES,
        next_before=rows[-1].seq if len(rows) == PAGE_SIZE else None,
        verify=report,
    )


def _parse_day(value: str | None, *, end: bool = False) -> datetime | None:
    from datetime import timedelta  # noqa: PLC0415
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    except ValueError:
        return None
    return day + timedelta(days=1) if end else day


route_handlers: list[ControllerRouterHandler] = [AuditController, audit_page, audit_verify_page]
