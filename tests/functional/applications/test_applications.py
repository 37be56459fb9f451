"""Online applications: drafts, forms, materials, idempotent submission, numbers, timeline, privacy."""

import asyncio
import re
import uuid

from sqlalchemy import func, select

from longgov.applications.models import Application, ApplicationMaterial
from longgov.applications.storage import storage_for
from longgov.security.audit.models import AuditEvent
from tests.conftest import csrf_headers, login_enterprise, login_person
from tests.functional.applications.conftest import FOOD, GOOD_FOOD_FORM, PDF, item_code, upload_all


async def _applicant(client, platform, make_person):
    await login_person(client, platform, await make_person())
    return {**(await csrf_headers(client)), "accept": "application/json"}


async def _draft(client, headers, platform, basic_code=FOOD, form=None):
    r = await client.post("/api/v1/applications", json={"item_code": await item_code(platform, basic_code), "form": form or {}}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_form_failing_its_schema_is_422_per_field(client, seeded, make_person):
    headers = await _applicant(client, seeded, make_person)
    draft = await _draft(client, headers, seeded)
    r = await client.put(f"/api/v1/applications/{draft['id']}", json={"form": {"contact_phone": "12", "planned_opening": "明天"}}, headers=headers)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_failed"
    assert body["details"] == {"contact_phone": "手机号码格式不正确", "planned_opening": "日期格式应为 YYYY-MM-DD"}
    await upload_all(client, headers, draft)
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    assert r.status_code == 422
    assert r.json()["details"]["operator_name"] == "必填"


async def test_materials_by_magic_bytes_size_and_rollback(client, seeded, make_person):
    headers = await _applicant(client, seeded, make_person)
    draft = await _draft(client, headers, seeded)
    url = f"/api/v1/applications/{draft['id']}/materials"
    # PDF bytes in a file named .png: judged by the bytes.
    r = await client.post(url, headers=headers, data={"material": "0"}, files={"file": ("scan.png", PDF, "image/png")})
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == "application/pdf"
    assert len(r.json()["sm3"]) == 64
    # An executable renamed .pdf is refused, naming the file.
    r = await client.post(url, headers=headers, data={"material": "1"}, files={"file": ("营业执照.pdf", b"MZ\x90\x00\x03", "application/pdf")})
    assert r.status_code == 415
    assert "营业执照.pdf" in r.json()["message"]
    # Over 10 MB: refused, naming the file.
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    r = await client.post(url, headers=headers, data={"material": "1"}, files={"file": ("大文件.pdf", big, "application/pdf")})
    assert r.status_code == 413
    assert "大文件.pdf" in r.json()["message"]
    r = await client.post(url, headers=headers, data={"material": "99"}, files={"file": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 422
    async with seeded.db.transaction() as session:
        rows = (await session.execute(select(ApplicationMaterial).where(ApplicationMaterial.application_id == uuid.UUID(draft["id"])))).scalars().all()
    assert [m.material_index for m in rows] == [0]
    folder = storage_for(seeded.settings).root / "applications" / uuid.UUID(draft["id"]).hex  # type: ignore[attr-defined]
    assert len(list(folder.iterdir())) == 1  # the refused uploads left no file behind


async def test_submission_is_idempotent_under_concurrency(client, seeded, make_person):
    headers = await _applicant(client, seeded, make_person)
    draft = await _draft(client, headers, seeded, form=GOOD_FOOD_FORM)
    await upload_all(client, headers, draft)
    key = {"idempotency-key": f"key-{uuid.uuid4().hex}"}
    url = f"/api/v1/applications/{draft['id']}/submit"
    first, second = await asyncio.gather(client.post(url, headers={**headers, **key}), client.post(url, headers={**headers, **key}))
    assert sorted([first.status_code, second.status_code]) == [200, 201], (first.text, second.text)
    assert first.json()["number"] == second.json()["number"]
    assert re.fullmatch(r"GS\d{8}\d{6}", first.json()["number"])
    again = await client.post(url, headers={**headers, **key})
    assert again.status_code == 200
    # The same key for another application is a conflict.
    other = await _draft(client, headers, seeded, form=GOOD_FOOD_FORM)
    await upload_all(client, headers, other)
    r = await client.post(f"/api/v1/applications/{other['id']}/submit", headers={**headers, **key})
    assert r.status_code == 409
    assert r.json()["code"] == "idempotency_key_reused"
    # A submitted application is no longer a draft.
    r = await client.put(url.removesuffix("/submit"), json={"form": {}}, headers=headers)
    assert r.status_code == 409


async def test_numbers_are_unique_under_concurrency(client, seeded, make_person):
    headers = await _applicant(client, seeded, make_person)
    drafts = []
    for _ in range(6):
        draft = await _draft(
            client, headers, seeded, basic_code="620B0026000000", form={"contact_name": "王五", "contact_phone": "13912345678", "description": "结婚登记预约"}
        )
        await upload_all(client, headers, draft)
        drafts.append(draft)
    results = await asyncio.gather(*(client.post(f"/api/v1/applications/{d['id']}/submit", headers=headers) for d in drafts))
    assert all(r.status_code == 201 for r in results), [r.text for r in results]
    numbers = {r.json()["number"] for r in results}
    assert len(numbers) == 6


async def test_item_version_is_fixed_and_timeline_shows_steps(client, seeded, make_person):
    headers = await _applicant(client, seeded, make_person)
    draft = await _draft(client, headers, seeded, form=GOOD_FOOD_FORM)
    assert draft["item_version"] >= 1
    assert draft["form_id"] == "longgov:forms/620A0005000000/v1"
    await upload_all(client, headers, draft)
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    assert r.status_code == 201
    number = r.json()["number"]
    steps = [e["step"] for e in r.json()["events"]]
    assert steps[0] == "draft_created"
    assert "material_uploaded" in steps
    assert steps[-2:] == ["submitted", "received"]
    page = await client.get(f"/citizen/applications/{number}")
    assert page.status_code == 200
    assert "提交申请" in page.text
    assert "上传材料" in page.text
    assert r.json()["department"] in page.text
    listing = await client.get("/citizen/applications")
    assert number in listing.text
    mine = await client.get("/api/v1/applications", headers=headers)
    assert any(a["number"] == number for a in mine.json()["items"])
    async with seeded.db.transaction() as session:
        tags = set((await session.execute(select(AuditEvent.tag).where(AuditEvent.subject_id == number))).scalars())
    assert {"applications:application:submit"} <= tags
    await client.get(f"/api/v1/applications/{draft['id']}", headers=headers)
    async with seeded.db.transaction() as session:
        reads = (await session.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.tag == "applications:application:read"))).scalar_one()
    assert reads >= 1


async def test_another_citizen_cannot_read_my_application(client, new_client, seeded, make_person):
    headers = await _applicant(client, seeded, make_person)
    draft = await _draft(client, headers, seeded, form=GOOD_FOOD_FORM)
    await upload_all(client, headers, draft)
    number = (await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)).json()["number"]
    other = await new_client()
    other_headers = await _applicant(other, seeded, make_person)
    assert (await other.get(f"/api/v1/applications/{draft['id']}", headers=other_headers)).status_code == 404
    assert (await other.get(f"/citizen/applications/{number}")).status_code == 404
    r = await other.post(
        f"/api/v1/applications/{draft['id']}/materials", headers=other_headers, data={"material": "0"}, files={"file": ("x.pdf", PDF, "application/pdf")}
    )
    assert r.status_code == 404
    assert (await other.get("/api/v1/applications/not-a-uuid", headers=other_headers)).status_code == 404


