"""高效办成一件事 in a real browser: a demo enterprise opens a restaurant (开办餐饮店) with one guide, one form, one submission.

On a 390 px phone the founder (甘肃陇原牛羊肉食品有限公司, holding its electronic 营业执照) searches "开餐馆要办哪些手续",
opens the bundle, answers the scenario guide (a contradicting answer first), fills the one merged form whose enterprise
fields come from the 营业执照, uploads each material once (the 营业执照 itself is 免提交) and submits once. Three
departments of 城关区 handle their items in their own workbench: 市场监管 (食品经营许可) asks for a correction first,
城管 (户外广告设施设置审批) and the 消防 check are approved; each case page shows the bundle and its sibling items.
The founder reads one combined correction notice, corrects and resubmits on the case page, follows one timeline across the
departments and downloads every result in one ZIP.

The staff accounts are created for this test with ``longgov users create-staff`` against the server's database. PNGs
of the steps go to ``test-artifacts/screenshots/onething-journey-*.png`` unless ``LONGGOV_SCREENSHOTS=0``.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import DemoServer, Staff, header_tools_overlap_brand, login_staff, no_horizontal_overflow, read_sms_code
from tests.browser.test_journey_food_licence import _act, _open_case, _pdf, _png
from tests.browser.test_once_only import DEMO_PASSWORD, _enterprise

pytest.importorskip("playwright.sync_api", reason="the python playwright package is not installed")
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WRITE_PNGS = os.environ.get("LONGGOV_SCREENSHOTS", "1") != "0"
PHONE_WIDTH = 390
STAFF_PASSWORD = "Journey2026staff!"  # test accounts on a throwaway database
FOOD, SIGN, FIRE = "620A0005000000", "620A0040000000", "620A0041000000"
DEPARTMENTS = {  # the item → the 城关区 organisation that handles it
    FOOD: "620102-market_regulation",
    SIGN: "620102-urban_management",
    FIRE: "620102-government",
}
FORM = {  # what the founder types (the enterprise fields come from the 营业执照)
    "business_items": "热食类食品制售（牛肉面、手抓羊肉）",
    "premises_area": "360",
    "employees": "18",
    "food_safety_officer": "马小燕",
    "planned_opening": "2026-12-18",
    "contact_phone": "13909311234",
    "sign_text": "陇原牛肉面",
    "sign_width": "6",
    "sign_height": "1.2",
    "setting_years": "3",
    "venue_name": "陇原牛肉面馆（张掖路店）",
    "venue_floor": "一层、二层",
    "capacity": "220",
    "fire_safety_manager": "马建国",
}


def _create_staff(server: DemoServer, organisation: str, name: str, roles: list[str]) -> str:
    """A new staff account of one department, created with the CLI against the server's database."""
    username = f"yjs_{roles[0]}_{uuid.uuid4().hex[:6]}"
    script = Path(sys.executable).parent / "longgov"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "longgov.cli"]
    options = ["--username", username, "--name", name, "--organisation", organisation, "--password", STAFF_PASSWORD]
    for role in roles:
        options += ["--role", role]
    result = subprocess.run([*command, "users", "create-staff", *options], env=server.env, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r"TOTP 密钥[^：:]*[：:]\s*([A-Z2-7]{16,})", result.stdout)
    assert result.returncode == 0, f"create-staff failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    assert found, f"no TOTP secret in the output of create-staff:\n{result.stdout}"
    server.staff[username] = Staff(username, STAFF_PASSWORD, name, found.group(1))
    return username


class Shots:
    """Numbered PNGs of the steps; phone pages must fit their width."""

    def __init__(self) -> None:
        self.step = 0
        if WRITE_PNGS:
            SHOTS.mkdir(parents=True, exist_ok=True)
            for stale in SHOTS.glob("onething-journey-*.png"):
                stale.unlink()

    def __call__(self, page: Any, name: str, *, phone: bool = True) -> None:
        self.step += 1
        if phone:
            fits, width = no_horizontal_overflow(page, PHONE_WIDTH)
            assert fits, f"{page.url} is {width}px wide on a {PHONE_WIDTH}px phone"
            assert not header_tools_overlap_brand(page), f"the header tools overlap the portal name on {page.url}"
        if WRITE_PNGS:
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(SHOTS / f"onething-journey-{self.step:02d}-{name}.png"), full_page=True)


