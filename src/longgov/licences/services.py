"""Licence use cases: issue, import, read (wallet and issuing staff), change status, renew, verify, export.

What other modules call: :func:`issue_licence` (the applications module on a grant),
:func:`get_licence`, :func:`licences_of_holder`, :func:`licence_claims`,
:func:`verify_licence_document`, :func:`verify_credential`, :func:`revocation_status`,
:func:`status_list` and :func:`issuer_document` (presentations, pre-fill, trust lists).

A licence's content lives in signed versions (:class:`~longgov.licences.models.LicenceVersion`):
issuing, a changed re-import and a renewal each make a new version with its own GB/T 36904
identifier (the version number is part of it) and a new seal. Suspension, reinstatement and
revocation change the status only, which verifiers learn from the status lists.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from longgov.db import utcnow
from longgov.documents import services as documents
from longgov.identity import services as identity
from longgov.identity.schemas import PersonRegistered
from longgov.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from longgov.kernel.fonts import fonts_for
from longgov.licences import credentials, events, importer, keycache, outcomes, sealing
from longgov.licences.canonical import CanonicalisationError, canonical_json, parse_json_object
from longgov.licences.catalogue import HOLDER_ID_TYPES, FieldSpec, LicenceType, government_uscc, licence_types, resolve_type, type_by_code
from longgov.licences.identifiers import identifier_problem, licence_key, make_identifier
from longgov.licences.models import Licence, LicenceCounter, LicenceEvent, LicenceVersion, SealKey
from longgov.licences.pdf import LicencePrint, render_licence_pdf
from longgov.licences.schemas import (
    ACTION_TITLES,
    STATUS_TITLES,
    EffectiveStatus,
    FieldView,
    HolderInput,
    ImportReport,
    ImportRowError,
    LicenceFieldValue,
    LicenceHistoryEntry,
    LicenceTypeView,
    LicenceView,
    PublicCheckView,
    StatusView,
    VerificationResult,
)
from longgov.licences.seals import SealOwner, key_validity, seal_problem, seal_provider, seals_of_uscc
from longgov.platform import Platform, ServiceContext
from longgov.security.audit.service import record
from longgov.security.crypto import constant_time_equal, sm2_sign, sm3_hex, sm3_hmac
from longgov.security.permissions import Permission
from longgov.security.pii import mask_address, mask_middle, mask_name
from longgov.security.principal import Principal
from longgov.security.scope import in_division, scope_filter

CHINA_TZ = ZoneInfo("Asia/Shanghai")
# The same blind index identity keeps for persons, so a citizen's licences match their account.
PERSON_INDEX_FIELD = "id_number"
HOLDER_CIPHER_FIELD = "licence_holder_id"
DOCUMENT_CIPHER_FIELD = "licence_document"
STATUS_SCOPE = "*status*"
FLUSH_EVERY = 500
MAX_FIELD_CHARS = 2000
CHECK_CODE_CHARS = 16
PLATFORM_ISSUER = "platform"
STATUS_LIST_FORMAT = "longgov-licence-status/1"
STATUS_PURPOSES = ("revocation", "suspension")


def _mask_id(value: str) -> str:
    """6201**********1234: a resident ID number keeps its first and last four characters."""
    return mask_middle(value, 4, 4)


def today() -> date:
    """Today in China."""
    return datetime.now(CHINA_TZ).date()


# --- the catalogue -----------------------------------------------------------------------------


def type_view(licence_type: LicenceType) -> LicenceTypeView:
    """A licence type as JSON."""
    defining = licence_type.defining_department
    return LicenceTypeView(
        key=licence_type.key,
        name=licence_type.name,
        code=licence_type.code,
        defining_department_kind=defining.kind,
        defining_department_level=defining.level,
        defining_department_uscc=defining.uscc,
        holder_kinds=list(licence_type.holder_kinds),
        issuer_kinds=list(licence_type.issuer_kinds),
        trust_level=licence_type.trust_level,
        number_title=licence_type.number_title,
        validity_title=licence_type.validity_title,
        description=licence_type.description,
        fields=[FieldView(key=f.key, title=f.title, required=f.required, kind=f.kind, personal=f.personal) for f in licence_type.fields],
    )


def list_types() -> list[LicenceTypeView]:
    """Every licence type of the catalogue."""
    return [type_view(t) for t in licence_types()]


def _require_type(ref: str) -> LicenceType:
    licence_type = resolve_type(ref)
    if licence_type is None:
        raise ValidationFailed("证照类型不存在", code="licence_type_unknown", details={"type_code": "证照类型不存在"})
    return licence_type


# --- issuers, scope and counters -----------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """The issuing organisation of a licence."""

    code: str
    name: str
    uscc: str
    division_code: str
    department_kind: str | None

    @property
    def owner(self) -> SealOwner:
        """Whose seal signs."""
        return SealOwner(self.code, self.uscc, self.name)


async def _issuer(ctx: ServiceContext, code: str, licence_type: LicenceType) -> Issuer:
    org = await identity.get_organisation_by_code(ctx.session, code.strip())
    if org is None:
        raise ValidationFailed("颁发机构不存在", code="issuer_unknown", details={"issuer_code": "颁发机构不存在"})
    if org.department_kind not in licence_type.issuer_kinds:
        raise ValidationFailed(f"{org.name}不能颁发{licence_type.name}", code="issuer_not_allowed", details={"issuer_code": "该机构无权颁发此类证照"})
    return Issuer(org.code, org.name, government_uscc(org.code, org.division_code), org.division_code, org.department_kind)


def _staff_may(actor: Principal, division_code: str, department_kind: str | None) -> bool:
    if actor.kind != "staff" or not in_division(division_code, actor.scope_division):
        return False
    return actor.scope_department is None or actor.scope_department == department_kind


def _require_issuing(ctx: ServiceContext, issuer: Issuer, permission: Permission) -> None:
    """Staff of the issuing department in its region (or the system itself: CLI, demo, jobs)."""
    actor = ctx.actor
    if actor is None:
        return
    if not actor.has(permission) or not _staff_may(actor, issuer.division_code, issuer.department_kind):
        raise PermissionDenied("您不能以该机构名义办理此证照", code="licence_issuer_out_of_scope")


async def _next_value(session: AsyncSession, scope: str) -> int:
    """Take the next value of a counter (row-locked ``UPDATE … RETURNING``; created at 1)."""
    for _ in range(3):
        bumped = await session.execute(
            update(LicenceCounter)
            .where(LicenceCounter.scope == scope)
            .values(last_value=LicenceCounter.last_value + 1, updated_at=utcnow())
            .returning(LicenceCounter.last_value)
            .execution_options(synchronize_session=False),
        )
        value = bumped.scalar_one_or_none()
        if value is not None:
            return int(value)
        try:
            async with session.begin_nested():
                session.add(LicenceCounter(scope=scope, last_value=1, updated_at=utcnow()))
        except IntegrityError:
            continue
        return 1
    msg = "licence counter could not be allocated"
    raise RuntimeError(msg)


async def _take(ctx: ServiceContext, scope: str, count: int = 1) -> int:
    """Reserve ``count`` values of a shared counter (the first of them) without holding its row until the unit of work ends.

    On PostgreSQL the reservation commits on its own at once, so a long unit of work (a register import of
    100,000 rows, a slow grant) does not make every other issuer in the province wait on the counter row; a
    unit of work that rolls back leaves a gap, which status-list positions and licence serials allow. SQLite
    has one writer at a time anyway, and a second unit of work would wait on the caller's: there the
    reservation is part of the caller's unit of work.
    """
    if ctx.platform.db.kind == "postgresql":
        async with ctx.platform.db.transaction() as own:
            return await _reserve(own, scope, count)
    return await _reserve(ctx.session, scope, count)


# --- content -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """What a version of a licence says (before identifiers and seals)."""

    number: str
    holder_kind: str
    holder_name: str
    holder_id_number: str
    issued_on: date
    valid_from: date
    valid_until: date | None
    fields: dict[str, str]


def _content_digest(ctx: ServiceContext, content: Content) -> str:
    """Keyed digest of the content: equal data gives equal digests (idempotent import), nothing leaks."""
    payload = canonical_json(
        {
            "number": content.number,
            "holder": [content.holder_kind, content.holder_name, content.holder_id_number],
            "dates": [content.issued_on.isoformat(), content.valid_from.isoformat(), content.valid_until.isoformat() if content.valid_until else None],
            "fields": content.fields,
        },
    )
    return sm3_hmac(ctx.platform.keys.index_key, b"licence-content\x00" + payload).hex()


def _number_index(ctx: ServiceContext, licence_type: LicenceType, number: str) -> str:
    return ctx.codec.index(f"licence_number:{licence_type.code}", number)


def _check_fields(licence_type: LicenceType, fields: dict[str, str]) -> dict[str, str]:
    """Known, well-formed, complete type-specific data (ValidationFailed with every problem)."""
    problems: dict[str, str] = {}
    clean: dict[str, str] = {}
    known = {f.key for f in licence_type.fields}
    for key in fields:
        if key not in known:
            problems[key] = "该证照类型没有此数据项"
    for spec in licence_type.fields:
        value = (fields.get(spec.key) or "").strip()
        if not value:
            if spec.required:
                problems[spec.key] = f"{spec.title}不能为空"
            continue
        if len(value) > MAX_FIELD_CHARS:
            problems[spec.key] = f"{spec.title}过长"
            continue
        normalised, problem = importer.check_field(spec.kind, value)
        if problem:
            problems[spec.key] = f"{spec.title}：{problem}"
        clean[spec.key] = normalised
    if problems:
        raise ValidationFailed("证照数据不完整或格式不正确", code="licence_fields_invalid", details=problems)
    return clean


def _default_until(licence_type: LicenceType, valid_from: date) -> date | None:
    if licence_type.default_years is None:
        return None
    try:
        end = valid_from.replace(year=valid_from.year + licence_type.default_years)
    except ValueError:  # 29 February
        end = valid_from.replace(year=valid_from.year + licence_type.default_years, day=28)
    return end - timedelta(days=1)


def _check_holder(licence_type: LicenceType, holder: HolderInput) -> str:
    if holder.kind not in licence_type.holder_kinds:
        raise ValidationFailed(f"{licence_type.name}不能由该类主体持有", code="holder_kind_invalid", details={"holder.kind": "持证主体类型不符"})
    normalised, problem = importer.holder_id_problem(holder.kind, holder.id_number)
    if problem:
        raise ValidationFailed(f"持证主体证件号码无效：{problem}", code="holder_id_invalid", details={"holder.id_number": problem})
    return normalised


async def _link(ctx: ServiceContext, holder_kind: str, id_number: str) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The registered person or enterprise the licence belongs to, if they have an account."""
    principal = await identity.principal_by_login(ctx, "person" if holder_kind == "person" else "enterprise", id_number)
    if principal is None:
        return None, None
    return principal.person_id, principal.enterprise_id


