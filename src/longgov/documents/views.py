"""Documents pages: the public verification page the QR code opens (no login, mobile-friendly)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from longgov.documents import services
from longgov.kernel.errors import NotFound
from longgov.security.policy import PUBLIC
from longgov.web.deps import Ctx
from longgov.web.render import page

CheckCode = Annotated[str | None, QueryParameter(max_length=64)]


@get("/verify/documents/{document_id:str}", operation_id="pageVerifyDocument", opt=PUBLIC, include_in_schema=False)
async def verify_page(request: Request[Any, Any, Any], ctx: Ctx, document_id: FromPath[str], c: CheckCode = None) -> Template:
    """真实有效 with the public facts, or 无法核验 with 404."""
    try:
        result = await services.verify_document(ctx, document_id, c)
    except NotFound as exc:
        return page(request, "documents/verify.html", "citizen", status_code=404, result=None, message=exc.message)
    return page(request, "documents/verify.html", "citizen", result=result, message=None)


route_handlers = [verify_page]
