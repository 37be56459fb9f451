"""一件事 pages: each portal's 一件事 section (the guide, one form, one submission, one case page) and the staff definitions.

The guide is a plain GET form (answers in the query, so it works without JavaScript; htmx only swaps
the result in place). The merged form, the uploads and the submission mirror the single-item pages of
:mod:`longgov.applications.views`; a member's own correction is done on its application's page.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Mapping
from datetime import datetime
from difflib import SequenceMatcher
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from longgov.applications import services as applications
from longgov.applications.schemas import MaterialView
from longgov.catalog.schemas import PROCESS_TITLES
from longgov.kernel.errors import AppError, NotFound, ValidationFailed
from longgov.kernel.registry import Portal
from longgov.onething import services
from longgov.onething.schemas import BUNDLE_CODE_PATTERN, AnswerView, BundleView, CaseUpdate, CaseView, MergedForm, NewCase, Question, TimelineEntry
from longgov.security.permissions import Permission
from longgov.security.policy import PUBLIC, current_principal, require
from longgov.web.deps import Ctx
from longgov.web.render import page, redirect

PAGE_SIZE = 20
_MIN_SHARED = 4  # characters a notice and a material name share before one is taken for the other
_READ = require(Permission.ApplicationsOwnRead)
_SUBMIT = require(Permission.ApplicationsOwnSubmit)
_MANAGE = require(Permission.OnethingBundlesManage)
_HANDLE = require(Permission.ApplicationsCasesHandle)
_ANSWER = "answer."
_TRUE, _FALSE = frozenset({"true", "1", "是", "yes"}), frozenset({"false", "0", "否", "no"})
_MAX_ANSWER_CHARS = 40
_MAX_DEFINITION_CHARS = 200_000
_AUDIENCES: dict[str, frozenset[str]] = {"citizen": frozenset({"person", "any"}), "enterprise": frozenset({"enterprise", "any"})}
_PORTAL_OF_KIND = {"person": "citizen", "enterprise": "enterprise"}
_PROVIDED_TITLES = {"licence": "证照免提交", "shared_data": "数据共享免提交", "commitment": "告知承诺免提交", "result": "前序结果免提交"}
_NEW_DEFINITION: dict[str, Any] = {
    "code": "",
    "name": "",
    "summary": "",
    "audience": "any",
    "lead_organisation": "",
    "aliases": [],
    "keywords": [],
    "runnable": True,
    "questions": [],
    "contradictions": [],
    "items": [],
    "shared_materials": [],
    "results": "",
    "targets": {"days": None, "materials": None, "visits": 0, "steps": None},
    "lead_note": "",
}


# --- helpers -------------------------------------------------------------------------------------


def _path_portal(request: Request[Any, Any, Any]) -> Portal:
    return "enterprise" if request.url.path.startswith("/enterprise") else "citizen"


def _portal(request: Request[Any, Any, Any]) -> Portal:
    """The applicant's own portal (an enterprise that found a bundle in the citizen search applies in 陇商通), else the path's."""
    principal = current_principal(request)
    if principal is not None and principal.kind in _PORTAL_OF_KIND:
        return "enterprise" if principal.kind == "enterprise" else "citizen"
    return _path_portal(request)


def _base(request: Request[Any, Any, Any]) -> str:
    return f"/{_portal(request)}/onething"


def _code(value: str) -> str:
    if not re.fullmatch(BUNDLE_CODE_PATTERN, value):
        raise NotFound("未找到该一件事", code="bundle_not_found")
    return value


async def _posted(request: Request[Any, Any, Any]) -> dict[str, str]:
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - an unreadable body is an empty form
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _answer_texts(params: Mapping[str, str], questions: list[Question], *, prefix: str = "") -> dict[str, str]:
    """The guide's answers as given in a query or a post (only the bundle's questions, bounded)."""
    found: dict[str, str] = {}
    for q in questions:
        text = str(params.get(prefix + q.key, "")).strip()
        if text and len(text) <= _MAX_ANSWER_CHARS:
            found[q.key] = text
    return found


def _typed(questions: list[Question], texts: Mapping[str, str]) -> dict[str, bool | str]:
    """Answers as the services take them: booleans for yes/no questions, the option's value otherwise."""
    answers: dict[str, bool | str] = {}
    for q in questions:
        text = texts.get(q.key)
        if text is None:
            continue
        lowered = text.lower()
        answers[q.key] = lowered in _TRUE if q.type == "boolean" and lowered in _TRUE | _FALSE else text
    return answers


