"""Application pages: the apply form (from the item's JSON Schema), the draft with materials, 我的办件 and the timeline."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from longgov.applications import casework, forms, services, workbench
from longgov.applications.api import read_upload
from longgov.applications.schemas import BatchItemResult
from longgov.kernel.errors import AppError, ValidationFailed
from longgov.kernel.registry import Portal
from longgov.security.permissions import Permission
from longgov.security.pii import mask_name
from longgov.security.policy import require
from longgov.web.deps import Ctx
from longgov.web.render import page, redirect

PAGE_SIZE = 20
_READ = require(Permission.ApplicationsOwnRead)
_SUBMIT = require(Permission.ApplicationsOwnSubmit)
_HANDLE = require(Permission.ApplicationsCasesHandle)


def _portal(ctx: Ctx) -> Portal:
    return "enterprise" if ctx.actor is not None and ctx.actor.kind == "enterprise" else "citizen"


def _base(ctx: Ctx) -> str:
    return f"/{_portal(ctx)}/applications"


async def _posted(request: Request[Any, Any, Any]) -> dict[str, str]:
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - an unreadable body is an empty form
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _receive_material(request: Request[Any, Any, Any], ctx: Ctx, target: uuid.UUID) -> tuple[str | None, AppError | None]:
    """Store one uploaded material; a refused file rolls back and comes back as the page's error."""
    try:
        index, filename, data = await read_upload(request)
        material = await services.upload_material(ctx, target, index, filename, data)
    except AppError as error:
        await ctx.session.rollback()
        return None, error
    return f"已上传“{material.name}”：{material.filename}", None


async def _draft_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    application_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    error: AppError | None = None,
    message: str | None = None,
) -> Template:
    application = await services.get_mine(ctx, application_id)
    definition = forms.form_for(application.item_basic_code)
    return page(
        request,
        "applications/apply.html",
        _portal(ctx),
        status_code=error.status_code if error else 200,
        application=application,
        item_name=application.item_name,
        department=application.department,
        definition=definition,
        fields=forms.fields_of(definition),
        values=values if values is not None else application.form,
        errors=error.details if error and isinstance(error.details, dict) else {},
        error=error,
        message=message,
        action=f"{_base(ctx)}/drafts/{application.id}",
        idempotency_key=uuid.uuid4().hex,
        base=_base(ctx),
        sources={name: p.source for name, p in application.prefilled.items()},
        edited={name for name, p in application.prefilled.items() if p.edited},
        proposal=None,
        licence_options=await services.licence_options(ctx, application),
    )


async def _new_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    code: str,
    *,
    values: dict[str, Any] | None = None,
    error: AppError | None = None,
    confirmed: bool = False,
) -> Template:
    """The application form of an item, pre-filled from the applicant's valid licences (表单免填写) with each source shown."""
    item, definition = await services.form_of_item(ctx, code)
    proposal = await services.prefill_proposal(ctx, item.code)
    return page(
        request,
        "applications/apply.html",
        _portal(ctx),
        status_code=error.status_code if error else 200,
        application=None,
        item_name=item.content.name,
        department=item.department,
        definition=definition,
        fields=forms.fields_of(definition),
        values=values if values is not None else proposal.values,
        errors=error.details if error and isinstance(error.details, dict) else {},
        error=error,
        message=None,
        action=f"/{_portal(ctx)}/items/{item.code}/apply",
        idempotency_key="",
        base=_base(ctx),
        sources={f.name: f.source for f in proposal.fields},
        edited={f.name for f in proposal.fields if values is not None and values.get(f.name) != f.value},
        proposal=proposal,
        confirmed=confirmed,
        licence_options={},
    )


@get(["/citizen/items/{code:str}/apply", "/enterprise/items/{code:str}/apply"], operation_id="pageApplicationNew", opt=_SUBMIT, include_in_schema=False)
async def new_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Template:
    """The application form of an item, pre-filled from the applicant's licences where the form says so."""
    return await _new_page(request, ctx, code)


@post(["/citizen/items/{code:str}/apply", "/enterprise/items/{code:str}/apply"], operation_id="pageApplicationCreate", opt=_SUBMIT, include_in_schema=False)
async def create_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Response[Any] | Template:
    """Save the first version of the form as a draft (with the consent to pre-filling), then continue on the draft page."""
    item, definition = await services.form_of_item(ctx, code)
    posted = await _posted(request)
    values = forms.coerce_posted(definition, posted)
    confirmed = posted.get("prefill_confirmed") in {"on", "true", "1"}
    try:
        draft = await services.create_draft(ctx, item.code, values, prefill_confirmed=confirmed, prefill_offered=posted.get("prefill_offered") == "1")
    except AppError as error:
        await ctx.session.rollback()
        return await _new_page(request, ctx, item.code, values=values, error=error, confirmed=confirmed)
    return redirect(f"{_base(ctx)}/drafts/{draft.id}")


