"""用证: holders present a licence (selected fields, purpose, expiry, verifier); anyone verifies it.

Formats and the selective-disclosure design are documented in :mod:`longgov.licences.offline`.

Decisions:

* A presentation is stored (SM4-encrypted, it carries personal data) under a random 128-bit id (in
  the QR link and the signed JSON) and a 10-character short code a verifier can type. Only a valid
  licence can be presented; only its holder can present it, list its uses or withdraw it.
* Consent: the holder can withdraw a presentation at any time; online verification then answers
  ``withdrawn``. A presentation the platform has no record of answers ``unknown_presentation``.
* Verifier binding: a presentation made for a named verifier (USCC or name) verifies only when the
  verifier declares that identity (``verifier_required`` / ``verifier_mismatch`` otherwise). The
  declaration is recorded with the check, so the holder sees who claimed to verify.
* Replay: presentations are reusable until they expire (a short expiry is the default, 10 minutes)
  unless the holder ticks 一次性使用; then the first successful verification consumes it (an atomic
  counter update) and later ones answer ``replayed``. Failed checks never consume it.
* Every verification attempt that names a presentation on record is stored
  (``licence_presentation_checks``: when, channel, declared verifier, signed-in account, outcome)
  and shown to the holder as 我的证照使用记录; every presentation and verification is audited.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Final

import segno
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from longgov.db import utcnow
from longgov.identity import services as identity
from longgov.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from longgov.licences import events, offline, sealing, services, trust
from longgov.licences.canonical import CanonicalisationError, canonical_json, parse_json_object
from longgov.licences.catalogue import LicenceType, type_by_code
from longgov.licences.models import Licence, LicenceDisclosure, LicencePresentation, LicencePresentationCheck, LicenceVersion, SealKey
from longgov.licences.schemas import (
    PRESENTATION_STATES,
    STATUS_TITLES,
    DisclosableField,
    DisclosedField,
    PresentationCheckView,
    PresentationRequest,
    PresentationVerification,
    PresentationView,
)
from longgov.licences.seals import SealOwner, seal_provider
from longgov.licences.services import _current_version, _document_of, _readable, base_url, effective_status
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.crypto import sm2_sign
from longgov.security.pii import mask_middle

SALTS_FIELD: Final = "licence_disclosure_salts"
PRESENTATION_FIELD: Final = "licence_presentation"
SHORT_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SHORT_CODE_CHARS: Final = 10
MAX_LIST: Final = 100
MAX_REF_CHARS: Final = 64
USCC_CHARS: Final = 18
BASE_TITLES: Final = {
    "holder.name": "持证主体",
    "holder.idType": "证件类型",
    "holder.idNumber": "证件号码",
    "issuedOn": "发证日期",
    "validFrom": "有效期起",
    "validUntil": "有效期至",
}


# --- titles --------------------------------------------------------------------------------------------


def field_title(licence_type: LicenceType | None, path: str) -> str:
    """The Chinese title of a disclosable claim."""
    if path == "number":
        return licence_type.number_title if licence_type else "证照编号"
    if path.startswith("data.") and licence_type is not None:
        return next((f.title for f in licence_type.fields if f.key == path[5:]), path[5:])
    return BASE_TITLES.get(path, path)


def _text(value: Any) -> str:  # noqa: ANN401 - a JSON value
    return "长期" if value is None else str(value)


def disclosed_fields(type_code: str | None, disclosed: dict[str, Any]) -> list[DisclosedField]:
    """Disclosed claims in catalogue order with their titles."""
    licence_type = type_by_code(type_code) if type_code else None
    order = list(offline.SELECTABLE) + [f"data.{f.key}" for f in (licence_type.fields if licence_type else ())]
    keys = sorted(disclosed, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [DisclosedField(key=k, title=field_title(licence_type, k), value=_text(disclosed[k])) for k in keys]


def short_code_display(code: str) -> str:
    """ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def normalise_ref(ref: str) -> str:
    """A presentation reference as typed: id as is, a short code upper-cased without separators."""
    text = ref.strip()[:MAX_REF_CHARS]
    compact = text.replace("-", "").replace(" ", "").upper()
    return compact if len(compact) == SHORT_CODE_CHARS and all(c in SHORT_ALPHABET for c in compact) else text


# --- disclosure manifests --------------------------------------------------------------------------------


