"""Issue, hold (wallet), download, verify, change status and export licences (R3.6 items 1–3, 6)."""

import base64
import json

import pytest
from sqlalchemy import select

from longgov.kernel.errors import Conflict, ValidationFailed
from longgov.licences import credentials
from longgov.licences.models import Licence, SealKey
from longgov.platform import ServiceContext
from longgov.security.audit.models import AuditEvent
from longgov.security.crypto import sm4_decrypt
from tests.conftest import csrf_headers, login_enterprise, login_person, login_staff
from tests.functional.licences.conftest import CHENGGUAN_MARKET, business_fields


async def _staff_client(new_client, make_staff, roles=("approver",), organisation=CHENGGUAN_MARKET):
    c = await new_client()
    await login_staff(c, await make_staff(list(roles), organisation))
    return c, await csrf_headers(c)


async def test_issued_licence_is_signed_with_the_issuers_seal(platform, business_licence):
    enterprise, view = await business_licence()
    assert view.identifier.startswith(f"1.2.156.3005.2.{view.type_code}.{view.issuer_uscc}.")
    assert view.identifier.split(".")[-2] == "001"
    async with platform.db.transaction() as session:
        seal = (await session.execute(select(SealKey).where(SealKey.organisation_code == CHENGGUAN_MARKET))).scalar_one()
        row = await session.get(Licence, view.id)
    # The seal's private half is stored SM4-encrypted, bound to its organisation.
    assert seal.private_key_cipher is not None
    assert len(seal.private_key_cipher) > 32
    assert len(sm4_decrypt(platform.keys.data_key, seal.private_key_cipher, b"longgov:licence-seal:" + CHENGGUAN_MARKET.encode())) == 32
    assert row is not None
    assert row.holder_index == enterprise.uscc
    assert row.holder_enterprise_id == enterprise.id


async def test_issue_validates_and_refuses_duplicates(platform, issue, make_enterprise):
    from longgov.licences.schemas import HolderInput

    enterprise = await make_enterprise()
    holder = HolderInput(kind="enterprise", name=enterprise.name, id_number=enterprise.uscc)
    fields = business_fields(enterprise)
    with pytest.raises(ValidationFailed) as raised:
        await issue("营业执照", CHENGGUAN_MARKET, holder, {**fields, "established_on": "去年"})
    assert raised.value.code == "licence_fields_invalid"
    assert "established_on" in raised.value.details
    with pytest.raises(ValidationFailed) as raised:
        await issue("营业执照", "620102-public_security", holder, fields)
    assert raised.value.code == "issuer_not_allowed"
    await issue("营业执照", CHENGGUAN_MARKET, holder, fields, number="N-1")
    with pytest.raises(Conflict) as raised:
        await issue("营业执照", CHENGGUAN_MARKET, holder, fields, number="N-1")
    assert raised.value.code == "licence_exists"


