"""Staff pages of 一件事 results: before/after metrics of every bundle and of one, and the key-item list (重点事项清单) with its reviews."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from longgov.kernel.errors import AppError, ValidationFailed
from longgov.onething import keyitems, metrics, services
from longgov.onething.schemas import (
    KEY_ITEM_STATUS_TITLES,
    REVIEW_CYCLE_TITLES,
    BundleMetrics,
    KeyItemDetail,
    KeyItemFields,
    NewKeyItem,
    Targets,
)
from longgov.security.permissions import Permission
from longgov.security.policy import require
from longgov.web.deps import Ctx
from longgov.web.render import page, redirect

_MANAGE = require(Permission.OnethingBundlesManage)
_MAX_ANSWERS = 30
_MAX_ANSWER_CHARS = 40
_MAX_NUMBER_CHARS = 4


def _chart(m: BundleMetrics) -> dict[str, Any]:
    return {
        "labels": [c.title.split("（")[0] for c in m.metrics],  # short: the axis has little room on a phone
        "before": [c.before for c in m.metrics],
        "after": [c.after for c in m.metrics],
        "target": [c.target for c in m.metrics],
    }


# --- metrics --------------------------------------------------------------------------------------------


@get("/workbench/onething/metrics", operation_id="pageOnethingMetrics", opt=_MANAGE, include_in_schema=False)
async def metrics_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """一件事改革成效: every published bundle, before (items separately) against after (the bundle)."""
    rows = await metrics.all_bundle_metrics(ctx)
    return page(request, "onething/metrics.html", "workbench", rows=rows, by_metric=[{c.metric: c for c in r.metrics} for r in rows])


@get("/workbench/onething/metrics/{code:str}", operation_id="pageOnethingBundleMetrics", opt=_MANAGE, include_in_schema=False)
async def bundle_metrics_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Template:
    """One bundle's before/after: bars, per-item burden, the critical path, actual days; answers in the query choose the scenario."""
    params = {k: v for k, v in request.query_params.items() if v}
    error: AppError | None = None
    if len(params) > _MAX_ANSWERS or any(len(k) > _MAX_ANSWER_CHARS or len(v) > _MAX_ANSWER_CHARS for k, v in params.items()):
        error, params = ValidationFailed("回答过多或过长", code="invalid_answers"), {}
    bundle = await services.get_published(ctx, code)
    try:
        m = await metrics.bundle_metrics(ctx, code, params)
    except ValidationFailed as exc:
        error, m = exc, await metrics.bundle_metrics(ctx, code)
    return page(
        request,
        "onething/metrics_bundle.html",
        "workbench",
        status_code=error.status_code if error else 200,
        m=m,
        bundle=bundle,
        chart=_chart(m),
        error=error,
    )


# --- the key-item list -----------------------------------------------------------------------------------


def _labels() -> dict[str, Any]:
    return {"cycle_titles": REVIEW_CYCLE_TITLES, "status_titles": KEY_ITEM_STATUS_TITLES}


def _form_of(entry: KeyItemDetail) -> dict[str, Any]:
    return {
        "participating": "\n".join(entry.participating),
        "days": entry.targets.days,
        "materials": entry.targets.materials,
        "visits": entry.targets.visits,
        "steps": entry.targets.steps,
        "launched_on": entry.launched_on.isoformat() if entry.launched_on else "",
        "review_cycle": entry.review_cycle,
        "status": entry.status,
        "responsible_person": entry.responsible_person,
        "note": entry.note,
    }


def _number(values: dict[str, str], name: str, title: str, errors: dict[str, str]) -> int | None:
    text = values.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > _MAX_NUMBER_CHARS:
        errors[f"targets.{name}"] = f"{title}应为不小于 0 的整数"
        return None
    return int(text)