async def _disclosure(ctx: ServiceContext, licence: Licence, version: LicenceVersion, claims: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The signed manifest (body and seal) and the salts of a licence version, made on first use."""
    row = (await ctx.session.execute(select(LicenceDisclosure).where(LicenceDisclosure.version_id == version.id))).scalar_one_or_none()
    if row is None:
        salts = offline.new_salts(list(offline.selectable_values(claims)))
        body = offline.manifest_body(claims, salts, document_sm3=version.document_sm3, created_at=utcnow())
        message = canonical_json(body)
        if licence.source == "external":
            signer, key_id = offline.PLATFORM, trust.platform_key_id(ctx)
            signature = sm2_sign(ctx.platform.keys.signing.private_key, message)
        else:
            signer = "issuer"
            signed = await seal_provider(ctx.platform).sign(ctx.session, SealOwner(licence.issuer_code, licence.issuer_uscc, licence.issuer_name), message)
            key_id, signature = signed.seal.key_id, signed.signature
        row = LicenceDisclosure(
            version_id=version.id,
            salts_cipher=ctx.codec.encrypt(SALTS_FIELD, canonical_json(salts).decode()),
            manifest=body,
            signer=signer,
            key_id=key_id,
            signature=signature,
            created_at=utcnow(),
        )
        try:
            async with ctx.session.begin_nested():
                ctx.session.add(row)
        except IntegrityError:
            # Another request made this version's manifest first: use that one.
            row = (await ctx.session.execute(select(LicenceDisclosure).where(LicenceDisclosure.version_id == version.id))).scalar_one()
    salts = {str(k): str(v) for k, v in parse_json_object(ctx.codec.decrypt(SALTS_FIELD, row.salts_cipher)).items()}
    seal = offline.signature_block(row.key_id, row.signature, attestedBy=row.signer)
    return {"body": row.manifest, "seal": seal}, salts


# --- the holder's side -------------------------------------------------------------------------------------


async def _own_licence(ctx: ServiceContext, licence_id: uuid.UUID) -> Licence:
    licence, reader = await _readable(ctx, licence_id, "present")
    if reader != "holder":
        raise PermissionDenied("只有持证人可以出示证照", code="not_holder")
    return licence


async def disclosable_fields(ctx: ServiceContext, licence_id: uuid.UUID) -> list[DisclosableField]:
    """What the holder may disclose, with a masked preview of each value (for the presentation form)."""
    licence = await _own_licence(ctx, licence_id)
    claims = _document_of(ctx, await _current_version(ctx, licence))["licence"]
    licence_type = type_by_code(licence.type_code)
    fields = []
    for path, value in offline.selectable_values(claims).items():
        if value in (None, "") and path != "validUntil":
            continue
        preview = mask_middle(str(value), 4, 4) if path == "holder.idNumber" and licence.holder_kind == "person" else _text(value)
        fields.append(DisclosableField(key=path, title=field_title(licence_type, path), always=path in offline.ALWAYS_DISCLOSED, preview=preview))
    return fields


def _verifier(text: str | None) -> tuple[str | None, str | None]:
    """(USCC, name) of a declared verifier: an 18-character valid USCC, else a name."""
    value = (text or "").strip()
    if not value:
        return None, None
    if len(value) == USCC_CHARS and identity.validate_code("uscc", value.upper()).valid:
        return value.upper(), None
    return None, value


def _new_short_code() -> str:
    return "".join(secrets.choice(SHORT_ALPHABET) for _ in range(SHORT_CODE_CHARS))


async def create_presentation(ctx: ServiceContext, licence_id: uuid.UUID, data: PresentationRequest) -> PresentationView:
    """出示: sign a presentation of the holder's valid licence with the chosen fields; audited."""
    licence = await _own_licence(ctx, licence_id)
    status = effective_status(licence)
    if status != "valid":
        raise Conflict(f"证照当前状态为“{STATUS_TITLES[status]}”，不能出示", code="licence_not_presentable")
    version = await _current_version(ctx, licence)
    if version.seal_key_id is not None:
        compromised = (await ctx.session.execute(select(SealKey.compromised_at).where(SealKey.key_id == version.seal_key_id))).scalar_one_or_none()
        if compromised is not None:
            # The platform's signature on the presentation must not launder a seal nobody may trust any more.
            raise Conflict("该证照的电子印章已停用（密钥失陷），请联系发证部门重新签章后再出示", code="seal_key_compromised")
    claims = _document_of(ctx, version)["licence"]
    values = offline.selectable_values(claims)
    unknown = [path for path in data.fields if path not in values]
    if unknown:
        raise ValidationFailed("选择的证照信息不存在", code="disclosure_unknown", details={"fields": "、".join(unknown)[:200]})
    chosen = [path for path in values if path in offline.ALWAYS_DISCLOSED or path in data.fields]
    manifest, salts = await _disclosure(ctx, licence, version, claims)
    uscc, name = _verifier(data.verifier)
    issued = utcnow().replace(microsecond=0)
    expires = issued + timedelta(seconds=data.expires_in)
    public_id = secrets.token_urlsafe(16)
    body = offline.presentation_body(
        presentation_id=public_id,
        manifest=manifest,
        disclosed={path: values[path] for path in chosen},
        salts={path: salts[path] for path in chosen},
        purpose=data.purpose,
        verifier={"uscc": uscc, "name": name} if uscc or name else None,
        single_use=data.single_use,
        issued_at=issued,
        expires_at=expires,
    )
    signature = sm2_sign(ctx.platform.keys.signing.private_key, canonical_json(body))
    document = {"format": offline.PRESENTATION_FORMAT, "presentation": body, "proof": offline.signature_block(trust.platform_key_id(ctx), signature)}
    actor = ctx.actor
    assert actor is not None  # noqa: S101 - _own_licence admits holders only
    row = LicencePresentation(
        public_id=public_id,
        short_code=_new_short_code(),
        licence_id=licence.id,
        identifier=licence.identifier,
        holder_person_id=actor.person_id if actor.kind == "person" else None,
        holder_enterprise_id=actor.enterprise_id if actor.kind == "enterprise" else None,
        purpose=data.purpose,
        verifier_uscc=uscc,
        verifier_name=name,
        disclosed=chosen,
        single_use=data.single_use,
        document_cipher=ctx.codec.encrypt(PRESENTATION_FIELD, canonical_json(document).decode()),
        issued_at=issued,
        expires_at=expires,
        verified_count=0,
        created_by=actor.display_name,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    record(
        ctx.session,
        events.PRESENTATION_CREATED,
        actor=actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"presentation": public_id, "identifier": licence.identifier, "purpose": data.purpose, "fields": chosen, "verifier": uscc or name},
    )
    return _view(ctx, row, licence, document=document)


def _state(row: LicencePresentation, now: datetime) -> str:
    if row.withdrawn_at is not None:
        return "withdrawn"
    if row.single_use and row.verified_count > 0:
        return "used"
    return "expired" if now > row.expires_at else "active"


def _document(ctx: ServiceContext, row: LicencePresentation) -> dict[str, Any]:
    return parse_json_object(ctx.codec.decrypt(PRESENTATION_FIELD, row.document_cipher))


def verify_path(row: LicencePresentation) -> str:
    """The public verifier page of a presentation (the QR link)."""
    return f"/verify/presentations/{row.public_id}"


def _view(
    ctx: ServiceContext,
    row: LicencePresentation,
    licence: Licence,
    *,
    document: dict[str, Any] | None = None,
    checks: list[LicencePresentationCheck] | None = None,
) -> PresentationView:
    licence_type = type_by_code(licence.type_code)
    disclosed = (document or _document(ctx, row))["presentation"]["disclosed"]
    state = _state(row, utcnow())
    return PresentationView(
        id=row.public_id,
        short_code=short_code_display(row.short_code),
        licence_id=licence.id,
        identifier=row.identifier,
        type_name=licence_type.name if licence_type else licence.type_code,
        purpose=row.purpose,
        verifier=row.verifier_name or row.verifier_uscc,
        single_use=row.single_use,
        disclosed=disclosed_fields(licence.type_code, disclosed),
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        withdrawn_at=row.withdrawn_at,
        state=state,
        state_title=PRESENTATION_STATES[state],
        verify_path=verify_path(row),
        verify_url=base_url(ctx) + verify_path(row),
        checks=[_check_view(c) for c in checks or []],
        document=document,
    )


def _check_view(check: LicencePresentationCheck) -> PresentationCheckView:
    outcome = "核验通过" if check.valid else f"未通过（{CHECK_TITLES.get(check.code, check.code)}）"
    return PresentationCheckView(
        checked_at=check.checked_at,
        channel="核验页面" if check.channel == "page" else "核验接口",
        verifier=check.verifier,
        checked_by=check.checked_by,
        valid=check.valid,
        code=check.code,
        outcome=outcome,
    )


CHECK_TITLES: Final = {
    "revoked": "证照已吊销",
    "suspended": "证照已暂停",
    "superseded": "证照已变更",
    "expired": "证照已过期",
    "presentation_expired": "出示已过期",
    "withdrawn": "持证人已撤回",
    "replayed": "一次性出示已被使用",
    "verifier_required": "未声明核验单位",
    "verifier_mismatch": "核验单位不符",
    "signature_invalid": "签名无效",
    "disclosure_mismatch": "披露信息被篡改",
}


def _holder_filter(ctx: ServiceContext) -> Any:  # noqa: ANN401 - a SQL condition
    actor = ctx.actor
    if actor is not None and actor.kind == "person" and actor.person_id is not None:
        return LicencePresentation.holder_person_id == actor.person_id
    if actor is not None and actor.kind == "enterprise" and actor.enterprise_id is not None:
        return LicencePresentation.holder_enterprise_id == actor.enterprise_id
    raise PermissionDenied("仅个人或法人账号可查看证照使用记录", code="wallet_not_available")


async def _own_presentation(ctx: ServiceContext, public_id: str) -> tuple[LicencePresentation, Licence]:
    query = select(LicencePresentation).where(LicencePresentation.public_id == public_id[:MAX_REF_CHARS], _holder_filter(ctx))
    row = (await ctx.session.execute(query)).scalar_one_or_none()
    licence = await ctx.session.get(Licence, row.licence_id) if row else None
    if row is None or licence is None:
        raise NotFound("出示记录不存在", code="presentation_not_found")
    return row, licence


async def _checks_of(ctx: ServiceContext, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[LicencePresentationCheck]]:
    found: dict[uuid.UUID, list[LicencePresentationCheck]] = {i: [] for i in ids}
    if ids:
        query = (
            select(LicencePresentationCheck)
            .where(LicencePresentationCheck.presentation_id.in_(ids))
            .order_by(LicencePresentationCheck.checked_at.desc(), LicencePresentationCheck.id)
        )
        for check in (await ctx.session.execute(query)).scalars():
            found[check.presentation_id].append(check)
    return found


async def presentation_detail(ctx: ServiceContext, public_id: str) -> PresentationView:
    """One of the holder's presentations with the signed JSON and its verifications; audited."""
    row, licence = await _own_presentation(ctx, public_id)
    checks = (await _checks_of(ctx, [row.id]))[row.id]
    record(
        ctx.session,
        events.PRESENTATION_LISTED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"presentation": row.public_id},
    )
    return _view(ctx, row, licence, document=_document(ctx, row), checks=checks)


