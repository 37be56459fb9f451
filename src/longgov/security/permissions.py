"""Permissions (``scope:resource:action``), roles and the role → permission matrix."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """Every permission the platform checks; keep alphabetised."""

    AdminAccountsManage = "admin:accounts:manage"
    AdminOrganisationsRead = "admin:organisations:read"
    ApplicationsCasesHandle = "applications:cases:handle"
    ApplicationsCasesSupervise = "applications:cases:supervise"
    ApplicationsOwnRead = "applications:own:read"
    ApplicationsOwnSubmit = "applications:own:submit"
    AuditChainVerify = "audit:chain:verify"
    AuditEventsRead = "audit:events:read"
    CalendarNoticesManage = "calendar:notices:manage"
    CatalogItemsManage = "catalog:items:manage"
    CitizenProfileRead = "citizen:profile:read"
    DemoOutboxRead = "demo:outbox:read"
    EnterpriseProfileRead = "enterprise:profile:read"
    EvaluationOwnRate = "evaluation:own:rate"
    EvaluationRatingsRead = "evaluation:ratings:read"
    EvaluationRectificationsHandle = "evaluation:rectifications:handle"
    IdentityPersonsRead = "identity:persons:read"
    IdentityPiiUnmask = "identity:pii:unmask"
    LicencesIssuedManage = "licences:issued:manage"
    LicencesIssuedRead = "licences:issued:read"
    LicencesOwnRead = "licences:own:read"
    LicencesRegisterImport = "licences:register:import"
    LicencesTrustManage = "licences:trust:manage"
    OnethingBundlesManage = "onething:bundles:manage"
    SecurityAccountsUnlock = "security:accounts:unlock"
    SecurityRolesAssign = "security:roles:assign"
    WorkbenchHomeRead = "workbench:home:read"


class Role(StrEnum):
    """Roles an account can hold."""

    Person = "person"
    Enterprise = "enterprise"
    CounterStaff = "counter_staff"
    Approver = "approver"
    DepartmentLeader = "department_leader"
    HotlineAgent = "hotline_agent"
    SystemAdmin = "system_admin"
    SecurityAdmin = "security_admin"
    AuditAdmin = "audit_admin"


ROLE_TITLES: dict[Role, str] = {
    Role.Person: "自然人",
    Role.Enterprise: "法人",
    Role.CounterStaff: "窗口人员",
    Role.Approver: "审批人员",
    Role.DepartmentLeader: "部门负责人",
    Role.HotlineAgent: "12345坐席",
    Role.SystemAdmin: "系统管理员",
    Role.SecurityAdmin: "安全管理员",
    Role.AuditAdmin: "审计管理员",
}

# MLPS level 3 (等保三级): system, security and audit administration are held by different people.
SEPARATED_ADMIN_ROLES: frozenset[Role] = frozenset({Role.SystemAdmin, Role.SecurityAdmin, Role.AuditAdmin})

STAFF_ROLES: frozenset[Role] = frozenset(Role) - {Role.Person, Role.Enterprise}

_P = Permission
_STAFF_BASE = {_P.WorkbenchHomeRead}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.Person: frozenset({_P.ApplicationsOwnRead, _P.ApplicationsOwnSubmit, _P.CitizenProfileRead, _P.EvaluationOwnRate, _P.LicencesOwnRead}),
    Role.Enterprise: frozenset({_P.ApplicationsOwnRead, _P.ApplicationsOwnSubmit, _P.EnterpriseProfileRead, _P.EvaluationOwnRate, _P.LicencesOwnRead}),
    Role.CounterStaff: frozenset(_STAFF_BASE | {_P.ApplicationsCasesHandle, _P.EvaluationRatingsRead, _P.IdentityPersonsRead, _P.LicencesIssuedRead}),
    Role.Approver: frozenset(
        _STAFF_BASE | {_P.ApplicationsCasesHandle, _P.EvaluationRatingsRead, _P.IdentityPersonsRead, _P.LicencesIssuedManage, _P.LicencesIssuedRead}
    ),
    Role.DepartmentLeader: frozenset(
        _STAFF_BASE
        | {
            _P.ApplicationsCasesHandle,
            _P.ApplicationsCasesSupervise,
            _P.CatalogItemsManage,
            _P.EvaluationRatingsRead,
            _P.EvaluationRectificationsHandle,
            _P.IdentityPersonsRead,
            _P.IdentityPiiUnmask,
            _P.LicencesIssuedManage,
            _P.LicencesIssuedRead,
            _P.LicencesRegisterImport,
            _P.OnethingBundlesManage,
        }
    ),
    Role.HotlineAgent: frozenset(_STAFF_BASE | {_P.IdentityPersonsRead}),
    Role.SystemAdmin: frozenset(
        _STAFF_BASE | {_P.AdminAccountsManage, _P.AdminOrganisationsRead, _P.CalendarNoticesManage, _P.CatalogItemsManage, _P.OnethingBundlesManage}
    ),
    Role.SecurityAdmin: frozenset(_STAFF_BASE | {_P.LicencesTrustManage, _P.SecurityAccountsUnlock, _P.SecurityRolesAssign}),
    Role.AuditAdmin: frozenset(_STAFF_BASE | {_P.AuditChainVerify, _P.AuditEventsRead}),
}


def permissions_for(roles: frozenset[Role] | set[Role]) -> frozenset[str]:
    """Union of the permissions of the given roles, as strings."""
    granted: set[str] = set()
    for role in roles:
        granted |= {str(p) for p in ROLE_PERMISSIONS[role]}
    return frozenset(granted)
