"""The applicant downloads the signed documents of their own application; nobody else's (R3.3 文书送达)."""

import re
import shutil
import subprocess
import uuid
from urllib.parse import unquote

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from longgov.catalog import services as catalog
from longgov.documents.models import Document
from longgov.platform import ServiceContext
from longgov.security.audit.models import AuditEvent
from longgov.security.crypto import sm3_hex
from tests.conftest import csrf_headers, login_enterprise, login_person, login_staff
from tests.functional.applications.conftest import FOOD, GOOD_FOOD_FORM, item_code, upload_all

CHENGGUAN = "620102-market_regulation"
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")


@pytest.fixture
async def catalogue(platform):
    async with platform.db.transaction() as session:
        await catalog.seed_catalog(ServiceContext(session=session, platform=platform))
    return platform


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode())


async def _submit(client, platform, headers):
    r = await client.post("/api/v1/applications", json={"item_code": await item_code(platform, FOOD), "form": GOOD_FOOD_FORM}, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    await upload_all(client, headers, draft)
    r = await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def _staff(new_client, make_staff, roles, organisation=CHENGGUAN):
    c = await new_client()
    await login_staff(c, await make_staff(roles, organisation))
    return c, {**(await csrf_headers(c)), "accept": "application/json"}


async def _act(c, headers, application_id, **body):
    r = await c.post(f"/api/v1/applications/workbench/{application_id}/act", json={"opinion": "同意", **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _document(view):
    """The document issued by the latest step."""
    return view["events"][-1]["details"]["document"]


async def _downloads(platform, document_id):
    async with platform.db.transaction() as session:
        rows = await session.execute(select(AuditEvent).where(AuditEvent.tag == "documents:document:download", AuditEvent.subject_id == str(document_id)))
        return rows.scalars().all()


async def _stored_pdf(platform, document_id):
    async with platform.db.transaction() as session:
        row = await session.execute(select(Document).where(Document.id == uuid.UUID(document_id)).options(undefer(Document.pdf)))
        return row.scalar_one().pdf


@needs_pdftotext
async def test_the_applicant_downloads_their_notices_and_decision(client, new_client, catalogue, make_person, make_staff):  # noqa: PLR0915 - one story
    person = await make_person(name="王小饭")
    await login_person(client, catalogue, person)
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    application = await _submit(client, catalogue, headers)
    app_id, number = application["id"], application["number"]
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    approver, approver_h = await _staff(new_client, make_staff, ["approver"])
    leader, leader_h = await _staff(new_client, make_staff, ["department_leader"])

    correction = _document(await _act(counter, counter_h, app_id, task="pre_check", action="request_correction", missing_items=["经营场所平面图"]))
    pdf_path = f"/api/v1/documents/{correction['id']}/pdf"

    # The timeline offers the applicant the PDF itself, not only the public verification page.
    r = await client.get(f"/citizen/applications/{number}")
    assert r.status_code == 200
    assert f'href="{pdf_path}"' in r.text
    assert "下载 PDF" in r.text

    r = await client.get(pdf_path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["cache-control"] == "no-store"
    assert r.content == await _stored_pdf(catalogue, correction["id"])
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"补正材料通知书-{number}.pdf"
    text = _text(r.content)
    assert number in text
    assert "补正材料通知书" in text
    assert "经营场所平面图" in text
    (audit,) = await _downloads(catalogue, correction["id"])
    assert audit.result == "success"
    assert audit.details["as"] == "applicant"
    assert audit.actor_name == person.name

    r = await client.post(f"/api/v1/applications/{app_id}/resubmit", json={"note": "已补正"}, headers=headers)
    assert r.status_code == 201, r.text
    acceptance = _document(await _act(counter, counter_h, app_id, task="pre_check", action="accept"))
    await _act(approver, approver_h, app_id, task="review", action="pass")
    grant = _document(await _act(leader, leader_h, app_id, task="decision", action="grant"))

    r = await client.get(f"/api/v1/documents/{grant['id']}/pdf")
    assert r.status_code == 200, r.text
    text = _text(r.content)
    assert "准予行政许可决定书" in text
    assert "决定准予行政许可" in text
    assert number in text
    assert r.headers["x-document-sm3"] == sm3_hex(r.content)
    r = await client.get(f"/api/v1/documents/{acceptance['id']}/pdf")
    assert r.status_code == 200
    assert "受理通知书" in _text(r.content)

    # The JSON view of the application names every document, each of which the applicant may fetch.
    r = await client.get(f"/api/v1/applications/{app_id}", headers=headers)
    ids = [e["details"]["document"]["id"] for e in r.json()["events"] if "document" in e["details"]]
    assert ids == [correction["id"], acceptance["id"], grant["id"]]

    # Another citizen: 404, exactly like a document that does not exist, and the attempt is on record.
    other = await new_client()
    await login_person(other, catalogue, await make_person())
    r = await other.get(f"/api/v1/documents/{grant['id']}/pdf", headers={"accept": "application/json"})
    assert r.status_code == 404
    assert r.json()["code"] == "document_not_found"
    r = await other.get("/api/v1/documents/00000000-0000-4000-8000-000000000000/pdf", headers={"accept": "application/json"})
    assert r.status_code == 404
    assert r.json()["code"] == "document_not_found"
    refused = [a for a in await _downloads(catalogue, grant["id"]) if a.result == "failure"]
    assert [a.details["reason"] for a in refused] == ["not_addressee"]

    # Staff in the issuing region may download through the same link; staff elsewhere may not.
    r = await counter.get(f"/api/v1/documents/{grant['id']}/pdf")
    assert r.status_code == 200
    assert r.content.startswith(b"%PDF")
    elsewhere, elsewhere_h = await _staff(new_client, make_staff, ["counter_staff"], "620200-market_regulation")
    r = await elsewhere.get(f"/api/v1/documents/{grant['id']}/pdf", headers=elsewhere_h)
    assert r.status_code == 404
    # The staff-only link stays staff-only.
    r = await client.get(grant["download_path"], headers={"accept": "application/json"})
    assert r.status_code == 403

    anonymous = await new_client()
    r = await anonymous.get(f"/api/v1/documents/{grant['id']}/pdf", headers={"accept": "application/json"})
    assert r.status_code == 401

    audits = await _downloads(catalogue, grant["id"])
    assert sorted((a.result, a.details.get("as") or a.details.get("reason")) for a in audits) == [
        ("failure", "not_addressee"),
        ("failure", "out_of_scope"),
        ("success", "applicant"),
        ("success", "staff"),
    ]


async def test_an_enterprise_downloads_its_own_notice_only(client, new_client, catalogue, make_enterprise, make_staff):
    await login_enterprise(client, catalogue, await make_enterprise())
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    application = await _submit(client, catalogue, headers)
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    acceptance = _document(await _act(counter, counter_h, application["id"], task="pre_check", action="accept"))

    r = await client.get(f"/enterprise/applications/{application['number']}")
    assert f'href="/api/v1/documents/{acceptance["id"]}/pdf"' in r.text
    r = await client.get(f"/api/v1/documents/{acceptance['id']}/pdf")
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF")

    rival = await new_client()
    await login_enterprise(rival, catalogue, await make_enterprise())
    r = await rival.get(f"/api/v1/documents/{acceptance['id']}/pdf", headers={"accept": "application/json"})
    assert r.status_code == 404


async def test_a_tampered_pdf_is_not_handed_to_the_applicant(client, new_client, catalogue, make_person, make_staff):
    await login_person(client, catalogue, await make_person())
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    application = await _submit(client, catalogue, headers)
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    acceptance = _document(await _act(counter, counter_h, application["id"], task="pre_check", action="accept"))
    async with catalogue.db.transaction() as session:
        row = (await session.execute(select(Document).where(Document.id == uuid.UUID(acceptance["id"])).options(undefer(Document.pdf)))).scalar_one()
        row.pdf = row.pdf.replace(b"%PDF-1.", b"%PDF-2.", 1)

    r = await client.get(f"/api/v1/documents/{acceptance['id']}/pdf", headers={"accept": "application/json"})
    assert r.status_code == 403
    assert r.json()["code"] == "document_tampered"
    (audit,) = await _downloads(catalogue, acceptance["id"])
    assert (audit.result, audit.details["reason"]) == ("failure", "signature")
