"""表单免填写、证照免提交 in the browser: a demo enterprise applies for a 食品经营许可 on a 390 px phone.

The form opens with the enterprise fields filled from its electronic 营业执照, each with its source; the
applicant confirms; the 营业执照 material is fulfilled by the licence (nothing uploaded) and the window
staff of 城关区市场监督管理局 see the verified licence inline on the case. PNGs go to
``test-artifacts/screenshots/once-only-*.png`` unless ``LONGGOV_SCREENSHOTS=0``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import DemoServer, login_staff, no_horizontal_overflow, read_sms_code

pytest.importorskip("playwright.sync_api", reason="the python playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WRITE_PNGS = os.environ.get("LONGGOV_SCREENSHOTS", "1") != "0"
PHONE_WIDTH = 390
DEMO_PASSWORD = "Gansu2024demo"  # longgov.demo.DEMO_PASSWORD: every demo enterprise's password
WINDOW = "cg_scjg_window"  # 郑窗口, 城关区市场监督管理局: where 食品经营许可 is handled
LICENCE_MATERIAL = 1  # 营业执照或者其他主体资格证明文件

# A demo enterprise holding a valid 营业执照, read from the server's database with the platform's own code.
_FIND_ENTERPRISE = """
import asyncio, json
from sqlalchemy import select
from longgov.config import Settings
from longgov.identity.models import Enterprise
from longgov.licences import services
from longgov.licences.models import Licence
from longgov.platform import Platform

async def main():
    code = next(t.code for t in services.list_types() if t.key == "business_licence")
    platform = Platform.build(Settings())
    try:
        async with platform.db.transaction() as session:
            query = (
                select(Enterprise.name, Enterprise.uscc, Enterprise.phone_masked, Enterprise.legal_representative, Licence.issuer_name, Licence.issued_on)
                .join(Licence, Licence.holder_index == Enterprise.uscc)
                .where(Licence.type_code == code, Licence.status == "valid")
                .order_by(Enterprise.created_at)
                .limit(1)
            )
            row = (await session.execute(query)).one()
    finally:
        await platform.db.dispose()
    keys = ("name", "uscc", "phone_masked", "legal_representative", "issuer_name", "issued_on")
    print(json.dumps(dict(zip(keys, [str(v) for v in row])), ensure_ascii=False))