def _answer_texts_of(answers: list[AnswerView]) -> dict[str, str]:
    return {a.key: ("true" if a.value is True else "false" if a.value is False else str(a.value)) for a in answers}


def _condition(view: BundleView, when: Mapping[str, Any]) -> str:
    """A condition in words: 当“是否设置门头招牌？”为“是”时."""
    return "；".join(f"“{q.text}”选“{q.label_of(when[q.key])}”" for q in view.questions if q.key in when)


def _after(view: BundleView) -> dict[str, list[str]]:
    """Per item, the names of the items whose results it waits for."""
    names = {i.basic_code: i.name for i in view.item_views}
    return {i.basic_code: [names.get(d, d) for d in i.depends_on] for i in view.item_views}


def _error_fields(error: AppError | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in error.details.items()} if error is not None and isinstance(error.details, dict) else {}


async def _read_file(request: Request[Any, Any, Any]) -> tuple[str, str, bytes]:
    """(merged material key, file name, bytes) of a page's upload form; a missing file is a 400 with a Chinese message."""
    try:
        form = await request.form()
    except Exception as exc:
        raise ValidationFailed("请选择要上传的文件", code="no_file", status_code=400) from exc
    upload = form.get("file")
    key = str(form.get("material", ""))[:16]
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed("请选择要上传的文件", code="no_file", details={f"materials.{key}": "请选择要上传的文件"}, status_code=400)
    data = await upload.read(applications.MAX_MATERIAL_BYTES + 1)
    return key, upload.filename, data


