"""Applications JSON API (``/api/v1/applications``): drafts, materials, submission, my applications."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from longgov.applications import casework, services, workbench
from longgov.applications.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    ApplicationView,
    AssignBody,
    BatchBody,
    ClaimBody,
    DraftUpdate,
    InboxPage,
    LicenceChoice,
    MaterialView,
    NewApplication,
    PrefillProposal,
    PrefillStats,
    ResubmitBody,
    StepBody,
    Supervision,
)
from longgov.kernel.errors import ValidationFailed
from longgov.security.permissions import Permission
from longgov.security.policy import PUBLIC, require
from longgov.web.deps import Ctx

_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def idempotency_key(value: str | None) -> str | None:
    """A well-formed key or None; a malformed one is a 422."""
    if value is None or value == "":
        return None
    if not _KEY.match(value):
        raise ValidationFailed("Idempotency-Key 格式不正确（8–80 位字母、数字或 _.:-）", details={"idempotency_key": "格式不正确"})
    return value


async def read_upload(request: Request[Any, Any, Any]) -> tuple[int, str, bytes]:
    """(material index, file name, bytes) of a multipart upload; anything else is a 400."""
    try:
        form = await request.form()
    except Exception as exc:
        raise ValidationFailed("请以 multipart/form-data 上传文件", code="no_file", status_code=400) from exc
    upload = form.get("file")
    raw_index = str(form.get("material", ""))
    if not isinstance(upload, UploadFile):
        raise ValidationFailed("请选择要上传的文件", code="no_file", details={"file": "请选择要上传的文件"}, status_code=400)
    if not raw_index.isdigit() or len(raw_index) > 3:  # noqa: PLR2004 - at most 60 materials
        raise ValidationFailed("请指明材料序号", code="unknown_material", details={"material": "请指明材料序号"})
    data = await upload.read(services.MAX_MATERIAL_BYTES + 1)
    return int(raw_index), upload.filename or "", data


def material_response(material: MaterialView, data: bytes) -> Response[bytes]:
    """The stored file shown in the browser (PDF and images open inline; OFD downloads)."""
    inline = (material.content_type or "").startswith(("image/", "application/pdf"))
    filename = quote(material.filename or f"material-{material.index}")
    return Response(
        data,
        media_type=material.content_type or "application/octet-stream",
        headers={
            "content-disposition": f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{filename}",
            "cache-control": "private, no-store",
            # A material is the applicant's file: never let it run script in our origin.
            "content-security-policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        },
    )


class ApplicationsController(Controller):
    """Online applications of the logged-in person or enterprise."""

    path = "/api/v1/applications"
    tags = ["申请"]  # noqa: RUF012

    @get("/", operation_id="applicationsListMine", opt=require(Permission.ApplicationsOwnRead))
    async def list_mine(
        self,
        ctx: Ctx,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        """我的办件, newest first."""
        items, total = await services.list_mine(ctx, limit=limit, offset=offset)
        return {"items": [i.model_dump(mode="json") for i in items], "total": total, "limit": limit, "offset": offset}

    @post("/", operation_id="applicationsCreateDraft", opt=require(Permission.ApplicationsOwnSubmit), status_code=201)
    async def create_draft(self, ctx: Ctx, data: JSONBody[NewApplication]) -> ApplicationView:
        """Start a draft for a published item (the form may be incomplete)."""
        return await services.create_draft(ctx, data.item_code, data.form, prefill_confirmed=data.prefill_confirmed)

    @get("/prefill", operation_id="applicationsPrefill", opt=require(Permission.ApplicationsOwnSubmit))
    async def prefill(self, ctx: Ctx, item_code: Annotated[str, QueryParameter(min_length=6, max_length=80)]) -> PrefillProposal:
        """表单免填写: the values the item's form can take from the caller's valid licences and record, each with its source (audited)."""
        return await services.prefill_proposal(ctx, item_code)

    @get("/prefill-stats", operation_id="applicationsPrefillStats", opt=PUBLIC)
    async def prefill_stats(self, ctx: Ctx, item_code: Annotated[str, QueryParameter(min_length=6, max_length=80)]) -> PrefillStats:
        """表单免填写 of one item: fields bound to a licence or record / fields total, and the share pre-filled in submitted applications."""
        return await services.prefill_stats(ctx, item_code)

    @get("/{application_id:str}", operation_id="applicationsGetMine", opt=require(Permission.ApplicationsOwnRead))
    async def get_mine(self, ctx: Ctx, application_id: FromPath[str]) -> ApplicationView:
        """One own application with form, materials and timeline (audited)."""
        return await services.get_mine(ctx, services.parse_id(application_id))

    @get("/{application_id:str}/materials/{material_index:int}", operation_id="applicationsReadMaterial", opt=require(Permission.ApplicationsOwnRead))
    async def read_material(self, ctx: Ctx, application_id: FromPath[str], material_index: Annotated[int, PathParameter(ge=0, le=200)]) -> Response[bytes]:
        """One file the applicant uploaded (SM3 checked; audited)."""
        material, data = await services.read_material(ctx, services.parse_id(application_id), material_index)
        return material_response(material, data)

    @put("/{application_id:str}", operation_id="applicationsUpdateDraft", opt=require(Permission.ApplicationsOwnSubmit))
    async def update_draft(self, ctx: Ctx, application_id: FromPath[str], data: JSONBody[DraftUpdate]) -> ApplicationView:
        """Save the draft's form."""
        return await services.update_draft(ctx, services.parse_id(application_id), data.form)

    @post(
        "/{application_id:str}/materials",
        operation_id="applicationsUploadMaterial",
        opt=require(Permission.ApplicationsOwnSubmit),
        status_code=201,
        request_max_body_size=services.UPLOAD_BODY_LIMIT,
    )
    async def upload_material(self, request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> MaterialView:
        """Upload one material (multipart fields ``material`` = index, ``file``): PDF/JPG/PNG/OFD, ≤ 10 MB."""
        target = services.parse_id(application_id)
        index, filename, data = await read_upload(request)
        return await services.upload_material(ctx, target, index, filename, data)

    @post("/{application_id:str}/materials/licence", operation_id="applicationsUseLicence", opt=require(Permission.ApplicationsOwnSubmit), status_code=200)
    async def use_licence(self, ctx: Ctx, application_id: FromPath[str], data: JSONBody[LicenceChoice]) -> MaterialView:
        """证照免提交: fulfil a material with one of the caller's valid licences of the type it names (no upload)."""
        return await services.use_licence(ctx, services.parse_id(application_id), data.material, data.licence_id)

    @post("/{application_id:str}/submit", operation_id="applicationsSubmit", opt=require(Permission.ApplicationsOwnSubmit), status_code=201)
    async def submit(self, request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Response[dict[str, Any]]:
        """Submit a draft; ``Idempotency-Key`` makes retries safe (201 first time, 200 for a replay)."""
        target = services.parse_id(application_id)
        key = idempotency_key(request.headers.get("idempotency-key"))
        result = await services.submit(ctx, target, key)
        return Response(content=result.application.model_dump(mode="json"), status_code=201 if result.created else 200)

    @post("/{application_id:str}/resubmit", operation_id="applicationsResubmit", opt=require(Permission.ApplicationsOwnSubmit))
    async def resubmit(self, ctx: Ctx, application_id: FromPath[str], data: JSONBody[ResubmitBody]) -> ApplicationView:
        """Resubmit after a correction request (upload the corrected materials first)."""
        return await casework.resubmit(ctx, services.parse_id(application_id), data.note)


def step_input(data: StepBody) -> casework.StepInput:
    """The service input of a step body."""
    return casework.StepInput(task=data.task, action=data.action, opinion=data.opinion, missing_items=data.missing_items, reason=data.reason)


class WorkbenchController(Controller):
    """Staff casework: the inbox of ready tasks in scope, one case, completing a step, claims, batches, the leader's view."""

    path = "/api/v1/applications/workbench"
    tags = ["办件"]  # noqa: RUF012

    @get(
        "/cases/{application_id:str}/materials/{material_index:int}",
        operation_id="applicationsWorkbenchMaterial",
        opt=require(Permission.ApplicationsCasesHandle),
    )
    async def case_material(self, ctx: Ctx, application_id: FromPath[str], material_index: Annotated[int, PathParameter(ge=0, le=200)]) -> Response[bytes]:
        """One uploaded material of a case in scope (SM3 checked; audited)."""
        material, data = await casework.case_material(ctx, services.parse_id(application_id), material_index)
        return material_response(material, data)

    @get("/inbox", operation_id="applicationsWorkbenchInbox", opt=require(Permission.ApplicationsCasesHandle))
    async def inbox(
        self,
        ctx: Ctx,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
        size: Annotated[int, QueryParameter(ge=1, le=100)] = workbench.PAGE_SIZE,
        claim: Annotated[Literal["all", "mine", "unclaimed"], QueryParameter(description="全部 / 我认领的 / 未认领")] = "all",
    ) -> InboxPage:
        """Ready tasks of the caller's scope and roles, one page, earliest deadline first (no deadline yet: last, oldest first)."""
        return await workbench.inbox(ctx, page=page, size=size, claim=claim)

    @get("/supervision", operation_id="applicationsWorkbenchSupervision", opt=require(Permission.ApplicationsCasesSupervise))
    async def supervision(self, ctx: Ctx) -> Supervision:
        """部门负责人: open cases by status, claimed workload per staff member, due-soon/overdue counts and the overdue list."""
        return await workbench.supervision(ctx)

    @post("/batch", operation_id="applicationsWorkbenchBatch", opt=require(Permission.ApplicationsCasesHandle), status_code=200)
    async def batch(self, ctx: Ctx, data: JSONBody[BatchBody]) -> dict[str, Any]:
        """批量办理 (受理, 办结, 送达 only): each case completed on its own; the result of each (成功 / 失败 + reason)."""
        results = await casework.batch_act(ctx, data.action, data.opinion, [(i.application_id, i.task) for i in data.items])
        return {
            "results": [r.model_dump(mode="json") for r in results],
            "succeeded": sum(1 for r in results if r.ok),
            "failed": sum(1 for r in results if not r.ok),
        }

    @get("/{application_id:str}", operation_id="applicationsWorkbenchGet", opt=require(Permission.ApplicationsCasesHandle))
    async def get_case(self, ctx: Ctx, application_id: FromPath[str]) -> dict[str, Any]:
        """One application in scope: materials, masked form, timeline, the caller's ready tasks and who holds them (audited)."""
        case = await casework.get_case(ctx, services.parse_id(application_id))
        return {
            "application": case.application.model_dump(mode="json"),
            "tasks": [
                {
                    "id": t.id,
                    "name": t.name,
                    "title": t.title,
                    "roles": list(t.roles),
                    "actions": list(t.actions),
                    "department": t.department,
                    "claim": _claim_json(case.claims.get(t.id)),
                }
                for t in case.tasks
            ],
            "time_limit": case.time_limit.model_dump(mode="json") if case.time_limit else None,
        }

    @post("/{application_id:str}/act", operation_id="applicationsWorkbenchAct", opt=require(Permission.ApplicationsCasesHandle))
    async def act(self, ctx: Ctx, application_id: FromPath[str], data: JSONBody[StepBody]) -> ApplicationView:
        """Complete a ready task; 403 (audited) for a role or department that may not, 409 for a step not yet reached or claimed by another."""
        return await casework.act(ctx, services.parse_id(application_id), step_input(data))

    @post("/{application_id:str}/claim", operation_id="applicationsWorkbenchClaim", opt=require(Permission.ApplicationsCasesHandle), status_code=200)
    async def claim(self, ctx: Ctx, application_id: FromPath[str], data: JSONBody[ClaimBody]) -> dict[str, Any]:
        """认领 a ready task; 409 when someone else holds it."""
        return _claim_json(await casework.claim(ctx, services.parse_id(application_id), data.task)) or {}

    @post("/{application_id:str}/release", operation_id="applicationsWorkbenchRelease", opt=require(Permission.ApplicationsCasesHandle), status_code=200)
    async def release(self, ctx: Ctx, application_id: FromPath[str], data: JSONBody[ClaimBody]) -> dict[str, Any]:
        """退回 a claimed task to the pool (the claimer, or a department leader)."""
        return _claim_json(await casework.release(ctx, services.parse_id(application_id), data.task)) or {}

    @post("/{application_id:str}/assign", operation_id="applicationsWorkbenchAssign", opt=require(Permission.ApplicationsCasesSupervise), status_code=200)
    async def assign(self, ctx: Ctx, application_id: FromPath[str], data: JSONBody[AssignBody]) -> dict[str, Any]:
        """改派: a department leader hands a ready task to a staff member who may do it."""
        return _claim_json(await casework.assign(ctx, services.parse_id(application_id), data.task, data.account_id)) or {}


def _claim_json(claim: casework.TaskClaim | None) -> dict[str, Any] | None:
    if claim is None:
        return None
    return {
        "task_id": claim.task_id,
        "task_name": claim.task_name,
        "task_title": claim.task_title,
        "claimed_by_id": str(claim.claimed_by_id) if claim.claimed_by_id else None,
        "claimed_by_name": claim.claimed_by_name,
        "claimed_at": claim.claimed_at.isoformat() if claim.claimed_at else None,
    }
