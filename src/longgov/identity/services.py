"""Identity use cases: organisations, persons, enterprises, staff, roles, login and sessions (R3.1)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from longgov.db import after_commit, utcnow
from longgov.identity import events
from longgov.identity.codes import (
    USCC_CHARSET,
    CodeCheck,
    check_mobile_phone,
    check_resident_id,
    check_uscc,
    make_uscc,
    mask_resident_id,
    normalise_resident_id,
)
from longgov.identity.departments import (
    DEPARTMENT_KINDS,
    GOVERNMENT_NAME,
    department_name,
)
from longgov.identity.divisions import Division, all_divisions, get_division
from longgov.identity.models import (
    Account,
    Enterprise,
    LoginSession,
    OneTimeCode,
    Organisation,
    Person,
    StaffRole,
)
from longgov.identity.schemas import (
    ActiveLogin,
    CodeValidation,
    CreatedStaff,
    EnterpriseView,
    LoginPortal,
    MeView,
    NewStaff,
    OrganisationView,
    PendingLogin,
    PersonRegistered,
    PersonView,
)
from longgov.identity.uscc import assign as _assign_uscc
from longgov.kernel import events as domain_events
from longgov.kernel.errors import (
    AppError,
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.crypto import sm3_hex
from longgov.security.permissions import (
    ROLE_PERMISSIONS,
    SEPARATED_ADMIN_ROLES,
    STAFF_ROLES,
    Permission,
    Role,
    permissions_for,
)
from longgov.security.pii import mask_address, mask_phone
from longgov.security.principal import Principal
from longgov.security.scope import PROVINCE_CODE, in_division, scope_filter

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so timing does not reveal which accounts exist."""
    return _hasher.hash("not-a-real-password-0")


SECOND_FACTOR_SECONDS = 10 * 60
SMS_CODE_MAX_ATTEMPTS = 5
OTP_LENGTH = 6
MIN_PASSWORD_LENGTH = 8
_CHINA_TZ = ZoneInfo("Asia/Shanghai")


class AuthenticationFailed(AppError):
    """Wrong identifier, password or code; the attempt counters must still be saved."""

    status_code = 401
    code = "authentication_failed"
    keep_changes = True


class UnmaskDenied(PermissionDenied):
    """Refused request for full personal data; the refusal's audit record must be kept."""

    code = "unmask_denied"
    keep_changes = True


class AccountLocked(TooManyAttempts):
    """Locked after too many failures; the lock itself must be saved."""

    code = "account_locked"
    keep_changes = True


# --- codes used by forms -------------------------------------------------------------------


def validate_code(kind: str, value: str) -> CodeValidation:
    """Check a resident ID, USCC, division code, phone or licence identifier and say why in Chinese."""
    from longgov.identity.codes import check_division_code, check_licence_identifier  # noqa: PLC0415

    checks = {
        "id_number": check_resident_id,
        "uscc": check_uscc,
        "division": check_division_code,
        "phone": check_mobile_phone,
        "licence_id": check_licence_identifier,
    }
    check = checks.get(kind)
    if check is None:
        raise ValidationFailed(
            "kind 必须是 id_number、uscc、division、phone 或 licence_id 之一",
            code="unknown_code_kind",
            details={"kind": kind},
        )
    result = check(value)
    return CodeValidation(valid=result.valid, message=result.message)


def check_password_strength(password: str) -> None:
    """At least 8 characters with letters and digits (GB/T 22239 identification requirements)."""
    if len(password) < MIN_PASSWORD_LENGTH or not any(c.isdigit() for c in password) or not any(c.isalpha() for c in password):
        raise ValidationFailed(
            "密码至少8位，且须同时包含字母和数字",
            code="weak_password",
            details={"password": "密码强度不足"},
        )


# --- organisations -----------------------------------------------------------------------------


def _org_code(division: str, department: str | None) -> str:
    return f"{division}-{department}" if department else f"{division}-government"


async def sync_organisations(ctx: ServiceContext) -> int:
    """Create the Gansu government tree (governments and usual departments per division); idempotent."""
    session = ctx.session
    existing: dict[str, uuid.UUID] = dict((await session.execute(select(Organisation.code, Organisation.id))).tuples().all())
    created = 0
    governments: dict[str, uuid.UUID] = {}
    for division in sorted(all_divisions(), key=lambda d: (len(d.parent_code or ""), d.code)):
        gov_code = _org_code(division.code, None)
        parent_gov = governments.get(division.parent_code or "") if division.parent_code else None
        gov_id = existing.get(gov_code)
        if gov_id is None:
            gov = Organisation(
                code=gov_code,
                name=GOVERNMENT_NAME[division.level].format(p=division.name),
                kind="government",
                department_kind=None,
                division_code=division.code,
                level=division.level,
                parent_id=parent_gov,
            )
            session.add(gov)
            await session.flush()
            gov_id = gov.id
            created += 1
        governments[division.code] = gov_id
        for order, kind in enumerate(DEPARTMENT_KINDS):
            name = department_name(kind, division.level, division.name)
            code = _org_code(division.code, kind.key)
            if name is None or code in existing:
                continue
            session.add(
                Organisation(
                    code=code,
                    name=name,
                    kind="department",
                    department_kind=kind.key,
                    division_code=division.code,
                    level=division.level,
                    parent_id=gov_id,
                    sort_order=order,
                ),
            )
            created += 1
    if created:
        await session.flush()
        record(
            session,
            events.ORGANISATIONS_SYNCED,
            actor=ctx.actor,
            meta=ctx.meta,
            details={"created": created},
        )
    return created


