"""Registration of the audit module."""

from longgov.kernel.registry import Module, NavEntry
from longgov.security.audit.api import route_handlers
from longgov.security.permissions import Permission as Perm

module = Module(
    name="audit",
    title="安全审计",
    route_handlers=route_handlers,
    nav=(NavEntry("admin", "审计日志", "/admin/audit", Perm.AuditEventsRead, order=40),),
)