@get(
    ["/citizen/applications/drafts/{application_id:str}", "/enterprise/applications/drafts/{application_id:str}"],
    operation_id="pageApplicationDraft",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def draft_page(request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Response[Any] | Template:
    """A draft: its form, its materials, and the submit button."""
    target = services.parse_id(application_id)
    application = await services.get_mine(ctx, target)
    if application.number:
        return redirect(f"{_base(ctx)}/{application.number}")
    return await _draft_page(request, ctx, target)


@post(
    ["/citizen/applications/drafts/{application_id:str}", "/enterprise/applications/drafts/{application_id:str}"],
    operation_id="pageApplicationSave",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def save_page(request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Template:
    """Save the draft's form (save and continue later)."""
    target = services.parse_id(application_id)
    current = await services.get_mine(ctx, target)
    definition = forms.form_for(current.item_basic_code)
    values = forms.coerce_posted(definition, await _posted(request))
    try:
        await services.update_draft(ctx, target, values)
    except AppError as error:
        await ctx.session.rollback()
        return await _draft_page(request, ctx, target, values=values, error=error)
    return await _draft_page(request, ctx, target, message="草稿已保存，您可以稍后继续填写。")


@post(
    ["/citizen/applications/drafts/{application_id:str}/materials", "/enterprise/applications/drafts/{application_id:str}/materials"],
    operation_id="pageApplicationUpload",
    opt=_SUBMIT,
    include_in_schema=False,
    request_max_body_size=services.UPLOAD_BODY_LIMIT,
)
async def upload_page(request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Template:
    """Upload one material from the draft page."""
    target = services.parse_id(application_id)
    message, error = await _receive_material(request, ctx, target)
    return await _draft_page(request, ctx, target, message=message, error=error)


@post(
    ["/citizen/applications/drafts/{application_id:str}/licence", "/enterprise/applications/drafts/{application_id:str}/licence"],
    operation_id="pageApplicationUseLicence",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def use_licence_page(request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Template:
    """证照免提交 from the draft page: the picked licence fulfils the material instead of a file."""
    target = services.parse_id(application_id)
    posted = await _posted(request)
    raw_index, raw_licence = posted.get("material", ""), posted.get("licence_id", "")
    try:
        if not raw_index.isdigit() or len(raw_index) > 3:  # noqa: PLR2004 - at most 60 materials
            raise ValidationFailed("请指明材料序号", code="unknown_material", details={"material": "请指明材料序号"})
        try:
            licence_id = uuid.UUID(raw_licence)
        except ValueError:
            raise ValidationFailed("请选择一份电子证照", code="licence_not_found", details={f"materials.{raw_index}": "请选择一份电子证照"}) from None
        material = await services.use_licence(ctx, target, int(raw_index), licence_id)
    except AppError as error:
        await ctx.session.rollback()
        return await _draft_page(request, ctx, target, error=error)
    reference = material.reference
    note = f"{reference.type_name}（{reference.number}）" if reference else "电子证照"
    return await _draft_page(request, ctx, target, message=f"已引用{note}作为“{material.name}”，无需上传")


@post(
    ["/citizen/applications/drafts/{application_id:str}/submit", "/enterprise/applications/drafts/{application_id:str}/submit"],
    operation_id="pageApplicationSubmit",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def submit_page(request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Response[Any] | Template:
    """Submit the draft (the page's hidden idempotency key makes a double click harmless)."""
    target = services.parse_id(application_id)
    posted = await _posted(request)
    try:
        from longgov.applications.api import idempotency_key  # noqa: PLC0415

        result = await services.submit(ctx, target, idempotency_key(posted.get("idempotency_key")))
    except AppError as error:
        await ctx.session.rollback()
        return await _draft_page(request, ctx, target, error=error)
    return redirect(f"{_base(ctx)}/{result.application.number}")


@get(["/citizen/applications", "/enterprise/applications"], operation_id="pageApplicationsMine", opt=_READ, include_in_schema=False)
async def list_page(request: Request[Any, Any, Any], ctx: Ctx, page_no: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1) -> Template:
    """我的办件."""
    items, total = await services.list_mine(ctx, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    return page(
        request,
        "applications/list.html",
        _portal(ctx),
        items=items,
        total=total,
        page_no=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        base=_base(ctx),
    )


@get(
    ["/citizen/applications/{number:str}", "/enterprise/applications/{number:str}"], operation_id="pageApplicationTimeline", opt=_READ, include_in_schema=False
)
async def timeline_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Template:
    """办件进度: every step with the acting department and time, the time limit and, when asked, the correction form."""
    return await _timeline(request, ctx, number)


async def _timeline(request: Request[Any, Any, Any], ctx: Ctx, number: str, *, error: AppError | None = None, message: str | None = None) -> Template:
    application = await casework.applicant_view(ctx, number)
    definition = forms.form_for(application.item_basic_code)
    return page(
        request,
        "applications/detail.html",
        _portal(ctx),
        status_code=error.status_code if error else 200,
        application=application,
        fields=forms.fields_of(definition),
        base=_base(ctx),
        error=error,
        message=message,
    )


async def _number_to_id(ctx: Ctx, number: str) -> uuid.UUID:
    return (await services.get_mine_by_number(ctx, number)).id


@post(
    ["/citizen/applications/{number:str}/materials", "/enterprise/applications/{number:str}/materials"],
    operation_id="pageApplicationCorrectionUpload",
    opt=_SUBMIT,
    include_in_schema=False,
    request_max_body_size=services.UPLOAD_BODY_LIMIT,
)
async def correction_upload_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Template:
    """Upload a corrected material while a correction is requested."""
    target = await _number_to_id(ctx, number)
    message, error = await _receive_material(request, ctx, target)
    return await _timeline(request, ctx, number, message=message, error=error)


@post(
    ["/citizen/applications/{number:str}/resubmit", "/enterprise/applications/{number:str}/resubmit"],
    operation_id="pageApplicationResubmit",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def resubmit_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Response[Any] | Template:
    """The applicant's resubmission after a correction request."""
    target = await _number_to_id(ctx, number)
    posted = await _posted(request)
    try:
        await casework.resubmit(ctx, target, posted.get("note", "")[:2000])
    except AppError as error:
        await ctx.session.rollback()
        return await _timeline(request, ctx, number, error=error)
    return redirect(f"{_base(ctx)}/{number}")


# --- the staff workbench -----------------------------------------------------------------------

_SUPERVISE = require(Permission.ApplicationsCasesSupervise)


def _claim_filter(value: str | None) -> workbench.ClaimFilter:
    return value if value in {"mine", "unclaimed"} else "all"  # type: ignore[return-value]


async def _inbox_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    *,
    page_no: int = 1,
    claim: workbench.ClaimFilter = "all",
    results: list[BatchItemResult] | None = None,
    error: AppError | None = None,
    message: str | None = None,
) -> Template:
    inbox = await workbench.inbox(ctx, page=page_no, claim=claim)
    return page(
        request,
        "applications/workbench_inbox.html",
        "workbench",
        status_code=error.status_code if error else 200,
        inbox=inbox,
        items=inbox.items,
        filters=workbench.CLAIM_FILTERS,
        batch_actions={a: casework.ACTION_TITLES[a] for a in casework.BATCH_ACTIONS},
        results=results,
        error=error,
        message=message,
        supervisor=ctx.actor is not None and ctx.actor.has(Permission.ApplicationsCasesSupervise),
    )


@get("/workbench/applications", operation_id="pageWorkbenchInbox", opt=_HANDLE, include_in_schema=False)
async def inbox_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    page_no: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    claim: Annotated[str | None, QueryParameter(max_length=12)] = None,
) -> Template:
    """待办: ready tasks in the staff member's scope and roles, earliest deadline first, 20 a page; 全部 / 我认领的 / 未认领."""
    return await _inbox_page(request, ctx, page_no=page_no, claim=_claim_filter(claim))


def _back(posted: dict[str, str]) -> str:
    """Where a claim or batch form returns to: the inbox filter and page it was posted from."""
    claim = _claim_filter(posted.get("claim"))
    page_no = posted.get("page", "1")
    page_no = page_no if page_no.isdigit() and 0 < len(page_no) <= 5 else "1"  # noqa: PLR2004
    return f"/workbench/applications?claim={claim}&page={page_no}"


@post("/workbench/applications/batch", operation_id="pageWorkbenchBatch", opt=_HANDLE, include_in_schema=False)
async def batch_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """批量办理 from the inbox's checkboxes: one action and opinion, the result of each case shown above the inbox."""
    form = await request.form()
    posted = {k: v for k, v in form.items() if isinstance(v, str)}
    picked: list[tuple[uuid.UUID, str]] = []
    for value in form.getall("pick", []):
        application_id, _, task = str(value).partition(":")
        try:
            picked.append((uuid.UUID(application_id), task[:80]))
        except ValueError:
            continue
    claim = _claim_filter(posted.get("claim"))
    if not picked:
        error = ValidationFailed("请先勾选要批量办理的办件", code="nothing_selected")
        return await _inbox_page(request, ctx, claim=claim, error=error)
    try:
        results = await casework.batch_act(ctx, posted.get("action", "")[:40], posted.get("opinion", "")[:2000], picked[:100])
    except AppError as error:
        await ctx.session.rollback()
        return await _inbox_page(request, ctx, claim=claim, error=error)
    done = sum(1 for r in results if r.ok)
    return await _inbox_page(request, ctx, claim=claim, results=results, message=f"批量办理完成：成功 {done} 件，失败 {len(results) - done} 件")


@get("/workbench/supervision", operation_id="pageWorkbenchSupervision", opt=_SUPERVISE, include_in_schema=False)
async def supervision_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """部门负责人: the department's (or region's) open cases, workload, due-soon and overdue cases."""
    view = await workbench.supervision(ctx)
    return page(request, "applications/workbench_supervision.html", "workbench", view=view, wide=view.wide)


async def _case_page(
    request: Request[Any, Any, Any], ctx: Ctx, application_id: uuid.UUID, *, error: AppError | None = None, message: str | None = None
) -> Template:
    case = await casework.get_case(ctx, application_id)
    application = case.application
    definition = forms.form_for(application.item_basic_code)
    return page(
        request,
        "applications/workbench_case.html",
        "workbench",
        status_code=error.status_code if error else 200,
        application=application,
        applicant_name=mask_name(application.applicant_name) if application.applicant_kind == "person" else application.applicant_name,
        tasks=case.tasks,
        claims=case.claims,
        supervisor=case.supervisor,
        me=ctx.actor.account_id if ctx.actor else None,
        limit=case.time_limit,
        fields=forms.fields_of(definition),
        action_titles=casework.ACTION_TITLES,
        error=error,
        message=message,
    )


@get("/workbench/applications/{application_id:str}", operation_id="pageWorkbenchCase", opt=_HANDLE, include_in_schema=False)
async def case_page(request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Template:
    """One application: materials, masked form, timeline and the action form of the ready task."""
    return await _case_page(request, ctx, services.parse_id(application_id))


@post("/workbench/applications/{application_id:str}", operation_id="pageWorkbenchAct", opt=_HANDLE, include_in_schema=False)
async def act_page(request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Response[Any] | Template:
    """Complete the ready task with the posted action and opinion."""
    target = services.parse_id(application_id)
    posted = await _posted(request)
    step = casework.StepInput(
        task=posted.get("task", "")[:80],
        action=posted.get("action", "")[:40],
        opinion=posted.get("opinion", "")[:2000],
        missing_items=[line.strip() for line in posted.get("missing_items", "").splitlines() if line.strip()][:50],
        reason=posted.get("reason", "")[:2000],
    )
    try:
        await casework.act(ctx, target, step)
    except AppError as error:
        if error.status_code in {403, 404}:
            raise
        if not error.keep_changes:
            await ctx.session.rollback()
        return await _case_page(request, ctx, target, error=error)
    return redirect(f"/workbench/applications/{target}")


@post("/workbench/applications/{application_id:str}/claim", operation_id="pageWorkbenchClaim", opt=_HANDLE, include_in_schema=False)
async def claim_page(request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Response[Any]:
    """认领 from the inbox or the case page; back to where it was posted from."""
    posted = await _posted(request)
    await casework.claim(ctx, services.parse_id(application_id), posted.get("task", "")[:80])
    return redirect(_back(posted) if posted.get("from") == "inbox" else f"/workbench/applications/{application_id}")


@post("/workbench/applications/{application_id:str}/release", operation_id="pageWorkbenchRelease", opt=_HANDLE, include_in_schema=False)
async def release_page(request: Request[Any, Any, Any], ctx: Ctx, application_id: FromPath[str]) -> Response[Any]:
    """退回 a claimed task to the pool (the claimer, or a department leader)."""
    posted = await _posted(request)
    await casework.release(ctx, services.parse_id(application_id), posted.get("task", "")[:80])
    return redirect(_back(posted) if posted.get("from") == "inbox" else f"/workbench/applications/{application_id}")


route_handlers = [
    new_page,
    create_page,
    draft_page,
    save_page,
    upload_page,
    use_licence_page,
    submit_page,
    list_page,
    timeline_page,
    correction_upload_page,
    resubmit_page,
    inbox_page,
    batch_page,
    supervision_page,
    case_page,
    act_page,
    claim_page,
    release_page,
]
