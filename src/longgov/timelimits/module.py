"""Registration of the time-limits module."""

from longgov.kernel.registry import Module, NavEntry
from longgov.security.permissions import Permission as Perm
from longgov.timelimits.api import TimeLimitsController
from longgov.timelimits.views import route_handlers

module = Module(
    name="timelimits",
    title="法定时限",
    route_handlers=[TimeLimitsController, *route_handlers],
    nav=(NavEntry("admin", "节假日安排", "/admin/calendar", Perm.CalendarNoticesManage, order=40),),
)