async def get_organisation_by_code(session: AsyncSession, code: str) -> Organisation | None:
    """Organisation by its code (``620100-market_regulation``)."""
    return (await session.execute(select(Organisation).where(Organisation.code == code))).scalar_one_or_none()


async def list_organisations(ctx: ServiceContext, *, division_code: str | None = None) -> list[OrganisationView]:
    """Organisations of one division (default: the province), governments first."""
    stmt = select(Organisation).where(Organisation.division_code == (division_code or PROVINCE_CODE))
    rows = (await ctx.session.execute(stmt.order_by(Organisation.kind.desc(), Organisation.sort_order))).scalars()
    return [_org_view(o) for o in rows]


async def count_organisations(session: AsyncSession) -> dict[str, int]:
    """Number of organisations per level, for the admin overview."""
    rows = await session.execute(select(Organisation.level, func.count()).group_by(Organisation.level))
    return dict(rows.tuples().all())


def _org_view(org: Organisation) -> OrganisationView:
    return OrganisationView(
        id=org.id,
        code=org.code,
        name=org.name,
        kind=org.kind,
        department_kind=org.department_kind,
        division_code=org.division_code,
        level=org.level,
        parent_id=org.parent_id,
    )


# --- registration --------------------------------------------------------------------------


def _require_valid(field: str, check: CodeCheck) -> None:
    if not check.valid:
        raise ValidationFailed(check.message, code=f"invalid_{field}", details={field: check.message})


def _contact_columns(ctx: ServiceContext, phone: str, address: str | None) -> dict[str, Any]:
    """Encrypted phone (with blind index and mask) and address columns shared by persons and enterprises."""
    return {
        "phone_cipher": ctx.codec.encrypt("phone", phone),
        "phone_index": ctx.codec.index("phone", phone),
        "phone_masked": mask_phone(phone),
        "address_cipher": ctx.codec.encrypt("address", address) if address else None,
    }


async def _open_account(ctx: ServiceContext, holder: Person | Enterprise, *, login_key: str, password: str, tag: str) -> None:
    """The login account of a newly registered person or enterprise, and its audit record."""
    kind = "person" if isinstance(holder, Person) else "enterprise"
    ctx.session.add(holder)
    await ctx.session.flush()
    ctx.session.add(
        Account(
            kind=kind,
            login_key=login_key,
            display_name=holder.name,
            password_hash=await _hash_password(password),
            person_id=holder.id if isinstance(holder, Person) else None,
            enterprise_id=holder.id if isinstance(holder, Enterprise) else None,
        ),
    )
    await ctx.session.flush()
    record(ctx.session, tag, actor=ctx.actor, meta=ctx.meta, subject_type=kind, subject_id=holder.id)


async def register_person(
    ctx: ServiceContext,
    *,
    name: str,
    id_number: str,
    phone: str,
    password: str,
    address: str | None = None,
) -> Person:
    """Create a natural person and their citizen account (甘快办)."""
    id_number = normalise_resident_id(id_number)
    _require_valid("id_number", check_resident_id(id_number))
    _require_valid("phone", check_mobile_phone(phone))
    check_password_strength(password)
    codec = ctx.codec
    index = codec.index("id_number", id_number)
    if (await ctx.session.execute(select(Person.id).where(Person.id_number_index == index))).first():
        raise Conflict("该公民身份号码已注册", code="person_exists")
    person = Person(
        name=name,
        id_number_cipher=codec.encrypt("id_number", id_number),
        id_number_index=index,
        id_number_masked=mask_resident_id(id_number),
        division_code=id_number[:6] if get_division(id_number[:6]) else None,
        **_contact_columns(ctx, phone, address),
    )
    await _open_account(ctx, person, login_key=f"person:{index}", password=password, tag=events.PERSON_REGISTERED)
    await ctx.session.flush()
    domain_events.publish(ctx, PersonRegistered(person_id=person.id, id_number=id_number))
    return person


