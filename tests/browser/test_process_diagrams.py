"""The shipped BPMN files open in bpmn-js, the viewer of the bpmn.io modeler, and the guide page draws them."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import DemoServer, no_horizontal_overflow

pytest.importorskip("playwright.sync_api", reason="the python playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# A guide page per process type, and the user tasks each process must show.
GUIDES = {
    "promised": ("食品经营许可", ("pre_check", "resubmit", "review", "decision", "conclude", "deliver")),
    "instant": ("个体工商户设立登记", ("handle_on_the_spot",)),
    "joint_review": ("建筑工程施工许可证核发", ("pre_check", "department_review", "decision")),
}


def _guide_path(page: Any, name: str) -> str:
    page.goto("/citizen/items")
    link = page.get_by_role("link", name=name, exact=True)
    while link.count() == 0:  # the catalogue list is paged
        page.get_by_role("link", name=re.compile("下一页")).click()
        link = page.get_by_role("link", name=name, exact=True)
    href = link.first.get_attribute("href")
    assert href
    return href


@pytest.mark.parametrize("process", list(GUIDES))
def test_guide_page_draws_the_items_bpmn_process(new_context: Any, server: DemoServer, process: str) -> None:
    name, tasks = GUIDES[process]
    context = new_context(mobile=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(_guide_path(page, name))
    canvas = page.locator("#process-diagram")
    expect(canvas).to_have_attribute("data-state", "ready", timeout=15_000)
    # bpmn-js reports unknown elements, broken references or missing diagram shapes as import warnings.
    assert canvas.get_attribute("data-warnings") == "0", warnings
    for task in tasks:
        expect(canvas.locator(f'[data-element-id="{task}"]')).to_have_count(1)
    expect(canvas.locator(".djs-element.djs-shape")).not_to_have_count(0)
    assert not problems, problems  # CSP violations and script errors show up here
    fits, width = no_horizontal_overflow(page, 390)
    assert fits, f"the guide page is {width}px wide on a 390px phone"
    if os.environ.get("LONGGOV_SCREENSHOTS", "1") != "0":
        SHOTS.mkdir(parents=True, exist_ok=True)
        canvas.screenshot(path=str(SHOTS / f"390-process-{process}.png"))


def test_process_file_downloads_as_bpmn_xml(new_context: Any, server: DemoServer) -> None:
    page = new_context().new_page()
    response = page.request.get(server.url("/citizen/processes/promised.bpmn"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<bpmn:definitions" in response.text()
    assert page.request.get(server.url("/citizen/processes/nonexistent.bpmn")).status == 404
