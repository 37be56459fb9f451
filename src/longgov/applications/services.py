"""Application use cases (R3.3 intake): drafts, forms, materials, submission, timeline, 我的办件.

Seam for the workflow engine: once submitted, an application has ``status = "submitted"`` and an
empty ``workflow_state``. The engine will start its process from the submission (listening for
:data:`events.APPLICATION_SUBMITTED` or being called after :func:`submit`), keep its own state in
``workflow_state`` and report every step through :func:`record_step`, which moves ``status`` and
appends to the applicant's timeline (with audit). Nothing here depends on the engine.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import re
import secrets
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs in the lock file
from sqlalchemy import delete, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from longgov.applications import events, forms, tasks
from longgov.applications.models import Application, ApplicationEvent, ApplicationMaterial, ApplicationMaterialRef, ApplicationNumberCounter
from longgov.applications.schemas import (
    ApplicationStepRecorded,
    ApplicationSummary,
    ApplicationView,
    BundleMember,
    EventView,
    FieldProvenance,
    LicenceReferenceView,
    MaterialView,
    PrefillConsentView,
    PrefilledField,
    PrefillProposal,
    PrefillSource,
    PrefillStats,
)
from longgov.applications.storage import ObjectNotFound, ObjectStorage, storage_for
from longgov.catalog import services as catalog
from longgov.catalog.schemas import ItemView, Material
from longgov.db import after_commit, daily_number, utcnow
from longgov.identity import services as identity
from longgov.kernel import events as domain_events
from longgov.kernel.errors import AppError, Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from longgov.licences import services as licences
from longgov.licences.schemas import STATUS_TITLES as LICENCE_STATUS_TITLES
from longgov.licences.schemas import LicenceTypeView, LicenceView
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.crypto import sm3_hex
from longgov.security.pii import mask_name
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


# --- once-only: pre-filling (表单免填写) ---------------------------------------------------------

PREFILL_CONSENT_TEXT = "我确认以上信息由平台根据我的电子证照自动填写，如有误可修改"
_PREFILL_DIGEST = "applications.prefill"
_RECORD_TITLES = {"person": "实名认证信息", "enterprise": "法人登记信息"}
_RECORD_FIELD_TITLES = {"name": "名称", "uscc": "统一社会信用代码", "legal_representative": "法定代表人"}
_CLAIM_FIELDS = {"holder.name": ("持证主体", ("holder", "name")), "holder.id_number": ("持证主体证件号码", ("holder", "idNumber"))}


@cache
def _licence_types() -> dict[str, LicenceTypeView]:
    """Licence types by key, code and Chinese name (forms and the catalogue may name them either way)."""
    types = licences.list_types()
    return {**{t.name: t for t in types}, **{t.code: t for t in types}, **{t.key: t for t in types}}


def licence_type(ref: str) -> LicenceTypeView | None:
    """The licence type a form or material names (key, code or name)."""
    return _licence_types().get(ref)


class _Wallet:
    """The caller's valid licences and own record, each read once per unit of work (the reads are audited where they happen)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._held: dict[str, list[LicenceView]] = {}
        self._claims: dict[uuid.UUID, dict[str, Any]] = {}
        self._record: dict[str, str] | None = None

    async def held(self, licence_type: LicenceTypeView) -> list[LicenceView]:
        """Valid licences of a type, newest first (none for a type this kind of applicant cannot hold)."""
        actor = self.ctx.actor
        if actor is None or actor.kind not in licence_type.holder_kinds:
            return []
        if licence_type.code not in self._held:
            try:
                self._held[licence_type.code] = await licences.licences_of_holder(self.ctx, type_code=licence_type.code, valid_only=True)
            except PermissionDenied:
                self._held[licence_type.code] = []
        return self._held[licence_type.code]

    async def claims(self, licence_id: uuid.UUID) -> dict[str, Any]:
        """The full claims of one of the caller's licences."""
        if licence_id not in self._claims:
            self._claims[licence_id] = await licences.licence_claims(self.ctx, licence_id)
        return self._claims[licence_id]

    async def record(self, kind: str) -> dict[str, str]:
        """The caller's own person or enterprise record (empty when the caller is the other kind)."""
        actor = self.ctx.actor
        if actor is None or actor.kind != kind:
            return {}
        if self._record is None:
            if kind == "person":
                person = await identity.my_person(self.ctx)
                self._record = {"name": person.name}
            else:
                enterprise = await identity.my_enterprise(self.ctx)
                self._record = {"name": enterprise.name, "uscc": enterprise.uscc, "legal_representative": enterprise.legal_representative}
        return self._record


