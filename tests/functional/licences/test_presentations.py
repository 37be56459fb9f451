"""用证: holders present licences (selected fields, purpose, expiry, verifier); verifiers check them online (R3.6 item 4)."""

import base64
import copy
import json
from datetime import timedelta

from sqlalchemy import select

from longgov.db import utcnow
from longgov.licences import presentations
from longgov.licences.models import LicencePresentationCheck
from longgov.security.audit.models import AuditEvent
from tests.conftest import csrf_headers, login_enterprise, login_person, login_staff
from tests.functional.licences.conftest import CHENGGUAN_MARKET


async def _holder(platform, new_client, enterprise):
    c = await new_client()
    await login_enterprise(c, platform, enterprise)
    return c, await csrf_headers(c)


async def _present(c, headers, licence_id, **body):
    payload = {"purpose": "办理银行开户", "expires_in": 600, **body}
    r = await c.post(f"/api/v1/licences/{licence_id}/presentations", json=payload, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def _verify(client, body) -> dict:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    r = await client.post("/api/v1/licences/verify", content=raw)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert {"valid", "code", "reason"} <= set(answer)
    return answer


async def test_present_verify_revoke_and_the_holder_sees_every_use(platform, client, new_client, make_staff, business_licence):  # noqa: PLR0915 - one story
    enterprise, view = await business_licence()
    holder, headers = await _holder(platform, new_client, enterprise)
    fields = (await holder.get(f"/api/v1/licences/{view.id}/disclosable")).json()
    always = {f["key"] for f in fields if f["always"]}
    assert {"holder.name", "number", "validFrom", "validUntil"} <= always
    assert "data.legal_representative" in {f["key"] for f in fields if not f["always"]}
    created = await _present(holder, headers, view.id, fields=["data.legal_representative"])
    assert len(created["id"]) >= 20
    assert len(created["short_code"].replace("-", "")) == 10
    assert created["state"] == "active"
    document = created["document"]
    disclosed = document["presentation"]["disclosed"]
    assert set(disclosed) == {"holder.name", "holder.idType", "number", "validFrom", "validUntil", "data.legal_representative"}
    # Undisclosed fields travel only as salted digests.
    assert "data.domicile" not in disclosed
    assert "甘肃省兰州市城关区庆阳路1号" not in json.dumps(document, ensure_ascii=False)
    assert "data.domicile" in document["presentation"]["manifest"]["body"]["digests"]

    result = await _verify(client, document)
    assert (result["valid"], result["code"]) == (True, "valid"), result
    shown = {f["key"]: f["value"] for f in result["disclosed"]}
    assert shown["data.legal_representative"] == "张三"
    assert shown["holder.name"] == enterprise.name
    assert "data.domicile" not in shown
    assert result["purpose"] == "办理银行开户"
    # The public page by QR link and by short code show the same, and only the disclosed fields.
    page = await client.get(created["verify_path"])
    assert page.status_code == 200
    assert 'data-valid="true"' in page.text
    assert "张三" in page.text
    assert "庆阳路" not in page.text
    by_code = await client.post("/verify/presentations", data={"code": created["short_code"].lower()}, headers=await csrf_headers(client))
    assert 'data-valid="true"' in by_code.text

    staff = await new_client()
    await login_staff(staff, await make_staff(["approver"], CHENGGUAN_MARKET))
    r = await staff.post(f"/api/v1/licences/{view.id}/revoke", json={"reason": "依法吊销"}, headers=await csrf_headers(staff))
    assert r.status_code == 200
    result = await _verify(client, document)
    assert (result["valid"], result["code"]) == (False, "revoked")
    assert "吊销" in result["reason"]
    assert result["disclosed"] == []
    page = await client.get(created["verify_path"])
    assert 'data-code="revoked"' in page.text

    usage = (await holder.get("/api/v1/licences/presentations")).json()
    assert [u["id"] for u in usage] == [created["id"]]
    codes = [c["code"] for c in usage[0]["checks"]]
    assert codes.count("valid") == 3
    assert codes.count("revoked") == 2
    assert "我的证照使用记录" not in (await holder.get("/enterprise/licences/usage")).text  # the enterprise portal's title
    assert "办理银行开户" in (await holder.get("/enterprise/licences/usage")).text
    async with platform.db.transaction() as session:
        tags = (await session.execute(select(AuditEvent.tag, AuditEvent.result).where(AuditEvent.subject_id == str(view.id)))).tuples().all()
    assert ("licences:presentation:create", "success") in tags
    assert ("licences:presentation:verify", "success") in tags
    assert ("licences:presentation:verify", "failure") in tags
    # A revoked licence cannot be presented again.
    r = await holder.post(f"/api/v1/licences/{view.id}/presentations", json={"purpose": "再次出示"}, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "licence_not_presentable"


async def test_bad_presentations_get_precise_reasons_never_500(platform, client, new_client, business_licence):
    enterprise, view = await business_licence()
    holder, headers = await _holder(platform, new_client, enterprise)
    document = (await _present(holder, headers, view.id))["document"]

    tampered = copy.deepcopy(document)
    tampered["presentation"]["purpose"] = "别的用途"
    assert (await _verify(client, tampered))["code"] == "signature_invalid"

    # The platform re-signing a changed value would still not match the issuer's digest.
    forged = copy.deepcopy(document)
    forged["presentation"]["disclosed"]["holder.name"] = "冒名公司"
    from longgov.licences.canonical import canonical_json
    from longgov.security.crypto import sm2_sign

    forged["proof"]["signature"] = base64.b64encode(sm2_sign(platform.keys.signing.private_key, canonical_json(forged["presentation"]))).decode()
    result = await _verify(client, forged)
    assert result["code"] == "disclosure_mismatch", result

    corrupted = copy.deepcopy(document)
    identifier = corrupted["presentation"]["manifest"]["body"]["identifier"]
    corrupted["presentation"]["manifest"]["body"]["identifier"] = identifier[:-1] + ("A" if identifier[-1] != "A" else "B")
    result = await _verify(client, corrupted)
    assert result["code"] == "identifier_invalid"
    assert "校验" in result["reason"] or "标识" in result["reason"]

    unknown = copy.deepcopy(document)
    unknown["presentation"]["manifest"]["seal"]["keyId"] = "0" * 64
    forged_sig = sm2_sign(platform.keys.signing.private_key, canonical_json(unknown["presentation"]))
    unknown["proof"]["signature"] = base64.b64encode(forged_sig).decode()
    assert (await _verify(client, unknown))["code"] == "unknown_issuer"

    for junk in (b"{", b"[]", b'{"format": "longgov-presentation/1"}', b'{"presentation": 5}', b'{"code": "NOPE-NOPE"}', b"\xff\xfe"):
        answer = await _verify(client, junk)
        assert answer["valid"] is False
        assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["reason"])
    big = await client.post("/api/v1/licences/verify", content=b"{" + b" " * (300 * 1024) + b"}")
    assert big.status_code == 200
    assert big.json()["code"] == "payload_too_large"
    # The sealed licence document is still accepted on the same endpoint.
    sealed = (await holder.get(f"/api/v1/licences/{view.id}/document")).json()
    assert (await _verify(client, sealed))["code"] == "valid"


async def test_expiry_withdrawal_verifier_binding_and_single_use(platform, client, new_client, make_person, business_licence, monkeypatch):
    enterprise, view = await business_licence()
    holder, headers = await _holder(platform, new_client, enterprise)

    bound = await _present(holder, headers, view.id, verifier="兰州银行城关支行", single_use=True)
    assert (await _verify(client, bound["document"]))["code"] == "verifier_required"
    assert (await _verify(client, {"presentation": bound["document"], "verifier": "别的银行"}))["code"] == "verifier_mismatch"
    ok = await _verify(client, {"presentation": bound["document"], "verifier": "兰州银行城关支行"})
    assert ok["valid"] is True
    replay = await _verify(client, {"code": bound["short_code"], "verifier": "兰州银行城关支行"})
    assert (replay["valid"], replay["code"]) == (False, "replayed")

    withdrawn = await _present(holder, headers, view.id)
    r = await holder.post(f"/api/v1/licences/presentations/{withdrawn['id']}/withdraw", headers=headers)
    assert r.json()["state"] == "withdrawn"
    assert (await _verify(client, withdrawn["document"]))["code"] == "withdrawn"

    expired = await _present(holder, headers, view.id, expires_in=300)
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(presentations, "utcnow", lambda: later)
    result = await _verify(client, expired["document"])
    assert (result["valid"], result["code"]) == (False, "presentation_expired")
    assert "过期" in result["reason"]
    monkeypatch.undo()

    # Somebody else's presentation cannot be withdrawn or read; an invalid form is a 422.
    stranger = await new_client()
    await login_person(stranger, platform, await make_person())
    r = await stranger.post(f"/api/v1/licences/presentations/{bound['id']}/withdraw", headers=await csrf_headers(stranger))
    assert r.status_code == 404
    r = await stranger.post(f"/api/v1/licences/{view.id}/presentations", json={"purpose": "冒用"}, headers=await csrf_headers(stranger))
    assert r.status_code == 404
    r = await holder.post(f"/api/v1/licences/{view.id}/presentations", json={"purpose": "x", "expires_in": 7}, headers=headers)
    assert r.status_code == 422
    r = await holder.post(f"/api/v1/licences/{view.id}/presentations", json={"purpose": "办事", "fields": ["data.nope"]}, headers=headers)
    assert r.json()["code"] == "disclosure_unknown"
    async with platform.db.transaction() as session:
        checks = (await session.execute(select(LicencePresentationCheck.code))).scalars().all()
    assert {"verifier_required", "verifier_mismatch", "valid", "replayed", "withdrawn"} <= set(checks)


async def test_presentation_pages_for_the_holder(platform, new_client, business_licence):
    enterprise, view = await business_licence()
    holder, headers = await _holder(platform, new_client, enterprise)
    form = await holder.get(f"/enterprise/licences/{view.id}/present")
    assert form.status_code == 200
    assert 'name="fields" value="data.legal_representative"' in form.text
    r = await holder.post(
        f"/enterprise/licences/{view.id}/present",
        data={"purpose": "招投标资格审查", "fields": ["data.registered_capital"], "expires_in": "1800", "verifier": ""},
        headers=headers,
    )
    assert r.status_code == 303
    location = r.headers["location"]
    assert location.startswith("/enterprise/licences/presentations/")
    shown = await holder.get(location)
    assert "data:image/svg+xml" in shown.text
    assert "招投标资格审查" in shown.text
    assert 'data-field="data.registered_capital"' in shown.text
    bad = await holder.post(f"/enterprise/licences/{view.id}/present", data={"purpose": "", "expires_in": "600"}, headers=headers)
    assert bad.status_code == 422
    assert "用途" in bad.text