async def register_enterprise(
    ctx: ServiceContext,
    *,
    name: str,
    uscc: str,
    legal_representative: str,
    phone: str,
    division_code: str,
    password: str,
    address: str | None = None,
) -> Enterprise:
    """Create a legal person and its operator account (陇商通)."""
    uscc = uscc.strip().upper()
    _require_valid("uscc", check_uscc(uscc))
    _require_valid("phone", check_mobile_phone(phone))
    if get_division(division_code) is None:
        _require_valid("division_code", CodeCheck(valid=False, message="行政区划代码无效"))
    check_password_strength(password)
    if (await ctx.session.execute(select(Enterprise.id).where(Enterprise.uscc == uscc))).first():
        raise Conflict("该统一社会信用代码已注册", code="enterprise_exists")
    enterprise = Enterprise(
        name=name,
        uscc=uscc,
        legal_representative=legal_representative,
        division_code=division_code,
        **_contact_columns(ctx, phone, address),
    )
    await _open_account(ctx, enterprise, login_key=f"enterprise:{uscc}", password=password, tag=events.ENTERPRISE_REGISTERED)
    return enterprise


async def assign_uscc(
    ctx: ServiceContext,
    *,
    division_code: str,
    category: str,
    name: str,
    taken: Callable[[str], Awaitable[bool]] | None = None,
) -> str:
    """A new USCC for a business that a registration authority of ``division_code`` registers; audited.

    ``category``: ``1`` 企业, ``2`` 个体工商户, ``3`` 农民专业合作社. Unique under concurrency; see :mod:`longgov.identity.uscc`.
    """
    return await _assign_uscc(ctx, division_code=division_code, category=category, name=name, taken=taken)


# --- staff and roles -----------------------------------------------------------------------


def _parse_roles(names: Iterable[str]) -> set[Role]:
    roles: set[Role] = set()
    for name in names:
        try:
            role = Role(name)
        except ValueError:
            raise ValidationFailed(f"未知角色：{name}", code="unknown_role", details={"roles": name}) from None
        if role not in STAFF_ROLES:
            raise ValidationFailed(
                f"{name} 不是工作人员角色",
                code="not_a_staff_role",
                details={"roles": name},
            )
        roles.add(role)
    return roles


def check_role_separation(roles: Iterable[Role]) -> None:
    """MLPS level 3: no account holds two of system, security and audit administration."""
    held = SEPARATED_ADMIN_ROLES.intersection(roles)
    if len(held) > 1:
        raise Conflict(
            "系统管理员、安全管理员、审计管理员须由不同人员担任（等保三级三权分立）",
            code="admin_roles_not_separated",
            details={"roles": sorted(held)},
        )


def _staff_role(account_id: uuid.UUID, role: Role) -> StaffRole:
    # admin_duty is what the unique constraint keys on: one administrator duty per account.
    return StaffRole(account_id=account_id, role=str(role), admin_duty="admin" if role in SEPARATED_ADMIN_ROLES else None)


async def create_staff(ctx: ServiceContext, data: NewStaff) -> CreatedStaff:
    """Create a staff account in an organisation, with roles and a TOTP enrolment secret."""
    roles = _parse_roles(data.roles)
    check_role_separation(roles)
    check_password_strength(data.password)
    org = await get_organisation_by_code(ctx.session, data.organisation_code)
    if org is None:
        raise NotFound(
            "机构不存在",
            code="organisation_not_found",
            details={"organisation_code": data.organisation_code},
        )
    login_key = f"staff:{data.username}"
    if (await ctx.session.execute(select(Account.id).where(Account.login_key == login_key))).first():
        raise Conflict("用户名已被使用", code="username_taken", details={"username": data.username})
    secret = pyotp.random_base32()
    account = Account(
        kind="staff",
        login_key=login_key,
        display_name=data.display_name,
        password_hash=await _hash_password(data.password),
        totp_secret_cipher=ctx.codec.encrypt("totp", secret),
        organisation_id=org.id,
    )
    ctx.session.add(account)
    await ctx.session.flush()
    for role in sorted(roles):
        ctx.session.add(_staff_role(account.id, role))
    await ctx.session.flush()
    record(
        ctx.session,
        events.STAFF_CREATED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="account",
        subject_id=account.id,
        details={
            "username": data.username,
            "organisation": org.code,
            "roles": sorted(str(r) for r in roles),
        },
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=data.username, issuer_name="LongGov 陇政通")
    return CreatedStaff(account_id=account.id, username=data.username, totp_secret=secret, totp_uri=uri)


async def assign_role(ctx: ServiceContext, account_id: uuid.UUID, role_name: str) -> None:
    """Grant a staff role (security administrator), keeping the three admin roles separated."""
    (role,) = _parse_roles([role_name])
    account = await ctx.session.get(Account, account_id)
    if account is None or account.kind != "staff":
        raise NotFound("工作人员账号不存在", code="account_not_found")
    current = {Role(r) for r in (await ctx.session.execute(select(StaffRole.role).where(StaffRole.account_id == account_id))).scalars()}
    if role in current:
        return
    check_role_separation(current | {role})
    ctx.session.add(_staff_role(account_id, role))
    await ctx.session.flush()
    record(
        ctx.session,
        events.ROLE_ASSIGNED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="account",
        subject_id=account_id,
        details={"role": str(role)},
    )


