"""Catalogue use cases: create, edit (new draft version), publish, read, search, seed, import/export (R3.2)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from longgov.catalog import events, excel, metrics
from longgov.catalog.codes import government_body_uscc, implementation_code, is_basic_code
from longgov.catalog.models import CatalogRevision, ServiceItem, ServiceItemVersion
from longgov.catalog.schemas import EntryResult, ItemContent, ItemMetrics, ItemSummary, ItemView, NewItem, SearchResult, VersionMetrics, VersionSummary
from longgov.catalog.search import SearchDocument, SearchHit, SearchIndex
from longgov.db import utcnow
from longgov.identity import services as identity
from longgov.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from longgov.kernel.registry import SearchEntry, search_sources
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.principal import Principal
from longgov.security.scope import in_division, scope_filter

DRAFT, PUBLISHED, SUPERSEDED = "draft", "published", "superseded"
STATUS_TITLES = {DRAFT: "草稿", PUBLISHED: "已发布", SUPERSEDED: "已被替代"}


# --- scope ---------------------------------------------------------------------------------


def may_manage(principal: Principal | None, division_code: str, department_kind: str | None) -> bool:
    """Whether a staff member's data scope (region and department) covers an item."""
    if principal is None or principal.kind != "staff":
        return False
    if not in_division(division_code, principal.scope_division):
        return False
    return principal.scope_department is None or principal.scope_department == department_kind


def _require_manage(ctx: ServiceContext, item: ServiceItem) -> None:
    # Seeding and CLI work run without an actor; requests always carry one.
    if ctx.actor is not None and not may_manage(ctx.actor, item.division_code, item.department_kind):
        raise PermissionDenied("该事项不在您的数据范围内（仅可管理本部门、本地区的事项）", code="out_of_scope", details={"code": item.code})


# --- reading -------------------------------------------------------------------------------


async def _item(session: AsyncSession, code: str) -> ServiceItem:
    item = (await session.execute(select(ServiceItem).where(ServiceItem.code == code))).scalar_one_or_none()
    if item is None:
        raise NotFound("未找到该政务服务事项", code="item_not_found", details={"code": code})
    return item