def _holder_columns(ctx: ServiceContext, holder_kind: str, id_number: str) -> dict[str, Any]:
    if holder_kind == "person":
        index, masked = ctx.codec.index(PERSON_INDEX_FIELD, id_number), _mask_id(id_number)
    else:
        index, masked = id_number, id_number  # a USCC is public
    return {
        "holder_id_cipher": ctx.codec.encrypt(HOLDER_CIPHER_FIELD, id_number),
        "holder_index": index,
        "holder_id_masked": masked,
        "holder_id_type": HOLDER_ID_TYPES["person" if holder_kind == "person" else "enterprise"],
    }


def _actor_name(ctx: ServiceContext) -> str | None:
    actor = ctx.actor
    if actor is None:
        return "系统"
    return f"{actor.display_name}（{actor.organisation_name}）" if actor.organisation_name else actor.display_name


async def _seal_version(ctx: ServiceContext, licence: Licence, licence_type: LicenceType, issuer: Issuer, content: Content, *, reason: str) -> LicenceVersion:
    """Sign a new version of ``licence`` and make it current."""
    identifier = make_identifier(licence_type.code, issuer.uscc, licence.serial, licence.version)
    licence_claims = sealing.claims(
        identifier=identifier,
        type_code=licence_type.code,
        type_name=licence_type.name,
        number=content.number,
        holder_name=content.holder_name,
        holder_id_type=HOLDER_ID_TYPES["person" if content.holder_kind == "person" else "enterprise"],
        holder_id_number=content.holder_id_number,
        issuer_name=issuer.name,
        issuer_uscc=issuer.uscc,
        issuer_division=issuer.division_code,
        issued_on=content.issued_on,
        valid_from=content.valid_from,
        valid_until=content.valid_until,
        trust_level=licence_type.trust_level,
        version=licence.version,
        status_index=licence.status_index,
        data=content.fields,
    )
    message = sealing.signed_bytes(licence_claims)
    signed = await seal_provider(ctx.platform).sign(ctx.session, issuer.owner, message)
    now = utcnow()
    document = sealing.sealed_document(licence_claims, key_id=signed.seal.key_id, issuer_uscc=issuer.uscc, signed_at=now, signature=signed.signature)
    version = LicenceVersion(
        licence_id=licence.id,
        version=licence.version,
        identifier=identifier,
        document_cipher=ctx.codec.encrypt(DOCUMENT_CIPHER_FIELD, canonical_json(document).decode()),
        document_sm3=sm3_hex(message),
        signature=signed.signature,
        seal_key_id=signed.seal.key_id,
        reason=reason,
        valid_from=content.valid_from,
        valid_until=content.valid_until,
        created_at=now,
        created_by=_actor_name(ctx),
    )
    ctx.session.add(version)
    licence.identifier = identifier
    licence.valid_from, licence.valid_until, licence.issued_on = content.valid_from, content.valid_until, content.issued_on
    licence.holder_name = content.holder_name
    licence.content_sm3 = _content_digest(ctx, content)
    return version


def _history(ctx: ServiceContext, licence: Licence, action: str, reason: str | None = None, **details: Any) -> None:  # noqa: ANN401
    ctx.session.add(
        LicenceEvent(
            licence_id=licence.id,
            action=action,
            version=licence.version,
            status=licence.status,
            reason=reason,
            details={"identifier": licence.identifier, **details},
            actor_name=_actor_name(ctx),
            occurred_at=utcnow(),
        ),
    )


async def _create(
    ctx: ServiceContext,
    licence_type: LicenceType,
    issuer: Issuer,
    content: Content,
    *,
    source: str,
    application_id: uuid.UUID | None = None,
) -> Licence:
    serial_value = await _take(ctx, f"{licence_type.code}:{issuer.code}")
    person_id, enterprise_id = await _link(ctx, content.holder_kind, content.holder_id_number)
    number_display = mask_middle(content.number, 4, 4) if licence_type.number_personal else content.number
    licence = Licence(
        id=uuid.uuid4(),
        type_code=licence_type.code,
        issuer_code=issuer.code,
        issuer_uscc=issuer.uscc,
        issuer_name=issuer.name,
        division_code=issuer.division_code,
        department_kind=issuer.department_kind,
        serial=f"{serial_value:08d}",
        version=1,
        # Known before sealing: a placeholder would make every concurrent issue wait on this row's unique entry.
        identifier=make_identifier(licence_type.code, issuer.uscc, f"{serial_value:08d}", 1),
        status_index=await _take(ctx, STATUS_SCOPE),
        number_index=_number_index(ctx, licence_type, content.number),
        number_display=number_display,
        holder_kind=content.holder_kind,
        holder_name=content.holder_name,
        holder_person_id=person_id,
        holder_enterprise_id=enterprise_id,
        issued_on=content.issued_on,
        valid_from=content.valid_from,
        valid_until=content.valid_until,
        trust_level=licence_type.trust_level,
        status="valid",
        source=source,
        application_id=application_id,
        content_sm3="",
        **_holder_columns(ctx, content.holder_kind, content.holder_id_number),
    )
    ctx.session.add(licence)
    await _seal_version(ctx, licence, licence_type, issuer, content, reason="issue" if source != "imported" else "import")
    _history(ctx, licence, "issue" if source != "imported" else "import", source=source)
    record(
        ctx.session,
        events.LICENCE_ISSUED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"identifier": licence.identifier, "type": licence_type.name, "issuer": issuer.code, "source": source},
    )
    return licence


async def issue_licence(
    ctx: ServiceContext,
    type_code: str,
    issuer_organisation_code: str,
    holder: HolderInput,
    fields: dict[str, str],
    *,
    number: str | None = None,
    issued_on: date | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    application_id: uuid.UUID | None = None,
) -> LicenceView:
    """Issue one licence: number, sign with the issuer's seal, store; audited as ``licences:licence:issue``.

    ``valid_until`` defaults to the type's usual term from ``valid_from`` (long-term when it has
    none); ``number`` defaults to one derived from the serial. The applications module passes
    ``application_id`` when a grant produces the licence: then the staff member who decided the case
    issues it (casework checked the decision), so handling cases in the issuer's region suffices, as
    for the counter staff who grant a 即办件 on the spot.
    """
    licence_type = _require_type(type_code)
    issuer = await _issuer(ctx, issuer_organisation_code, licence_type)
    _require_issuing(ctx, issuer, Permission.ApplicationsCasesHandle if application_id else Permission.LicencesIssuedManage)
    holder_id = _check_holder(licence_type, holder)
    clean = _check_fields(licence_type, fields)
    issued = issued_on or today()
    start = valid_from or issued
    end = valid_until if valid_until is not None else _default_until(licence_type, start)
    if end is not None and end < start:
        raise ValidationFailed("有效期截止日期早于起始日期", code="validity_invalid", details={"valid_until": "早于起始日期"})
    if number is None:
        number = f"{issuer.division_code}{issued.year}{await _next_value(ctx.session, f'number:{licence_type.code}:{issuer.code}'):07d}"
    number = number.strip()
    exists = select(Licence.id).where(
        Licence.type_code == licence_type.code, Licence.issuer_code == issuer.code, Licence.number_index == _number_index(ctx, licence_type, number)
    )
    if (await ctx.session.execute(exists)).first():
        raise Conflict(f"该机构已颁发编号为 {number} 的{licence_type.name}", code="licence_exists", details={"number": "证照编号已存在"})
    content = Content(number, holder.kind, holder.name, holder_id, issued, start, end, clean)
    licence = await _create(ctx, licence_type, issuer, content, source="application" if application_id else "issued", application_id=application_id)
    await ctx.session.flush()
    return _view(ctx, licence, _claims_of_content(licence, licence_type, issuer, content))