async def test_wallet_shows_own_licences_masked_and_hides_others(platform, new_client, identity_card, make_person):
    person, view = await identity_card()
    c = await new_client()
    await login_person(c, platform, person)
    r = await c.get("/api/v1/licences/mine")
    assert r.status_code == 200
    assert [item["identifier"] for item in r.json()] == [view.identifier]
    detail = (await c.get(f"/api/v1/licences/{view.id}")).json()
    fields = {f["key"]: f for f in detail["fields"]}
    assert fields["id_number"]["masked"]
    assert person.id_number not in json.dumps(detail, ensure_ascii=False)
    assert fields["ethnicity"]["value"] == "汉族"
    page = await c.get("/citizen/licences")
    assert page.status_code == 200
    assert "居民身份证" in page.text
    assert "我的卡包" in page.text
    assert (await c.get(f"/citizen/licences/{view.id}")).status_code == 200
    # The signed JSON the holder downloads carries the full data.
    document = (await c.get(f"/api/v1/licences/{view.id}/document")).json()
    assert document["licence"]["holder"]["idNumber"] == person.id_number
    pdf = await c.get(f"/api/v1/licences/{view.id}/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    # Somebody else sees nothing of it.
    other = await make_person()
    o = await new_client()
    await login_person(o, platform, other)
    assert (await o.get("/api/v1/licences/mine")).json() == []
    assert (await o.get(f"/api/v1/licences/{view.id}")).status_code == 404
    assert (await o.get(f"/api/v1/licences/{view.id}/pdf")).status_code == 404
    async with platform.db.transaction() as session:
        tags = (await session.execute(select(AuditEvent.tag, AuditEvent.result).where(AuditEvent.subject_id == str(view.id)))).tuples().all()
    assert ("licences:licence:issue", "success") in tags
    assert ("licences:licence:read", "success") in tags
    assert ("licences:licence:download", "success") in tags
    assert ("licences:licence:read", "denied") in tags


async def test_enterprise_account_sees_its_licences(platform, new_client, business_licence):
    enterprise, view = await business_licence()
    c = await new_client()
    await login_enterprise(c, platform, enterprise)
    mine = (await c.get("/api/v1/licences/mine")).json()
    assert [m["type_name"] for m in mine] == ["营业执照"]
    assert (await c.get("/enterprise/licences")).status_code == 200
    detail = (await c.get(f"/api/v1/licences/{view.id}")).json()
    assert {f["title"]: f["value"] for f in detail["fields"]}["统一社会信用代码"] == enterprise.uscc


async def _verify(client, body) -> dict:
    r = await client.post("/api/v1/licences/documents/verify", content=body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode())
    assert r.status_code == 200, r.text
    return r.json()


async def test_document_verification_and_bad_input(platform, client, new_client, business_licence):
    enterprise, view = await business_licence()
    c = await new_client()
    await login_enterprise(c, platform, enterprise)
    document = (await c.get(f"/api/v1/licences/{view.id}/document")).json()
    ok = await _verify(client, document)
    assert ok["valid"]
    assert ok["code"] == "valid"
    assert ok["type_name"] == "营业执照"

    tampered = json.loads(json.dumps(document))
    tampered["licence"]["data"]["registered_capital"] = "1亿元人民币"
    result = await _verify(client, tampered)
    assert (result["valid"], result["code"]) == (False, "signature_invalid")
    assert "篡改" in result["reason"]

    wrong_signature = json.loads(json.dumps(document))
    signature = bytearray(base64.b64decode(wrong_signature["seal"]["signature"]))
    signature[-1] ^= 1
    wrong_signature["seal"]["signature"] = base64.b64encode(bytes(signature)).decode()
    assert (await _verify(client, wrong_signature))["code"] == "signature_invalid"

    corrupted = json.loads(json.dumps(document))
    identifier = corrupted["licence"]["identifier"]
    corrupted["licence"]["identifier"] = identifier[:-1] + ("0" if identifier[-1] != "0" else "1")
    result = await _verify(client, corrupted)
    assert (result["valid"], result["code"]) == (False, "identifier_invalid")
    assert "校验位" in result["reason"]

    unknown_key = json.loads(json.dumps(document))
    unknown_key["seal"]["keyId"] = "0" * 64
    assert (await _verify(client, unknown_key))["code"] == "unknown_issuer"

    for garbage in (b"not json", b"[1,2]", b'{"format": 1}', b'{"format":"longgov-licence/1","licence":{"identifier":5},"seal":{}}', b"\xff\xfe"):
        result = await _verify(client, garbage)
        assert result["valid"] is False
        assert result["code"]
        assert result["reason"]


async def test_staff_revoke_suspend_reinstate_and_status_lists(platform, client, new_client, make_staff, business_licence):
    enterprise, view = await business_licence()
    holder = await new_client()
    await login_enterprise(holder, platform, enterprise)
    document = (await holder.get(f"/api/v1/licences/{view.id}/document")).json()
    credential = (await holder.get(f"/api/v1/licences/{view.id}/credential")).json()

    staff, headers = await _staff_client(new_client, make_staff)
    r = await staff.post(f"/api/v1/licences/{view.id}/suspend", json={"reason": "责令停业整顿"}, headers=headers)
    assert r.status_code == 200
    assert r.json()["status"] == "suspended"
    assert (await _verify(client, document))["code"] == "suspended"
    listed = (await client.get("/api/v1/licences/status-list")).json()
    entry = next(e for e in listed["list"]["entries"] if e["currentIdentifier"] == view.identifier)
    assert entry["status"] == "suspended"
    suspension = (await client.get("/api/v1/licences/status-lists/suspension")).json()
    index = int(credential["credentialStatus"][1]["statusListIndex"])
    assert credentials.bit_is_set(suspension["credentialSubject"]["encodedList"], index)

    r = await staff.post(f"/api/v1/licences/{view.id}/reinstate", json={"reason": "整改完成"}, headers=headers)
    assert r.json()["status"] == "valid"
    assert (await _verify(client, document))["valid"]

    r = await staff.post(f"/api/v1/licences/{view.id}/revoke", json={"reason": "依法吊销"}, headers=headers)
    assert r.json()["status"] == "revoked"
    result = await _verify(client, document)
    assert (result["valid"], result["code"]) == (False, "revoked")
    assert "吊销" in result["reason"]
    vc_result = (await client.post("/api/v1/licences/credentials/verify", content=json.dumps(credential).encode())).json()
    assert (vc_result["valid"], vc_result["code"]) == (False, "revoked")
    revocation = (await client.get("/api/v1/licences/status-lists/revocation")).json()
    assert credentials.bit_is_set(revocation["credentialSubject"]["encodedList"], index)
    # Revocation is final.
    r = await staff.post(f"/api/v1/licences/{view.id}/reinstate", json={"reason": "再试"}, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "licence_status_conflict"
    history = (await staff.get(f"/api/v1/licences/{view.id}/history")).json()
    assert [h["action"] for h in history] == ["issue", "suspend", "reinstate", "revoke"]
    assert history[-1]["reason"] == "依法吊销"
    status = (await client.get(f"/api/v1/licences/status/{view.identifier}")).json()
    assert status["status"] == "revoked"


async def test_status_list_is_signed_by_the_platform(platform, client):
    from longgov.licences.services import check_status_list

    listed = (await client.get("/api/v1/licences/status-list")).json()
    assert check_status_list(listed, platform.keys.signing.public_key) is not None
    listed["list"]["entries"].append({"statusIndex": 1, "licence": "x", "currentIdentifier": "x", "status": "revoked", "since": None})
    assert check_status_list(listed, platform.keys.signing.public_key) is None
    status_vc = (await client.get("/api/v1/licences/status-lists/revocation")).json()
    platform_doc = (await client.get("/api/v1/licences/issuers/platform")).json()
    method = platform_doc["verificationMethod"][0]
    key = credentials.public_key_from_multibase(method["publicKeyMultibase"])
    assert isinstance(credentials.check_proof(status_vc, {method["id"]: key}), credentials.CheckedProof)


async def test_staff_scope_is_department_and_region(platform, new_client, make_staff, business_licence):
    _, view = await business_licence("620102")
    other_region, headers = await _staff_client(new_client, make_staff, organisation="620500-market_regulation")
    assert (await other_region.get(f"/api/v1/licences/{view.id}")).status_code == 404
    r = await other_region.post(f"/api/v1/licences/{view.id}/revoke", json={"reason": "越权吊销"}, headers=headers)
    assert r.status_code == 404
    other_department, headers = await _staff_client(new_client, make_staff, organisation="620102-public_security")
    assert (await other_department.get(f"/api/v1/licences/{view.id}")).status_code == 404
    city, _ = await _staff_client(new_client, make_staff, roles=("counter_staff",), organisation="620100-market_regulation")
    assert (await city.get(f"/api/v1/licences/{view.id}")).status_code == 200
    listing = (await city.get("/api/v1/licences/issued?limit=200")).json()
    assert view.identifier in {i["identifier"] for i in listing["items"]}
    page = await city.get(f"/workbench/licences/{view.id}")
    assert page.status_code == 200
    assert "证照管理" not in page.text  # counter staff read only
    r = await city.post(f"/api/v1/licences/{view.id}/suspend", json={"reason": "窗口无权暂停"}, headers=await csrf_headers(city))
    assert r.status_code == 403


async def test_renewal_makes_a_new_version_and_the_old_one_is_superseded(platform, client, new_client, make_staff, business_licence):
    enterprise, view = await business_licence()
    holder = await new_client()
    await login_enterprise(holder, platform, enterprise)
    old_document = (await holder.get(f"/api/v1/licences/{view.id}/document")).json()
    staff, headers = await _staff_client(new_client, make_staff)
    r = await staff.post(f"/api/v1/licences/{view.id}/renew", json={"valid_until": "2099-12-31", "reason": "依申请延续"}, headers=headers)
    assert r.status_code == 200, r.text
    renewed = r.json()
    assert renewed["version"] == 2
    assert renewed["identifier"].split(".")[-2] == "002"
    assert renewed["valid_until"] == "2099-12-31"
    result = await _verify(client, old_document)
    assert (result["valid"], result["code"]) == (False, "superseded")
    assert renewed["identifier"] in result["reason"]
    new_document = (await holder.get(f"/api/v1/licences/{view.id}/document")).json()
    assert (await _verify(client, new_document))["valid"]


async def test_credential_export_and_verification(platform, client, new_client, identity_card):
    person, view = await identity_card()
    c = await new_client()
    await login_person(c, platform, person)
    r = await c.get(f"/api/v1/licences/{view.id}/credential")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vc+ld+json")
    vc = r.json()
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert vc["type"] == ["VerifiableCredential", "ResidentIdentityCredential"]
    assert vc["issuer"]["id"].endswith(f"/api/v1/licences/issuers/{view.issuer_uscc}")
    assert vc["credentialSubject"]["licence"]["identifier"] == view.identifier
    assert vc["proof"]["type"] == "DataIntegrityProof"
    assert vc["proof"]["cryptosuite"] == "sm2-jcs-2026"
    assert {s["statusPurpose"] for s in vc["credentialStatus"]} == {"revocation", "suspension"}
    ok = (await client.post("/api/v1/licences/credentials/verify", content=json.dumps(vc).encode())).json()
    assert ok["valid"], ok
    # The issuer document resolves the proof's key.
    issuer = (await client.get("/api/" + vc["issuer"]["id"].split("/api/", 1)[1])).json()
    assert vc["proof"]["verificationMethod"] in issuer["assertionMethod"]
    context = await client.get("/api/v1/licences/context/v1")
    assert context.status_code == 200
    assert "ResidentIdentityCredential" in context.json()["@context"]
    tampered = json.loads(json.dumps(vc))
    tampered["credentialSubject"]["holderName"] = "王大锤"
    bad = (await client.post("/api/v1/licences/credentials/verify", content=json.dumps(tampered).encode())).json()
    assert (bad["valid"], bad["code"]) == (False, "signature_invalid")
    expired = json.loads(json.dumps(vc))
    expired["proof"]["proofValue"] = "z111"
    assert (await client.post("/api/v1/licences/credentials/verify", content=json.dumps(expired).encode())).json()["code"] == "signature_invalid"
    for garbage in (b"{}", b"null", b'{"@context": 5, "proof": {}}', b"\x00"):
        result = (await client.post("/api/v1/licences/credentials/verify", content=garbage)).json()
        assert result["valid"] is False
        assert result["code"]


async def test_check_page_needs_the_code_and_shows_no_personal_data(platform, client, identity_card):
    person, view = await identity_card()
    r = await client.get(view.verify_path)
    assert r.status_code == 200
    assert "证照有效" in r.text
    assert person.id_number not in r.text
    assert "李**" in r.text
    assert (await client.get(view.verify_path.split("?")[0] + "?c=wrongcode")).status_code == 404
    assert (await client.get("/verify/licences/not-an-identifier?c=x")).status_code == 404


async def test_issuing_api_in_the_staff_department(platform, new_client, make_staff, make_enterprise):
    enterprise = await make_enterprise()
    staff, headers = await _staff_client(new_client, make_staff)
    body = {
        "type_code": "food_business_licence",
        "issuer_code": CHENGGUAN_MARKET,
        "holder": {"kind": "enterprise", "name": enterprise.name, "id_number": enterprise.uscc},
        "fields": {
            "operator_name": enterprise.name,
            "uscc": enterprise.uscc,
            "legal_representative": "张三",
            "domicile": "兰州市城关区",
            "premises": "兰州市城关区",
            "business_form": "食品销售经营者",
            "business_items": "预包装食品销售",
        },
    }
    r = await staff.post("/api/v1/licences/", json=body, headers=headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["valid_until"] is not None  # the type's usual five years
    r = await staff.post("/api/v1/licences/", json={**body, "issuer_code": "620105-market_regulation"}, headers=headers)
    assert r.status_code == 403
    assert r.json()["code"] == "licence_issuer_out_of_scope"
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        from longgov.licences import services

        status = await services.revocation_status(ctx, created["identifier"])
    assert status.status == "valid"


async def test_malformed_ids_and_identifiers_are_404_or_422_never_500(platform, new_client, client, identity_card):
    person, _ = await identity_card()
    c = await new_client()
    await login_person(c, platform, person)
    for path in ("/api/v1/licences/not-a-uuid", "/api/v1/licences/not-a-uuid/pdf", "/citizen/licences/not-a-uuid"):
        assert (await c.get(path)).status_code == 404
    r = await client.get("/api/v1/licences/status/1.2.156.3005.2.BAD")
    assert r.status_code == 422
    assert r.json()["code"] == "identifier_invalid"