async def my_presentations(ctx: ServiceContext, *, licence_id: uuid.UUID | None = None, limit: int = 50) -> list[PresentationView]:
    """我的证照使用记录: the holder's presentations (newest first) with who verified them, when and why; audited."""
    query = select(LicencePresentation).where(_holder_filter(ctx))
    if licence_id is not None:
        query = query.where(LicencePresentation.licence_id == licence_id)
    rows = (await ctx.session.execute(query.order_by(LicencePresentation.issued_at.desc(), LicencePresentation.id).limit(min(limit, MAX_LIST)))).scalars().all()
    licences = {r.licence_id: await ctx.session.get(Licence, r.licence_id) for r in rows}
    checks = await _checks_of(ctx, [r.id for r in rows])
    record(ctx.session, events.PRESENTATION_LISTED, actor=ctx.actor, meta=ctx.meta, subject_type="wallet", details={"count": len(rows)})
    return [_view(ctx, r, licence, checks=checks[r.id]) for r in rows if (licence := licences[r.licence_id]) is not None]


async def withdraw_presentation(ctx: ServiceContext, public_id: str) -> PresentationView:
    """撤回: the holder withdraws consent; later verifications answer ``withdrawn``. Audited."""
    row, licence = await _own_presentation(ctx, public_id)
    if row.withdrawn_at is not None:
        raise Conflict("该出示已撤回", code="presentation_withdrawn")
    row.withdrawn_at = utcnow()
    record(
        ctx.session,
        events.PRESENTATION_WITHDRAWN,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"presentation": row.public_id},
    )
    await ctx.session.flush()
    return _view(ctx, row, licence)


