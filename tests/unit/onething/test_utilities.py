"""水电气网联动过户: the gateway interface's local implementation and the request built from the bundle."""

import base64
import json
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources

import pytest
from pydantic import ValidationError

from longgov.applications import forms
from longgov.kernel.errors import Conflict, NotFound, ValidationFailed
from longgov.onething.utilities import (
    ACCOUNT_PATTERN,
    UNIT_NUMBER_PATTERN,
    UTILITIES,
    OutboxUtilityGateway,
    Party,
    TransferRequest,
    UtilityTransferGateway,
    transfer_request_from,
)
from longgov.security.pii import PiiCodec
from longgov.storage import LocalFolderStorage

UNIT = "620102001001GB00012F00010023"
OTHER_UNIT = "620102001001GB00012F00010024"
LOCATION = "兰州市城关区庆阳路街道某某小区3号楼2单元501室"
SELLER = Party(name="王建国", id_number="620102196505120318")
BUYER = Party(name="李秀兰", id_number="62010219900303262X")
# 17:00 UTC is already the next day in Lanzhou.
NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
PROPERTY_TRANSFER = "620B0035000000"


@pytest.fixture
def codec():
    return PiiCodec(data_key=os.urandom(16), index_key=os.urandom(32))


@pytest.fixture
def store(tmp_path):
    return LocalFolderStorage(tmp_path / "storage")


@pytest.fixture
def gateway(store, codec) -> OutboxUtilityGateway:
    return OutboxUtilityGateway(store, codec, clock=lambda: NOW)


async def _ledger(gateway: OutboxUtilityGateway, *, gas_arrears: str = "0") -> None:
    await gateway.open_account("water", "GS-0101-8832", provider="兰州威立雅水务（集团）有限责任公司", unit_number=UNIT, location=LOCATION, holder=SELLER)
    await gateway.open_account("electricity", "6201020044123", provider="国网甘肃省电力公司兰州供电公司", unit_number=UNIT, location=LOCATION, holder=SELLER)
    await gateway.open_account(
        "gas", "RQ20334571", provider="兰州城市燃气有限公司", unit_number=UNIT, location=LOCATION, holder=SELLER, outstanding=Decimal(gas_arrears)
    )


def _request(reference: str = "YJS-20261127-0001", **accounts: str) -> TransferRequest:
    return TransferRequest(
        reference=reference,
        unit_number=UNIT,
        location=LOCATION,
        certificate_number="甘（2026）兰州市不动产权第0031877号",
        registered_on=date(2026, 11, 27),
        previous_owner=SELLER,
        new_owner=BUYER,
        contact_phone="13919001234",
        accounts=[{"utility": u, "account_number": n} for u, n in accounts.items()],
    )


async def test_accounts_without_arrears_pass_to_the_new_owner(gateway):
    await _ledger(gateway)
    as_protocol: UtilityTransferGateway = gateway
    outcome = await as_protocol.request_transfer(_request(water="GS-0101-8832", electricity="6201020044123", gas="RQ20334571"))
    assert outcome.all_accepted
    assert [(r.utility, r.utility_title, r.status) for r in outcome.results] == [
        ("water", "供水", "accepted"),
        ("electricity", "供电", "accepted"),
        ("gas", "燃气", "accepted"),
    ]
    water = outcome.results[0]
    assert water.effective_on == date(2026, 11, 28)  # the local date in Lanzhou
    assert water.provider_reference is not None
    assert water.provider_reference.startswith("W20261128")
    for utility, number in (("water", "GS-0101-8832"), ("electricity", "6201020044123"), ("gas", "RQ20334571")):
        assert await gateway.holder_id_matches(utility, number, BUYER.id_number)
        assert not await gateway.holder_id_matches(utility, number, SELLER.id_number)
    account = await gateway.account("water", "gs-0101-8832")
    assert account is not None
    assert account.holder_name_masked == "李**"


