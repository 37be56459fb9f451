"""One whole journey in the browser: a citizen on a phone applies for a 食品经营许可, staff handle it, the
citizen downloads the signed decision and rates the service.

Citizen (390 px): search in plain words → guide → 在线申请 → form → materials → submit.
窗口人员: 一次性告知补正. Citizen: reads and downloads the 补正材料通知书, uploads again, resubmits.
窗口人员: 受理. 审批人员: 审查通过. 部门负责人: 准予许可. 窗口人员: 办结, 送达.
Citizen: downloads the 准予行政许可决定书 (checked with pdftotext) and gives 5 分 · 非常满意.

The three staff accounts are created for this test in the item's county and department (城关区市场监督管理局)
with ``longgov users create-staff`` against the running server's database. PNGs of the key steps go to
``test-artifacts/screenshots/journey-*.png`` unless ``LONGGOV_SCREENSHOTS=0``.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import DemoServer, Staff, login_citizen, login_staff, no_horizontal_overflow

pytest.importorskip("playwright.sync_api", reason="the python playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WRITE_PNGS = os.environ.get("LONGGOV_SCREENSHOTS", "1") != "0"
ORGANISATION = "620102-market_regulation"  # 城关区市场监督管理局: where 食品经营许可 is handled
STAFF_PASSWORD = "Journey2026staff!"  # a test account on a throwaway database
PHONE_WIDTH = 390
FORM = {
    "经营者名称": "城关区老马牛肉面馆",
    "统一社会信用代码": "92620102MA71K3Q5XB",
    "法定代表人（负责人）": "马建国",
    "经营场所": "甘肃省兰州市城关区张掖路步行街88号",
    "经营项目": "热食类食品制售（牛肉面、小菜）",
    "经营场所面积（平方米）": "60",
    "从业人员数": "4",
    "食品安全管理人员": "马小燕",
    "拟开业日期": "2026-12-18",
    "联系电话": "13909311234",
}


# --- test files and helpers --------------------------------------------------------------------


def _pdf(text: str) -> bytes:
    """A small, well-formed one-page PDF (xref offsets computed) showing an ASCII line."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png(width: int = 8, height: int = 8) -> bytes:
    """A small valid RGB PNG (a plain grey square)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _pdftotext(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode())


def _create_staff(server: DemoServer, name: str, role: str) -> str:
    """A new staff account of the item's office, created with the CLI against the server's database."""
    username = f"journey_{role}_{uuid.uuid4().hex[:6]}"
    script = Path(sys.executable).parent / "longgov"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "longgov.cli"]
    options = {"--username": username, "--name": name, "--organisation": ORGANISATION, "--role": role, "--password": STAFF_PASSWORD}
    result = subprocess.run(
        [*command, "users", "create-staff", *(part for pair in options.items() for part in pair)],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = re.search(r"TOTP 密钥[^：:]*[：:]\s*([A-Z2-7]{16,})", result.stdout)
    assert result.returncode == 0, f"create-staff failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    assert found, f"no TOTP secret in the output of create-staff:\n{result.stdout}"
    server.staff[username] = Staff(username, STAFF_PASSWORD, name, found.group(1))
    return username


class Journey:
    """Screenshots and layout checks along the way."""

    def __init__(self) -> None:
        self.step = 0
        if WRITE_PNGS:
            SHOTS.mkdir(parents=True, exist_ok=True)
            for stale in SHOTS.glob("journey-*.png"):  # a shorter run must not leave an older run's steps behind
                stale.unlink()

    def shot(self, page: Any, name: str, *, phone: bool = True) -> None:
        """Check the phone page fits its width; keep a PNG of the step."""
        self.step += 1
        if phone:
            fits, width = no_horizontal_overflow(page, PHONE_WIDTH)
            assert fits, f"{page.url} is {width}px wide on a {PHONE_WIDTH}px phone"
        if WRITE_PNGS:
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(SHOTS / f"journey-{self.step:02d}-{name}.png"), full_page=True)


def _field(page: Any, label: str) -> Any:
    """A form control by its label: the title, then the required marker (*) if any."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def _download(page: Any, link: Any, target: Path) -> Path:
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None, download.failure()
    download.save_as(str(target))
    assert target.read_bytes().startswith(b"%PDF-")
    return target


def _open_case(page: Any, number: str) -> None:
    """From the staff member's start page through 办件工作台 to the application."""
    page.goto("/workbench")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="办件工作台").click()
    page.wait_for_url(re.compile(r"/workbench/applications(\?.*)?$"))
    page.get_by_role("link", name=number).first.click()
    page.wait_for_url(re.compile(r"/workbench/applications/[0-9a-f-]{36}$"))
    expect(page.locator("[data-field=number]")).to_have_text(number)