def _claim(claims: dict[str, Any], licence_type: LicenceTypeView, field: str) -> tuple[str, str] | None:
    """(value, field title) of one data item of a licence's claims."""
    if field == "number":
        return str(claims.get("number") or ""), licence_type.number_title
    if field in _CLAIM_FIELDS:
        title, (outer, inner) = _CLAIM_FIELDS[field]
        block = claims.get(outer)
        return (str(block.get(inner) or ""), title) if isinstance(block, dict) else None
    spec = next((f for f in licence_type.fields if field in {f.key, f.title}), None)
    data = claims.get("data")
    if spec is None or not isinstance(data, dict):
        return None
    return str(data.get(spec.key) or ""), spec.title


async def _resolve(wallet: _Wallet, binding: forms.Binding) -> tuple[str, PrefillSource] | None:
    if binding.source == "licence":
        found = licence_type(binding.licence_type or "")
        held = await wallet.held(found) if found is not None else []
        if found is None or not held:
            return None
        view = held[0]
        value = _claim(await wallet.claims(view.id), found, binding.field)
        if value is None:
            return None
        source = PrefillSource(
            kind="licence",
            title=found.name,
            field_title=value[1],
            issuer_name=view.issuer_name,
            issued_on=view.issued_on,
            licence_id=view.id,
            identifier=view.identifier,
        )
        return value[0], source
    text = (await wallet.record(binding.source)).get(binding.field, "")
    title = _RECORD_TITLES.get(binding.source, binding.source)
    return (text, PrefillSource(kind=binding.source, title=title, field_title=_RECORD_FIELD_TITLES.get(binding.field, binding.field))) if text else None


async def _propose(definition: forms.FormDefinition, wallet: _Wallet) -> list[PrefilledField]:
    """The value of every bound field that a valid licence or the caller's record can fill (and that the field accepts)."""
    properties = definition.schema.get("properties", {})
    proposal: list[PrefilledField] = []
    for name, bindings in forms.bindings_of(definition).items():
        for binding in bindings:
            found = await _resolve(wallet, binding)
            if found is None:
                continue
            value = forms.transformed(binding, found[0])
            if value and forms.fits(definition, name, value):
                proposal.append(PrefilledField(name=name, title=str(properties[name].get("title", name)), value=value, source=found[1]))
                break
    return proposal


async def prefill_proposal(ctx: ServiceContext, item_code: str) -> PrefillProposal:
    """What the form of a published item can take from the caller's valid licences and own record; audited.

    Nothing is stored: the applicant sees the values with their sources and confirms them when saving.
    """
    _applicant(ctx)
    item = await catalog.get_published(ctx, item_code)
    definition = forms.form_for(item.basic_code)
    fields = await _propose(definition, _Wallet(ctx))
    record(
        ctx.session,
        events.PREFILL_PROPOSED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="item",
        subject_id=item.code,
        details={"fields": [f.name for f in fields], "licences": sorted({f.source.identifier for f in fields if f.source.identifier})},
    )
    return PrefillProposal(item_code=item.code, form_id=definition.form_id, fields=fields, consent_text=PREFILL_CONSENT_TEXT)


def _digest(ctx: ServiceContext, name: str, value: object) -> str:
    """Keyed digest of a field value: tells a kept value from an edited one without storing it."""
    return ctx.codec.index(_PREFILL_DIGEST, name + "\x00" + json.dumps(value, ensure_ascii=False, sort_keys=True))


def _prefill_record(ctx: ServiceContext, actor: Principal, proposal: list[PrefilledField], data: dict[str, Any]) -> dict[str, Any]:
    """Provenance of the pre-filled fields and the consent: who, when, which licences and fields."""
    kept = [f for f in proposal if data.get(f.name) == f.value]
    used: dict[str, dict[str, Any]] = {}
    for f in kept:
        key = f.source.identifier or f.source.kind
        used.setdefault(key, {"note": f.source.note.removeprefix("来自："), **f.source.model_dump(mode="json", include={"kind", "licence_id", "identifier"})})
    return {
        "confirmed_at": utcnow().isoformat(),
        "account_id": str(actor.account_id),
        "consent": PREFILL_CONSENT_TEXT,
        "sources": list(used.values()),
        "fields": {f.name: {**f.source.model_dump(mode="json"), "label": f.title, "digest": _digest(ctx, f.name, f.value)} for f in proposal},
        "kept": [f.name for f in kept],
    }


# --- drafts ----------------------------------------------------------------------------------