async def unlock_account(ctx: ServiceContext, account_id: uuid.UUID) -> None:
    """Lift a login lock early (security administrator)."""
    account = await ctx.session.get(Account, account_id)
    if account is None:
        raise NotFound("账号不存在", code="account_not_found")
    account.locked_until = None
    account.failed_logins = 0
    record(
        ctx.session,
        events.ACCOUNT_UNLOCKED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="account",
        subject_id=account_id,
    )


@dataclass(frozen=True)
class LockedAccount:
    """A currently locked account for the security administrator's list."""

    account_id: uuid.UUID
    kind: str
    display_name: str
    locked_until: datetime


async def list_locked_accounts(session: AsyncSession) -> list[LockedAccount]:
    """Accounts locked right now."""
    rows = (await session.execute(select(Account).where(Account.locked_until > utcnow()).order_by(Account.locked_until))).scalars()
    return [LockedAccount(a.id, a.kind, a.display_name, a.locked_until) for a in rows if a.locked_until]


# --- login -----------------------------------------------------------------------------------


def _login_key(ctx: ServiceContext, portal: LoginPortal, identifier: str) -> str:
    identifier = identifier.strip()
    if portal == "person":
        return f"person:{ctx.codec.index('id_number', normalise_resident_id(identifier))}"
    if portal == "enterprise":
        return f"enterprise:{identifier.upper()}"
    return f"staff:{identifier.lower()}"


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, sm3_hex(token.encode())


async def _fail(ctx: ServiceContext, account: Account | None, portal: str, tag: str, message: str) -> AppError:
    """Count a failure (locking at the limit), audit it, and return the error to raise."""
    now = utcnow()
    details = {"portal": portal}
    if account is None:
        record(
            ctx.session,
            tag,
            actor=None,
            meta=ctx.meta,
            subject_type="account",
            result="failure",
            details=details,
        )
        return AuthenticationFailed(message)
    account.failed_logins += 1
    if account.failed_logins >= ctx.settings.login_max_failures:
        account.failed_logins = 0
        account.locked_until = now + timedelta(seconds=ctx.settings.login_lock_seconds)
        record(
            ctx.session,
            events.ACCOUNT_LOCKED,
            actor=None,
            meta=ctx.meta,
            subject_type="account",
            subject_id=account.id,
            result="failure",
            details=details,
        )
        return AccountLocked(
            _locked_message(account.locked_until),
            details={"locked_until": account.locked_until.isoformat()},
        )
    record(
        ctx.session,
        tag,
        actor=None,
        meta=ctx.meta,
        subject_type="account",
        subject_id=account.id,
        result="failure",
        details=details,
    )
    left = ctx.settings.login_max_failures - account.failed_logins
    return AuthenticationFailed(f"{message}，再失败{left}次账号将被锁定15分钟", details={"attempts_left": left})


def _locked_message(until: datetime) -> str:
    local = until.astimezone(_CHINA_TZ)
    return f"连续登录失败次数过多，账号已锁定，请于 {local:%H:%M} 后再试"


async def begin_login(ctx: ServiceContext, portal: LoginPortal, identifier: str, password: str) -> PendingLogin:
    """Check identifier and password; open a session waiting for the SMS or TOTP second factor."""
    if not identifier.strip() or not password:
        raise ValidationFailed("请填写账号和密码", code="missing_credentials")
    now = utcnow()
    login_key = _login_key(ctx, portal, identifier)
    account = (await ctx.session.execute(select(Account).where(Account.login_key == login_key).with_for_update())).scalar_one_or_none()
    if account is None or not account.is_active:
        await _verify_password(_dummy_hash(), password)
        raise await _fail(ctx, None, portal, events.LOGIN_FAILED, "账号或密码错误")
    if account.locked_until and account.locked_until > now:
        record(
            ctx.session,
            events.LOGIN_FAILED,
            actor=None,
            meta=ctx.meta,
            subject_type="account",
            subject_id=account.id,
            result="denied",
            details={"portal": portal, "reason": "locked"},
        )
        raise AccountLocked(_locked_message(account.locked_until))
    if not await _verify_password(account.password_hash, password):
        raise await _fail(ctx, account, portal, events.LOGIN_FAILED, "账号或密码错误")
    token, token_hash = _new_token()
    pending = LoginSession(
        token_hash=token_hash,
        account_id=account.id,
        stage="second_factor",
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=SECOND_FACTOR_SECONDS),
        ip=ctx.meta.ip,
        user_agent=(ctx.meta.user_agent or "")[:400] or None,
    )
    ctx.session.add(pending)
    await ctx.session.flush()
    record(
        ctx.session,
        events.LOGIN_PASSWORD_OK,
        actor=None,
        meta=ctx.meta,
        subject_type="account",
        subject_id=account.id,
        details={"portal": portal},
    )
    if account.kind == "staff":
        return PendingLogin(token=token, second_factor="totp", expires_at=pending.expires_at)
    phone, phone_masked = await _account_phone(ctx, account)
    code = f"{secrets.randbelow(1_000_000):06d}"
    ctx.session.add(
        OneTimeCode(
            session_id=pending.id,
            code_hash=sm3_hex(f"{pending.id}:{code}".encode()),
            expires_at=now + timedelta(seconds=ctx.settings.sms_code_seconds),
        ),
    )
    minutes = ctx.settings.sms_code_seconds // 60
    body = f"【甘肃政务服务】您的登录验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。"
    sms = ctx.platform.sms

    async def _send() -> None:
        await sms.send(phone, body, purpose="login")

    after_commit(ctx.session, _send)
    return PendingLogin(
        token=token,
        second_factor="sms",
        phone_masked=phone_masked,
        expires_at=pending.expires_at,
    )