def _login_enterprise(page: Any, server: DemoServer, uscc: str) -> None:
    page.goto("/login/enterprise")
    page.get_by_label("统一社会信用代码").fill(uscc)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/verify*")
    phone = page.locator("article strong").first.inner_text().strip()
    code = read_sms_code(page.context, phone, not_in=server.used_sms_codes)
    server.used_sms_codes.add(code)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/enterprise/me")


def _reload_until(page: Any, server: DemoServer, path: str, selector: str, text: str, *, seconds: float = 15.0) -> None:
    """Open the page until it shows the text: the bundle case follows its applications just after each step is committed.

    Every answer must be a 200, on SQLite too (its transactions start IMMEDIATE, so a page never loses its
    write to the background step's commit).
    """
    deadline = time.monotonic() + seconds
    while True:
        response = page.goto(path)
        assert response is not None
        if response.status != 200:
            log = server.log_path.read_text(errors="replace")[-6000:] if server.log_path.exists() else ""
            pytest.fail(f"{path} answered {response.status}: {page.locator('main').inner_text()[:300]}\n{log}")
        if text in page.locator(selector).inner_text() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    expect(page.locator(selector)).to_contain_text(text)


def _answer(page: Any, question: str, label: str) -> None:
    page.locator(f'#guide fieldset[data-question="{question}"]').get_by_label(label, exact=True).check()


def _grant(staff: dict[str, Any], number: str, *, correction: str | None = None) -> None:
    """受理 (after a correction, if asked), 审查通过 and 准予许可 in the department's workbench."""
    window, leader = staff["window"], staff["leader"]
    _open_case(window, number)
    _act(window, "pre_check", "受理", "材料齐全，予以受理")
    _open_case(leader, number)
    _act(leader, "review", "审查通过", "经审查，符合条件")
    _act(leader, "decision", "准予许可", "同意")
    expect(leader.locator("[data-field=status]")).to_contain_text("准予许可")


