"""Who a granted licence goes to: a person applies for their own licence, or a guardian for a child under 16.

A 教师资格 application naming someone else's ID number is refused at submission (nothing is submitted), and the
issue refuses it as well; a guardian's 社会保障卡 application for a child gives the child the card; a "child" of 16
or more, or the child's details left out, are refused with the field named.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from longgov.identity.codes import make_resident_id
from longgov.licences import outcomes
from longgov.licences.models import Licence
from tests.conftest import csrf_headers, login_person
from tests.functional.applications.conftest import seeded, upload_all  # noqa: F401 - seeded is a fixture, re-exported
from tests.functional.licences.test_outcomes import PHONE, _grant, _item

CARD, TEACHER = "620H0011000000", "620A0031000000"
FOR_CHILD = "未满16周岁的子女"


def _card(person, **changes):
    return {"name": person.name, "id_number": person.id_number, "issuing_bank": "兰州银行", "contact_name": person.name, "contact_phone": PHONE, **changes}


async def _submit(client, platform, basic_code, form):
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    item = await _item(platform, basic_code)
    r = await client.post("/api/v1/applications", json={"item_code": item.code, "form": form}, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    await upload_all(client, headers, draft)
    return await client.post(f"/api/v1/applications/{draft['id']}/submit", headers=headers), draft


async def test_a_person_cannot_apply_for_someone_elses_teacher_qualification(client, seeded, make_person):  # noqa: F811
    applicant = await make_person(name="李秀兰")
    other = await make_person(name="王建国")
    await login_person(client, seeded, applicant)
    form = {
        "name": other.name,
        "id_number": other.id_number,
        "sex": "男",
        "birth_date": "1990-01-01",
        "qualification_type": "初级中学教师资格",
        "subject": "数学",
        "contact_name": applicant.name,
        "contact_phone": PHONE,
    }
    r, draft = await _submit(client, seeded, TEACHER, form)
    assert r.status_code == 422, r.text
    assert r.json()["details"] == {"id_number": "应填写申请人本人的公民身份号码（本事项由本人申请）"}
    headers = {"accept": "application/json"}
    assert (await client.get(f"/api/v1/applications/{draft['id']}", headers=headers)).json()["status"] == "draft"


async def test_a_guardian_gets_the_childs_social_security_card(client, new_client, seeded, make_person, make_staff):  # noqa: F811
    parent = await make_person(name="马丽")
    await login_person(client, seeded, parent)
    child_id = make_resident_id("620102", date(2026, 11, 20), 23)
    r, _ = await _submit(client, seeded, CARD, _card(parent, cardholder=FOR_CHILD, child_name="马小宝", child_id_number=child_id))
    assert r.status_code == 201, r.text
    item = await _item(seeded, CARD)
    body = await _grant(seeded, new_client, make_staff, r.json(), item.organisation_code)
    issued = body["events"][-1]["details"]["licence"]
    assert issued["type_name"] == "社会保障卡"
    async with seeded.db.transaction() as session:
        row = (await session.execute(select(Licence).where(Licence.id == uuid.UUID(issued["id"])))).scalar_one()
    assert row.holder_name == "马小宝"
    assert row.holder_id_masked == f"{child_id[:4]}**********{child_id[-4:]}"
    assert row.holder_person_id is None  # the child has no account; the card is in the parent's results
    wallet = (await client.get("/api/v1/licences/mine")).json()
    assert issued["identifier"] not in [w["identifier"] for w in wallet]


async def test_a_card_for_a_child_of_sixteen_or_more_or_without_the_childs_details_is_refused(client, seeded, make_person):  # noqa: F811
    parent = await make_person(name="马丽")
    await login_person(client, seeded, parent)
    grown = make_resident_id("620102", date(2008, 1, 5), 31)
    r, _ = await _submit(client, seeded, CARD, _card(parent, cardholder=FOR_CHILD, child_name="马大宝", child_id_number=grown))
    assert r.status_code == 422, r.text
    assert "未满16周岁" in r.json()["details"]["child_id_number"]
    r, _ = await _submit(client, seeded, CARD, _card(parent, cardholder=FOR_CHILD))
    assert r.status_code == 422, r.text
    assert r.json()["details"] == {"child_name": "必填", "child_id_number": "必填"}
    # The guardian is the applicant: someone else's ID number in the guardian's place is refused.
    other = await make_person(name="王建国")
    child_id = make_resident_id("620102", date(2020, 6, 1), 17)
    form = _card(parent, id_number=other.id_number, cardholder=FOR_CHILD, child_name="马小宝", child_id_number=child_id)
    r, _ = await _submit(client, seeded, CARD, form)
    assert r.status_code == 422, r.text
    assert set(r.json()["details"]) == {"id_number"}


def test_the_dependant_holder_applies_only_when_the_form_says_so():
    card = outcomes.outcome_of(CARD)
    assert card is not None
    own = {"name": "马丽", "id_number": "620102199001011234", "child_name": "马小宝", "child_id_number": "620102202611200236"}
    assert card.for_form(own) is card
    assert card.for_form({**own, "cardholder": "本人"}) is card
    child = card.for_form({**own, "cardholder": FOR_CHILD})
    assert child.holder_id == outcomes.form("child_id_number")
    assert child.fields["social_security_number"] == "child_id_number"
    on = date(2026, 11, 27)
    assert outcomes.holder_problem(child, {**own, "cardholder": FOR_CHILD}, "person", on) is None
    turned = {**own, "cardholder": FOR_CHILD, "child_id_number": "620102201011270000"}
    assert outcomes.holder_problem(child, turned, "person", on) is not None  # 16 today
    assert outcomes.holder_problem(child, {**turned, "child_id_number": "620102201011280000"}, "person", on) is None  # 16 tomorrow
