"""表单免填写 after submission: the applicant's page and the staff case page show, next to each pre-filled value,
where it came from (licence type, data item, issuer and identifier, or the shared record) and whether the
applicant changed it; a value the applicant typed has no source."""

import html
import re

from tests.conftest import csrf_headers, login_person, login_staff
from tests.functional.applications.conftest import FOOD, item_code, upload_all
from tests.functional.applications.test_once_only import MARKET, OWN_FIELDS, _enterprise_with_licence, _login

SOCIAL_SECURITY_CARD = "620H0011000000"


def _label(page: str, field: str) -> str | None:
    """The text of the source label of one field on a page (None when it has none)."""
    found = re.search(rf'<small[^>]*data-source-for="{field}"[^>]*>(.*?)</small>', page, re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip() if found else None


def _value(page: str, field: str) -> str:
    found = re.search(rf'<dd[^>]*data-field="{field}"[^>]*>(.*?)(<small|</dd>)', page, re.DOTALL)
    assert found, field
    return html.unescape(found.group(1)).strip()


async def _staff_page(new_client, make_staff, application_id: str, organisation: str) -> str:
    staff = await new_client()
    await login_staff(staff, await make_staff(["counter_staff"], organisation))
    r = await staff.get(f"/workbench/applications/{application_id}")
    assert r.status_code == 200, r.text
    return r.text


async def test_submitted_pages_show_the_licence_each_prefilled_value_came_from(client, new_client, seeded, make_enterprise, make_staff):
    enterprise, licence = await _enterprise_with_licence(seeded, make_enterprise)
    headers = await _login(client, seeded, enterprise)
    code = await item_code(seeded, FOOD)
    proposal = (await client.get("/api/v1/applications/prefill", params={"item_code": code}, headers=headers)).json()
    values = {f["name"]: f["value"] for f in proposal["fields"]}
    # The applicant keeps three pre-filled values, changes the legal representative and types the rest.
    form = {**values, **OWN_FIELDS, "legal_representative": "王五"}
    r = await client.post("/api/v1/applications", json={"item_code": code, "form": form, "prefill_confirmed": True}, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    await upload_all(client, headers, draft)
    submitted = (await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)).json()

    mine = await client.get(f"/enterprise/applications/{submitted['number']}")
    assert mine.status_code == 200
    case = await _staff_page(new_client, make_staff, draft["id"], MARKET)
    for page in (mine.text, case):
        label = _label(page, "uscc")
        assert label is not None
        assert label.startswith("来自电子证照：营业执照·统一社会信用代码")
        assert licence.issuer_name in label
        assert f"证照标识 {licence.identifier}" in label
        assert "未修改" in label
        assert "未修改" in (_label(page, "operator_name") or "")
        changed = _label(page, "legal_representative")
        assert changed is not None
        assert "营业执照·法定代表人" in changed
        assert "自动填写后已修改" in changed
        assert 'data-edited-for="legal_representative"' in page
        assert 'data-edited-for="uscc"' not in page
        # Typed by the applicant: shown, without a source.
        for typed in ("business_items", "food_safety_officer", "contact_phone"):
            assert f'data-field="{typed}"' in page
            assert _label(page, typed) is None
        assert 'id="prefill-consent"' in page
    assert "您于" in mine.text
    assert "申请人于" in case
    assert _value(mine.text, "legal_representative") == "王五"
    assert _value(mine.text, "uscc") == enterprise.uscc


async def test_a_value_from_the_real_name_record_names_the_shared_data(client, new_client, seeded, make_person, make_staff):
    person = await make_person(name="赵小红")
    await login_person(client, seeded, person)
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    code = await item_code(seeded, SOCIAL_SECURITY_CARD)
    proposal = (await client.get("/api/v1/applications/prefill", params={"item_code": code}, headers=headers)).json()
    values = {f["name"]: f["value"] for f in proposal["fields"]}
    assert values == {"name": "赵小红", "contact_name": "赵小红"}  # no 居民身份证 in the wallet: the real-name record only
    form = {**values, "id_number": person.id_number, "issuing_bank": "兰州银行", "contact_phone": "13912345678"}
    r = await client.post("/api/v1/applications", json={"item_code": code, "form": form, "prefill_confirmed": True}, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    await upload_all(client, headers, draft)
    submitted = (await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)).json()

    mine = (await client.get(f"/citizen/applications/{submitted['number']}")).text
    case = await _staff_page(new_client, make_staff, draft["id"], "620100-human_resources")
    for page in (mine, case):
        assert _label(page, "name") == "来自共享数据：实名认证信息·名称 未修改"
        assert 'data-source-kind="person"' in page
        assert _label(page, "id_number") is None
        assert _label(page, "issuing_bank") is None
        assert "证照标识" not in page
    # Staff see the form masked, the source all the same.
    assert person.id_number not in case


async def test_an_application_without_prefill_shows_no_sources(client, seeded, make_person):
    person = await make_person(name="钱多多")
    await login_person(client, seeded, person)
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    code = await item_code(seeded, SOCIAL_SECURITY_CARD)
    # Typed by hand (the card is the applicant's own: their ID number).
    form = {"name": "钱多多", "id_number": person.id_number, "issuing_bank": "兰州银行", "contact_name": "钱多多", "contact_phone": "13912345678"}
    draft = (await client.post("/api/v1/applications", json={"item_code": code, "form": form}, headers=headers)).json()
    await upload_all(client, headers, draft)
    submitted = (await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers)).json()
    page = (await client.get(f"/citizen/applications/{submitted['number']}")).text
    assert 'data-field="name"' in page
    assert "data-source-for" not in page
    assert 'id="prefill-consent"' not in page
