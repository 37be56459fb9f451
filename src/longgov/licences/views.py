"""Licence pages: the wallet (卡包) of citizens and enterprises, the issuing staff's pages, the public check page."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from longgov.kernel.errors import AppError, ValidationFailed
from longgov.kernel.registry import Portal
from longgov.licences import services
from longgov.licences.catalogue import TRUST_TITLES, licence_types
from longgov.security.permissions import Permission
from longgov.security.policy import PUBLIC, require
from longgov.web.deps import Ctx
from longgov.web.render import page, redirect

PAGE_SIZE = 20
_OWN = require(Permission.LicencesOwnRead)
_STAFF = require(Permission.LicencesIssuedRead)
_MANAGE = require(Permission.LicencesIssuedManage)
CheckCode = Annotated[str | None, QueryParameter(max_length=64)]
PageNo = Annotated[int, QueryParameter(ge=1, le=10_000)]
StatusFilter = Annotated[str | None, QueryParameter(max_length=12)]


def _portal(ctx: Ctx) -> Portal:
    return "enterprise" if ctx.actor is not None and ctx.actor.kind == "enterprise" else "citizen"


@get(["/citizen/licences", "/enterprise/licences"], operation_id="pageLicenceWallet", opt=_OWN, include_in_schema=False)
async def wallet_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """卡包: one card per licence."""
    items = await services.my_licences(ctx)
    return page(request, "licences/wallet.html", _portal(ctx), items=items, base=f"/{_portal(ctx)}/licences")


@get(["/citizen/licences/{licence_ref:str}", "/enterprise/licences/{licence_ref:str}"], operation_id="pageLicenceDetail", opt=_OWN, include_in_schema=False)
async def detail_page(request: Request[Any, Any, Any], ctx: Ctx, licence_ref: FromPath[str]) -> Template:
    """A licence: its data (personal items masked), downloads and history."""
    licence_id = services.parse_licence_id(licence_ref)
    licence = await services.get_licence(ctx, licence_id)
    history = await services.licence_history(ctx, licence_id)
    return page(
        request,
        "licences/detail.html",
        _portal(ctx),
        licence=licence,
        history=history,
        trust_title=TRUST_TITLES.get(licence.trust_level, licence.trust_level),
        base=f"/{_portal(ctx)}/licences",
    )


@get("/workbench/licences", operation_id="pageLicencesIssued", opt=_STAFF, include_in_schema=False)
async def issued_page(request: Request[Any, Any, Any], ctx: Ctx, status: StatusFilter = None, type_code: StatusFilter = None, page_no: PageNo = 1) -> Template:
    """Licences the staff member's department issued in its region."""
    items, total = await services.issued_licences(ctx, status=status, type_code=type_code or None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    return page(
        request,
        "licences/workbench_list.html",
        "workbench",
        items=items,
        total=total,
        status=status or "",
        page_no=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        types=licence_types(),
        type_code=type_code or "",
    )


async def _staff_detail(
    request: Request[Any, Any, Any], ctx: Ctx, licence_id: uuid.UUID, *, error: AppError | None = None, message: str | None = None
) -> Template:
    licence = await services.get_licence(ctx, licence_id)
    history = await services.licence_history(ctx, licence_id)
    may_manage = ctx.actor is not None and ctx.actor.has(Permission.LicencesIssuedManage)
    return page(
        request,
        "licences/workbench_detail.html",
        "workbench",
        status_code=error.status_code if error else 200,
        licence=licence,
        history=history,
        may_manage=may_manage,
        error=error,
        message=message,
        trust_title=TRUST_TITLES.get(licence.trust_level, licence.trust_level),
    )


@get("/workbench/licences/{licence_ref:str}", operation_id="pageLicenceIssued", opt=_STAFF, include_in_schema=False)
async def issued_detail_page(request: Request[Any, Any, Any], ctx: Ctx, licence_ref: FromPath[str]) -> Template:
    """A licence for the issuing staff, with suspend / reinstate / revoke / renew."""
    licence_id = services.parse_licence_id(licence_ref)
    return await _staff_detail(request, ctx, licence_id)


_ACTIONS = {"suspend": "已暂停", "reinstate": "已恢复", "revoke": "已吊销", "renew": "已延续"}


@post("/workbench/licences/{licence_ref:str}/{action:str}", operation_id="pageLicenceAction", opt=_MANAGE, include_in_schema=False)
async def action_page(request: Request[Any, Any, Any], ctx: Ctx, licence_ref: FromPath[str], action: FromPath[str]) -> Response[Any] | Template:
    """Suspend, reinstate, revoke or renew from the staff page."""
    licence_id = services.parse_licence_id(licence_ref)
    licence_id = services.parse_licence_id(licence_ref)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    reason = form.get("reason", "").strip()
    try:
        if action not in _ACTIONS:
            raise ValidationFailed("不支持的操作", code="unknown_action")
        if len(reason) < 2 or len(reason) > 500:  # noqa: PLR2004
            raise ValidationFailed("请填写理由（2至500字）", code="reason_required", details={"reason": "请填写理由"})
        if action == "suspend":
            await services.suspend_licence(ctx, licence_id, reason)
        elif action == "reinstate":
            await services.reinstate_licence(ctx, licence_id, reason)
        elif action == "revoke":
            await services.revoke_licence(ctx, licence_id, reason)
        else:
            until_raw = form.get("valid_until", "").strip()
            try:
                until = date.fromisoformat(until_raw) if until_raw else None
            except ValueError as exc:
                raise ValidationFailed("有效期格式错误，应为 YYYY-MM-DD", code="validity_invalid") from exc
            await services.renew_licence(ctx, licence_id, until, reason)
    except AppError as error:
        await ctx.session.rollback()
        return await _staff_detail(request, ctx, licence_id, error=error)
    return redirect(f"/workbench/licences/{licence_id}?done={action}")


@get("/verify/licences/{identifier:str}", operation_id="pageLicenceCheck", opt=PUBLIC, include_in_schema=False)
async def check_page(request: Request[Any, Any, Any], ctx: Ctx, identifier: FromPath[str], c: CheckCode = None) -> Template:
    """The page a licence's QR code opens: whether it is valid now (no personal data)."""
    result = await services.check_page(ctx, identifier[:120], c)
    return page(request, "licences/check.html", "citizen", status_code=200 if result else 404, result=result)


route_handlers = [wallet_page, detail_page, issued_page, issued_detail_page, action_page, check_page]
