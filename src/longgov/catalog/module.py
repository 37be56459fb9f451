"""Registration of the catalogue module."""

from longgov.catalog.api import CatalogController, CatalogManageController
from longgov.catalog.views import route_handlers
from longgov.kernel.registry import Module, NavEntry
from longgov.security.permissions import Permission as Perm

module = Module(
    name="catalog",
    title="政务服务事项",
    route_handlers=[CatalogController, CatalogManageController, *route_handlers],
    nav=(
        NavEntry("citizen", "办事指南", "/citizen/items", order=10),
        NavEntry("citizen", "搜索", "/citizen/search", order=11),
        NavEntry("workbench", "事项管理", "/workbench/catalog", Perm.CatalogItemsManage, order=30),
    ),
)
