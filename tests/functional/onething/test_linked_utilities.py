"""二手房转移登记及水电气网联动过户: the utilities named in the guide move to the new owner once the transfer is granted.

Nothing is sent before the grant commits; each utility's answer (accepted, or refused with its reason) lands on
the case's one timeline; a bundle asking for a transfer without the account number is refused at submission.
"""

from __future__ import annotations

import os
from decimal import Decimal

from longgov.onething import linked
from longgov.onething import services as onething
from longgov.onething.utilities import OutboxUtilityGateway, Party
from longgov.storage import LocalFolderStorage
from tests.conftest import random_resident_id
from tests.functional.onething.conftest import audits, department, draft_case, grant_promised, member, person_client, publish, unique_code, upload_needed

PROPERTY = "620B0035000000"
NATURAL_RESOURCES = "620100-natural_resources"
UNIT = "620102003004GB00012F00010023"
LOCATION = "城关区张掖路街道某小区1号楼2单元301室"
ANSWERS = {"transfer_water": True, "transfer_electricity": False, "transfer_gas": True, "transfer_broadband": False, "use_housing_fund": False}


def _home_transfer(code: str) -> dict:
    shipped = next(d for d in onething.shipped_definitions() if d["code"] == "home_transfer")
    return {**shipped, "code": code}


def _form(buyer, seller_id: str, **accounts: str) -> dict:
    return {
        "obligee_name": buyer.name,
        "obligee_id_number": buyer.id_number,
        "obligor_name": "王建国",
        "obligor_id_number": seller_id,
        "transfer_cause": "买卖",
        "original_certificate_number": "甘（2019）兰州市不动产权第0012345号",
        "location": LOCATION,
        "unit_number": UNIT,
        "co_ownership": "单独所有",
        "right_type": "国有建设用地使用权/房屋所有权",
        "right_nature": "出让/市场化商品房",
        "usage": "城镇住宅用地/住宅",
        "area": 89.5,
        "term": "2010年05月01日起2080年04月30日止",
        "contact_name": buyer.name,
        "contact_phone": "13912345678",
        "commitment": True,
        **accounts,
    }


async def test_granted_transfer_moves_the_named_utilities_and_shows_each_answer(seeded, client, new_client, make_person, make_staff, tmp_path):
    platform = seeded
    gateway = OutboxUtilityGateway(LocalFolderStorage(tmp_path / "utilities"), platform.codec)
    linked.install_gateway(platform, gateway)
    seller = Party(name="王建国", id_number=random_resident_id())
    await gateway.open_account("water", "GS-0101-8832", provider="兰州威立雅水务（集团）有限责任公司", unit_number=UNIT, location=LOCATION, holder=seller)
    await gateway.open_account(
        "gas", "RQ20334571", provider="兰州城市燃气有限公司", unit_number=UNIT, location=LOCATION, holder=seller, outstanding=Decimal("86.40")
    )
    code = await publish(platform, _home_transfer(unique_code("home")))
    buyer, headers = await person_client(client, platform, make_person)

    # Asking for the gas transfer without its account number is refused when submitting; nothing is sent.
    case = await draft_case(client, headers, code, ANSWERS, _form(buyer, seller.id_number, water_account_number="GS-0101-8832"))
    await upload_needed(client, headers, case)
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/submit", headers=headers)
    assert (r.status_code, r.json()["code"]) == (422, "utility_account_missing"), r.text
    assert "gas_account_number" in r.json()["details"]
    r = await client.put(
        f"/api/v1/onething/cases/{case['id']}",
        json={"form": _form(buyer, seller.id_number, water_account_number="GS-0101-8832", gas_account_number="RQ20334571")},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text
    submitted = r.json()
    assert await gateway.outcome(f"{submitted['number']}-utilities") is None  # not before the grant

    people = await department(new_client, make_staff, NATURAL_RESOURCES)
    await grant_promised(people, member(submitted, PROPERTY)["application_id"])

    outcome = await gateway.outcome(f"{submitted['number']}-utilities")
    assert outcome is not None
    answers = {r.utility: r for r in outcome.results}
    assert set(answers) == {"water", "gas"}
    assert answers["water"].status == "accepted"
    assert (answers["gas"].status, answers["gas"].reason_code) == ("refused", "arrears")
    assert await gateway.holder_id_matches("water", "GS-0101-8832", buyer.id_number)
    assert await gateway.holder_id_matches("gas", "RQ20334571", seller.id_number)

    r = await client.get(f"/api/v1/onething/cases/{case['id']}/timeline", headers=headers)
    assert r.status_code == 200, r.text
    titles = [e["title"] for e in r.json()]
    assert "已向供水、燃气单位发起联动过户" in titles
    assert "供水户已过户至新产权人" in titles
    assert any(t.startswith("燃气户未能过户") and "欠费" in t for t in titles), titles
    recorded = await audits(platform, "onething:case:utilities", submitted["number"])
    assert len(recorded) == 1
    assert {r["utility"]: r["status"] for r in recorded[0].details["results"]} == {"water": "accepted", "gas": "refused"}


async def test_a_utility_outage_is_recorded_for_follow_up(seeded, client, new_client, make_person, make_staff):
    platform = seeded

    class Unreachable:
        async def request_transfer(self, request):  # noqa: ARG002 - the interface's signature
            raise ConnectionError("utility interface down")

        async def outcome(self, reference):  # noqa: ARG002 - the interface's signature
            return None

    previous = linked.gateway(platform)
    linked.install_gateway(platform, Unreachable())
    try:
        code = await publish(platform, _home_transfer(unique_code("home")))
        buyer, headers = await person_client(client, platform, make_person)
        answers = {**ANSWERS, "transfer_gas": False}
        case = await draft_case(client, headers, code, answers, _form(buyer, random_resident_id(), water_account_number="GS-0101-" + os.urandom(2).hex()))
        await upload_needed(client, headers, case)
        r = await client.post(f"/api/v1/onething/cases/{case['id']}/submit", headers=headers)
        assert r.status_code == 201, r.text
        people = await department(new_client, make_staff, NATURAL_RESOURCES)
        await grant_promised(people, member(r.json(), PROPERTY)["application_id"])
        titles = [e["title"] for e in (await client.get(f"/api/v1/onething/cases/{case['id']}/timeline", headers=headers)).json()]
        assert "公用事业单位暂时无法接收过户申请，工作人员将跟进处理" in titles
        # The grant itself stands: the property is transferred whatever the utilities answer.
        case_now = (await client.get(f"/api/v1/onething/cases/{case['id']}", headers=headers)).json()
        assert member(case_now, PROPERTY)["state"] == "granted"
    finally:
        linked.install_gateway(platform, previous)
