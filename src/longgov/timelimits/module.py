"""Registration of the time-limits module."""

from datetime import timedelta

from longgov.kernel.jobs import Job
from longgov.kernel.registry import Module, NavEntry
from longgov.security.permissions import Permission as Perm
from longgov.timelimits import services
from longgov.timelimits.api import TimeLimitsController
from longgov.timelimits.views import route_handlers

module = Module(
    name="timelimits",
    title="法定时限",
    route_handlers=[TimeLimitsController, *route_handlers],
    nav=(NavEntry("admin", "节假日安排", "/admin/calendar", Perm.CalendarNoticesManage, order=40),),
    jobs=(Job("timelimits.missing-year-reminder", "节假日安排缺失提醒", every=timedelta(hours=6), run=services.remind_missing_years),),
)