def _fields_from_form(values: dict[str, str]) -> KeyItemFields:
    """The entry's fields from the page's form; 422 with a Chinese message per field."""
    errors: dict[str, str] = {}
    titles = {"days": "办理时间", "materials": "提交材料", "visits": "跑动次数", "steps": "办理环节"}
    numbers = {name: _number(values, name, title, errors) for name, title in titles.items()}
    launched: date | None = None
    if values.get("launched_on", "").strip():
        try:
            launched = date.fromisoformat(values["launched_on"].strip())
        except ValueError:
            errors["launched_on"] = "上线日期格式应为 YYYY-MM-DD"
    if values.get("review_cycle") not in REVIEW_CYCLE_TITLES:
        errors["review_cycle"] = "请选择评估周期"
    if values.get("status") not in KEY_ITEM_STATUS_TITLES:
        errors["status"] = "请选择状态"
    if errors:
        raise ValidationFailed("重点事项填写有误，请按提示修改", code="invalid_key_item", details=errors)
    try:
        return KeyItemFields.model_validate(
            {
                "participating": [line.strip() for line in values.get("participating", "").splitlines() if line.strip()],
                "targets": Targets.model_validate(numbers).model_dump(),
                "launched_on": launched,
                "review_cycle": values["review_cycle"],
                "status": values["status"],
                "responsible_person": values.get("responsible_person", ""),
                "note": values.get("note", ""),
            }
        )
    except ValueError as exc:  # pydantic's bounds (targets, lengths)
        raise ValidationFailed("重点事项填写有误：目标超出范围或内容过长", code="invalid_key_item") from exc


@get("/workbench/onething/key-items", operation_id="pageOnethingKeyItems", opt=_MANAGE, include_in_schema=False)
async def key_items_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """重点事项清单: every entry with its targets, its latest review and the flag of a missed target."""
    return await _list(request, ctx)


async def _list(request: Request[Any, Any, Any], ctx: Ctx, *, error: AppError | None = None) -> Template:
    entries = await keyitems.list_key_items(ctx)
    listed = {e.bundle_code for e in entries}
    addable = [b for b in await services.list_published(ctx) if b.code not in listed and services.may_manage(ctx.actor, b.lead_organisation)]
    return page(
        request,
        "onething/keyitems.html",
        "workbench",
        status_code=error.status_code if error else 200,
        entries=entries,
        flagged=sum(1 for e in entries if e.flagged),
        addable=addable,
        error=error,
        **_labels(),
    )


@post("/workbench/onething/key-items", operation_id="pageOnethingAddKeyItem", opt=_MANAGE, include_in_schema=False)
async def add_key_item_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[Any]:
    """Put a published bundle on the list with its definition's targets, planned; then edit it."""
    form = await request.form()
    code = str(form.get("bundle_code", "")).strip()
    try:
        bundle = await services.get_published(ctx, code) if code else None
        if bundle is None:
            raise ValidationFailed("请选择一件事", code="invalid_key_item", details={"bundle_code": "请选择一件事"})
        data = NewKeyItem(
            bundle_code=code,
            participating=[d for d in bundle.departments if d != bundle.lead_department],
            targets=bundle.targets or Targets(),
        )
        await keyitems.create_key_item(ctx, data)
    except AppError as exc:
        return await _list(request, ctx, error=exc)
    return redirect(f"/workbench/onething/key-items/{code}")


def _detail(
    request: Request[Any, Any, Any], entry: KeyItemDetail, *, form: dict[str, Any], message: str | None = None, error: AppError | None = None
) -> Template:
    return page(
        request,
        "onething/keyitems_detail.html",
        "workbench",
        status_code=error.status_code if error else 200,
        e=entry,
        latest=entry.reviews[0] if entry.reviews else None,
        form=form,
        message=message,
        error=error,
        **_labels(),
    )


@get("/workbench/onething/key-items/{code:str}", operation_id="pageOnethingKeyItem", opt=_MANAGE, include_in_schema=False)
async def key_item_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Template:
    """One entry: departments, targets, the person responsible, the review history, and the edit form where the caller may edit."""
    entry = await keyitems.get_key_item(ctx, code)
    return _detail(request, entry, form=_form_of(entry))


@post("/workbench/onething/key-items/{code:str}", operation_id="pageOnethingSaveKeyItem", opt=_MANAGE, include_in_schema=False)
async def save_key_item_page(request: Request[Any, Any, Any], ctx: Ctx, code: FromPath[str]) -> Template:
    """Save the entry's form (audited); errors are shown with the values as typed."""
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in form}
    try:
        saved = await keyitems.update_key_item(ctx, code, _fields_from_form(values))
    except AppError as exc:
        entry = await keyitems.get_key_item(ctx, code)
        return _detail(request, entry, form={**_form_of(entry), **values}, error=exc)
    return _detail(request, saved, form=_form_of(saved), message="已保存。")


route_handlers = [metrics_page, bundle_metrics_page, key_items_page, add_key_item_page, key_item_page, save_key_item_page]
