"""Documents JSON API: public verification, and metadata/PDF for staff in the issuing region."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import FromPath, QueryParameter

from longgov.documents import services
from longgov.documents.schemas import DocumentView, VerificationView
from longgov.security.permissions import Permission
from longgov.security.policy import PUBLIC, require
from longgov.web.deps import Ctx

CheckCode = Annotated[str | None, QueryParameter(max_length=64, description="核验码（二维码链接中的 c 参数）")]


class DocumentsController(Controller):
    """文书：核验、查看与下载."""

    path = "/api/v1/documents"
    tags = ["文书"]  # noqa: RUF012

    @get("/{document_id:str}/verify", operation_id="documentsVerify", opt=PUBLIC)
    async def verify(self, ctx: Ctx, document_id: FromPath[str], c: CheckCode = None) -> VerificationView:
        """Whether a document is genuine: 200 with its public facts, or 404 (unknown, wrong code, tampered)."""
        return await services.verify_document(ctx, document_id, c)

    @get("/{document_file:str}", operation_id="documentsGet", opt=require(Permission.WorkbenchHomeRead))
    async def get_document(self, ctx: Ctx, document_file: FromPath[str]) -> Response[bytes] | DocumentView:
        """``{id}.pdf``: the signed PDF (audited download); ``{id}``: the document's metadata."""
        if document_file.endswith(".pdf"):
            view, pdf = await services.download_document(ctx, document_file.removesuffix(".pdf"))
            filename = f"{view.id}.pdf"
            return Response(
                content=pdf,
                media_type="application/pdf",
                headers={
                    "content-disposition": f'attachment; filename="{filename}"',
                    "cache-control": "no-store",
                    "x-document-sm3": view.pdf_sm3,
                },
            )
        return await services.get_document(ctx, document_file)
