"""用证 in the browser: a demo enterprise presents its 营业执照 on a phone, a verifier (another browser, no
login) sees it valid with only the disclosed fields, the issuing staff revoke the licence in the workbench,
and the same presentation then shows revoked; the holder sees every verification in the usage record.

Demo citizens hold no 营业执照 (it is an enterprise licence), so a demo enterprise presents it. Its USCC is
read from the workbench of the issuing department (城关区 is in 兰州市市场监督管理局's region), which is
also where it is revoked. PNGs at 390 px go to ``test-artifacts/screenshots/presentation-*.png`` unless
``LONGGOV_SCREENSHOTS=0``.
"""

from __future__ import annotations

import os
import re
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
ENTERPRISE = "兰州黄河云数据科技有限公司"  # a demo enterprise in 城关区 with a login
ISSUING_STAFF = "lz_scjg_leader"  # 兰州市市场监督管理局: may manage licences issued in its region
PURPOSE = "办理银行对公账户开户"


def _shot(page: Any, name: str) -> None:
    fits, width = no_horizontal_overflow(page, PHONE_WIDTH)
    assert fits, f"{name}: the page is {width}px wide at {PHONE_WIDTH}px"
    if WRITE_PNGS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"presentation-{name}.png"), full_page=True)


def _login_enterprise(page: Any, server: DemoServer, uscc: str, password: str) -> None:
    page.goto("/login/enterprise")
    page.get_by_label("统一社会信用代码").fill(uscc)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/verify*")
    phone = page.locator("article strong").first.inner_text().strip()
    code = read_sms_code(page.context, phone, not_in=server.used_sms_codes)
    server.used_sms_codes.add(code)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/enterprise/me")


def test_enterprise_presents_its_business_licence_and_a_revocation_shows(new_context: Any, server: DemoServer) -> None:  # noqa: PLR0915 - one story, told in order
    # The issuing department's staff find the licence (and the holder's USCC, public for enterprises).
    staff = new_context().new_page()
    login_staff(staff, server, ISSUING_STAFF)
    staff.goto("/workbench/licences")
    staff.select_option("#f-type", label="营业执照")
    staff.get_by_role("button", name="筛选").click()
    staff.locator("#issued-licences tr", has_text=ENTERPRISE).get_by_role("link", name="营业执照").click()
    staff.wait_for_url(re.compile(r"/workbench/licences/[0-9a-f-]{36}$"))
    workbench_url = staff.url
    uscc = staff.locator('[data-field="holder_id"]').inner_text().strip()
    assert re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}", uscc), uscc

    # The enterprise, on a phone: wallet → 营业执照 → 出示 (purpose, one opt-in field, 30 minutes).
    holder = new_context(mobile=True).new_page()
    _login_enterprise(holder, server, uscc, server.citizens[0].password)  # demo accounts share one password
    holder.goto("/enterprise/licences")
    holder.locator('[data-licence="business_licence"]').click()
    holder.locator("#present").click()
    holder.get_by_label("用途（必填）").fill(PURPOSE)
    holder.locator('input[name="fields"][value="data.legal_representative"]').check()
    holder.select_option("#expires_in", label="30分钟")
    _shot(holder, "01-form")
    holder.get_by_role("button", name="生成出示二维码").click()
    holder.wait_for_url(re.compile(r"/enterprise/licences/presentations/[\w-]+$"))
    expect(holder.locator("#presentation-state")).to_have_text("有效")
    expect(holder.locator("#presentation-qr")).to_be_visible()
    short_code = holder.locator("#short-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", short_code), short_code
    link = holder.locator("#presentation-link").get_attribute("href")
    assert link is not None
    assert link.startswith("/verify/presentations/")
    legal_representative = holder.locator('#disclosed-fields [data-field="data.legal_representative"]').inner_text().strip()
    _shot(holder, "02-qr")

    # The verifier: another browser, not logged in, opens the QR link.
    verifier = new_context(mobile=True).new_page()
    verifier.goto(link)
    result = verifier.locator("#presentation-result")
    expect(result).to_have_attribute("data-valid", "true")
    expect(verifier.locator("#verify-verdict")).to_contain_text("核验通过")
    expect(verifier.locator("#verify-purpose")).to_have_text(PURPOSE)
    shown = verifier.locator("#verify-disclosed")
    expect(shown.locator('[data-field="holder.name"]')).to_have_text(ENTERPRISE)
    expect(shown.locator('[data-field="data.legal_representative"]')).to_have_text(legal_representative)
    # Only the disclosed fields: the address, capital and business scope stay with the holder.
    for hidden in ("data.domicile", "data.registered_capital", "data.business_scope"):
        expect(shown.locator(f'[data-field="{hidden}"]')).to_have_count(0)
    assert "工业园区" not in verifier.content()
    _shot(verifier, "03-verified")
    # The short code typed at a counter gives the same answer.
    verifier.goto("/verify/presentations")
    verifier.get_by_label("出示码").fill(short_code)
    verifier.get_by_role("button", name="核验", exact=True).click()
    expect(verifier.locator("#presentation-result")).to_have_attribute("data-valid", "true")

    # The issuing staff revoke the licence in the workbench.
    staff.goto(workbench_url)
    staff.locator("#form-revoke").get_by_label("吊销理由").fill("依法吊销营业执照（演示）")
    staff.get_by_role("button", name="吊销证照（不可撤回）").click()
    staff.wait_for_url(re.compile(r"\?done=revoke$"))
    expect(staff.locator("#licence-status")).to_have_text("已吊销")

    # The same presentation now shows revoked, with no disclosed values.
    verifier.goto(link)
    expect(verifier.locator("#presentation-result")).to_have_attribute("data-valid", "false")
    expect(verifier.locator("#presentation-result")).to_have_attribute("data-code", "revoked")
    expect(verifier.locator("#verify-reason")).to_contain_text("吊销")
    expect(verifier.locator("#verify-disclosed")).to_have_count(0)
    _shot(verifier, "04-revoked")

    # The holder sees who verified, when and with what outcome.
    holder.goto("/enterprise/licences/usage")
    item = holder.locator(".usage-item").first
    expect(item).to_contain_text(PURPOSE)
    expect(item.locator('[data-code="valid"]')).to_have_count(2)
    expect(item.locator('[data-code="revoked"]')).to_have_count(1)
    _shot(holder, "05-usage")