def _form_context(form: MergedForm, names: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
    """What the merged-form partial shows: the fields asked now, the sources of proposed values, what is filled later."""
    properties = form.json_schema.get("properties", {})
    fields = [f for f in applications.schema_fields(form.json_schema) if f.name not in form.later]
    shared = {name: [names.get(code, code) for code in prop.get("x-items", [])] for name, prop in properties.items() if len(prop.get("x-items", [])) > 1}
    proposed = {f.name: f for f in form.prefill}
    return {
        "fields": fields,
        "values": values,
        "sources": {name: f.source for name, f in proposed.items()},
        "edited": {name for name, f in proposed.items() if name in values and values.get(name) != f.value},
        "shared": shared,
        "later": [(str(properties.get(name, {}).get("title", name)), note) for name, note in form.later.items()],
        "merged": form,
    }


def _posted_form(form: MergedForm, posted: dict[str, str]) -> dict[str, Any]:
    """Typed values of the merged form's fields asked now (those filled later are never posted)."""
    values = applications.coerce_posted(form.json_schema, posted)
    return {k: v for k, v in values.items() if k not in form.later}


# --- the 一件事 section: bundles and the guide ---------------------------------------------------------


@get(["/citizen/onething", "/enterprise/onething"], operation_id="pageOnethingIndex", opt=PUBLIC, include_in_schema=False)
async def index_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """一件事: the bundles for this portal's applicants; those open online first, those defined but not yet open marked 即将上线."""
    portal = _path_portal(request)
    bundles = [b for b in await services.list_published(ctx) if b.audience in _AUDIENCES[portal]]
    bundles.sort(key=lambda b: (not b.runnable, b.name))
    mine = ctx.actor is not None and ctx.actor.kind in _PORTAL_OF_KIND
    return page(request, "onething/index.html", portal, bundles=bundles, base=f"/{portal}/onething", mine=mine, mine_base=_base(request))


async def _bundle_page(
    request: Request[Any, Any, Any], ctx: Ctx, code: str, texts: dict[str, str], *, error: AppError | None = None, status_code: int = 200
) -> Template:
    portal = _path_portal(request)
    view = await services.get_published(ctx, code)
    result = None
    if texts and error is None:
        try:
            result = await services.guide_result(ctx, code, _typed(view.questions, texts))
        except ValidationFailed as exc:
            error, status_code = exc, exc.status_code
    if request.headers.get("hx-request") == "true":
        # htmx swaps only successful responses: the guide's error is the result it shows in place.
        status_code = 200
    actor = ctx.actor
    clash = set(error.details.get("questions", [])) if error is not None and isinstance(error.details, dict) else set()
    invalid = {k.removeprefix("answers."): v for k, v in _error_fields(error).items() if k.startswith("answers.")}
    return page(
        request,
        "onething/bundle.html",
        portal,
        status_code=status_code,
        bundle=view,
        base=f"/{portal}/onething",
        answers=texts,
        result=result,
        error=error,
        clash=clash,
        invalid=invalid,
        conditions={i.basic_code: _condition(view, i.when) for i in view.item_views},
        after=_after(view),
        apply_url=f"{_base(request)}/bundles/{code}/apply?{urlencode(texts)}",
        logins=[
            (title, f"/login/{kind}?" + urlencode({"next": f"/{target}/onething/bundles/{code}?{urlencode(texts)}"}))
            for kind, target, title in (("person", "citizen", "个人登录后申请"), ("enterprise", "enterprise", "企业登录后申请"))
            if view.audience in {"any", kind}
        ],
        signed_in=actor is not None and actor.kind in _PORTAL_OF_KIND,
        audience_ok=actor is not None and view.audience in {"any", actor.kind},
    )


@get(
    ["/citizen/onething/bundles/{code:str}", "/enterprise/onething/bundles/{code:str}"], operation_id="pageOnethingBundle", opt=PUBLIC, include_in_schema=False
)
async def bundle_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Template:
    """One bundle: summary, departments, items, and the scenario guide (情形引导) with which items apply and why."""
    view = await services.get_published(ctx, _code(code))
    return await _bundle_page(request, ctx, view.code, _answer_texts(request.query_params, view.questions))


# --- one form ----------------------------------------------------------------------------------------


async def _apply_page(
    request: Request[Any, Any, Any],
    view: BundleView,
    texts: dict[str, str],
    form: MergedForm,
    *,
    values: dict[str, Any] | None = None,
    error: AppError | None = None,
    confirmed: bool = False,
) -> Template:
    names = {i.basic_code: i.name for i in view.item_views}
    return page(
        request,
        "onething/apply.html",
        _portal(request),
        status_code=error.status_code if error else 200,
        bundle=view,
        base=_base(request),
        answers=texts,
        errors=_error_fields(error),
        error=error,
        confirmed=confirmed,
        action=f"{_base(request)}/bundles/{view.code}/apply",
        **_form_context(form, names, values if values is not None else {f.name: f.value for f in form.prefill}),
    )


@get(
    ["/citizen/onething/bundles/{code:str}/apply", "/enterprise/onething/bundles/{code:str}/apply"],
    operation_id="pageOnethingApply",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def apply_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Template:
    """一表申请: the applicable items' fields once each, pre-filled from the applicant's licences with each source shown."""
    view = await services.get_published(ctx, _code(code))
    texts = _answer_texts(request.query_params, view.questions)
    try:
        form = await services.merged_form(ctx, view.code, _typed(view.questions, texts))
    except ValidationFailed as error:
        return await _bundle_page(request, ctx, view.code, texts, error=error, status_code=error.status_code)
    return await _apply_page(request, view, texts, form)


@post(
    ["/citizen/onething/bundles/{code:str}/apply", "/enterprise/onething/bundles/{code:str}/apply"],
    operation_id="pageOnethingCreate",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def create_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Response[Any] | Template:
    """Save the merged form (with the consent to pre-filling) as the case's draft, then continue with the materials."""
    view = await services.get_published(ctx, _code(code))
    posted = await _posted(request)
    texts = _answer_texts(posted, view.questions, prefix=_ANSWER)
    answers = _typed(view.questions, texts)
    try:
        form = await services.merged_form(ctx, view.code, answers)
    except ValidationFailed as error:
        return await _bundle_page(request, ctx, view.code, texts, error=error, status_code=error.status_code)
    values = _posted_form(form, posted)
    confirmed = posted.get("prefill_confirmed") in {"on", "true", "1"}
    try:
        case = await services.create_case(
            ctx,
            NewCase(bundle_code=view.code, answers=answers, form=values, prefill_confirmed=confirmed, prefill_offered=posted.get("prefill_offered") == "1"),
        )
    except AppError as error:
        await ctx.session.rollback()
        return await _apply_page(request, view, texts, form, values=values, error=error, confirmed=confirmed)
    return redirect(f"{_base(request)}/drafts/{case.id}")


# --- the draft: form, materials, submission -------------------------------------------------------------


def _case_id(value: str) -> uuid.UUID:
    return services.parse_case_id(value)


async def _draft_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    case_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    error: AppError | None = None,
    message: str | None = None,
) -> Template:
    case = await services.get_case(ctx, case_id)
    form = await services.case_form(ctx, case_id)
    view = await services.get_published(ctx, case.bundle_code)
    names = {m.basic_code: m.item_name for m in case.members}
    return page(
        request,
        "onething/draft.html",
        _portal(request),
        status_code=error.status_code if error else 200,
        case=case,
        bundle=view,
        base=_base(request),
        answers=_answer_texts_of(case.answers),
        errors=_error_fields(error),
        error=error,
        message=message,
        confirmed=case.prefill_confirmed,
        action=f"{_base(request)}/drafts/{case.id}",
        idempotency_key=uuid.uuid4().hex,
        provided_titles=_PROVIDED_TITLES,
        names=names,
        **_form_context(form, names, values if values is not None else case.form),
    )


@get(
    ["/citizen/onething/drafts/{case_id:str}", "/enterprise/onething/drafts/{case_id:str}"],
    operation_id="pageOnethingDraft",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def draft_page(request: Request[Any, Any, Any], ctx: Ctx, case_id: FromPath[str]) -> Response[Any] | Template:
    """The case's draft: the merged form, the merged materials (each uploaded once), submission."""
    target = _case_id(case_id)
    case = await services.get_case(ctx, target)
    if case.number:
        return redirect(f"{_base(request)}/cases/{case.number}")
    return await _draft_page(request, ctx, target)


@post(
    ["/citizen/onething/drafts/{case_id:str}", "/enterprise/onething/drafts/{case_id:str}"],
    operation_id="pageOnethingSave",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def save_page(request: Request[Any, Any, Any], ctx: Ctx, case_id: FromPath[str]) -> Template:
    """Save the merged form of the draft (save and continue later)."""
    target = _case_id(case_id)
    form = await services.case_form(ctx, target)
    posted = await _posted(request)
    values = _posted_form(form, posted)
    try:
        await services.update_case(ctx, target, CaseUpdate(form=values, prefill_confirmed=posted.get("prefill_confirmed") in {"on", "true", "1"}))
    except AppError as error:
        await ctx.session.rollback()
        return await _draft_page(request, ctx, target, values=values, error=error)
    return await _draft_page(request, ctx, target, message="申请表已保存，您可以稍后继续填写。")


@post(
    ["/citizen/onething/drafts/{case_id:str}/answers", "/enterprise/onething/drafts/{case_id:str}/answers"],
    operation_id="pageOnethingAnswers",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def answers_page(request: Request[Any, Any, Any], ctx: Ctx, case_id: FromPath[str]) -> Template:
    """Change the guide's answers of the draft: the items, the form and the materials follow."""
    target = _case_id(case_id)
    case = await services.get_case(ctx, target)
    view = await services.get_published(ctx, case.bundle_code)
    posted = await _posted(request)
    try:
        await services.update_case(ctx, target, CaseUpdate(answers=_typed(view.questions, _answer_texts(posted, view.questions, prefix=_ANSWER))))
    except AppError as error:
        await ctx.session.rollback()
        return await _draft_page(request, ctx, target, error=error)
    return await _draft_page(request, ctx, target, message="已按新的回答调整需要办理的事项、申请表和材料。")


async def _upload(request: Request[Any, Any, Any], ctx: Ctx, target: uuid.UUID) -> tuple[str | None, AppError | None]:
    try:
        key, filename, data = await _read_file(request)
        material = await services.upload_material(ctx, target, key, filename, data)
    except AppError as error:
        await ctx.session.rollback()
        return None, error
    return f"已上传“{material.name}”：{material.filename}", None


@post(
    ["/citizen/onething/drafts/{case_id:str}/materials", "/enterprise/onething/drafts/{case_id:str}/materials"],
    operation_id="pageOnethingUpload",
    opt=_SUBMIT,
    include_in_schema=False,
    request_max_body_size=applications.UPLOAD_BODY_LIMIT,
)
async def upload_page(request: Request[Any, Any, Any], ctx: Ctx, case_id: FromPath[str]) -> Template:
    """Upload one merged material once: every item that asks for it gets it."""
    target = _case_id(case_id)
    message, error = await _upload(request, ctx, target)
    return await _draft_page(request, ctx, target, message=message, error=error)


@post(
    ["/citizen/onething/drafts/{case_id:str}/submit", "/enterprise/onething/drafts/{case_id:str}/submit"],
    operation_id="pageOnethingSubmit",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def submit_page(request: Request[Any, Any, Any], ctx: Ctx, case_id: FromPath[str]) -> Response[Any] | Template:
    """Submit once: each item goes to its department now or after its predecessors (the page's key makes a double click harmless)."""
    target = _case_id(case_id)
    posted = await _posted(request)
    key = posted.get("idempotency_key", "")
    values: dict[str, Any] | None = None
    try:
        if "prefill_offered" in posted or any(not k.startswith(("_", "idempotency")) for k in posted):
            # The button sits in the form: what was typed is saved with the submission.
            values = _posted_form(await services.case_form(ctx, target), posted)
            confirmed = posted.get("prefill_confirmed") in {"on", "true", "1"}
            await services.update_case(ctx, target, CaseUpdate(form=values, prefill_confirmed=confirmed))
        result = await services.submit_case(ctx, target, key if 8 <= len(key) <= 80 and key.isalnum() else None)  # noqa: PLR2004 - the API's key bounds
    except AppError as error:
        await ctx.session.rollback()
        return await _draft_page(request, ctx, target, values=values, error=error)
    return redirect(f"{_base(request)}/cases/{result.case.number}")


# --- 我的一件事 and the case page ------------------------------------------------------------------------


@get(["/citizen/onething/cases", "/enterprise/onething/cases"], operation_id="pageOnethingMine", opt=_READ, include_in_schema=False)
async def mine_page(request: Request[Any, Any, Any], ctx: Ctx, page_no: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1) -> Template:
    """我的一件事: the applicant's bundle cases, newest first."""
    items, total = await services.list_mine(ctx, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    return page(
        request,
        "onething/mine.html",
        _portal(request),
        items=items,
        total=total,
        page_no=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        base=_base(request),
    )


def _split_timeline(case: CaseView, entries: list[TimelineEntry]) -> tuple[list[TimelineEntry], list[TimelineEntry]]:
    """(the handling since submission, the preparation before it): drafting and uploads fold away, corrections stay in view."""
    submitted: dict[str | None, datetime] = {}
    for e in entries:
        if e.source == "item" and e.step == "submitted":
            submitted.setdefault(e.item_name, e.occurred_at)
    handling: list[TimelineEntry] = []
    preparation: list[TimelineEntry] = []
    for e in entries:
        if e.source == "item":
            cut = submitted.get(e.item_name)
            # The bundle's own "已提交至…" says it: the item's submission step is preparation too.
            before = cut is None or e.occurred_at <= cut
        else:
            before = e.step != "submitted" and (case.submitted_at is None or e.occurred_at < case.submitted_at)
        (preparation if before else handling).append(e)
    return handling, preparation


def _named_material(missing: list[str], materials: list[MaterialView]) -> int | None:
    """The material a correction notice most likely means: the longest run of text shared with one of its items (4+ characters)."""
    best, found = _MIN_SHARED - 1, None
    for material in materials:
        for text in missing:
            match = SequenceMatcher(None, text, material.name, autojunk=False).find_longest_match()
            if match.size > best:
                best, found = match.size, material.index
    return found


async def _case_page(request: Request[Any, Any, Any], ctx: Ctx, number: str, *, error: AppError | None = None, message: str | None = None) -> Template:
    case = await services.get_case_by_number(ctx, number)
    handling, preparation = _split_timeline(case, await services.timeline(ctx, case.id))
    awaiting = [m for m in case.members if m.state == services.AWAITING]
    failed = [m for m in case.members if m.may_reapply]
    corrections = await services.correction_materials(ctx, case)
    resume: dict[str, Any] = {}
    if awaiting:
        form = await services.case_form(ctx, case.id)
        names = {m.basic_code: m.item_name for m in case.members}
        context = _form_context(form, names, case.form)
        # Asked again: what the waiting items' drafts lack (e.g. what a predecessor's licence could not fill), else
        # whatever is still empty when no draft could be made.
        needed = await services.awaiting_fields(ctx, case)
        fields = [f for f in applications.schema_fields(form.json_schema) if (f.name in needed if needed else case.form.get(f.name) in (None, ""))]
        resume = {"resume_fields": fields, "resume_values": case.form, "shared": context["shared"]}
    return page(
        request,
        "onething/case.html",
        _portal(request),
        status_code=error.status_code if error else 200,
        case=case,
        timeline=handling,
        preparation=preparation,
        base=_base(request),
        portal_base=f"/{_portal(request)}",
        awaiting=awaiting,
        failed=failed,
        corrections=corrections,
        suggested={m.basic_code: _named_material(m.missing_items, materials) for m, materials in corrections},
        results=[(m, r) for m in case.members for r in m.results],
        may_upload=bool(awaiting or failed),
        provided_titles=_PROVIDED_TITLES,
        error=error,
        errors=_error_fields(error),
        message=message,
        **resume,
    )


@get(["/citizen/onething/cases/{number:str}", "/enterprise/onething/cases/{number:str}"], operation_id="pageOnethingCase", opt=_READ, include_in_schema=False)
async def case_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Template:
    """One case: one timeline of every department, each item's state, the combined correction notice, results and next steps."""
    return await _case_page(request, ctx, number[:20])


async def _case_ref(ctx: Ctx, number: str) -> uuid.UUID:
    return (await services.get_case_by_number(ctx, number[:20])).id


@post(
    ["/citizen/onething/cases/{number:str}/materials", "/enterprise/onething/cases/{number:str}/materials"],
    operation_id="pageOnethingCaseUpload",
    opt=_SUBMIT,
    include_in_schema=False,
    request_max_body_size=applications.UPLOAD_BODY_LIMIT,
)
async def case_upload_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Template:
    """Upload a merged material again while an item waits for the applicant or may be applied for again."""
    message, error = await _upload(request, ctx, await _case_ref(ctx, number))
    return await _case_page(request, ctx, number[:20], message=message, error=error)


async def _then_case(request: Request[Any, Any, Any], ctx: Ctx, number: str, action: Awaitable[object]) -> Response[Any] | Template:
    """Run an applicant's action on the case, then back to the case page; a refusal is shown there and nothing of it stays."""
    try:
        await action
    except AppError as error:
        await ctx.session.rollback()
        return await _case_page(request, ctx, number[:20], error=error)
    return redirect(f"{_base(request)}/cases/{number[:20]}")


@post(
    ["/citizen/onething/cases/{number:str}/corrections/materials", "/enterprise/onething/cases/{number:str}/corrections/materials"],
    operation_id="pageOnethingCorrectionUpload",
    opt=_SUBMIT,
    include_in_schema=False,
    request_max_body_size=applications.UPLOAD_BODY_LIMIT,
)
async def correction_upload_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Template:
    """Upload a corrected material of one item in correction, on the case page."""
    target = await _case_ref(ctx, number)
    try:
        key, filename, data = await _read_file(request)
        application = str((await request.form()).get("application", ""))[:40]
        if not key.isdigit():
            raise ValidationFailed("请指明是哪一项材料", code="unknown_material", status_code=400)
        material = await services.upload_correction(ctx, target, services.parse_case_id(application), int(key), (filename, data))
    except AppError as error:
        await ctx.session.rollback()
        return await _case_page(request, ctx, number[:20], error=error)
    return await _case_page(request, ctx, number[:20], message=f"已上传补正材料“{material.name}”：{material.filename}")


@post(
    ["/citizen/onething/cases/{number:str}/corrections", "/enterprise/onething/cases/{number:str}/corrections"],
    operation_id="pageOnethingResubmitCorrections",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def corrections_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Response[Any] | Template:
    """一次补正: resubmit every item in correction together."""
    target = await _case_ref(ctx, number)
    posted = await _posted(request)
    return await _then_case(request, ctx, number, services.resubmit_corrections(ctx, target, posted.get("note", "")[:2000]))


@post(
    ["/citizen/onething/cases/{number:str}/resume", "/enterprise/onething/cases/{number:str}/resume"],
    operation_id="pageOnethingResume",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def resume_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Response[Any] | Template:
    """Continue the items waiting for the applicant with the values they still need."""
    target = await _case_ref(ctx, number)
    form = await services.case_form(ctx, target)
    posted = await _posted(request)
    # Only what was typed now: an unticked box or an empty field changes nothing.
    patch = {k: v for k, v in applications.coerce_posted(form.json_schema, posted).items() if str(posted.get(k, "")).strip()}
    return await _then_case(request, ctx, number, services.resume(ctx, target, patch))


@post(
    ["/citizen/onething/cases/{number:str}/reapply", "/enterprise/onething/cases/{number:str}/reapply"],
    operation_id="pageOnethingReapply",
    opt=_SUBMIT,
    include_in_schema=False,
)
async def reapply_page(request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str]) -> Response[Any] | Template:
    """Apply again, within the bundle, for an item that was refused or denied; the results already obtained stay."""
    target = await _case_ref(ctx, number)
    posted = await _posted(request)
    return await _then_case(request, ctx, number, services.reapply(ctx, target, posted.get("item", "")[:40], {}))


# --- staff: bundle definitions ---------------------------------------------------------------------------


@get("/workbench/onething", operation_id="pageOnethingManage", opt=_MANAGE, include_in_schema=False)
async def manage_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """一件事管理: the bundles led from within the staff member's scope, latest version, any state."""
    return page(request, "onething/manage.html", "workbench", bundles=await services.list_managed(ctx))


async def _detail(request: Request[Any, Any, Any], ctx: Ctx, code: str, version: int | None = None, *, message: str | None = None) -> Template:
    view = await services.get_managed(ctx, code, version)
    return page(
        request,
        "onething/manage_detail.html",
        "workbench",
        bundle=view,
        versions=await services.list_versions(ctx, code),
        conditions={i.basic_code: _condition(view, i.when) for i in view.item_views},
        after=_after(view),
        status_titles=services.VERSION_STATUS_TITLES,
        process_titles=PROCESS_TITLES,
        message=message,
    )


@get("/workbench/onething/bundles/{code:str}", operation_id="pageOnethingManageBundle", opt=_MANAGE, include_in_schema=False)
async def manage_bundle_page(  # noqa: PLR0917 - one parameter per query value
    request: Request[Any, Any, Any],
    ctx: Ctx,
    code: FromPath[str],
    version: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None,
    saved: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None,
    published: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None,
) -> Template:
    """One bundle for its managing staff: the definition (any version), its items and departments, the version history."""
    message = f"已发布第 {published} 版，公众即可按新版本办理。" if published else f"已保存为第 {saved} 版草稿，发布后生效。" if saved else None
    return await _detail(request, ctx, _code(code), version, message=message)


def _parse(text: str) -> dict[str, Any]:
    """The definition typed into the editor; broken JSON is a 422 naming the line and column in Chinese."""
    if len(text) > _MAX_DEFINITION_CHARS:
        raise ValidationFailed("定义内容过长", code="invalid_definition")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列附近有语法错误（请检查引号、逗号和括号）"
        raise ValidationFailed(message, code="invalid_json", details={"problems": [{"code": "invalid_json", "message": message, "path": ""}]}) from exc
    if not isinstance(data, dict):
        raise ValidationFailed("定义应为一个 JSON 对象（以 { 开头）", code="invalid_definition")
    return data


def _editor(
    request: Request[Any, Any, Any],
    *,
    code: str | None,
    text: str,
    note: str = "",
    problems: list[dict[str, Any]] | None = None,
    error: AppError | None = None,
    checked: bool = False,
) -> Template:
    if error is not None and problems is None and isinstance(error.details, dict):
        problems = list(error.details.get("problems", []))
    return page(
        request,
        "onething/edit.html",
        "workbench",
        status_code=error.status_code if error else 200,
        code=code,
        text=text,
        note=note,
        problems=problems or [],
        error=error,
        checked=checked,
        action=f"/workbench/onething/bundles/{code}/edit" if code else "/workbench/onething/new",
    )


@get("/workbench/onething/new", operation_id="pageOnethingNew", opt=_MANAGE, include_in_schema=False)
async def new_page(request: Request[Any, Any, Any]) -> Template:
    """Define a new bundle as JSON (checked before it is saved)."""
    return _editor(request, code=None, text=json.dumps(_NEW_DEFINITION, ensure_ascii=False, indent=2))


@get("/workbench/onething/bundles/{code:str}/edit", operation_id="pageOnethingEdit", opt=_MANAGE, include_in_schema=False)
async def edit_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Template:
    """The latest version's definition in the JSON editor."""
    view = await services.get_managed(ctx, _code(code))
    return _editor(request, code=view.code, text=json.dumps(view.definition, ensure_ascii=False, indent=2))


async def _save(request: Request[Any, Any, Any], ctx: Ctx, code: str | None) -> Response[Any] | Template:
    posted = await _posted(request)
    text, note = posted.get("definition", ""), posted.get("note", "").strip()[:500]
    try:
        raw = _parse(text)
        if posted.get("action") == "check":
            problems = await services.validate_definition(ctx, raw)
            return _editor(request, code=code, text=text, note=note, problems=[p.model_dump() for p in problems], checked=True)
        saved = await services.update_bundle(ctx, code, raw, note=note) if code else await services.create_bundle(ctx, raw, note=note)
    except AppError as error:
        if error.status_code in {403, 404}:
            raise
        if not error.keep_changes:
            await ctx.session.rollback()
        return _editor(request, code=code, text=text, note=note, error=error)
    return redirect(f"/workbench/onething/bundles/{saved.code}?saved={saved.version}")


@post("/workbench/onething/new", operation_id="pageOnethingCreateBundle", opt=_MANAGE, include_in_schema=False)
async def create_bundle_page(request: Request[Any, Any, Any], ctx: Ctx) -> Response[Any] | Template:
    """检查 (dry run, nothing saved) or save the new bundle as version 1, a draft."""
    return await _save(request, ctx, None)


@post("/workbench/onething/bundles/{code:str}/edit", operation_id="pageOnethingSaveBundle", opt=_MANAGE, include_in_schema=False)
async def save_bundle_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Response[Any] | Template:
    """检查 (dry run, nothing saved) or save: the open draft changes, or a published bundle gets a new draft version."""
    return await _save(request, ctx, _code(code))


@post("/workbench/onething/bundles/{code:str}/publish", operation_id="pageOnethingPublish", opt=_MANAGE, include_in_schema=False)
async def publish_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Response[Any] | Template:
    """Publish the draft (checked again); the previous version is superseded."""
    try:
        view = await services.publish_bundle(ctx, _code(code))
    except AppError as error:
        if error.status_code in {403, 404}:
            raise
        if not error.keep_changes:
            await ctx.session.rollback()
        current = await services.get_managed(ctx, code)
        return _editor(request, code=code, text=json.dumps(current.definition, ensure_ascii=False, indent=2), error=error)
    return redirect(f"/workbench/onething/bundles/{view.code}?published={view.version}")


# --- staff: the bundle an application belongs to -------------------------------------------------------------


@get("/workbench/onething/cases/{number:str}", operation_id="pageOnethingStaffCase", opt=_HANDLE, include_in_schema=False)
async def staff_case_page(
    request: Request[Any, Any, Any], ctx: Ctx, number: FromPath[str], application: Annotated[str | None, QueryParameter(max_length=36)] = None
) -> Template:
    """The bundle case of an application on the workbench: its number and each sibling item's state (htmx loads it into the case page)."""
    view = await services.staff_case(ctx, number[:20])
    return page(request, "onething/workbench_case.html", "workbench", case=view, current=application or "")


route_handlers = [
    index_page,
    bundle_page,
    apply_page,
    create_page,
    draft_page,
    save_page,
    answers_page,
    upload_page,
    submit_page,
    mine_page,
    case_page,
    case_upload_page,
    correction_upload_page,
    corrections_page,
    resume_page,
    reapply_page,
    manage_page,
    manage_bundle_page,
    new_page,
    edit_page,
    create_bundle_page,
    save_bundle_page,
    publish_page,
    staff_case_page,
]
