"""一次补正: two departments ask for corrections; the applicant uploads each corrected file on the case and resubmits both at once.

Through the API and through the case page; a resubmission with nothing in correction, an upload to an item that is not
in correction or to someone else's case, and a broken upload change nothing.
"""

from __future__ import annotations

import re

from tests.conftest import csrf_headers, login_person
from tests.functional.onething.conftest import (
    FOOD,
    MARKET,
    PDF,
    REGISTRATION,
    SIGN,
    URBAN,
    act,
    audits,
    department,
    get_case,
    grant_promised,
    member,
    person_client,
    submitted_case,
)


async def _both_in_correction(client, new_client, seeded, bundle, make_person, make_staff):
    """A submitted restaurant case whose food licence and sign are both waiting for corrections."""
    person, headers = await person_client(client, seeded, make_person)
    case = await submitted_case(client, headers, bundle, person)
    market = await department(new_client, make_staff, MARKET)
    urban = await department(new_client, make_staff, URBAN)
    await act(market["counter"], member(case, REGISTRATION)["application_id"], "handle_on_the_spot", "grant")
    case = await get_case(client, headers, case["id"])
    await act(market["counter"], member(case, FOOD)["application_id"], "pre_check", "request_correction", missing_items=["食品安全规章制度目录（加盖公章）"])
    await act(urban["counter"], member(case, SIGN)["application_id"], "pre_check", "request_correction", missing_items=["设置场地使用证明（业主盖章）"])
    case = await get_case(client, headers, case["id"])
    assert case["status"] == "awaiting_correction"
    return headers, case, market, urban


async def _materials(client, headers, application_id):
    r = await client.get(f"/api/v1/applications/{application_id}", headers=headers)
    assert r.status_code == 200, r.text
    return {m["name"]: m for m in r.json()["materials"]}


async def _upload(client, headers, case, application_id, material, name="补正材料.pdf", content=PDF):
    return await client.post(
        f"/api/v1/onething/cases/{case['id']}/corrections/{application_id}/materials",
        headers=headers,
        data={"material": material},
        files={"file": (name, content, "application/pdf")},
    )


async def test_both_corrections_are_uploaded_on_the_case_and_resubmitted_in_one_step(client, new_client, seeded, bundle, make_person, make_staff):
    headers, case, market, urban = await _both_in_correction(client, new_client, seeded, bundle, make_person, make_staff)
    food, sign = member(case, FOOD), member(case, SIGN)
    rules = next(m for m in (await _materials(client, headers, food["application_id"])).values() if "规章制度" in m["name"])
    r = await _upload(client, headers, case, food["application_id"], str(rules["index"]), "规章制度目录（盖章）.pdf")
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "规章制度目录（盖章）.pdf"
    assert (await _materials(client, headers, food["application_id"]))[rules["name"]]["filename"] == "规章制度目录（盖章）.pdf"

    # An upload naming no material index, or an item of the case that is not in correction, is refused.
    r = await _upload(client, headers, case, member(case, REGISTRATION)["application_id"], "0")
    assert r.status_code == 409
    assert r.json()["code"] == "not_in_correction"
    r = await _upload(client, headers, case, food["application_id"], "规章")
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_material"

    r = await client.post(f"/api/v1/onething/cases/{case['id']}/corrections", json={"note": "已按通知补齐两项材料"}, headers=headers)
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["status"] == "in_progress"
    assert member(case, FOOD)["state"] == "started"
    assert member(case, SIGN)["state"] == "started"
    # Both departments have their case back at the acceptance step.
    await grant_promised(market, food["application_id"])
    await grant_promised(urban, sign["application_id"])
    assert (await get_case(client, headers, case["id"]))["status"] == "completed"
    timeline = (await client.get(f"/api/v1/onething/cases/{case['id']}/timeline", headers=headers)).json()
    steps = [e["step"] for e in timeline if e["source"] == "bundle"]
    assert "correction_uploaded" in steps
    assert steps.count("corrections_resubmitted") == 1
    assert len(await audits(seeded, "onething:case:resubmit-corrections", case["number"])) == 1

    # Nothing left to correct: a conflict, and nothing changes.
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/corrections", json={"note": ""}, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "nothing_to_correct"


async def test_the_case_page_corrects_both_items_with_one_submission(client, new_client, seeded, bundle, make_person, make_staff):
    headers, case, _, _ = await _both_in_correction(client, new_client, seeded, bundle, make_person, make_staff)
    sign = member(case, SIGN)
    path = f"/citizen/onething/cases/{case['number']}"
    r = await client.get(path)
    assert r.status_code == 200
    assert 'id="corrections-form"' in r.text
    assert "补正后一并提交（2 个事项）" in r.text
    assert "食品安全规章制度目录（加盖公章）" in r.text
    assert "设置场地使用证明（业主盖章）" in r.text
    # Each item's upload picks the material its notice names.
    food_form = r.text.split(f'data-correction-upload="{FOOD}"')[1].split("</form>")[0]
    sign_form = r.text.split(f'data-correction-upload="{SIGN}"')[1].split("</form>")[0]
    assert re.search(r'<option value="\d+" selected>[^<]*规章制度目录', food_form), food_form
    assert re.search(r'<option value="\d+" selected>设置场地使用权证明', sign_form), sign_form

    page_headers = await csrf_headers(client)
    premises = next(m for m in (await _materials(client, headers, sign["application_id"])).values() if "场地" in m["name"])
    r = await client.post(
        f"{path}/corrections/materials",
        headers=page_headers,
        data={"application": sign["application_id"], "material": str(premises["index"])},
        files={"file": ("场地证明（盖章）.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 200, r.text
    assert "已上传补正材料" in r.text
    assert "场地证明（盖章）.pdf" in r.text
    # A file that is not a PDF or image: the message on the page, the earlier upload kept.
    r = await client.post(
        f"{path}/corrections/materials",
        headers=page_headers,
        data={"application": sign["application_id"], "material": str(premises["index"])},
        files={"file": ("场地证明.pdf", b"not a pdf", "application/pdf")},
    )
    assert r.status_code == 415
    assert 'id="error"' in r.text
    assert (await _materials(client, headers, sign["application_id"]))[premises["name"]]["filename"] == "场地证明（盖章）.pdf"

    r = await client.post(f"{path}/corrections", data={"note": "已补齐"}, headers=page_headers)
    assert r.status_code in {302, 303}, r.text
    case = await get_case(client, headers, case["id"])
    assert case["status"] == "in_progress"
    assert {member(case, FOOD)["state"], member(case, SIGN)["state"]} == {"started"}
    r = await client.get(path)
    assert 'id="corrections-form"' not in r.text


async def test_someone_else_cannot_correct_or_resubmit_a_case(client, new_client, seeded, bundle, make_person, make_staff):
    headers, case, _, _ = await _both_in_correction(client, new_client, seeded, bundle, make_person, make_staff)
    other = await new_client()
    await login_person(other, seeded, await make_person(name="李四"))
    other_headers = {**(await csrf_headers(other)), "accept": "application/json"}
    r = await other.post(f"/api/v1/onething/cases/{case['id']}/corrections", json={"note": ""}, headers=other_headers)
    assert r.status_code == 404
    r = await _upload(other, other_headers, case, member(case, FOOD)["application_id"], "0")
    assert r.status_code == 404
    assert (await get_case(client, headers, case["id"]))["status"] == "awaiting_correction"
