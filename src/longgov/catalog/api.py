"""Catalogue JSON API: published items and search (public), item management and Excel exchange (staff)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import Field

from longgov.catalog import services
from longgov.catalog.schemas import ItemContent, ItemMetrics, ItemView, NewItem, VersionSummary
from longgov.identity.schemas import StrictModel
from longgov.kernel.errors import NotFound
from longgov.security.permissions import Permission
from longgov.security.policy import PUBLIC, require
from longgov.web.deps import Ctx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ItemUpdate(StrictModel):
    """Input for editing an item: the full new content and why it changed."""

    content: ItemContent
    note: str = Field(default="", max_length=500)


class CatalogController(Controller):
    """政务服务事项 — the public catalogue."""

    path = "/api/v1/catalog"
    tags = ["事项目录"]  # noqa: RUF012

    @get("/items", operation_id="catalogListItems", opt=PUBLIC)
    async def list_items(
        self,
        ctx: Ctx,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
        division: Annotated[str | None, QueryParameter(pattern=r"^\d{2,6}$")] = None,
    ) -> dict[str, Any]:
        """Published items, paginated; ``division`` filters by a GB/T 2260 prefix."""
        items, total = await services.list_published(ctx, limit=limit, offset=offset, division_prefix=division)
        return {"items": [i.model_dump(mode="json") for i in items], "total": total, "limit": limit, "offset": offset}

    @get("/items/{code:str}", operation_id="catalogGetItem", opt=PUBLIC)
    async def get_item(self, ctx: Ctx, code: FromPath[str], version: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None) -> ItemView:
        """The published version of an item, or an earlier published (superseded) version."""
        if version is None:
            return await services.get_published(ctx, code)
        view = await services.get_version(ctx, code, version)
        if view.status == services.DRAFT:
            raise NotFound("未找到该事项的这个版本", code="version_not_found", details={"code": code, "version": version})
        return view

    @get("/items/{code:str}/metrics", operation_id="catalogItemMetrics", opt=PUBLIC)
    async def item_metrics(
        self,
        ctx: Ctx,
        code: FromPath[str],
        from_version: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None,
        to_version: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None,
    ) -> ItemMetrics:
        """减环节、减材料、减时限、减费用: per published version, and two versions compared (default: first published → current)."""
        return await services.item_metrics(ctx, code, from_version=from_version, to_version=to_version)

    @get("/search", operation_id="catalogSearch", opt=PUBLIC)
    async def search(
        self,
        ctx: Ctx,
        q: Annotated[str, QueryParameter(max_length=100)] = "",
        limit: Annotated[int, QueryParameter(ge=1, le=50)] = 10,
    ) -> dict[str, Any]:
        """Search published items and bundles by what people type (“开个小饭馆要办什么证”); each result has ``kind`` ``item`` or ``bundle``."""
        results = await services.search(ctx, q, limit=limit)
        return {"query": q.strip(), "results": [r.model_dump(mode="json") for r in results]}


class CatalogManageController(Controller):
    """Item management for department staff, limited to their region and department."""

    path = "/api/v1/catalog/manage"
    tags = ["事项目录"]  # noqa: RUF012

    @get("/items", operation_id="catalogManageListItems", opt=require(Permission.CatalogItemsManage))
    async def list_items(
        self,
        ctx: Ctx,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        """Items in my data scope, drafts included."""
        items, total = await services.list_managed(ctx, limit=limit, offset=offset)
        return {"items": [i.model_dump(mode="json") for i in items], "total": total, "limit": limit, "offset": offset}

    @post("/items", operation_id="catalogCreateItem", opt=require(Permission.CatalogItemsManage), status_code=201)
    async def create_item(self, ctx: Ctx, data: JSONBody[NewItem]) -> ItemView:
        """Create an item (version 1, draft) for an organisation in my scope."""
        return await services.create_item(ctx, data)

    @get("/items/{code:str}", operation_id="catalogManageGetItem", opt=require(Permission.CatalogItemsManage))
    async def get_item(self, ctx: Ctx, code: FromPath[str], version: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None) -> ItemView:
        """The latest (or a given) version of an item, drafts included."""
        return await services.get_managed(ctx, code, version)

    @get("/items/{code:str}/versions", operation_id="catalogListVersions", opt=require(Permission.CatalogItemsManage))
    async def versions(self, ctx: Ctx, code: FromPath[str]) -> list[VersionSummary]:
        """Version history, newest first."""
        return await services.list_versions(ctx, code)

    @post("/items/{code:str}", operation_id="catalogUpdateItem", opt=require(Permission.CatalogItemsManage), status_code=200)
    async def update_item(self, ctx: Ctx, code: FromPath[str], data: JSONBody[ItemUpdate]) -> ItemView:
        """Edit: a published item gets a new draft version; an open draft is changed in place."""
        return await services.update_item(ctx, code, data.content, note=data.note)

    @post("/items/{code:str}/publish", operation_id="catalogPublishItem", opt=require(Permission.CatalogItemsManage), status_code=200)
    async def publish_item(self, ctx: Ctx, code: FromPath[str]) -> ItemView:
        """Publish the draft; the previous published version becomes superseded."""
        return await services.publish_item(ctx, code)

    @get("/export", operation_id="catalogExport", opt=require(Permission.CatalogItemsManage))
    async def export(self, ctx: Ctx) -> Response[bytes]:
        """The published catalogue as an Excel workbook."""
        body = await services.export_workbook(ctx)
        return Response(content=body, media_type=XLSX, headers={"content-disposition": 'attachment; filename="catalog.xlsx"'})

    @post("/import", operation_id="catalogImport", opt=require(Permission.CatalogItemsManage), status_code=200)
    async def import_(self, request: Request[Any, Any, Any], ctx: Ctx) -> dict[str, int]:
        """Import a workbook (request body: the .xlsx file); all rows or nothing."""
        report = await services.import_workbook(ctx, await request.body())
        return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
