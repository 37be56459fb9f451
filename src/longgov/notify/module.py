"""Registration of the notify module (我的消息; applicants hear of their applications' steps)."""

from longgov.applications.schemas import ApplicationStepRecorded
from longgov.kernel.events import Subscription
from longgov.kernel.registry import Module, NavEntry
from longgov.notify.api import NotifyController
from longgov.notify.subscribers import on_application_step
from longgov.notify.views import route_handlers
from longgov.security.permissions import Permission as Perm

module = Module(
    name="notify",
    title="消息",
    route_handlers=[NotifyController, *route_handlers],
    nav=(
        NavEntry("citizen", "我的消息", "/citizen/messages", Perm.ApplicationsOwnRead, order=85),
        NavEntry("enterprise", "我的消息", "/enterprise/messages", Perm.ApplicationsOwnRead, order=85),
        NavEntry("workbench", "我的消息", "/workbench/messages", Perm.WorkbenchHomeRead, order=95),
        NavEntry("admin", "我的消息", "/admin/messages", Perm.WorkbenchHomeRead, order=95),
    ),
    subscriptions=(Subscription(ApplicationStepRecorded, on_application_step),),
)
