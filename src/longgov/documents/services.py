"""Use cases of the documents module: issue, verify, read and download official documents.

``issue_document`` is what the applications module calls. Each document is rendered once, signed
(SM2, platform key, over the SM3 digest of the PDF bytes) and stored; nothing edits it afterwards.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import undefer

from longgov.applications import services as applications
from longgov.db import utcnow
from longgov.documents import events, numbering
from longgov.documents.models import Document
from longgov.documents.pdf import DocumentContent, Material, render_pdf
from longgov.documents.schemas import KIND_TITLES, DocumentFields, DocumentKind, DocumentView, VerificationView
from longgov.identity import services as identity
from longgov.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from longgov.kernel.fonts import fonts_for
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.crypto import constant_time_equal, sm2_sign, sm2_verify, sm3_digest, sm3_hex, sm3_hmac
from longgov.security.permissions import Permission
from longgov.security.pii import mask_middle, mask_name
from longgov.security.scope import in_division

CHINA_TZ = ZoneInfo("Asia/Shanghai")
CHECK_CODE_CHARS = 16  # 80 bits of SM3-HMAC, base32
UNVERIFIABLE = "无法核验：文书不存在、核验码不正确或文书内容已被篡改"


# --- keys, codes and URLs ----------------------------------------------------------------------


def _check_code_key(ctx: ServiceContext) -> bytes:
    """A key used only for check codes, derived from the platform's index key."""
    return sm3_hmac(ctx.platform.keys.index_key, b"longgov:documents:check-code:v1")


def check_code(ctx: ServiceContext, document_id: uuid.UUID) -> str:
    """The code printed in the QR link; without the platform key nobody can derive it from an id."""
    mac = sm3_hmac(_check_code_key(ctx), b"document:" + document_id.bytes)
    return base64.b32encode(mac).decode().lower()[:CHECK_CODE_CHARS]


def public_base_url(ctx: ServiceContext) -> str:
    """Base of the links printed on documents (``LONGGOV_PUBLIC_BASE_URL``, else the local listener)."""
    configured = ctx.settings.public_base_url.strip().rstrip("/")
    return configured or f"http://{ctx.settings.host}:{ctx.settings.port}"


def verify_path(document_id: uuid.UUID, code: str) -> str:
    """The verification page of a document."""
    return f"/verify/documents/{document_id}?c={code}"


def pdf_path(document_id: uuid.UUID) -> str:
    """The PDF for the applicant it was issued to, or staff in the issuing region."""
    return f"/api/v1/documents/{document_id}/pdf"


def signer_key_id(public_key: bytes) -> str:
    """Which key signed: the SM3 of its public key."""
    return sm3_hex(public_key)


# --- issuing ------------------------------------------------------------------------------------


def _china_date(moment: datetime) -> datetime:
    return moment.astimezone(CHINA_TZ)


def _masked_id(fields: DocumentFields) -> str | None:
    value = (fields.applicant_id_number or "").strip()
    if not value:
        return None
    # An enterprise's unified social credit code is public; a resident ID number is not.
    return value if fields.applicant_kind == "enterprise" else mask_middle(value, 4, 4)


def _place_name(division_code: str) -> str:
    """城关区 from 620102 (the full label minus its parent's)."""
    full = identity.division_label(division_code)
    if division_code.endswith("0000"):
        return full
    parent = division_code[:2] + "0000" if division_code.endswith("00") else division_code[:4] + "00"
    return full.removeprefix(identity.division_label(parent)) or full


def _view(ctx: ServiceContext, doc: Document) -> DocumentView:
    kind = DocumentKind(doc.kind)
    return DocumentView(
        id=doc.id,
        kind=kind,
        kind_title=KIND_TITLES[kind],
        number=doc.number,
        organisation_code=doc.organisation_code,
        organisation_name=doc.organisation_name,
        application_id=doc.application_id,
        application_number=doc.application_number,
        applicant_name=doc.applicant_name,
        item_name=doc.item_name,
        issued_at=doc.issued_at,
        issued_on=doc.issued_on,
        size_bytes=doc.size_bytes,
        pdf_sm3=doc.pdf_sm3,
        verify_path=verify_path(doc.id, check_code(ctx, doc.id)),
        download_path=f"/api/v1/documents/{doc.id}.pdf",
        pdf_path=pdf_path(doc.id),
    )


