"""水电气网联动过户 — moving a property's utility accounts to its new owner after 不动产转移登记.

:class:`UtilityTransferGateway` is the interface to the utilities (供水、供电、燃气、宽带 companies, or the
city's joint utility platform in front of them): one request per registered transfer names the property
(不动产单元号, 坐落), the previous and the new owner and the accounts to move; the answer is one result per
account, accepted or refused with the utility's reason (欠费, unknown account, another address …).
Requests are idempotent by ``reference`` (a retry after a lost answer must not transfer twice).

:class:`OutboxUtilityGateway` is the local implementation (demo, tests, single-host installs). It plays the
utilities' side from a ledger of accounts kept in the object store (``utilities/accounts/<utility>/<number>.json``:
address, holder, outstanding balance), which the local install maintains with :meth:`~OutboxUtilityGateway.open_account`
and :meth:`~OutboxUtilityGateway.record_payment`, and it writes every request with its results to an outbox
(``utilities/outbox/<digest of reference>.json``). Holders' names, ID numbers and the contact phone are stored
encrypted with the platform's :class:`~longgov.security.pii.PiiCodec`, with a blind index and a masked copy.
Production replaces it with an HTTP client of the joint platform implementing the same Protocol.

:func:`transfer_request_from` builds a request from the 不动产转移登记 form (620B0035000000) and the
guide's ``transfer_<utility>`` answers of the 二手房转移登记及水电气网联动过户 bundle.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal, Protocol, Self

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from longgov.identity.schemas import StrictModel
from longgov.kernel.errors import Conflict, NotFound, ValidationFailed
from longgov.security.pii import PiiCodec, mask_middle, mask_name, mask_phone
from longgov.storage import ObjectNotFound, ObjectStorage

Utility = Literal["water", "electricity", "gas", "broadband"]
UTILITIES: tuple[Utility, ...] = ("water", "electricity", "gas", "broadband")
UTILITY_TITLES: dict[str, str] = {"water": "供水", "electricity": "供电", "gas": "燃气", "broadband": "宽带"}
# What each utility calls the account number (shown in messages).
ACCOUNT_TITLES: dict[str, str] = {"water": "供水户号", "electricity": "供电户号", "gas": "燃气户号", "broadband": "宽带账号"}
Status = Literal["accepted", "refused"]
RefusalCode = Literal["account_not_found", "address_mismatch", "arrears"]

ACCOUNT_PATTERN = r"^[0-9A-Za-z-]{4,30}$"
UNIT_NUMBER_PATTERN = r"^[0-9]{12}[A-Z]{2}[0-9]{5}[A-Z][0-9]{8}$"
PARTY_ID_PATTERN = r"^([0-9]{17}[0-9X]|[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10})$"
_CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
_PREFIX = "utilities"


class Party(StrictModel):
    """An owner: a person (公民身份号码) or a business (统一社会信用代码)."""

    name: str = Field(min_length=2, max_length=100)
    id_number: str = Field(pattern=PARTY_ID_PATTERN)


class AccountRef(StrictModel):
    """One account to move: which utility and its account number (户号)."""

    utility: Utility
    account_number: str = Field(pattern=ACCOUNT_PATTERN)

    @field_validator("account_number")
    @classmethod
    def _canonical(cls, value: str) -> str:
        # Utilities print account numbers in upper case; a lower-case entry is the same account.
        return value.upper()


class TransferRequest(StrictModel):
    """过户申请 — sent once the transfer registration is granted."""

    reference: str = Field(min_length=4, max_length=100)  # the bundle case or application number (opaque)
    unit_number: str = Field(pattern=UNIT_NUMBER_PATTERN)  # 不动产单元号
    location: str = Field(min_length=5, max_length=200)  # 坐落
    certificate_number: str = Field(default="", max_length=60)  # the new 不动产权证书号, when issued
    registered_on: date
    previous_owner: Party
    new_owner: Party
    contact_phone: str = Field(pattern=r"^1[3-9][0-9]{9}$")
    accounts: list[AccountRef] = Field(min_length=1, max_length=len(UTILITIES))

    @model_validator(mode="after")
    def _one_account_per_utility(self) -> Self:
        utilities = [a.utility for a in self.accounts]
        if len(set(utilities)) != len(utilities):
            msg = "每类公用事业只能填写一个户号"
            raise ValueError(msg)
        return self


class TransferResult(BaseModel):
    """One utility's answer about one account."""

    utility: Utility
    utility_title: str
    account_number: str
    status: Status
    reason_code: RefusalCode | None = None
    reason: str = ""  # Chinese, for the applicant
    outstanding: str | None = None  # amount in 元 when refused for arrears
    provider_reference: str | None = None  # the utility's ticket number when accepted
    effective_on: date | None = None