async def any_applications(ctx: ServiceContext) -> bool:
    """Whether any application exists (demo seeding runs once)."""
    return (await ctx.session.execute(select(Application.id).limit(1))).first() is not None


async def create_draft(
    ctx: ServiceContext,
    item_code: str,
    form_data: dict[str, Any] | None = None,
    *,
    prefill_confirmed: bool = False,
    prefill_offered: bool = False,
    bundle_case_ref: str | None = None,
) -> ApplicationView:
    """Start an application for the published version of an item; the form is checked except for missing fields.

    表单免填写: with ``prefill_confirmed`` (or when the page ``prefill_offered`` values) the proposal is
    computed again here, never trusted from the client; values kept as proposed need the confirmation,
    and the provenance of every proposed field plus the consent are stored with the application.
    证照免提交: each material a licence replaces is fulfilled by the applicant's newest valid one.
    """
    actor = _applicant(ctx)
    item = await catalog.get_published(ctx, item_code)
    definition = forms.form_for(item.basic_code)
    data = form_data or {}
    _check_form(definition, data, partial=True)
    wallet = _Wallet(ctx)
    proposal = await _propose(definition, wallet) if prefill_confirmed or prefill_offered else []
    kept = [f for f in proposal if data.get(f.name) == f.value]
    if kept and not prefill_confirmed:
        message = "请勾选确认平台根据电子证照自动填写的信息，或修改这些内容"
        raise ValidationFailed(message, code="prefill_not_confirmed", details={"prefill_confirmed": message})
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
        prefill=_prefill_record(ctx, actor, proposal, data) if kept else None,
        bundle_case_ref=bundle_case_ref,
    )
    ctx.session.add(application)
    await ctx.session.flush()
    _event(ctx, application, "draft_created", "创建申请草稿", details={"item_version": item.version})
    _audit(ctx, events.APPLICATION_CREATED, application, item_version=item.version, **({"bundle_case": bundle_case_ref} if bundle_case_ref else {}))
    if application.prefill is not None:
        sources = [s["note"] for s in application.prefill["sources"]]
        titles = [f.title for f in kept]
        _event(ctx, application, "prefill_confirmed", "确认由电子证照自动填写申请表", details={"fields": titles, "sources": sources})
        _audit(
            ctx,
            events.PREFILL_CONSENTED,
            application,
            fields=[f.name for f in kept],
            licences=[s["identifier"] for s in application.prefill["sources"] if s.get("identifier")],
        )
    await _reference_held_licences(ctx, application, item, wallet)
    return await _view(ctx, application, item)


async def update_draft(ctx: ServiceContext, application_id: uuid.UUID, form_data: dict[str, Any]) -> ApplicationView:
    """Save the form of a draft (partial forms allowed); a changed pre-filled field shows as edited."""
    application = await _lock_own(ctx, application_id)
    if application.status != DRAFT:
        raise Conflict("申请已提交，不能再修改", code="not_a_draft")
    _check_form(forms.form_for(application.item_basic_code), form_data, partial=True)
    application.form_cipher = _encode_form(ctx, form_data)
    await ctx.session.flush()
    _event(ctx, application, "draft_saved", "保存申请草稿")
    _audit(ctx, events.APPLICATION_UPDATED, application)
    return await _view(ctx, application)


# --- once-only: licences as materials (证照免提交) ------------------------------------------------


async def _reference_held_licences(ctx: ServiceContext, application: Application, item: ItemView, wallet: _Wallet) -> None:
    """Fulfil each licence-replaced material with the applicant's newest valid licence of its type, if any."""
    for index, material in enumerate(item.content.materials):
        found = licence_type(material.licence_type or "") if material.replacement == "licence" else None
        held = await wallet.held(found) if found is not None else []
        if not held:
            continue
        try:
            async with ctx.session.begin_nested():
                await _reference(ctx, application, index, material, held[0].id)
        except ValidationFailed:
            # A licence that fails its check now (seal, status) is not used; the applicant uploads instead.
            log.warning("licence %s not referenced for application %s material %s", held[0].identifier, application.id, index)


