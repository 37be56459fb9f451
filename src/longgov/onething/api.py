"""Bundles JSON API (``/api/v1/onething``): published bundles, the guide and metrics (public), the applicant's cases, staff definitions, the key-item list."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, QueryParameter

from longgov.applications.schemas import IDEMPOTENCY_KEY_PATTERN, MaterialView
from longgov.applications.services import MAX_MATERIAL_BYTES, UPLOAD_BODY_LIMIT
from longgov.kernel.errors import NotFound, ValidationFailed
from longgov.onething import keyitems, metrics, services
from longgov.onething.schemas import (
    BASIC_CODE_PATTERN,
    BUNDLE_CODE_PATTERN,
    BundleMetrics,
    BundleSummary,
    BundleVersionSummary,
    BundleView,
    CaseUpdate,
    CaseView,
    CorrectionNote,
    DefinitionInput,
    DefinitionProblem,
    FormPatch,
    GuideInput,
    GuideResult,
    KeyItemDetail,
    KeyItemFields,
    KeyItemReviewView,
    KeyItemView,
    MergedForm,
    MergedMaterial,
    NewCase,
    NewKeyItem,
    TimelineEntry,
)
from longgov.security.permissions import Permission
from longgov.security.policy import PUBLIC, require
from longgov.web.deps import Ctx

_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
_CODE = re.compile(BUNDLE_CODE_PATTERN)
_BASIC = re.compile(BASIC_CODE_PATTERN)
_MATERIAL = re.compile(r"^[0-9a-f]{16}$")
_INDEX = re.compile(r"^[0-9]{1,3}$")
_MAX_ANSWERS = 30
_MAX_ANSWER_CHARS = 40


def _code(value: str) -> str:
    if not _CODE.match(value):
        raise ValidationFailed("一件事代码格式不正确", code="invalid_code", details={"code": "格式不正确"}, status_code=404)
    return value


def _licence_ref(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound("证照不存在", code="licence_not_found") from exc


def _idempotency_key(value: str | None) -> str | None:
    if not value:
        return None
    if not _KEY.match(value):
        raise ValidationFailed("Idempotency-Key 格式不正确（8–80 位字母、数字或 _.:-）", details={"idempotency_key": "格式不正确"})
    return value


async def _read_upload(request: Request[Any, Any, Any], *, pattern: re.Pattern[str] | None = None) -> tuple[str, str, bytes]:
    """(material: a merged material's key or ``pattern``'s match, file name, bytes) of a multipart upload; anything else is a 400."""
    try:
        form = await request.form()
    except Exception as exc:
        raise ValidationFailed("请以 multipart/form-data 上传文件", code="no_file", status_code=400) from exc
    upload = form.get("file")
    key = str(form.get("material", ""))
    if not isinstance(upload, UploadFile):
        raise ValidationFailed("请选择要上传的文件", code="no_file", details={"file": "请选择要上传的文件"}, status_code=400)
    if not (pattern or _MATERIAL).match(key):
        raise ValidationFailed("请指明是哪一项材料", code="unknown_material", details={"material": "请指明材料"})
    data = await upload.read(MAX_MATERIAL_BYTES + 1)
    return key, upload.filename or "", data


def _file(filename: str, data: bytes, media_type: str, *, inline: bool = False) -> Response[bytes]:
    return Response(
        data,
        media_type=media_type,
        headers={
            "content-disposition": f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(filename)}",
            "cache-control": "private, no-store",
            "content-security-policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        },
    )


class OnethingController(Controller):
    """一件事: published bundles, the scenario guide and the merged form."""

    path = "/api/v1/onething"
    tags = ["一件事"]  # noqa: RUF012

    @get("/bundles", operation_id="onethingListBundles", opt=PUBLIC)
    async def list_bundles(self, ctx: Ctx) -> list[BundleSummary]:
        """Published bundles with their lead and participating departments."""
        return await services.list_published(ctx)

    @get("/bundles/{code:str}", operation_id="onethingGetBundle", opt=PUBLIC)
    async def get_bundle(self, ctx: Ctx, code: FromPath[str]) -> BundleView:
        """The published version of a bundle: guide questions, items and their departments."""
        return await services.get_published(ctx, _code(code))

    @get("/bundles/{code:str}/guide", operation_id="onethingGuide", opt=PUBLIC)
    async def guide(self, request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> GuideResult:
        """情形引导: the items the answers make applicable (now or after their predecessors) and those not needed.

        Answers are query parameters (``?has_business_licence=false&premises_area=small``); 422 naming contradicting answers.
        """
        params = dict(request.query_params)
        if len(params) > _MAX_ANSWERS or any(len(k) > _MAX_ANSWER_CHARS or len(v) > _MAX_ANSWER_CHARS for k, v in params.items()):
            raise ValidationFailed("回答过多或过长", code="invalid_answers")
        return await services.guide_from_query(ctx, _code(code), params)

    @post("/bundles/{code:str}/form", operation_id="onethingMergedForm", opt=require(Permission.ApplicationsOwnSubmit), status_code=200)
    async def merged_form(self, ctx: Ctx, code: FromPath[str], data: JSONBody[GuideInput]) -> MergedForm:
        """一表申请: the merged form of the applicable items with values proposed from the caller's licences and records (audited)."""
        return await services.merged_form(ctx, _code(code), data.answers)


