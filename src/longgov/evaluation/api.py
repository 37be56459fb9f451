"""Evaluation JSON API (``/api/v1/evaluation``): rating, re-visit, rectifications and statistics."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from longgov.evaluation import services
from longgov.evaluation.schemas import PhoneRevisitInput, RatingInput, RatingState, RatingView, RectificationResult, RectificationView, StatsView
from longgov.security.permissions import Permission
from longgov.security.policy import require
from longgov.web.deps import Ctx

_RATE = require(Permission.EvaluationOwnRate)
_READ = require(Permission.EvaluationRatingsRead)
_HANDLE = require(Permission.EvaluationRectificationsHandle)

RectificationStatus = Literal["open", "rectified", "revisited"]


class EvaluationController(Controller):
    """好差评: the applicant's rating and re-visit, the department's rectifications and the statistics."""

    path = "/api/v1/evaluation"
    tags = ["好差评"]  # noqa: RUF012

    @get("/applications/{number:str}", operation_id="evaluationRatingState", opt=_RATE)
    async def rating_state(self, ctx: Ctx, number: FromPath[str]) -> RatingState:
        """Whether one's own application may be rated or re-visited, and its rating so far."""
        return await services.rating_state(ctx, number)

    @post("/applications/{number:str}/rating", operation_id="evaluationRate", opt=_RATE, status_code=201)
    async def rate(self, ctx: Ctx, number: FromPath[str], data: JSONBody[RatingInput]) -> RatingView:
        """Rate one's own concluded application, once (1 非常不满意 … 5 非常满意)."""
        return await services.rate(ctx, number, data)

    @post("/applications/{number:str}/revisit", operation_id="evaluationRevisit", opt=_RATE, status_code=201)
    async def revisit(self, ctx: Ctx, number: FromPath[str], data: JSONBody[RatingInput]) -> RatingView:
        """回访: rate again after the department's rectification."""
        return await services.revisit(ctx, number, data)

    @get("/rectifications", operation_id="evaluationRectificationsList", opt=_READ)
    async def rectifications(self, ctx: Ctx, status: FromQuery[RectificationStatus | None] = None) -> dict[str, Any]:
        """Rectifications in the caller's scope, open ones first."""
        items = await services.list_rectifications(ctx, status=status)
        return {"items": [i.model_dump(mode="json") for i in items], "total": len(items)}

    @post("/rectifications/{rectification_id:str}/complete", operation_id="evaluationRectificationComplete", opt=_HANDLE, status_code=201)
    async def complete(self, ctx: Ctx, rectification_id: FromPath[str], data: JSONBody[RectificationResult]) -> RectificationView:
        """The department leader's rectification result."""
        return await services.complete_rectification(ctx, services.parse_id(rectification_id), data.result)

    @post("/rectifications/{rectification_id:str}/phone-revisit", operation_id="evaluationPhoneRevisit", opt=_HANDLE, status_code=201)
    async def phone_revisit(self, ctx: Ctx, rectification_id: FromPath[str], data: JSONBody[PhoneRevisitInput]) -> RectificationView:
        """电话回访: record the applicant's answer given by phone, once the rectification is done."""
        return await services.record_phone_revisit(ctx, services.parse_id(rectification_id), data)

    @get("/stats", operation_id="evaluationStats", opt=_READ)
    async def stats(self, ctx: Ctx, by: FromQuery[Literal["item", "department"]] = "item") -> StatsView:
        """Ratings, average, satisfaction rate and rectification rate per item or per department."""
        return await services.stats(ctx, by)