def _claims_of_content(licence: Licence, licence_type: LicenceType, issuer: Issuer, content: Content) -> dict[str, Any]:
    return sealing.claims(
        identifier=licence.identifier,
        type_code=licence_type.code,
        type_name=licence_type.name,
        number=content.number,
        holder_name=content.holder_name,
        holder_id_type=licence.holder_id_type,
        holder_id_number=content.holder_id_number,
        issuer_name=issuer.name,
        issuer_uscc=issuer.uscc,
        issuer_division=issuer.division_code,
        issued_on=content.issued_on,
        valid_from=content.valid_from,
        valid_until=content.valid_until,
        trust_level=licence.trust_level,
        version=licence.version,
        status_index=licence.status_index,
        data=content.fields,
    )


# --- bulk import (汇聚) -----------------------------------------------------------------------------

Progress = Callable[[int, int], None]
# Rows issued together: one counter update per scope and one multi-row INSERT per table for the whole batch.
IMPORT_BATCH = 1000


def _read_register(data: bytes, filename: str) -> list[list[str]]:
    try:
        table = list(importer.read_table(data, filename))
    except importer.RegisterUnreadable as exc:
        raise ValidationFailed(str(exc), code="register_unreadable") from exc
    except Exception as exc:  # a malformed file can make the CSV or xlsx readers raise anything
        raise ValidationFailed("登记簿文件无法读取", code="register_unreadable") from exc
    if not table:
        raise ValidationFailed("登记簿为空", code="register_empty")
    return table


