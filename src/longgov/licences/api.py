"""Licences JSON API (``/api/v1/licences``): catalogue, wallet, issuing staff, status lists, verification, VC export."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from longgov.db import utcnow
from longgov.kernel.errors import NotFound, ValidationFailed
from longgov.licences import feeds, presentations, rotation, services, trust
from longgov.licences.catalogue import licence_types
from longgov.licences.credentials import context_document
from longgov.licences.schemas import (
    DisclosableField,
    ExternalImportResult,
    FeedPullResult,
    ImportReport,
    IssueRequest,
    LicenceHistoryEntry,
    LicenceTypeView,
    LicenceView,
    OrganisationSealsView,
    PresentationRequest,
    PresentationVerification,
    PresentationView,
    Renewal,
    ResealResult,
    SealRetireRequest,
    SealRotationRequest,
    SealRotationResult,
    StatusChange,
    StatusFeedInput,
    StatusFeedView,
    StatusView,
    TrustedIssuerInput,
    TrustedIssuerView,
    VerificationResult,
)
from longgov.security.permissions import Permission
from longgov.security.policy import LOGIN_REQUIRED, PUBLIC, require
from longgov.web.deps import Ctx

# Verifiers are other systems without a session (and so without a CSRF cookie): their POSTs are exempt.
PUBLIC_POST = {**PUBLIC, "exclude_from_csrf": True}
MAX_VERIFY_BYTES = 256 * 1024
MAX_REGISTER_BYTES = 20 * 1024 * 1024
LD_JSON = "application/ld+json"

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
StatusFilter = Annotated[str | None, QueryParameter(max_length=12, description="valid | suspended | revoked")]
TypeFilter = Annotated[str | None, QueryParameter(max_length=21)]
OrganisationFilter = Annotated[str | None, QueryParameter(max_length=40, description="机构代码，如 620102-market_regulation")]
_TRUST = require(Permission.LicencesTrustManage)


def parse_uuid(value: str, message: str, code: str) -> uuid.UUID:
    """A UUID from a path segment; NotFound when it is not one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(message, code=code) from None


async def _body(request: Request[Any, Any, Any]) -> bytes:
    body = await request.body()
    if len(body) > MAX_VERIFY_BYTES:
        raise ValidationFailed("提交的数据过大", code="payload_too_large")
    return body