async def test_arrears_refuse_that_account_only_until_paid(gateway):
    await _ledger(gateway, gas_arrears="86.4")
    outcome = await gateway.request_transfer(_request(water="GS-0101-8832", gas="RQ20334571"))
    assert not outcome.all_accepted
    water, gas = outcome.results
    assert water.status == "accepted"
    assert (gas.status, gas.reason_code, gas.outstanding, gas.provider_reference) == ("refused", "arrears", "86.40", None)
    assert "86.40元" in gas.reason
    assert [r.utility for r in outcome.refused] == ["gas"]
    assert await gateway.holder_id_matches("gas", "RQ20334571", SELLER.id_number)  # nothing moved

    assert (await gateway.record_payment("gas", "RQ20334571", Decimal(50))).outstanding == "36.40"
    assert (await gateway.record_payment("gas", "RQ20334571", Decimal(100))).outstanding == "0.00"
    again = await gateway.request_transfer(_request("YJS-20261127-0001-2", gas="RQ20334571"))
    assert again.all_accepted
    assert await gateway.holder_id_matches("gas", "RQ20334571", BUYER.id_number)


async def test_unknown_account_and_another_address_are_refused_with_reasons(gateway):
    await _ledger(gateway)
    await gateway.open_account(
        "broadband", "LZ-KD-77120", provider="中国电信兰州分公司", unit_number=OTHER_UNIT, location="兰州市城关区另一小区1号楼101室", holder=SELLER
    )
    outcome = await gateway.request_transfer(_request(water="GS-0101-9999", broadband="LZ-KD-77120"))
    missing, elsewhere = outcome.results
    assert (missing.status, missing.reason_code) == ("refused", "account_not_found")
    assert "供水户号GS-0101-9999" in missing.reason
    assert (elsewhere.status, elsewhere.reason_code) == ("refused", "address_mismatch")
    assert "兰州市城关区" in elsewhere.reason
    assert "另一小区" not in elsewhere.reason  # the other address is masked
    assert await gateway.holder_id_matches("broadband", "LZ-KD-77120", SELLER.id_number)


async def test_requests_are_idempotent_by_reference(gateway, store):
    await _ledger(gateway)
    first = await gateway.request_transfer(_request(water="GS-0101-8832"))
    # The utility already moved the account; asking again must answer the same, not transfer twice.
    again = await gateway.request_transfer(_request(water="GS-0101-8832"))
    assert again == first
    assert await gateway.outcome("YJS-20261127-0001") == first
    assert await gateway.outcome("YJS-NEVER-SENT") is None
    with pytest.raises(Conflict) as refused:
        await gateway.request_transfer(_request(water="GS-0101-8832", gas="RQ20334571"))
    assert refused.value.code == "utility_transfer_reference_used"
    assert len(list((store.root / "utilities" / "outbox").iterdir())) == 1


async def test_outbox_keeps_personal_data_encrypted(gateway, store, codec):
    await _ledger(gateway)
    await gateway.request_transfer(_request(water="GS-0101-8832"))
    files = list((store.root / "utilities").rglob("*.json"))
    assert len(files) == 4  # three accounts and one request
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in (SELLER.name, SELLER.id_number, BUYER.name, BUYER.id_number, "13919001234"):
            assert secret not in text, (path.name, secret)
    (entry,) = (store.root / "utilities" / "outbox").iterdir()
    stored = json.loads(entry.read_text(encoding="utf-8"))
    request = stored["request"]
    assert request["contact_phone_masked"] == "139****1234"
    assert request["new_owner"]["name_masked"] == "李**"
    assert codec.decrypt("utility_holder_id", base64.b64decode(request["new_owner"]["id_cipher"])) == BUYER.id_number
    assert stored["outcome"]["results"][0]["status"] == "accepted"


async def test_ledger_input_is_checked(gateway):
    with pytest.raises(ValidationFailed, match="户号应为4至30位"):
        await gateway.open_account("water", "G1", provider="水务", unit_number=UNIT, location=LOCATION, holder=SELLER)
    assert await gateway.account("water", "GS-0101-8832") is None
    with pytest.raises(ValidationFailed, match="欠费金额不能为负数"):
        await gateway.open_account("water", "GS-0101-8832", provider="水务", unit_number=UNIT, location=LOCATION, holder=SELLER, outstanding=Decimal(-1))
    with pytest.raises(NotFound):
        await gateway.record_payment("gas", "RQ-NONE-1", Decimal(1))
    with pytest.raises(ValidationFailed, match="缴费金额应大于0"):
        await gateway.record_payment("gas", "RQ20334571", Decimal(0))


