"""Time-limits pages: the administrator's holiday calendar (节假日安排)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Template
from pydantic import ValidationError

from longgov.kernel.errors import AppError, ValidationFailed
from longgov.security.permissions import Permission
from longgov.security.policy import require
from longgov.timelimits import services
from longgov.timelimits.schemas import MAX_YEAR, MIN_YEAR, NoticeInput, NoticeView
from longgov.web.deps import Ctx
from longgov.web.render import page, redirect

Form = URLEncodedBody[dict[str, str]]

EXAMPLE = """2027-01-01 元旦 放假
2027-02-06 至 2027-02-12 春节 放假
2027-02-14 春节 上班"""


def _day_rows(notice: NoticeView | None) -> list[dict[str, Any]]:
    """Consecutive days of the same holiday and kind folded into one row (2025-01-28 至 02-04 春节 放假 8天)."""
    rows: list[dict[str, Any]] = []
    for d in notice.days if notice else []:
        last = rows[-1] if rows else None
        if last and last["kind"] == d.kind == "holiday" and last["name"] == d.name and (d.date - last["end"]).days == 1:
            last.update(end=d.date, end_weekday=d.weekday, count=last["count"] + 1)
        else:
            rows.append({"start": d.date, "end": d.date, "start_weekday": d.weekday, "end_weekday": d.weekday, "name": d.name, "kind": d.kind, "count": 1})
    return rows


async def _calendar_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    *,
    year: int,
    form: dict[str, str] | None = None,
    error: AppError | None = None,
    published: int | None = None,
    status_code: int = 200,
) -> Template:
    calendar = await services.working_calendar(ctx.session)
    today = services.china_today()
    notices = await services.list_notices(ctx)
    active: NoticeView | None = None
    if year in calendar.covered_years:
        active = await services.get_active_notice(ctx, year)
    history = [n for n in notices if n.year == year]
    return page(
        request,
        "timelimits/admin_calendar.html",
        "admin",
        status_code=status_code,
        year=year,
        today=today,
        coverage=services.covered_years_summary(calendar, today.year),
        alerts=await services.list_alerts(ctx),
        active=active,
        day_rows=_day_rows(active),
        history=history,
        recent=[n for n in notices if n.status == "active"][:8],
        form=form or {"year": str(year + 1 if year == today.year else year)},
        error=error,
        line_errors=(error.details or {}).get("lines", []) if error and isinstance(error.details, dict) else [],
        published=published,
        example=EXAMPLE,
    )


@get("/admin/calendar", operation_id="pageAdminCalendar", opt=require(Permission.CalendarNoticesManage), include_in_schema=False)
async def admin_calendar(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    year: Annotated[int | None, QueryParameter(ge=MIN_YEAR, le=MAX_YEAR)] = None,
    published: Annotated[int | None, QueryParameter(ge=1, le=1000)] = None,
) -> Template:
    """节假日安排: loaded years, open alerts, a year's days and the form to load a notice."""
    return await _calendar_page(request, ctx, year=year or services.china_today().year, published=published)


@post("/admin/calendar", operation_id="pageAdminCalendarPublish", opt=require(Permission.CalendarNoticesManage), include_in_schema=False)
async def admin_calendar_publish(request: Request[Any, Any, Any], ctx: Ctx, data: Form) -> Response[Any] | Template:
    """Load a notice from the form; on errors show them line by line, nothing is stored."""
    values = {k: str(data.get(k, "")).strip() for k in ("year", "title", "document_number", "published_on", "text")}
    try:
        notice_input = NoticeInput.model_validate(
            {
                "year": values["year"],
                "title": values["title"],
                "document_number": values["document_number"] or None,
                "published_on": values["published_on"] or None,
                "text": values["text"],
            }
        )
        notice = await services.publish_notice(ctx, notice_input)
    except ValidationError as exc:
        fields = {"year": "年份", "title": "通知标题", "document_number": "文号", "published_on": "发布日期", "text": "安排内容"}
        names = sorted({fields.get(str(e["loc"][0]), str(e["loc"][0])) for e in exc.errors() if e["loc"]})
        error = ValidationFailed(f"请检查：{'、'.join(names) or '填写内容'}（年份2004–2100，标题至少4个字，日期为YYYY-MM-DD）", code="validation_failed")
        year = int(values["year"]) if values["year"].isdigit() and MIN_YEAR <= int(values["year"]) <= MAX_YEAR else services.china_today().year
        return await _calendar_page(request, ctx, year=year, form=values, error=error, status_code=422)
    except AppError as error:
        return await _calendar_page(request, ctx, year=int(values["year"]), form=values, error=error, status_code=error.status_code)
    return redirect(f"/admin/calendar?year={notice.year}&published={notice.version}")


route_handlers = [admin_calendar, admin_calendar_publish]