async def import_register(
    ctx: ServiceContext,
    data: bytes,
    filename: str,
    type_ref: str,
    issuer_code: str,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a department's existing register (CSV or .xlsx) of one licence type and issuer.

    Good rows land, bad rows are reported (row, field, Chinese message) and skipped. A licence
    already imported (same type, issuer and number) with the same data is left alone; with changed
    data it gets a new signed version. New licences are issued :data:`IMPORT_BATCH` rows at a time:
    serial numbers and status-list positions are reserved for the batch at once and its licences,
    versions and history entries go in one multi-row INSERT each; every licence still has its own
    seal and its own audit record. ``progress(done, total)`` is called after each batch.
    """
    licence_type = _require_type(type_ref)
    issuer = await _issuer(ctx, issuer_code, licence_type)
    _require_issuing(ctx, issuer, Permission.LicencesRegisterImport)
    table = _read_register(data, filename)
    header = importer.map_header(table[0], licence_type)
    body = [(i, cells) for i, cells in enumerate(table[1:], start=2) if any(c.strip() for c in cells)]
    if len(body) > importer.MAX_ROWS:
        raise ValidationFailed(f"单次最多导入{importer.MAX_ROWS}行", code="register_too_large")
    report = ImportReport(type_name=licence_type.name, issuer_name=issuer.name, total=len(body), created=0, updated=0, unchanged=0, failed=0, errors=[])
    problems = importer.header_errors(header, licence_type)
    if problems:
        report.errors = problems
        report.failed = len(body)
        return report
    run = _RegisterImport(ctx, licence_type, issuer, report)
    await run.load_existing()
    checker = importer.RowChecker(licence_type, header)
    batch: list[importer.RegisterRow] = []
    for done, (row_number, cells) in enumerate(body, start=1):
        checked = checker.check(row_number, cells)
        if isinstance(checked, list):
            run.fail(checked)
        else:
            batch.append(checked)
        if len(batch) >= IMPORT_BATCH or done == len(body):
            await run.batch(batch)
            batch = []
            if progress and done < len(body):
                progress(done, len(body))
    await ctx.session.flush()
    if progress:
        progress(len(body), len(body))
    # Problems found while storing (revoked, another holder) come after the row checks: report in row order.
    report.errors.sort(key=lambda e: e.row)
    record(
        ctx.session,
        events.LICENCE_IMPORTED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence_register",
        details={"type": licence_type.name, "issuer": issuer.code, "file": filename[:120], **report.model_dump(exclude={"errors", "type_name", "issuer_name"})},
    )
    return report


async def _reserve(session: AsyncSession, scope: str, count: int) -> int:
    """Reserve ``count`` consecutive values of a counter (one row-locked ``UPDATE … RETURNING``); the first of them."""
    for _ in range(3):
        bumped = await session.execute(
            update(LicenceCounter)
            .where(LicenceCounter.scope == scope)
            .values(last_value=LicenceCounter.last_value + count, updated_at=utcnow())
            .returning(LicenceCounter.last_value)
            .execution_options(synchronize_session=False),
        )
        last = bumped.scalar_one_or_none()
        if last is not None:
            return int(last) - count + 1
        try:
            async with session.begin_nested():
                session.add(LicenceCounter(scope=scope, last_value=count, updated_at=utcnow()))
        except IntegrityError:
            continue
        return 1
    msg = "licence counter could not be allocated"
    raise RuntimeError(msg)


def _document_json(signed: bytes, document: dict[str, Any]) -> bytes:
    """``canonical_json(document)``, reusing the claims' canonical bytes (what the seal signed) instead of encoding them again."""
    if sorted(document) != ["format", "licence", "seal"]:
        return canonical_json(document)
    # JCS orders members by key ("format" < "licence" < "seal") and encodes each value on its own.
    return b'{"format":' + canonical_json(document["format"]) + b',"licence":' + signed + b',"seal":' + canonical_json(document["seal"]) + b"}"


class _RegisterImport:
    """One import run: the licences already stored for this type and issuer, and the report."""

    def __init__(self, ctx: ServiceContext, licence_type: LicenceType, issuer: Issuer, report: ImportReport) -> None:
        self.ctx, self.type, self.issuer, self.report = ctx, licence_type, issuer, report
        self.existing: dict[str, tuple[uuid.UUID, str]] = {}

    async def load_existing(self) -> None:
        query = select(Licence.id, Licence.number_index, Licence.content_sm3).where(
            Licence.type_code == self.type.code, Licence.issuer_code == self.issuer.code
        )
        self.existing = {index: (licence_id, digest) for licence_id, index, digest in (await self.ctx.session.execute(query)).tuples()}

    def fail(self, problems: list[ImportRowError]) -> None:
        """A row that is not imported, with its problems."""
        self.report.failed += 1
        self.report.errors.extend(problems)

    async def batch(self, rows: list[importer.RegisterRow]) -> None:
        """Checked rows, in file order: new licences issued together, known ones left alone or versioned."""
        fresh: list[tuple[importer.RegisterRow, Content, str]] = []
        repeated: list[tuple[importer.RegisterRow, Content, str]] = []
        new_here: set[str] = set()
        for row in rows:
            content = Content(row.number, row.holder_kind, row.holder_name, row.holder_id_number, row.issued_on, row.valid_from, row.valid_until, row.fields)
            index = _number_index(self.ctx, self.type, row.number)
            if index in new_here:
                # The same number again in this batch: compared with what the first occurrence issues, once it is stored.
                repeated.append((row, content, index))
            elif index in self.existing:
                await self._known(row, content, index)
            else:
                new_here.add(index)
                fresh.append((row, content, index))
        await self._issue(fresh)
        for row, content, index in repeated:
            await self._known(row, content, index)

    async def _issue(self, fresh: list[tuple[importer.RegisterRow, Content, str]]) -> None:
        """Issue new licences: each signed with the issuer's seal, all written in one INSERT per table."""
        if not fresh:
            return
        ctx, session, licence_type, issuer = self.ctx, self.ctx.session, self.type, self.issuer
        serial = await _take(ctx, f"{licence_type.code}:{issuer.code}", len(fresh))
        status_index = await _take(ctx, STATUS_SCOPE, len(fresh))
        links: dict[tuple[str, str], tuple[uuid.UUID | None, uuid.UUID | None]] = {}
        for _, content, _ in fresh:
            key = (content.holder_kind, content.holder_id_number)
            if key not in links:
                links[key] = await _link(ctx, *key)
        provider = seal_provider(ctx.platform)
        actor_name = _actor_name(ctx)
        licences: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for k, (_, content, index) in enumerate(fresh):
            licence_id = uuid.uuid4()
            identifier = make_identifier(licence_type.code, issuer.uscc, f"{serial + k:08d}", 1)
            holder = _holder_columns(ctx, content.holder_kind, content.holder_id_number)
            claims = sealing.claims(
                identifier=identifier,
                type_code=licence_type.code,
                type_name=licence_type.name,
                number=content.number,
                holder_name=content.holder_name,
                holder_id_type=holder["holder_id_type"],
                holder_id_number=content.holder_id_number,
                issuer_name=issuer.name,
                issuer_uscc=issuer.uscc,
                issuer_division=issuer.division_code,
                issued_on=content.issued_on,
                valid_from=content.valid_from,
                valid_until=content.valid_until,
                trust_level=licence_type.trust_level,
                version=1,
                status_index=status_index + k,
                data=content.fields,
            )
            message = sealing.signed_bytes(claims)
            signed = await provider.sign(session, issuer.owner, message)
            now = utcnow()
            document = sealing.sealed_document(claims, key_id=signed.seal.key_id, issuer_uscc=issuer.uscc, signed_at=now, signature=signed.signature)
            digest = _content_digest(ctx, content)
            person_id, enterprise_id = links[content.holder_kind, content.holder_id_number]
            licences.append(
                {
                    "id": licence_id,
                    "type_code": licence_type.code,
                    "issuer_code": issuer.code,
                    "issuer_uscc": issuer.uscc,
                    "issuer_name": issuer.name,
                    "division_code": issuer.division_code,
                    "department_kind": issuer.department_kind,
                    "serial": f"{serial + k:08d}",
                    "version": 1,
                    "identifier": identifier,
                    "status_index": status_index + k,
                    "number_index": index,
                    "number_display": mask_middle(content.number, 4, 4) if licence_type.number_personal else content.number,
                    "holder_kind": content.holder_kind,
                    "holder_name": content.holder_name,
                    "holder_person_id": person_id,
                    "holder_enterprise_id": enterprise_id,
                    "issued_on": content.issued_on,
                    "valid_from": content.valid_from,
                    "valid_until": content.valid_until,
                    "trust_level": licence_type.trust_level,
                    "status": "valid",
                    "source": "imported",
                    "application_id": None,
                    "content_sm3": digest,
                    "created_at": now,
                    "updated_at": now,
                    **holder,
                },
            )
            versions.append(
                {
                    "id": uuid.uuid4(),
                    "licence_id": licence_id,
                    "version": 1,
                    "identifier": identifier,
                    "document_cipher": ctx.codec.encrypt(DOCUMENT_CIPHER_FIELD, _document_json(message, document).decode()),
                    "document_sm3": sm3_hex(message),
                    "signature": signed.signature,
                    "seal_key_id": signed.seal.key_id,
                    "reason": "import",
                    "valid_from": content.valid_from,
                    "valid_until": content.valid_until,
                    "created_at": now,
                    "created_by": actor_name,
                },
            )
            history.append(
                {
                    "id": uuid.uuid4(),
                    "licence_id": licence_id,
                    "action": "import",
                    "version": 1,
                    "status": "valid",
                    "reason": None,
                    "details": {"identifier": identifier, "source": "imported"},
                    "actor_name": actor_name,
                    "occurred_at": now,
                },
            )
            self.existing[index] = (licence_id, digest)
        # Pending ORM changes (new versions of known licences) first, then the batch.
        await session.flush()
        for model, rows in ((Licence, licences), (LicenceVersion, versions), (LicenceEvent, history)):
            await session.execute(insert(model), rows)
        for values in licences:
            record(
                session,
                events.LICENCE_ISSUED,
                actor=ctx.actor,
                meta=ctx.meta,
                subject_type="licence",
                subject_id=values["id"],
                details={"identifier": values["identifier"], "type": licence_type.name, "issuer": issuer.code, "source": "imported"},
            )
        self.report.created += len(fresh)

    async def _known(self, row: importer.RegisterRow, content: Content, index: str) -> None:
        """A licence stored before: left alone when its data is the same, else a new signed version (or the row's problem)."""
        licence_id, stored_digest = self.existing[index]
        if stored_digest == _content_digest(self.ctx, content):
            self.report.unchanged += 1
            return
        stored = await self.ctx.session.get(Licence, licence_id)
        assert stored is not None  # noqa: S101 - licences are never deleted
        if stored.status == "revoked":
            self.fail([ImportRowError(row=row.row, field=self.type.number_title, message="该证照已吊销，不能变更")])
            return
        if (
            stored.holder_kind != content.holder_kind
            or stored.holder_index != _holder_columns(self.ctx, content.holder_kind, content.holder_id_number)["holder_index"]
        ):
            self.fail([ImportRowError(row=row.row, field="持证主体证件号码", message="与已入库证照的持证主体不一致，证照编号不能转给其他主体")])
            return
        await self._new_version(stored, content)
        self.existing[index] = (stored.id, stored.content_sm3)
        self.report.updated += 1

    async def _new_version(self, licence: Licence, content: Content) -> None:
        licence.version += 1
        await _seal_version(self.ctx, licence, self.type, self.issuer, content, reason="update")
        _history(self.ctx, licence, "update", "登记簿数据变更后重新导入")
        record(
            self.ctx.session,
            events.LICENCE_UPDATED,
            actor=self.ctx.actor,
            meta=self.ctx.meta,
            subject_type="licence",
            subject_id=licence.id,
            details={"identifier": licence.identifier, "source": "import"},
        )


# --- reading ---------------------------------------------------------------------------------------


def base_url(ctx: ServiceContext) -> str:
    """Where links printed on licences and in credentials point."""
    return documents.public_base_url(ctx)


def check_code(ctx: ServiceContext, identifier: str) -> str:
    """The code in a licence's QR link; without the platform key nobody can derive it from an identifier."""
    key = sm3_hmac(ctx.platform.keys.index_key, b"longgov:licences:check-code:v1")
    return base64.b32encode(sm3_hmac(key, identifier.encode())).decode().lower()[:CHECK_CODE_CHARS]


def verify_path(ctx: ServiceContext, identifier: str) -> str:
    """The public check page of a licence version."""
    return f"/verify/licences/{identifier}?c={check_code(ctx, identifier)}"


def effective_status(licence: Licence, on: date | None = None) -> EffectiveStatus:
    """Stored status, or expired / not yet valid by the dates."""
    if licence.status in {"revoked", "suspended"}:
        return "revoked" if licence.status == "revoked" else "suspended"
    day = on or today()
    if day < licence.valid_from:
        return "not_yet_valid"
    if licence.valid_until is not None and day > licence.valid_until:
        return "expired"
    return "valid"


def _mask(spec: FieldSpec, value: str) -> str:
    if spec.kind == "resident_id":
        return _mask_id(value)
    if any(word in spec.key for word in ("address", "location")):
        return mask_address(value)
    if spec.key.endswith("name") or spec.key == "guardian":
        return mask_name(value)
    return mask_middle(value, 1, 0)


def _view(ctx: ServiceContext, licence: Licence, claims: dict[str, Any] | None, *, unmask: bool = False) -> LicenceView:
    licence_type = type_by_code(licence.type_code)
    if licence_type is None:  # pragma: no cover - types are never removed from the catalogue
        msg = f"unknown licence type {licence.type_code}"
        raise RuntimeError(msg)
    fields: list[LicenceFieldValue] = []
    if claims is not None:
        data = claims.get("data", {})
        for spec in licence_type.fields:
            value = str(data.get(spec.key, ""))
            if not value:
                continue
            masked = spec.personal and not unmask
            fields.append(LicenceFieldValue(key=spec.key, title=spec.title, value=_mask(spec, value) if masked else value, masked=masked))
    status = effective_status(licence)
    return LicenceView(
        id=licence.id,
        identifier=licence.identifier,
        type_code=licence.type_code,
        type_key=licence_type.key,
        type_name=licence_type.name,
        number_title=licence_type.number_title,
        number=licence.number_display,
        holder_kind="person" if licence.holder_kind == "person" else "enterprise",
        holder_name=licence.holder_name,
        holder_id_type=licence.holder_id_type,
        holder_id=licence.holder_id_masked,
        issuer_code=licence.issuer_code,
        issuer_uscc=licence.issuer_uscc,
        issuer_name=licence.issuer_name,
        issued_on=licence.issued_on,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        validity_title=licence_type.validity_title,
        status="valid" if licence.status == "valid" else ("suspended" if licence.status == "suspended" else "revoked"),
        effective_status=status,
        status_title=STATUS_TITLES[status],
        status_reason=licence.status_reason,
        trust_level=licence.trust_level,
        version=licence.version,
        source=licence.source,
        fields=fields,
        pdf_path=f"/api/v1/licences/{licence.id}/pdf",
        document_path=f"/api/v1/licences/{licence.id}/document",
        credential_path=f"/api/v1/licences/{licence.id}/credential",
        verify_path=verify_path(ctx, licence.identifier),
    )


async def _current_version(ctx: ServiceContext, licence: Licence) -> LicenceVersion:
    query = select(LicenceVersion).where(LicenceVersion.licence_id == licence.id, LicenceVersion.version == licence.version)
    return (await ctx.session.execute(query)).scalar_one()


def _document_of(ctx: ServiceContext, version: LicenceVersion) -> dict[str, Any]:
    return parse_json_object(ctx.codec.decrypt(DOCUMENT_CIPHER_FIELD, version.document_cipher))


async def _holds(ctx: ServiceContext, licence: Licence) -> bool:
    """Whether the actor is the licence's holder (a person's account, or the enterprise account)."""
    actor = ctx.actor
    if actor is None or not actor.has(Permission.LicencesOwnRead):
        return False
    if actor.kind == "person":
        return licence.holder_kind == "person" and actor.person_id is not None and licence.holder_person_id == actor.person_id
    if actor.kind == "enterprise" and licence.holder_kind == "enterprise":
        if actor.enterprise_id is not None and licence.holder_enterprise_id == actor.enterprise_id:
            return True
        return licence.holder_index == (await identity.my_enterprise(ctx)).uscc
    return False


def _staff_reads(ctx: ServiceContext, licence: Licence, permission: Permission = Permission.LicencesIssuedRead) -> bool:
    actor = ctx.actor
    return actor is not None and actor.has(permission) and _staff_may(actor, licence.division_code, licence.department_kind)


def parse_licence_id(value: str) -> uuid.UUID:
    """A licence id from a path segment; NotFound when it is not one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("证照不存在", code="licence_not_found") from None


async def _load(ctx: ServiceContext, licence_id: uuid.UUID) -> Licence:
    licence = await ctx.session.get(Licence, licence_id)
    if licence is None:
        raise NotFound("证照不存在", code="licence_not_found")
    return licence


async def _readable(ctx: ServiceContext, licence_id: uuid.UUID, what: str) -> tuple[Licence, str]:
    """The licence and who reads it (holder / staff); anyone else gets 404, and the attempt is audited."""
    licence = await _load(ctx, licence_id)
    if await _holds(ctx, licence):
        return licence, "holder"
    if _staff_reads(ctx, licence):
        return licence, "staff"
    record(
        ctx.session, events.LICENCE_READ, actor=ctx.actor, meta=ctx.meta, subject_type="licence", subject_id=licence.id, result="denied", details={"what": what}
    )
    error = NotFound("证照不存在", code="licence_not_found")
    error.keep_changes = True
    raise error


def _audit_read(ctx: ServiceContext, tag: str, licence: Licence, reader: str, what: str) -> None:
    record(
        ctx.session,
        tag,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"identifier": licence.identifier, "as": reader, "what": what},
    )


async def get_licence(ctx: ServiceContext, licence_id: uuid.UUID) -> LicenceView:
    """One licence with its data (personal items masked) for its holder or the issuing staff; audited."""
    licence, reader = await _readable(ctx, licence_id, "detail")
    document = _document_of(ctx, await _current_version(ctx, licence))
    _audit_read(ctx, events.LICENCE_READ, licence, reader, "detail")
    return _view(ctx, licence, document["licence"])


async def licence_claims(ctx: ServiceContext, licence_id: uuid.UUID) -> dict[str, Any]:
    """The full signed claims of a licence (unmasked) for its holder or the issuing staff, e.g. for pre-filling forms; audited."""
    licence, reader = await _readable(ctx, licence_id, "claims")
    document = _document_of(ctx, await _current_version(ctx, licence))
    _audit_read(ctx, events.LICENCE_READ, licence, reader, "claims")
    claims: dict[str, Any] = document["licence"]
    return claims


async def _wallet_query(ctx: ServiceContext) -> Any:  # noqa: ANN401 - a select
    actor = ctx.actor
    if actor is None or not actor.has(Permission.LicencesOwnRead):
        raise PermissionDenied("仅个人或法人账号可查看卡包", code="wallet_not_available")
    if actor.kind == "person" and actor.person_id is not None:
        return select(Licence).where(Licence.holder_kind == "person", Licence.holder_person_id == actor.person_id)
    if actor.kind == "enterprise" and actor.enterprise_id is not None:
        uscc = (await identity.my_enterprise(ctx)).uscc
        return select(Licence).where(
            Licence.holder_kind == "enterprise", or_(Licence.holder_enterprise_id == actor.enterprise_id, Licence.holder_index == uscc)
        )
    raise PermissionDenied("仅个人或法人账号可查看卡包", code="wallet_not_available")


async def my_licences(ctx: ServiceContext) -> list[LicenceView]:
    """卡包: the actor's licences (newest first); the listing is audited."""
    query = await _wallet_query(ctx)
    licences = (await ctx.session.execute(query.order_by(Licence.issued_on.desc(), Licence.created_at.desc()))).scalars().all()
    record(ctx.session, events.LICENCE_LISTED, actor=ctx.actor, meta=ctx.meta, subject_type="wallet", details={"count": len(licences)})
    return [_view(ctx, licence, None) for licence in licences]


async def licences_of_holder(ctx: ServiceContext, *, type_code: str | None = None, valid_only: bool = False) -> list[LicenceView]:
    """The actor's own licences, optionally of one type and only those valid today (pre-fill, no-upload)."""
    query = await _wallet_query(ctx)
    if type_code is not None:
        query = query.where(Licence.type_code == type_code)
    licences = (await ctx.session.execute(query.order_by(Licence.issued_on.desc()))).scalars().all()
    views = [_view(ctx, licence, None) for licence in licences if not valid_only or effective_status(licence) == "valid"]
    record(ctx.session, events.LICENCE_LISTED, actor=ctx.actor, meta=ctx.meta, subject_type="wallet", details={"count": len(views), "type": type_code})
    return views


async def issued_licences(
    ctx: ServiceContext,
    *,
    status: str | None = None,
    type_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[LicenceView], int]:
    """Licences issued within the staff member's department and region; the listing is audited."""
    actor = ctx.actor
    if actor is None or not actor.has(Permission.LicencesIssuedRead) or actor.kind != "staff":
        raise PermissionDenied("无权查看证照", code="permission_denied")
    where = [scope_filter(actor, Licence.division_code, Licence.department_kind)]
    if status in {"valid", "suspended", "revoked"}:
        where.append(Licence.status == status)
    if type_code:
        where.append(Licence.type_code == type_code)
    total = (await ctx.session.execute(select(func.count()).select_from(Licence).where(*where))).scalar_one()
    rows = (
        (await ctx.session.execute(select(Licence).where(*where).order_by(Licence.created_at.desc(), Licence.id).limit(limit).offset(offset))).scalars().all()
    )
    record(ctx.session, events.LICENCE_LISTED, actor=actor, meta=ctx.meta, subject_type="licence", details={"list": len(rows), "offset": offset})
    return [_view(ctx, licence, None) for licence in rows], int(total)


async def licence_history(ctx: ServiceContext, licence_id: uuid.UUID) -> list[LicenceHistoryEntry]:
    """Every change of a licence, oldest first."""
    licence, _ = await _readable(ctx, licence_id, "history")
    rows = (
        await ctx.session.execute(select(LicenceEvent).where(LicenceEvent.licence_id == licence.id).order_by(LicenceEvent.occurred_at, LicenceEvent.id))
    ).scalars()
    return [
        LicenceHistoryEntry(
            action=r.action,
            action_title=ACTION_TITLES.get(r.action, r.action),
            version=r.version,
            status=r.status,
            status_title=STATUS_TITLES.get(r.status, r.status),
            reason=r.reason,
            actor_name=r.actor_name,
            occurred_at=r.occurred_at,
            details=r.details,
        )
        for r in rows
    ]


async def licence_document(ctx: ServiceContext, licence_id: uuid.UUID) -> dict[str, Any]:
    """The sealed licence JSON (current version) for its holder or the issuing staff; audited download."""
    licence, reader = await _readable(ctx, licence_id, "document")
    document = _document_of(ctx, await _current_version(ctx, licence))
    _audit_read(ctx, events.LICENCE_DOWNLOADED, licence, reader, "document")
    return document


def _print_of(ctx: ServiceContext, licence: Licence, claims: dict[str, Any], version: LicenceVersion) -> LicencePrint:
    # The printed licence shows its data in full except ID numbers, which stay masked on paper.
    view = _view(ctx, licence, claims, unmask=True)
    licence_type = type_by_code(licence.type_code)
    id_fields = {f.key for f in licence_type.fields if f.kind == "resident_id"} if licence_type else set()
    holder_id = str(claims["holder"]["idNumber"])
    return LicencePrint(
        type_name=view.type_name,
        identifier=licence.identifier,
        number_title=view.number_title,
        number=str(claims["number"]) if licence.holder_kind == "enterprise" else view.number,
        holder_name=licence.holder_name,
        holder_id_type=licence.holder_id_type,
        holder_id=holder_id if licence.holder_kind == "enterprise" else _mask_id(holder_id),
        rows=tuple((f.title, _mask_id(f.value) if f.key in id_fields else f.value) for f in view.fields),
        issuer_name=licence.issuer_name,
        issued_on=licence.issued_on,
        validity_title=view.validity_title,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        status_title=view.status_title,
        trust_level=licence.trust_level,
        version=licence.version,
        document_sm3=version.document_sm3,
        verify_url=base_url(ctx) + view.verify_path,
    )


async def licence_pdf(ctx: ServiceContext, licence_id: uuid.UUID) -> tuple[LicenceView, bytes]:
    """The licence rendered as PDF (seal, QR); audited download."""
    licence, reader = await _readable(ctx, licence_id, "pdf")
    version = await _current_version(ctx, licence)
    claims = _document_of(ctx, version)["licence"]
    content = _print_of(ctx, licence, claims, version)
    pdf = await asyncio.to_thread(render_licence_pdf, content, _faces(ctx))
    _audit_read(ctx, events.LICENCE_DOWNLOADED, licence, reader, "pdf")
    return _view(ctx, licence, None), pdf


def pdf_filename(view: LicenceView) -> str:
    """营业执照-<编号>.pdf."""
    return f"{view.type_name}-{view.number}.pdf".replace("/", "-")


# --- status changes and renewal ---------------------------------------------------------------------


async def _managed(ctx: ServiceContext, licence_id: uuid.UUID) -> tuple[Licence, LicenceType]:
    licence = await _load(ctx, licence_id)
    if not _staff_reads(ctx, licence, Permission.LicencesIssuedManage):
        raise NotFound("证照不存在", code="licence_not_found")
    licence_type = type_by_code(licence.type_code)
    assert licence_type is not None  # noqa: S101 - types are never removed
    return licence, licence_type


async def _change_status(ctx: ServiceContext, licence_id: uuid.UUID, *, action: str, allowed_from: set[str], to: str, reason: str, tag: str) -> LicenceView:
    licence, _ = await _managed(ctx, licence_id)
    if licence.status not in allowed_from:
        raise Conflict(f"证照当前状态为“{STATUS_TITLES[licence.status]}”，不能{ACTION_TITLES[action]}", code="licence_status_conflict")
    previous = licence.status
    licence.status, licence.status_reason, licence.status_changed_at = to, reason, utcnow()
    _history(ctx, licence, action, reason, previous=previous)
    record(
        ctx.session,
        tag,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"identifier": licence.identifier, "from": previous, "reason": reason},
    )
    await ctx.session.flush()
    return _view(ctx, licence, None)


