"""Identity JSON API: login, session, code validation, persons, staff and roles."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from longgov.identity import services
from longgov.identity.schemas import (
    CodeValidation,
    CreatedStaff,
    LoginRequest,
    MeView,
    NewStaff,
    OrganisationView,
    PersonView,
    RoleGrant,
    SecondFactorRequest,
)
from longgov.security.permissions import Permission
from longgov.security.policy import LOGIN_REQUIRED, PUBLIC, current_principal, require
from longgov.web.deps import Ctx
from longgov.web.middleware import SESSION_COOKIE
from longgov.web.sessions import clear_session_cookie, set_session_cookie


class AuthController(Controller):
    """Two-step login: password, then SMS code (citizens, enterprises) or TOTP (staff)."""

    path = "/api/v1/auth"
    tags = ["认证"]  # noqa: RUF012

    @post("/login", operation_id="authLogin", opt=PUBLIC, status_code=200)
    async def login(self, ctx: Ctx, data: JSONBody[LoginRequest]) -> Response[dict[str, Any]]:
        """Step one: identifier and password."""
        pending = await services.begin_login(ctx, data.portal, data.identifier, data.password)
        response = Response(content=pending.model_dump(mode="json"))
        set_session_cookie(response, ctx.settings, pending.token, max_age=services.SECOND_FACTOR_SECONDS)
        return response

    @post("/verify", operation_id="authVerify", opt=PUBLIC, status_code=200)
    async def verify(self, request: Request[Any, Any, Any], ctx: Ctx, data: JSONBody[SecondFactorRequest]) -> Response[dict[str, Any]]:
        """Step two: the one-time code."""
        token = request.cookies.get(SESSION_COOKIE) or ""
        active = await services.complete_login(ctx, token, data.code)
        response = Response(content=active.model_dump(mode="json"))
        set_session_cookie(response, ctx.settings, active.token, max_age=ctx.settings.session_max_seconds)
        return response

    @post("/logout", operation_id="authLogout", opt=PUBLIC, status_code=200)
    async def logout(self, request: Request[Any, Any, Any], ctx: Ctx) -> Response[dict[str, str]]:
        """End the session."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await services.logout(ctx, token)
        response = Response(content={"status": "logged_out"})
        clear_session_cookie(response)
        return response

    @get("/me", operation_id="authMe", opt=LOGIN_REQUIRED)
    async def me(self, request: Request[Any, Any, Any]) -> MeView:
        """The current account, roles and permissions."""
        principal = current_principal(request)
        assert principal is not None  # noqa: S101 - the guard guarantees it
        return services.me_view(principal)


class IdentityController(Controller):
    """Code validation, persons, organisations, staff and roles."""

    path = "/api/v1/identity"
    tags = ["身份"]  # noqa: RUF012

    @get("/validate", operation_id="identityValidate", opt=PUBLIC)
    async def validate(
        self,
        kind: Annotated[
            Literal["id_number", "uscc", "division", "phone", "licence_id"],
            QueryParameter(description="id_number | uscc | division | phone | licence_id (GB/T 36904)"),
        ],
        value: Annotated[str, QueryParameter(max_length=128)],
    ) -> CodeValidation:
        """Check a code the way forms do (公民身份号码, 统一社会信用代码, 行政区划代码, 手机号码, 电子证照标识)."""
        return services.validate_code(kind, value)

    @get("/persons", operation_id="identityListPersons", opt=require(Permission.IdentityPersonsRead))
    async def list_persons(
        self,
        ctx: Ctx,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> dict[str, Any]:
        """Persons in the caller's region, masked."""
        items, total = await services.list_persons(ctx, limit=limit, offset=offset)
        return {"items": [i.model_dump(mode="json") for i in items], "total": total, "limit": limit, "offset": offset}

    @get("/persons/{person_id:uuid}", operation_id="identityGetPerson", opt=require(Permission.IdentityPersonsRead))
    async def get_person(self, ctx: Ctx, person_id: FromPath[uuid.UUID], unmask: FromQuery[bool] = False) -> PersonView:  # noqa: FBT002 - query flag
        """One person; ``unmask=true`` needs identity:pii:unmask and is audited."""
        return await services.get_person(ctx, person_id, unmask=unmask)

    @get("/organisations", operation_id="identityListOrganisations", opt=require(Permission.AdminOrganisationsRead))
    async def organisations(self, ctx: Ctx, division: Annotated[str | None, QueryParameter(pattern=r"^\d{6}$")] = None) -> list[OrganisationView]:
        """Organisations of one division."""
        return await services.list_organisations(ctx, division_code=division)

    @post("/staff", operation_id="identityCreateStaff", opt=require(Permission.AdminAccountsManage), status_code=201)
    async def create_staff(self, ctx: Ctx, data: JSONBody[NewStaff]) -> CreatedStaff:
        """Create a staff account (system administrator)."""
        return await services.create_staff(ctx, data)

    @post("/accounts/{account_id:uuid}/unlock", operation_id="identityUnlockAccount", opt=require(Permission.SecurityAccountsUnlock), status_code=200)
    async def unlock(self, ctx: Ctx, account_id: FromPath[uuid.UUID]) -> dict[str, str]:
        """Lift a login lock (security administrator)."""
        await services.unlock_account(ctx, account_id)
        return {"status": "unlocked"}

    @post("/accounts/{account_id:uuid}/roles", operation_id="identityAssignRole", opt=require(Permission.SecurityRolesAssign), status_code=200)
    async def assign_role(self, ctx: Ctx, account_id: FromPath[uuid.UUID], data: JSONBody[RoleGrant]) -> dict[str, str]:
        """Grant a role (security administrator); the three admin roles stay separated."""
        await services.assign_role(ctx, account_id, data.role)
        return {"status": "assigned"}