def _verify_password_sync(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Each argon2 computation takes ~90 ms of CPU and 64 MiB of memory: run them off the event loop so
# other requests are not stalled, but at most two at a time per worker so memory stays bounded.
_ARGON2_SLOTS = asyncio.Semaphore(2)


async def _verify_password(password_hash: str, password: str) -> bool:
    async with _ARGON2_SLOTS:
        return await asyncio.to_thread(_verify_password_sync, password_hash, password)


async def _hash_password(password: str) -> str:
    async with _ARGON2_SLOTS:
        return await asyncio.to_thread(_hasher.hash, password)


async def _account_phone(ctx: ServiceContext, account: Account) -> tuple[str, str]:
    holder: Person | Enterprise | None
    if account.person_id:
        holder = await ctx.session.get(Person, account.person_id)
    else:
        holder = await ctx.session.get(Enterprise, account.enterprise_id)
    if holder is None:
        raise NotFound("账号未关联手机号", code="no_phone")
    return ctx.codec.decrypt("phone", holder.phone_cipher), holder.phone_masked


async def complete_login(ctx: ServiceContext, pending_token: str, code: str) -> ActiveLogin:
    """Check the second factor of a pending session and replace it by an active session."""
    if not (len(code) == OTP_LENGTH and code.isdigit()):
        raise ValidationFailed("请输入6位数字验证码", code="invalid_code_format")
    now = utcnow()
    pending = (
        await ctx.session.execute(
            select(LoginSession).where(LoginSession.token_hash == sm3_hex(pending_token.encode())).with_for_update(),
        )
    ).scalar_one_or_none()
    if pending is None or pending.stage != "second_factor" or pending.revoked_at or pending.expires_at <= now:
        raise NotAuthenticated("登录已过期，请重新输入账号和密码", code="login_expired")
    account = await ctx.session.get(Account, pending.account_id, with_for_update=True)
    if account is None or not account.is_active:
        raise NotAuthenticated("账号不可用", code="account_inactive")
    if account.locked_until and account.locked_until > now:
        pending.revoked_at = now
        raise AccountLocked(_locked_message(account.locked_until))
    portal: LoginPortal = account.kind  # type: ignore[assignment]
    if account.kind == "staff":
        ok = _check_totp(ctx, account, code)
    else:
        ok = await _check_sms_code(ctx, pending, code, now)
    if not ok:
        error = await _fail(ctx, account, portal, events.SECOND_FACTOR_FAILED, "验证码错误或已过期")
        if isinstance(error, AccountLocked):
            pending.revoked_at = now
        raise error
    # A fresh token on success: a token seen before the second factor never becomes a full session.
    pending.revoked_at = now
    token, token_hash = _new_token()
    ctx.session.add(
        LoginSession(
            token_hash=token_hash,
            account_id=account.id,
            stage="active",
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=ctx.settings.session_max_seconds),
            ip=ctx.meta.ip,
            user_agent=(ctx.meta.user_agent or "")[:400] or None,
        ),
    )
    account.failed_logins = 0
    account.last_login_at = now
    record(
        ctx.session,
        events.LOGIN_SUCCEEDED,
        actor=await principal_for_account(ctx.session, account),
        meta=ctx.meta,
        subject_type="account",
        subject_id=account.id,
        details={"portal": portal},
    )
    return ActiveLogin(
        token=token,
        account_id=account.id,
        display_name=account.display_name,
        kind=portal,
    )


def _check_totp(ctx: ServiceContext, account: Account, code: str) -> bool:
    if account.totp_secret_cipher is None:
        return False
    totp = pyotp.TOTP(ctx.codec.decrypt("totp", account.totp_secret_cipher))
    now = utcnow()
    step = int(now.timestamp()) // totp.interval
    # Accept the previous/next 30-second step for clock drift, never a step already used.
    for candidate in (step - 1, step, step + 1):
        if secrets.compare_digest(totp.at(candidate * totp.interval), code):
            if account.totp_last_step is not None and candidate <= account.totp_last_step:
                return False
            account.totp_last_step = candidate
            return True
    return False


