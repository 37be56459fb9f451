"""电子印章密钥轮换与停用 — rotating and retiring issuing organisations' SM2 seal keys, re-sealing licences.

* **Rotate** (:func:`rotate_seal`): the organisation gets a new key pair (new key id) that signs from
  now on. The old key stops signing: its row is retired (``retired_at``, reason, who) and its private
  half destroyed, but it stays registered, so everything it sealed while in force still verifies,
  online and offline (trust lists and issuer documents list every key with its validity).
* **Retire as compromised** (:func:`retire_seal_key`, or a rotation with ``compromised``): nothing the
  key signed verifies any more — sealed documents, credentials and presentations answer
  ``seal_key_compromised``; the exported trust list moves it to ``revokedKeys``. The licences whose
  current version it sealed are listed to re-seal; :func:`reseal_organisation` (by default right away)
  gives each one a new version sealed with the active key, in its history as 重新签章. The old
  versions are then superseded; holders present the new version.

Key management is the security administrator's (``licences:trust:manage``), or the system's (CLI
``longgov licences rotate-seal``); re-sealing one licence is also open to the issuing department's
staff (``licences:issued:manage`` in its region). Every change is audited.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Final

from sqlalchemy import func, select

from longgov.db import utcnow
from longgov.identity import services as identity
from longgov.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from longgov.licences import events
from longgov.licences.catalogue import government_uscc, type_by_code
from longgov.licences.models import Licence, LicenceVersion, SealKey
from longgov.licences.schemas import SEAL_STATES, LicenceView, OrganisationSealsView, ResealResult, SealKeyView, SealRotationResult
from longgov.licences.seals import Seal, SealOwner, seal_of_row, seal_provider
from longgov.licences.services import (
    FLUSH_EVERY,
    Content,
    Issuer,
    _current_version,
    _document_of,
    _history,
    _load,
    _seal_version,
    _staff_may,
    _view,
)
from longgov.licences.trust import fingerprint
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.permissions import Permission

MIN_REASON: Final = 2
MAX_REASON: Final = 500
RESEAL_REASON: Final = "签章密钥停用后以新密钥重新签章"


def _require_key_manager(ctx: ServiceContext) -> None:
    actor = ctx.actor
    if actor is not None and not actor.has(Permission.LicencesTrustManage):
        raise PermissionDenied("无权管理电子印章密钥", code="permission_denied")


def _check_reason(reason: str) -> str:
    text = reason.strip()
    if not MIN_REASON <= len(text) <= MAX_REASON:
        raise ValidationFailed("请填写理由（2至500字）", code="reason_required", details={"reason": "请填写理由"})
    return text


async def _owner(ctx: ServiceContext, organisation_code: str) -> tuple[SealOwner, str, str | None]:
    """The organisation's seal owner, its division and department kind."""
    org = await identity.get_organisation_by_code(ctx.session, organisation_code.strip()[:40])
    if org is None:
        raise NotFound("机构不存在", code="organisation_not_found")
    return SealOwner(org.code, government_uscc(org.code, org.division_code), org.name), org.division_code, org.department_kind


def _actor_name(ctx: ServiceContext) -> str:
    actor = ctx.actor
    return actor.display_name[:120] if actor is not None else "系统"


# --- reading -------------------------------------------------------------------------------------------


def _key_view(row: SealKey, versions: int, current: int) -> SealKeyView:
    seal = seal_of_row(row)
    return SealKeyView(
        key_id=row.key_id,
        fingerprint=fingerprint(row.key_id),
        state=seal.state,
        state_title=SEAL_STATES[seal.state],
        valid_from=row.created_at,
        valid_until=row.retired_at,
        compromised_at=row.compromised_at,
        retire_reason=row.retire_reason,
        retired_by=row.retired_by,
        versions=versions,
        current=current,
    )