async def suspend_licence(ctx: ServiceContext, licence_id: uuid.UUID, reason: str) -> LicenceView:
    """暂停: a valid licence stops verifying until reinstated."""
    return await _change_status(ctx, licence_id, action="suspend", allowed_from={"valid"}, to="suspended", reason=reason, tag=events.LICENCE_SUSPENDED)


async def reinstate_licence(ctx: ServiceContext, licence_id: uuid.UUID, reason: str) -> LicenceView:
    """恢复: a suspended licence verifies again."""
    return await _change_status(ctx, licence_id, action="reinstate", allowed_from={"suspended"}, to="valid", reason=reason, tag=events.LICENCE_REINSTATED)


async def revoke_licence(ctx: ServiceContext, licence_id: uuid.UUID, reason: str) -> LicenceView:
    """吊销 (final): the licence never verifies again."""
    return await _change_status(ctx, licence_id, action="revoke", allowed_from={"valid", "suspended"}, to="revoked", reason=reason, tag=events.LICENCE_REVOKED)


async def renew_licence(ctx: ServiceContext, licence_id: uuid.UUID, valid_until: date | None, reason: str) -> LicenceView:
    """延续: a new signed version with the validity extended (``None``: the type's usual term, else long-term)."""
    licence, licence_type = await _managed(ctx, licence_id)
    if licence.status == "revoked":
        raise Conflict("已吊销的证照不能延续", code="licence_status_conflict")
    claims = _document_of(ctx, await _current_version(ctx, licence))["licence"]
    start = max(today(), licence.valid_from) if licence.valid_until is None or licence.valid_until < today() else licence.valid_until + timedelta(days=1)
    end = valid_until if valid_until is not None else _default_until(licence_type, start)
    if end is not None and (end < start or (licence.valid_until is not None and end <= licence.valid_until)):
        raise ValidationFailed("延续后的有效期应晚于原有效期", code="validity_invalid", details={"valid_until": "应晚于原有效期"})
    issuer = Issuer(licence.issuer_code, licence.issuer_name, licence.issuer_uscc, licence.division_code, licence.department_kind)
    content = Content(
        number=str(claims["number"]),
        holder_kind=licence.holder_kind,
        holder_name=licence.holder_name,
        holder_id_number=str(claims["holder"]["idNumber"]),
        issued_on=today(),
        valid_from=licence.valid_from,
        valid_until=end,
        fields={str(k): str(v) for k, v in claims["data"].items()},
    )
    licence.version += 1
    await _seal_version(ctx, licence, licence_type, issuer, content, reason="renew")
    _history(ctx, licence, "renew", reason, valid_until=end.isoformat() if end else None)
    record(
        ctx.session,
        events.LICENCE_RENEWED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"identifier": licence.identifier, "reason": reason},
    )
    await ctx.session.flush()
    return _view(ctx, licence, None)


