"""Services outside government that a bundle sets in motion (联动办理): 水电气网联动过户 after 不动产转移登记.

When the transfer registration of a 二手房转移登记 bundle is granted, the accounts the applicant named in
the guide move to the new owner through :class:`~longgov.onething.utilities.UtilityTransferGateway`. The
request is sent after the grant's unit of work commits (an outside system must never hear of a grant that
was rolled back); its answer is written to the case timeline in a unit of work of its own.
"""

from __future__ import annotations

import logging
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from longgov.db import after_commit, utcnow
from longgov.kernel.errors import AppError
from longgov.licences import services as licences
from longgov.onething import events
from longgov.onething.models import BundleCase, BundleCaseEvent
from longgov.onething.utilities import (
    UTILITIES,
    UTILITY_TITLES,
    OutboxUtilityGateway,
    TransferOutcome,
    TransferRequest,
    UtilityTransferGateway,
    transfer_request_from,
)
from longgov.platform import Platform, ServiceContext
from longgov.security.audit.service import record
from longgov.storage import storage_for

if TYPE_CHECKING:
    from collections.abc import Sequence

log = logging.getLogger(__name__)

# 不动产转移登记: the item whose grant moves the utilities.
PROPERTY_TRANSFER_ITEM: Final = "620B0035000000"
# Platforms are unhashable dataclasses: keyed by id, with a weak reference guarding against a reused id.
_gateways: dict[int, tuple[weakref.ref[Platform], UtilityTransferGateway]] = {}


def gateway(platform: Platform) -> UtilityTransferGateway:
    """The utilities' gateway of this process: the local outbox unless another was installed."""
    entry = _gateways.get(id(platform))
    if entry is not None and entry[0]() is platform:
        return entry[1]
    found = OutboxUtilityGateway(storage_for(platform.settings), platform.codec)
    install_gateway(platform, found)
    return found


def install_gateway(platform: Platform, utilities: UtilityTransferGateway) -> None:
    """Use another gateway (a utility's real interface, or a test's) for this platform."""
    _gateways[id(platform)] = (weakref.ref(platform), utilities)


def requested_utilities(answers: Mapping[str, Any]) -> list[str]:
    """The utilities whose transfer the applicant asked for in the guide."""
    return [u for u in UTILITIES if answers.get(f"transfer_{u}") is True]


def check_request(form: Mapping[str, Any], answers: Mapping[str, Any], basic_codes: Sequence[str]) -> None:
    """At submission: a bundle asking for transfers carries what they need (a 422 naming the missing account numbers)."""
    if PROPERTY_TRANSFER_ITEM in basic_codes and requested_utilities(answers):
        transfer_request_from(form, answers, reference="check", registered_on=utcnow().date())


@dataclass(frozen=True)
class _Pending:
    case_id: uuid.UUID
    number: str
    request: TransferRequest


async def after_grant(ctx: ServiceContext, case: BundleCase, form: Mapping[str, Any], application_id: uuid.UUID | None) -> None:
    """The transfer registration was granted: build the request now, send it once the grant has committed."""
    if case.number is None or not requested_utilities(case.answers):
        return
    certificate = ""
    if application_id is not None:
        issued = await licences.licences_for_application(ctx, application_id)
        certificate = issued[0][0].number if issued else ""
    try:
        request = transfer_request_from(form, case.answers, reference=f"{case.number}-utilities", registered_on=utcnow().date(), certificate_number=certificate)
    except AppError as exc:
        # The form was checked at submission; a bundle version published since may ask for more.
        _event(ctx, case.id, "utilities_not_sent", "联动过户未能发起", reason=exc.message)
        return
    if request is None:
        return
    names = "、".join(UTILITY_TITLES[a.utility] for a in request.accounts)
    _event(ctx, case.id, "utilities_requested", f"已向{names}单位发起联动过户", accounts=len(request.accounts))
    pending = _Pending(case.id, case.number, request)
    platform = ctx.platform

    async def send() -> None:
        await _send(platform, pending)

    after_commit(ctx.session, send)


async def _send(platform: Platform, pending: _Pending) -> None:
    try:
        outcome = await gateway(platform).request_transfer(pending.request)
    except Exception:
        # The case's reconcile job does not resend: a utility's outage is for staff to follow up, visibly.
        log.exception("bundle case %s: utility transfer request failed", pending.number)
        outcome = None
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        _record_outcome(ctx, pending, outcome)


def _record_outcome(ctx: ServiceContext, pending: _Pending, outcome: TransferOutcome | None) -> None:
    if outcome is None:
        _event(ctx, pending.case_id, "utilities_unreachable", "公用事业单位暂时无法接收过户申请，工作人员将跟进处理")
        results: list[dict[str, str]] = []
    else:
        results = [{"utility": r.utility, "status": r.status, "reason_code": r.reason_code or ""} for r in outcome.results]
        for r in outcome.results:
            if r.status == "accepted":
                _event(ctx, pending.case_id, "utility_transferred", f"{r.utility_title}户已过户至新产权人", utility=r.utility, ticket=r.provider_reference)
            else:
                _event(ctx, pending.case_id, "utility_refused", f"{r.utility_title}户未能过户：{r.reason or '请联系该单位'}", utility=r.utility)
    record(
        ctx.session,
        events.CASE_UTILITIES,
        actor=None,
        meta=ctx.meta,
        subject_type="bundle_case",
        subject_id=pending.number,
        result="success" if outcome is not None else "failure",
        details={"results": results},
    )


def _event(ctx: ServiceContext, case_id: uuid.UUID, step: str, title: str, **details: Any) -> None:  # noqa: ANN401
    ctx.session.add(BundleCaseEvent(case_id=case_id, step=step, title=title[:200], item_name="不动产转移登记", occurred_at=utcnow(), details=details))
