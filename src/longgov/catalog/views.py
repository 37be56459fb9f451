"""Catalogue pages: the public guide (办事指南), search and catalogue list; staff item management."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from pydantic import ValidationError

from longgov.catalog import services
from longgov.catalog.schemas import CHANNEL_TITLES, ITEM_TYPES, PROCESS_TITLES, ItemContent, ItemView
from longgov.identity import services as identity
from longgov.kernel.errors import AppError, ValidationFailed
from longgov.security.permissions import Permission
from longgov.security.policy import PUBLIC, require
from longgov.web.deps import Ctx
from longgov.web.render import page, redirect
from longgov.workflow import diagrams

PAGE_SIZE = 20
SEP = "｜"
LEVEL_TITLES = {"province": "省级", "prefecture": "市级", "county": "县级"}


def _labels() -> dict[str, Any]:
    return {
        "channel_titles": CHANNEL_TITLES,
        "process_titles": PROCESS_TITLES,
        "status_titles": services.STATUS_TITLES,
        "level_titles": LEVEL_TITLES,
        "division_label": identity.division_label,
        "department_titles": identity.department_kind_titles(),
    }


# --- public pages ----------------------------------------------------------------------------


@get("/citizen/items", operation_id="pageCatalogItems", opt=PUBLIC, include_in_schema=False)
async def catalog_page(request: Request[Any, Any, Any], ctx: Ctx, page_no: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1) -> Template:
    """事项目录: every published item, by department."""
    items, total = await services.list_published(ctx, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    return page(
        request, "catalog/items.html", "citizen", items=items, total=total, page_no=page_no, pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE), **_labels()
    )


@get("/citizen/items/{code:str}", operation_id="pageCatalogGuide", opt=PUBLIC, include_in_schema=False)
async def guide_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Template:
    """办事指南 of one item: everything a citizen needs before applying."""
    item = await services.get_published(ctx, code)
    return page(request, "catalog/guide.html", "citizen", item=item, c=item.content, **_labels())


@get("/citizen/processes/{process:str}", operation_id="getProcessDiagram", opt=PUBLIC, include_in_schema=False)
async def process_diagram(process: FromPath[str]) -> Response[str]:
    """The BPMN 2.0 file of a standard process (drawn on the guide page; opens in any BPMN modeler)."""
    return Response(
        diagrams.definition_xml(process.removesuffix(".bpmn")),
        media_type="application/xml",
        headers={"cache-control": "public, max-age=3600"},
    )


@get("/citizen/search", operation_id="pageCatalogSearch", opt=PUBLIC, include_in_schema=False)
async def search_page(request: Request[Any, Any, Any], ctx: Ctx, q: Annotated[str, QueryParameter(max_length=100)] = "") -> Template:
    """搜索: search box and results."""
    results = await services.search(ctx, q, limit=20) if q.strip() else []
    return page(request, "catalog/search.html", "citizen", q=q.strip(), results=results)


# --- staff pages -----------------------------------------------------------------------------


@get("/workbench/catalog", operation_id="pageCatalogManage", opt=require(Permission.CatalogItemsManage), include_in_schema=False)
async def manage_page(request: Request[Any, Any, Any], ctx: Ctx, page_no: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1) -> Template:
    """事项管理: items in my scope, import and export."""
    return await _manage(request, ctx, page_no=page_no)


async def _manage(
    request: Request[Any, Any, Any], ctx: Ctx, *, page_no: int = 1, message: str | None = None, error: AppError | None = None, status_code: int = 200
) -> Template:
    items, total = await services.list_managed(ctx, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    return page(
        request,
        "catalog/manage.html",
        "workbench",
        status_code=status_code,
        items=items,
        total=total,
        page_no=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        message=message,
        error=error,
        **_labels(),
    )


@post("/workbench/catalog/import", operation_id="pageCatalogImport", opt=require(Permission.CatalogItemsManage), include_in_schema=False)
async def import_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """Import an uploaded workbook (all or nothing) and show what happened."""
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - any unreadable body is simply "no file"
        form = None
    upload = form.get("file") if form is not None else None
    if not isinstance(upload, UploadFile):
        return await _manage(request, ctx, error=ValidationFailed("请选择要导入的 Excel 文件", code="no_file", status_code=400), status_code=400)
    try:
        report = await services.import_workbook(ctx, await upload.read())
    except AppError as exc:
        # The import wrote nothing; the page shows every row's problem.
        await ctx.session.rollback()
        return await _manage(request, ctx, error=exc, status_code=exc.status_code)
    return await _manage(request, ctx, message=f"导入完成：新增 {report.created} 项，更新 {report.updated} 项，未变化 {report.unchanged} 项。")


@get("/workbench/catalog/{code:str}", operation_id="pageCatalogItemManage", opt=require(Permission.CatalogItemsManage), include_in_schema=False)
async def item_page(
    request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str], version: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None
) -> Template:
    """One item: a version, the history, and the edit form."""
    item = await services.get_managed(ctx, code, version)
    return await _item(request, ctx, item, form=_form_of(item.content))


async def _item(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    item: ItemView,
    *,
    form: dict[str, Any],
    error: AppError | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Template:
    versions = await services.list_versions(ctx, item.code)
    return page(
        request,
        "catalog/item.html",
        "workbench",
        status_code=status_code,
        item=item,
        c=item.content,
        versions=versions,
        form=form,
        error=error,
        message=message,
        item_types=ITEM_TYPES,
        **_labels(),
    )


def _form_of(content: ItemContent) -> dict[str, Any]:
    """The edit form's fields for a content."""
    return {
        **content.model_dump(),
        "legal_basis": "\n".join(content.legal_basis),
        "materials": "\n".join(
            SEP.join([m.name, m.form, str(m.count), "必需" if m.required else "可选", "可免提交" if m.replaceable else "需提交", m.note])
            for m in content.materials
        ),
        "fees": "\n".join(SEP.join([f.name, f.amount, f.basis]) for f in content.fees),
        "aliases": "、".join(content.aliases),
        "keywords": "、".join(content.keywords),
        "channels": list(content.channels),
        "co_reviewing_departments": list(content.co_reviewing_departments),
        "change_note": "",
    }


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", "、").replace(",", "、").split("、") if p.strip()]