async def link_holder(ctx: ServiceContext, *, person_id: uuid.UUID, id_number: str) -> int:
    """Attach licences issued before a person registered to their account (identity calls this on registration)."""
    index = ctx.codec.index(PERSON_INDEX_FIELD, id_number.strip().upper())
    result = await ctx.session.execute(
        update(Licence)
        .where(Licence.holder_kind == "person", Licence.holder_index == index, Licence.holder_person_id.is_(None))
        .values(holder_person_id=person_id)
        .execution_options(synchronize_session=False),
    )
    linked = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if linked:
        record(
            ctx.session, events.LICENCE_HOLDER_LINKED, actor=ctx.actor, meta=ctx.meta, subject_type="person", subject_id=person_id, details={"licences": linked}
        )
    return linked


async def on_person_registered(event: PersonRegistered, platform: Platform) -> None:
    """Subscriber: a newly registered citizen's earlier licences (imported registers) appear in their wallet."""
    async with platform.db.transaction() as session:
        await link_holder(ServiceContext(session=session, platform=platform), person_id=event.person_id, id_number=event.id_number)


# --- status lists -----------------------------------------------------------------------------------


async def _licence_by_identifier(session: AsyncSession, identifier: str) -> tuple[Licence, LicenceVersion] | None:
    version = (await session.execute(select(LicenceVersion).where(LicenceVersion.identifier == identifier))).scalar_one_or_none()
    if version is None:
        return None
    licence = await session.get(Licence, version.licence_id)
    return (licence, version) if licence else None


async def revocation_status(ctx: ServiceContext, identifier: str) -> StatusView:
    """The status of the licence a (any-version) identifier names; public, as the status list is."""
    text = identifier.strip().upper()
    problem = identifier_problem(text)
    if problem is not None:
        raise ValidationFailed(f"证照标识无效：{problem}", code="identifier_invalid", details={"identifier": problem})
    found = await _licence_by_identifier(ctx.session, text)
    if found is None:
        raise NotFound("本平台没有该证照", code="licence_not_found")
    licence, _ = found
    status = effective_status(licence)
    return StatusView(
        identifier=text,
        current_identifier=licence.identifier,
        status="valid" if licence.status == "valid" else ("suspended" if licence.status == "suspended" else "revoked"),
        effective_status=status,
        status_title=STATUS_TITLES[status],
        status_index=licence.status_index,
        reason=None,
        changed_at=licence.status_changed_at,
    )


def _platform_key_id(ctx: ServiceContext) -> str:
    return sm3_hex(ctx.platform.keys.signing.public_key)


def issuer_url(ctx: ServiceContext, uscc_or_platform: str) -> str:
    """The controller document of an issuer (or of the platform, which signs status lists)."""
    return f"{base_url(ctx)}/api/v1/licences/issuers/{uscc_or_platform}"


async def status_list(ctx: ServiceContext) -> dict[str, Any]:
    """吊销状态列表: every suspended or revoked licence, signed with the platform key (SM2 over JCS)."""
    rows = (
        await ctx.session.execute(
            select(Licence.status_index, Licence.identifier, Licence.status, Licence.status_changed_at)
            .where(Licence.status.in_(("suspended", "revoked")))
            .order_by(Licence.status_index),
        )
    ).tuples()
    entries = [
        {
            "statusIndex": index,
            "licence": licence_key(identifier),
            "currentIdentifier": identifier,
            "status": status,
            "since": changed.isoformat(timespec="seconds") if changed else None,
        }
        for index, identifier, status, changed in rows
    ]
    body = {"format": STATUS_LIST_FORMAT, "issuer": issuer_url(ctx, PLATFORM_ISSUER), "generatedAt": utcnow().isoformat(timespec="seconds"), "entries": entries}
    signature = sm2_sign(ctx.platform.keys.signing.private_key, canonical_json(body))
    return {
        "list": body,
        "seal": {
            "algorithm": sealing.ALGORITHM,
            "canonicalization": sealing.CANONICALIZATION,
            "keyId": _platform_key_id(ctx),
            "signature": base64.b64encode(signature).decode("ascii"),
        },
    }


def check_status_list(document: dict[str, Any], platform_public_key: bytes) -> dict[str, str] | None:
    """Offline check of a downloaded status list: ``{licence key: status}`` when the platform's signature holds, else None."""
    from longgov.security.crypto import sm2_verify  # noqa: PLC0415

    try:
        body, seal = document["list"], document["seal"]
        if body.get("format") != STATUS_LIST_FORMAT:
            return None
        if not sm2_verify(platform_public_key, canonical_json(body), base64.b64decode(seal["signature"], validate=True)):
            return None
        return {str(e["licence"]): str(e["status"]) for e in body["entries"]}
    except (KeyError, TypeError, ValueError, AttributeError, CanonicalisationError):
        return None


async def status_list_credential(ctx: ServiceContext, purpose: str) -> dict[str, Any]:
    """The W3C ``BitstringStatusListCredential`` of a purpose (revocation / suspension), signed by the platform."""
    if purpose not in STATUS_PURPOSES:
        raise NotFound("状态列表不存在", code="status_list_not_found")
    status = "revoked" if purpose == "revocation" else "suspended"
    indexes = set((await ctx.session.execute(select(Licence.status_index).where(Licence.status == status))).scalars())
    url = credentials.status_list_url(base_url(ctx), purpose)
    now = utcnow()
    document = {
        "@context": [credentials.VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url(ctx, PLATFORM_ISSUER),
        "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": credentials.encode_bitstring(indexes),
        },
    }
    method = f"{issuer_url(ctx, PLATFORM_ISSUER)}#{_platform_key_id(ctx)}"
    return credentials.add_proof(document, private_key=ctx.platform.keys.signing.private_key, verification_method_id=method, created=now)