async def _reference(
    ctx: ServiceContext, application: Application, index: int, material: Material, licence_id: uuid.UUID, *, issued_on: uuid.UUID | None = None
) -> None:
    """Pin one of the caller's licences (verified now) as a material; an uploaded file for it gives way.

    ``issued_on``: the licence was issued on that earlier application of the caller (一件事), whoever holds it.
    """
    wanted = licence_type(material.licence_type or "")
    wanted_name = wanted.name if wanted else "电子证照"
    try:
        if issued_on is not None:
            ref = await licences.application_material_reference(ctx, issued_on, licence_id)
        else:
            ref = await licences.material_reference(ctx, licence_id)
    except NotFound as exc:
        message = f"未在您的卡包中找到该{wanted_name}"
        error = ValidationFailed(message, code="licence_not_found", details={f"materials.{index}": message})
        error.keep_changes = exc.keep_changes  # the refused read of someone else's licence stays audited
        raise error from exc
    view = ref.licence
    if view.type_key != material.licence_type:
        message = f"所选证照是{view.type_name}，“{material.name}”需要的是{wanted_name}"
        raise ValidationFailed(message, code="licence_type_mismatch", details={f"materials.{index}": message})
    if not ref.verification.valid:
        message = f"{view.type_name}（{view.number}）{ref.verification.reason}，不能代替“{material.name}”，请上传该材料"
        raise ValidationFailed(message, code="licence_not_valid", details={f"materials.{index}": message})
    row = (
        await ctx.session.execute(
            select(ApplicationMaterialRef).where(ApplicationMaterialRef.application_id == application.id, ApplicationMaterialRef.material_index == index)
        )
    ).scalar_one_or_none()
    if row is None:
        row = ApplicationMaterialRef(application_id=application.id, material_index=index)
        ctx.session.add(row)
    row.material_name = material.name
    row.licence_id = view.id
    row.licence_identifier = ref.identifier
    row.licence_version = ref.version
    row.licence_type_key = view.type_key
    row.document_sm3 = ref.document_sm3
    row.verified_at = ref.verification.checked_at
    row.facts = {
        "type_name": view.type_name,
        "number_title": view.number_title,
        "number": view.number,
        "holder_name": view.holder_name if view.holder_kind == "enterprise" else mask_name(view.holder_name),
        "issuer_name": view.issuer_name,
        "valid_from": view.valid_from.isoformat(),
        "valid_until": view.valid_until.isoformat() if view.valid_until else None,
        "trust_level": view.trust_level,
    }
    row.updated_at = utcnow()
    await _drop_upload(ctx, application, index)
    await ctx.session.flush()
    details = {"material": material.name, "licence_type": view.type_name, "identifier": ref.identifier, "version": ref.version}
    _event(ctx, application, "material_referenced", f"引用电子证照：{view.type_name}（免提交“{material.name}”）", details=details)
    _audit(ctx, events.MATERIAL_REFERENCED, application, material_index=index, identifier=ref.identifier, version=ref.version, document_sm3=ref.document_sm3)


async def _drop_upload(ctx: ServiceContext, application: Application, index: int) -> None:
    """Remove the uploaded file of a material (after commit) that a licence now fulfils."""
    upload = (
        await ctx.session.execute(
            select(ApplicationMaterial).where(ApplicationMaterial.application_id == application.id, ApplicationMaterial.material_index == index)
        )
    ).scalar_one_or_none()
    if upload is None:
        return
    storage, key = storage_for(ctx.settings), upload.storage_key

    async def _drop_file() -> None:
        await storage.delete(key)

    await ctx.session.delete(upload)
    after_commit(ctx.session, _drop_file)


async def use_licence(ctx: ServiceContext, application_id: uuid.UUID, material_index: int, licence_id: uuid.UUID) -> MaterialView:
    """The applicant picks which of their licences fulfils a material (instead of uploading it)."""
    application = await _lock_own(ctx, application_id)
    if application.status not in {DRAFT, CORRECTION_REQUESTED}:
        raise Conflict("申请已提交，不能再更换材料", code="not_a_draft")
    item = await catalog.get_version(ctx, application.item_code, application.item_version)
    materials = item.content.materials
    if not 0 <= material_index < len(materials):
        raise ValidationFailed("没有这一项申请材料", code="unknown_material", details={"material": "没有这一项申请材料"})
    material = materials[material_index]
    if material.replacement != "licence":
        message = f"“{material.name}”不能用电子证照代替"
        raise ValidationFailed(message, code="not_a_licence_material", details={f"materials.{material_index}": message})
    await _reference(ctx, application, material_index, material, licence_id)
    view = await _view(ctx, application, item)
    return view.materials[material_index]


async def licence_options(ctx: ServiceContext, application: ApplicationView) -> dict[int, list[LicenceView]]:
    """For the draft page: per licence-replaced material, the applicant's valid licences of its type to pick from."""
    wallet = _Wallet(ctx)
    options: dict[int, list[LicenceView]] = {}
    for material in application.materials:
        found = licence_type(material.licence_type or "") if material.replaced_by == "licence" else None
        if found is not None:
            options[material.index] = await wallet.held(found)
    return options


