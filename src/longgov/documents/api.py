"""Documents JSON API: public verification, the PDF for its applicant, metadata/PDF for staff in the issuing region."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Response, get
from litestar.params import FromPath, QueryParameter

from longgov.documents import services
from longgov.documents.schemas import DocumentView, VerificationView
from longgov.security.permissions import Permission
from longgov.security.policy import LOGIN_REQUIRED, PUBLIC, require
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

    @get("/{document_id:str}/pdf", operation_id="documentsPdf", opt=LOGIN_REQUIRED)
    async def pdf(self, ctx: Ctx, document_id: FromPath[str]) -> Response[bytes]:
        """The signed PDF for the applicant it was issued to (person or enterprise) or staff in the issuing region; 404 for anyone else; audited."""
        view, pdf = await services.download_pdf(ctx, document_id)
        return _pdf_response(view, pdf)

    @get("/{document_file:str}", operation_id="documentsGet", opt=require(Permission.WorkbenchHomeRead))
    async def get_document(self, ctx: Ctx, document_file: FromPath[str]) -> Response[bytes] | DocumentView:
        """``{id}.pdf``: the signed PDF (audited download); ``{id}``: the document's metadata."""
        if document_file.endswith(".pdf"):
            view, pdf = await services.download_document(ctx, document_file.removesuffix(".pdf"))
            return _pdf_response(view, pdf)
        return await services.get_document(ctx, document_file)


def _pdf_response(view: DocumentView, pdf: bytes) -> Response[bytes]:
    # ASCII name for old clients, the Chinese one (RFC 6266/5987) for everyone else.
    disposition = f"attachment; filename=\"{view.id}.pdf\"; filename*=UTF-8''{quote(services.pdf_filename(view))}"
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"content-disposition": disposition, "cache-control": "no-store", "x-document-sm3": view.pdf_sm3},
    )
