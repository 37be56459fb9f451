"""External revocation feeds: another province's signed status list, pulled (from a folder or over HTTP), checked
against its trusted key and applied, so that its revoked licences fail every verification here; bad lists are
refused and recorded; the trust page shows it all."""

import functools
import http.server
import json
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from longgov.identity import services as identity
from longgov.jobs.models import JobLease
from longgov.jobs.runner import run_job
from longgov.licences import feeds, offline, sealing, services, trust
from longgov.licences.catalogue import government_uscc, type_by_key
from longgov.licences.identifiers import licence_key, make_identifier
from longgov.licences.models import LicenceStatusFeed
from longgov.licences.module import module
from longgov.platform import ServiceContext
from longgov.security.audit.models import AuditEvent
from longgov.security.crypto import generate_sm2_keypair, sm2_public_key_to_pem, sm3_hex
from tests.conftest import csrf_headers, login_person, login_staff


class Province:
    """An external issuer as its own platform runs it: a key, licences it seals, the status list it publishes."""

    def __init__(self, folder: Path) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self.uscc = government_uscc(f"510000-feedtest-{self.tag}", "510000")
        self.name = f"四川省测试厅{self.tag[:4]}"
        self.key = generate_sm2_keypair()
        self.key_id = sm3_hex(self.key.public_key)
        self.file = f"status-{self.tag}.json"
        self.folder = folder

    def licence(self, person, serial: str) -> dict:
        licence_type = type_by_key("teacher_qualification")
        claims = sealing.claims(
            identifier=make_identifier(licence_type.code, self.uscc, serial, 1),
            type_code=licence_type.code,
            type_name=licence_type.name,
            number=f"2019510{serial}",
            holder_name=person.name,
            holder_id_type="公民身份号码",
            holder_id_number=person.id_number,
            issuer_name=self.name,
            issuer_uscc=self.uscc,
            issuer_division="510000",
            issued_on=date(2019, 7, 1),
            valid_from=date(2019, 7, 1),
            valid_until=None,
            trust_level="A",
            version=1,
            status_index=int(serial),
            data={
                "name": person.name,
                "sex": "男",
                "birth_date": "1990-01-01",
                "qualification_type": "高级中学教师资格",
                "subject": "数学",
                "id_number": person.id_number,
            },
        )
        return trust.external_document(claims, private_key=self.key.private_key, key_id=self.key_id)

    def status_list(self, revoked: list[dict], *, generated_at: datetime | None = None, private_key: bytes | None = None) -> dict:
        entries = [{"licence": licence_key(d["licence"]["identifier"]), "status": "revoked", "since": "2026-01-05T00:00:00+00:00"} for d in revoked]
        return feeds.issuer_status_list(
            entries,
            private_key=private_key or self.key.private_key,
            key_id=self.key_id,
            issuer=f"https://{self.tag}.example/issuers",
            generated_at=generated_at,
        )

    def publish(self, listing: dict | bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = listing if isinstance(listing, bytes) else json.dumps(listing).encode()
        (self.folder / self.file).write_bytes(data)


@pytest.fixture
def province(settings):
    return Province(feeds.feed_folder(settings))


async def _security_admin(new_client, make_staff):
    c = await new_client()
    await login_staff(c, await make_staff(["security_admin"], "620000-data"))
    return c, await csrf_headers(c)


async def _trust(admin, headers, province, **extra):
    body = {
        "uscc": province.uscc,
        "name": province.name,
        "region": "四川省",
        "public_key": sm2_public_key_to_pem(province.key.public_key).decode(),
        "trust_level": "A",
        "valid_from": "2015-01-01",
        **extra,
    }
    r = await admin.post("/api/v1/licences/trusted-issuers", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def _holder_imports(platform, new_client, person, document):
    holder = await new_client()
    await login_person(holder, platform, person)
    headers = await csrf_headers(holder)
    r = await holder.post("/api/v1/licences/external", content=json.dumps(document).encode(), headers=headers)
    assert r.status_code == 200, r.text
    return holder, headers, r.json()["licence"]


async def _pull(admin, headers, province):
    r = await admin.post(f"/api/v1/licences/trusted-issuers/{province.uscc}/status-feed/pull", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_licence_revoked_in_its_province_fails_every_verification_here(platform, client, new_client, make_staff, make_person, province):
    person = await make_person("620102", name="赵外省")
    document = province.licence(person, "00000101")
    admin, headers = await _security_admin(new_client, make_staff)
    await _trust(admin, headers, province, status_list_url=f"file:{province.file}")
    holder, holder_headers, licence = await _holder_imports(platform, new_client, person, document)
    r = await holder.post(f"/api/v1/licences/{licence['id']}/presentations", json={"purpose": "应聘教师岗位", "expires_in": 1800}, headers=holder_headers)
    presented = r.json()["document"]
    province.publish(province.status_list([]))
    pulled = await _pull(admin, headers, province)
    assert (pulled["ok"], pulled["entries"], pulled["changed"]) == (True, 0, 0), pulled
    assert (await client.post("/api/v1/licences/verify", content=json.dumps(document).encode())).json()["valid"] is True

    # Sichuan revokes it and publishes a new list; the next pull applies it.
    province.publish(province.status_list([document]))
    pulled = await _pull(admin, headers, province)
    assert (pulled["ok"], pulled["entries"], pulled["changed"]) == (True, 1, 1), pulled
    result = (await client.post("/api/v1/licences/verify", content=json.dumps(document).encode())).json()
    assert (result["valid"], result["code"]) == (False, "revoked"), result
    assert province.name in result["reason"]
    online = (await client.post("/api/v1/licences/verify", content=json.dumps(presented).encode())).json()
    assert (online["valid"], online["code"]) == (False, "revoked"), online
    # Offline verifiers learn it from this platform's own status list.
    trust_list = (await client.get("/api/v1/licences/trust-list")).json()
    status_list = (await client.get("/api/v1/licences/status-list")).json()
    offline_result = offline.verify_offline(presented, trust_list, status_list, platform_public_key=platform.keys.signing.public_key)
    assert (offline_result.valid, offline_result.code) == (False, "revoked")
    view = (await holder.get(f"/api/v1/licences/{licence['id']}")).json()
    assert view["status"] == "revoked"
    assert province.name in view["status_reason"]
    history = (await holder.get(f"/api/v1/licences/{licence['id']}/history")).json()
    assert history[-1]["action"] == "revoke"
    async with platform.db.transaction() as session:
        tags = set((await session.execute(select(AuditEvent.tag).where(AuditEvent.tag.like("licences:%")))).scalars())
    assert {"licences:status_feed:pull", "licences:status_feed:set", "licences:licence:external_status"} <= tags
    # Pulling the same list again changes nothing; revocation stays final even if a later list omits it.
    assert (await _pull(admin, headers, province))["changed"] == 0
    province.publish(province.status_list([]))
    assert (await _pull(admin, headers, province))["changed"] == 0
    assert (await holder.get(f"/api/v1/licences/{licence['id']}")).json()["status"] == "revoked"


async def test_material_reference_of_a_revoked_external_licence_is_not_valid(platform, new_client, make_staff, make_person, province):
    person = await make_person("620102", name="钱外省")
    document = province.licence(person, "00000201")
    admin, headers = await _security_admin(new_client, make_staff)
    await _trust(admin, headers, province, status_list_url=f"file:{province.file}")
    holder, _, licence = await _holder_imports(platform, new_client, person, document)
    province.publish(province.status_list([document]))
    assert (await _pull(admin, headers, province))["changed"] == 1
    # 证照免提交: the holder's reference to it as an application material verifies now, as revoked.
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        actor = await identity.principal_by_login(ctx, "person", person.id_number)
        reference = await services.material_reference(ServiceContext(session=session, platform=platform, actor=actor), uuid.UUID(licence["id"]))
    assert (reference.verification.valid, reference.verification.code) == (False, "revoked")
    assert province.name in reference.verification.reason
    del holder


async def test_a_licence_imported_after_its_revocation_arrives_revoked(platform, new_client, make_staff, make_person, province):
    person = await make_person("620102", name="孙外省")
    document = province.licence(person, "00000301")
    admin, headers = await _security_admin(new_client, make_staff)
    await _trust(admin, headers, province, status_list_url=f"file:{province.file}")
    province.publish(province.status_list([document]))
    pulled = await _pull(admin, headers, province)
    assert (pulled["entries"], pulled["changed"]) == (1, 0)
    _, _, licence = await _holder_imports(platform, new_client, person, document)
    assert licence["status"] == "revoked"


async def test_bad_lists_are_refused_recorded_and_change_nothing(platform, client, new_client, make_staff, make_person, province):
    person = await make_person("620102", name="李外省")
    document = province.licence(person, "00000401")
    admin, headers = await _security_admin(new_client, make_staff)
    await _trust(admin, headers, province, status_list_url=f"file:{province.file}")
    holder, _, licence = await _holder_imports(platform, new_client, person, document)
    good = province.status_list([document])
    unsigned = {"list": good["list"]}
    stranger = province.status_list([document], private_key=generate_sm2_keypair().private_key)
    tampered = json.loads(json.dumps(good))
    tampered["list"]["entries"] = []
    stale = province.status_list([document], generated_at=datetime.now(UTC) - timedelta(days=2))
    other_key = licence_key(make_identifier(type_by_key("teacher_qualification").code, government_uscc("510000-other", "510000"), "00000001", 1))
    foreign_list = feeds.issuer_status_list(
        [{"licence": other_key, "status": "revoked"}], private_key=province.key.private_key, key_id=province.key_id, issuer="x"
    )
    cases = [
        (unsigned, "status_list_unsigned"),
        (stranger, "status_list_signature_invalid"),
        (tampered, "status_list_signature_invalid"),
        (stale, "status_list_stale"),
        (foreign_list, "status_list_invalid"),
        (b"not json", "status_list_invalid"),
    ]
    for failures, (listing, code) in enumerate(cases, start=1):
        province.publish(listing)
        pulled = await _pull(admin, headers, province)
        assert (pulled["ok"], pulled["code"]) == (False, code), pulled
        feed = next(f for f in (await admin.get("/api/v1/licences/status-feeds")).json() if f["uscc"] == province.uscc)
        assert (feed["last_status"], feed["last_code"], feed["failures"]) == ("failed", code, failures)
    (province.folder / province.file).unlink()
    assert (await _pull(admin, headers, province))["code"] == "status_feed_unreachable"
    assert (await holder.get(f"/api/v1/licences/{licence['id']}")).json()["status"] == "valid"

    # A good list is accepted; an older one afterwards is a replay.
    older = province.status_list([], generated_at=datetime.now(UTC) - timedelta(hours=1))
    province.publish(good)
    assert (await _pull(admin, headers, province))["ok"] is True
    province.publish(older)
    assert (await _pull(admin, headers, province))["code"] == "status_list_replayed"
    assert (await holder.get(f"/api/v1/licences/{licence['id']}")).json()["status"] == "revoked"
    async with platform.db.transaction() as session:
        refused = (
            await session.execute(
                select(AuditEvent.details).where(AuditEvent.tag == "licences:status_feed:pull", AuditEvent.result == "failure").order_by(AuditEvent.seq)
            )
        ).scalars()
        codes = [d["code"] for d in refused if d.get("uscc") == province.uscc]
    assert codes == [c for _, c in cases] + ["status_feed_unreachable", "status_list_replayed"]


async def test_the_scheduled_job_pulls_every_feed(platform, new_client, make_staff, make_person, province):
    job = next(j for j in module.jobs if j.name == "licences.external-status-feeds")
    person = await make_person("620102", name="周外省")
    document = province.licence(person, "00000501")
    admin, headers = await _security_admin(new_client, make_staff)
    await _trust(admin, headers, province, status_list_url=f"file:{province.file}")
    holder, _, licence = await _holder_imports(platform, new_client, person, document)
    province.publish(province.status_list([document]))
    outcome = await run_job(platform, job, force=True)
    # Other tests' provinces may share the database: this province's feed is not among the failures.
    assert outcome.status in {"ok", "partial"}, outcome
    assert province.name not in outcome.result
    assert "证照状态变更" in outcome.result
    assert (await holder.get(f"/api/v1/licences/{licence['id']}")).json()["status"] == "revoked"
    # The province's list goes missing: the run is recorded as partly failed, naming the feed; nothing is undone.
    (province.folder / province.file).unlink()
    outcome = await run_job(platform, job, force=True)
    assert outcome.status == "partial", outcome
    assert f"{province.name} status_feed_unreachable" in outcome.result
    async with platform.db.transaction() as session:
        lease = (await session.execute(select(JobLease).where(JobLease.name == job.name))).scalar_one()
    assert lease.last_status == "partial"
    assert (await holder.get(f"/api/v1/licences/{licence['id']}")).json()["status"] == "revoked"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def http_folder(tmp_path):
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_a_list_published_over_http_is_fetched_with_httpx(platform, new_client, make_staff, make_person, province, http_folder):
    folder, base = http_folder
    person = await make_person("620102", name="吴外省")
    document = province.licence(person, "00000601")
    admin, headers = await _security_admin(new_client, make_staff)
    await _trust(admin, headers, province, status_list_url=f"{base}/status-list.json")
    holder, _, licence = await _holder_imports(platform, new_client, person, document)
    assert (await _pull(admin, headers, province))["code"] == "status_feed_unreachable"  # 404: nothing published yet
    (folder / "status-list.json").write_text(json.dumps(province.status_list([document])))
    pulled = await _pull(admin, headers, province)
    assert (pulled["ok"], pulled["changed"]) == (True, 1), pulled
    assert (await holder.get(f"/api/v1/licences/{licence['id']}")).json()["status"] == "revoked"
    with pytest.raises(feeds.FeedError) as too_big:
        await feeds.HttpStatusSource(max_bytes=10).fetch(f"{base}/status-list.json")
    assert too_big.value.code == "status_list_too_large"


async def test_feed_addresses_are_checked(new_client, make_staff, province):
    admin, headers = await _security_admin(new_client, make_staff)
    await _trust(admin, headers, province)
    for url in ("file:../../etc/passwd", "file:///etc/passwd", "ftp://example.org/list.json", "https://", "javascript:alert(1)"):
        r = await admin.post(f"/api/v1/licences/trusted-issuers/{province.uscc}/status-feed", json={"url": url}, headers=headers)
        assert (r.status_code, r.json()["code"]) == (422, "status_list_url_invalid"), url
    r = await admin.post("/api/v1/licences/trusted-issuers/91510000MA00000000/status-feed", json={"url": "https://example.org/x"}, headers=headers)
    assert r.status_code == 404
    r = await admin.post(f"/api/v1/licences/trusted-issuers/{province.uscc}/status-feed", json={"url": "https://example.org/status-list"}, headers=headers)
    assert r.json()["url"] == "https://example.org/status-list"
    r = await admin.post(f"/api/v1/licences/trusted-issuers/{province.uscc}/status-feed", json={"url": None}, headers=headers)
    assert r.json() is None
    r = await admin.post(f"/api/v1/licences/trusted-issuers/{province.uscc}/status-feed/pull", headers=headers)
    assert (r.status_code, r.json()["code"]) == (404, "status_feed_not_found")


async def test_trust_page_lists_adds_retires_and_shows_the_feed(platform, new_client, make_staff, make_person, province):
    admin, headers = await _security_admin(new_client, make_staff)
    home = await admin.get("/workbench")
    assert "/workbench/licences/trust" in home.text
    person = await make_person("620102", name="郑外省")
    document = province.licence(person, "00000701")
    pem = sm2_public_key_to_pem(province.key.public_key).decode()
    form = {
        "name": province.name,
        "region": "四川省",
        "uscc": province.uscc,
        "trust_level": "A",
        "valid_from": "2015-01-01",
        "status_list_url": f"file:{province.file}",
    }
    bad = await admin.post("/workbench/licences/trust/issuers", data={**form, "public_key": "04" + "00" * 64}, headers=headers)
    assert bad.status_code == 422
    assert 'data-error-code="public_key_invalid"' in bad.text
    assert "公钥格式错误" in bad.text
    assert province.name in bad.text  # the form keeps what was typed
    bad_date = await admin.post("/workbench/licences/trust/issuers", data={**form, "public_key": pem, "valid_from": "2015-13-01"}, headers=headers)
    assert 'data-error-code="validity_invalid"' in bad_date.text
    r = await admin.post("/workbench/licences/trust/issuers", data={**form, "public_key": pem}, headers=headers)
    assert r.status_code == 303, r.text
    await _holder_imports(platform, new_client, person, document)
    province.publish(province.status_list([document]))
    r = await admin.post(f"/workbench/licences/trust/feeds/{province.uscc}/pull", headers=headers)
    assert r.status_code == 303
    page = await admin.get("/workbench/licences/trust?done=pulled")
    assert page.status_code == 200
    assert trust.fingerprint(province.key_id) in page.text
    assert "已导入证照" in page.text
    assert "1 张，其中 1 张已被该机构暂停或吊销" in page.text
    assert "已同步：1条暂停或吊销记录，1张已导入证照状态变更" in page.text
    async with platform.db.transaction() as session:
        row = (await session.execute(select(LicenceStatusFeed).where(LicenceStatusFeed.uscc == province.uscc))).scalar_one()
    listed = next(k for k in (await admin.get("/api/v1/licences/trusted-issuers")).json() if k["key_id"] == province.key_id)
    key_row_id = listed["id"]
    assert (listed["imported"], listed["state"], listed["fingerprint"]) == (1, "active", trust.fingerprint(province.key_id))
    assert row.last_status == "ok"
    no_reason = await admin.post(f"/workbench/licences/trust/keys/{key_row_id}/retire", data={"reason": ""}, headers=headers)
    assert 'data-error-code="reason_required"' in no_reason.text
    r = await admin.post(f"/workbench/licences/trust/keys/{key_row_id}/retire", data={"reason": "对方密钥轮换"}, headers=headers)
    assert r.status_code == 303
    page = await admin.get("/workbench/licences/trust")
    assert 'data-state="retired"' in page.text
    # Nobody without the permission sees it.
    approver = await new_client()
    await login_staff(approver, await make_staff(["approver"], "620102-market_regulation"))
    assert (await approver.get("/workbench/licences/trust")).status_code == 403