class TransferOutcome(BaseModel):
    """All answers to one request."""

    reference: str
    received_at: datetime
    results: list[TransferResult]

    @property
    def all_accepted(self) -> bool:
        """Whether every account was transferred."""
        return all(r.status == "accepted" for r in self.results)

    @property
    def refused(self) -> list[TransferResult]:
        """The accounts the utilities refused, with their reasons."""
        return [r for r in self.results if r.status == "refused"]


class UtilityAccount(BaseModel):
    """An account as the local ledger holds it (personal data masked)."""

    utility: Utility
    account_number: str
    provider: str
    unit_number: str
    location: str
    holder_name_masked: str
    outstanding: str


class UtilityTransferGateway(Protocol):
    """Sends transfer requests to the utilities and reads their answers."""

    async def request_transfer(self, request: TransferRequest) -> TransferOutcome:
        """Ask every utility of the request to move its account to the new owner; one result per account.

        Idempotent by ``request.reference``: the same request again returns the first answer; a different
        request under a used reference raises :class:`~longgov.kernel.errors.Conflict`.
        """
        ...

    async def outcome(self, reference: str) -> TransferOutcome | None:
        """The answer to an earlier request, None if none was sent under this reference."""
        ...


def _ref(utility: str, account_number: str) -> AccountRef:
    try:
        return AccountRef.model_validate({"utility": utility, "account_number": account_number})
    except ValidationError as exc:
        raise ValidationFailed("户号应为4至30位字母、数字或短横线", code="utility_account_invalid", details={"account_number": "格式不正确"}) from exc


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


