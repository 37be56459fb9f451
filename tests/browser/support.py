"""Helpers of the browser tests: the demo logins, logging in through the UI, layout checks."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
MOBILE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
SMS_CODE = re.compile(r"验证码为(\d{6})")


@dataclass
class Citizen:
    """A demo citizen as printed by ``longgov demo``."""

    id_number: str
    password: str
    name: str
    phone_masked: str


@dataclass
class Staff:
    """A demo staff account as printed by ``longgov demo``."""

    username: str
    password: str
    name: str
    totp_secret: str


@dataclass
class DemoServer:
    """The running server and the demo logins it was seeded with."""

    base_url: str
    var_dir: Path
    env: dict[str, str]
    citizens: list[Citizen]
    staff: dict[str, Staff]
    log_path: Path
    _last_step: dict[str, int] = field(default_factory=dict)
    used_sms_codes: set[str] = field(default_factory=set)

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base_url + path

    def totp_code(self, username: str) -> str:
        """A TOTP code the server accepts now: never a 30-second step this account already used."""
        import pyotp

        totp = pyotp.TOTP(self.staff[username].totp_secret)
        now_step = int(time.time()) // totp.interval
        step = max(now_step, self._last_step.get(username, -1) + 1)
        if step > now_step + 1:  # the server takes one step ahead at most: wait for the clock
            time.sleep(max(0.0, (step - 1) * totp.interval - time.time() + 0.2))
        self._last_step[username] = step
        return str(totp.at(step * totp.interval))


_CITIZEN_LINE = re.compile(r"甘快办 个人\s+(\d{17}[\dX])\s+密码\s+(\S+)\s+(\S+)\s+.*?发往\s*(\d{3}\*{4}\d{4})")
_STAFF_LINE = re.compile(r"工作台\s+([a-z][a-z0-9_.-]+)\s+密码\s+(\S+)\s+(\S+)\s+TOTP密钥\s+([A-Z2-7]+)")


def parse_demo_output(text: str) -> tuple[list[Citizen], dict[str, Staff]]:
    """Citizens and staff (with TOTP secrets) from the table ``longgov demo`` prints."""
    citizens = [Citizen(*m.groups()) for m in _CITIZEN_LINE.finditer(text)]
    staff = {m.group(1): Staff(*m.groups()) for m in _STAFF_LINE.finditer(text)}
    return citizens, staff


def read_sms_code(context: Any, phone_masked: str, *, not_in: set[str] | None = None) -> str:
    """Open the demo SMS outbox in another tab and read the newest login code sent to that phone."""
    outbox = context.new_page()
    try:
        for _ in range(25):
            outbox.goto("/demo/sms")
            for row in outbox.locator("tbody tr").all():
                cells = row.locator("td").all_inner_texts()
                if len(cells) >= 3 and cells[1].strip() == phone_masked:
                    found = SMS_CODE.search(cells[2])
                    if found and found.group(1) not in (not_in or set()):
                        return found.group(1)
                    break  # newest first: only the latest message to this phone counts
            time.sleep(0.2)
    finally:
        outbox.close()
    msg = f"no new SMS code for {phone_masked} in /demo/sms"
    raise AssertionError(msg)


def login_citizen(page: Any, server: DemoServer, citizen: Citizen) -> None:
    """Password, then the SMS code from the outbox; ends on /citizen/me."""
    page.goto("/login/person")
    page.get_by_label("公民身份号码").fill(citizen.id_number)
    page.get_by_label("密码").fill(citizen.password)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/verify*")
    code = read_sms_code(page.context, citizen.phone_masked, not_in=server.used_sms_codes)
    server.used_sms_codes.add(code)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/citizen/me")


def login_staff(page: Any, server: DemoServer, username: str, *, home: str | None = None) -> None:
    """Username and password, then a TOTP code; waits for the landing page (``home`` if given)."""
    page.goto("/login/staff")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(server.staff[username].password)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/verify*")
    page.get_by_label("动态口令").fill(server.totp_code(username))
    page.get_by_role("button", name="登录").click()
    target = r"/(workbench|admin)" if home is None else re.escape(home)
    page.wait_for_url(re.compile(target + r"(\?.*)?$"))


class SignedIn:
    """Storage states of sessions logged in through the UI, one per user, made on first use."""

    def __init__(self, browser: Any, server: DemoServer) -> None:
        self.browser = browser
        self.server = server
        self.states: dict[str, Any] = {}

    def __call__(self, who: str) -> Any:
        """``"citizen"`` (the first demo citizen) or a staff username."""
        if who not in self.states:
            context = self.browser.new_context(base_url=self.server.base_url, locale="zh-CN", **DESKTOP)
            context.set_default_timeout(10_000)
            try:
                page = context.new_page()
                if who == "citizen":
                    login_citizen(page, self.server, self.server.citizens[0])
                else:
                    login_staff(page, self.server, who)
                self.states[who] = context.storage_state()
            finally:
                context.close()
        return self.states[who]

    def remember(self, who: str, state: Any) -> None:
        """Keep a session a test has logged in anyway."""
        self.states.setdefault(who, state)


def no_horizontal_overflow(page: Any, width: int) -> tuple[bool, int]:
    """(fits, scrollWidth): whether the document is no wider than the viewport."""
    scroll_width = int(page.evaluate("document.scrollingElement.scrollWidth"))
    return scroll_width <= width, scroll_width


def header_tools_overlap_brand(page: Any) -> bool:
    """Whether the header's tools (长辈模式, 消息, name, 退出) slide over the portal's name (same row, intersecting).

    The name never wraps: its drawn width is its scrollWidth, which a squeezed box does not show.
    """
    return bool(
        page.evaluate(
            """() => {
              const name = document.querySelector('.site-header .brand-text strong');
              const tools = document.querySelector('.site-header .header-tools');
              if (!name || !tools) return false;
              const a = name.getBoundingClientRect(), b = tools.getBoundingClientRect();
              const sameRow = b.top < a.bottom && a.top < b.bottom;
              return sameRow && a.left + name.scrollWidth > b.left + 1;
            }"""
        )
    )


def heading_fonts(page: Any) -> list[str]:
    """The platform fonts Chromium really used to draw the page's first <h1> (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
        if not node:
            msg = f"{page.url} has no <h1>"
            raise AssertionError(msg)
        return [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]
    finally:
        cdp.detach()