class LicencesController(Controller):
    """电子证照."""

    path = "/api/v1/licences"
    tags = ["电子证照"]  # noqa: RUF012

    # --- public: catalogue, keys, status ---------------------------------------------------------

    @get("/types", operation_id="licencesTypes", opt=PUBLIC)
    async def types(self) -> list[LicenceTypeView]:
        """证照类型目录: type codes (GB/T 36902), defining departments, data items, trust levels."""
        return services.list_types()

    @get("/context/v1", operation_id="licencesContext", opt=PUBLIC, media_type=LD_JSON)
    async def context(self) -> dict[str, Any]:
        """The JSON-LD context of licence credentials."""
        return context_document([t.key for t in licence_types()])

    @get("/issuers/{issuer:str}", operation_id="licencesIssuer", opt=PUBLIC)
    async def issuer(self, ctx: Ctx, issuer: FromPath[str]) -> dict[str, Any]:
        """An issuer's controller document (its SM2 seal keys as Multikeys); ``platform``: the status-list key."""
        return await services.issuer_document(ctx, issuer[:40])

    @get("/status-list", operation_id="licencesStatusList", opt=PUBLIC)
    async def status_list(self, ctx: Ctx) -> Response[dict[str, Any]]:
        """吊销状态列表: suspended and revoked licences, signed by the platform."""
        return Response(await services.status_list(ctx), headers={"cache-control": "no-store"})

    @get("/status-lists/{purpose:str}", operation_id="licencesStatusListCredential", opt=PUBLIC)
    async def status_list_credential(self, ctx: Ctx, purpose: FromPath[str]) -> Response[dict[str, Any]]:
        """W3C BitstringStatusListCredential (``revocation`` or ``suspension``)."""
        return Response(await services.status_list_credential(ctx, purpose[:20]), headers={"cache-control": "no-store"})

    @get("/status/{identifier:str}", operation_id="licencesStatus", opt=PUBLIC)
    async def status(self, ctx: Ctx, identifier: FromPath[str]) -> StatusView:
        """The status of the licence an identifier (of any version) names."""
        return await services.revocation_status(ctx, identifier[:120])

    @post("/documents/verify", operation_id="licencesVerifyDocument", opt=PUBLIC_POST, status_code=200)
    async def verify_document(self, ctx: Ctx, request: Request[Any, Any, Any]) -> VerificationResult:
        """核验 a sealed licence JSON: always 200 with ``valid`` and, when false, a code and the reason."""
        return await services.verify_licence_document(ctx, await _body(request))

    @post("/credentials/verify", operation_id="licencesVerifyCredential", opt=PUBLIC_POST, status_code=200)
    async def verify_credential(self, ctx: Ctx, request: Request[Any, Any, Any]) -> VerificationResult:
        """核验 a licence Verifiable Credential (sm2-jcs-2026 proof, status, validity)."""
        return await services.verify_credential(ctx, await _body(request))

    @post("/verify", operation_id="licencesVerify", opt=PUBLIC_POST, status_code=200)
    async def verify(self, ctx: Ctx, request: Request[Any, Any, Any]) -> PresentationVerification:
        """核验 a presentation (or ``{"presentation", "verifier"}``, ``{"code", "verifier"}``), a sealed licence or a VC.

        Always 200 with ``{"valid", "code", "reason", …}``; a presentation shows only its disclosed fields.
        """
        body = await request.body()
        if len(body) > MAX_VERIFY_BYTES:
            return PresentationVerification(valid=False, code="payload_too_large", reason="提交的数据过大（不超过256KB）", checked_at=utcnow())
        return await presentations.verify_any(ctx, body)

    @get("/trust-list", operation_id="licencesTrustList", opt=PUBLIC)
    async def trust_list(self, ctx: Ctx) -> Response[dict[str, Any]]:
        """信任列表: the platform key, this platform's issuers' seal keys and the recognised external issuers, signed."""
        return Response(await trust.trust_list(ctx), headers={"cache-control": "no-store"})

    # --- mutual recognition: the external trust list ----------------------------------------------

    @get("/trusted-issuers", operation_id="licencesTrustedIssuers", opt=require(Permission.LicencesTrustManage))
    async def trusted_issuers(self, ctx: Ctx) -> list[TrustedIssuerView]:
        """互认信任列表: external issuers' keys."""
        return await trust.trusted_issuers(ctx)

    @post("/trusted-issuers", operation_id="licencesTrustedIssuerAdd", opt=require(Permission.LicencesTrustManage), status_code=201)
    async def add_trusted_issuer(self, ctx: Ctx, data: JSONBody[TrustedIssuerInput]) -> TrustedIssuerView:
        """Trust another province's issuer key."""
        return await trust.add_trusted_issuer(ctx, data)

    @post("/trusted-issuers/{issuer_ref:str}/retire", operation_id="licencesTrustedIssuerRetire", opt=require(Permission.LicencesTrustManage), status_code=200)
    async def retire_trusted_issuer(self, ctx: Ctx, issuer_ref: FromPath[str], data: JSONBody[StatusChange]) -> TrustedIssuerView:
        """Stop trusting a key."""
        issuer_id = parse_uuid(issuer_ref, "信任列表中没有该密钥", "trusted_issuer_not_found")
        return await trust.retire_trusted_issuer(ctx, issuer_id, data.reason)

    @get("/status-feeds", operation_id="licencesStatusFeeds", opt=_TRUST)
    async def status_feeds(self, ctx: Ctx) -> list[StatusFeedView]:
        """外省状态列表: where each external issuer publishes its signed status list, and the last pull."""
        return await feeds.status_feeds(ctx)

    @post("/trusted-issuers/{issuer_ref:str}/status-feed", operation_id="licencesStatusFeedSet", opt=_TRUST, status_code=200)
    async def set_status_feed(self, ctx: Ctx, issuer_ref: FromPath[str], data: JSONBody[StatusFeedInput]) -> StatusFeedView | None:
        """Set (or, with no ``url``, remove) an external issuer's status-list address (``issuer_ref``: its USCC)."""
        return await feeds.set_status_feed(ctx, issuer_ref, data.url)

    @post("/trusted-issuers/{issuer_ref:str}/status-feed/pull", operation_id="licencesStatusFeedPull", opt=_TRUST, status_code=200)
    async def pull_status_feed(self, ctx: Ctx, issuer_ref: FromPath[str]) -> FeedPullResult:
        """Pull an external issuer's status list now: accepted, or refused with a code and the reason (recorded)."""
        return await feeds.pull_feed_now(ctx, issuer_ref)

    # --- seal keys: rotation and retirement ----------------------------------------------------------

    @get("/seals", operation_id="licencesSeals", opt=_TRUST)
    async def seals(self, ctx: Ctx, organisation: OrganisationFilter = None) -> list[OrganisationSealsView]:
        """电子印章密钥: every issuing organisation's keys, their periods in force and what they sealed."""
        return await rotation.seal_overview(ctx, organisation)

    @post("/seals/{organisation_code:str}/rotate", operation_id="licencesSealRotate", opt=_TRUST, status_code=200)
    async def rotate_seal(self, ctx: Ctx, organisation_code: FromPath[str], data: JSONBody[SealRotationRequest]) -> SealRotationResult:
        """轮换: a new key signs from now on; the old one still verifies what it sealed (unless ``compromised``)."""
        return await rotation.rotate_seal(ctx, organisation_code, data.reason, compromised=data.compromised, reseal=data.reseal)

    @post("/seals/{organisation_code:str}/reseal", operation_id="licencesSealReseal", opt=_TRUST, status_code=200)
    async def reseal(self, ctx: Ctx, organisation_code: FromPath[str]) -> ResealResult:
        """Re-seal the current versions an organisation sealed with a compromised key (new versions)."""
        return await rotation.reseal_organisation(ctx, organisation_code)

    @post("/seal-keys/{key_id:str}/retire", operation_id="licencesSealKeyRetire", opt=_TRUST, status_code=200)
    async def retire_seal_key(self, ctx: Ctx, key_id: FromPath[str], data: JSONBody[SealRetireRequest]) -> SealRotationResult:
        """停用 a seal key as compromised: nothing it sealed verifies any more."""
        return await rotation.retire_seal_key(ctx, key_id, data.reason, reseal=data.reseal)

    # --- holders: presentations (用证) and imports from other provinces ------------------------------

    @post("/external", operation_id="licencesImportExternal", opt=require(Permission.LicencesOwnRead), status_code=200)
    async def import_external(self, ctx: Ctx, request: Request[Any, Any, Any]) -> ExternalImportResult:
        """导入外省签发的电子证照 (the sealed JSON as the body) into the holder's wallet."""
        return await trust.import_external_licence(ctx, await _body(request))

    @get("/presentations", operation_id="licencesPresentations", opt=require(Permission.LicencesOwnRead))
    async def my_presentations(self, ctx: Ctx, limit: Limit = 50) -> list[PresentationView]:
        """我的证照使用记录: presentations and who verified them."""
        return await presentations.my_presentations(ctx, limit=limit)

    @get("/presentations/{presentation_id:str}", operation_id="licencesPresentation", opt=require(Permission.LicencesOwnRead))
    async def presentation(self, ctx: Ctx, presentation_id: FromPath[str]) -> PresentationView:
        """One presentation with its signed JSON and its verifications."""
        return await presentations.presentation_detail(ctx, presentation_id)

    @post(
        "/presentations/{presentation_id:str}/withdraw", operation_id="licencesPresentationWithdraw", opt=require(Permission.LicencesOwnRead), status_code=200
    )
    async def withdraw(self, ctx: Ctx, presentation_id: FromPath[str]) -> PresentationView:
        """撤回: later verifications answer ``withdrawn``."""
        return await presentations.withdraw_presentation(ctx, presentation_id)

    @post("/{licence_ref:str}/presentations", operation_id="licencesPresent", opt=require(Permission.LicencesOwnRead), status_code=201)
    async def present(self, ctx: Ctx, licence_ref: FromPath[str], data: JSONBody[PresentationRequest]) -> PresentationView:
        """出示: a signed presentation of chosen fields for a purpose (QR link, short code)."""
        licence_id = services.parse_licence_id(licence_ref)
        return await presentations.create_presentation(ctx, licence_id, data)

    @get("/{licence_ref:str}/disclosable", operation_id="licencesDisclosable", opt=require(Permission.LicencesOwnRead))
    async def disclosable(self, ctx: Ctx, licence_ref: FromPath[str]) -> list[DisclosableField]:
        """The fields a holder may disclose (``always``: in every presentation)."""
        licence_id = services.parse_licence_id(licence_ref)
        return await presentations.disclosable_fields(ctx, licence_id)

    # --- holders: the wallet ------------------------------------------------------------------------

    @get("/mine", operation_id="licencesMine", opt=require(Permission.LicencesOwnRead))
    async def mine(self, ctx: Ctx) -> list[LicenceView]:
        """卡包: the licences of the signed-in person or enterprise."""
        return await services.my_licences(ctx)

    @get("/{licence_ref:str}", operation_id="licencesGet", opt=LOGIN_REQUIRED)
    async def get_licence(self, ctx: Ctx, licence_ref: FromPath[str]) -> LicenceView:
        """One licence for its holder or the issuing staff (personal items masked)."""
        licence_id = services.parse_licence_id(licence_ref)
        return await services.get_licence(ctx, licence_id)

    @get("/{licence_ref:str}/history", operation_id="licencesHistory", opt=LOGIN_REQUIRED)
    async def history(self, ctx: Ctx, licence_ref: FromPath[str]) -> list[LicenceHistoryEntry]:
        """Every change of a licence."""
        licence_id = services.parse_licence_id(licence_ref)
        return await services.licence_history(ctx, licence_id)

    @get("/{licence_ref:str}/document", operation_id="licencesDocument", opt=LOGIN_REQUIRED)
    async def document(self, ctx: Ctx, licence_ref: FromPath[str]) -> Response[dict[str, Any]]:
        """The sealed licence JSON (canonical claims + SM2 seal)."""
        licence_id = services.parse_licence_id(licence_ref)
        document = await services.licence_document(ctx, licence_id)
        return Response(document, headers={"cache-control": "no-store"})

    @get("/{licence_ref:str}/credential", operation_id="licencesCredential", opt=LOGIN_REQUIRED, media_type="application/vc+ld+json")
    async def credential(self, ctx: Ctx, licence_ref: FromPath[str]) -> Response[dict[str, Any]]:
        """The licence as a W3C Verifiable Credential 2.0 (sm2-jcs-2026 proof)."""
        licence_id = services.parse_licence_id(licence_ref)
        return Response(await services.export_credential(ctx, licence_id), headers={"cache-control": "no-store"}, media_type="application/vc+ld+json")

    @get("/{licence_ref:str}/pdf", operation_id="licencesPdf", opt=LOGIN_REQUIRED)
    async def pdf(self, ctx: Ctx, licence_ref: FromPath[str]) -> Response[bytes]:
        """The licence as PDF (seal image, QR code)."""
        licence_id = services.parse_licence_id(licence_ref)
        view, pdf = await services.licence_pdf(ctx, licence_id)
        disposition = f"attachment; filename=\"{view.id}.pdf\"; filename*=UTF-8''{quote(services.pdf_filename(view))}"
        return Response(content=pdf, media_type="application/pdf", headers={"content-disposition": disposition, "cache-control": "no-store"})

    # --- issuing staff ------------------------------------------------------------------------------

    @get("/issued", operation_id="licencesIssued", opt=require(Permission.LicencesIssuedRead))
    async def issued(self, ctx: Ctx, status: StatusFilter = None, type_code: TypeFilter = None, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
        """Licences issued in the staff member's department and region."""
        items, total = await services.issued_licences(ctx, status=status, type_code=type_code, limit=limit, offset=offset)
        return {"items": [i.model_dump(mode="json") for i in items], "total": total}

    @post("/", operation_id="licencesIssue", opt=require(Permission.LicencesIssuedManage), status_code=201)
    async def issue(self, ctx: Ctx, data: JSONBody[IssueRequest]) -> LicenceView:
        """Issue one licence in the name of the staff member's department."""
        return await services.issue_licence(
            ctx,
            data.type_code,
            data.issuer_code,
            data.holder,
            data.fields,
            number=data.number,
            issued_on=data.issued_on,
            valid_from=data.valid_from,
            valid_until=data.valid_until,
        )

    @post("/{licence_ref:str}/suspend", operation_id="licencesSuspend", opt=require(Permission.LicencesIssuedManage), status_code=200)
    async def suspend(self, ctx: Ctx, licence_ref: FromPath[str], data: JSONBody[StatusChange]) -> LicenceView:
        """暂停."""
        licence_id = services.parse_licence_id(licence_ref)
        return await services.suspend_licence(ctx, licence_id, data.reason)

    @post("/{licence_ref:str}/reinstate", operation_id="licencesReinstate", opt=require(Permission.LicencesIssuedManage), status_code=200)
    async def reinstate(self, ctx: Ctx, licence_ref: FromPath[str], data: JSONBody[StatusChange]) -> LicenceView:
        """恢复."""
        licence_id = services.parse_licence_id(licence_ref)
        return await services.reinstate_licence(ctx, licence_id, data.reason)

    @post("/{licence_ref:str}/revoke", operation_id="licencesRevoke", opt=require(Permission.LicencesIssuedManage), status_code=200)
    async def revoke(self, ctx: Ctx, licence_ref: FromPath[str], data: JSONBody[StatusChange]) -> LicenceView:
        """吊销 (final)."""
        licence_id = services.parse_licence_id(licence_ref)
        return await services.revoke_licence(ctx, licence_id, data.reason)

    @post("/{licence_ref:str}/reseal", operation_id="licencesReseal", opt=require(Permission.LicencesIssuedManage), status_code=200)
    async def reseal_licence(self, ctx: Ctx, licence_ref: FromPath[str], data: JSONBody[StatusChange]) -> LicenceView:
        """重新签章: a new version sealed with the issuer's current key (its seal key was retired)."""
        licence_id = services.parse_licence_id(licence_ref)
        return await rotation.reseal_licence(ctx, licence_id, data.reason)

    @post("/{licence_ref:str}/renew", operation_id="licencesRenew", opt=require(Permission.LicencesIssuedManage), status_code=200)
    async def renew(self, ctx: Ctx, licence_ref: FromPath[str], data: JSONBody[Renewal]) -> LicenceView:
        """延续: a new signed version with a later validity end."""
        licence_id = services.parse_licence_id(licence_ref)
        return await services.renew_licence(ctx, licence_id, data.valid_until, data.reason)

    @post("/imports", operation_id="licencesImport", opt=require(Permission.LicencesRegisterImport), status_code=200)
    async def import_register(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        type_code: Annotated[str, QueryParameter(min_length=1, max_length=60)],
        issuer: Annotated[str, QueryParameter(min_length=6, max_length=40)],
        filename: Annotated[str, QueryParameter(min_length=5, max_length=200, description="register.csv / register.xlsx")],
    ) -> ImportReport:
        """汇聚: import a register (the raw CSV or .xlsx as the body) with a row-level error report."""
        body = await request.body()
        if len(body) > MAX_REGISTER_BYTES:
            raise ValidationFailed("登记簿文件过大（不超过20MB）", code="payload_too_large")
        return await services.import_register(ctx, body, filename, type_code, issuer)