def _act(page: Any, task: str, action: str, opinion: str, *, missing_items: str | None = None) -> None:
    """Do the ready task on the case page with the given action, and wait for the page to show it done."""
    section = page.locator(f"[data-task={task}]")
    expect(section).to_be_visible()
    section.get_by_label("办理操作").select_option(label=action)
    section.get_by_label("办理意见").fill(opinion)
    if missing_items is not None:
        section.get_by_label(re.compile("需补正的全部材料")).fill(missing_items)
    section.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(f"[data-task={task}]")).to_have_count(0)
    expect(page.locator("#error")).to_have_count(0)


# --- the journey -------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_citizen_gets_a_food_licence_from_search_to_rating(new_context: Any, server: DemoServer, tmp_path: Path) -> None:  # noqa: PLR0915 - one story, told in order
    journey = Journey()
    counter_name, approver_name, leader_name = "何窗口", "秦审批", "韩局长"
    counter_user = _create_staff(server, counter_name, "counter_staff")
    approver_user = _create_staff(server, approver_name, "approver")
    leader_user = _create_staff(server, leader_name, "department_leader")

    # CSS pixels for the PNGs (smaller, quicker to review); the page is laid out at 390 px either way.
    citizen = new_context(mobile=True, accept_downloads=True, device_scale_factor=1).new_page()
    # Not citizens[0]: other tests count that citizen's messages; the journey would add to them.
    login_citizen(citizen, server, server.citizens[1])

    # Search in plain words, open the guide, start the application.
    citizen.goto("/citizen")
    search = citizen.get_by_role("search")
    search.get_by_role("searchbox").fill("开个小饭馆要办什么证")
    search.get_by_role("button", name="搜索").click()
    citizen.wait_for_url("**/citizen/search?*")
    results = citizen.locator("#search-results")
    expect(results).to_contain_text("食品经营许可")
    journey.shot(citizen, "search")
    results.get_by_role("link", name="食品经营许可", exact=True).click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("食品经营许可")
    journey.shot(citizen, "guide")
    citizen.get_by_role("button", name="在线申请").click()  # a link styled as a button
    citizen.wait_for_url(re.compile(r"/citizen/items/[^/]+/apply$"))

    # The form is the item's JSON Schema form.
    expect(citizen.get_by_role("heading", name="食品经营许可申请表")).to_be_visible()
    for label, value in FORM.items():
        _field(citizen, label).fill(value)
    _field(citizen, "主体业态").select_option("餐饮服务经营者")
    _field(citizen, "本人承诺所填信息和提交材料真实有效").check()
    journey.shot(citizen, "form")
    citizen.get_by_role("button", name="保存并上传材料").click()
    citizen.wait_for_url(re.compile(r"/citizen/applications/drafts/[0-9a-f-]{36}$"))

    # Every required material: the application form and the rules as PDF, the floor plan as PNG.
    materials = citizen.locator("#materials > li")
    required = [i for i in range(materials.count()) if materials.nth(i).locator(".req").count() and not materials.nth(i).locator(".badge").count()]
    assert len(required) == 4, required  # the 营业执照 too: this citizen holds none in the wallet
    for index in required:
        item = citizen.locator("#materials > li").nth(index)
        name = item.locator("strong").inner_text().split(". ", 1)[1]
        if "布局" in name:  # the floor plan as an image, the rest as PDF
            file = {"name": "plan.png", "mimeType": "image/png", "buffer": _png()}
        else:
            file = {"name": f"material-{index}.pdf", "mimeType": "application/pdf", "buffer": _pdf(f"material {index}")}
        item.get_by_label(f"选择文件：{name}").set_input_files(file)
        item.get_by_role("button", name="上传").click()
        expect(citizen.locator("#message")).to_contain_text(f"已上传“{name}”")
    expect(citizen.locator("#materials")).to_contain_text("plan.png")
    journey.shot(citizen, "materials")
    citizen.get_by_role("button", name="提交申请").click()
    citizen.wait_for_url(re.compile(r"/citizen/applications/[A-Z0-9]+$"))
    number = citizen.locator("[data-field=number]").inner_text().strip()
    expect(citizen.locator("[data-field=status]")).to_contain_text("已提交")
    journey.shot(citizen, "submitted")

    # 窗口人员: 一次性告知 what is missing.
    counter = new_context().new_page()
    login_staff(counter, server, counter_user)
    _open_case(counter, number)
    _act(counter, "pre_check", "一次性告知补正", "平面图不清晰，请补正", missing_items="经营场所平面图（标明设备布局）\n从业人员健康证明")
    expect(counter.locator("[data-field=status]")).to_contain_text("待补正")
    journey.shot(counter, "counter-correction", phone=False)

    # The citizen reads the notice on the timeline, downloads it, uploads again and resubmits.
    citizen.reload()
    expect(citizen.locator("[data-field=status]")).to_contain_text("待补正")
    resubmit = citizen.locator("#resubmit")
    expect(resubmit).to_contain_text("经营场所平面图（标明设备布局）")
    expect(citizen.locator("#timeline")).to_contain_text("补正材料通知书")
    journey.shot(citizen, "correction-notice")
    notice = _download(citizen, resubmit.get_by_role("link", name="补正材料通知书"), tmp_path / "correction.pdf")
    text = _pdftotext(notice)
    assert "补正材料通知书" in text
    assert number in text
    assert "从业人员健康证明" in text
    plan = resubmit.locator("li", has_text="与食品经营相适应的主要设备设施")
    plan.get_by_label(re.compile("^选择文件：")).set_input_files({"name": "plan-v2.png", "mimeType": "image/png", "buffer": _png(16, 12)})
    plan.get_by_role("button", name=re.compile("上传")).click()
    expect(citizen.get_by_text("已上传“与食品经营相适应")).to_be_visible()
    resubmit = citizen.locator("#resubmit")
    resubmit.get_by_label("补正说明").fill("已上传清晰的平面图，健康证明见规章制度目录附件。")
    journey.shot(citizen, "correction-upload")
    resubmit.get_by_role("button", name="补正后重新提交").click()
    expect(citizen.locator("[data-field=status]")).to_contain_text("预审中")
    expect(citizen.locator("#resubmit")).to_have_count(0)

    # 受理 → 审查通过 → 准予许可 (a department leader) → 办结 → 送达.
    _open_case(counter, number)
    _act(counter, "pre_check", "受理", "材料齐全，予以受理")
    expect(counter.locator("[data-field=status]")).to_contain_text("已受理")
    approver = new_context().new_page()
    login_staff(approver, server, approver_user)
    _open_case(approver, number)
    _act(approver, "review", "审查通过", "经审查，符合食品经营许可条件")
    leader = new_context().new_page()
    login_staff(leader, server, leader_user)
    _open_case(leader, number)
    _act(leader, "decision", "准予许可", "同意准予许可")
    expect(leader.locator("[data-field=status]")).to_contain_text("准予许可")
    expect(leader.locator("#timeline")).to_contain_text("部门负责人")
    _open_case(counter, number)
    _act(counter, "conclude", "办结", "已制证，办结")
    _act(counter, "deliver", "送达", "许可证已通过邮政 EMS 寄出")
    expect(counter.locator("[data-field=status]")).to_contain_text("已送达")
    journey.shot(counter, "counter-delivered", phone=False)

    # The citizen finds the application under 我的办件, downloads the decision and rates the service.
    citizen.get_by_role("navigation", name="主导航").get_by_role("link", name="我的办件").click()
    citizen.wait_for_url(re.compile(r"/citizen/applications$"))
    entry = citizen.locator("#applications li", has_text=number)
    expect(entry).to_contain_text("已送达")
    journey.shot(citizen, "my-applications")
    entry.get_by_role("link").click()
    citizen.wait_for_url(f"**/citizen/applications/{number}")
    expect(citizen.locator("[data-field=status]")).to_contain_text("已送达")
    documents = citizen.locator("#documents")
    decision_row = documents.locator("li", has_text="准予行政许可决定书")
    expect(decision_row).to_have_count(1)
    expect(documents.locator("li")).to_have_count(3)  # 补正材料通知书, 受理通知书, 准予行政许可决定书
    journey.shot(citizen, "delivered")
    decision = _download(citizen, decision_row.get_by_role("button", name="下载 PDF"), tmp_path / "decision.pdf")
    text = _pdftotext(decision)
    assert "准予" in text
    assert "准予行政许可决定书" in text
    assert number in text

    citizen.get_by_role("button", name=re.compile("评价本次服务")).click()
    citizen.wait_for_url(f"**/citizen/applications/{number}/rate")
    citizen.get_by_label("5 分 · 非常满意").check()
    citizen.get_by_label("评价内容（选填）").fill("网上就办好了，不用跑腿。")
    citizen.get_by_role("button", name="提交").click()
    expect(citizen.locator("[data-field=score]")).to_contain_text("5 分 · 非常满意")
    journey.shot(citizen, "rated")