async def issue_document(ctx: ServiceContext, kind: DocumentKind, fields: DocumentFields) -> DocumentView:
    """Number, render, sign and store one document; audited as ``documents:document:issue``."""
    kind = DocumentKind(kind)
    try:
        fields.check_for(kind)
    except ValueError as exc:
        raise ValidationFailed(str(exc), details={"kind": str(exc)}) from exc
    org = await identity.get_organisation_by_code(ctx.session, fields.organisation_code)
    if org is None:
        raise ValidationFailed("出具机关不存在", details={"organisation_code": "出具机关不存在"})

    document_id = uuid.uuid4()
    issued_at = utcnow()
    issued_on = _china_date(issued_at).date()
    year = issued_on.year
    serial = await numbering.next_serial(ctx.session, org.code, kind, year)
    prefix = fields.number_prefix or numbering.organisation_prefix(_place_name(org.division_code), org.department_kind)
    number = numbering.format_number(prefix, kind, year, serial)
    code = check_code(ctx, document_id)
    masked_id = _masked_id(fields)
    is_enterprise = fields.applicant_kind == "enterprise"
    content = DocumentContent(
        kind=kind,
        organisation_name=org.name,
        number=number,
        applicant_name=fields.applicant_name,
        applicant_label="申请单位" if is_enterprise else "申请人",
        applicant_id_label="统一社会信用代码" if is_enterprise else "身份证号码",
        applicant_id_display=masked_id,
        application_number=fields.application_number,
        item_name=fields.item_name,
        submitted_on=_china_date(fields.submitted_at).date() if fields.submitted_at else None,
        issued_on=issued_on,
        legal_basis=fields.legal_basis,
        verify_url=public_base_url(ctx) + verify_path(document_id, code),
        check_code=code,
        reasons=tuple(fields.reasons),
        materials=tuple(Material(m.name, m.reason) for m in fields.materials),
        correction_days=fields.correction_days,
        time_limit_days=fields.time_limit_days,
        decision_content=fields.decision_content,
        validity=fields.validity,
        review_authority=fields.review_authority,
        court=fields.court,
    )
    fonts = fonts_for(ctx.settings)
    pdf = await asyncio.to_thread(render_pdf, content, fonts)
    digest = sm3_digest(pdf)
    keys = ctx.platform.keys.signing
    signature = sm2_sign(keys.private_key, digest)

    stored = fields.model_dump(mode="json", exclude={"applicant_id_number"})
    stored["applicant_id_masked"] = masked_id
    actor = ctx.actor
    doc = Document(
        id=document_id,
        kind=str(kind),
        number=number,
        year=year,
        serial=serial,
        organisation_id=org.id,
        organisation_code=org.code,
        organisation_name=org.name,
        division_code=org.division_code,
        application_id=fields.application_id,
        application_number=fields.application_number,
        applicant_kind=fields.applicant_kind,
        applicant_name=fields.applicant_name,
        applicant_masked=fields.applicant_name if is_enterprise else mask_name(fields.applicant_name),
        item_name=fields.item_name,
        issued_at=issued_at,
        issued_on=issued_on,
        issued_by_id=actor.account_id if actor else None,
        issued_by_name=actor.display_name if actor else None,
        content=stored,
        pdf=pdf,
        size_bytes=len(pdf),
        pdf_sm3=digest.hex(),
        signature=signature,
        signer_key_sm3=signer_key_id(keys.public_key),
    )
    ctx.session.add(doc)
    await ctx.session.flush()
    record(
        ctx.session,
        events.DOCUMENT_ISSUED,
        actor=actor,
        meta=ctx.meta,
        subject_type="document",
        subject_id=doc.id,
        details={"kind": str(kind), "number": number, "organisation": org.code, "application_number": fields.application_number, "pdf_sm3": doc.pdf_sm3},
    )
    return _view(ctx, doc)


def fields_from_dict(data: dict[str, object]) -> DocumentFields:
    """Validate loosely-typed input (a form, a workflow's variables) into ``DocumentFields``."""
    try:
        return DocumentFields.model_validate(data)
    except ValidationError as exc:
        details = {".".join(str(p) for p in e["loc"]): "取值无效" for e in exc.errors()}
        raise ValidationFailed("文书内容不完整或格式不正确", details=details) from exc


# --- verification -------------------------------------------------------------------------------


def parse_document_id(value: str) -> uuid.UUID | None:
    """A document id from a path segment, or None when it is not one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def signature_valid(ctx: ServiceContext, doc: Document, pdf: bytes) -> bool:
    """The stored bytes still hash to the stored digest and the platform's signature over it holds."""
    digest = sm3_digest(pdf)
    if not constant_time_equal(digest.hex().encode(), doc.pdf_sm3.encode()):
        return False
    return sm2_verify(ctx.platform.keys.signing.public_key, digest, doc.signature)


async def _load(ctx: ServiceContext, document_id: uuid.UUID, *, with_pdf: bool) -> Document | None:
    stmt = select(Document).where(Document.id == document_id)
    if with_pdf:
        stmt = stmt.options(undefer(Document.pdf))
    return (await ctx.session.execute(stmt)).scalar_one_or_none()