class OutboxUtilityGateway:
    """Local utilities: an account ledger and a request outbox as JSON objects in the object store."""

    def __init__(self, storage: ObjectStorage, codec: PiiCodec, *, clock: Callable[[], datetime] | None = None) -> None:
        self._storage = storage
        self._codec = codec
        self._clock = clock or (lambda: datetime.now(UTC))
        # One local ledger: requests touching the same accounts run one after another.
        self._lock = asyncio.Lock()

    # --- the stored JSON ----------------------------------------------------------------------------

    @staticmethod
    def _account_key(utility: str, account_number: str) -> str:
        return f"{_PREFIX}/accounts/{utility}/{account_number.lower()}.json"

    @staticmethod
    def _outbox_key(reference: str) -> str:
        return f"{_PREFIX}/outbox/{_digest(reference)}.json"

    async def _read(self, key: str) -> dict[str, Any] | None:
        try:
            raw = await self._storage.get(key)
        except ObjectNotFound:
            return None
        data: dict[str, Any] = json.loads(raw)
        return data

    async def _write(self, key: str, data: Mapping[str, Any]) -> None:
        await self._storage.put(key, json.dumps(data, ensure_ascii=False, sort_keys=True).encode(), content_type="application/json")

    def _sealed(self, field: str, value: str) -> str:
        return base64.b64encode(self._codec.encrypt(field, value)).decode()

    def _party(self, party: Party) -> dict[str, str]:
        return {
            "name_masked": mask_name(party.name),
            "name_cipher": self._sealed("utility_holder_name", party.name),
            "id_index": self._codec.index("utility_holder_id", party.id_number),
            "id_cipher": self._sealed("utility_holder_id", party.id_number),
        }

    # --- the ledger (what the utilities know) ---------------------------------------------------------

    async def open_account(
        self,
        utility: Utility,
        account_number: str,
        *,
        provider: str,
        unit_number: str,
        location: str,
        holder: Party,
        outstanding: Decimal = Decimal(0),
    ) -> UtilityAccount:
        """Register an account in the local ledger (demo data, tests); replaces one with the same number."""
        ref = _ref(utility, account_number)
        if outstanding < 0:
            raise ValidationFailed("欠费金额不能为负数", details={"outstanding": "不能为负数"})
        record = {
            "utility": utility,
            "account_number": ref.account_number,
            "provider": provider,
            "unit_number": unit_number,
            "location": location,
            "holder": self._party(holder),
            "outstanding": _money(outstanding),
            "updated_at": self._clock().isoformat(),
        }
        async with self._lock:
            await self._write(self._account_key(utility, ref.account_number), record)
        return self._view(record)

    async def record_payment(self, utility: Utility, account_number: str, amount: Decimal) -> UtilityAccount:
        """A payment against the account's arrears (缴清欠费后可以过户)."""
        if amount <= 0:
            raise ValidationFailed("缴费金额应大于0", details={"amount": "应大于0"})
        ref = _ref(utility, account_number)
        async with self._lock:
            key = self._account_key(utility, ref.account_number)
            record = await self._read(key)
            if record is None:
                raise NotFound(f"未找到{ACCOUNT_TITLES[utility]} {ref.account_number}", code="utility_account_not_found")
            left = max(Decimal(record["outstanding"]) - amount, Decimal(0))
            record.update(outstanding=_money(left), updated_at=self._clock().isoformat())
            await self._write(key, record)
        return self._view(record)

    async def account(self, utility: Utility, account_number: str) -> UtilityAccount | None:
        """An account of the local ledger, None if there is none."""
        ref = _ref(utility, account_number)
        record = await self._read(self._account_key(utility, ref.account_number))
        return None if record is None else self._view(record)

    async def holder_id_matches(self, utility: Utility, account_number: str, id_number: str) -> bool:
        """Whether the account is now held by the owner with this ID number (compared by blind index)."""
        ref = _ref(utility, account_number)
        record = await self._read(self._account_key(utility, ref.account_number))
        return record is not None and record["holder"]["id_index"] == self._codec.index("utility_holder_id", id_number)

    @staticmethod
    def _view(record: Mapping[str, Any]) -> UtilityAccount:
        return UtilityAccount(
            utility=record["utility"],
            account_number=record["account_number"],
            provider=record["provider"],
            unit_number=record["unit_number"],
            location=record["location"],
            holder_name_masked=record["holder"]["name_masked"],
            outstanding=record["outstanding"],
        )

    # --- the gateway --------------------------------------------------------------------------------------

    def _fingerprint(self, request: TransferRequest) -> str:
        # Compares requests under one reference without keeping their personal data in the clear.
        return self._codec.index("utility_transfer_request", request.model_dump_json())

    async def request_transfer(self, request: TransferRequest) -> TransferOutcome:
        """Answer each account from the ledger; accepted accounts pass to the new owner. Written to the outbox."""
        async with self._lock:
            key = self._outbox_key(request.reference)
            earlier = await self._read(key)
            if earlier is not None:
                if earlier["fingerprint"] != self._fingerprint(request):
                    raise Conflict("该申请已发送过内容不同的过户请求", code="utility_transfer_reference_used", details={"reference": request.reference})
                return TransferOutcome.model_validate(earlier["outcome"])
            now = self._clock()
            results = [await self._answer(request, ref, now) for ref in request.accounts]
            outcome = TransferOutcome(reference=request.reference, received_at=now, results=results)
            await self._write(
                key,
                {
                    "fingerprint": self._fingerprint(request),
                    "request": {
                        "reference": request.reference,
                        "unit_number": request.unit_number,
                        "location": request.location,
                        "certificate_number": request.certificate_number,
                        "registered_on": request.registered_on.isoformat(),
                        "previous_owner": self._party(request.previous_owner),
                        "new_owner": self._party(request.new_owner),
                        "contact_phone_masked": mask_phone(request.contact_phone),
                        "contact_phone_cipher": self._sealed("phone", request.contact_phone),
                        "accounts": [a.model_dump() for a in request.accounts],
                    },
                    "outcome": outcome.model_dump(mode="json"),
                },
            )
            return outcome

    async def outcome(self, reference: str) -> TransferOutcome | None:
        """The stored answer to an earlier request."""
        earlier = await self._read(self._outbox_key(reference))
        return None if earlier is None else TransferOutcome.model_validate(earlier["outcome"])

    async def _answer(self, request: TransferRequest, ref: AccountRef, now: datetime) -> TransferResult:
        title = ACCOUNT_TITLES[ref.utility]
        base = {"utility": ref.utility, "utility_title": UTILITY_TITLES[ref.utility], "account_number": ref.account_number}
        account_key = self._account_key(ref.utility, ref.account_number)
        record = await self._read(account_key)
        if record is None:
            return TransferResult(**base, status="refused", reason_code="account_not_found", reason=f"未找到{title}{ref.account_number}，请核对后重新申请")
        if record["unit_number"] != request.unit_number:
            reason = f"{title}{ref.account_number}登记的地址（{mask_middle(record['location'], 6, 0)}）与过户房屋不一致，请核对户号"
            return TransferResult(**base, status="refused", reason_code="address_mismatch", reason=reason)
        outstanding = Decimal(record["outstanding"])
        if outstanding > 0:
            reason = f"该户尚有欠费{_money(outstanding)}元，请原产权人结清后重新申请过户"
            return TransferResult(**base, status="refused", reason_code="arrears", reason=reason, outstanding=_money(outstanding))
        today = now.astimezone(_CHINA).date()
        ticket = f"{ref.utility[:1].upper()}{today:%Y%m%d}{_digest(request.reference + ref.account_number)[:8].upper()}"
        record.update(holder=self._party(request.new_owner), updated_at=now.isoformat(), last_transfer=ticket)
        await self._write(account_key, record)
        return TransferResult(
            **base, status="accepted", reason=f"{UTILITY_TITLES[ref.utility]}已过户至新产权人名下", provider_reference=ticket, effective_on=today
        )