async def _version(session: AsyncSession, item: ServiceItem, version: int) -> ServiceItemVersion:
    row = (
        await session.execute(select(ServiceItemVersion).where(ServiceItemVersion.item_id == item.id, ServiceItemVersion.version == version))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("未找到该事项的这个版本", code="version_not_found", details={"code": item.code, "version": version})
    return row


def _view(item: ServiceItem, version: ServiceItemVersion) -> ItemView:
    return ItemView(
        code=item.code,
        basic_code=item.basic_code,
        organisation_code=item.organisation_code,
        department=item.department_name,
        division_code=item.division_code,
        level=item.level,
        version=version.version,
        status=version.status,
        published_at=version.published_at,
        published_version=item.published_version,
        latest_version=item.latest_version,
        content=ItemContent.model_validate(version.content),
    )


def _summary(item: ServiceItem, content: dict[str, Any] | None = None) -> ItemSummary:
    return ItemSummary(
        code=item.code,
        basic_code=item.basic_code,
        name=item.name,
        organisation_code=item.organisation_code,
        department=item.department_name,
        division_code=item.division_code,
        level=item.level,
        published_version=item.published_version,
        latest_version=item.latest_version,
        item_type=content.get("item_type") if content else None,
        promised_days=content.get("promised_days") if content else None,
    )


async def get_published(ctx: ServiceContext, code: str) -> ItemView:
    """The published version of an item (the public service guide)."""
    item = await _item(ctx.session, code)
    if item.published_version is None:
        raise NotFound("该事项尚未发布", code="item_not_published", details={"code": code})
    return _view(item, await _version(ctx.session, item, item.published_version))


async def get_version(ctx: ServiceContext, code: str, version: int) -> ItemView:
    """Any version of an item; a version that something refers to stays readable after it is superseded."""
    item = await _item(ctx.session, code)
    return _view(item, await _version(ctx.session, item, version))


async def published_for_basic_code(ctx: ServiceContext, basic_code: str) -> list[ItemView]:
    """The published implementations of a national item (basic code), in catalogue order (bundles pick theirs)."""
    rows = await ctx.session.execute(
        select(ServiceItem, ServiceItemVersion)
        .join(ServiceItemVersion, (ServiceItemVersion.item_id == ServiceItem.id) & (ServiceItemVersion.version == ServiceItem.published_version))
        .where(ServiceItem.basic_code == basic_code)
        .order_by(ServiceItem.division_code, ServiceItem.code)
    )
    return [_view(item, version) for item, version in rows.tuples()]


async def get_managed(ctx: ServiceContext, code: str, version: int | None = None) -> ItemView:
    """An item as its managing staff see it: the given version or the latest one, within their scope."""
    item = await _item(ctx.session, code)
    _require_manage(ctx, item)
    return _view(item, await _version(ctx.session, item, version or item.latest_version))


async def list_versions(ctx: ServiceContext, code: str) -> list[VersionSummary]:
    """Version history of an item, newest first."""
    item = await _item(ctx.session, code)
    _require_manage(ctx, item)
    rows = (
        await ctx.session.execute(select(ServiceItemVersion).where(ServiceItemVersion.item_id == item.id).order_by(ServiceItemVersion.version.desc()))
    ).scalars()
    return [
        VersionSummary(
            version=r.version, status=r.status, created_by=r.created_by, created_at=r.created_at, published_at=r.published_at, change_note=r.change_note
        )
        for r in rows
    ]


async def list_published(ctx: ServiceContext, *, limit: int = 20, offset: int = 0, division_prefix: str | None = None) -> tuple[list[ItemSummary], int]:
    """Published items, by department then name."""
    where: list[ColumnElement[bool]] = [ServiceItem.published_version.is_not(None)]
    if division_prefix:
        where.append(ServiceItem.division_code.startswith(division_prefix))
    total = (await ctx.session.execute(select(func.count()).select_from(ServiceItem).where(*where))).scalar_one()
    rows = (
        await ctx.session.execute(
            select(ServiceItem, ServiceItemVersion.content)
            .join(ServiceItemVersion, (ServiceItemVersion.item_id == ServiceItem.id) & (ServiceItemVersion.version == ServiceItem.published_version))
            .where(*where)
            .order_by(ServiceItem.division_code, ServiceItem.department_name, ServiceItem.name, ServiceItem.code)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return [_summary(item, content) for item, content in rows], total


async def list_managed(ctx: ServiceContext, *, limit: int = 50, offset: int = 0) -> tuple[list[ItemSummary], int]:
    """Items (any state) in the caller's data scope."""
    if ctx.actor is None:
        raise PermissionDenied("请先登录", code="not_authenticated")
    where = scope_filter(ctx.actor, ServiceItem.division_code, ServiceItem.department_kind)
    total = (await ctx.session.execute(select(func.count()).select_from(ServiceItem).where(where))).scalar_one()
    rows = (
        await ctx.session.execute(
            select(ServiceItem).where(where).order_by(ServiceItem.division_code, ServiceItem.department_name, ServiceItem.name).limit(limit).offset(offset)
        )
    ).scalars()
    return [_summary(item) for item in rows], total


# --- writing -------------------------------------------------------------------------------


async def _bump_revision(session: AsyncSession) -> int:
    row = await session.get(CatalogRevision, 1)
    if row is None:
        row = CatalogRevision(id=1, revision=0, updated_at=utcnow())
        session.add(row)
    row.revision += 1
    row.updated_at = utcnow()
    await session.flush()
    return row.revision


def _actor_name(ctx: ServiceContext) -> str:
    return ctx.actor.display_name if ctx.actor else "系统"


async def create_item(ctx: ServiceContext, data: NewItem, *, publish: bool = False) -> ItemView:
    """Create an item implemented by an organisation; version 1 is a draft unless ``publish``."""
    if not is_basic_code(data.basic_code):
        raise ValidationFailed("基本编码格式不正确", code="invalid_basic_code", details={"basic_code": "基本编码格式不正确"})
    org = await identity.get_organisation_by_code(ctx.session, data.organisation_code)
    if org is None:
        raise ValidationFailed("实施机构不存在", code="unknown_organisation", details={"organisation_code": "实施机构不存在"})
    if ctx.actor is not None and not may_manage(ctx.actor, org.division_code, org.department_kind):
        raise PermissionDenied("只能为本部门、本地区的机构创建事项", code="out_of_scope", details={"organisation_code": org.code})
    code = implementation_code(data.basic_code, org.division_code, government_body_uscc(org.code, org.division_code))
    if (await ctx.session.execute(select(ServiceItem.id).where(ServiceItem.code == code))).first() is not None:
        raise Conflict("该机构已实施此事项", code="item_exists", details={"code": code})
    item = ServiceItem(
        code=code,
        basic_code=data.basic_code,
        name=data.content.name,
        organisation_code=org.code,
        department_name=org.name,
        division_code=org.division_code,
        department_kind=org.department_kind,
        level=org.level,
        published_version=None,
        latest_version=1,
    )
    ctx.session.add(item)
    await ctx.session.flush()
    version = ServiceItemVersion(item_id=item.id, version=1, status=DRAFT, content=data.content.model_dump(mode="json"), created_by=_actor_name(ctx))
    ctx.session.add(version)
    await ctx.session.flush()
    record(ctx.session, events.ITEM_CREATED, actor=ctx.actor, meta=ctx.meta, subject_type="service_item", subject_id=code, details={"name": item.name})
    if publish:
        return await publish_item(ctx, code)
    return _view(item, version)


async def update_item(ctx: ServiceContext, code: str, content: ItemContent, *, note: str = "") -> ItemView:
    """Edit an item: the open draft changes in place; a published item gets a new draft version."""
    item = await _item(ctx.session, code)
    _require_manage(ctx, item)
    latest = await _version(ctx.session, item, item.latest_version)
    body = content.model_dump(mode="json")
    if latest.status == DRAFT:
        latest.content = body
        latest.change_note = note or latest.change_note
        latest.created_by = _actor_name(ctx)
        version = latest
    else:
        item.latest_version += 1
        version = ServiceItemVersion(
            item_id=item.id, version=item.latest_version, status=DRAFT, content=body, created_by=_actor_name(ctx), change_note=note or None
        )
        ctx.session.add(version)
    await ctx.session.flush()
    record(ctx.session, events.ITEM_DRAFTED, actor=ctx.actor, meta=ctx.meta, subject_type="service_item", subject_id=code, details={"version": version.version})
    return _view(item, version)


async def publish_item(ctx: ServiceContext, code: str) -> ItemView:
    """Publish the draft: the previously published version becomes superseded; search indexes rebuild."""
    item = await _item(ctx.session, code)
    _require_manage(ctx, item)
    draft = await _version(ctx.session, item, item.latest_version)
    if draft.status != DRAFT:
        raise Conflict("没有待发布的草稿版本", code="nothing_to_publish", details={"code": code})
    if item.published_version is not None:
        previous = await _version(ctx.session, item, item.published_version)
        previous.status = SUPERSEDED
    draft.status = PUBLISHED
    draft.published_at = utcnow()
    item.published_version = draft.version
    item.name = str(draft.content["name"])
    await ctx.session.flush()
    await _bump_revision(ctx.session)
    record(ctx.session, events.ITEM_PUBLISHED, actor=ctx.actor, meta=ctx.meta, subject_type="service_item", subject_id=code, details={"version": draft.version})
    return _view(item, draft)


# --- search --------------------------------------------------------------------------------


@dataclass
class _IndexCache:
    revision: tuple[int, tuple[str, ...]]
    index: SearchIndex
    items: dict[str, tuple[str, str, str, int]]
    entries: dict[str, SearchEntry]


_cache: _IndexCache | None = None
# Entries other modules contribute are indexed under "<kind>:<code>", apart from item codes.
_ENTRY_SEPARATOR = ":"
# An entry scoring at least this share of an item it comprises is shown before that item.
_ENTRY_NEARLY = 0.9


async def catalog_revision(session: AsyncSession) -> int:
    """The publication counter (0 before anything is published)."""
    row = await session.get(CatalogRevision, 1)
    return row.revision if row else 0


async def _published_documents(session: AsyncSession) -> list[tuple[ServiceItem, dict[str, Any]]]:
    rows = await session.execute(
        select(ServiceItem, ServiceItemVersion.content).join(
            ServiceItemVersion, (ServiceItemVersion.item_id == ServiceItem.id) & (ServiceItemVersion.version == ServiceItem.published_version)
        )
    )
    return [(item, content) for item, content in rows.tuples()]


async def _index(ctx: ServiceContext) -> _IndexCache:
    """The search index over published items and the entries other modules contribute (bundles), rebuilt when either changes."""
    global _cache  # noqa: PLW0603 - one index per process, shared by its requests
    sources = search_sources.all()
    revision = (await catalog_revision(ctx.session), tuple([f"{s.name}={await s.revision(ctx)}" for s in sources]))
    if _cache is not None and _cache.revision == revision:
        return _cache
    docs = []
    items: dict[str, tuple[str, str, str, int]] = {}
    for item, content in await _published_documents(ctx.session):
        docs.append(
            SearchDocument(
                code=item.code,
                name=item.name,
                department=item.department_name,
                aliases=tuple(content.get("aliases", ())),
                keywords=tuple(content.get("keywords", ())),
                summary=str(content.get("summary", "")),
            )
        )
        items[item.code] = (item.name, item.department_name, str(content.get("item_type", "")), int(content.get("promised_days", 0)))
    entries: dict[str, SearchEntry] = {}
    for source in sources:
        for entry in await source.entries(ctx):
            key = f"{entry.kind}{_ENTRY_SEPARATOR}{entry.code}"
            entries[key] = entry
            docs.append(
                SearchDocument(code=key, name=entry.name, department=entry.department, aliases=entry.aliases, keywords=entry.keywords, summary=entry.summary)
            )
    _cache = _IndexCache(revision, SearchIndex.build(docs), items, entries)
    return _cache


def _entries_first(cache: _IndexCache, hits: list[SearchHit]) -> list[SearchHit]:
    """Hits in score order, except that an entry (a bundle) goes before an item it comprises when it matches nearly as well.

    "开饭店" names the food licence and the bundle 开办餐饮店 alike; the bundle answers the whole matter.
    """
    ordered = list(hits)
    for hit in hits:
        entry = cache.entries.get(hit.code)
        if entry is None or not entry.covers:
            continue
        here = ordered.index(hit)
        ahead = next((n for n, h in enumerate(ordered[:here]) if h.code in entry.covers and hit.score >= _ENTRY_NEARLY * h.score), None)
        if ahead is not None:
            ordered.insert(ahead, ordered.pop(here))
    return ordered


async def search(ctx: ServiceContext, query: str, *, limit: int = 10) -> list[SearchResult | EntryResult]:
    """Find published items, and what other modules contribute (bundles, 一件事), by what citizens type (names, aliases, everyday words).

    Items and entries are ranked together in one index, so "开餐馆要办哪些手续" puts the bundle 开办餐饮店
    among the items it covers.
    """
    query = query.strip()
    if not query:
        raise ValidationFailed("请输入要搜索的内容", code="empty_query", details={"q": "搜索内容不能为空"})
    cache = await _index(ctx)
    results: list[SearchResult | EntryResult] = []
    for hit in _entries_first(cache, cache.index.search(query, limit=limit)):
        entry = cache.entries.get(hit.code)
        if entry is not None:
            results.append(
                EntryResult(
                    kind=entry.kind,
                    code=entry.code,
                    name=entry.name,
                    department=entry.department,
                    summary=entry.summary,
                    score=round(float(hit.score), 4),
                    url=entry.url,
                    details=dict(entry.details),
                )
            )
            continue
        if hit.code not in cache.items:
            continue
        name, department, item_type, promised = cache.items[hit.code]
        results.append(
            SearchResult(
                code=hit.code,
                name=name,
                department=department,
                score=round(float(hit.score), 4),
                item_type=item_type,
                promised_days=promised,
                url=f"/citizen/items/{hit.code}",
            )
        )
    return results


# --- seed ----------------------------------------------------------------------------------


def demo_items() -> list[dict[str, Any]]:
    """The shipped demo catalogue (``data/items.json``)."""
    text = resources.files("longgov.catalog").joinpath("data/items.json").read_text(encoding="utf-8")
    data: list[dict[str, Any]] = json.loads(text)["items"]
    return data


async def seed_catalog(ctx: ServiceContext) -> int:
    """Create and publish the demo catalogue where missing; idempotent. Returns how many were created."""
    existing = {(b, o) for b, o in (await ctx.session.execute(select(ServiceItem.basic_code, ServiceItem.organisation_code))).tuples()}
    created = 0
    for entry in demo_items():
        if (entry["basic_code"], entry["organisation_code"]) in existing:
            continue
        await create_item(ctx, NewItem.model_validate(entry), publish=True)
        created += 1
    if created:
        record(ctx.session, events.ITEMS_SEEDED, actor=ctx.actor, meta=ctx.meta, subject_type="catalog", details={"created": created})
    return created


# --- Excel import / export -----------------------------------------------------------------


async def published_views(ctx: ServiceContext) -> list[ItemView]:
    """Every published item with its content, in catalogue order."""
    rows = await ctx.session.execute(
        select(ServiceItem, ServiceItemVersion)
        .join(ServiceItemVersion, (ServiceItemVersion.item_id == ServiceItem.id) & (ServiceItemVersion.version == ServiceItem.published_version))
        .order_by(ServiceItem.division_code, ServiceItem.department_name, ServiceItem.name, ServiceItem.code)
    )
    return [_view(item, version) for item, version in rows.tuples()]


async def export_workbook(ctx: ServiceContext) -> bytes:
    """The published catalogue as an Excel workbook (items and materials sheets)."""
    views = await published_views(ctx)
    record(ctx.session, events.ITEMS_EXPORTED, actor=ctx.actor, meta=ctx.meta, subject_type="catalog", details={"items": len(views)})
    return excel.write_workbook(views)


@dataclass(frozen=True)
class ImportReport:
    """What an import changed."""

    created: int
    updated: int
    unchanged: int


_Plan = list[tuple[excel.ParsedRow, str, ServiceItem | None]]


async def _import_plan(ctx: ServiceContext, rows: list[excel.ParsedRow], errors: list[str]) -> _Plan:
    """Resolve each row to its implementation code and existing item; problems go to ``errors``."""
    plan: _Plan = []
    for row in rows:
        org = await identity.get_organisation_by_code(ctx.session, row.organisation_code)
        if org is None:
            errors.append(f"{excel.ITEM_SHEET}第{row.row}行：实施机构代码“{row.organisation_code}”不存在")
            continue
        if not is_basic_code(row.basic_code):
            errors.append(f"{excel.ITEM_SHEET}第{row.row}行：基本编码格式不正确")
            continue
        code = implementation_code(row.basic_code, org.division_code, government_body_uscc(org.code, org.division_code))
        if row.code and row.code != code:
            errors.append(f"{excel.ITEM_SHEET}第{row.row}行：实施编码与基本编码、实施机构不一致（应为 {code}）")
            continue
        if ctx.actor is not None and not may_manage(ctx.actor, org.division_code, org.department_kind):
            errors.append(f"{excel.ITEM_SHEET}第{row.row}行：实施机构不在您的数据范围内")
            continue
        existing = (await ctx.session.execute(select(ServiceItem).where(ServiceItem.code == code))).scalar_one_or_none()
        plan.append((row, code, existing))
    return plan


async def import_workbook(ctx: ServiceContext, data: bytes) -> ImportReport:
    """Import a workbook in the export format: all rows are checked first, then all are applied, or none."""
    try:
        parsed = excel.read_workbook(data)
    except excel.BadWorkbook as exc:
        raise ValidationFailed(str(exc), code="bad_workbook", status_code=400) from exc
    errors = list(parsed.errors)
    plan = await _import_plan(ctx, parsed.items, errors)
    if errors:
        raise ValidationFailed(f"导入失败：共 {len(errors)} 处错误，未写入任何数据", code="import_rejected", details={"errors": errors})
    created = updated = unchanged = 0
    for row, code, existing in plan:
        if existing is None:
            await create_item(ctx, NewItem(basic_code=row.basic_code, organisation_code=row.organisation_code, content=row.content), publish=True)
            created += 1
            continue
        current = await _version(ctx.session, existing, existing.latest_version)
        if current.status == PUBLISHED and ItemContent.model_validate(current.content) == row.content:
            unchanged += 1
            continue
        await update_item(ctx, code, row.content, note="Excel 导入")
        await publish_item(ctx, code)
        updated += 1
    record(
        ctx.session,
        events.ITEMS_IMPORTED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="catalog",
        details={"created": created, "updated": updated, "unchanged": unchanged},
    )
    return ImportReport(created, updated, unchanged)


# --- reduction metrics (R3.5) ----------------------------------------------------------------


async def item_metrics(
    ctx: ServiceContext, code: str, *, from_version: int | None = None, to_version: int | None = None, include_drafts: bool = False
) -> ItemMetrics:
    """减环节、减材料、减时限、减费用: each version's metrics and the comparison of two versions.

    By default the first published version is compared with the current (published) one. The public
    sees published and superseded versions only; managing staff (``include_drafts``, within their
    scope) also see drafts. Actual times come from concluded applications (null when there are none).
    """
    from longgov.applications import services as applications  # noqa: PLC0415 - applications import the catalogue at load time

    item = await _item(ctx.session, code)
    if include_drafts:
        _require_manage(ctx, item)
    query = select(ServiceItemVersion).where(ServiceItemVersion.item_id == item.id).order_by(ServiceItemVersion.version)
    if not include_drafts:
        query = query.where(ServiceItemVersion.status != DRAFT)
    rows = list((await ctx.session.execute(query)).scalars())
    if not rows:
        raise NotFound("该事项尚未发布", code="item_not_published", details={"code": code})
    durations: dict[int, list[int]] = {}
    for version, _accepted, _concluded, days in await applications.durations_by_item_version(ctx, code):
        durations.setdefault(version, []).append(days)
    versions = [metrics.version_metrics(r.version, r.status, r.published_at, ItemContent.model_validate(r.content), durations.get(r.version, ())) for r in rows]
    by_number: dict[int, VersionMetrics] = {v.version: v for v in versions}
    published = [v.version for v in versions if v.status != DRAFT]
    default_from = published[0] if published else versions[0].version
    default_to = item.published_version if item.published_version is not None and item.published_version in by_number else versions[-1].version
    chosen = (from_version or default_from, to_version or default_to)
    for number in chosen:
        if number not in by_number:
            raise NotFound("未找到该事项的这个版本", code="version_not_found", details={"code": code, "version": number})
    return ItemMetrics(
        code=item.code,
        name=item.name,
        department=item.department_name,
        versions=versions,
        from_version=chosen[0],
        to_version=chosen[1],
        reductions=metrics.compare(by_number[chosen[0]], by_number[chosen[1]]),
    )
