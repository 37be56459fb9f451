"""Seal key rotation and retirement: old licences keep verifying (online and offline) after a rotation, a key
retired as compromised verifies nothing, re-sealing makes new versions; CLI, pages, audit."""

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from longgov.cli import app as cli
from longgov.licences import offline
from longgov.licences.models import SealKey
from longgov.security.audit.models import AuditEvent
from tests.conftest import csrf_headers, login_enterprise, login_staff

# Regions no other test issues in: compromising a seal here leaves everyone else's licences alone.
ROTATED = "620802"
COMPROMISED = "620902"
CLI_REGION = "621002"


async def _security_admin(new_client, make_staff):
    c = await new_client()
    await login_staff(c, await make_staff(["security_admin"], "620000-data"))
    return c, await csrf_headers(c)


async def _seal_rows(platform, organisation_code):
    async with platform.db.transaction() as session:
        return (await session.execute(select(SealKey).where(SealKey.organisation_code == organisation_code).order_by(SealKey.created_at))).scalars().all()


async def _present(platform, new_client, enterprise, licence_id, purpose="签订租赁合同"):
    holder = await new_client()
    await login_enterprise(holder, platform, enterprise)
    r = await holder.post(f"/api/v1/licences/{licence_id}/presentations", json={"purpose": purpose, "expires_in": 1800}, headers=await csrf_headers(holder))
    assert r.status_code == 201, r.text
    return holder, r.json()["document"]


async def _presenting_refused(platform, new_client, enterprise, licence_id, *, client=None, verify_path=None):
    """The holder cannot present afresh: the platform's signature would otherwise vouch for an untrusted seal."""
    holder = await new_client()
    await login_enterprise(holder, platform, enterprise)
    body = {"purpose": "签订租赁合同", "expires_in": 600}
    r = await holder.post(f"/api/v1/licences/{licence_id}/presentations", json=body, headers=await csrf_headers(holder))
    assert (r.status_code, r.json()["code"]) == (409, "seal_key_compromised")
    if verify_path is not None:
        await _check_page_warns(client, verify_path)


async def _check_page_warns(client, verify_path):
    """The printed QR code of the version signed with the lost key says the seal is withdrawn."""
    check = await client.get(verify_path)
    assert 'data-seal="compromised"' in check.text
    assert "电子印章已停用" in check.text


async def _document(platform, staff_client, licence_id):
    r = await staff_client.get(f"/api/v1/licences/{licence_id}/document")
    assert r.status_code == 200, r.text
    return r.json()


async def test_rotation_keeps_what_the_old_key_sealed_verifiable_and_signs_anew(platform, client, new_client, make_staff, business_licence):
    enterprise, before = await business_licence(ROTATED)
    organisation = f"{ROTATED}-market_regulation"
    staff = await new_client()
    await login_staff(staff, await make_staff(["approver"], organisation))
    old_document = await _document(platform, staff, before.id)
    _, old_presentation = await _present(platform, new_client, enterprise, before.id)
    old_key = old_document["seal"]["keyId"]

    admin, headers = await _security_admin(new_client, make_staff)
    r = await admin.post(f"/api/v1/licences/seals/{organisation}/rotate", json={"reason": "年度例行轮换"}, headers=headers)
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["retired_key_id"] == old_key
    assert rotated["new_key_id"] != old_key
    assert rotated["compromised"] is False
    rows = await _seal_rows(platform, organisation)
    old_row = next(row for row in rows if row.key_id == old_key)
    assert (old_row.active, old_row.private_key_cipher, old_row.retire_reason) == (False, None, "年度例行轮换")  # the old private key is gone

    # A licence issued now is sealed with the new key; the old one still verifies, online and offline.
    _, after = await business_licence(ROTATED)
    new_document = await _document(platform, staff, after.id)
    assert new_document["seal"]["keyId"] == rotated["new_key_id"]
    for document in (old_document, new_document):
        result = (await client.post("/api/v1/licences/verify", content=json.dumps(document).encode())).json()
        assert (result["valid"], result["code"]) == (True, "valid"), result
    online = (await client.post("/api/v1/licences/verify", content=json.dumps(old_presentation).encode())).json()
    assert online["valid"] is True, online
    trust_list = (await client.get("/api/v1/licences/trust-list")).json()
    status_list = (await client.get("/api/v1/licences/status-list")).json()
    entries = {e["keyId"]: e for e in trust_list["list"]["entries"]}
    assert entries[old_key]["validUntil"] is not None
    assert entries[rotated["new_key_id"]]["validUntil"] is None
    offline_result = offline.verify_offline(old_presentation, trust_list, status_list, platform_public_key=platform.keys.signing.public_key)
    assert (offline_result.valid, offline_result.code) == (True, "valid"), offline_result
    # A presentation made after the rotation reuses the manifest the old key attested while in force.
    _, fresh = await _present(platform, new_client, enterprise, before.id, purpose="办理银行开户")
    assert fresh["presentation"]["manifest"]["seal"]["keyId"] == old_key
    assert (await client.post("/api/v1/licences/verify", content=json.dumps(fresh).encode())).json()["valid"] is True

    # The issuer document lists every key with its period in force.
    issuer = (await client.get(f"/api/v1/licences/issuers/{before.issuer_uscc}")).json()
    methods = {m["id"].split("#")[1]: m for m in issuer["verificationMethod"]}
    assert "validUntil" in methods[old_key]
    assert "validUntil" not in methods[rotated["new_key_id"]]
    assert len(issuer["assertionMethod"]) == len(methods)

    # Rotating an organisation without a seal, or with no reason, is refused with a reason.
    r = await admin.post("/api/v1/licences/seals/620000-data/rotate", json={"reason": "例行轮换"}, headers=headers)
    assert (r.status_code, r.json()["code"]) == (404, "seal_not_found")
    r = await admin.post("/api/v1/licences/seals/nowhere/rotate", json={"reason": "例行轮换"}, headers=headers)
    assert r.json()["code"] == "organisation_not_found"
    r = await admin.post(f"/api/v1/licences/seals/{organisation}/rotate", json={"reason": ""}, headers=headers)
    assert r.status_code == 422
    async with platform.db.transaction() as session:
        tags = set((await session.execute(select(AuditEvent.tag).where(AuditEvent.tag.like("licences:seal:%")))).scalars())
    assert "licences:seal:rotate" in tags


