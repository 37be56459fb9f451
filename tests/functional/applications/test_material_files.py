"""Uploaded materials are readable by their applicant and by staff in scope, SM3-checked, and every read is audited."""

from sqlalchemy import select

from longgov.applications.models import ApplicationMaterial
from longgov.applications.storage import storage_for
from longgov.security.audit.models import AuditEvent
from tests.conftest import csrf_headers, login_person
from tests.functional.applications.conftest import PDF
from tests.functional.applications.test_workbench import _staff, _submitted


async def _reads(platform, number: str) -> list[dict]:
    async with platform.db.transaction() as session:
        rows = (await session.execute(select(AuditEvent).where(AuditEvent.tag == "applications:application:read", AuditEvent.subject_id == number))).scalars()
        return [r.details for r in rows if "material_index" in r.details]


async def _first_material(platform, application_id: str) -> ApplicationMaterial:
    async with platform.db.transaction() as session:
        rows = (await session.execute(select(ApplicationMaterial).where(ApplicationMaterial.application_id.is_not(None)))).scalars().all()
    return next(r for r in rows if str(r.application_id) == application_id)


async def test_applicant_and_staff_in_scope_read_the_file_others_do_not(client, new_client, seeded, make_person, make_staff):
    headers, application = await _submitted(client, seeded, make_person)
    app_id, number = application["id"], application["number"]
    index = next(m["index"] for m in application["materials"] if m["uploaded"])

    r = await client.get(f"/api/v1/applications/{app_id}/materials/{index}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.content == PDF
    assert r.headers["content-type"].startswith("application/pdf")
    assert r.headers["content-disposition"].startswith("inline;")
    assert "sandbox" in r.headers["content-security-policy"]

    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    r = await counter.get(f"/api/v1/applications/workbench/cases/{app_id}/materials/{index}", headers=counter_h)
    assert r.status_code == 200, r.text
    assert r.content == PDF
    page = await counter.get(f"/workbench/applications/{app_id}")
    assert f'href="/api/v1/applications/workbench/cases/{app_id}/materials/{index}"' in page.text

    other_county, other_h = await _staff(new_client, make_staff, ["counter_staff"], "620103-market_regulation")
    r = await other_county.get(f"/api/v1/applications/workbench/cases/{app_id}/materials/{index}", headers=other_h)
    assert r.status_code == 404

    stranger = await new_client()
    await login_person(stranger, seeded, await make_person())
    r = await stranger.get(f"/api/v1/applications/{app_id}/materials/{index}", headers=await csrf_headers(stranger))
    assert r.status_code == 404
    assert len(await _reads(seeded, number)) == 2  # the applicant's read and the counter staff's


async def test_a_changed_or_lost_file_is_refused_not_served(client, new_client, seeded, make_person, make_staff):
    headers, application = await _submitted(client, seeded, make_person)
    app_id = application["id"]
    row = await _first_material(seeded, app_id)
    store = storage_for(seeded.settings)
    await store.put(row.storage_key, PDF + b"tampered", content_type="application/pdf")
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    r = await counter.get(f"/api/v1/applications/workbench/cases/{app_id}/materials/{row.material_index}", headers=counter_h)
    assert r.status_code == 409
    assert r.json()["code"] == "material_digest_mismatch"
    await store.delete(row.storage_key)
    r = await client.get(f"/api/v1/applications/{app_id}/materials/{row.material_index}", headers=headers)
    assert r.status_code == 404
    assert r.json()["code"] == "material_file_missing"
    assert "缺失" in r.json()["message"]