async def issuer_document(ctx: ServiceContext, uscc: str) -> dict[str, Any]:
    """An issuer's controller document: its seal keys as Multikeys (``platform``: the key signing status lists)."""
    controller = issuer_url(ctx, uscc)
    if uscc == PLATFORM_ISSUER:
        name = "陇政通电子证照平台"
        methods = [credentials.verification_method(controller, _platform_key_id(ctx), ctx.platform.keys.signing.public_key)]
    else:
        seals = await seals_of_uscc(ctx.session, uscc.strip().upper())
        if not seals:
            raise NotFound("颁发机构不存在或尚未启用电子印章", code="issuer_not_found")
        name = seals[-1].organisation_name
        # Every key with its period in force (rotated keys still verify what they sealed); compromised ones are revoked.
        methods = [{**credentials.verification_method(controller, s.key_id, s.public_key), **key_validity(s)} for s in seals]
    return {
        "@context": ["https://www.w3.org/ns/cid/v1"],
        "id": controller,
        "name": name,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods if "revoked" not in m],
    }


# --- verification -----------------------------------------------------------------------------------


def _result(problem: sealing.Problem | None, **facts: Any) -> VerificationResult:  # noqa: ANN401
    if problem is None:
        return VerificationResult(valid=True, code="valid", reason="证照真实有效", checked_at=utcnow(), **facts)
    return VerificationResult(valid=False, code=problem.code, reason=problem.reason, checked_at=utcnow(), **facts)


async def _status_problem(ctx: ServiceContext, identifier: str) -> tuple[sealing.Problem | None, Licence | None]:
    # One joined read: the status needs the licence row, not the version's (large, encrypted) document.
    query = select(Licence).join(LicenceVersion, LicenceVersion.licence_id == Licence.id).where(LicenceVersion.identifier == identifier)
    licence = (await ctx.session.execute(query)).scalar_one_or_none()
    if licence is None:
        return sealing.Problem("unknown_licence", "签名有效，但本平台没有该证照的登记记录"), None
    # A licence from another province: the reason names its issuer's status list.
    source = f"：{licence.status_reason}" if licence.source == "external" and licence.status_reason else ""
    if licence.status == "revoked":
        return sealing.Problem("revoked", f"证照已被颁发机构吊销{source}"), licence
    if licence.status == "suspended":
        return sealing.Problem("suspended", f"证照已被颁发机构暂停使用{source}"), licence
    if licence.identifier != identifier:
        return sealing.Problem("superseded", f"证照已变更，当前有效版本的标识为 {licence.identifier}"), licence
    return None, licence


def _parse(document: dict[str, Any] | str | bytes) -> dict[str, Any] | sealing.Problem:
    if isinstance(document, dict):
        return document
    try:
        return parse_json_object(document)
    except CanonicalisationError:
        return sealing.Problem("malformed", "不是有效的 JSON 对象")


def _facts(claims: dict[str, Any]) -> dict[str, Any]:
    try:
        until = claims.get("validUntil")
        holder = claims["holder"]
        name = str(holder["name"])
        return {
            "identifier": str(claims["identifier"]),
            "type_name": str(claims["licenceType"]["name"]),
            "issuer_name": str(claims["issuer"]["name"]),
            "holder_name": name if holder.get("idType") == HOLDER_ID_TYPES["enterprise"] else mask_name(name),
            "valid_until": date.fromisoformat(str(until)) if until else None,
        }
    except (KeyError, TypeError, ValueError):
        return {}


async def verify_licence_document(ctx: ServiceContext, document: dict[str, Any] | str | bytes) -> VerificationResult:
    """核验 a sealed licence JSON: structure, identifier, seal (registered key of the named issuer), status, validity.

    Never raises for bad input: the answer is ``valid: false`` with a code and the reason.
    """
    parsed = _parse(document)
    if isinstance(parsed, sealing.Problem):
        return _audited(ctx, _result(parsed))
    seal = parsed.get("seal")
    key_id = seal.get("keyId") if isinstance(seal, dict) else None
    trusted: dict[str, tuple[bytes, str]] = {}
    if isinstance(key_id, str) and len(key_id) <= 128:  # noqa: PLR2004
        found = await keycache.seal(ctx, key_id)
        # A compromised seal key vouches for nothing; a rotated one only for what it sealed while in force.
        revoked = seal_problem(found, parsed["seal"].get("signedAt")) if found is not None else None
        if revoked is not None:
            return _audited(ctx, _result(revoked))
        if found is not None:
            trusted[key_id] = (found.public_key, found.organisation_uscc)
        else:
            # 互认: a key of another province's issuer on the mutual-recognition trust list.
            external = await keycache.external_key(ctx, key_id)
            if external is not None:
                trusted[key_id] = (external.public_key, external.uscc)
    try:
        checked = sealing.check_seal(parsed, trusted)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        checked = sealing.Problem("malformed", "电子证照数据结构错误")
    if isinstance(checked, sealing.Problem):
        return _audited(ctx, _result(checked))
    claims, _ = checked
    facts = _facts(claims)
    problem, licence = await _status_problem(ctx, str(claims["identifier"]))
    if problem is None:
        problem = sealing.validity_problem(claims, today())
    return _audited(ctx, _result(problem, status=effective_status(licence) if licence else None, **facts))


def _audited(ctx: ServiceContext, result: VerificationResult) -> VerificationResult:
    record(
        ctx.session,
        events.LICENCE_VERIFIED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        result="success" if result.valid else "failure",
        details={"identifier": result.identifier, "code": result.code},
    )
    return result


async def export_credential(ctx: ServiceContext, licence_id: uuid.UUID) -> dict[str, Any]:
    """The licence as a W3C VC 2.0 with an ``sm2-jcs-2026`` proof by the issuer's seal; audited download."""
    licence, reader = await _readable(ctx, licence_id, "credential")
    claims = _document_of(ctx, await _current_version(ctx, licence))["licence"]
    licence_type = type_by_code(licence.type_code)
    assert licence_type is not None  # noqa: S101
    issuer_id = issuer_url(ctx, licence.issuer_uscc)
    unsigned = credentials.build_credential(
        claims=claims, type_key=licence_type.key, base_url=base_url(ctx), issuer_id=issuer_id, status_index=licence.status_index
    )
    owner = SealOwner(licence.issuer_code, licence.issuer_uscc, licence.issuer_name)
    provider = seal_provider(ctx.platform)
    seal = await provider.seal_of(ctx.session, owner)
    options = credentials.proof_options(f"{issuer_id}#{seal.key_id}", utcnow())
    signed = await provider.sign(ctx.session, owner, credentials.proof_input(unsigned, options))
    _audit_read(ctx, events.LICENCE_DOWNLOADED, licence, reader, "credential")
    return credentials.with_proof_value(unsigned, options, signed.signature)


async def _credential_keys(ctx: ServiceContext, credential: dict[str, Any]) -> dict[str, bytes]:
    proof = credential.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    if not isinstance(method, str) or "#" not in method or len(method) > 400:  # noqa: PLR2004
        return {}
    controller, key_id = method.split("#", 1)
    seal = await keycache.seal(ctx, key_id)
    # The key must be registered to the organisation the controller URL names.
    if seal is None or controller.rsplit("/", 1)[-1] != seal.organisation_uscc or "/api/v1/licences/issuers/" not in controller:
        return {}
    return {method: seal.public_key}


async def verify_credential(ctx: ServiceContext, credential: dict[str, Any] | str | bytes) -> VerificationResult:
    """核验 a licence VC: proof (sm2-jcs-2026, issuer's registered key), identifier, validity, status. Never raises for bad input."""
    parsed = _parse(credential)
    if isinstance(parsed, sealing.Problem):
        return _audited(ctx, _result(parsed))
    try:
        checked = credentials.check_proof(parsed, await _credential_keys(ctx, parsed))
        if isinstance(checked, sealing.Problem):
            return _audited(ctx, _result(checked))
        seal = await keycache.seal(ctx, checked.key_id)
        revoked = seal_problem(seal, parsed["proof"].get("created")) if seal is not None else None
        if revoked is not None:
            return _audited(ctx, _result(revoked))
        subject = parsed["credentialSubject"]
        licence_claims = subject["licence"]
        identifier = str(licence_claims["identifier"])
        facts: dict[str, Any] = {"identifier": identifier, "type_name": str(parsed.get("name", "")), "issuer_name": str(parsed["issuer"].get("name", ""))}
        problem = sealing.identifier_problem(licence_claims)
        if problem is None and identifier.split(".")[6] != licence_claims.get("uscc"):
            problem = sealing.Problem("issuer_mismatch", "证照标识中的颁发机构代码与颁发机构不一致")
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, CanonicalisationError):
        return _audited(ctx, _result(sealing.Problem("malformed", "凭证数据结构错误")))
    if problem is not None:
        return _audited(ctx, _result(problem, **facts))
    problem, licence = await _status_problem(ctx, identifier)
    if problem is None:
        problem = credentials.credential_validity_problem(parsed, utcnow())
    return _audited(ctx, _result(problem, status=effective_status(licence) if licence else None, **facts))


async def check_page(ctx: ServiceContext, identifier: str, code: str | None) -> PublicCheckView | None:
    """The public check page behind a licence's QR code: status and public facts when the check code matches, else None."""
    text = identifier.strip().upper()
    if not code or identifier_problem(text) is not None:
        return None
    if not constant_time_equal(check_code(ctx, text).encode(), code.strip().lower().encode()):
        return None
    found = await _licence_by_identifier(ctx.session, text)
    if found is None:
        return None
    licence, version = found
    licence_type = type_by_code(licence.type_code)
    status = effective_status(licence)
    compromised = (await ctx.session.execute(select(SealKey.compromised_at).where(SealKey.key_id == version.seal_key_id))).scalar_one_or_none()
    return PublicCheckView(
        identifier=text,
        current_identifier=licence.identifier,
        superseded=licence.identifier != text,
        type_name=licence_type.name if licence_type else licence.type_code,
        issuer_name=licence.issuer_name,
        holder_masked=licence.holder_name if licence.holder_kind == "enterprise" else mask_name(licence.holder_name),
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        effective_status=status,
        status_title=STATUS_TITLES[status],
        seal_compromised=compromised is not None,
    )


