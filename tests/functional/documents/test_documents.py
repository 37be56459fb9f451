"""Issuing, rendering, signing, verifying and downloading documents."""

import asyncio
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from longgov.documents import services
from longgov.documents.models import Document
from longgov.documents.schemas import DocumentFields, DocumentKind, MaterialDefect
from longgov.platform import ServiceContext
from longgov.security.audit.models import AuditEvent
from tests.conftest import login_person, login_staff

ORG = "620102-market_regulation"  # 城关区市场监督管理局
REASONS = ["经营场所与营业执照登记住所不一致", "未配备专职食品安全管理人员"]
MATERIALS = [MaterialDefect(name="营业执照复印件", reason="复印件模糊，请提供清晰件"), MaterialDefect(name="场所使用证明", reason="缺少房屋租赁合同")]

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
needs_zbar = pytest.mark.skipif(shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None, reason="zbarimg/pdftoppm not installed")


def _fields(**kw):
    base = {
        "organisation_code": ORG,
        "application_number": f"SQ{uuid.uuid4().hex[:12].upper()}",
        "applicant_name": "李青松",
        "applicant_id_number": "620102199001011234",
        "item_name": "食品经营许可（新办）",
        "submitted_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        "legal_basis": "《中华人民共和国行政许可法》第三十二条",
        "reasons": REASONS,
        "materials": MATERIALS,
        "correction_days": 5,
        "time_limit_days": 10,
        "decision_content": "预包装食品销售（含冷藏冷冻食品）",
        "validity": "五年",
        "review_authority": "兰州市城关区人民政府",
    }
    return DocumentFields(**{**base, **kw})


async def _issue(platform, kind, **kw):
    async with platform.db.transaction() as session:
        return await services.issue_document(ServiceContext(session=session, platform=platform), kind, _fields(**kw))


async def _row(platform, document_id):
    async with platform.db.transaction() as session:
        return (await session.execute(select(Document).where(Document.id == document_id).options(undefer(Document.pdf)))).scalar_one()


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode())


EXPECTED = {
    DocumentKind.Acceptance: ["受理通知书", "决定予以受理", "10个工作日内"],
    DocumentKind.Refusal: ["不予受理通知书", *REASONS, "决定不予受理", "六十日内", "六个月内"],
    DocumentKind.Correction: ["补正材料通知书", "一次性告知", "营业执照复印件", "复印件模糊，请提供清晰件", "缺少房屋租赁合同", "5日内"],
    DocumentKind.Grant: ["准予行政许可决定书", "决定准予行政许可", "预包装食品销售"],
    DocumentKind.Denial: [
        "不予行政许可决定书",
        *REASONS,
        "决定不予行政许可",
        "六十日内向兰州市城关区人民政府申请行政复议",
        "六个月内依法向有管辖权的人民法院提起行政诉讼",
    ],
}


@needs_pdftotext
@pytest.mark.parametrize("kind", list(DocumentKind))
async def test_each_kind_renders_its_chinese_content(platform, kind):
    view = await _issue(platform, kind)
    row = await _row(platform, view.id)
    text = _text(row.pdf)
    for expected in [
        *EXPECTED[kind],
        "城关区市场监督管理局",
        "李青松",
        "食品经营许可（新办）",
        view.number,
        view.application_number,
        "（印章）",
        "2026年11月20日",
    ]:
        assert re.sub(r"\s+", "", expected) in text, (kind, expected)
    assert "620102199001011234" not in text
    assert "6201**********1234" in text
    assert re.fullmatch(r"城关市监许[不受补准]+〔\d{4}〕第\d{6}号", view.number)


async def test_font_is_embedded_as_a_subset(platform):
    row = await _row(platform, (await _issue(platform, DocumentKind.Acceptance)).id)
    pdf = row.pdf
    base_fonts = set(re.findall(rb"/BaseFont /([A-Z]{6})\+(\S+)", pdf))
    assert base_fonts, "no subset-prefixed font"
    assert all(name.startswith(b"Noto") or name for _, name in base_fonts)
    # Noto CJK is a CFF (PostScript-outline) font: embedded as FontFile3; a TrueType font would be FontFile2.
    assert re.search(rb"/FontFile[23] \d+ 0 R", pdf)
    assert b"/Type0" in pdf
    assert b"/ToUnicode" in pdf
    assert len(pdf) < 300_000  # a whole CJK font would be several MB


def _decode_qr(pdf: bytes, tmp_path) -> str:
    (tmp_path / "d.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(tmp_path / "d.pdf"), str(tmp_path / "p")], check=True)
    page = min(tmp_path.glob("p*.png"))
    return subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, check=True).stdout.decode().strip()


@needs_zbar
async def test_qr_code_opens_the_verification_page(platform, tmp_path, client):
    view = await _issue(platform, DocumentKind.Grant)
    row = await _row(platform, view.id)
    url = await asyncio.to_thread(_decode_qr, row.pdf, tmp_path)
    assert url.endswith(view.verify_path)
    assert re.search(r"/verify/documents/[0-9a-f-]{36}\?c=[a-z2-7]{16}$", url)
    r = await client.get(view.verify_path)
    assert r.status_code == 200


