"""Time-limits JSON API: holiday notices (administrators), alerts, and deadline computation."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from longgov.security.permissions import Permission
from longgov.security.policy import require
from longgov.timelimits import services
from longgov.timelimits.schemas import MAX_YEAR, MIN_YEAR, AlertView, DeadlineQuery, DeadlineView, NoticeInput, NoticeView
from longgov.web.deps import Ctx

Year = Annotated[int | None, QueryParameter(ge=MIN_YEAR, le=MAX_YEAR, description="年份")]


class TimeLimitsController(Controller):
    """节假日安排与期限计算."""

    path = "/api/v1/timelimits"
    tags = ["法定时限"]  # noqa: RUF012

    @get("/notices", operation_id="timelimitsListNotices", opt=require(Permission.CalendarNoticesManage))
    async def list_notices(self, ctx: Ctx, year: Year = None) -> list[NoticeView]:
        """Every version of every year's notice (or one year's), newest first."""
        return await services.list_notices(ctx, year=year)

    @get("/notices/active", operation_id="timelimitsActiveNotice", opt=require(Permission.CalendarNoticesManage))
    async def active_notice(self, ctx: Ctx, year: Year = None) -> NoticeView:
        """The active notice of a year (default: this year in China) with its days."""
        return await services.get_active_notice(ctx, year or services.china_today().year)

    @post("/notices", operation_id="timelimitsPublishNotice", opt=require(Permission.CalendarNoticesManage), status_code=201)
    async def publish_notice(self, ctx: Ctx, data: JSONBody[NoticeInput]) -> NoticeView:
        """Load a new version of a year's notice; invalid lines give 422 with per-line messages."""
        return await services.publish_notice(ctx, data)

    @get("/alerts", operation_id="timelimitsListAlerts", opt=require(Permission.CalendarNoticesManage))
    async def alerts(self, ctx: Ctx, include_resolved: FromQuery[bool] = False) -> list[AlertView]:  # noqa: FBT002 - query flag
        """Missing-year alerts (open ones unless ``include_resolved``)."""
        return await services.list_alerts(ctx, only_open=not include_resolved)

    @post("/deadlines", operation_id="timelimitsComputeDeadline", opt=require(Permission.WorkbenchHomeRead), status_code=200)
    async def compute_deadline(self, ctx: Ctx, data: JSONBody[DeadlineQuery]) -> DeadlineView:
        """The last day of a time limit (acceptance day not counted) and its traffic light today."""
        return await services.compute_deadline(ctx, data.start, data.working_days, data.pauses)