async def verify_document(ctx: ServiceContext, document_ref: str, code: str | None) -> VerificationView:
    """Public verification: the check code must match and the stored PDF must still carry a valid signature."""
    document_id = parse_document_id(document_ref)
    if document_id is None or not code:
        raise NotFound(UNVERIFIABLE, code="document_unverifiable")
    if not constant_time_equal(check_code(ctx, document_id).encode(), code.strip().lower().encode()):
        raise NotFound(UNVERIFIABLE, code="document_unverifiable")
    doc = await _load(ctx, document_id, with_pdf=True)
    if doc is None or not signature_valid(ctx, doc, doc.pdf):
        raise NotFound(UNVERIFIABLE, code="document_unverifiable")
    kind = DocumentKind(doc.kind)
    return VerificationView(
        kind=kind,
        kind_title=KIND_TITLES[kind],
        number=doc.number,
        organisation_name=doc.organisation_name,
        issued_on=doc.issued_on,
        item_name=doc.item_name,
        applicant_masked=doc.applicant_masked,
        pdf_sm3=doc.pdf_sm3,
    )


# --- staff and applicant access -----------------------------------------------------------------


def _may_read(ctx: ServiceContext, doc: Document) -> bool:
    """Staff in the issuing organisation's region."""
    actor = ctx.actor
    if actor is None or not actor.has(Permission.WorkbenchHomeRead) or actor.kind != "staff":
        return False
    return in_division(doc.division_code, actor.scope_division)


async def _is_applicant_of(ctx: ServiceContext, doc: Document) -> bool:
    """The person or enterprise account that filed the application the document was issued on."""
    actor = ctx.actor
    if actor is None or actor.kind not in {"person", "enterprise"} or not actor.has(Permission.ApplicationsOwnRead):
        return False
    return doc.application_id is not None and await applications.is_mine(ctx, doc.application_id)


async def _readable(ctx: ServiceContext, document_ref: str, *, with_pdf: bool) -> Document:
    document_id = parse_document_id(document_ref)
    doc = await _load(ctx, document_id, with_pdf=with_pdf) if document_id else None
    if doc is None:
        raise NotFound("文书不存在", code="document_not_found")
    if not _may_read(ctx, doc):
        # Out of scope reads as absent: ids outside the region are not confirmed to exist.
        raise NotFound("文书不存在", code="document_not_found")
    return doc


async def get_document(ctx: ServiceContext, document_ref: str) -> DocumentView:
    """A document's metadata for staff in scope (audited: it names the applicant)."""
    doc = await _readable(ctx, document_ref, with_pdf=False)
    record(ctx.session, events.DOCUMENT_READ, actor=ctx.actor, meta=ctx.meta, subject_type="document", subject_id=doc.id, details={"number": doc.number})
    return _view(ctx, doc)


def _signed_bytes(ctx: ServiceContext, doc: Document, reader: str) -> tuple[DocumentView, bytes]:
    """The stored PDF once its signature still holds; the download (or the refusal) is audited."""
    if not signature_valid(ctx, doc, doc.pdf):
        record(
            ctx.session,
            events.DOCUMENT_DOWNLOADED,
            actor=ctx.actor,
            meta=ctx.meta,
            subject_type="document",
            subject_id=doc.id,
            result="failure",
            details={"reason": "signature", "as": reader},
        )
        error = PermissionDenied("文书签名校验失败，已停止下载，请联系系统管理员", code="document_tampered")
        error.keep_changes = True  # the refused download stays on record
        raise error
    record(
        ctx.session,
        events.DOCUMENT_DOWNLOADED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="document",
        subject_id=doc.id,
        details={"number": doc.number, "pdf_sm3": doc.pdf_sm3, "as": reader},
    )
    return _view(ctx, doc), doc.pdf


async def download_document(ctx: ServiceContext, document_ref: str) -> tuple[DocumentView, bytes]:
    """The PDF bytes for staff in scope; refuses bytes that no longer match their signature."""
    doc = await _readable(ctx, document_ref, with_pdf=True)
    return _signed_bytes(ctx, doc, "staff")


async def download_pdf(ctx: ServiceContext, document_ref: str) -> tuple[DocumentView, bytes]:
    """The PDF for the applicant the document was issued to, or for staff in the issuing region.

    Anyone else gets 404, as if the document did not exist; an applicant's attempt on someone
    else's document is still audited (``result=failure``).
    """
    document_id = parse_document_id(document_ref)
    doc = await _load(ctx, document_id, with_pdf=True) if document_id else None
    if doc is None:
        raise NotFound("文书不存在", code="document_not_found")
    if _may_read(ctx, doc):
        return _signed_bytes(ctx, doc, "staff")
    if await _is_applicant_of(ctx, doc):
        return _signed_bytes(ctx, doc, "applicant")
    record(
        ctx.session,
        events.DOCUMENT_DOWNLOADED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="document",
        subject_id=doc.id,
        result="failure",
        details={"reason": "out_of_scope" if ctx.actor is not None and ctx.actor.kind == "staff" else "not_addressee"},
    )
    error = NotFound("文书不存在", code="document_not_found")
    error.keep_changes = True
    raise error


def pdf_filename(view: DocumentView) -> str:
    """What a saved copy is called: 准予行政许可决定书-<申请编号>.pdf."""
    return f"{view.kind_title}-{view.application_number}.pdf"