def _content_from_form(values: dict[str, str], channels: list[str], co_reviewers: list[str] | None = None, previous: ItemContent | None = None) -> ItemContent:
    """Build item content from the edit form; raises ValidationFailed with a Chinese reason.

    The text lines carry no replacement kind: a material still marked 可免提交 keeps how the
    previous version replaced it (licence type, shared data, commitment), matched by name.
    """
    replacements = {m.name: (m.replaced_by, m.licence_type) for m in (previous.materials if previous else []) if m.replaceable}
    materials = []
    for line in values.get("materials", "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("|", SEP).split(SEP)] + [""] * 6
        count = int(parts[2]) if parts[2].isdigit() else 1
        materials.append(
            {
                "name": parts[0],
                "form": parts[1] or "原件",
                "count": count,
                "required": parts[3] != "可选",
                "replaceable": parts[4] == "可免提交",
                "note": parts[5],
            }
        )
        if materials[-1]["replaceable"] and parts[0] in replacements:
            materials[-1]["replaced_by"], materials[-1]["licence_type"] = replacements[parts[0]]
    fees = []
    for line in values.get("fees", "").splitlines():
        if line.strip():
            parts = [p.strip() for p in line.replace("|", SEP).split(SEP)] + ["", ""]
            fees.append({"name": parts[0], "amount": parts[1] or "—", "basis": parts[2]})
    body = {
        "name": values.get("name", "").strip(),
        "item_type": values.get("item_type", ""),
        "legal_basis": [line.strip() for line in values.get("legal_basis", "").splitlines() if line.strip()],
        "conditions": values.get("conditions", "").strip(),
        "materials": materials,
        "statutory_days": values.get("statutory_days", "").strip() or "-1",
        "promised_days": values.get("promised_days", "").strip() or "-1",
        "fees": fees,
        "channels": channels,
        "visits": values.get("visits", "").strip() or "0",
        "process_type": values.get("process_type", "promised"),
        # Only a joint review has co-reviewers; ticked boxes left over from switching the type are ignored.
        "co_reviewing_departments": (co_reviewers or []) if values.get("process_type") == "joint_review" else [],
        "aliases": _split(values.get("aliases", "")),
        "keywords": _split(values.get("keywords", "")),
        "summary": values.get("summary", "").strip(),
        "result": values.get("result", "").strip(),
        "note": values.get("note", "").strip(),
    }
    try:
        return ItemContent.model_validate(body)
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        # Whole-item rules (time limits, co-reviewers) carry their own Chinese message.
        rules = [str(e["msg"]).removeprefix("Value error, ") for e in exc.errors() if not e["loc"]]
        message = "；".join(rules) if rules else "请检查填写内容：" + "、".join(fields)
        raise ValidationFailed(message, code="validation_failed", details={"fields": fields}) from exc


@post("/workbench/catalog/{code:str}/edit", operation_id="pageCatalogItemEdit", opt=require(Permission.CatalogItemsManage), include_in_schema=False)
async def edit_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Template:
    """Save the form as a draft version."""
    item = await services.get_managed(ctx, code)
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in form}
    channels = [str(ch) for ch in form.getall("channels")] if "channels" in form else []
    co_reviewers = [str(d) for d in form.getall("co_reviewing_departments")] if "co_reviewing_departments" in form else []
    try:
        content = _content_from_form(values, channels, co_reviewers, previous=item.content)
        saved = await services.update_item(ctx, code, content, note=values.get("change_note", "").strip())
    except AppError as exc:
        form_values = {**values, "channels": channels, "co_reviewing_departments": co_reviewers}
        return await _item(request, ctx, item, form=form_values, error=exc, status_code=exc.status_code)
    return await _item(request, ctx, saved, form=_form_of(saved.content), message=f"已保存为第 {saved.version} 版草稿，发布后对公众生效。")


@post("/workbench/catalog/{code:str}/publish", operation_id="pageCatalogItemPublish", opt=require(Permission.CatalogItemsManage), include_in_schema=False)
async def publish_page(ctx: Ctx, code: FromPath[str]) -> Response[Any]:
    """Publish the draft and return to the item."""
    await services.publish_item(ctx, code)
    return redirect(f"/workbench/catalog/{code}")


@get("/workbench/catalog/{code:str}/metrics", operation_id="pageCatalogItemMetrics", opt=require(Permission.CatalogItemsManage), include_in_schema=False)
async def metrics_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    code: FromPath[str],
    from_version: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None,
    to_version: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None,
) -> Template:
    """减环节、减材料、减时限、减费用: the item's metrics per version, a comparison table and a chart."""
    data = await services.item_metrics(ctx, code, from_version=from_version, to_version=to_version, include_drafts=True)
    chart = {
        "labels": [r.title for r in data.reductions],
        "before": [r.before for r in data.reductions],
        "after": [r.after for r in data.reductions],
        "from_version": data.from_version,
        "to_version": data.to_version,
    }
    return page(request, "catalog/metrics.html", "workbench", m=data, chart=chart, **_labels())


route_handlers = [catalog_page, guide_page, process_diagram, search_page, manage_page, import_page, item_page, edit_page, publish_page, metrics_page]