async def seal_overview(ctx: ServiceContext, organisation_code: str | None = None) -> list[OrganisationSealsView]:
    """Every organisation's seal keys (newest first) with what each sealed; audited as a listing."""
    _require_key_manager(ctx)
    query = select(SealKey).order_by(SealKey.organisation_name, SealKey.organisation_code, SealKey.created_at.desc())
    if organisation_code:
        query = query.where(SealKey.organisation_code == organisation_code.strip()[:40])
    rows = (await ctx.session.execute(query)).scalars().all()
    versions = dict(
        (await ctx.session.execute(select(LicenceVersion.seal_key_id, func.count()).group_by(LicenceVersion.seal_key_id))).tuples().all(),
    )
    current_query = (
        select(LicenceVersion.seal_key_id, func.count())
        .join(Licence, (Licence.id == LicenceVersion.licence_id) & (Licence.version == LicenceVersion.version))
        .where(Licence.status != "revoked")
        .group_by(LicenceVersion.seal_key_id)
    )
    current = dict((await ctx.session.execute(current_query)).tuples().all())
    groups: dict[str, OrganisationSealsView] = {}
    for row in rows:
        group = groups.setdefault(
            row.organisation_code,
            OrganisationSealsView(
                organisation_code=row.organisation_code,
                organisation_name=row.organisation_name,
                organisation_uscc=row.organisation_uscc,
                keys=[],
                to_reseal=0,
            ),
        )
        view = _key_view(row, int(versions.get(row.key_id, 0)), int(current.get(row.key_id, 0)))
        group.keys.append(view)
        if view.state == "compromised":
            group.to_reseal += view.current
    record(ctx.session, events.SEAL_LISTED, actor=ctx.actor, meta=ctx.meta, subject_type="seal", details={"keys": len(rows)})
    return list(groups.values())


async def licence_seal(ctx: ServiceContext, licence_id: uuid.UUID) -> Seal | None:
    """The seal of a licence's current version (None for licences sealed elsewhere); the caller has checked access."""
    licence = await _load(ctx, licence_id)
    query = select(SealKey).join(LicenceVersion, LicenceVersion.seal_key_id == SealKey.key_id)
    query = query.where(LicenceVersion.licence_id == licence.id, LicenceVersion.version == licence.version)
    row = (await ctx.session.execute(query)).scalar_one_or_none()
    return None if row is None else seal_of_row(row)


# --- rotating and retiring -------------------------------------------------------------------------------


async def rotate_seal(ctx: ServiceContext, organisation_code: str, reason: str, *, compromised: bool = False, reseal: bool = True) -> SealRotationResult:
    """轮换: a new key pair signs from now on; the old one is retired (compromised: trusted for nothing). Audited."""
    _require_key_manager(ctx)
    text = _check_reason(reason)
    owner, _, _ = await _owner(ctx, organisation_code)
    # Row lock: a concurrent rotation of the same organisation waits, then finds the new key active.
    query = select(SealKey).where(SealKey.organisation_code == owner.code, SealKey.active.is_(True)).with_for_update()
    row = (await ctx.session.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{owner.name}尚未启用电子印章，无需轮换", code="seal_not_found")
    now = utcnow()
    row.active, row.retired_at, row.retire_reason, row.retired_by = False, now, text, _actor_name(ctx)
    row.private_key_cipher = None  # a retired key never signs again
    if compromised:
        row.compromised_at = now
    await ctx.session.flush()
    new = await seal_provider(ctx.platform).create_seal(ctx.session, SealOwner(owner.code, row.organisation_uscc, owner.name))
    record(
        ctx.session,
        events.SEAL_ROTATED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="seal",
        subject_id=owner.code,
        details={"organisation": owner.code, "retired_key": row.key_id, "new_key": new.key_id, "compromised": compromised, "reason": text},
    )
    if compromised:
        _record_compromise(ctx, row, text)
    resealed = (await reseal_organisation(ctx, owner.code)).resealed if compromised and reseal else 0
    return SealRotationResult(
        organisation_code=owner.code,
        organisation_name=owner.name,
        retired_key_id=row.key_id,
        new_key_id=new.key_id,
        compromised=compromised,
        resealed=resealed,
    )


def _record_compromise(ctx: ServiceContext, row: SealKey, reason: str) -> None:
    record(
        ctx.session,
        events.SEAL_RETIRED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="seal",
        subject_id=row.organisation_code,
        details={"organisation": row.organisation_code, "key_id": row.key_id, "reason": reason},
    )


async def retire_seal_key(ctx: ServiceContext, key_id: str, reason: str, *, reseal: bool = True) -> SealRotationResult:
    """停用 a seal key as compromised: the active key is rotated first; a rotated one is flagged. Audited."""
    _require_key_manager(ctx)
    text = _check_reason(reason)
    row = (await ctx.session.execute(select(SealKey).where(SealKey.key_id == key_id.strip().lower()[:64]).with_for_update())).scalar_one_or_none()
    if row is None:
        raise NotFound("印章密钥不存在", code="seal_key_not_found")
    if row.compromised_at is not None:
        raise Conflict("该印章密钥已停用", code="seal_key_compromised")
    if row.active:
        return await rotate_seal(ctx, row.organisation_code, text, compromised=True, reseal=reseal)
    row.compromised_at = utcnow()
    row.retire_reason = f"{row.retire_reason}；{text}" if row.retire_reason else text
    row.retired_by = _actor_name(ctx)
    await ctx.session.flush()
    _record_compromise(ctx, row, text)
    resealed = (await reseal_organisation(ctx, row.organisation_code)).resealed if reseal else 0
    return SealRotationResult(
        organisation_code=row.organisation_code,
        organisation_name=row.organisation_name,
        retired_key_id=row.key_id,
        new_key_id=None,
        compromised=True,
        resealed=resealed,
    )


# --- re-sealing ------------------------------------------------------------------------------------------


async def _reseal(ctx: ServiceContext, licence: Licence, reason: str) -> None:
    """A new version with the same content, sealed with the issuer's active key."""
    licence_type = type_by_code(licence.type_code)
    assert licence_type is not None  # noqa: S101 - types are never removed
    claims = _document_of(ctx, await _current_version(ctx, licence))["licence"]
    until = claims.get("validUntil")
    content = Content(
        number=str(claims["number"]),
        holder_kind=licence.holder_kind,
        holder_name=str(claims["holder"]["name"]),
        holder_id_number=str(claims["holder"]["idNumber"]),
        issued_on=date.fromisoformat(str(claims["issuedOn"])),
        valid_from=date.fromisoformat(str(claims["validFrom"])),
        valid_until=date.fromisoformat(str(until)) if until else None,
        fields={str(k): str(v) for k, v in (claims.get("data") or {}).items()},
    )
    issuer = Issuer(licence.issuer_code, licence.issuer_name, licence.issuer_uscc, licence.division_code, licence.department_kind)
    previous = licence.identifier
    licence.version += 1
    version = await _seal_version(ctx, licence, licence_type, issuer, content, reason="reseal")
    _history(ctx, licence, "reseal", reason, previous=previous, seal_key=version.seal_key_id)
    record(
        ctx.session,
        events.LICENCE_RESEALED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"identifier": licence.identifier, "previous": previous, "seal_key": version.seal_key_id},
    )


