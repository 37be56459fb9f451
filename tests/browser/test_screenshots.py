"""Every main page at 390 px (phone) and 1280 px (desktop): real Chinese glyphs, no horizontal overflow,
tables inside scrolling wrappers, and a PNG for review.

The PNGs go to ``test-artifacts/screenshots/`` (gitignored): ``<width>-<page>.png``, ``-a11y`` for
长辈模式. ``LONGGOV_SCREENSHOTS=0`` keeps every check and skips writing the PNGs.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from tests.browser.support import DESKTOP, MOBILE, DemoServer, SignedIn, header_tools_overlap_brand, heading_fonts, no_horizontal_overflow

if TYPE_CHECKING:
    from collections.abc import Iterator

pytest.importorskip("playwright.sync_api", reason="the python playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WRITE_PNGS = os.environ.get("LONGGOV_SCREENSHOTS", "1") != "0"
WIDTHS = (390, 1280)


class Shot(NamedTuple):
    """One page to check: who looks at it (None: anonymous, "pending": between the two login steps)."""

    name: str
    path: str
    who: str | None
    text: str
    status: int = 200


# 开办餐饮店 as a new individual business with a shop sign: three items, the first one's licence feeding the others.
RESTAURANT_ANSWERS = "founding=new&has_business_licence=false&entity_form=individual&outdoor_sign=true&premises_area=small"
PAGES = [
    Shot("home", "/", None, "陇政通"),
    Shot("citizen", "/citizen", None, "甘快办"),
    Shot("login-person", "/login/person", None, "个人登录"),
    Shot("login-staff", "/login/staff", None, "工作人员登录"),
    Shot("login-verify", "/login/verify", "pending", "身份验证"),
    Shot("citizen-me", "/citizen/me", "citizen", "个人中心"),
    Shot("enterprise", "/enterprise", None, "陇商通"),
    Shot("workbench", "/workbench", "lz_scjg_window", "工作台"),
    Shot("workbench-persons", "/workbench/persons", "lz_scjg_window", "自然人查询"),
    Shot("workbench-person", "<first person>", "lz_scjg_window", "公民身份号码"),
    Shot("citizen-applications", "/citizen/applications", "citizen", "我的办件"),
    Shot("citizen-licences", "/citizen/licences", "citizen", "我的卡包"),
    Shot("citizen-application", "<prefilled application>", "citizen", "来自电子证照"),
    Shot("workbench-case", "<prefilled case>", "cg_scjg_window", "来自电子证照"),
    Shot("workbench-inbox", "/workbench/applications", "lz_scjg_leader", "办件工作台"),
    Shot("workbench-supervision", "/workbench/supervision", "lz_scjg_leader", "部门办件监督"),
    Shot("workbench-onething-metrics", "/workbench/onething/metrics", "gs_zwfw_leader", "一件事改革成效"),
    Shot("workbench-onething-metrics-bundle", "/workbench/onething/metrics/open_restaurant", "gs_zwfw_leader", "开办餐饮店 · 改革成效"),
    Shot("workbench-key-items", "/workbench/onething/key-items", "gs_zwfw_leader", "重点事项清单"),
    Shot("workbench-key-item", "/workbench/onething/key-items/open_restaurant", "lz_scjg_leader", "目标与最近评估"),
    Shot("admin", "/admin", "sysadmin", "管理后台"),
    Shot("admin-audit", "/admin/audit", "auditor", "审计日志"),
    Shot("admin-staff", "/admin/staff", "sysadmin", "工作人员账号"),
    Shot("admin-organisations", "/admin/organisations", "sysadmin", "机构与区划"),
    Shot("admin-security", "/admin/security", "secadmin", "账号安全"),
    Shot("workbench-licence-trust", "/workbench/licences/trust", "secadmin", "四川省教育厅"),
    Shot("workbench-licence-seals", "/workbench/licences/seals?organisation=620102-market_regulation", "secadmin", "城关区市场监督管理局"),
    Shot("citizen-onething", "/citizen/onething", None, "高效办成一件事"),
    Shot("enterprise-onething", "/enterprise/onething", None, "高效办成一件事"),
    Shot("citizen-onething-guide", f"/citizen/onething/bundles/open_restaurant?{RESTAURANT_ANSWERS}", None, "需要办理的事项"),
    Shot("citizen-onething-contradiction", "/citizen/onething/bundles/open_restaurant?founding=new&has_business_licence=true", None, "回答相互矛盾", 422),
    Shot("citizen-onething-soon", "/citizen/onething/bundles/social_security_card_services", None, "即将上线"),
    Shot("citizen-onething-apply", f"/citizen/onething/bundles/open_restaurant/apply?{RESTAURANT_ANSWERS}", "citizen", "来自：居民身份证"),
    Shot("citizen-onething-mine", "/citizen/onething/cases", "citizen", "我的一件事"),
    Shot("citizen-onething-case", "<bundle case>", "citizen", "各部门统一时间线"),
    Shot("workbench-onething", "/workbench/onething", "lz_scjg_leader", "一件事管理"),
    Shot("workbench-onething-bundle", "/workbench/onething/bundles/open_restaurant", "lz_scjg_leader", "版本记录"),
    Shot("workbench-onething-edit", "/workbench/onething/bundles/open_restaurant/edit", "lz_scjg_leader", "检查（不保存）"),
    Shot("demo-sms", "/demo/sms", None, "演示短信发件箱"),
    Shot("error-404", f"/citizen/no-such-page-{uuid.uuid4().hex[:6]}", None, "页面不存在", 404),
    Shot("error-403", "/admin/audit", "lz_scjg_window", "无权访问", 403),
]
ELDER_PAGES = ("home", "citizen", "login-person", "citizen-me", "workbench-persons")
# Pages reached from a list: the demo's 企业设立登记 whose form was pre-filled from the citizen's 居民身份证.
LISTED = {
    "<prefilled application>": ("/citizen/applications", "#applications li", "企业设立登记", "a"),
    "<prefilled case>": ("/workbench/applications", "#inbox tbody tr", "企业设立登记", "td.lead a"),
    # The demo's 开办餐饮店 bundle case of the first citizen, from 我的一件事.
    "<bundle case>": ("/citizen/onething/cases", "#cases li", "开办餐饮店", "a"),
}


class Contexts:
    """Browser contexts per (who, width, 长辈模式), opened on first use and shared by the module."""

    def __init__(self, browser: Any, server: DemoServer, signed_in: SignedIn) -> None:
        self.browser, self.server, self.signed_in = browser, server, signed_in
        self.open: dict[tuple[str | None, int, bool], Any] = {}
        self.person_path: str | None = None

    def get(self, who: str | None, width: int, *, elder: bool = False) -> Any:
        key = (who, width, elder)
        if key not in self.open:
            settings: dict[str, Any] = {**(MOBILE if width == 390 else DESKTOP), "base_url": self.server.base_url, "locale": "zh-CN"}
            settings["device_scale_factor"] = 1  # CSS pixels: smaller PNGs, quicker to write and to review
            if who not in {None, "pending"}:
                settings["storage_state"] = self.signed_in(who)
            context = self.browser.new_context(**settings)
            context.set_default_timeout(10_000)
            if elder:
                context.add_cookies([{"name": "lg_a11y", "value": "1", "url": self.server.base_url}])
            self.open[key] = context
        return self.open[key]

    def goto(self, page: Any, shot: Shot) -> Any:
        """Open the page of a shot; returns the navigation response (None for the verify step)."""
        if shot.who == "pending":
            citizen = self.server.citizens[1]
            page.goto("/login/person")
            page.get_by_label("公民身份号码").fill(citizen.id_number)
            page.get_by_label("密码").fill(citizen.password)
            page.get_by_role("button", name="下一步").click()
            page.wait_for_url("**/login/verify*")
            return None
        path = shot.path
        if path == "<first person>":
            if self.person_path is None:
                page.goto("/workbench/persons")
                self.person_path = page.locator("tbody tr").first.get_by_role("link", name="详情").get_attribute("href")
            path = self.person_path or "/workbench/persons"
        if path in LISTED:
            listing, row, text, link = LISTED[path]
            page.goto(listing)
            path = page.locator(row, has_text=text).first.locator(link).first.get_attribute("href") or listing
        return page.goto(path)

    def close(self) -> None:
        for context in self.open.values():
            context.close()


@pytest.fixture(scope="module")
def contexts(browser: Any, server: DemoServer, signed_in: SignedIn) -> Iterator[Contexts]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    holder = Contexts(browser, server, signed_in)
    yield holder
    holder.close()


def _check_layout(page: Any, width: int, text: str) -> None:
    expect(page.locator("main")).to_contain_text(text)
    fits, scroll_width = no_horizontal_overflow(page, width)
    assert fits, f"{page.url} is {scroll_width}px wide in a {width}px viewport"
    unwrapped = page.locator("main table:not(.table-wrap table)").count()
    assert unwrapped == 0, f"{unwrapped} table(s) outside a scrolling .table-wrap on {page.url}"
    assert not header_tools_overlap_brand(page), f"the header tools overlap the portal name on {page.url}"


def _shoot(page: Any, name: str) -> None:
    if WRITE_PNGS:
        page.evaluate("document.fonts.ready")
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("shot", PAGES, ids=[s.name for s in PAGES])
def test_page_layout(contexts: Contexts, shot: Shot, width: int) -> None:
    page = contexts.get(shot.who, width).new_page()
    try:
        response = contexts.goto(page, shot)
        if response is not None:
            assert response.status == shot.status, f"{shot.path} answered {response.status}"
        _check_layout(page, width, shot.text)
        if width == WIDTHS[0]:
            fonts = heading_fonts(page)
            assert fonts, f"no font drew the heading of {page.url}"
            assert all("CJK" in f for f in fonts), f"the heading of {page.url} fell back to {fonts}: Chinese would show as boxes"
        _shoot(page, f"{width}-{shot.name}")
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ELDER_PAGES)
def test_elder_mode_layout(contexts: Contexts, name: str, width: int) -> None:
    shot = next(s for s in PAGES if s.name == name)
    page = contexts.get(shot.who, width, elder=True).new_page()
    try:
        contexts.goto(page, shot)
        expect(page.locator("html")).to_have_class(re.compile(r"\ba11y\b"))
        _check_layout(page, width, shot.text)
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 20, f"长辈模式 body text is {size}px"
        _shoot(page, f"{width}-{shot.name}-a11y")
    finally:
        page.close()