def test_an_enterprise_opens_a_restaurant_with_one_guide_one_form_one_submission(new_context: Any, server: DemoServer, tmp_path: Path) -> None:  # noqa: PLR0915 - one story, told in order
    shot = Shots()
    enterprise = _enterprise(server)
    people: dict[str, dict[str, Any]] = {}
    for item, organisation in DEPARTMENTS.items():
        window = _create_staff(server, organisation, "窗口" + item[-8:-6], ["counter_staff"])
        leader = _create_staff(server, organisation, "负责人" + item[-8:-6], ["department_leader", "approver"])
        people[item] = {"window_user": window, "leader_user": leader}

    founder = new_context(mobile=True, accept_downloads=True, device_scale_factor=1).new_page()
    _login_enterprise(founder, server, enterprise["uscc"])

    # Search in plain words: the bundle comes first, ahead of the items it comprises.
    founder.goto("/citizen/search?q=" + "开餐馆要办哪些手续")
    first = founder.locator("#search-results > li").first
    expect(first).to_have_attribute("data-kind", "bundle")
    expect(first).to_contain_text("开办餐饮店")
    expect(founder.locator("#search-results")).to_contain_text("食品经营许可")
    shot(founder, "search")
    first.get_by_role("link", name="开办餐饮店").click()
    founder.wait_for_url("**/onething/bundles/open_restaurant")
    expect(founder.get_by_role("heading", level=1)).to_have_text("开办餐饮店")
    expect(founder.locator("#departments")).to_contain_text("城关区城市管理综合执法局")

    # 情形引导: a contradicting answer is named in Chinese; corrected, the items and the reasons show.
    _answer(founder, "founding", "新设立（个体工商户或公司）")
    _answer(founder, "has_business_licence", "是")
    founder.get_by_role("button", name="查看需要办理的事项").click()
    expect(founder.locator("#guide-error")).to_contain_text("已取得营业执照的，不能再选择新设立经营主体")
    expect(founder.locator('fieldset[data-question="founding"]')).to_have_attribute("aria-invalid", "true")
    shot(founder, "guide-contradiction")
    _answer(founder, "founding", "以已有的个体工商户或企业开店")
    _answer(founder, "outdoor_sign", "是")
    _answer(founder, "premises_area", "300平方米及以上")
    founder.get_by_role("button", name="查看需要办理的事项").click()
    expect(founder.locator("#guide-error")).to_have_count(0)
    applicable = founder.locator("#applicable")
    for name in ("食品经营许可", "户外广告设施设置审批", "公众聚集场所投入使用、营业前消防安全检查"):
        expect(applicable).to_contain_text(name)
    expect(founder.locator("#excluded")).to_contain_text("个体工商户设立登记")
    # With the 营业执照 in hand, how the business would be set up no longer matters.
    expect(founder.locator('fieldset[data-question="entity_form"] [data-not-needed]')).to_have_count(1)
    expect(founder.locator("#excluded")).to_contain_text("您在“这家店是否已经取得营业执照？”中选择了“是”，无需办理")
    shot(founder, "guide-result")

    # 一表申请: the enterprise fields come from the 营业执照, each with its source; the rest is typed once.
    founder.locator("#start-apply").click()
    founder.wait_for_url(re.compile(r"/enterprise/onething/bundles/open_restaurant/apply\?"))
    expect(founder.locator("#f-uscc")).to_have_value(enterprise["uscc"])
    expect(founder.locator("[data-source-for=uscc]")).to_contain_text("来自：营业执照")
    expect(founder.locator("[data-source-for=operator_name]")).to_contain_text("来自：营业执照")
    expect(founder.locator("[data-shared-for=contact_phone]")).to_contain_text("共用，只填一次")
    for name, value in FORM.items():
        founder.locator(f"#f-{name}").fill(value)
    founder.locator("#f-business_type").select_option("餐饮服务经营者")
    founder.locator("#f-sign_type").select_option("门头招牌（店招）")
    founder.locator("#f-commitment").check()
    founder.locator("#f-prefill_confirmed").check()
    shot(founder, "form")
    founder.get_by_role("button", name="保存并上传材料").click()
    founder.wait_for_url(re.compile(r"/enterprise/onething/drafts/[0-9a-f-]{36}$"))

    # 一次提交: each material once; the 营业执照 is 免提交 for all three items.
    licence = founder.locator("#materials > li", has_text="营业执照")
    expect(licence.locator("[data-provided=licence]")).to_have_text("免提交")
    expect(licence).to_contain_text("食品经营许可、户外广告设施设置审批、公众聚集场所投入使用、营业前消防安全检查共用")
    materials = founder.locator("#materials > li")
    needed = [i for i in range(materials.count()) if materials.nth(i).locator(".req").count()]
    assert len(needed) == 9, needed  # 3 for each item: the 营业执照 is in the wallet, the identity proof comes by data sharing
    for index in needed:
        entry = founder.locator("#materials > li").nth(index)
        name = entry.locator("strong").inner_text().split(". ", 1)[1]
        file = (
            {"name": "layout.png", "mimeType": "image/png", "buffer": _png()}
            if "平面" in name
            else {"name": f"m{index}.pdf", "mimeType": "application/pdf", "buffer": _pdf(f"material {index}")}
        )
        entry.get_by_label(f"选择文件：{name}").set_input_files(file)
        entry.get_by_role("button", name="上传").click()
        expect(founder.locator("#message")).to_contain_text(f"已上传“{name}”")
    shot(founder, "materials")
    founder.locator("#submit-all").click()
    founder.wait_for_url(re.compile(r"/enterprise/onething/cases/YJS\d{14}$"))
    number = founder.locator("[data-field=number]").inner_text().strip()
    expect(founder.locator("[data-field=status]")).to_contain_text("已提交")
    members = founder.locator("#members")
    applications = {}
    for item in DEPARTMENTS:
        link = members.locator(f'li[data-item="{item}"] a.mono')
        expect(link).to_have_text(re.compile(r"\S+"))
        applications[item] = link.inner_text().strip()
    shot(founder, "submitted")

    # Each department in its own workbench; the case page shows the bundle and the other items.
    for names in people.values():
        for role in ("window", "leader"):
            page = new_context().new_page()
            login_staff(page, server, names[f"{role}_user"])
            names[role] = page
    market = people[FOOD]
    _open_case(market["window"], applications[FOOD])
    bundle = market["window"].locator("#bundle-case")
    expect(bundle.locator("[data-field=bundle-number]")).to_have_text(number)
    expect(bundle.locator("#bundle-members")).to_contain_text("户外广告设施设置审批")
    expect(bundle.locator("#bundle-members")).to_contain_text("（本件）")
    _act(market["window"], "pre_check", "一次性告知补正", "规章制度目录未盖章，请补正", missing_items="食品安全规章制度目录（加盖公章）")
    shot(market["window"], "workbench-correction", phone=False)
    _grant(people[SIGN], applications[SIGN])
    _grant(people[FIRE], applications[FIRE])

    # The founder: one combined correction notice.
    case_path = f"/enterprise/onething/cases/{number}"
    _reload_until(founder, server, case_path, f'#members li[data-item="{FIRE}"]', "已准予")
    expect(founder.locator("[data-field=status]")).to_contain_text("待补正")
    corrections = founder.locator("#corrections")
    expect(corrections).to_contain_text("食品安全规章制度目录（加盖公章）")
    expect(founder.locator(f'#members li[data-item="{SIGN}"]')).to_have_attribute("data-state", "granted")
    shot(founder, "correction")
    # Corrected on the case page itself: the sealed file uploaded there, every item in correction resubmitted at once.
    upload = corrections.locator(f'[data-correction-upload="{FOOD}"]')
    # The material the notice names is already picked.
    expect(upload.get_by_label("补正哪份材料").locator("option:checked")).to_contain_text("规章制度目录")
    upload.get_by_label(re.compile("^选择文件：")).set_input_files({"name": "rules-sealed.pdf", "mimeType": "application/pdf", "buffer": _pdf("rules sealed")})
    upload.get_by_role("button", name="上传").click()
    expect(founder.locator("#message")).to_contain_text("已上传补正材料“食品安全自查")
    expect(founder.locator("#corrections li[data-material]", has_text="食品安全自查")).to_contain_text("rules-sealed.pdf")
    shot(founder, "correction-uploaded")
    founder.locator("#corrections-form").get_by_label("补正说明").fill("已上传加盖公章的规章制度目录。")
    founder.locator("#corrections-form").get_by_role("button", name=re.compile("补正后一并提交")).click()
    expect(founder.locator("#corrections")).to_have_count(0)

    _grant(market, applications[FOOD])

    # One timeline across the departments, everything done, every result in one download.
    _reload_until(founder, server, case_path, "[data-field=status]", "已办结")
    expect(founder.locator("[data-field=progress]")).to_have_text("已办结 3 / 3 个事项")
    timeline = founder.locator("#timeline")
    for text in ("城关区市场监督管理局", "城关区城市管理综合执法局", "城关区人民政府", "一次性告知补正", "提交一件事申请"):
        expect(timeline).to_contain_text(text)
    shot(founder, "completed")
    with founder.expect_download() as info:
        founder.locator("#download-all").click()
    target = tmp_path / "results.zip"
    info.value.save_as(str(target))
    with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as package:
        names = package.namelist()
        listing = package.read("办理结果清单.txt").decode("utf-8")
        assert all(package.read(n).startswith(b"%PDF") for n in names if n.endswith(".pdf"))
    assert number in listing
    for item in (
        "食品经营许可（城关区市场监督管理局）",
        "户外广告设施设置审批（城关区城市管理综合执法局）",
        "公众聚集场所投入使用、营业前消防安全检查（城关区人民政府）",
    ):
        assert item in listing, listing
    assert any("食品经营许可证" in n for n in names), names

    # 我的一件事 lists it as done.
    founder.goto("/enterprise/onething/cases")
    expect(founder.locator(f'#cases li[data-case="{number}"]')).to_contain_text("已办结")
    shot(founder, "mine")