def _department_staff(ctx: ServiceContext, division_code: str, department_kind: str | None) -> bool:
    """Staff who manage the organisation's licences in its region."""
    actor = ctx.actor
    return actor is not None and actor.has(Permission.LicencesIssuedManage) and _staff_may(actor, division_code, department_kind)


async def reseal_organisation(ctx: ServiceContext, organisation_code: str) -> ResealResult:
    """Re-seal every current version (not revoked) an organisation sealed with a compromised key; audited per licence."""
    owner, division, kind = await _owner(ctx, organisation_code)
    actor = ctx.actor
    if actor is not None and not actor.has(Permission.LicencesTrustManage) and not _department_staff(ctx, division, kind):
        raise PermissionDenied("无权为该机构重新签章", code="permission_denied")
    compromised = select(SealKey.key_id).where(SealKey.organisation_code == owner.code, SealKey.compromised_at.is_not(None))
    query = (
        select(Licence)
        .join(LicenceVersion, (LicenceVersion.licence_id == Licence.id) & (LicenceVersion.version == Licence.version))
        .where(Licence.issuer_code == owner.code, Licence.status != "revoked", LicenceVersion.seal_key_id.in_(compromised))
        .order_by(Licence.created_at, Licence.id)
    )
    licences = (await ctx.session.execute(query)).scalars().all()
    for done, licence in enumerate(licences, start=1):
        await _reseal(ctx, licence, RESEAL_REASON)
        if done % FLUSH_EVERY == 0:
            await ctx.session.flush()
    await ctx.session.flush()
    return ResealResult(organisation_code=owner.code, resealed=len(licences))


async def reseal_licence(ctx: ServiceContext, licence_id: uuid.UUID, reason: str = RESEAL_REASON) -> LicenceView:
    """Re-seal one licence whose current version a retired or compromised key sealed (issuing staff or key manager)."""
    text = _check_reason(reason)
    licence = await _load(ctx, licence_id)
    actor = ctx.actor
    allowed = actor is None or actor.has(Permission.LicencesTrustManage) or _department_staff(ctx, licence.division_code, licence.department_kind)
    if not allowed or licence.source == "external":
        raise NotFound("证照不存在", code="licence_not_found")
    if licence.status == "revoked":
        raise Conflict("已吊销的证照不能重新签章", code="licence_status_conflict")
    seal = await licence_seal(ctx, licence.id)
    if seal is not None and seal.state == "active":
        raise Conflict("该证照已使用现行印章密钥签章，无需重新签章", code="licence_seal_current")
    await _reseal(ctx, licence, text)
    await ctx.session.flush()
    return _view(ctx, licence, None)
