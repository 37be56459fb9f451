"""End-to-end flows through the portals, as a user sees them in Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.support import DemoServer, login_staff, no_horizontal_overflow, read_sms_code

pytest.importorskip("playwright.sync_api", reason="the python playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MASKED_ID = re.compile(r"\d{4}\*{10}[\dX]{4}")
FULL_ID = re.compile(r"^\s*\d{17}[\dX]\s*$")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_citizen_logs_in_with_sms_code_on_a_phone(new_context: Any, server: DemoServer, signed_in: Any) -> None:
    citizen = server.citizens[0]
    context = new_context(mobile=True)
    page = context.new_page()

    page.goto("/login/person")
    expect(page.get_by_role("heading", name="个人登录")).to_be_visible()
    page.get_by_label("公民身份号码").fill(citizen.id_number)
    page.get_by_label("密码").fill(citizen.password)
    page.get_by_role("button", name="下一步").click()

    page.wait_for_url("**/login/verify*")
    expect(page.get_by_role("heading", name="第二步：身份验证")).to_be_visible()
    expect(page.locator("main")).to_contain_text(citizen.phone_masked)
    assert citizen.phone_masked.replace("*", "") not in page.content().replace(citizen.phone_masked, "")

    code = read_sms_code(context, citizen.phone_masked, not_in=server.used_sms_codes)
    server.used_sms_codes.add(code)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url("**/citizen/me")
    main = page.locator("main")
    expect(page.get_by_role("heading", name="个人中心")).to_be_visible()
    expect(main).to_contain_text(citizen.name)
    id_cell = page.locator("[data-field=id_number]")
    expect(id_cell).to_have_text(MASKED_ID)
    shown = id_cell.inner_text().strip()
    assert shown[:4] == citizen.id_number[:4]
    assert shown[-4:] == citizen.id_number[-4:]
    assert citizen.id_number not in page.content(), "the full ID number must never reach the citizen page"
    expect(main).to_contain_text("登录成功")  # the recent-logins card shows this login

    fits, width = no_horizontal_overflow(page, 390)
    assert fits, f"/citizen/me is {width}px wide on a 390px phone"
    signed_in.remember("citizen", context.storage_state())


def test_counter_staff_sees_masked_ids_and_leader_can_unmask(new_context: Any, server: DemoServer, signed_in: Any) -> None:
    window = new_context().new_page()
    login_staff(window, server, "lz_scjg_window", home="/workbench")
    expect(window.get_by_role("heading", name="工作台", exact=True)).to_be_visible()
    main = window.locator("main")
    expect(main).to_contain_text("兰州市市场监督管理局")
    expect(main).to_contain_text("窗口人员")
    expect(window.locator("header .who-name")).to_have_text("李受理")
    expect(window.locator("header .who-org")).to_have_text("兰州市市场监督管理局")
    signed_in.remember("lz_scjg_window", window.context.storage_state())

    window.get_by_role("navigation", name="主导航").get_by_role("link", name="自然人查询").click()
    window.wait_for_url("**/workbench/persons")
    expect(window.get_by_role("heading", name="自然人查询")).to_be_visible()
    first = window.locator("tbody tr").first
    expect(first.locator("td").nth(1)).to_have_text(MASKED_ID)
    first.get_by_role("link", name="详情").click()
    window.wait_for_url(re.compile(r"/workbench/persons/[0-9a-f-]{36}$"))
    person_url = window.url
    expect(window.locator("[data-field=id_number]")).to_have_text(MASKED_ID)
    expect(window.get_by_role("button", name=re.compile("查看完整信息"))).to_have_count(0)

    leader = new_context().new_page()
    login_staff(leader, server, "lz_scjg_leader", home="/workbench")
    expect(leader.locator("main")).to_contain_text("部门负责人")
    leader.goto(person_url)
    expect(leader.locator("[data-field=id_number]")).to_have_text(MASKED_ID)
    leader.get_by_role("button", name=re.compile("查看完整信息")).click()
    expect(leader.locator("[data-field=id_number]")).to_have_text(FULL_ID)
    expect(leader.locator("#person")).to_contain_text("已记录审计")
    expect(leader.get_by_role("button", name=re.compile("查看完整信息"))).to_have_count(0)


def _open_audit_log_as_auditor(new_context: Any, server: DemoServer, signed_in: Any) -> Any:
    page = new_context().new_page()
    login_staff(page, server, "auditor", home="/admin")
    expect(page.get_by_role("heading", name="管理后台")).to_be_visible()
    signed_in.remember("auditor", page.context.storage_state())
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审计日志").click()
    page.wait_for_url("**/admin/audit")
    expect(page.get_by_role("heading", name="审计日志")).to_be_visible()
    return page


def _filter_logins(page: Any) -> Any:
    page.get_by_label("操作", exact=True).select_option(label="登录成功")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"tag=identity%3Asession%3Alogin(&|$)"))
    expect(page.get_by_label("操作", exact=True)).to_have_value("identity:session:login")
    return page.locator("table.audit-table tbody")


def test_auditor_filters_logins_and_verifies_the_chain(new_context: Any, server: DemoServer, signed_in: Any) -> None:
    # A citizen and a counter clerk have logged in before (cached if earlier tests did it already).
    signed_in("citizen")
    signed_in("lz_scjg_window")
    page = _open_audit_log_as_auditor(new_context, server, signed_in)
    table = page.locator("table.audit-table tbody")
    expect(table).to_contain_text("登录成功")
    expect(table).to_contain_text("密码验证通过")
    expect(page.locator("main")).to_contain_text(re.compile(r"共 \d+ 条记录"))

    table = _filter_logins(page)
    actions = table.locator("tr td:nth-child(4)").all_inner_texts()
    assert len(actions) >= 3, actions  # citizen, counter clerk, auditor at least
    assert all(a.startswith("登录成功") for a in actions), actions
    assert all(r.strip() == "成功" for r in table.locator("tr td:nth-child(6)").all_inner_texts())

    page.get_by_role("button", name="校验审计链").click()
    notice = page.locator("[data-chain-ok]")
    expect(notice).to_contain_text("审计链完整")
    expect(notice).to_have_attribute("data-chain-ok", "true")
    expect(notice).to_contain_text(re.compile(r"已校验 \d+ 条记录"))


def test_audit_log_names_who_logged_in(new_context: Any, server: DemoServer, signed_in: Any) -> None:
    signed_in("citizen")
    signed_in("lz_scjg_window")
    page = new_context(storage_state=signed_in("auditor")).new_page()
    page.goto("/admin/audit")
    table = _filter_logins(page)
    names = " ".join(table.locator("tr td:nth-child(3)").all_inner_texts())
    assert "李受理" in names
    assert "孙审计" in names
    assert server.citizens[0].name in names


def test_wrong_password_then_lockout_in_chinese(new_context: Any, server: DemoServer) -> None:
    citizen = server.citizens[2]  # used by no other test: it stays locked afterwards
    page = new_context(mobile=True).new_page()
    messages = []
    for _attempt in range(5):
        page.goto("/login/person")
        page.get_by_label("公民身份号码").fill(citizen.id_number)
        page.get_by_label("密码").fill("WrongPassword1")
        page.get_by_role("button", name="下一步").click()
        alert = page.get_by_role("alert")
        expect(alert).to_be_visible()
        messages.append(alert.inner_text())
    assert "账号或密码错误" in messages[0]
    assert "再失败4次" in messages[0]
    assert CHINESE.search(messages[0])
    assert "锁定" in messages[-1]
    assert "已锁定" in messages[-1]
    assert page.url.endswith("/login/person")

    # Even the right password is refused while locked.
    page.get_by_label("公民身份号码").fill(citizen.id_number)
    page.get_by_label("密码").fill(citizen.password)
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("alert")).to_contain_text("锁定")
    fits, width = no_horizontal_overflow(page, 390)
    assert fits, f"the login error page is {width}px wide on a 390px phone"


def test_elder_mode_toggle_persists_across_pages(new_context: Any) -> None:
    page = new_context(mobile=True).new_page()
    page.goto("/citizen")
    html = page.locator("html")
    expect(html).not_to_have_class(re.compile(r"\ba11y\b"))
    normal_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")

    page.get_by_role("button", name="长辈模式").click()
    expect(html).to_have_class(re.compile(r"\ba11y\b"))
    assert page.url.endswith("/citizen")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") > normal_size
    expect(page.get_by_role("button", name="标准模式")).to_have_attribute("aria-pressed", "true")

    page.goto("/login/person")
    expect(html).to_have_class(re.compile(r"\ba11y\b"))
    fits, width = no_horizontal_overflow(page, 390)
    assert fits, f"长辈模式 login page is {width}px wide on a 390px phone"
    page.get_by_role("link", name="平台首页").click()
    expect(html).to_have_class(re.compile(r"\ba11y\b"))

    page.get_by_role("button", name="标准模式").click()
    expect(html).not_to_have_class(re.compile(r"\ba11y\b"))
    expect(page.get_by_role("button", name="长辈模式")).to_have_attribute("aria-pressed", "false")
    page.goto("/citizen")
    expect(html).not_to_have_class(re.compile(r"\ba11y\b"))


def test_login_without_csrf_cookie_is_refused(new_context: Any, server: DemoServer) -> None:
    context = new_context()
    page = context.new_page()
    page.goto("/login/person")
    assert any(c["name"] == "lg_csrf" for c in context.cookies())
    context.clear_cookies(name="lg_csrf")
    page.get_by_label("公民身份号码").fill(server.citizens[1].id_number)
    page.get_by_label("密码").fill(server.citizens[1].password)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/login/person")) as answer:
        page.get_by_role("button", name="下一步").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
    expect(page.locator("main")).to_contain_text("CSRF 校验失败")
    expect(page.locator("main")).to_contain_text("请刷新页面后重试")
    assert "/login/verify" not in page.url
