"""Identity pages: login (two steps), portal homes, user centres, staff person lookup, admin pages."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Template

from longgov.identity import services
from longgov.identity.departments import DEPARTMENT_BY_KEY
from longgov.identity.schemas import CreatedStaff, LoginPortal, NewStaff
from longgov.kernel.errors import AppError
from longgov.kernel.registry import Portal
from longgov.security.audit import service as audit
from longgov.security.permissions import ROLE_TITLES, SEPARATED_ADMIN_ROLES, STAFF_ROLES, Permission, Role
from longgov.security.policy import LOGIN_REQUIRED, PUBLIC, current_principal, require
from longgov.web.deps import Ctx
from longgov.web.middleware import SESSION_COOKIE
from longgov.web.render import page, redirect, safe_next
from longgov.web.sessions import set_session_cookie

Form = URLEncodedBody[dict[str, str]]

LOGIN_PORTAL: dict[LoginPortal, Portal] = {"person": "citizen", "enterprise": "enterprise", "staff": "workbench"}
LOGIN_TEXT: dict[LoginPortal, dict[str, str]] = {
    "person": {"heading": "个人登录", "label": "公民身份号码", "hint": "18位居民身份证号码", "kind": "id_number", "mode": "text"},
    "enterprise": {"heading": "法人登录", "label": "统一社会信用代码", "hint": "18位统一社会信用代码", "kind": "uscc", "mode": "text"},
    "staff": {"heading": "工作人员登录", "label": "用户名", "hint": "由系统管理员分配", "kind": "", "mode": "text"},
}


def _home_of(principal_kind: str, roles: frozenset[Role]) -> str:
    if principal_kind == "person":
        return "/citizen/me"
    if principal_kind == "enterprise":
        return "/enterprise/me"
    return "/admin" if roles & SEPARATED_ADMIN_ROLES else "/workbench"


@get("/login/{portal:str}", operation_id="pageLogin", opt=PUBLIC, include_in_schema=False)
async def login_page(
    request: Request[Any, Any, Any],
    portal: FromPath[Literal["person", "enterprise", "staff"]],
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Template:
    """Step one form."""
    return page(
        request,
        "identity/login.html",
        LOGIN_PORTAL[portal],
        login_portal=portal,
        text=LOGIN_TEXT[portal],
        next=safe_next(next_path, ""),
        error=None,
        identifier="",
    )


@post("/login/{portal:str}", operation_id="pageLoginSubmit", opt=PUBLIC, include_in_schema=False)
async def login_submit(
    request: Request[Any, Any, Any], ctx: Ctx, portal: FromPath[Literal["person", "enterprise", "staff"]], data: Form
) -> Response[Any] | Template:
    """Check the password, then go to the second-factor page."""
    identifier = data.get("identifier", "").strip()
    next_path = safe_next(data.get("next"), "")
    try:
        pending = await services.begin_login(ctx, portal, identifier, data.get("password", ""))
    except AppError as error:
        # Failed attempts are counted by the service; the unit of work still commits them.
        return page(
            request,
            "identity/login.html",
            LOGIN_PORTAL[portal],
            status_code=error.status_code,
            login_portal=portal,
            text=LOGIN_TEXT[portal],
            next=next_path,
            error=error,
            identifier=identifier if portal != "person" else "",
        )
    response = redirect(f"/login/verify?next={next_path}" if next_path else "/login/verify")
    set_session_cookie(response, ctx.settings, pending.token, max_age=services.SECOND_FACTOR_SECONDS)
    response.set_cookie(
        key="lg_second_factor",
        value=f"{pending.second_factor}:{pending.phone_masked or ''}",
        max_age=services.SECOND_FACTOR_SECONDS,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
    )
    return response


@get("/login/verify", operation_id="pageLoginVerify", opt=PUBLIC, include_in_schema=False)
async def verify_page(request: Request[Any, Any, Any], next_path: Annotated[str | None, QueryParameter(name="next")] = None) -> Template:
    """Step two form."""
    factor, _, phone = (request.cookies.get("lg_second_factor") or "sms:").partition(":")
    portal: Portal = "workbench" if factor == "totp" else "citizen"
    return page(request, "identity/verify.html", portal, factor=factor, phone=phone, next=safe_next(next_path, ""), error=None)


@post("/login/verify", operation_id="pageLoginVerifySubmit", opt=PUBLIC, include_in_schema=False)
async def verify_submit(request: Request[Any, Any, Any], ctx: Ctx, data: Form) -> Response[Any] | Template:
    """Check the code; on success replace the session and go home."""
    factor, _, phone = (request.cookies.get("lg_second_factor") or "sms:").partition(":")
    portal: Portal = "workbench" if factor == "totp" else "citizen"
    next_path = safe_next(data.get("next"), "")
    try:
        active = await services.complete_login(ctx, request.cookies.get(SESSION_COOKIE) or "", data.get("code", "").strip())
    except AppError as error:
        return page(request, "identity/verify.html", portal, status_code=error.status_code, factor=factor, phone=phone, next=next_path, error=error)
    principal = await services.principal_by_login_id(ctx, active.account_id)
    response = redirect(next_path or _home_of(active.kind, principal.roles if principal else frozenset()))
    set_session_cookie(response, ctx.settings, active.token, max_age=ctx.settings.session_max_seconds)
    response.delete_cookie("lg_second_factor")
    return response


@get("/citizen", operation_id="pageCitizenHome", opt=PUBLIC, include_in_schema=False)
async def citizen_home(request: Request[Any, Any, Any]) -> Template:
    """甘快办 home."""
    return page(request, "identity/citizen_home.html", "citizen")


@get("/citizen/me", operation_id="pageCitizenMe", opt=require(Permission.CitizenProfileRead), include_in_schema=False)
async def citizen_me(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """个人中心."""
    person = await services.my_person(ctx)
    logins = await audit.recent_logins(ctx.session, ctx.actor.account_id) if ctx.actor else []
    return page(request, "identity/citizen_me.html", "citizen", person=person, logins=logins, division=services.division_label(person.division_code))


@get("/enterprise", operation_id="pageEnterpriseHome", opt=PUBLIC, include_in_schema=False)
async def enterprise_home(request: Request[Any, Any, Any]) -> Template:
    """陇商通 home."""
    return page(request, "identity/enterprise_home.html", "enterprise")


@get("/enterprise/me", operation_id="pageEnterpriseMe", opt=require(Permission.EnterpriseProfileRead), include_in_schema=False)
async def enterprise_me(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """企业中心."""
    enterprise = await services.my_enterprise(ctx)
    logins = await audit.recent_logins(ctx.session, ctx.actor.account_id) if ctx.actor else []
    return page(
        request, "identity/enterprise_me.html", "enterprise", enterprise=enterprise, logins=logins, division=services.division_label(enterprise.division_code)
    )


@get("/workbench", operation_id="pageWorkbenchHome", opt=require(Permission.WorkbenchHomeRead), include_in_schema=False)
async def workbench_home(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """工作台 home: who I am, my organisation and data scope."""
    principal = ctx.actor
    assert principal is not None  # noqa: S101 - guarded route
    logins = await audit.recent_logins(ctx.session, principal.account_id)
    department = DEPARTMENT_BY_KEY.get(principal.scope_department or "")
    return page(
        request,
        "identity/workbench_home.html",
        "workbench",
        roles=[ROLE_TITLES[r] for r in sorted(principal.roles)],
        scope=services.division_label(principal.scope_division),
        department=department.short if department else "全部门",
        logins=logins,
    )


@get("/workbench/persons", operation_id="pageWorkbenchPersons", opt=require(Permission.IdentityPersonsRead), include_in_schema=False)
async def workbench_persons(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    page_no: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    id_number: Annotated[str | None, QueryParameter(max_length=18)] = None,
) -> Template:
    """自然人查询: masked list of persons in my region, or an exact lookup by ID number."""
    error = None
    if id_number:
        try:
            found = await services.find_person_by_id_number(ctx, id_number)
            persons, total = [found], 1
        except AppError as exc:
            persons, total, error = [], 0, exc
    else:
        persons, total = await services.list_persons(ctx, limit=20, offset=(page_no - 1) * 20)
    return page(
        request,
        "identity/persons.html",
        "workbench",
        persons=persons,
        total=total,
        page_no=page_no,
        pages=max(1, (total + 19) // 20),
        id_number=id_number or "",
        error=error,
        label=services.division_label,
    )


@get("/workbench/persons/{person_id:uuid}", operation_id="pageWorkbenchPerson", opt=require(Permission.IdentityPersonsRead), include_in_schema=False)
async def workbench_person(request: Request[Any, Any, Any], ctx: Ctx, person_id: FromPath[uuid.UUID]) -> Template:
    """One person, masked."""
    person = await services.get_person(ctx, person_id)
    can_unmask = bool(ctx.actor and ctx.actor.has(Permission.IdentityPiiUnmask))
    return page(request, "identity/person.html", "workbench", person=person, can_unmask=can_unmask, division=services.division_label(person.division_code))


@post(
    "/workbench/persons/{person_id:uuid}/unmask", operation_id="pageWorkbenchPersonUnmask", opt=require(Permission.IdentityPiiUnmask), include_in_schema=False
)
async def workbench_person_unmask(request: Request[Any, Any, Any], ctx: Ctx, person_id: FromPath[uuid.UUID]) -> Template:
    """Show the full record (audited)."""
    person = await services.get_person(ctx, person_id, unmask=True)
    return page(request, "identity/person.html", "workbench", person=person, can_unmask=False, division=services.division_label(person.division_code))


@get("/admin", operation_id="pageAdminHome", opt=require(Permission.WorkbenchHomeRead), include_in_schema=False)
async def admin_home(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """管理后台: the sections this administrator may use."""
    counts = await services.count_organisations(ctx.session)
    return page(request, "identity/admin_home.html", "admin", counts=counts)


@get("/admin/staff", operation_id="pageAdminStaff", opt=require(Permission.AdminAccountsManage), include_in_schema=False)
async def admin_staff(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """Staff accounts and the create form."""
    return await _staff_page(request, ctx, created=None, error=None, form={})


async def _staff_page(
    request: Request[Any, Any, Any], ctx: Ctx, *, created: CreatedStaff | None, error: AppError | None, form: dict[str, str], status_code: int = 200
) -> Template:
    staff = await services.staff_accounts(ctx.session)
    roles = [(str(r), ROLE_TITLES[r]) for r in Role if r in STAFF_ROLES]
    return page(
        request,
        "identity/admin_staff.html",
        "admin",
        status_code=status_code,
        staff=staff,
        roles=roles,
        role_titles={str(k): v for k, v in ROLE_TITLES.items()},
        created=created,
        error=error,
        form=form,
    )


@post("/admin/staff", operation_id="pageAdminStaffCreate", opt=require(Permission.AdminAccountsManage), include_in_schema=False)
async def admin_staff_create(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """Create a staff account from the form."""
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("username", "display_name", "organisation_code", "password")}
    try:
        data = NewStaff.model_validate({**values, "roles": [str(r) for r in (form.getall("roles") if "roles" in form else [])]})
        created = await services.create_staff(ctx, data)
    except AppError as error:
        return await _staff_page(request, ctx, created=None, error=error, form=values, status_code=error.status_code)
    except ValueError as exc:
        invalid = AppError(
            "请检查填写内容：用户名为小写字母开头的字母数字，密码至少10位，至少选择一个角色",
            code="validation_failed",
            details={"errors": len(getattr(exc, "errors", list)())},
            status_code=422,
        )
        return await _staff_page(request, ctx, created=None, error=invalid, form=values, status_code=422)
    return await _staff_page(request, ctx, created=created, error=None, form={})


@get("/admin/organisations", operation_id="pageAdminOrganisations", opt=require(Permission.AdminOrganisationsRead), include_in_schema=False)
async def admin_organisations(request: Request[Any, Any, Any], ctx: Ctx, division: Annotated[str, QueryParameter(pattern=r"^\d{6}$")] = "620000") -> Template:
    """Organisation tree, one division at a time."""
    from longgov.identity.divisions import ancestors_of, children_of, get_division  # noqa: PLC0415

    current = get_division(division)
    if current is None:
        raise AppError("行政区划代码无效", code="invalid_division", status_code=404)
    orgs = await services.list_organisations(ctx, division_code=division)
    return page(
        request, "identity/admin_organisations.html", "admin", current=current, ancestors=ancestors_of(division), children=children_of(division), orgs=orgs
    )


@get("/admin/security", operation_id="pageAdminSecurity", opt=require(Permission.SecurityAccountsUnlock), include_in_schema=False)
async def admin_security(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """Locked accounts, and staff roles the security administrator grants."""
    return await _security_page(request, ctx, message=None, error=None)


async def _security_page(request: Request[Any, Any, Any], ctx: Ctx, *, message: str | None, error: AppError | None, status_code: int = 200) -> Template:
    locked = await services.list_locked_accounts(ctx.session)
    staff = await services.staff_accounts(ctx.session)
    roles = [(str(r), ROLE_TITLES[r]) for r in Role if r in STAFF_ROLES]
    can_assign = bool(ctx.actor and ctx.actor.has(Permission.SecurityRolesAssign))
    return page(
        request,
        "identity/admin_security.html",
        "admin",
        status_code=status_code,
        locked=locked,
        staff=staff,
        roles=roles,
        role_titles={str(k): v for k, v in ROLE_TITLES.items()},
        can_assign=can_assign,
        message=message,
        error=error,
    )


@post("/admin/security/roles/{account_id:uuid}", operation_id="pageAdminAssignRole", opt=require(Permission.SecurityRolesAssign), include_in_schema=False)
async def admin_assign_role(request: Request[Any, Any, Any], ctx: Ctx, account_id: FromPath[uuid.UUID], data: Form) -> Template:
    """Grant a role from the form; the three administrator roles stay separated."""
    try:
        await services.assign_role(ctx, account_id, data.get("role", ""))
    except AppError as error:
        return await _security_page(request, ctx, message=None, error=error, status_code=error.status_code)
    return await _security_page(request, ctx, message=f"已授予角色：{ROLE_TITLES.get(Role(data['role']), data['role'])}", error=None)


@post("/admin/security/unlock/{account_id:uuid}", operation_id="pageAdminUnlock", opt=require(Permission.SecurityAccountsUnlock), include_in_schema=False)
async def admin_unlock(ctx: Ctx, account_id: FromPath[uuid.UUID]) -> Response[Any]:
    """Unlock and go back to the list."""
    await services.unlock_account(ctx, account_id)
    return redirect("/admin/security")


@get("/whoami", operation_id="pageWhoAmI", opt=LOGIN_REQUIRED, include_in_schema=False)
async def whoami(request: Request[Any, Any, Any]) -> Response[Any]:
    """Send a logged-in account to its own home."""
    principal = current_principal(request)
    assert principal is not None  # noqa: S101 - guarded route
    return redirect(_home_of(principal.kind, principal.roles))


route_handlers = [
    login_page,
    login_submit,
    verify_page,
    verify_submit,
    citizen_home,
    citizen_me,
    enterprise_home,
    enterprise_me,
    workbench_home,
    workbench_persons,
    workbench_person,
    workbench_person_unmask,
    admin_home,
    admin_staff,
    admin_staff_create,
    admin_organisations,
    admin_security,
    admin_unlock,
    admin_assign_role,
    whoami,
]
