"""Licence pages: the wallet (卡包) of citizens and enterprises, the issuing staff's pages, the public check page."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from pydantic import ValidationError as PydanticValidationError

from longgov.db import utcnow
from longgov.kernel.errors import AppError, ValidationFailed
from longgov.kernel.registry import Portal
from longgov.licences import feeds, presentations, rotation, services, trust
from longgov.licences.catalogue import TRUST_TITLES, licence_types
from longgov.licences.schemas import EXPIRY_CHOICES, SEAL_STATES, PresentationRequest, PresentationVerification, TrustedIssuerInput
from longgov.security.permissions import Permission
from longgov.security.policy import PUBLIC, require
from longgov.web.deps import Ctx
from longgov.web.render import page, redirect

PAGE_SIZE = 20
_OWN = require(Permission.LicencesOwnRead)
_STAFF = require(Permission.LicencesIssuedRead)
_MANAGE = require(Permission.LicencesIssuedManage)
CheckCode = Annotated[str | None, QueryParameter(max_length=64)]
PageNo = Annotated[int, QueryParameter(ge=1, le=10_000)]
StatusFilter = Annotated[str | None, QueryParameter(max_length=12)]
TypeFilter = Annotated[str | None, QueryParameter(max_length=21)]  # a GB/T 36902 type code has 21 characters


def _portal(ctx: Ctx) -> Portal:
    return "enterprise" if ctx.actor is not None and ctx.actor.kind == "enterprise" else "citizen"


@get(["/citizen/licences", "/enterprise/licences"], operation_id="pageLicenceWallet", opt=_OWN, include_in_schema=False)
async def wallet_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """卡包: one card per licence."""
    items = await services.my_licences(ctx)
    return page(request, "licences/wallet.html", _portal(ctx), items=items, base=f"/{_portal(ctx)}/licences")


@get(["/citizen/licences/{licence_ref:str}", "/enterprise/licences/{licence_ref:str}"], operation_id="pageLicenceDetail", opt=_OWN, include_in_schema=False)
async def detail_page(request: Request[Any, Any, Any], ctx: Ctx, licence_ref: FromPath[str]) -> Template:
    """A licence: its data (personal items masked), downloads and history."""
    licence_id = services.parse_licence_id(licence_ref)
    licence = await services.get_licence(ctx, licence_id)
    history = await services.licence_history(ctx, licence_id)
    return page(
        request,
        "licences/detail.html",
        _portal(ctx),
        licence=licence,
        history=history,
        trust_title=TRUST_TITLES.get(licence.trust_level, licence.trust_level),
        base=f"/{_portal(ctx)}/licences",
    )


@get("/workbench/licences", operation_id="pageLicencesIssued", opt=_STAFF, include_in_schema=False)
async def issued_page(request: Request[Any, Any, Any], ctx: Ctx, status: StatusFilter = None, type_code: TypeFilter = None, page_no: PageNo = 1) -> Template:
    """Licences the staff member's department issued in its region."""
    items, total = await services.issued_licences(ctx, status=status, type_code=type_code or None, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    return page(
        request,
        "licences/workbench_list.html",
        "workbench",
        items=items,
        total=total,
        status=status or "",
        page_no=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        types=licence_types(),
        type_code=type_code or "",
    )


async def _staff_detail(
    request: Request[Any, Any, Any], ctx: Ctx, licence_id: uuid.UUID, *, error: AppError | None = None, message: str | None = None
) -> Template:
    licence = await services.get_licence(ctx, licence_id)
    history = await services.licence_history(ctx, licence_id)
    may_manage = ctx.actor is not None and ctx.actor.has(Permission.LicencesIssuedManage)
    seal = await rotation.licence_seal(ctx, licence_id)
    return page(
        request,
        "licences/workbench_detail.html",
        "workbench",
        status_code=error.status_code if error else 200,
        licence=licence,
        history=history,
        may_manage=may_manage,
        seal=seal,
        seal_state_title=SEAL_STATES[seal.state] if seal else None,
        error=error,
        message=message,
        trust_title=TRUST_TITLES.get(licence.trust_level, licence.trust_level),
    )


@get("/workbench/licences/{licence_ref:str}", operation_id="pageLicenceIssued", opt=_STAFF, include_in_schema=False)
async def issued_detail_page(request: Request[Any, Any, Any], ctx: Ctx, licence_ref: FromPath[str]) -> Template:
    """A licence for the issuing staff, with suspend / reinstate / revoke / renew."""
    licence_id = services.parse_licence_id(licence_ref)
    return await _staff_detail(request, ctx, licence_id)


_ACTIONS = {"suspend": "已暂停", "reinstate": "已恢复", "revoke": "已吊销", "renew": "已延续", "reseal": "已重新签章"}


@post("/workbench/licences/{licence_ref:str}/{action:str}", operation_id="pageLicenceAction", opt=_MANAGE, include_in_schema=False)
async def action_page(request: Request[Any, Any, Any], ctx: Ctx, licence_ref: FromPath[str], action: FromPath[str]) -> Response[Any] | Template:
    """Suspend, reinstate, revoke or renew from the staff page."""
    licence_id = services.parse_licence_id(licence_ref)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    reason = form.get("reason", "").strip()
    try:
        if action not in _ACTIONS:
            raise ValidationFailed("不支持的操作", code="unknown_action")
        if len(reason) < 2 or len(reason) > 500:  # noqa: PLR2004
            raise ValidationFailed("请填写理由（2至500字）", code="reason_required", details={"reason": "请填写理由"})
        if action == "suspend":
            await services.suspend_licence(ctx, licence_id, reason)
        elif action == "reinstate":
            await services.reinstate_licence(ctx, licence_id, reason)
        elif action == "revoke":
            await services.revoke_licence(ctx, licence_id, reason)
        elif action == "reseal":
            await rotation.reseal_licence(ctx, licence_id, reason)
        else:
            until_raw = form.get("valid_until", "").strip()
            try:
                until = date.fromisoformat(until_raw) if until_raw else None
            except ValueError as exc:
                raise ValidationFailed("有效期格式错误，应为 YYYY-MM-DD", code="validity_invalid") from exc
            await services.renew_licence(ctx, licence_id, until, reason)
    except AppError as error:
        await ctx.session.rollback()
        return await _staff_detail(request, ctx, licence_id, error=error)
    return redirect(f"/workbench/licences/{licence_id}?done={action}")


@get("/verify/licences/{identifier:str}", operation_id="pageLicenceCheck", opt=PUBLIC, include_in_schema=False)
async def check_page(request: Request[Any, Any, Any], ctx: Ctx, identifier: FromPath[str], c: CheckCode = None) -> Template:
    """The page a licence's QR code opens: whether it is valid now (no personal data)."""
    result = await services.check_page(ctx, identifier[:120], c)
    return page(request, "licences/check.html", "citizen", status_code=200 if result else 404, result=result)


# --- 用证: presenting (holders) ---------------------------------------------------------------------

MAX_IMPORT_BYTES = 256 * 1024
VerifierParam = Annotated[str | None, QueryParameter(max_length=120)]
_TRUST = require(Permission.LicencesTrustManage)


def _form_text(form: Any, key: str) -> str:  # noqa: ANN401 - Litestar's form data
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


async def _present_form(
    request: Request[Any, Any, Any], ctx: Ctx, licence_id: uuid.UUID, *, error: AppError | None = None, values: dict[str, Any] | None = None
) -> Template:
    licence = await services.get_licence(ctx, licence_id)
    fields = await presentations.disclosable_fields(ctx, licence_id)
    return page(
        request,
        "licences/present.html",
        _portal(ctx),
        status_code=error.status_code if error else 200,
        licence=licence,
        fields=fields,
        expiry_choices=EXPIRY_CHOICES,
        error=error,
        values=values or {"expires_in": 600, "fields": []},
        base=f"/{_portal(ctx)}/licences",
    )


@get(
    ["/citizen/licences/{licence_ref:str}/present", "/enterprise/licences/{licence_ref:str}/present"],
    operation_id="pageLicencePresent",
    opt=_OWN,
    include_in_schema=False,
)
async def present_page(request: Request[Any, Any, Any], ctx: Ctx, licence_ref: FromPath[str]) -> Template:
    """出示证照: purpose, fields to disclose, expiry, verifier."""
    return await _present_form(request, ctx, services.parse_licence_id(licence_ref))


@post(
    ["/citizen/licences/{licence_ref:str}/present", "/enterprise/licences/{licence_ref:str}/present"],
    operation_id="pageLicencePresentSubmit",
    opt=_OWN,
    include_in_schema=False,
)
async def present_submit(request: Request[Any, Any, Any], ctx: Ctx, licence_ref: FromPath[str]) -> Response[Any] | Template:
    """Sign the presentation, then show its QR code."""
    licence_id = services.parse_licence_id(licence_ref)
    form = await request.form()
    chosen = [v for v in form.getall("fields", []) if isinstance(v, str)]
    expires_raw = _form_text(form, "expires_in")
    values = {
        "purpose": _form_text(form, "purpose"),
        "verifier": _form_text(form, "verifier"),
        "fields": chosen,
        "expires_in": expires_raw,
        "single_use": bool(_form_text(form, "single_use")),
    }
    try:
        try:
            data = PresentationRequest(
                purpose=values["purpose"],
                fields=chosen,
                expires_in=int(expires_raw or "600"),  # checked by the model
                verifier=values["verifier"] or None,
                single_use=values["single_use"],
            )
        except (ValueError, PydanticValidationError) as exc:
            raise ValidationFailed("请填写用途（2至200字）并选择有效期", code="presentation_invalid", details={"purpose": "请填写用途"}) from exc
        created = await presentations.create_presentation(ctx, licence_id, data)
    except AppError as error:
        await ctx.session.rollback()
        return await _present_form(request, ctx, licence_id, error=error, values=values)
    return redirect(f"/{_portal(ctx)}/licences/presentations/{created.id}")


@get(
    ["/citizen/licences/presentations/{presentation_id:str}", "/enterprise/licences/presentations/{presentation_id:str}"],
    operation_id="pageLicencePresentation",
    opt=_OWN,
    include_in_schema=False,
)
async def presentation_page(request: Request[Any, Any, Any], ctx: Ctx, presentation_id: FromPath[str]) -> Template:
    """The QR code and short code to show the verifier, the disclosed fields, and who verified so far."""
    view = await presentations.presentation_detail(ctx, presentation_id)
    return page(
        request,
        "licences/presentation.html",
        _portal(ctx),
        p=view,
        qr=presentations.qr_data_uri(view.verify_url),
        base=f"/{_portal(ctx)}/licences",
    )


@post(
    ["/citizen/licences/presentations/{presentation_id:str}/withdraw", "/enterprise/licences/presentations/{presentation_id:str}/withdraw"],
    operation_id="pageLicencePresentationWithdraw",
    opt=_OWN,
    include_in_schema=False,
)
async def withdraw_page(ctx: Ctx, presentation_id: FromPath[str]) -> Response[Any]:
    """撤回授权."""
    await presentations.withdraw_presentation(ctx, presentation_id)
    return redirect(f"/{_portal(ctx)}/licences/presentations/{presentation_id}")


@get(["/citizen/licences/usage", "/enterprise/licences/usage"], operation_id="pageLicenceUsage", opt=_OWN, include_in_schema=False)
async def usage_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """我的证照使用记录: each presentation (purpose, verifier) and each verification (who, when, outcome)."""
    items = await presentations.my_presentations(ctx, limit=100)
    return page(request, "licences/usage.html", _portal(ctx), items=items, base=f"/{_portal(ctx)}/licences")


@get(["/citizen/licences/import", "/enterprise/licences/import"], operation_id="pageLicenceImport", opt=_OWN, include_in_schema=False)
async def import_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """导入外省签发的电子证照."""
    return page(request, "licences/import.html", _portal(ctx), error=None, base=f"/{_portal(ctx)}/licences")


@post(["/citizen/licences/import", "/enterprise/licences/import"], operation_id="pageLicenceImportSubmit", opt=_OWN, include_in_schema=False)
async def import_submit(request: Request[Any, Any, Any], ctx: Ctx) -> Response[Any] | Template:
    """Verify the uploaded (or pasted) sealed JSON against the mutual-recognition trust list and store it."""
    form = await request.form()
    upload = form.get("file")
    text = _form_text(form, "document")
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read(MAX_IMPORT_BYTES + 1)
        else:
            raw = text.encode()
        if not raw:
            raise ValidationFailed("请选择证照文件或粘贴证照数据", code="document_required")
        if len(raw) > MAX_IMPORT_BYTES:
            raise ValidationFailed("证照文件过大（不超过256KB）", code="payload_too_large")
        result = await trust.import_external_licence(ctx, raw)
    except AppError as error:
        await ctx.session.rollback()
        return page(request, "licences/import.html", _portal(ctx), status_code=error.status_code, error=error, base=f"/{_portal(ctx)}/licences")
    return redirect(f"/{_portal(ctx)}/licences/{result.licence.id}")


# --- 用证: verifying (public, no login) -----------------------------------------------------------------


def _verify_page(request: Request[Any, Any, Any], result: Any, *, ref: str = "", verifier: str = "") -> Template:  # noqa: ANN401
    return page(request, "licences/verify.html", "citizen", result=result, ref=ref, verifier=verifier)


@get("/verify/presentations", operation_id="pagePresentationVerifyForm", opt=PUBLIC, include_in_schema=False)
async def verify_form_page(request: Request[Any, Any, Any]) -> Template:
    """核验证照: type the short code or paste the presentation JSON."""
    return _verify_page(request, None)


@post("/verify/presentations", operation_id="pagePresentationVerifySubmit", opt=PUBLIC, include_in_schema=False)
async def verify_form_submit(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """The answer for a short code or a pasted presentation."""
    form = await request.form()
    code, pasted, verifier = _form_text(form, "code"), _form_text(form, "document"), _form_text(form, "verifier")[:120]
    if pasted:
        if len(pasted) > MAX_IMPORT_BYTES:
            result = PresentationVerification(valid=False, code="payload_too_large", reason="提交的数据过大（不超过256KB）", checked_at=utcnow())
        else:
            result = await presentations.verify_presentation(ctx, pasted, verifier=verifier or None, channel="page")
    elif code:
        result = await presentations.verify_reference(ctx, code, verifier=verifier or None, channel="page")
    else:
        result = PresentationVerification(valid=False, code="code_required", reason="请输入出示码或粘贴出示数据", checked_at=utcnow())
    return _verify_page(request, result, ref=code, verifier=verifier)


@get("/verify/presentations/{ref:str}", operation_id="pagePresentationVerify", opt=PUBLIC, include_in_schema=False)
async def verify_link_page(request: Request[Any, Any, Any], ctx: Ctx, ref: FromPath[str], verifier: VerifierParam = None) -> Template:
    """The page the QR code opens: verified now, showing only the disclosed fields."""
    result = await presentations.verify_reference(ctx, ref, verifier=(verifier or "").strip() or None, channel="page")
    return _verify_page(request, result, ref=ref[:64], verifier=(verifier or "").strip())


# --- 互认信任列表 and 电子印章密钥 (security administrator) ---------------------------------------------------

_TRUST_DONE = {
    "added": "已将该密钥加入互认信任列表。",
    "retired": "已停用该密钥：其签发的证照不再通过核验和导入。",
    "feed": "已保存状态列表地址。",
    "feed-removed": "已移除状态列表地址。",
    "pulled": "已同步状态列表，结果见下方。",
}
_SEALS_DONE = {
    "rotated": "已轮换印章密钥：新密钥即时启用，旧密钥仅用于核验其启用期间所签证照。",
    "retired": "已停用该印章密钥：其所签证照不再通过核验。",
    "resealed": "已以现行印章密钥重新签章。",
}


def _date_field(form: Any, key: str, title: str) -> date | None:  # noqa: ANN401 - Litestar's form data
    text = _form_text(form, key)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{title}格式错误，应为 YYYY-MM-DD", code="validity_invalid", details={key: "日期格式错误"}) from None


async def _trust_page(request: Request[Any, Any, Any], ctx: Ctx, *, error: AppError | None = None, values: dict[str, str] | None = None) -> Template:
    groups = await trust.trust_overview(ctx)
    done = request.query_params.get("done") or ""
    return page(
        request,
        "licences/trust.html",
        "workbench",
        status_code=error.status_code if error else 200,
        groups=groups,
        error=error,
        message=_TRUST_DONE.get(done) if error is None else None,
        values=values or {"trust_level": "B"},
        feed_folder=feeds.FEED_FOLDER,
        feed_hours=int(feeds.FEED_MAX_AGE.total_seconds() // 3600),
    )


@get("/workbench/licences/trust", operation_id="pageLicenceTrust", opt=_TRUST, include_in_schema=False)
async def trust_page(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    """互认信任列表: external issuers, their keys (fingerprint, validity, imported licences) and status-list feeds."""
    return await _trust_page(request, ctx)


@post("/workbench/licences/trust/issuers", operation_id="pageLicenceTrustAdd", opt=_TRUST, include_in_schema=False)
async def trust_add(request: Request[Any, Any, Any], ctx: Ctx) -> Response[Any] | Template:
    """Trust another province's issuer key (and where it publishes its status list)."""
    form = await request.form()
    keys = ("name", "uscc", "region", "public_key", "trust_level", "valid_from", "valid_until", "status_list_url", "note")
    values = {k: _form_text(form, k) for k in keys}
    try:
        try:
            data = TrustedIssuerInput(
                name=values["name"],
                uscc=values["uscc"].upper(),
                region=values["region"],
                public_key=values["public_key"],
                trust_level=values["trust_level"] or "B",  # checked by the model
                valid_from=_date_field(form, "valid_from", "有效期起"),
                valid_until=_date_field(form, "valid_until", "有效期至"),
                status_list_url=values["status_list_url"] or None,
                note=values["note"] or None,
            )
        except PydanticValidationError as exc:
            fields = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
            titles = {"name": "机构名称", "uscc": "统一社会信用代码（18位）", "region": "所属地区", "public_key": "SM2 公钥", "trust_level": "可信等级"}
            missing = "、".join(titles.get(f, f) for f in sorted(fields))
            raise ValidationFailed(f"请检查：{missing}", code="trusted_issuer_invalid", details=dict.fromkeys(fields, "格式错误")) from exc
        await trust.add_trusted_issuer(ctx, data)
    except AppError as error:
        await ctx.session.rollback()
        return await _trust_page(request, ctx, error=error, values=values)
    return redirect("/workbench/licences/trust?done=added")


@post("/workbench/licences/trust/keys/{issuer_ref:str}/retire", operation_id="pageLicenceTrustRetire", opt=_TRUST, include_in_schema=False)
async def trust_retire(request: Request[Any, Any, Any], ctx: Ctx, issuer_ref: FromPath[str]) -> Response[Any] | Template:
    """Stop trusting a key, with the reason."""
    form = await request.form()
    reason = _form_text(form, "reason")
    try:
        if not 2 <= len(reason) <= 500:  # noqa: PLR2004
            raise ValidationFailed("请填写停用理由（2至500字）", code="reason_required", details={"reason": "请填写理由"})
        try:
            issuer_id = uuid.UUID(issuer_ref)
        except ValueError:
            raise ValidationFailed("信任列表中没有该密钥", code="trusted_issuer_not_found") from None
        await trust.retire_trusted_issuer(ctx, issuer_id, reason)
    except AppError as error:
        await ctx.session.rollback()
        return await _trust_page(request, ctx, error=error)
    return redirect("/workbench/licences/trust?done=retired")


@post("/workbench/licences/trust/feeds/{issuer_ref:str}", operation_id="pageLicenceTrustFeed", opt=_TRUST, include_in_schema=False)
async def trust_feed(request: Request[Any, Any, Any], ctx: Ctx, issuer_ref: FromPath[str]) -> Response[Any] | Template:
    """Set or remove where an external issuer publishes its status list."""
    url = _form_text(await request.form(), "url")
    try:
        await feeds.set_status_feed(ctx, issuer_ref, url or None)
    except AppError as error:
        await ctx.session.rollback()
        return await _trust_page(request, ctx, error=error)
    return redirect(f"/workbench/licences/trust?done={'feed' if url else 'feed-removed'}")


@post("/workbench/licences/trust/feeds/{issuer_ref:str}/pull", operation_id="pageLicenceTrustFeedPull", opt=_TRUST, include_in_schema=False)
async def trust_feed_pull(request: Request[Any, Any, Any], ctx: Ctx, issuer_ref: FromPath[str]) -> Response[Any] | Template:
    """立即同步: pull the status list now; a refused list is recorded on the feed, not an error of the page."""
    try:
        await feeds.pull_feed_now(ctx, issuer_ref)
    except AppError as error:
        await ctx.session.rollback()
        return await _trust_page(request, ctx, error=error)
    return redirect("/workbench/licences/trust?done=pulled")


OrganisationParam = Annotated[str | None, QueryParameter(max_length=40)]


async def _seals_page(
    request: Request[Any, Any, Any], ctx: Ctx, *, selected: str | None = None, error: AppError | None = None, values: dict[str, str] | None = None
) -> Template:
    organisations = await rotation.seal_overview(ctx)
    done = request.query_params.get("done") or ""
    chosen = selected or (values or {}).get("organisation_code") or request.query_params.get("organisation")
    return page(
        request,
        "licences/seals.html",
        "workbench",
        status_code=error.status_code if error else 200,
        organisations=organisations,
        selected=next((o for o in organisations if o.organisation_code == chosen), None),
        error=error,
        message=_SEALS_DONE.get(done) if error is None else None,
        values=values or {"reseal": "1", "organisation_code": chosen or ""},
    )


@get("/workbench/licences/seals", operation_id="pageLicenceSeals", opt=_TRUST, include_in_schema=False)
async def seals_page(request: Request[Any, Any, Any], ctx: Ctx, organisation: OrganisationParam = None) -> Template:
    """电子印章密钥: the issuing organisations and their keys; one organisation's keys with retirement and re-sealing."""
    return await _seals_page(request, ctx, selected=organisation)


@post("/workbench/licences/seals/rotate", operation_id="pageLicenceSealRotate", opt=_TRUST, include_in_schema=False)
async def seal_rotate(request: Request[Any, Any, Any], ctx: Ctx) -> Response[Any] | Template:
    """Rotate an organisation's seal key (optionally as compromised, then re-seal)."""
    form = await request.form()
    values = {k: _form_text(form, k) for k in ("organisation_code", "reason", "compromised", "reseal")}
    try:
        if not values["organisation_code"]:
            raise ValidationFailed("请选择机构", code="organisation_required", details={"organisation_code": "请选择机构"})
        await rotation.rotate_seal(ctx, values["organisation_code"], values["reason"], compromised=bool(values["compromised"]), reseal=bool(values["reseal"]))
    except AppError as error:
        await ctx.session.rollback()
        return await _seals_page(request, ctx, error=error, values=values)
    return redirect(f"/workbench/licences/seals?done=rotated&organisation={quote(values['organisation_code'])}")


@post("/workbench/licences/seals/keys/{key_ref:str}/retire", operation_id="pageLicenceSealRetire", opt=_TRUST, include_in_schema=False)
async def seal_retire(request: Request[Any, Any, Any], ctx: Ctx, key_ref: FromPath[str]) -> Response[Any] | Template:
    """Retire a seal key as compromised (re-sealing what it sealed unless unticked)."""
    form = await request.form()
    organisation = _form_text(form, "organisation_code")[:40]
    try:
        await rotation.retire_seal_key(ctx, key_ref, _form_text(form, "reason"), reseal=bool(_form_text(form, "reseal")))
    except AppError as error:
        await ctx.session.rollback()
        return await _seals_page(request, ctx, selected=organisation, error=error)
    return redirect(f"/workbench/licences/seals?done=retired&organisation={quote(organisation)}")


@post("/workbench/licences/seals/{organisation_code:str}/reseal", operation_id="pageLicenceSealReseal", opt=_TRUST, include_in_schema=False)
async def seal_reseal(request: Request[Any, Any, Any], ctx: Ctx, organisation_code: FromPath[str]) -> Response[Any] | Template:
    """Re-seal the current versions an organisation sealed with a compromised key."""
    try:
        await rotation.reseal_organisation(ctx, organisation_code)
    except AppError as error:
        await ctx.session.rollback()
        return await _seals_page(request, ctx, selected=organisation_code, error=error)
    return redirect(f"/workbench/licences/seals?done=resealed&organisation={quote(organisation_code[:40])}")


route_handlers = [
    trust_page,
    trust_add,
    trust_retire,
    trust_feed,
    trust_feed_pull,
    seals_page,
    seal_rotate,
    seal_retire,
    seal_reseal,
    wallet_page,
    detail_page,
    issued_page,
    issued_detail_page,
    action_page,
    check_page,
    present_page,
    present_submit,
    presentation_page,
    withdraw_page,
    usage_page,
    import_page,
    import_submit,
    verify_form_page,
    verify_form_submit,
    verify_link_page,
]
