"""Application use cases (R3.3 intake): drafts, forms, materials, submission, timeline, 我的办件.

Seam for the workflow engine: once submitted, an application has ``status = "submitted"`` and an
empty ``workflow_state``. The engine will start its process from the submission (listening for
:data:`events.APPLICATION_SUBMITTED` or being called after :func:`submit`), keep its own state in
``workflow_state`` and report every step through :func:`record_step`, which moves ``status`` and
appends to the applicant's timeline (with audit). Nothing here depends on the engine.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from longgov.applications import events, forms, tasks
from longgov.applications.models import Application, ApplicationEvent, ApplicationMaterial, ApplicationNumberCounter
from longgov.applications.schemas import ApplicationStepRecorded, ApplicationSummary, ApplicationView, EventView, MaterialView
from longgov.applications.storage import ObjectNotFound, ObjectStorage, storage_for
from longgov.catalog import services as catalog
from longgov.catalog.schemas import ItemView
from longgov.db import after_commit, utcnow
from longgov.kernel import events as domain_events
from longgov.kernel.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.crypto import sm3_hex
from longgov.security.principal import Principal
from longgov.workflow import engine

DRAFT, SUBMITTED, CORRECTION_REQUESTED = "draft", "submitted", "correction_requested"
# Statuses the workflow will use later are named here so pages can show them already.
STATUS_TITLES: dict[str, str] = {
    DRAFT: "草稿",
    SUBMITTED: "已提交，待受理",
    "pre_check": "预审中",
    "correction_requested": "待补正",
    "accepted": "已受理",
    "refused": "不予受理",
    "under_review": "审查中",
    "granted": "准予许可",
    "denied": "不予许可",
    "concluded": "已办结",
    "delivered": "已送达",
    "withdrawn": "已撤回",
}
APPLICANT_ROLE = "申请人"
MAX_MATERIAL_BYTES = 10 * 1024 * 1024
# Multipart overhead on top of one file: the upload route accepts a little more than the file limit.
UPLOAD_BODY_LIMIT = MAX_MATERIAL_BYTES + 256 * 1024
_FORM_FIELD = "applications.form"
_CHINA = ZoneInfo("Asia/Shanghai")
_UPLOADED_KEYS = "applications_uploaded_keys"

log = logging.getLogger("longgov.applications")


# --- helpers ---------------------------------------------------------------------------------


def _applicant(ctx: ServiceContext) -> Principal:
    if ctx.actor is None:
        raise NotAuthenticated("请先登录")
    if ctx.actor.kind not in {"person", "enterprise"}:
        raise PermissionDenied("只有个人或企业账号可以提交申请", code="applicant_only")
    return ctx.actor


def parse_id(value: str) -> uuid.UUID:
    """An application id from a path; anything else reads as "not found"."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("未找到该申请", code="application_not_found") from exc


def _encode_form(ctx: ServiceContext, data: dict[str, Any]) -> bytes:
    return ctx.codec.encrypt(_FORM_FIELD, json.dumps(data, ensure_ascii=False, sort_keys=True))


def decode_form(ctx: ServiceContext, blob: bytes) -> dict[str, Any]:
    """The filled form of an application (decrypted; the caller audits its use)."""
    return _decode_form(ctx, blob)


def _decode_form(ctx: ServiceContext, blob: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ctx.codec.decrypt(_FORM_FIELD, blob))
    return data


def _check_form(definition: forms.FormDefinition, data: dict[str, Any], *, partial: bool) -> None:
    errors = forms.field_errors(definition, data, partial=partial)
    if errors:
        raise ValidationFailed("申请表填写有误，请按提示修改", code="validation_failed", details=errors)


async def _own(ctx: ServiceContext, application_id: uuid.UUID) -> Application:
    actor = _applicant(ctx)
    row = (
        await ctx.session.execute(select(Application).where(Application.id == application_id, Application.applicant_account_id == actor.account_id))
    ).scalar_one_or_none()
    if row is None:
        # Someone else's application reads exactly like a missing one.
        raise NotFound("未找到该申请", code="application_not_found")
    return row