async def _reference_status(ctx: ServiceContext, ref: ApplicationMaterialRef) -> tuple[str, str, str | None]:
    """(effective status, its title, current identifier) of a referenced licence, checked now."""
    try:
        status = await licences.revocation_status(ctx, ref.licence_identifier)
    except AppError:
        return "unknown", "已无法核验", None
    return status.effective_status, LICENCE_STATUS_TITLES.get(status.effective_status, status.effective_status), status.current_identifier


async def _reference_view(ctx: ServiceContext, ref: ApplicationMaterialRef) -> LicenceReferenceView:
    status, title, current = await _reference_status(ctx, ref)
    facts = ref.facts
    return LicenceReferenceView(
        licence_id=ref.licence_id,
        identifier=ref.licence_identifier,
        version=ref.licence_version,
        document_sm3=ref.document_sm3,
        type_name=str(facts.get("type_name", "")),
        number=str(facts.get("number", "")),
        holder_name=str(facts.get("holder_name", "")),
        issuer_name=str(facts.get("issuer_name", "")),
        valid_from=date.fromisoformat(str(facts["valid_from"])),
        valid_until=date.fromisoformat(str(facts["valid_until"])) if facts.get("valid_until") else None,
        verified_at=ref.verified_at,
        status=status,
        status_title=title,
        valid=status == "valid",
        current_identifier=current,
    )


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
    # An uploaded file replaces a licence referenced for the same material.
    await ctx.session.execute(
        delete(ApplicationMaterialRef).where(ApplicationMaterialRef.application_id == application.id, ApplicationMaterialRef.material_index == material_index)
    )
    await ctx.session.flush()
    details = {"material": materials[material_index].name, "filename": name, "size": len(data), "sm3": digest}
    _event(ctx, application, "material_uploaded", f"上传材料：{materials[material_index].name}", details=details)
    _audit(ctx, events.MATERIAL_UPLOADED, application, material_index=material_index, size=len(data), sm3=digest)
    material = materials[material_index]
    found = licence_type(material.licence_type or "")
    return MaterialView(
        index=material_index,
        name=material.name,
        required=material.required,
        replaceable=material.replaceable and material.replacement != "licence",
        replaced_by=material.replacement,
        licence_type=material.licence_type,
        licence_type_name=found.name if found else None,
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
    """Issue ``GS`` + yyyymmdd (China time) + a 6-digit daily sequence."""
    return await daily_number(session, ApplicationNumberCounter, "GS", when=when, what="申请编号")


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
    data = _decode_form(ctx, application.form_cipher)
    _check_form(forms.form_for(application.item_basic_code), data, partial=False)
    holder = await licences.holder_problems(ctx, application.item_basic_code, application.applicant_kind, application.applicant_person_id, data)
    if holder:
        raise ValidationFailed("申请表填写有误，请按提示修改", code="validation_failed", details=holder)
    item = await catalog.get_version(ctx, application.item_code, application.item_version)
    await _check_materials(ctx, application, item)
    application.number = await next_number(ctx.session)
    if application.prefill is not None:
        application.prefill = {**application.prefill, "submitted": _prefill_outcome(ctx, application)}
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


async def _check_materials(ctx: ServiceContext, application: Application, item: ItemView) -> None:
    """Every required material is uploaded, fetched by the platform, covered by a commitment, or fulfilled by a licence valid now."""
    uploaded = set(
        (await ctx.session.execute(select(ApplicationMaterial.material_index).where(ApplicationMaterial.application_id == application.id))).scalars()
    )
    refs = {
        r.material_index: r
        for r in (await ctx.session.execute(select(ApplicationMaterialRef).where(ApplicationMaterialRef.application_id == application.id))).scalars()
    }
    missing: dict[str, str] = {}
    lapsed = False
    for i, m in enumerate(item.content.materials):
        kind = m.replacement
        if not m.required or i in uploaded or kind in {"shared_data", "commitment"}:
            continue
        ref = refs.get(i)
        if kind == "licence" and ref is not None:
            status, title, _ = await _reference_status(ctx, ref)
            if status == "valid":
                continue
            lapsed = True
            missing[f"materials.{i}"] = f"引用的{ref.facts.get('type_name', '电子证照')}{title}，不能代替“{m.name}”，请上传该材料"
        elif kind == "licence":
            found = licence_type(m.licence_type or "")
            missing[f"materials.{i}"] = f"请上传：{m.name}（您的卡包中没有有效的{found.name if found else '电子证照'}）"
        else:
            missing[f"materials.{i}"] = f"请上传：{m.name}"
    if lapsed:
        raise ValidationFailed("引用的电子证照已失效（吊销、暂停或过期），请上传相应材料", code="licence_not_valid", details=missing)
    if missing:
        raise ValidationFailed("还有必需的申请材料未上传", code="materials_missing", details=missing)


def _prefill_outcome(ctx: ServiceContext, application: Application) -> dict[str, int]:
    """At submission: how many fields the form has, how many went in as pre-filled, how many the applicant changed."""
    form = _decode_form(ctx, application.form_cipher)
    total = len(forms.form_for(application.item_basic_code).schema.get("properties", {}))
    provenance = _provenance(ctx, application, form)
    edited = sum(1 for p in provenance.values() if p.edited)
    return {"total": total, "prefilled": len(provenance) - edited, "edited": edited}


def _provenance(ctx: ServiceContext, application: Application, form: dict[str, Any]) -> dict[str, FieldProvenance]:
    """Each pre-filled field's source, and whether its value differs from what the platform filled in."""
    entries = (application.prefill or {}).get("fields", {})
    result: dict[str, FieldProvenance] = {}
    for name, entry in entries.items():
        source = PrefillSource.model_validate({k: entry.get(k) for k in PrefillSource.model_fields if k in entry})
        edited = name not in form or _digest(ctx, name, form[name]) != entry.get("digest")
        result[name] = FieldProvenance(source=source, edited=edited)
    return result


def _consent(application: Application) -> PrefillConsentView | None:
    prefill = application.prefill
    if not prefill:
        return None
    fields = prefill.get("fields", {})
    return PrefillConsentView(
        confirmed_at=datetime.fromisoformat(prefill["confirmed_at"]),
        text=str(prefill.get("consent", PREFILL_CONSENT_TEXT)),
        licences=[str(s.get("note", "")) for s in prefill.get("sources", [])],
        fields=[str(fields.get(name, {}).get("label", name)) for name in prefill.get("kept", [])],
    )


async def prefill_stats(ctx: ServiceContext, item_code: str) -> PrefillStats:
    """表单免填写 of one published item: fields bound / fields total, and the share pre-filled in submitted applications.

    Anonymous counts: the submitted applications' provenance records are read, never their forms.
    """
    item = await catalog.get_published(ctx, item_code)
    definition = forms.form_for(item.basic_code)
    properties = definition.schema.get("properties", {})
    bound = forms.bindings_of(definition)
    total = len(properties)
    rows = (await ctx.session.execute(select(Application.prefill).where(Application.item_code == item.code, Application.submitted_at.is_not(None)))).scalars()
    submitted = prefilled_apps = prefilled = edited = 0
    for prefill in rows:
        submitted += 1
        outcome = (prefill or {}).get("submitted")
        if not outcome:
            continue
        prefilled_apps += 1
        prefilled += int(outcome.get("prefilled", 0))
        edited += int(outcome.get("edited", 0))
    return PrefillStats(
        item_code=item.code,
        form_id=definition.form_id,
        fields_total=total,
        fields_bound=len(bound),
        bound_share=round(len(bound) / total, 3) if total else 0.0,
        bound_fields=[str(properties[name].get("title", name)) for name in bound],
        applications_submitted=submitted,
        applications_prefilled=prefilled_apps,
        fields_prefilled=prefilled,
        fields_edited=edited,
        prefilled_share=round(prefilled / (total * submitted), 3) if submitted and total else None,
    )


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


async def resubmit(ctx: ServiceContext, application_id: uuid.UUID, note: str) -> ApplicationView:
    """The applicant's resubmission after a 补正 request, for other domains (一件事 resubmits several at once)."""
    from longgov.applications import casework  # noqa: PLC0415 - casework builds on this module; the step is its to complete

    return await casework.resubmit(ctx, application_id, note)


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
            bundle_case_ref=application.bundle_case_ref,
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
    refs = {
        r.material_index: r
        for r in (await ctx.session.execute(select(ApplicationMaterialRef).where(ApplicationMaterialRef.application_id == application.id))).scalars()
    }
    materials = []
    for i, m in enumerate(item.content.materials):
        up = uploads.get(i)
        ref = await _reference_view(ctx, refs[i]) if i in refs and up is None else None
        found = licence_type(m.licence_type or "")
        materials.append(
            MaterialView(
                index=i,
                name=m.name,
                required=m.required,
                # Nothing to upload: fetched or committed, or fulfilled by a licence that is valid now.
                replaceable=m.replaceable and (m.replacement != "licence" or (ref is not None and ref.valid)),
                replaced_by=m.replacement,
                licence_type=m.licence_type,
                licence_type_name=found.name if found else None,
                reference=ref,
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
    form = _decode_form(ctx, application.form_cipher)
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
        bundle_case_ref=application.bundle_case_ref,
        applicant_kind=application.applicant_kind,
        applicant_name=application.applicant_name,
        item_basic_code=application.item_basic_code,
        item_version=application.item_version,
        form_id=application.form_id,
        form=form,
        materials=materials,
        events=[
            EventView(step=e.step, title=e.title, actor_role=e.actor_role, actor_department=e.actor_department, occurred_at=e.occurred_at, details=e.details)
            for e in rows
        ],
        workflow_state={k: v for k, v in application.workflow_state.items() if k != "engine"} if application.workflow_state else None,
        awaiting_applicant=_awaiting_applicant(application),
        prefilled=_provenance(ctx, application, form),
        prefill_consent=_consent(application),
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
            bundle_case_ref=r.bundle_case_ref,
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


# --- for bundles (一件事) ------------------------------------------------------------------------

# A decision step's action → the member's outcome ("pre_check:refuse" is the refusal to accept).
_DECISIONS = {"grant": "granted", "deny": "denied", "refuse": "refused"}


def form_schema(basic_code: str) -> dict[str, Any]:
    """A copy of the JSON Schema of an item's application form (the generic form for an item without its own)."""
    return copy.deepcopy(forms.form_for(basic_code).schema)


def _definition_of(schema: dict[str, Any]) -> forms.FormDefinition:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return forms.FormDefinition(key="bundle", form_id=str(schema.get("$id", "bundle")), schema=schema, validator=validator)


def form_errors(schema: dict[str, Any], data: dict[str, Any], *, partial: bool) -> dict[str, str]:
    """Per-field Chinese messages of form data against any form schema (a bundle's merged form); empty when valid."""
    return forms.field_errors(_definition_of(schema), data, partial=partial)


def schema_fields(schema: dict[str, Any]) -> list[forms.FormField]:
    """The inputs a page renders for any flat form schema (a bundle's merged form), in schema order."""
    return forms.fields_of(_definition_of(schema))


def coerce_posted(schema: dict[str, Any], posted: dict[str, str]) -> dict[str, Any]:
    """Typed data of an HTML form post against any flat form schema (a bundle's merged form)."""
    return forms.coerce_posted(_definition_of(schema), posted)


def licence_bound_fields(basic_code: str) -> dict[str, list[str]]:
    """Fields of an item's form that a licence can fill (表单免填写), with the licence type keys they name."""
    result: dict[str, list[str]] = {}
    for name, bindings in forms.bindings_of(forms.form_for(basic_code)).items():
        keys = [found.key for b in bindings if b.source == "licence" and (found := licence_type(b.licence_type or "")) is not None]
        if keys:
            result[name] = keys
    return result


async def values_from_results(ctx: ServiceContext, basic_code: str, application_ids: list[uuid.UUID]) -> tuple[dict[str, Any], list[str]]:
    """表单免填写 from earlier results: what an item's form takes from the licences issued on the caller's own applications.

    For a bundle, whose later items need the licence an earlier item produced (e.g. the 营业执照 of a
    business just registered). Applications that are not the caller's are skipped. Returns the values
    and, per licence used, a note of its source; the licence reads are audited by the licences module.
    """
    issued: list[tuple[LicenceTypeView, LicenceView, dict[str, Any]]] = []
    for application_id in application_ids:
        if not await is_mine(ctx, application_id):
            continue
        for view, claims in await licences.licences_for_application(ctx, application_id):
            found = licence_type(view.type_key)
            # A licence revoked, suspended or expired since it was issued fills nothing.
            if found is not None and view.effective_status == "valid":
                issued.append((found, view, claims))
    definition = forms.form_for(basic_code)
    values: dict[str, Any] = {}
    notes: list[str] = []
    for name, bindings in forms.bindings_of(definition).items():
        for binding in bindings:
            wanted = licence_type(binding.licence_type or "") if binding.source == "licence" else None
            match = next((i for i in issued if wanted is not None and i[0].key == wanted.key), None)
            claim = _claim(match[2], match[0], binding.field) if match is not None else None
            if match is None or claim is None:
                continue
            value = forms.transformed(binding, claim[0])
            if value and forms.fits(definition, name, value):
                values[name] = value
                note = f"{match[1].type_name}（{match[1].number}，{match[1].issuer_name}）"
                if note not in notes:
                    notes.append(note)
                break
    return values, notes


def _member(application: Application, timeline: list[ApplicationEvent], *, with_events: bool) -> BundleMember:
    decision: str | None = None
    reason: str | None = None
    corrections = 0
    missing: list[str] = []
    documents: list[dict[str, Any]] = []
    issued: list[dict[str, Any]] = []
    for e in timeline:
        action = e.step.rsplit(":", 1)[-1] if ":" in e.step else ""
        if action == "request_correction":
            corrections += 1
            missing = [str(i) for i in e.details.get("missing_items", [])]
        if action in _DECISIONS:
            decision = _DECISIONS[action]
            reason = str(e.details["reason"]) if e.details.get("reason") else None
            if isinstance(doc := e.details.get("document"), dict):
                documents.append({k: doc.get(k) for k in ("id", "kind_title", "number")})
            if isinstance(licence := e.details.get("licence"), dict):
                issued.append({k: licence.get(k) for k in ("id", "identifier", "type_name", "number")})
    return BundleMember(
        application_id=application.id,
        number=application.number,
        item_code=application.item_code,
        item_basic_code=application.item_basic_code,
        item_name=application.item_name,
        department=application.department_name,
        status=application.status,
        status_title=STATUS_TITLES.get(application.status, application.status),
        decision=decision,
        reason=reason,
        corrections=corrections,
        missing_items=missing if application.status == CORRECTION_REQUESTED else [],
        documents=documents,
        licences=issued,
        events=[
            EventView(step=e.step, title=e.title, actor_role=e.actor_role, actor_department=e.actor_department, occurred_at=e.occurred_at, details=e.details)
            for e in timeline
        ]
        if with_events
        else [],
        submitted_at=application.submitted_at,
    )


async def bundle_members(ctx: ServiceContext, bundle_case_ref: str, *, with_events: bool = False) -> list[BundleMember]:
    """For a bundle case (一件事): its applications' progress, decisions, open corrections and results; audited.

    Read by the bundle's applicant, or by the system (no actor) reacting to a step; anyone else is refused.
    """
    actor = ctx.actor
    query = select(Application).where(Application.bundle_case_ref == bundle_case_ref)
    if actor is not None:
        if actor.kind not in {"person", "enterprise"}:
            raise PermissionDenied("只有申请人可以查看一件事的办件", code="applicant_only")
        query = query.where(Application.applicant_account_id == actor.account_id)
    rows = list((await ctx.session.execute(query.order_by(Application.created_at, Application.id))).scalars())
    steps: dict[uuid.UUID, list[ApplicationEvent]] = {}
    if rows:
        found = await ctx.session.execute(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id.in_([r.id for r in rows]))
            .order_by(ApplicationEvent.occurred_at, ApplicationEvent.id)
        )
        for e in found.scalars():
            steps.setdefault(e.application_id, []).append(e)
    record(
        ctx.session,
        events.APPLICATIONS_LISTED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="application",
        details={"bundle_case": bundle_case_ref, "total": len(rows)},
    )
    return [_member(r, steps.get(r.id, []), with_events=with_events) for r in rows]


async def reference_results(ctx: ServiceContext, application_id: uuid.UUID, source_ids: list[uuid.UUID]) -> list[str]:
    """证照免提交 from earlier results: fulfil a draft's licence materials with licences issued on the caller's own earlier applications.

    For a bundle, whose later item needs the licence an earlier item produced. Materials already
    fulfilled or uploaded are left alone; a licence that fails its check now is skipped (the applicant
    uploads instead). Returns the names of the materials fulfilled.
    """
    application = await _lock_own(ctx, application_id)
    if application.status not in {DRAFT, CORRECTION_REQUESTED}:
        raise Conflict("申请已提交，不能再更换材料", code="not_a_draft")
    item = await catalog.get_version(ctx, application.item_code, application.item_version)
    view = await _view(ctx, application, item)
    issued: list[tuple[uuid.UUID, LicenceView]] = []
    for source in source_ids:
        if await is_mine(ctx, source):
            issued.extend((source, licence) for licence, _ in await licences.licences_for_application(ctx, source))
    done: list[str] = []
    for index, material in enumerate(item.content.materials):
        shown = view.materials[index]
        if material.replacement != "licence" or shown.uploaded or (shown.reference is not None and shown.reference.valid):
            continue
        match = next(((s, lic) for s, lic in issued if lic.type_key == material.licence_type), None)
        if match is None:
            continue
        try:
            async with ctx.session.begin_nested():
                await _reference(ctx, application, index, material, match[1].id, issued_on=match[0])
        except ValidationFailed:
            log.warning("licence %s not referenced for application %s material %s", match[1].identifier, application.id, index)
            continue
        done.append(material.name)
    return done