async def test_enterprise_can_apply(client, seeded, make_enterprise):
    await login_enterprise(client, seeded, await make_enterprise())
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    draft = await _draft(client, headers, seeded, form=GOOD_FOOD_FORM)
    assert draft["applicant_kind"] == "enterprise"
    await upload_all(client, headers, draft)
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers={**headers, "idempotency-key": "enterprise-key-1"})
    assert r.status_code == 201
    assert (await client.get(f"/enterprise/applications/{r.json()['number']}")).status_code == 200


async def test_form_page_flow(client, seeded, make_person):
    await login_person(client, seeded, await make_person())
    code = await item_code(seeded, "620B0017000000")
    page = await client.get(f"/citizen/items/{code}/apply")
    assert page.status_code == 200
    assert "出生登记申请表" in page.text
    assert 'type="date"' in page.text
    token = client.cookies["lg_csrf"]
    r = await client.post(f"/citizen/items/{code}/apply", data={"_csrf_token": token, "contact_phone": "123"})
    assert r.status_code == 422
    assert "手机号码格式不正确" in r.text
    r = await client.post(f"/citizen/items/{code}/apply", data={"_csrf_token": token, "child_name": "小明"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/citizen/applications/drafts/")
    draft = await client.get(r.headers["location"])
    assert draft.status_code == 200
    assert "小明" in draft.text
    assert "出生医学证明" in draft.text
    async with seeded.db.transaction() as session:
        count = (await session.execute(select(func.count()).select_from(Application).where(Application.status == "draft"))).scalar_one()
    assert count >= 1