# --- from the bundle -------------------------------------------------------------------------------------


def transfer_request_from(
    form: Mapping[str, Any],
    answers: Mapping[str, object],
    *,
    reference: str,
    registered_on: date,
    certificate_number: str = "",
) -> TransferRequest | None:
    """The transfer request of a 不动产转移登记 form (620B0035000000) for the utilities the guide asked for.

    The accounts are those whose ``transfer_<utility>`` answer is yes; None when no utility was asked for.
    A yes without the account number, or a form without the property and parties, is refused here.
    """
    wanted = [u for u in UTILITIES if answers.get(f"transfer_{u}") is True]
    if not wanted:
        return None
    missing = {f"{u}_account_number": "请填写需要过户的户号" for u in wanted if not str(form.get(f"{u}_account_number") or "").strip()}
    if missing:
        raise ValidationFailed("选择联动过户的公用事业须填写户号", code="utility_account_missing", details=missing)
    raw = {
        "reference": reference,
        "unit_number": form.get("unit_number"),
        "location": form.get("location"),
        "certificate_number": certificate_number,
        "registered_on": registered_on,
        "previous_owner": {"name": form.get("obligor_name"), "id_number": form.get("obligor_id_number")},
        "new_owner": {"name": form.get("obligee_name"), "id_number": form.get("obligee_id_number")},
        "contact_phone": form.get("contact_phone"),
        "accounts": [{"utility": u, "account_number": str(form[f"{u}_account_number"]).strip()} for u in wanted],
    }
    try:
        return TransferRequest.model_validate(raw)
    except ValidationError as exc:
        details = {_form_field(error["loc"], wanted): "缺少或者格式不正确" for error in exc.errors()}
        raise ValidationFailed("联动过户信息不完整或者格式不正确", code="utility_request_invalid", details=details) from exc


# Where each part of a request comes from in the 不动产转移登记 form.
_FORM_FIELDS: dict[tuple[str, ...], str] = {
    ("unit_number",): "unit_number",
    ("location",): "location",
    ("previous_owner", "name"): "obligor_name",
    ("previous_owner", "id_number"): "obligor_id_number",
    ("new_owner", "name"): "obligee_name",
    ("new_owner", "id_number"): "obligee_id_number",
    ("contact_phone",): "contact_phone",
}


def _form_field(loc: tuple[int | str, ...], wanted: list[Utility]) -> str:
    if len(loc) >= 2 and loc[0] == "accounts" and isinstance(loc[1], int) and loc[1] < len(wanted):  # noqa: PLR2004 - ("accounts", n, …)
        return f"{wanted[loc[1]]}_account_number"
    return _FORM_FIELDS.get(tuple(str(part) for part in loc), ".".join(str(part) for part in loc) or "form")
