"""Evaluation pages: the applicant's rating page, the department's rectifications and the statistics."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from pydantic import ValidationError

from longgov.evaluation import services
from longgov.evaluation.schemas import SCORE_TITLES, PhoneRevisitInput, RatingInput
from longgov.kernel.errors import AppError, ValidationFailed
from longgov.kernel.registry import Portal
from longgov.security.permissions import Permission
from longgov.security.policy import require
from longgov.web.deps import Ctx
from longgov.web.render import page, redirect

_RATE = require(Permission.EvaluationOwnRate)
_READ = require(Permission.EvaluationRatingsRead)
_HANDLE = require(Permission.EvaluationRectificationsHandle)


def _portal(ctx: Ctx) -> Portal:
    return "enterprise" if ctx.actor is not None and ctx.actor.kind == "enterprise" else "citizen"


async def _posted(request: Request[Any, Any, Any]) -> dict[str, str]:
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - an unreadable body is an empty form
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _rating_input(posted: dict[str, str]) -> RatingInput:
    try:
        return RatingInput(score=posted.get("score", ""), comment=posted.get("comment") or None)
    except ValidationError as exc:
        raise ValidationFailed("请选择 1–5 分的满意度，评价内容不超过 1000 字", details={"score": "请选择满意度"}) from exc


async def _rate_page(request: Request[Any, Any, Any], ctx: Ctx, number: str, *, error: AppError | None = None, message: str | None = None) -> Template:
    state = await services.rating_state(ctx, number)
    return page(
        request,
        "evaluation/rate.html",
        _portal(ctx),
        status_code=error.status_code if error else 200,
        state=state,
        scores=SCORE_TITLES,
        back=f"/{_portal(ctx)}/applications/{number}",
        error=error,
        message=message,
    )


@get(
    ["/citizen/applications/{number:str}/rate", "/enterprise/applications/{number:str}/rate"],
    operation_id="pageEvaluationRate",
    opt=_RATE,
    include_in_schema=False,
)
async def rate_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Template:
    """好差评: rate a concluded application, or answer the re-visit after a rectification."""
    return await _rate_page(request, ctx, number)


@post(
    ["/citizen/applications/{number:str}/rate", "/enterprise/applications/{number:str}/rate"],
    operation_id="pageEvaluationRateSubmit",
    opt=_RATE,
    include_in_schema=False,
)
async def rate_submit_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Template:
    """The posted rating (``kind=rating``) or re-visit answer (``kind=revisit``)."""
    posted = await _posted(request)
    try:
        data = _rating_input(posted)
        if posted.get("kind") == "revisit":
            await services.revisit(ctx, number, data)
            message = "感谢您的回访评价"
        else:
            await services.rate(ctx, number, data)
            message = "感谢您的评价"
    except AppError as error:
        if error.status_code == 404:  # noqa: PLR2004
            raise
        await ctx.session.rollback()
        return await _rate_page(request, ctx, number, error=error)
    return await _rate_page(request, ctx, number, message=message)


@get("/workbench/rectifications", operation_id="pageEvaluationRectifications", opt=_READ, include_in_schema=False)
async def rectifications_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """整改督办: rectifications of the department in scope; the department leader writes the result."""
    return await _rectifications(request, ctx)


async def _rectifications(request: Request[Any, Any, Any], ctx: Ctx, *, error: AppError | None = None) -> Template:
    items = await services.list_rectifications(ctx)
    can_handle = ctx.actor is not None and ctx.actor.has(str(Permission.EvaluationRectificationsHandle))
    return page(
        request,
        "evaluation/rectifications.html",
        "workbench",
        status_code=error.status_code if error else 200,
        items=items,
        can_handle=can_handle,
        scores=SCORE_TITLES,
        error=error,
    )


@post("/workbench/rectifications/{rectification_id:str}", operation_id="pageEvaluationRectificationComplete", opt=_HANDLE, include_in_schema=False)
async def rectification_complete_page(request: Request[Any, Any, Any], ctx: Ctx, rectification_id: FromPath[str]) -> Response[Any] | Template:
    """The department leader's rectification result."""
    target = services.parse_id(rectification_id)
    posted = await _posted(request)
    try:
        await services.complete_rectification(ctx, target, posted.get("result", "")[:2000])
    except AppError as error:
        if error.status_code == 404:  # noqa: PLR2004
            raise
        await ctx.session.rollback()
        return await _rectifications(request, ctx, error=error)
    return redirect("/workbench/rectifications")


@post(
    "/workbench/rectifications/{rectification_id:str}/phone-revisit",
    operation_id="pageEvaluationPhoneRevisit",
    opt=_HANDLE,
    include_in_schema=False,
)
async def phone_revisit_page(request: Request[Any, Any, Any], ctx: Ctx, rectification_id: FromPath[str]) -> Response[Any] | Template:
    """电话回访: the applicant's answer given by phone, recorded by the department."""
    target = services.parse_id(rectification_id)
    posted = await _posted(request)
    try:
        rating = _rating_input(posted)
        await services.record_phone_revisit(ctx, target, PhoneRevisitInput(score=rating.score, comment=rating.comment))
    except AppError as error:
        if error.status_code == 404:  # noqa: PLR2004
            raise
        await ctx.session.rollback()
        return await _rectifications(request, ctx, error=error)
    return redirect("/workbench/rectifications")


@get("/workbench/ratings", operation_id="pageEvaluationStats", opt=_READ, include_in_schema=False)
async def stats_page(request: Request[Any, Any, Any], ctx: Ctx, by: FromQuery[Literal["item", "department"]] = "item") -> Template:
    """好差评统计: per item or per department."""
    return page(request, "evaluation/stats.html", "workbench", stats=await services.stats(ctx, by))


route_handlers = [rate_page, rate_submit_page, rectifications_page, rectification_complete_page, phone_revisit_page, stats_page]