def test_request_shape_is_checked():
    with pytest.raises(ValidationError, match="每类公用事业只能填写一个户号"):
        TransferRequest(
            reference="YJS-1",
            unit_number=UNIT,
            location=LOCATION,
            registered_on=date(2026, 11, 27),
            previous_owner=SELLER,
            new_owner=BUYER,
            contact_phone="13919001234",
            accounts=[{"utility": "water", "account_number": "GS-0101-8832"}, {"utility": "water", "account_number": "GS-0101-8833"}],
        )
    with pytest.raises(ValidationError):
        TransferRequest.model_validate({**_request(water="GS-0101-8832").model_dump(), "unit_number": "620102-1"})
    with pytest.raises(ValidationError):
        TransferRequest.model_validate({**_request(water="GS-0101-8832").model_dump(), "accounts": []})
    assert _request(water="gs-0101-8832").accounts[0].account_number == "GS-0101-8832"


# --- from the bundle's form and guide -----------------------------------------------------------------


def _form() -> dict[str, object]:
    return {
        "obligee_name": BUYER.name,
        "obligee_id_number": BUYER.id_number,
        "obligor_name": SELLER.name,
        "obligor_id_number": SELLER.id_number,
        "transfer_cause": "买卖",
        "original_certificate_number": "甘（2019）兰州市不动产权第0012345号",
        "location": LOCATION,
        "unit_number": UNIT,
        "right_type": "国有建设用地使用权/房屋所有权",
        "right_nature": "出让/存量房",
        "usage": "城镇住宅用地/住宅",
        "area": 89.5,
        "co_ownership": "单独所有",
        "water_account_number": "GS-0101-8832",
        "gas_account_number": "RQ20334571",
        "contact_name": BUYER.name,
        "contact_phone": "13919001234",
        "commitment": True,
    }


def test_the_transfer_registration_form_carries_what_a_request_needs():
    definition = forms.form_for(PROPERTY_TRANSFER)
    assert definition.key == PROPERTY_TRANSFER
    assert forms.field_errors(definition, _form()) == {}
    properties = definition.schema["properties"]
    assert properties["unit_number"]["pattern"] == UNIT_NUMBER_PATTERN
    bundles = json.loads(resources.files("longgov.onething").joinpath("data/bundles.json").read_text(encoding="utf-8"))["bundles"]
    home = next(b for b in bundles if b["code"] == "home_transfer")
    questions = {q["key"]: q for q in home["questions"]}
    for utility in UTILITIES:
        assert properties[f"{utility}_account_number"]["pattern"] == ACCOUNT_PATTERN
        assert f"{utility}_account_number" not in definition.schema["required"]
        assert questions[f"transfer_{utility}"]["type"] == "boolean"
    assert any(i["item"] == PROPERTY_TRANSFER for i in home["items"])


async def test_request_from_the_form_and_the_guide_answers(gateway):
    await _ledger(gateway)
    answers = {"transfer_water": True, "transfer_electricity": False, "transfer_gas": True, "use_housing_fund": False}
    request = transfer_request_from(
        _form(), answers, reference="YJS-20261127-0042", registered_on=date(2026, 11, 27), certificate_number="甘（2026）兰州市不动产权第0031877号"
    )
    assert request is not None
    assert [(a.utility, a.account_number) for a in request.accounts] == [("water", "GS-0101-8832"), ("gas", "RQ20334571")]
    assert (request.previous_owner, request.new_owner) == (SELLER, BUYER)
    outcome = await gateway.request_transfer(request)
    assert outcome.all_accepted
    assert transfer_request_from(_form(), {"transfer_water": False}, reference="YJS-1", registered_on=date(2026, 11, 27)) is None
    assert transfer_request_from(_form(), {}, reference="YJS-1", registered_on=date(2026, 11, 27)) is None


def test_request_from_an_incomplete_form_names_the_fields():
    with pytest.raises(ValidationFailed) as missing:
        transfer_request_from(_form(), {"transfer_broadband": True, "transfer_water": True}, reference="YJS-1", registered_on=date(2026, 11, 27))
    assert missing.value.code == "utility_account_missing"
    assert missing.value.details == {"broadband_account_number": "请填写需要过户的户号"}
    bad = {**_form(), "obligor_id_number": "12345", "water_account_number": "户号"}
    with pytest.raises(ValidationFailed) as invalid:
        transfer_request_from(bad, {"transfer_water": True}, reference="YJS-1", registered_on=date(2026, 11, 27))
    assert invalid.value.code == "utility_request_invalid"
    assert set(invalid.value.details) == {"obligor_id_number", "water_account_number"}