class OnethingCasesController(Controller):
    """我的一件事: the applicant's bundle cases."""

    path = "/api/v1/onething/cases"
    tags = ["一件事"]  # noqa: RUF012

    @get("/", operation_id="onethingListCases", opt=require(Permission.ApplicationsOwnRead))
    async def list_cases(
        self,
        ctx: Ctx,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        """我的一件事, newest first."""
        items, total = await services.list_mine(ctx, limit=limit, offset=offset)
        return {"items": [i.model_dump(mode="json") for i in items], "total": total, "limit": limit, "offset": offset}

    @post("/", operation_id="onethingCreateCase", opt=require(Permission.ApplicationsOwnSubmit), status_code=201)
    async def create_case(self, ctx: Ctx, data: JSONBody[NewCase]) -> CaseView:
        """Start a bundle case from the guide's answers and (part of) the merged form."""
        return await services.create_case(ctx, data)

    @get("/{case_id:str}", operation_id="onethingGetCase", opt=require(Permission.ApplicationsOwnRead))
    async def get_case(self, ctx: Ctx, case_id: FromPath[str]) -> CaseView:
        """One own case: answers, form, members with progress and results, merged materials, next steps (audited)."""
        return await services.get_case(ctx, services.parse_case_id(case_id))

    @put("/{case_id:str}", operation_id="onethingUpdateCase", opt=require(Permission.ApplicationsOwnSubmit))
    async def update_case(self, ctx: Ctx, case_id: FromPath[str], data: JSONBody[CaseUpdate]) -> CaseView:
        """Change a draft: answers, form, pre-fill consent."""
        return await services.update_case(ctx, services.parse_case_id(case_id), data)

    @post(
        "/{case_id:str}/materials",
        operation_id="onethingUploadMaterial",
        opt=require(Permission.ApplicationsOwnSubmit),
        status_code=201,
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def upload_material(self, request: Request[Any, Any, Any], ctx: Ctx, case_id: FromPath[str]) -> MergedMaterial:
        """Upload one material of the merged list once (multipart ``material`` = its key, ``file``): PDF/JPG/PNG/OFD, ≤ 10 MB."""
        target = services.parse_case_id(case_id)
        key, filename, data = await _read_upload(request)
        return await services.upload_material(ctx, target, key, filename, data)

    @get("/{case_id:str}/materials/{key:str}", operation_id="onethingReadMaterial", opt=require(Permission.ApplicationsOwnRead))
    async def read_material(self, ctx: Ctx, case_id: FromPath[str], key: FromPath[str]) -> Response[bytes]:
        """One file uploaded to the case (SM3 checked; audited)."""
        row, data = await services.read_material(ctx, services.parse_case_id(case_id), key)
        return _file(row.original_filename, data, row.content_type, inline=row.content_type.startswith(("image/", "application/pdf")))

    @post("/{case_id:str}/submit", operation_id="onethingSubmitCase", opt=require(Permission.ApplicationsOwnSubmit), status_code=201)
    async def submit(self, request: Request[Any, Any, Any], ctx: Ctx, case_id: FromPath[str]) -> Response[dict[str, Any]]:
        """Submit: one application per item to its department now, the rest after their predecessors; ``Idempotency-Key`` makes retries safe."""
        target = services.parse_case_id(case_id)
        result = await services.submit_case(ctx, target, _idempotency_key(request.headers.get("idempotency-key")))
        return Response(content=result.case.model_dump(mode="json"), status_code=201 if result.created else 200)

    @post("/{case_id:str}/resume", operation_id="onethingResumeCase", opt=require(Permission.ApplicationsOwnSubmit), status_code=200)
    async def resume(self, ctx: Ctx, case_id: FromPath[str], data: JSONBody[FormPatch]) -> CaseView:
        """Continue the items waiting for the applicant, with the values they need (upload missing materials first)."""
        return await services.resume(ctx, services.parse_case_id(case_id), data.form)

    @post(
        "/{case_id:str}/corrections/{application_id:str}/materials",
        operation_id="onethingUploadCorrection",
        opt=require(Permission.ApplicationsOwnSubmit),
        status_code=201,
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def upload_correction(self, request: Request[Any, Any, Any], ctx: Ctx, case_id: FromPath[str], application_id: FromPath[str]) -> MaterialView:
        """Upload a corrected material of an item in correction (multipart ``material`` = the item's material index, ``file``)."""
        target = services.parse_case_id(case_id)
        index, filename, data = await _read_upload(request, pattern=_INDEX)
        return await services.upload_correction(ctx, target, services.parse_case_id(application_id), int(index), (filename, data))

    @post("/{case_id:str}/corrections", operation_id="onethingResubmitCorrections", opt=require(Permission.ApplicationsOwnSubmit), status_code=200)
    async def resubmit_corrections(self, ctx: Ctx, case_id: FromPath[str], data: JSONBody[CorrectionNote]) -> CaseView:
        """一次补正: resubmit every item whose department asked for a correction, together; 409 when none is in correction."""
        return await services.resubmit_corrections(ctx, services.parse_case_id(case_id), data.note)

    @post("/{case_id:str}/members/{basic_code:str}/reapply", operation_id="onethingReapply", opt=require(Permission.ApplicationsOwnSubmit), status_code=200)
    async def reapply(self, ctx: Ctx, case_id: FromPath[str], basic_code: FromPath[str], data: JSONBody[FormPatch]) -> CaseView:
        """Apply again within the bundle for an item that was refused or denied."""
        if not _BASIC.match(basic_code):
            raise ValidationFailed("事项编码格式不正确", code="member_not_found", status_code=404)
        return await services.reapply(ctx, services.parse_case_id(case_id), basic_code, data.form)

    @get("/{case_id:str}/timeline", operation_id="onethingTimeline", opt=require(Permission.ApplicationsOwnRead))
    async def timeline(self, ctx: Ctx, case_id: FromPath[str]) -> list[TimelineEntry]:
        """One timeline of the case and every department's steps (audited)."""
        return await services.timeline(ctx, services.parse_case_id(case_id))

    @get("/{case_id:str}/results", operation_id="onethingResults", opt=require(Permission.ApplicationsOwnRead))
    async def results(self, ctx: Ctx, case_id: FromPath[str]) -> Response[bytes]:
        """Every result so far (decision letters, licence PDFs) in one ZIP (audited)."""
        filename, data = await services.results_zip(ctx, services.parse_case_id(case_id))
        return _file(filename, data, "application/zip")

    @get("/{case_id:str}/licences/{application_id:str}/{licence_id:str}", operation_id="onethingResultLicence", opt=require(Permission.ApplicationsOwnRead))
    async def result_licence(self, ctx: Ctx, case_id: FromPath[str], application_id: FromPath[str], licence_id: FromPath[str]) -> Response[bytes]:
        """One licence a member's grant issued, as PDF (audited)."""
        filename, data = await services.result_licence_pdf(ctx, services.parse_case_id(case_id), _licence_ref(application_id), _licence_ref(licence_id))
        return _file(filename, data, "application/pdf", inline=True)


class OnethingManageController(Controller):
    """一件事 definitions for staff: draft versions, checks, publication."""

    path = "/api/v1/onething/manage"
    tags = ["一件事管理"]  # noqa: RUF012

    @get("/bundles", operation_id="onethingManageList", opt=require(Permission.OnethingBundlesManage))
    async def list_bundles(self, ctx: Ctx) -> list[BundleSummary]:
        """Bundles (latest version, any state) led from within the caller's data scope."""
        return await services.list_managed(ctx)

    @post("/bundles", operation_id="onethingManageCreate", opt=require(Permission.OnethingBundlesManage), status_code=201)
    async def create_bundle(self, ctx: Ctx, data: JSONBody[DefinitionInput]) -> BundleView:
        """Create a bundle (version 1, draft) from a definition; 422 with every problem named."""
        return await services.create_bundle(ctx, data.definition, note=data.note)

    @post("/check", operation_id="onethingManageCheck", opt=require(Permission.OnethingBundlesManage), status_code=200)
    async def check(self, ctx: Ctx, data: JSONBody[DefinitionInput]) -> list[DefinitionProblem]:
        """Dry run: the problems of a definition (empty when it could be published)."""
        return await services.validate_definition(ctx, data.definition)

    @get("/bundles/{code:str}", operation_id="onethingManageGet", opt=require(Permission.OnethingBundlesManage))
    async def get_bundle(self, ctx: Ctx, code: FromPath[str], version: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None) -> BundleView:
        """The latest (or given) version of a bundle, drafts included."""
        return await services.get_managed(ctx, _code(code), version)

    @get("/bundles/{code:str}/versions", operation_id="onethingManageVersions", opt=require(Permission.OnethingBundlesManage))
    async def versions(self, ctx: Ctx, code: FromPath[str]) -> list[BundleVersionSummary]:
        """Version history, newest first."""
        return await services.list_versions(ctx, _code(code))

    @put("/bundles/{code:str}", operation_id="onethingManageUpdate", opt=require(Permission.OnethingBundlesManage))
    async def update_bundle(self, ctx: Ctx, code: FromPath[str], data: JSONBody[DefinitionInput]) -> BundleView:
        """Edit: the open draft changes, or a published bundle gets a new draft version."""
        return await services.update_bundle(ctx, _code(code), data.definition, note=data.note)

    @post("/bundles/{code:str}/publish", operation_id="onethingManagePublish", opt=require(Permission.OnethingBundlesManage), status_code=200)
    async def publish(self, ctx: Ctx, code: FromPath[str]) -> BundleView:
        """Publish the draft (checked again); the previous version is superseded."""
        return await services.publish_bundle(ctx, _code(code))


class OnethingMetricsController(Controller):
    """一件事 before/after metrics (public: counts and working days, no personal data)."""

    path = "/api/v1/onething/bundles"
    tags = ["一件事"]  # noqa: RUF012

    @get("/{code:str}/metrics", operation_id="onethingBundleMetrics", opt=PUBLIC)
    async def bundle_metrics(self, request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> BundleMetrics:
        """Before (the items applied for separately) vs after (the bundle): visits, materials, fields typed, steps, days, and actual days.

        By default the guide's fullest scenario; answers as query parameters (``?has_business_licence=false``) choose another.
        """
        params = dict(request.query_params)
        if len(params) > _MAX_ANSWERS or any(len(k) > _MAX_ANSWER_CHARS or len(v) > _MAX_ANSWER_CHARS for k, v in params.items()):
            raise ValidationFailed("回答过多或过长", code="invalid_answers")
        return await metrics.bundle_metrics(ctx, _code(code), params)


class OnethingKeyItemsController(Controller):
    """重点事项清单: entries, their targets and routine reviews (staff; edits within the lead organisation's scope)."""

    path = "/api/v1/onething/key-items"
    tags = ["一件事管理"]  # noqa: RUF012

    @get("/", operation_id="onethingKeyItems", opt=require(Permission.OnethingBundlesManage))
    async def list_key_items(self, ctx: Ctx) -> list[KeyItemView]:
        """The whole list, each entry with its latest review outcome and whether the caller may edit it."""
        return await keyitems.list_key_items(ctx)

    @post("/", operation_id="onethingCreateKeyItem", opt=require(Permission.OnethingBundlesManage), status_code=201)
    async def create_key_item(self, ctx: Ctx, data: JSONBody[NewKeyItem]) -> KeyItemDetail:
        """Put a published bundle on the list (its lead organisation in the caller's scope); audited."""
        return await keyitems.create_key_item(ctx, data)

    @get("/{code:str}", operation_id="onethingGetKeyItem", opt=require(Permission.OnethingBundlesManage))
    async def get_key_item(self, ctx: Ctx, code: FromPath[str]) -> KeyItemDetail:
        """One entry with its review history, newest first."""
        return await keyitems.get_key_item(ctx, _code(code))

    @put("/{code:str}", operation_id="onethingUpdateKeyItem", opt=require(Permission.OnethingBundlesManage))
    async def update_key_item(self, ctx: Ctx, code: FromPath[str], data: JSONBody[KeyItemFields]) -> KeyItemDetail:
        """Change an entry's departments, targets, launch date, review cycle, status or person responsible; audited."""
        return await keyitems.update_key_item(ctx, _code(code), data)

    @get("/{code:str}/reviews", operation_id="onethingKeyItemReviews", opt=require(Permission.OnethingBundlesManage))
    async def reviews(self, ctx: Ctx, code: FromPath[str]) -> list[KeyItemReviewView]:
        """The routine reviews of an entry: period, sample, each metric against its target."""
        return await keyitems.list_reviews(ctx, _code(code))
