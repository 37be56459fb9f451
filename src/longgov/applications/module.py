"""Registration of the applications module."""

from longgov.applications.api import ApplicationsController, WorkbenchController
from longgov.applications.views import route_handlers
from longgov.kernel.registry import Module, NavEntry
from longgov.security.permissions import Permission as Perm

module = Module(
    name="applications",
    title="网上申请",
    route_handlers=[ApplicationsController, WorkbenchController, *route_handlers],
    nav=(
        NavEntry("citizen", "我的办件", "/citizen/applications", Perm.ApplicationsOwnRead, order=20),
        NavEntry("enterprise", "我的办件", "/enterprise/applications", Perm.ApplicationsOwnRead, order=20),
        NavEntry("workbench", "办件工作台", "/workbench/applications", Perm.ApplicationsCasesHandle, order=20),
        NavEntry("workbench", "部门办件监督", "/workbench/supervision", Perm.ApplicationsCasesSupervise, order=21),
    ),
)