async def test_a_compromised_key_verifies_nothing_until_the_department_reseals(platform, client, new_client, make_staff, business_licence):
    enterprise, view = await business_licence(COMPROMISED)
    organisation = f"{COMPROMISED}-market_regulation"
    staff = await new_client()
    await login_staff(staff, await make_staff(["approver"], organisation))
    staff_headers = await csrf_headers(staff)
    document = await _document(platform, staff, view.id)
    credential = (await staff.get(f"/api/v1/licences/{view.id}/credential")).json()
    _, presented = await _present(platform, new_client, enterprise, view.id)
    key_id = document["seal"]["keyId"]

    admin, headers = await _security_admin(new_client, make_staff)
    r = await admin.post(f"/api/v1/licences/seal-keys/{key_id}/retire", json={"reason": "签章服务器私钥泄露", "reseal": False}, headers=headers)
    assert r.status_code == 200, r.text
    assert (r.json()["compromised"], r.json()["resealed"]) == (True, 0)
    again = await admin.post(f"/api/v1/licences/seal-keys/{key_id}/retire", json={"reason": "再次停用"}, headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "seal_key_compromised")

    for evidence in (document, credential, presented):
        result = (await client.post("/api/v1/licences/verify", content=json.dumps(evidence).encode())).json()
        assert (result["valid"], result["code"]) == (False, "seal_key_compromised"), result
        assert "泄露" in result["reason"]
    await _presenting_refused(platform, new_client, enterprise, view.id, client=client, verify_path=view.verify_path)
    trust_list = (await client.get("/api/v1/licences/trust-list")).json()
    assert key_id in {k["keyId"] for k in trust_list["list"]["revokedKeys"]}
    assert key_id not in {e["keyId"] for e in trust_list["list"]["entries"]}
    status_list = (await client.get("/api/v1/licences/status-list")).json()
    offline_result = offline.verify_offline(presented, trust_list, status_list, platform_public_key=platform.keys.signing.public_key)
    assert offline_result.code == "seal_key_compromised"
    issuer = (await client.get(f"/api/v1/licences/issuers/{view.issuer_uscc}")).json()
    assert f"{issuer['id']}#{key_id}" not in issuer["assertionMethod"]
    assert any("revoked" in m for m in issuer["verificationMethod"])

    # The security administrator sees what is left to re-seal; the issuing staff see the flag on the licence.
    seals = (await admin.get(f"/api/v1/licences/seals?organisation={organisation}")).json()
    assert seals[0]["to_reseal"] >= 1
    page = await staff.get(f"/workbench/licences/{view.id}")
    assert 'data-seal-state="compromised"' in page.text
    # The department re-seals the licence from its page: a new version with the new key, in the history.
    r = await staff.post(f"/workbench/licences/{view.id}/reseal", data={"reason": "签章密钥停用后以新密钥重新签章"}, headers=staff_headers)
    assert r.status_code == 303, r.text
    resealed = (await staff.get(f"/api/v1/licences/{view.id}")).json()
    assert resealed["version"] == view.version + 1
    new_document = await _document(platform, staff, view.id)
    assert new_document["seal"]["keyId"] != key_id
    result = (await client.post("/api/v1/licences/verify", content=json.dumps(new_document).encode())).json()
    assert (result["valid"], result["code"]) == (True, "valid"), result
    history = (await staff.get(f"/api/v1/licences/{view.id}/history")).json()
    assert history[-1]["action"] == "reseal"
    assert history[-1]["action_title"] == "重新签章（新版本）"
    r = await staff.post(f"/api/v1/licences/{view.id}/reseal", json={"reason": "再次重新签章"}, headers=staff_headers)
    assert (r.status_code, r.json()["code"]) == (409, "licence_seal_current")
    seals = (await admin.get(f"/api/v1/licences/seals?organisation={organisation}")).json()
    assert seals[0]["to_reseal"] == 0
    async with platform.db.transaction() as session:
        tags = set((await session.execute(select(AuditEvent.tag).where(AuditEvent.tag.in_(["licences:seal:retire", "licences:licence:reseal"])))).scalars())
    assert tags == {"licences:seal:retire", "licences:licence:reseal"}