asyncio.run(main())
"""


def _enterprise(server: DemoServer) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-c", _FIND_ENTERPRISE], env=server.env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _food_item_code(server: DemoServer) -> str:
    query = urllib.parse.urlencode({"q": "食品经营许可"})
    with urllib.request.urlopen(server.url(f"/api/v1/catalog/search?{query}"), timeout=10) as response:  # noqa: S310 - our own local server
        results = json.load(response)["results"]
    return next(r["code"] for r in results if r["name"] == "食品经营许可")


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _shot(page: Any, name: str, *, phone: bool = True) -> None:
    if phone:
        fits, width = no_horizontal_overflow(page, PHONE_WIDTH)
        assert fits, f"{page.url} is {width}px wide on a {PHONE_WIDTH}px phone"
    if WRITE_PNGS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(SHOTS / f"once-only-{name}.png"), full_page=True)


def _field(page: Any, label: str) -> Any:
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def test_enterprise_applies_with_prefilled_form_and_its_business_licence_instead_of_an_upload(new_context: Any, server: DemoServer) -> None:  # noqa: PLR0915 - one story, told in order
    enterprise = _enterprise(server)
    code = _food_item_code(server)
    source = f"来自：营业执照（{enterprise['issuer_name']}，{enterprise['issued_on']}）"

    phone = new_context(mobile=True, device_scale_factor=1).new_page()
    phone.goto("/login/enterprise")
    phone.get_by_label("统一社会信用代码").fill(enterprise["uscc"])
    phone.get_by_label("密码").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="下一步").click()
    phone.wait_for_url("**/login/verify*")
    sms = read_sms_code(phone.context, enterprise["phone_masked"], not_in=server.used_sms_codes)
    server.used_sms_codes.add(sms)
    phone.get_by_label("短信验证码").fill(sms)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url("**/enterprise/me")

    # The form opens filled from the 营业执照, every filled field naming its source.
    phone.goto(f"/enterprise/items/{code}/apply")
    expect(phone.get_by_role("heading", name="食品经营许可申请表")).to_be_visible()
    expect(phone.locator("#prefill-intro")).to_contain_text("已根据您的电子证照")
    expect(_field(phone, "经营者名称")).to_have_value(enterprise["name"])
    expect(_field(phone, "统一社会信用代码")).to_have_value(enterprise["uscc"])
    expect(_field(phone, "法定代表人（负责人）")).to_have_value(enterprise["legal_representative"])
    expect(_field(phone, "经营场所")).not_to_have_value("")
    for name in ("operator_name", "uscc", "legal_representative", "premises_address"):
        expect(phone.locator(f"[data-source-for={name}]")).to_have_text(source)
    expect(phone.locator("[data-source-for=business_items]")).to_have_count(0)  # not on a 营业执照: typed by the applicant
    _shot(phone, "01-prefilled-form")

    _field(phone, "主体业态").select_option("餐饮服务经营者")
    _field(phone, "经营项目").fill("热食类食品制售")
    _field(phone, "经营场所面积（平方米）").fill("85")
    _field(phone, "从业人员数").fill("6")
    _field(phone, "食品安全管理人员").fill("马小燕")
    _field(phone, "联系电话").fill("13909311234")
    _field(phone, "本人承诺所填信息和提交材料真实有效").check()
    phone.get_by_label("我确认以上信息由平台根据我的电子证照自动填写，如有误可修改").check()
    phone.get_by_role("button", name="保存并上传材料").click()
    phone.wait_for_url(re.compile(r"/enterprise/applications/drafts/[0-9a-f-]{36}$"))

    # The 营业执照 material is fulfilled by the licence: verified, valid, no file asked for.
    expect(phone.locator("#prefill-consent")).to_contain_text("经营者名称")
    expect(phone.locator("[data-source-for=uscc]")).to_have_text(source)
    licence_item = phone.locator(f"#materials > li[data-material-index='{LICENCE_MATERIAL}']")
    expect(licence_item.locator(".badge")).to_have_text("免提交")
    expect(licence_item.locator(".req")).to_have_count(0)
    expect(licence_item).to_contain_text("已引用您的电子营业执照，无需上传")
    reference = licence_item.locator(f"[data-licence-ref='{LICENCE_MATERIAL}']")
    expect(reference).to_contain_text(enterprise["uscc"])
    expect(reference).to_contain_text(enterprise["issuer_name"])
    expect(reference.locator("[data-licence-status]")).to_have_attribute("data-licence-status", "valid")
    _shot(phone, "02-draft-licence-material")

    materials = phone.locator("#materials > li")
    required = [i for i in range(materials.count()) if materials.nth(i).locator(".req").count()]
    assert required == [0, 2, 3], required
    for index in required:
        item = phone.locator(f"#materials > li[data-material-index='{index}']")
        name = item.locator("strong").inner_text().split(". ", 1)[1]
        item.get_by_label(f"选择文件：{name}").set_input_files({"name": f"material-{index}.pdf", "mimeType": "application/pdf", "buffer": _pdf()})
        item.get_by_role("button", name="上传").click()
        expect(phone.locator("#message")).to_contain_text(f"已上传“{name}”")
    expect(phone.locator(f"#materials > li[data-material-index='{LICENCE_MATERIAL}']")).not_to_contain_text("已上传")
    phone.get_by_role("button", name="提交申请").click()
    phone.wait_for_url(re.compile(r"/enterprise/applications/[A-Z0-9]+$"))
    number = phone.locator("[data-field=number]").inner_text().strip()
    expect(phone.locator(f"li[data-material-index='{LICENCE_MATERIAL}']").last).to_contain_text("已引用电子营业执照")
    _shot(phone, "03-submitted")

    # 城关区市场监督管理局's window sees the licence inline, its status checked as the page opens.
    if WINDOW not in server.staff:
        pytest.skip(f"the demo did not print the {WINDOW} login")
    window = new_context().new_page()
    login_staff(window, server, WINDOW)
    window.goto("/workbench/applications")
    window.get_by_role("link", name=number).first.click()
    window.wait_for_url(re.compile(r"/workbench/applications/[0-9a-f-]{36}$"))
    case_item = window.locator(f"li[data-material-index='{LICENCE_MATERIAL}']")
    expect(case_item).to_contain_text("以电子证照免提交")
    expect(case_item.locator("[data-licence-status]")).to_have_attribute("data-licence-status", "valid")
    expect(case_item).to_contain_text("1.2.156.3005.2.")
    referenced = window.locator("#timeline li[data-step=material_referenced]")
    expect(referenced).to_contain_text("引用电子证照：营业执照")
    expect(referenced).not_to_contain_text("已签发")  # a reference, not a licence issued on this application
    case_item.scroll_into_view_if_needed()
    _shot(window, "04-case-licence-inline", phone=False)