async def test_signature_verifies_and_one_flipped_byte_fails(platform):
    view = await _issue(platform, DocumentKind.Acceptance)
    row = await _row(platform, view.id)
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        assert services.signature_valid(ctx, row, row.pdf)
        for position in (0, len(row.pdf) // 2, len(row.pdf) - 1):
            flipped = bytearray(row.pdf)
            flipped[position] ^= 0x01
            assert not services.signature_valid(ctx, row, bytes(flipped))


async def test_verification_page_and_api(platform, client):
    view = await _issue(platform, DocumentKind.Denial)
    r = await client.get(view.verify_path)
    assert r.status_code == 200
    for expected in ("真实有效", "不予行政许可决定书", view.number, "城关区市场监督管理局", "食品经营许可（新办）", "李**", view.pdf_sm3):
        assert expected in r.text
    assert "李青松" not in r.text
    code = view.verify_path.split("c=")[1]
    r = await client.get(f"/api/v1/documents/{view.id}/verify", params={"c": code})
    assert r.status_code == 200
    assert r.json()["valid"] is True
    assert r.json()["number"] == view.number

    wrong = "a" * 16 if code != "a" * 16 else "b" * 16
    for path in (
        f"/verify/documents/{view.id}?c={wrong}",
        f"/verify/documents/{view.id}",
        f"/verify/documents/{uuid.uuid4()}?c={code}",
        "/verify/documents/not-an-id?c=x",
    ):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert "无法核验" in r.text
        assert view.number not in r.text
    r = await client.get(f"/api/v1/documents/{view.id}/verify", params={"c": wrong})
    assert r.status_code == 404
    assert r.json()["code"] == "document_unverifiable"


async def test_tampered_stored_pdf_is_unverifiable(platform, client):
    view = await _issue(platform, DocumentKind.Grant)
    async with platform.db.transaction() as session:
        row = (await session.execute(select(Document).where(Document.id == view.id).options(undefer(Document.pdf)))).scalar_one()
        row.pdf = row.pdf.replace(b"%PDF-1.", b"%PDF-2.", 1)
    r = await client.get(view.verify_path)
    assert r.status_code == 404
    assert "无法核验" in r.text


async def test_numbers_are_unique_and_sequential_per_organisation_kind_and_year(platform):
    first = await _issue(platform, DocumentKind.Correction)
    second = await _issue(platform, DocumentKind.Correction)
    third = await _issue(platform, DocumentKind.Correction)
    serials = [int(re.search(r"第(\d{6})号", v.number).group(1)) for v in (first, second, third)]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]
    other_org = await _issue(platform, DocumentKind.Correction, organisation_code="620100-market_regulation")
    assert other_org.number.startswith("兰州市监许补〔")
    assert int(re.search(r"第(\d{6})号", other_org.number).group(1)) == 1 or other_org.number not in {first.number, second.number, third.number}
    async with platform.db.transaction() as session:
        numbers = list((await session.execute(select(Document.number))).scalars())
    assert len(numbers) == len(set(numbers))


async def test_issue_is_audited_and_validates(platform):
    from longgov.kernel.errors import ValidationFailed

    view = await _issue(platform, DocumentKind.Acceptance)
    async with platform.db.transaction() as session:
        event = (
            await session.execute(select(AuditEvent).where(AuditEvent.tag == "documents:document:issue", AuditEvent.subject_id == str(view.id)))
        ).scalar_one()
    assert event.details["number"] == view.number
    with pytest.raises(ValidationFailed, match="必须载明理由"):
        await _issue(platform, DocumentKind.Denial, reasons=[])
    with pytest.raises(ValidationFailed, match="出具机关不存在"):
        await _issue(platform, DocumentKind.Acceptance, organisation_code="999999-nothing")


async def test_download_for_staff_in_scope_only(platform, new_client, make_staff, make_person):
    view = await _issue(platform, DocumentKind.Grant)
    in_scope = await new_client()
    await login_staff(in_scope, await make_staff(["approver"], "620100-market_regulation"))
    r = await in_scope.get(view.download_path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert r.headers["x-document-sm3"] == view.pdf_sm3
    r = await in_scope.get(f"/api/v1/documents/{view.id}", headers={"accept": "application/json"})
    assert r.status_code == 200
    assert r.json()["number"] == view.number
    async with platform.db.transaction() as session:
        downloads = (
            (await session.execute(select(AuditEvent).where(AuditEvent.tag == "documents:document:download", AuditEvent.subject_id == str(view.id))))
            .scalars()
            .all()
        )
    assert len(downloads) == 1

    elsewhere = await new_client()
    await login_staff(elsewhere, await make_staff(["approver"], "620200-market_regulation"))
    r = await elsewhere.get(view.download_path, headers={"accept": "application/json"})
    assert r.status_code == 404

    citizen = await new_client()
    await login_person(citizen, platform, await make_person())
    r = await citizen.get(view.download_path, headers={"accept": "application/json"})
    assert r.status_code == 403
    anonymous = await new_client()
    r = await anonymous.get(view.download_path, headers={"accept": "application/json"})
    assert r.status_code == 401
    r = await in_scope.get("/api/v1/documents/not-a-document.pdf", headers={"accept": "application/json"})
    assert r.status_code == 404
