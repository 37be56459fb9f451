"""Registration of the identity module."""

from longgov.identity.api import AuthController, IdentityController
from longgov.identity.views import route_handlers
from longgov.kernel.registry import Module, NavEntry
from longgov.security.permissions import Permission as Perm

module = Module(
    name="identity",
    title="统一身份认证",
    route_handlers=[AuthController, IdentityController, *route_handlers],
    nav=(
        NavEntry("citizen", "首页", "/citizen", order=0),
        NavEntry("citizen", "个人中心", "/citizen/me", Perm.CitizenProfileRead, order=90),
        NavEntry("enterprise", "首页", "/enterprise", order=0),
        NavEntry("enterprise", "企业中心", "/enterprise/me", Perm.EnterpriseProfileRead, order=90),
        NavEntry("workbench", "工作台首页", "/workbench", Perm.WorkbenchHomeRead, order=0),
        NavEntry("workbench", "自然人查询", "/workbench/persons", Perm.IdentityPersonsRead, order=50),
        NavEntry("admin", "管理首页", "/admin", Perm.WorkbenchHomeRead, order=0),
        NavEntry("admin", "工作人员账号", "/admin/staff", Perm.AdminAccountsManage, order=10),
        NavEntry("admin", "机构与区划", "/admin/organisations", Perm.AdminOrganisationsRead, order=20),
        NavEntry("admin", "账号安全", "/admin/security", Perm.SecurityAccountsUnlock, order=30),
    ),
)