async def _lock_own(ctx: ServiceContext, application_id: uuid.UUID) -> Application:
    """Lock the applicant's row first: the write serialises concurrent requests on both backends.

    PostgreSQL holds the row lock; on SQLite the first statement takes the write lock, so no stale snapshot.
    """
    actor = _applicant(ctx)
    result = await ctx.session.execute(
        update(Application)
        .where(Application.id == application_id, Application.applicant_account_id == actor.account_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFound("未找到该申请", code="application_not_found")
    row = await _own(ctx, application_id)
    await ctx.session.refresh(row)
    return row


def _event(
    ctx: ServiceContext,
    application: Application,
    step: str,
    title: str,
    *,
    actor_role: str = APPLICANT_ROLE,
    actor_department: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    ctx.session.add(
        ApplicationEvent(
            application_id=application.id,
            step=step,
            title=title,
            actor_role=actor_role,
            actor_department=actor_department,
            occurred_at=utcnow(),
            details=details or {},
        )
    )


def _audit(ctx: ServiceContext, tag: str, application: Application, **details: Any) -> None:  # noqa: ANN401
    record(
        ctx.session,
        tag,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="application",
        subject_id=application.number or application.id,
        details={"item_code": application.item_code, "status": application.status, **details},
    )


# --- drafts ----------------------------------------------------------------------------------


async def create_draft(ctx: ServiceContext, item_code: str, form_data: dict[str, Any] | None = None) -> ApplicationView:
    """Start an application for the published version of an item; the form is checked except for missing fields."""
    actor = _applicant(ctx)
    item = await catalog.get_published(ctx, item_code)
    definition = forms.form_for(item.basic_code)
    data = form_data or {}
    _check_form(definition, data, partial=True)
    application = Application(
        applicant_account_id=actor.account_id,
        applicant_kind=actor.kind,
        applicant_name=actor.display_name,
        applicant_person_id=actor.person_id,
        applicant_enterprise_id=actor.enterprise_id,
        item_code=item.code,
        item_basic_code=item.basic_code,
        item_version=item.version,
        item_name=item.content.name,
        department_name=item.department,
        organisation_code=item.organisation_code,
        form_id=definition.form_id,
        form_cipher=_encode_form(ctx, data),
        status=DRAFT,
        workflow_state=None,
    )
    ctx.session.add(application)
    await ctx.session.flush()
    _event(ctx, application, "draft_created", "创建申请草稿", details={"item_version": item.version})
    _audit(ctx, events.APPLICATION_CREATED, application, item_version=item.version)
    return await _view(ctx, application, item)


async def update_draft(ctx: ServiceContext, application_id: uuid.UUID, form_data: dict[str, Any]) -> ApplicationView:
    """Save the form of a draft (partial forms allowed)."""
    application = await _lock_own(ctx, application_id)
    if application.status != DRAFT:
        raise Conflict("申请已提交，不能再修改", code="not_a_draft")
    _check_form(forms.form_for(application.item_basic_code), form_data, partial=True)
    application.form_cipher = _encode_form(ctx, form_data)
    await ctx.session.flush()
    _event(ctx, application, "draft_saved", "保存申请草稿")
    _audit(ctx, events.APPLICATION_UPDATED, application)
    return await _view(ctx, application)


# --- materials -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileKind:
    """A recognised file type."""

    content_type: str
    extension: str
    title: str


PDF = FileKind("application/pdf", "pdf", "PDF")
JPEG = FileKind("image/jpeg", "jpg", "JPG")
PNG = FileKind("image/png", "png", "PNG")
OFD = FileKind("application/ofd", "ofd", "OFD")
ALLOWED_TITLES = "PDF、JPG、PNG、OFD"


def _is_ofd(data: bytes) -> bool:
    """OFD (GB/T 33190) is a ZIP package whose root holds ``OFD.xml``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return "OFD.xml" in package.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False


def sniff(data: bytes) -> FileKind | None:
    """The file type by its leading bytes (never by its name); None when not allowed."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"PK\x03\x04") and _is_ofd(data):
        return OFD
    return None


def _clean_filename(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:200] or "未命名文件"


def _track_upload(session: AsyncSession, storage: ObjectStorage, key: str) -> None:
    """Remember a stored file; if the unit of work rolls back, the file is deleted again."""
    info = session.sync_session.info
    keys: list[str] = info.setdefault(_UPLOADED_KEYS, [])
    keys.append(key)
    if info.get("applications_listeners"):
        return
    info["applications_listeners"] = True

    def _committed(sync_session: Session) -> None:
        sync_session.info.pop(_UPLOADED_KEYS, None)

    def _rolled_back(sync_session: Session) -> None:
        import asyncio  # noqa: PLC0415

        stale: list[str] = sync_session.info.pop(_UPLOADED_KEYS, [])
        if not stale:
            return
        loop = asyncio.get_running_loop()
        for name in stale:
            task = loop.create_task(storage.delete(name))
            _cleanup_tasks.add(task)
            task.add_done_callback(_cleanup_tasks.discard)

    sa_event.listen(session.sync_session, "after_commit", _committed)
    sa_event.listen(session.sync_session, "after_rollback", _rolled_back)


_cleanup_tasks: set[Any] = set()


async def upload_material(ctx: ServiceContext, application_id: uuid.UUID, material_index: int, filename: str, data: bytes) -> MaterialView:
    """Attach a file to one required material of a draft: type by magic bytes, at most 10 MB, SM3 recorded."""
    application = await _lock_own(ctx, application_id)
    if application.status not in {DRAFT, CORRECTION_REQUESTED}:
        raise Conflict("申请已提交，不能再上传材料", code="not_a_draft")
    item = await catalog.get_version(ctx, application.item_code, application.item_version)
    materials = item.content.materials
    if not 0 <= material_index < len(materials):
        raise ValidationFailed("没有这一项申请材料", code="unknown_material", details={"material": "没有这一项申请材料"})
    name = _clean_filename(filename)
    if not data:
        raise ValidationFailed(f"文件“{name}”是空文件", code="empty_file", details={"file": f"文件“{name}”是空文件"}, status_code=400)
    if len(data) > MAX_MATERIAL_BYTES:
        message = f"文件“{name}”超过 10 MB，请压缩后再上传"
        raise ValidationFailed(message, code="file_too_large", details={"file": message}, status_code=413)
    kind = sniff(data)
    if kind is None:
        message = f"文件“{name}”不是 {ALLOWED_TITLES} 格式（按文件内容判断，与扩展名无关）"
        raise ValidationFailed(message, code="unsupported_file_type", details={"file": message}, status_code=415)
    storage = storage_for(ctx.settings)
    key = f"applications/{application.id.hex}/{material_index}-{secrets.token_hex(8)}.{kind.extension}"
    existing = (
        await ctx.session.execute(
            select(ApplicationMaterial).where(ApplicationMaterial.application_id == application.id, ApplicationMaterial.material_index == material_index)
        )
    ).scalar_one_or_none()
    digest = sm3_hex(data)
    # Everything is checked: now the file is written; a rollback from here on deletes it again.
    await storage.put(key, data, content_type=kind.content_type)
    _track_upload(ctx.session, storage, key)
    if existing is not None:
        old_key = existing.storage_key

        async def _drop_replaced() -> None:
            await storage.delete(old_key)

        after_commit(ctx.session, _drop_replaced)
        row = existing
    else:
        row = ApplicationMaterial(application_id=application.id, material_index=material_index)
        ctx.session.add(row)
    row.material_name = materials[material_index].name
    row.storage_key = key
    row.original_filename = name
    row.content_type = kind.content_type
    row.size = len(data)
    row.sm3 = digest
    row.updated_at = utcnow()
    await ctx.session.flush()
    details = {"material": materials[material_index].name, "filename": name, "size": len(data), "sm3": digest}
    _event(ctx, application, "material_uploaded", f"上传材料：{materials[material_index].name}", details=details)
    _audit(ctx, events.MATERIAL_UPLOADED, application, material_index=material_index, size=len(data), sm3=digest)
    material = materials[material_index]
    return MaterialView(
        index=material_index,
        name=material.name,
        required=material.required,
        replaceable=material.replaceable,
        form=material.form,
        note=material.note,
        uploaded=True,
        filename=name,
        content_type=kind.content_type,
        size=len(data),
        sm3=digest,
        uploaded_at=row.updated_at,
    )


async def read_material(ctx: ServiceContext, application_id: uuid.UUID, material_index: int) -> tuple[MaterialView, bytes]:
    """The applicant's own uploaded file (audited)."""
    application = await _own(ctx, application_id)
    return await material_of(ctx, application, material_index)


async def material_of(ctx: ServiceContext, application: Application, material_index: int) -> tuple[MaterialView, bytes]:
    """One uploaded file of an application the caller may read (checked by the caller), its SM3 verified; audited.

    A file gone from the store or no longer matching its recorded SM3 digest is reported as such (and
    logged), never served: staff decide on what the applicant uploaded, not on what the store now holds.
    """
    view = await _view(ctx, application, audit=False)
    material = next((m for m in view.materials if m.index == material_index and m.uploaded), None)
    row = (
        await ctx.session.execute(
            select(ApplicationMaterial).where(ApplicationMaterial.application_id == application.id, ApplicationMaterial.material_index == material_index)
        )
    ).scalar_one_or_none()
    if material is None or row is None:
        raise NotFound("该材料尚未上传", code="material_not_found")
    try:
        data = await storage_for(ctx.settings).get(row.storage_key)
    except ObjectNotFound as exc:
        log.exception("material file missing from storage: application %s index %s key %s", application.id, material_index, row.storage_key)
        raise NotFound("材料文件已缺失，请联系系统管理员", code="material_file_missing") from exc
    if sm3_hex(data) != row.sm3:
        log.error("material file digest mismatch: application %s index %s key %s", application.id, material_index, row.storage_key)
        raise Conflict("材料文件与提交时的校验值（SM3）不一致，已拒绝提供", code="material_digest_mismatch")
    _audit(ctx, events.APPLICATION_READ, application, material_index=material_index)
    return material, data


# --- submission ------------------------------------------------------------------------------


async def next_number(session: AsyncSession, when: datetime | None = None) -> str:
    """Issue ``GS`` + yyyymmdd (China time) + a 6-digit daily sequence.

    One atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on the day's counter row: PostgreSQL
    locks the row until commit, SQLite serialises writers, so workers never share a number.
    """
    day = (when or utcnow()).astimezone(_CHINA).strftime("%Y%m%d")
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ApplicationNumberCounter)
        .values(day=day, last_value=1)
        .on_conflict_do_update(index_elements=[ApplicationNumberCounter.day], set_={"last_value": ApplicationNumberCounter.last_value + 1})
        .returning(ApplicationNumberCounter.last_value)
    )
    value = (await session.execute(statement)).scalar_one()
    if value > 999_999:  # noqa: PLR2004 - six digits a day
        raise Conflict("今日申请编号已用完，请明日再试", code="numbers_exhausted")
    return f"GS{day}{value:06d}"


@dataclass(frozen=True)
class Submission:
    """The submitted application and whether this call created the submission (201) or replayed it (200)."""

    application: ApplicationView
    created: bool


async def submit(ctx: ServiceContext, application_id: uuid.UUID, idempotency_key: str | None = None) -> Submission:
    """Submit a draft: full form check, every required material present, a number issued, the item version fixed.

    The same idempotency key from the same applicant returns the same application; the key used for
    another application is a conflict (409).
    """
    actor = _applicant(ctx)
    application = await _lock_own(ctx, application_id)
    if idempotency_key:
        earlier = (
            await ctx.session.execute(
                select(Application).where(Application.applicant_account_id == actor.account_id, Application.idempotency_key == idempotency_key)
            )
        ).scalar_one_or_none()
        if earlier is not None:
            if earlier.id != application.id:
                raise Conflict("该幂等键已用于另一份申请", code="idempotency_key_reused", details={"number": earlier.number})
            return Submission(await _view(ctx, earlier), created=False)
    if application.status != DRAFT:
        raise Conflict("该申请已提交", code="already_submitted", details={"number": application.number})
    _check_form(forms.form_for(application.item_basic_code), _decode_form(ctx, application.form_cipher), partial=False)
    item = await catalog.get_version(ctx, application.item_code, application.item_version)
    uploaded = set(
        (await ctx.session.execute(select(ApplicationMaterial.material_index).where(ApplicationMaterial.application_id == application.id))).scalars()
    )
    missing = {f"materials.{i}": f"请上传：{m.name}" for i, m in enumerate(item.content.materials) if m.required and not m.replaceable and i not in uploaded}
    if missing:
        raise ValidationFailed("还有必需的申请材料未上传", code="materials_missing", details=missing)
    application.number = await next_number(ctx.session)
    application.status = SUBMITTED
    application.submitted_at = utcnow()
    application.idempotency_key = idempotency_key or None
    try:
        await ctx.session.flush()
    except IntegrityError as exc:
        # Another request of the same applicant used the key for a different draft at the same moment.
        raise Conflict("该幂等键已用于另一份申请", code="idempotency_key_reused") from exc
    _event(ctx, application, "submitted", "提交申请", details={"number": application.number, "item_version": application.item_version})
    _event(
        ctx,
        application,
        "received",
        "申请已送达受理部门，等待预审",
        actor_role="受理部门",
        actor_department=application.department_name,
        details={"number": application.number},
    )
    await _start_process(ctx, application, item)
    _audit(ctx, events.APPLICATION_SUBMITTED, application, item_version=application.item_version, process=item.content.process_type)
    _announce(ctx, application, "submitted", "提交申请", {"number": application.number})
    return Submission(await _view(ctx, application, item), created=True)


# --- the workflow seam -------------------------------------------------------------------------


def department_of(organisation_code: str) -> tuple[str, str | None]:
    """(division code, department kind) of an organisation code like ``620102-market_regulation``."""
    division, _, kind = organisation_code.partition("-")
    return division, kind or None


def joint_reviewers(organisation_code: str, item: ItemView) -> list[str]:
    """The departments that co-review (联审) a joint-review item: those its guide names, else its own department."""
    own = department_of(organisation_code)[1] or "lead"
    named = [d for d in item.content.co_reviewing_departments if d != own]
    # An item version published before co-reviewers could be named keeps a review by its own department.
    return named or [own]


async def _start_process(ctx: ServiceContext, application: Application, item: ItemView) -> None:
    """Start the item's BPMN process (即办件 instant, 承诺件 promised, 联审 joint_review); its state lives with the application.

    The workbench's task rows and stored deadline follow in the same transaction (``tasks.sync``).
    """
    process = item.content.process_type
    data: dict[str, Any] = {}
    if process == "joint_review":
        data["departments"] = joint_reviewers(application.organisation_code, item)
    application.workflow_state = {
        "engine": engine.start(process, data),
        "process": process,
        "pauses": [],
        "correction_since": None,
        "clock_start": None,
        "working_days": item.content.promised_days,
        "deadline": None,
        "deadline_provisional": False,
        "departments": data.get("departments", []),
    }
    await tasks.sync(ctx.session, application)


async def lock_own(ctx: ServiceContext, application_id: uuid.UUID) -> Application:
    """For casework: the caller's own application, row-locked."""
    return await _lock_own(ctx, application_id)


async def view_of(ctx: ServiceContext, application: Application, *, audit: bool = False) -> ApplicationView:
    """For casework: the full view of an application row."""
    return await _view(ctx, application, audit=audit)


async def record_step(
    ctx: ServiceContext,
    number: str,
    *,
    step: str,
    title: str,
    actor_role: str,
    actor_department: str | None = None,
    status: str | None = None,
    workflow_state: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """For the workflow engine: append a timeline step, optionally move ``status`` and store its state."""
    application = (await ctx.session.execute(select(Application).where(Application.number == number))).scalar_one_or_none()
    if application is None:
        raise NotFound("未找到该申请", code="application_not_found", details={"number": number})
    if status is not None:
        if status not in STATUS_TITLES:
            raise ValidationFailed("未知的办件状态", code="unknown_status", details={"status": status})
        application.status = status
    if workflow_state is not None:
        application.workflow_state = workflow_state
    _event(ctx, application, step, title, actor_role=actor_role, actor_department=actor_department, details=details)
    await ctx.session.flush()
    _audit(ctx, events.APPLICATION_STEP, application, step=step)
    _announce(ctx, application, step, title, details or {})


def _announce(ctx: ServiceContext, application: Application, step: str, title: str, details: dict[str, Any]) -> None:
    """Publish the step for other modules (the applicant's notifications); delivered only after commit."""
    domain_events.publish(
        ctx,
        ApplicationStepRecorded(
            application_id=application.id,
            number=application.number or "",
            applicant_account_id=application.applicant_account_id,
            applicant_kind=application.applicant_kind,
            item_name=application.item_name,
            department_name=application.department_name,
            step=step,
            title=title,
            status=application.status,
            details=dict(details),
        ),
    )


# --- reading ---------------------------------------------------------------------------------


async def _view(ctx: ServiceContext, application: Application, item: ItemView | None = None, *, audit: bool = False) -> ApplicationView:
    item = item or await catalog.get_version(ctx, application.item_code, application.item_version)
    uploads = {
        m.material_index: m
        for m in (await ctx.session.execute(select(ApplicationMaterial).where(ApplicationMaterial.application_id == application.id))).scalars()
    }
    rows = (
        await ctx.session.execute(
            select(ApplicationEvent).where(ApplicationEvent.application_id == application.id).order_by(ApplicationEvent.occurred_at, ApplicationEvent.id)
        )
    ).scalars()
    materials = []
    for i, m in enumerate(item.content.materials):
        up = uploads.get(i)
        materials.append(
            MaterialView(
                index=i,
                name=m.name,
                required=m.required,
                replaceable=m.replaceable,
                form=m.form,
                note=m.note,
                uploaded=up is not None,
                filename=up.original_filename if up else None,
                content_type=up.content_type if up else None,
                size=up.size if up else None,
                sm3=up.sm3 if up else None,
                uploaded_at=up.updated_at if up else None,
            )
        )
    if audit:
        _audit(ctx, events.APPLICATION_READ, application)
    return ApplicationView(
        id=application.id,
        number=application.number,
        item_code=application.item_code,
        item_name=application.item_name,
        department=application.department_name,
        status=application.status,
        status_title=STATUS_TITLES.get(application.status, application.status),
        created_at=application.created_at,
        submitted_at=application.submitted_at,
        applicant_kind=application.applicant_kind,
        applicant_name=application.applicant_name,
        item_basic_code=application.item_basic_code,
        item_version=application.item_version,
        form_id=application.form_id,
        form=_decode_form(ctx, application.form_cipher),
        materials=materials,
        events=[
            EventView(step=e.step, title=e.title, actor_role=e.actor_role, actor_department=e.actor_department, occurred_at=e.occurred_at, details=e.details)
            for e in rows
        ],
        workflow_state={k: v for k, v in application.workflow_state.items() if k != "engine"} if application.workflow_state else None,
        awaiting_applicant=_awaiting_applicant(application),
    )


def _awaiting_applicant(application: Application) -> bool:
    state = application.workflow_state or {}
    if not isinstance(state.get("engine"), str):
        return False
    return any("applicant" in task.roles for task in engine.ready_tasks(state["engine"]))


async def get_mine(ctx: ServiceContext, application_id: uuid.UUID) -> ApplicationView:
    """One of the caller's applications (personal data: the read is audited)."""
    return await _view(ctx, await _own(ctx, application_id), audit=True)


async def get_mine_by_number(ctx: ServiceContext, number: str) -> ApplicationView:
    """One of the caller's submitted applications by its number (audited)."""
    actor = _applicant(ctx)
    row = (
        await ctx.session.execute(select(Application).where(Application.number == number, Application.applicant_account_id == actor.account_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("未找到该申请", code="application_not_found")
    return await _view(ctx, row, audit=True)


async def list_mine(ctx: ServiceContext, *, limit: int = 20, offset: int = 0) -> tuple[list[ApplicationSummary], int]:
    """我的办件: the caller's applications, newest first."""
    actor = _applicant(ctx)
    where = Application.applicant_account_id == actor.account_id
    total = (await ctx.session.execute(select(func.count()).select_from(Application).where(where))).scalar_one()
    rows = (
        await ctx.session.execute(select(Application).where(where).order_by(Application.created_at.desc(), Application.id).limit(limit).offset(offset))
    ).scalars()
    items = [
        ApplicationSummary(
            id=r.id,
            number=r.number,
            item_code=r.item_code,
            item_name=r.item_name,
            department=r.department_name,
            status=r.status,
            status_title=STATUS_TITLES.get(r.status, r.status),
            created_at=r.created_at,
            submitted_at=r.submitted_at,
        )
        for r in rows
    ]
    record_list(ctx, total)
    return items, total


def record_list(ctx: ServiceContext, total: int) -> None:
    """Audit a listing of the caller's applications."""
    record(ctx.session, events.APPLICATIONS_LISTED, actor=ctx.actor, meta=ctx.meta, subject_type="application", details={"total": total})


async def form_of_item(ctx: ServiceContext, item_code: str) -> tuple[ItemView, forms.FormDefinition]:
    """The published item and its application form (for the apply page)."""
    item = await catalog.get_published(ctx, item_code)
    return item, forms.form_for(item.basic_code)


# --- for service rating (好差评) ---------------------------------------------------------------


@dataclass(frozen=True)
class RatingContext:
    """What the evaluation module needs to know about one of the caller's applications."""

    application_id: uuid.UUID
    number: str
    applicant_account_id: uuid.UUID
    item_code: str
    item_name: str
    organisation_code: str
    department_name: str
    status: str
    status_title: str


async def rating_context(ctx: ServiceContext, number: str) -> RatingContext:
    """One of the caller's submitted applications by number, read-only; someone else's reads as absent."""
    actor = _applicant(ctx)
    row = (
        await ctx.session.execute(select(Application).where(Application.number == number, Application.applicant_account_id == actor.account_id))
    ).scalar_one_or_none()
    if row is None or row.number is None:
        raise NotFound("未找到该申请", code="application_not_found")
    return RatingContext(
        application_id=row.id,
        number=row.number,
        applicant_account_id=row.applicant_account_id,
        item_code=row.item_code,
        item_name=row.item_name,
        organisation_code=row.organisation_code,
        department_name=row.department_name,
        status=row.status,
        status_title=STATUS_TITLES.get(row.status, row.status),
    )


# --- for the documents module ----------------------------------------------------------------


async def is_mine(ctx: ServiceContext, application_id: uuid.UUID) -> bool:
    """Whether an application belongs to the calling applicant account (person or enterprise); reads nothing personal.

    The documents module asks this before handing an applicant the documents issued on the application.
    """
    actor = ctx.actor
    if actor is None or actor.kind not in {"person", "enterprise"}:
        return False
    found = await ctx.session.execute(select(Application.id).where(Application.id == application_id, Application.applicant_account_id == actor.account_id))
    return found.scalar_one_or_none() is not None


# --- reduction metrics (R3.5) ------------------------------------------------------------------

_CONCLUDED = ("concluded", "delivered")
_CONCLUDING_STEPS = ("conclude:", "handle_on_the_spot:")


async def durations_by_item_version(ctx: ServiceContext, item_code: str) -> list[tuple[int, datetime, datetime, int]]:
    """For the catalogue's metrics: ``(item version, accepted at, concluded at, working days taken)`` per concluded application.

    Read-only and anonymous (no personal data). Acceptance is the ``pre_check:accept`` step (or the
    on-the-spot handling of an instant item); conclusion is the first ``conclude`` step (or the on-the-spot
    handling, or delivery). Working days follow the time-limit clock: the acceptance day is not counted
    and correction pauses are left out.
    """
    from longgov.timelimits import services as timelimits  # noqa: PLC0415 - only the metrics read the working calendar here

    rows = (
        await ctx.session.execute(
            select(Application.id, Application.item_version, Application.workflow_state)
            .where(Application.item_code == item_code, Application.status.in_(_CONCLUDED))
            .order_by(Application.item_version, Application.submitted_at)
        )
    ).all()
    if not rows:
        return []
    steps: dict[uuid.UUID, list[tuple[str, datetime]]] = {}
    events_query = (
        select(ApplicationEvent.application_id, ApplicationEvent.step, ApplicationEvent.occurred_at)
        .where(ApplicationEvent.application_id.in_([r.id for r in rows]))
        .order_by(ApplicationEvent.occurred_at)
    )
    for application_id, step, occurred_at in (await ctx.session.execute(events_query)).tuples():
        steps.setdefault(application_id, []).append((step, occurred_at))
    calendar = await timelimits.working_calendar(ctx.session)
    result: list[tuple[int, datetime, datetime, int]] = []
    for row in rows:
        timeline = steps.get(row.id, [])
        accepted = next((at for step, at in timeline if step == "pre_check:accept" or step.startswith("handle_on_the_spot:")), None)
        concluded = next((at for step, at in timeline if step.startswith(_CONCLUDING_STEPS)), None)
        concluded = concluded or next((at for step, at in timeline if step.startswith("deliver:")), None)
        if accepted is None or concluded is None:
            continue
        state = row.workflow_state or {}
        start = datetime.fromisoformat(state["clock_start"]).date() if state.get("clock_start") else timelimits.china_today(accepted)
        pauses = [(datetime.fromisoformat(a).date(), datetime.fromisoformat(b).date()) for a, b in state.get("pauses", [])]
        days = calendar.elapsed_working_days(start, timelimits.china_today(concluded), pauses)
        result.append((row.item_version, accepted, concluded, days))
    return result
