"""Errors → JSON ``{"code", "message", "details"}`` for the API, a friendly Chinese page otherwise."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE, HTTP_415_UNSUPPORTED_MEDIA_TYPE, HTTP_500_INTERNAL_SERVER_ERROR

from longgov.kernel.errors import AppError, NotAuthenticated, PermissionDenied
from longgov.security.audit.service import record_now
from longgov.security.policy import current_principal
from longgov.web.render import PORTALS

log = logging.getLogger("longgov.errors")

_FIELD_MESSAGES = {
    "missing": "必填项缺失",
    "extra_forbidden": "不允许的字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "literal_error": "取值不在允许范围内",
    "json_invalid": "JSON 格式错误",
}


def _portal_for_path(path: str) -> str:
    for name in ("enterprise", "workbench", "admin"):
        if path.startswith(f"/{name}"):
            return name
    return "citizen"


def _field_details(exc: ValidationException) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        key = item.get("key") or ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        raw = str(item.get("message", ""))
        kind = item.get("type") or next((k for k in _FIELD_MESSAGES if k in raw), None)
        message = _FIELD_MESSAGES.get(str(kind), "") or ("不允许的字段" if "Extra inputs" in raw else "取值无效")
        details.append({"field": key, "message": message})
    return details


_MALFORMED_WORDS = ("json", "decode", "malformed", "truncated")
_SIMPLE: tuple[tuple[type[Exception], AppError], ...] = (
    (NotAuthorizedException, NotAuthenticated("请先登录")),
    (NotFoundException, AppError("您访问的页面或资源不存在", code="not_found", status_code=404)),
    (MethodNotAllowedException, AppError("不支持该请求方法", code="method_not_allowed", status_code=405)),
)
_BY_STATUS = {
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: AppError("请求体过大（JSON 不超过 1 MB）", code="payload_too_large", status_code=413),
    HTTP_415_UNSUPPORTED_MEDIA_TYPE: AppError("不支持的内容类型，请使用 application/json", code="unsupported_media_type", status_code=415),
}


def _looks_malformed(detail: object) -> bool:
    text = str(detail or "").lower()
    return any(word in text for word in _MALFORMED_WORDS)


def translate(exc: Exception) -> AppError:
    """Map framework exceptions onto our error vocabulary."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, ValidationException):
        return _from_validation(exc)
    if isinstance(exc, PermissionDeniedException):
        csrf = "CSRF" in str(exc.detail)
        return PermissionDenied(
            "表单已过期或来源不可信（CSRF 校验失败），请刷新页面后重试" if csrf else "您没有执行此操作的权限",
            code="csrf_failed" if csrf else "permission_denied",
        )
    for kind, error in _SIMPLE:
        if isinstance(exc, kind):
            return error
    if isinstance(exc, HTTPException) and exc.status_code < HTTP_500_INTERNAL_SERVER_ERROR:
        return _from_client_error(exc)
    return AppError("系统繁忙，请稍后再试", code="internal_error", status_code=500)


def _from_validation(exc: ValidationException) -> AppError:
    details = _field_details(exc)
    if _looks_malformed(exc.detail):
        return AppError("请求体不是有效的 JSON", code="malformed_json", details=details or None, status_code=400)
    return AppError("请求数据校验失败", code="validation_failed", details=details, status_code=422)


def _from_client_error(exc: HTTPException) -> AppError:
    if exc.status_code in _BY_STATUS:
        return _BY_STATUS[exc.status_code]
    if _looks_malformed(exc.detail):
        return AppError("请求体不是有效的 JSON", code="malformed_json", status_code=400)
    return AppError("请求无效", code="bad_request", status_code=exc.status_code)


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """API paths and JSON clients get JSON; browsers get pages."""
    return (
        request.url.path.startswith("/api/")
        or request.url.path == "/healthz"
        or ("application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get("accept", ""))
    )


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The single exception handler of the app."""
    error = translate(exc)
    if error.code == "malformed_json" and "json" not in request.headers.get("content-type", "json"):
        error = AppError("不支持的内容类型，请使用 application/json", code="unsupported_media_type", status_code=415)
    request_id = request.scope.get("state", {}).get("request_id")
    if error.status_code >= 500:  # noqa: PLR2004
        log.error("unhandled error rid=%s: %s", request_id, type(exc).__name__, exc_info=exc)
    # Litestar calls exception handlers synchronously: the denial is audited as a background task.
    background = BackgroundTask(_audit_denial, request, error) if isinstance(error, PermissionDenied) else None
    if wants_json(request):
        body = error.to_dict()
        if error.status_code >= 500:  # noqa: PLR2004
            body["details"] = {"request_id": request_id}
        return Response(content=body, status_code=error.status_code, media_type=MediaType.JSON, background=background)
    if isinstance(error, NotAuthenticated):
        portal = _portal_for_path(request.url.path)
        return Redirect(path=f"{PORTALS[portal]['login']}?next={request.url.path}", status_code=303)  # type: ignore[index]
    portal = _portal_for_path(request.url.path)
    return Template(
        template_name="error.html",
        context={
            "request": request,
            "error": error,
            "request_id": request_id,
            "portal": portal,
            "portal_info": PORTALS[portal],  # type: ignore[index]
            "nav": [],
            "nav_current": None,
            "principal": current_principal(request),
            "a11y": request.cookies.get("lg_a11y") == "1",
            "layout": "layout.html",
            "demo_mode": request.app.state["platform"].settings.is_demo,
        },
        status_code=error.status_code,
        background=background,
    )


async def _audit_denial(request: Request[Any, Any, Any], error: AppError) -> None:
    from longgov.web.deps import platform_of, request_meta  # noqa: PLC0415

    principal = current_principal(request)
    try:
        await record_now(
            platform_of(request.app.state).db,
            "security:access:denied",
            actor=principal,
            meta=request_meta(request),
            subject_type="route",
            subject_id=f"{request.method} {request.url.path}",
            result="denied",
            details={"code": error.code, **(error.details if isinstance(error.details, dict) else {})},
        )
    except Exception:
        log.exception("could not audit a denial")