def qr_data_uri(url: str) -> str:
    """An SVG data URI of the QR code of ``url`` (the page's CSP allows ``data:`` images)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=6, border=2))


# --- verification ------------------------------------------------------------------------------------------


def _result(problem: sealing.Problem | None, checked: offline.CheckedPresentation | None = None, **facts: Any) -> PresentationVerification:  # noqa: ANN401
    if checked is not None:
        manifest = checked.body["manifest"]["body"]
        holder = checked.disclosed.get("holder.name")
        facts = {
            "identifier": checked.identifier,
            "type_name": checked.type_name,
            "issuer_name": checked.issuer_name,
            "holder_name": str(holder) if holder is not None else None,
            "presentation_id": checked.presentation_id,
            "purpose": str(checked.body.get("purpose")),
            "verifier": _bound_verifier(checked.body),
            "disclosed": disclosed_fields(str(manifest.get("licenceType", {}).get("code")), checked.disclosed),
            "expires_at": checked.expires_at,
            "trust_level": checked.trust_level,
            "external": checked.external,
            **facts,
        }
    if problem is None:
        return PresentationVerification(valid=True, code="valid", reason="证照真实有效，出示内容未被篡改", checked_at=utcnow(), **facts)
    # A failed check shows no disclosed values: the verifier must not rely on them.
    facts["disclosed"] = []
    return PresentationVerification(valid=False, code=problem.code, reason=problem.reason, checked_at=utcnow(), **facts)


def _bound_verifier(body: dict[str, Any]) -> str | None:
    bound = body.get("verifier")
    if not isinstance(bound, dict):
        return None
    return bound.get("name") or bound.get("uscc")


def _issuer_uscc(document: dict[str, Any]) -> str:
    try:
        return str(document["presentation"]["manifest"]["body"]["issuer"]["uscc"])
    except (KeyError, TypeError):
        return ""


async def _online_problem(  # noqa: PLR0911 - one return per rule
    ctx: ServiceContext, checked: offline.CheckedPresentation, row: LicencePresentation, declared: str | None
) -> tuple[sealing.Problem | None, str | None]:
    """Consent, verifier binding, status, expiry and replay, in that order; plus the licence status."""
    if row.withdrawn_at is not None:
        return sealing.Problem("withdrawn", "持证人已撤回本次出示的授权"), None
    problem = offline.verifier_problem(checked.body, declared)
    if problem is not None:
        return problem, None
    licence = await ctx.session.get(Licence, row.licence_id)
    if licence is None:  # pragma: no cover - presentations cascade with their licence
        return sealing.Problem("unknown_licence", "本平台没有该证照的登记记录"), None
    status = effective_status(licence)
    if licence.status == "revoked":
        return sealing.Problem("revoked", f"证照已被颁发机构吊销{('：' + licence.status_reason) if licence.status_reason else ''}"), status
    if licence.status == "suspended":
        return sealing.Problem("suspended", "证照已被颁发机构暂停使用"), status
    if licence.identifier != checked.identifier:
        return sealing.Problem("superseded", f"证照已变更，当前有效版本的标识为 {licence.identifier}，请持证人重新出示"), status
    problem = offline.time_problem(checked, utcnow())
    if problem is not None:
        return problem, status
    if row.single_use:
        consumed = await ctx.session.execute(
            update(LicencePresentation)
            .where(LicencePresentation.id == row.id, LicencePresentation.verified_count == 0)
            .values(verified_count=LicencePresentation.verified_count + 1)
            .returning(LicencePresentation.id)
            .execution_options(synchronize_session=False),
        )
        if consumed.scalar_one_or_none() is None:
            return sealing.Problem("replayed", "该出示为一次性使用，已被核验过，请持证人重新出示"), status
    else:
        await ctx.session.execute(
            update(LicencePresentation)
            .where(LicencePresentation.id == row.id)
            .values(verified_count=LicencePresentation.verified_count + 1)
            .execution_options(synchronize_session=False),
        )
    return None, status


async def verify_presentation(
    ctx: ServiceContext, document: dict[str, Any] | str | bytes, *, verifier: str | None = None, channel: str = "api"
) -> PresentationVerification:
    """核验 a presentation: offline checks, then consent, binding, status, expiry and replay. Never raises for bad input."""
    if isinstance(document, dict):
        parsed = document
    else:
        try:
            parsed = parse_json_object(document)
        except CanonicalisationError:
            return _audited(ctx, _result(sealing.Problem("malformed", "不是有效的 JSON 对象")), None)
    keys = await trust.trust_for_issuer(ctx, _issuer_uscc(parsed))
    checked = offline.check_presentation(parsed, keys)
    if isinstance(checked, sealing.Problem):
        return _audited(ctx, _result(checked), None)
    row = (await ctx.session.execute(select(LicencePresentation).where(LicencePresentation.public_id == checked.presentation_id))).scalar_one_or_none()
    if row is None:
        return _audited(ctx, _result(sealing.Problem("unknown_presentation", "平台没有该出示记录，无法确认持证人授权"), checked), None)
    problem, status = await _online_problem(ctx, checked, row, verifier)
    result = _result(problem, checked, status=status)
    _record_check(ctx, row, result, verifier, channel)
    return _audited(ctx, result, row)


async def verify_reference(ctx: ServiceContext, ref: str, *, verifier: str | None = None, channel: str = "page") -> PresentationVerification:
    """核验 by the QR link's id or the short code."""
    key = normalise_ref(ref)
    row = (
        await ctx.session.execute(select(LicencePresentation).where(or_(LicencePresentation.public_id == key, LicencePresentation.short_code == key)))
    ).scalar_one_or_none()
    if row is None:
        return _audited(ctx, _result(sealing.Problem("unknown_presentation", "未找到该出示，请核对出示码或重新扫码")), None)
    return await verify_presentation(ctx, _document(ctx, row), verifier=verifier, channel=channel)