# --- licences produced by granted applications ----------------------------------------------------


async def holder_problems(
    ctx: ServiceContext, item_basic_code: str, applicant_kind: str, applicant_person_id: uuid.UUID | None, form: Mapping[str, Any]
) -> dict[str, str]:
    """Form field → Chinese message where the licence a grant would issue goes to someone this applicant may not apply for.

    A person applies for their own 教师资格证, 医师执业证书, 结婚证 or 社会保障卡 (the ID number the form names
    is theirs), or, where the item allows, for their child under 16. Empty when nothing is wrong or the item issues no licence.
    """
    original = outcomes.outcome_of(item_basic_code)
    if original is None:
        return {}
    found = outcomes.holder_problem(original.for_form(form), form, applicant_kind, today())
    if found is not None:
        return {found[0]: found[1]}
    # The applicant's own ID number, also when applying for a child (as the guardian).
    field_name = outcomes.names_other_person(original, form, applicant_kind)
    if field_name is None:
        return {}
    named = await identity.principal_by_login(ctx, "person", str(form[field_name]).strip().upper())
    if named is None or applicant_person_id is None or named.person_id != applicant_person_id:
        return {field_name: "应填写申请人本人的公民身份号码（本事项由本人申请）"}
    return {}


async def issue_for_grant(
    ctx: ServiceContext,
    *,
    item_basic_code: str,
    issuer_organisation_code: str,
    applicant_kind: str,
    applicant_name: str,
    applicant_id_number: str | None,
    form: dict[str, Any],
    application_id: uuid.UUID,
    applicant_person_id: uuid.UUID | None = None,
) -> LicenceView | None:
    """Issue the licence a granted application produces (None when the item produces none).

    The mapping is :mod:`longgov.licences.outcomes`. A registration (企业 / 个体工商户设立登记) first gets
    the new business its USCC from identity (skipping any code a licence is already held under).
    Raises ``ValidationFailed`` when the form cannot fill a valid licence (e.g. a USCC with a wrong check
    character, a missing data item); the caller decides whether the grant stands without it, and rolls
    back its savepoint, the assigned code with it.
    """
    outcome = outcomes.outcome_of(item_basic_code)
    if outcome is None:
        return None
    outcome = outcome.for_form(form)
    # Checked at submission too; the form may not have changed since, but the holder's account may have.
    problems = await holder_problems(ctx, item_basic_code, applicant_kind, applicant_person_id, form)
    if problems:
        message = next(iter(problems.values()))
        raise ValidationFailed(f"持证主体与申请人不符：{message}", code="holder_not_applicant", details=problems)
    licence_type = _require_type(outcome.type_key)
    issuer = await _issuer(ctx, issuer_organisation_code, licence_type)
    issued = today()
    made = outcomes.made_values(issued, None)
    name = outcomes.value_of(outcome.holder_name, form, made) if outcome.holder_name else applicant_name
    kind = outcomes.holder_kind(outcome, applicant_kind)
    if outcome.assign_uscc is not None:
        if not name:
            raise ValidationFailed("申请表未填写名称，无法赋予统一社会信用代码", code="licence_holder_missing", details={"holder.name": "未填写"})

        async def licensed(code: str) -> bool:
            held = select(Licence.id).where(Licence.holder_kind == "enterprise", Licence.holder_index == code).limit(1)
            return (await ctx.session.execute(held)).first() is not None

        uscc = await identity.assign_uscc(ctx, division_code=issuer.division_code, category=outcome.assign_uscc, name=name, taken=licensed)
        made = outcomes.made_values(issued, uscc)
    id_number = outcomes.value_of(outcome.holder_id, form, made) if outcome.holder_id else applicant_id_number or ""
    if not name.strip():
        raise ValidationFailed("申请表未填写持证主体名称，无法签发电子证照", code="licence_holder_missing", details={"holder.name": "未填写"})
    normalised, problem = importer.holder_id_problem(kind, id_number)
    if problem:
        raise ValidationFailed(f"持证主体证件号码无效：{problem}", code="holder_id_invalid", details={"holder.id_number": problem})
    holder = HolderInput(kind=kind, name=name.strip()[:200], id_number=normalised)
    fields = {key: text for key, source in outcome.fields.items() if (text := outcomes.value_of(source, form, made))}
    number = outcomes.value_of(outcome.number, form, made) if outcome.number else None
    if not number and outcome.number_template:
        number = outcome.number_template.format(serial=await _next_value(ctx.session, f"number:{licence_type.code}:{issuer.code}"))
    return await issue_licence(ctx, licence_type.code, issuer.code, holder, fields, number=number or None, issued_on=issued, application_id=application_id)


# --- 证照免提交: the holder's licence as an application material ------------------------------------


@dataclass(frozen=True)
class MaterialReference:
    """The licence version a holder presents as an application material, its digest and its check now."""

    licence: LicenceView
    identifier: str
    version: int
    document_sm3: str
    verification: VerificationResult


async def material_reference(ctx: ServiceContext, licence_id: uuid.UUID) -> MaterialReference:
    """For 证照免提交: the caller's own licence, its sealed current version verified now (seal, status, validity); audited.

    Only the holder presents a licence as their material; for anyone else it reads as not found.
    """
    licence, reader = await _readable(ctx, licence_id, "material")
    if reader != "holder":
        raise NotFound("证照不存在", code="licence_not_found")
    version = await _current_version(ctx, licence)
    verification = await verify_licence_document(ctx, _document_of(ctx, version))
    _audit_read(ctx, events.LICENCE_READ, licence, reader, "material")
    return MaterialReference(
        licence=_view(ctx, licence, None),
        identifier=version.identifier,
        version=version.version,
        document_sm3=version.document_sm3,
        verification=verification,
    )


def _faces(ctx: ServiceContext) -> tuple[tuple[Path, int], tuple[Path, int]]:
    """(regular, bold) font faces for the licence PDF, resolved like the documents' (``LONGGOV_CJK_FONT``)."""
    fonts = fonts_for(ctx.settings)
    return (fonts.regular.path, fonts.regular.index), (fonts.bold.path, fonts.bold.index)


# --- for bundles (一件事): the results of earlier items ---------------------------------------------


def grant_licence_type(item_basic_code: str) -> str | None:
    """The key of the licence type a grant of this item issues (None when it issues none)."""
    outcome = outcomes.outcome_of(item_basic_code)
    return outcome.type_key if outcome is not None else None


async def licences_for_application(ctx: ServiceContext, application_id: uuid.UUID) -> list[tuple[LicenceView, dict[str, Any]]]:
    """Licences issued on one application (by its grant) with their full claims, for that application's applicant.

    The applicant may not be the holder (a registration's 营业执照 is held by the new business); the
    applications module, which alone knows whose application it is, checks that before calling. Audited.
    """
    rows = (await ctx.session.execute(select(Licence).where(Licence.application_id == application_id).order_by(Licence.created_at))).scalars().all()
    found: list[tuple[LicenceView, dict[str, Any]]] = []
    for licence in rows:
        claims: dict[str, Any] = _document_of(ctx, await _current_version(ctx, licence))["licence"]
        _audit_read(ctx, events.LICENCE_READ, licence, "applicant", "claims")
        found.append((_view(ctx, licence, None), claims))
    return found


async def application_licence_pdf(ctx: ServiceContext, application_id: uuid.UUID, licence_id: uuid.UUID) -> tuple[LicenceView, bytes]:
    """The PDF of a licence issued on an application, for that application's applicant (the caller has checked that); audited.

    A licence issued on another application reads as not found.
    """
    licence = await _load(ctx, licence_id)
    if licence.application_id != application_id:
        raise NotFound("证照不存在", code="licence_not_found")
    version = await _current_version(ctx, licence)
    claims = _document_of(ctx, version)["licence"]
    pdf = await asyncio.to_thread(render_licence_pdf, _print_of(ctx, licence, claims, version), _faces(ctx))
    _audit_read(ctx, events.LICENCE_DOWNLOADED, licence, "applicant", "pdf")
    return _view(ctx, licence, None), pdf


async def application_material_reference(ctx: ServiceContext, application_id: uuid.UUID, licence_id: uuid.UUID) -> MaterialReference:
    """For 证照免提交 within a bundle: a licence issued on an earlier application of the caller, as a material of a later one.

    The caller has checked that the earlier application is the caller's. Its sealed current version is
    verified now; audited. The holder may be the business that application registered rather than the applicant; a licence
    issued on another application reads as not found.
    """
    licence = await _load(ctx, licence_id)
    if licence.application_id != application_id:
        raise NotFound("证照不存在", code="licence_not_found")
    version = await _current_version(ctx, licence)
    verification = await verify_licence_document(ctx, _document_of(ctx, version))
    _audit_read(ctx, events.LICENCE_READ, licence, "applicant", "material")
    return MaterialReference(
        licence=_view(ctx, licence, None),
        identifier=version.identifier,
        version=version.version,
        document_sm3=version.document_sm3,
        verification=verification,
    )