async def test_rotate_seal_command_retires_a_compromised_key_and_reseals(platform, settings, monkeypatch, client, new_client, make_staff, business_licence):
    _, view = await business_licence(CLI_REGION)
    organisation = f"{CLI_REGION}-market_regulation"
    staff = await new_client()
    await login_staff(staff, await make_staff(["approver"], organisation))
    old_document = await _document(platform, staff, view.id)
    monkeypatch.setenv("LONGGOV_MODE", "test")
    monkeypatch.setenv("LONGGOV_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("LONGGOV_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, cli, ["licences", "rotate-seal", "--department", organisation, "--reason", "密钥托管设备失窃", "--compromised"]
    )
    assert result.exit_code == 0, result.output
    assert "重新签章 1 张" in result.output
    refused = await asyncio.to_thread(runner.invoke, cli, ["licences", "rotate-seal", "--department", "620000-data"])
    assert refused.exit_code != 0
    assert "尚未启用电子印章" in refused.output
    assert (await client.post("/api/v1/licences/verify", content=json.dumps(old_document).encode())).json()["code"] == "seal_key_compromised"
    current = await _document(platform, staff, view.id)
    assert current["licence"]["version"] == old_document["licence"]["version"] + 1
    assert (await client.post("/api/v1/licences/verify", content=json.dumps(current).encode())).json()["valid"] is True
    rows = await _seal_rows(platform, organisation)
    assert [r.active for r in rows] == [False, True]
    assert rows[0].compromised_at is not None


async def test_seals_page_rotates_and_shows_every_key(platform, new_client, make_staff, business_licence):
    await business_licence(ROTATED)
    admin, headers = await _security_admin(new_client, make_staff)
    page = await admin.get("/workbench/licences/seals")
    assert page.status_code == 200
    assert "电子印章密钥" in page.text
    organisation = f"{ROTATED}-market_regulation"
    bad = await admin.post("/workbench/licences/seals/rotate", data={"organisation_code": organisation, "reason": ""}, headers=headers)
    assert bad.status_code == 422
    assert 'data-error-code="reason_required"' in bad.text
    before = len(await _seal_rows(platform, organisation))
    r = await admin.post("/workbench/licences/seals/rotate", data={"organisation_code": organisation, "reason": "例行轮换"}, headers=headers)
    assert r.status_code == 303, r.text
    assert len(await _seal_rows(platform, organisation)) == before + 1
    assert r.headers["location"] == f"/workbench/licences/seals?done=rotated&organisation={organisation}"
    listed = await admin.get(r.headers["location"])
    assert "已轮换印章密钥" in listed.text
    assert "已轮换（仅用于核验）" in listed.text
    assert f'data-organisation="{organisation}"' in listed.text
    # Approvers manage licences, not keys.
    approver = await new_client()
    await login_staff(approver, await make_staff(["approver"], organisation))
    assert (await approver.get("/workbench/licences/seals")).status_code == 403


async def test_seal_problem_rules():
    from datetime import timedelta

    from longgov.licences.seals import Seal, seal_problem

    now = datetime.now(UTC)
    rotated = Seal("k", b"", "o", "u", "n", created_at=now - timedelta(days=10), retired_at=now - timedelta(days=1))
    assert seal_problem(rotated, (now - timedelta(days=2)).isoformat()) is None
    assert seal_problem(rotated, now.isoformat()).code == "key_not_valid"
    assert seal_problem(rotated, (now - timedelta(days=11)).isoformat()).code == "key_not_valid"
    assert seal_problem(rotated, "not a time").code == "malformed"
    compromised = Seal("k", b"", "o", "u", "n", created_at=now - timedelta(days=10), retired_at=now, compromised_at=now)
    assert seal_problem(compromised, (now - timedelta(days=2)).isoformat()).code == "seal_key_compromised"