def _record_check(ctx: ServiceContext, row: LicencePresentation, result: PresentationVerification, verifier: str | None, channel: str) -> None:
    actor = ctx.actor
    checked_by = None
    if actor is not None:
        checked_by = f"{actor.display_name}（{actor.organisation_name}）" if actor.organisation_name else actor.display_name
    ctx.session.add(
        LicencePresentationCheck(
            presentation_id=row.id,
            checked_at=result.checked_at,
            channel=channel if channel in {"page", "api"} else "api",
            verifier=(verifier or "").strip()[:120] or None,
            checked_by=checked_by[:160] if checked_by else None,
            valid=result.valid,
            code=result.code[:40],
        ),
    )


def _audited(ctx: ServiceContext, result: PresentationVerification, row: LicencePresentation | None) -> PresentationVerification:
    record(
        ctx.session,
        events.PRESENTATION_VERIFIED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=row.licence_id if row else None,
        result="success" if result.valid else "failure",
        details={"presentation": result.presentation_id, "identifier": result.identifier, "code": result.code},
    )
    return result


async def verify_any(ctx: ServiceContext, body: bytes) -> PresentationVerification:
    """``POST /api/v1/licences/verify``: whatever a verifier holds; never raises for bad input.

    Accepted: a presentation, a wrapped one (``{"presentation", "verifier"}``), a short code
    (``{"code", "verifier"}``), a sealed licence document or a licence VC.
    """
    try:
        parsed = parse_json_object(body)
    except CanonicalisationError:
        return _audited(ctx, _result(sealing.Problem("malformed", "不是有效的 JSON 对象")), None)
    declared = parsed.get("verifier") if isinstance(parsed.get("verifier"), str) else None
    if parsed.get("format") == offline.PRESENTATION_FORMAT:
        return await verify_presentation(ctx, parsed, verifier=declared)
    inner = parsed.get("presentation")
    if isinstance(inner, dict) and "format" not in parsed:
        return await verify_presentation(ctx, inner, verifier=declared)
    if isinstance(parsed.get("code"), str):
        return await verify_reference(ctx, parsed["code"], verifier=declared, channel="api")
    if parsed.get("format") == sealing.FORMAT:
        result = await services.verify_licence_document(ctx, parsed)
    elif "@context" in parsed:
        result = await services.verify_credential(ctx, parsed)
    else:
        return _audited(ctx, _result(sealing.Problem("format_unknown", "无法识别的核验数据：应为证照出示、电子证照或可验证凭证")), None)
    return PresentationVerification(**result.model_dump())
