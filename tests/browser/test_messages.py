"""我的消息 in a real browser: a citizen's application moves, the header badge counts the unread notices,
the message centre fits a phone and a desktop, and opening a message leads to the application's timeline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import DemoServer, no_horizontal_overflow
from tests.functional.applications.conftest import FOOD, GOOD_FOOD_FORM, PDF

pytest.importorskip("playwright.sync_api", reason="the python playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WRITE_PNGS = os.environ.get("LONGGOV_SCREENSHOTS", "1") != "0"


def _json_headers(context: Any) -> dict[str, str]:
    token = next(c["value"] for c in context.cookies() if c["name"] == "lg_csrf")
    return {"x-csrftoken": token, "accept": "application/json"}


def _ok(response: Any) -> Any:
    assert response.ok, f"{response.url}: {response.status} {response.text()[:500]}"
    return response.json()


def _food_item(request: Any) -> str:
    for offset in range(0, 1000, 100):
        items = _ok(request.get(f"/api/v1/catalog/items?limit=100&offset={offset}"))["items"]
        found = next((i["code"] for i in items if i["basic_code"] == FOOD), None)
        if found or not items:
            break
    assert found, "the demo catalogue has no 食品经营许可"
    return str(found)


def _submitted_then_corrected_then_accepted(citizen: Any, staff: Any) -> str:
    """Apply through the JSON API as the citizen; the counter staff asks for a correction, then accepts."""
    page = citizen.new_page()
    page.goto("/citizen")
    headers = _json_headers(citizen)
    draft = _ok(page.request.post("/api/v1/applications", data={"item_code": _food_item(page.request), "form": GOOD_FOOD_FORM}, headers=headers))
    for m in draft["materials"]:
        if m["required"] and not m["replaceable"]:
            upload = {"material": str(m["index"]), "file": {"name": "材料.pdf", "mimeType": "application/pdf", "buffer": PDF}}
            _ok(page.request.post(f"/api/v1/applications/{draft['id']}/materials", multipart=upload, headers=headers))
    application = _ok(page.request.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers))
    desk = staff.new_page()
    desk.goto("/workbench")
    staff_headers = _json_headers(staff)
    act = f"/api/v1/applications/workbench/{application['id']}/act"
    correction = {"task": "pre_check", "action": "request_correction", "opinion": "材料不全", "missing_items": ["营业执照复印件", "经营场所平面图"]}
    _ok(desk.request.post(act, data=correction, headers=staff_headers))
    _ok(page.request.post(f"/api/v1/applications/{application['id']}/resubmit", data={"note": "已补正"}, headers=headers))
    _ok(desk.request.post(act, data={"task": "pre_check", "action": "accept", "opinion": "材料齐全，予以受理"}, headers=staff_headers))
    page.close()
    desk.close()
    return str(application["number"])


def test_message_centre_on_a_phone_and_a_desktop(new_context: Any, server: DemoServer, signed_in: Any) -> None:
    citizen = new_context(storage_state=signed_in("citizen"))
    staff = new_context(storage_state=signed_in("lz_scjg_window"))
    # Other tests may have sent this demo citizen notices already: count from here.
    before = _ok(citizen.request.get("/api/v1/notify/messages/unread-count"))["unread"]
    number = _submitted_then_corrected_then_accepted(citizen, staff)
    unread = before + 3
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, mobile in ((390, True), (1280, False)):
        context = new_context(mobile=mobile, storage_state=citizen.storage_state(), device_scale_factor=1)
        page = context.new_page()
        page.goto("/citizen/messages")
        expect(page.locator("h1")).to_have_text("我的消息")
        expect(page.locator(".msg-list > li.unread").first).to_contain_text(number)
        expect(page.locator("#messages")).to_contain_text("1. 营业执照复印件；2. 经营场所平面图")
        expect(page.locator(".site-header .msg-count")).to_have_text(str(unread))  # loaded by htmx after the page
        fits, scroll_width = no_horizontal_overflow(page, width)
        assert fits, f"/citizen/messages is {scroll_width}px wide at {width}px"
        if WRITE_PNGS:
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(SHOTS / f"{width}-citizen-messages.png"), full_page=True)
        context.close()

    # Opening the newest message marks it read and shows the application's timeline.
    page = citizen.new_page()
    page.goto("/citizen/messages")
    page.locator(".msg-list > li").first.get_by_role("button", name="查看办件进度").click()
    page.wait_for_url(f"**/citizen/applications/{number}")
    expect(page.locator("main")).to_contain_text(number)
    expect(page.locator(".site-header .msg-count")).to_have_text(str(unread - 1))