async def _check_sms_code(ctx: ServiceContext, pending: LoginSession, code: str, now: datetime) -> bool:
    otp = (
        await ctx.session.execute(
            select(OneTimeCode).where(OneTimeCode.session_id == pending.id, OneTimeCode.consumed_at.is_(None)).order_by(OneTimeCode.expires_at.desc()).limit(1),
        )
    ).scalar_one_or_none()
    if otp is None or otp.expires_at <= now or otp.attempts >= SMS_CODE_MAX_ATTEMPTS:
        return False
    otp.attempts += 1
    if not secrets.compare_digest(otp.code_hash, sm3_hex(f"{pending.id}:{code}".encode())):
        return False
    otp.consumed_at = now
    return True


async def logout(ctx: ServiceContext, token: str) -> None:
    """Revoke the session of a token."""
    now = utcnow()
    result = await ctx.session.execute(
        update(LoginSession)
        .where(
            LoginSession.token_hash == sm3_hex(token.encode()),
            LoginSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .returning(LoginSession.account_id),
    )
    account_id = result.scalar_one_or_none()
    if account_id is not None:
        record(
            ctx.session,
            events.LOGOUT,
            actor=ctx.actor,
            meta=ctx.meta,
            subject_type="account",
            subject_id=account_id,
        )


TOUCH_INTERVAL = timedelta(seconds=60)


async def principal_for_token(session: AsyncSession, token: str, *, idle_seconds: int) -> Principal | None:
    """The principal of an active, unexpired, recently used session, else None."""
    now = utcnow()
    row = (
        await session.execute(
            select(LoginSession, Account)
            .join(Account, Account.id == LoginSession.account_id)
            .where(
                LoginSession.token_hash == sm3_hex(token.encode()),
                LoginSession.stage == "active",
                LoginSession.revoked_at.is_(None),
            ),
        )
    ).first()
    if row is None:
        return None
    login, account = row
    if login.expires_at <= now or login.last_seen_at + timedelta(seconds=idle_seconds) <= now or not account.is_active:
        return None
    # Writing on every request would make each read a write; a minute's resolution is enough for idle timeout.
    if now - login.last_seen_at >= TOUCH_INTERVAL:
        await session.execute(update(LoginSession).where(LoginSession.id == login.id).values(last_seen_at=now))
    return await principal_for_account(session, account, session_id=login.id)


async def principal_for_account(session: AsyncSession, account: Account, *, session_id: uuid.UUID | None = None) -> Principal:
    """Build the principal (roles, permissions, scope) of an account."""
    if account.kind == "person":
        roles = frozenset({Role.Person})
        return Principal(
            account.id,
            "person",
            account.display_name,
            roles,
            permissions_for(roles),
            session_id=session_id,
            person_id=account.person_id,
        )
    if account.kind == "enterprise":
        roles = frozenset({Role.Enterprise})
        return Principal(
            account.id,
            "enterprise",
            account.display_name,
            roles,
            permissions_for(roles),
            session_id=session_id,
            enterprise_id=account.enterprise_id,
        )
    roles = frozenset(Role(r) for r in (await session.execute(select(StaffRole.role).where(StaffRole.account_id == account.id))).scalars())
    org = await session.get(Organisation, account.organisation_id) if account.organisation_id else None
    return Principal(
        account.id,
        "staff",
        account.display_name,
        roles,
        permissions_for(roles),
        session_id=session_id,
        organisation_id=org.id if org else None,
        organisation_name=org.name if org else None,
        scope_division=org.division_code if org else None,
        # Governments and the data bureau see all departments of their region.
        scope_department=org.department_kind if org and org.department_kind not in (None, "data", "government_services") else None,
    )


async def principal_by_login(ctx: ServiceContext, portal: LoginPortal, identifier: str) -> Principal | None:
    """Principal of an account named by its login identifier (CLI and tests)."""
    account = (await ctx.session.execute(select(Account).where(Account.login_key == _login_key(ctx, portal, identifier)))).scalar_one_or_none()
    return await principal_for_account(ctx.session, account) if account else None


def me_view(principal: Principal) -> MeView:
    """The current account as JSON."""
    return MeView(
        account_id=principal.account_id,
        kind=principal.kind,
        display_name=principal.display_name,
        roles=sorted(str(r) for r in principal.roles),
        permissions=sorted(principal.permissions),
        organisation=principal.organisation_name,
        scope_division=principal.scope_division,
    )


# --- personal data reads ---------------------------------------------------------------------


def _person_view(ctx: ServiceContext, person: Person, *, unmasked: bool) -> PersonView:
    codec = ctx.codec
    address = codec.decrypt("address", person.address_cipher) if person.address_cipher else None
    if unmasked:
        return PersonView(
            id=person.id,
            name=person.name,
            id_number=codec.decrypt("id_number", person.id_number_cipher),
            phone=codec.decrypt("phone", person.phone_cipher),
            address=address,
            division_code=person.division_code,
            unmasked=True,
        )
    return PersonView(
        id=person.id,
        name=person.name,
        id_number=person.id_number_masked,
        phone=person.phone_masked,
        address=mask_address(address) if address else None,
        division_code=person.division_code,
        unmasked=False,
    )


async def my_person(ctx: ServiceContext) -> PersonView:
    """The citizen's own record, masked (own reads are audited like any other)."""
    actor = _require_actor(ctx)
    if actor.person_id is None:
        raise PermissionDenied("仅自然人账号可查看", code="not_a_person")
    person = await ctx.session.get(Person, actor.person_id)
    if person is None:
        raise NotFound("未找到个人信息")
    record(
        ctx.session,
        events.PERSON_READ,
        actor=actor,
        meta=ctx.meta,
        subject_type="person",
        subject_id=person.id,
        details={"masked": True},
    )
    return _person_view(ctx, person, unmasked=False)


async def my_enterprise(ctx: ServiceContext) -> EnterpriseView:
    """The enterprise account's own record (phone and address masked)."""
    actor = _require_actor(ctx)
    enterprise = await ctx.session.get(Enterprise, actor.enterprise_id) if actor.enterprise_id else None
    if enterprise is None:
        raise PermissionDenied("仅法人账号可查看", code="not_an_enterprise")
    address = ctx.codec.decrypt("address", enterprise.address_cipher) if enterprise.address_cipher else None
    return EnterpriseView(
        id=enterprise.id,
        name=enterprise.name,
        uscc=enterprise.uscc,
        legal_representative=enterprise.legal_representative,
        phone=enterprise.phone_masked,
        address=mask_address(address) if address else None,
        division_code=enterprise.division_code,
    )


def _require_actor(ctx: ServiceContext) -> Principal:
    if ctx.actor is None:
        raise NotAuthenticated("请先登录")
    return ctx.actor


async def get_person(ctx: ServiceContext, person_id: uuid.UUID, *, unmask: bool = False) -> PersonView:
    """A person within the staff member's region; unmasked only with the permission. Always audited."""
    actor = _require_actor(ctx)
    if not actor.has(Permission.IdentityPersonsRead):
        raise PermissionDenied("无权查看自然人信息")
    if unmask and not actor.has(Permission.IdentityPiiUnmask):
        record(
            ctx.session,
            events.PERSON_UNMASKED,
            actor=actor,
            meta=ctx.meta,
            subject_type="person",
            subject_id=person_id,
            result="denied",
        )
        raise UnmaskDenied("无权查看完整个人信息")
    stmt = select(Person).where(Person.id == person_id, scope_filter(actor, Person.division_code))
    person = (await ctx.session.execute(stmt)).scalar_one_or_none()
    if person is None:
        raise NotFound("未找到该自然人，或不在您的数据范围内", code="person_not_found")
    tag = events.PERSON_UNMASKED if unmask else events.PERSON_READ
    record(
        ctx.session,
        tag,
        actor=actor,
        meta=ctx.meta,
        subject_type="person",
        subject_id=person.id,
        details={"masked": not unmask},
    )
    return _person_view(ctx, person, unmasked=unmask)


async def find_person_by_id_number(ctx: ServiceContext, id_number: str) -> PersonView:
    """Exact lookup through the blind index (no decryption of other rows), masked."""
    actor = _require_actor(ctx)
    if not actor.has(Permission.IdentityPersonsRead):
        raise PermissionDenied("无权查看自然人信息")
    index = ctx.codec.index("id_number", normalise_resident_id(id_number))
    stmt = select(Person).where(Person.id_number_index == index, scope_filter(actor, Person.division_code))
    person = (await ctx.session.execute(stmt)).scalar_one_or_none()
    record(
        ctx.session,
        events.PERSON_READ,
        actor=actor,
        meta=ctx.meta,
        subject_type="person",
        subject_id=person.id if person else None,
        result="success" if person else "failure",
        details={"lookup": "id_number"},
    )
    if person is None:
        raise NotFound("未找到该自然人，或不在您的数据范围内", code="person_not_found")
    return _person_view(ctx, person, unmasked=False)


async def list_persons(ctx: ServiceContext, *, limit: int = 50, offset: int = 0) -> tuple[list[PersonView], int]:
    """Persons in the staff member's region, masked; the listing itself is audited."""
    actor = _require_actor(ctx)
    if not actor.has(Permission.IdentityPersonsRead):
        raise PermissionDenied("无权查看自然人信息")
    where = scope_filter(actor, Person.division_code)
    total = (await ctx.session.execute(select(func.count()).select_from(Person).where(where))).scalar_one()
    rows = (await ctx.session.execute(select(Person).where(where).order_by(Person.created_at, Person.id).limit(limit).offset(offset))).scalars().all()
    record(
        ctx.session,
        events.PERSON_READ,
        actor=actor,
        meta=ctx.meta,
        subject_type="person",
        details={"list": len(rows), "offset": offset, "masked": True},
    )
    return [_person_view(ctx, p, unmasked=False) for p in rows], total


def division_label(code: str | None) -> str:
    """Full Chinese name of a division code, or the code itself."""
    division: Division | None = get_division(code) if code else None
    return division.full_name if division else (code or "")


def in_scope(principal: Principal, division_code: str | None) -> bool:
    """Whether a division is inside a principal's region."""
    return in_division(division_code, principal.scope_division)


async def staff_accounts(session: AsyncSession, *, limit: int = 200) -> Sequence[tuple[Account, Organisation | None, list[str]]]:
    """Staff accounts with their organisation and roles (system administrator's list)."""
    rows = (
        await session.execute(
            select(Account, Organisation)
            .outerjoin(Organisation, Organisation.id == Account.organisation_id)
            .where(Account.kind == "staff")
            .order_by(Account.created_at)
            .limit(limit)
        )
    ).all()
    roles: dict[uuid.UUID, list[str]] = {}
    for account_id, role in (await session.execute(select(StaffRole.account_id, StaffRole.role))).all():
        roles.setdefault(account_id, []).append(role)
    return [(a, o, sorted(roles.get(a.id, []))) for a, o in rows]


async def principal_by_login_id(ctx: ServiceContext, account_id: uuid.UUID) -> Principal | None:
    """Principal of an account id."""
    account = await ctx.session.get(Account, account_id)
    return await principal_for_account(ctx.session, account) if account else None


async def demo_totp_secret(ctx: ServiceContext, username: str) -> str:
    """The TOTP secret of a staff account, for printing demo logins (refused outside demo/test)."""
    if ctx.settings.mode == "production":
        raise PermissionDenied("生产环境不允许导出动态口令密钥", code="forbidden_in_production")
    account = (await ctx.session.execute(select(Account).where(Account.login_key == f"staff:{username}"))).scalar_one_or_none()
    if account is None or account.totp_secret_cipher is None:
        raise NotFound("工作人员账号不存在", code="account_not_found")
    return ctx.codec.decrypt("totp", account.totp_secret_cipher)


# --- for notifications -----------------------------------------------------------------------


async def notification_phone(ctx: ServiceContext, account_id: uuid.UUID) -> str | None:
    """The decrypted mobile number of a person or enterprise account, for an SMS notice; None for staff or no account.

    Called by the notifier as the system (no actor): audited as a personal-data read with its purpose.
    """
    account = await ctx.session.get(Account, account_id)
    if account is None or account.kind not in {"person", "enterprise"}:
        return None
    try:
        phone, _ = await _account_phone(ctx, account)
    except NotFound:
        return None
    record(
        ctx.session,
        events.CONTACT_READ,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type=account.kind,
        subject_id=account.person_id or account.enterprise_id,
        details={"field": "phone", "purpose": "notification"},
    )
    return phone


async def staff_holding(ctx: ServiceContext, permission: Permission) -> list[Principal]:
    """Active staff accounts whose roles grant ``permission``, as principals (roles and data scope), for addressing notices."""
    roles = [str(role) for role, granted in ROLE_PERMISSIONS.items() if permission in granted and role in STAFF_ROLES]
    query = (
        select(Account)
        .where(Account.kind == "staff", Account.is_active.is_(True), Account.id.in_(select(StaffRole.account_id).where(StaffRole.role.in_(roles))))
        .order_by(Account.created_at, Account.id)
    )
    return [await principal_for_account(ctx.session, account) for account in (await ctx.session.execute(query)).scalars()]


@functools.cache
def organisation_uscc(organisation_code: str, division_code: str) -> str:
    """A valid GB 32100 USCC for a government body (authority 1 机构编制, category 1 机关), stable per organisation.

    Organisations in the tree carry no USCC of their own; the catalogue (implementation codes) and
    licences (issuer codes, identifiers) both need one, so it is derived here from the organisation
    code: the same body always gets the same code.
    """
    digest = hashlib.sha256(organisation_code.encode()).digest()
    body = "".join(USCC_CHARSET[b % len(USCC_CHARSET)] for b in digest[:8])
    return make_uscc("1", "1", division_code, body)


def department_kind_titles() -> dict[str, str]:
    """Short Chinese titles of the usual department kinds by key (``housing`` → 住建), in the shipped order."""
    return {kind.key: kind.short for kind in DEPARTMENT_KINDS}


def department_kind_keys() -> frozenset[str]:
    """Keys of the usual department kinds (``market_regulation``, ``housing`` …), for other modules to validate against."""
    return frozenset(kind.key for kind in DEPARTMENT_KINDS)
