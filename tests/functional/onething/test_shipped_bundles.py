"""Every runnable bundle shipped in ``data/bundles.json`` runs end to end on the real catalogue.

For each: the applicant answers the guide so that every item it can bring applies, fills the merged form
from its own JSON schema (keeping the values pre-filled from records), uploads each material once and
submits; the staff of each department take every ready task in their workbench the positive way; the case
completes with one notice, each item granted, and one results package. A definition that drifts from the
catalogue (an item renamed, a form field retyped, a dependency that never starts) fails here.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from longgov.applications.models import Application
from longgov.identity.codes import make_resident_id, make_uscc
from longgov.licences.models import Licence
from longgov.onething import services as onething
from longgov.platform import ServiceContext
from tests.conftest import login_enterprise, login_person
from tests.functional.applications.workbench_support import Staff, staff
from tests.functional.onething.conftest import applicant_account, json_headers, messages, upload_needed

# Answers under which every item the bundle can bring applies (the one exception is said per bundle).
FULL_ANSWERS: dict[str, dict[str, bool | str]] = {
    "school_enrolment": {"migrant_child": True, "has_residence_permit": False},
    "retirement": {"receiving_pension": False, "contribution_years": "fifteen_plus", "has_housing_fund": True},
    "enterprise_change": {"change_name": True, "has_social_insurance": True},
    # 职工 and 居民 pension are exclusive: the employee branch here, the resident one below.
    "after_death": {"pension_type": "employee", "work_related": False, "has_housing_fund": True, "has_real_estate": True},
    "after_death_resident": {"pension_type": "resident", "work_related": False, "has_housing_fund": False, "has_real_estate": False},
    "disability_services": {"has_disability_certificate": False, "apply_subsidy": True, "join_resident_pension": True},
    "credit_repair": {"has_penalty_record": True, "in_abnormal_list": True, "tax_credit_issue": True},
    "employee_hiring": {"housing_fund": True},
}
EXPECTED_ITEMS = {
    "school_enrolment": 2,
    "retirement": 3,
    "enterprise_change": 4,
    "after_death": 3,
    "after_death_resident": 2,
    "disability_services": 3,
    "credit_repair": 3,
    "employee_hiring": 4,
}
# The positive way through each task of the three processes (即办, 承诺, 联审).
POSITIVE = ("accept", "pass", "approve", "agree", "grant", "conclude", "deliver")


def _id_number(seed: int, born: date = date(1985, 3, 14)) -> str:
    return make_resident_id("620102", born, seed % 999 + 1)


def _value(name: str, prop: dict[str, Any], applicant: dict[str, str], seed: int) -> Any:  # noqa: PLR0911 - one branch per kind of field
    """A value a careful applicant would type for this field."""
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "boolean":
        return True
    if kind in {"integer", "number"}:
        return max(prop.get("minimum", 1), min(prop.get("maximum", 10), 10))
    if prop.get("format") == "date":
        return "2012-09-01" if "birth" in name else "2026-10-08"
    pattern = prop.get("pattern", "")
    if pattern:
        return _patterned(name, pattern, applicant, seed)
    text = f"{prop.get('title', name)}（测试填写）"
    low, high = prop.get("minLength", 0), prop.get("maxLength", 200)
    return (text * 3)[: max(low, min(high, len(text)))]


def _patterned(name: str, pattern: str, applicant: dict[str, str], seed: int) -> str:  # noqa: PLR0911 - one branch per kind of code
    if pattern.endswith("[1-7][1-4]$"):  # 残疾人证号: the holder's ID number, category and grade
        return applicant["id_number"] + "12"
    if pattern.startswith("^([0-9]{17}"):  # a person or an enterprise
        return applicant["id_number"]
    if "[0-9X]$" in pattern:
        if name in {"id_number", "operator_id_number"}:
            return applicant["id_number"]
        born = date(2012, 5, 20) if "child" in name else date(1958, 2, 1) if "deceased" in name else date(1985, 3, 14)
        return _id_number(seed + len(name), born)
    if "A-HJ-NPQRTUWXY]{2}" in pattern:
        return applicant.get("uscc") or make_uscc("9", "1", "620102", f"MA{seed:06d}")
    if pattern.startswith("^1[3-9]"):
        return f"139{seed:08d}"[-11:]
    samples = {
        "^[0-9]{12,30}$": "6228480402564890018",
        "^[0-9]{8,20}$": "62010200318865",
        "^[0-9A-Z]{6,20}$": "L620102260031",
        "^[A-Z][0-9]{9}$": "P620012345",
        "^20[0-9]{2}-(0[1-9]|1[0-2])$": "2026-11",
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2})?$": "2026-10-08 09:30",
        "^[0-9A-Za-z-]{4,30}$": "ACC-620102-0001",
    }
    return samples[pattern]


def fill(merged: dict[str, Any], applicant: dict[str, str], seed: int) -> dict[str, Any]:
    """Every field of the merged form: the pre-filled values kept, the rest typed; fields a result fills later left out."""
    prefilled = {f["name"]: f["value"] for f in merged["prefill"]}
    form: dict[str, Any] = {}
    for name, prop in merged["json_schema"]["properties"].items():
        if name in merged["later"]:
            continue
        form[name] = prefilled[name] if name in prefilled else _value(name, prop, applicant, seed)
    return form


class Departments:
    """One staff member per department with every casework role, created when a task first needs them."""

    def __init__(self, new_client: Any, make_staff: Any, platform: Any) -> None:
        self.new_client, self.make_staff, self.platform = new_client, make_staff, platform
        self.people: dict[str, Staff] = {}
        self.acted: list[tuple[str, str, str]] = []

    async def of(self, organisation: str) -> Staff:
        if organisation not in self.people:
            self.people[organisation] = await staff(self.new_client, self.make_staff, ["counter_staff", "approver", "department_leader"], organisation)
        return self.people[organisation]

    async def organisation(self, application_id: str) -> str:
        async with self.platform.db.transaction() as session:
            query = select(Application.organisation_code).where(Application.id == uuid.UUID(application_id))
            return str((await session.execute(query)).scalar_one())

    async def work_through(self, application_id: str) -> None:
        """Take each ready task the positive way until none is left."""
        home = await self.organisation(application_id)
        for _ in range(12):
            s = await self.of(home)
            r = await s.client.get(f"/api/v1/applications/workbench/{application_id}", headers=s.headers)
            assert r.status_code == 200, r.text
            tasks = r.json()["tasks"]
            if not tasks:
                return
            task = tasks[0]
            actor = await self.of(task.get("department") or home)
            action = next(a for a in POSITIVE if a in task["actions"])
            body = {"task": task["name"], "action": action, "opinion": "符合条件，同意"}
            r = await actor.client.post(f"/api/v1/applications/workbench/{application_id}/act", json=body, headers=actor.headers)
            assert r.status_code == 201, (task, r.text)
            self.acted.append((application_id, task["name"], action))
        pytest.fail(f"{application_id} still has tasks after 12 steps")


@pytest.fixture
async def shipped(seeded):
    async with seeded.db.transaction() as session:
        await onething.seed_bundles(ServiceContext(session=session, platform=seeded))
    return seeded


def test_every_runnable_bundle_is_exercised_here_or_in_its_own_test():
    runnable = {d["code"] for d in onething.shipped_definitions() if d.get("runnable", True)}
    own_tests = {"open_restaurant", "start_enterprise", "newborn_birth", "home_transfer"}
    assert runnable == own_tests | {c for c in FULL_ANSWERS if c != "after_death_resident"}
    assert len(runnable) >= 8


async def _login(client: httpx.AsyncClient, platform: Any, audience: str, make_person: Any, make_enterprise: Any) -> dict[str, str]:
    if audience == "enterprise":
        enterprise = await make_enterprise()
        await login_enterprise(client, platform, enterprise)
        return {"name": enterprise.name, "id_number": _id_number(7), "uscc": enterprise.uscc}
    person = await make_person(name="王秀兰")
    await login_person(client, platform, person)
    return {"name": person.name, "id_number": person.id_number}


@pytest.mark.parametrize("scenario", sorted(FULL_ANSWERS))
async def test_a_shipped_bundle_runs_from_guide_to_one_result(client, new_client, shipped, make_person, make_enterprise, make_staff, scenario):
    code = scenario.removesuffix("_resident")
    definition = next(d for d in onething.shipped_definitions() if d["code"] == code)
    applicant = await _login(client, shipped, definition["audience"], make_person, make_enterprise)
    headers = await json_headers(client)
    answers = FULL_ANSWERS[scenario]

    r = await client.post(f"/api/v1/onething/bundles/{code}/form", json={"answers": answers}, headers=headers)
    assert r.status_code == 200, r.text
    merged = r.json()
    form = fill(merged, applicant, seed=len(scenario))
    body = {"bundle_code": code, "answers": answers, "form": form, "prefill_confirmed": True}
    r = await client.post("/api/v1/onething/cases", json=body, headers=headers)
    assert r.status_code == 201, r.text
    case = r.json()
    assert len(case["members"]) == EXPECTED_ITEMS[scenario], [m["item_name"] for m in case["members"]]
    names = [m["name"] for m in case["materials"]]
    assert len(names) == len(set(names)), "a material is asked for twice"
    await upload_needed(client, headers, case)
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/submit", headers=headers)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["status"] == "submitted"

    departments = Departments(new_client, make_staff, shipped)
    done: set[str] = set()
    for _ in range(len(case["members"]) + 1):
        ready = [m for m in case["members"] if m["application_id"] and m["application_id"] not in done and m["state"] != "waiting"]
        if not ready:
            break
        for m in ready:
            await departments.work_through(m["application_id"])
            done.add(m["application_id"])
        r = await client.get(f"/api/v1/onething/cases/{case['id']}", headers=headers)
        case = r.json()

    states = {m["item_name"]: m["state"] for m in case["members"]}
    assert case["status"] == "completed", states
    assert set(states.values()) == {"granted"}
    titles = [m.title for m in await messages(shipped, await applicant_account(shipped, case["id"]))]
    assert titles.count("一件事已全部办结") == 1
    assert titles.count("一件事已提交") == 1

    r = await client.get(f"/api/v1/onething/cases/{case['id']}/results", headers=headers)
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as package:
        listing = package.read("办理结果清单.txt").decode("utf-8")
        decisions = [n for n in package.namelist() if n.endswith(".pdf")]
    assert case["number"] in listing
    assert len(decisions) >= len(case["members"])
    for m in case["members"]:
        assert m["item_name"] in listing


async def test_the_newborn_gets_its_own_social_security_card_once_registered(client, new_client, shipped, make_person, make_staff):
    """新生儿出生 with the card: the parent asks for it on the child's behalf; once 出生登记 is granted the card waits for
    the child's new ID number, the parent types it, and the card is issued to the child."""
    mother = await make_person(name="马丽")
    await login_person(client, shipped, mother)
    headers = await json_headers(client)
    answers = {"has_birth_certificate": False, "join_medical_insurance": True, "apply_social_security_card": True}
    merged = (await client.post("/api/v1/onething/bundles/newborn_birth/form", json={"answers": answers}, headers=headers)).json()
    assert "child_name" in merged["later"]
    assert "child_id_number" not in merged["json_schema"]["required"]
    form = fill(merged, {"name": mother.name, "id_number": mother.id_number}, seed=3)
    form.pop("child_id_number")  # not known before 出生登记
    form |= {"baby_name": "马小宝", "mother_name": mother.name, "mother_id_number": mother.id_number, "cardholder": "未满16周岁的子女"}
    form |= {"birth_time": "2026-11-20 08:42", "name": mother.name, "id_number": mother.id_number}
    r = await client.post("/api/v1/onething/cases", json={"bundle_code": "newborn_birth", "answers": answers, "form": form}, headers=headers)
    assert r.status_code == 201, r.text
    case = r.json()
    await upload_needed(client, headers, case)
    case = (await client.post(f"/api/v1/onething/cases/{case['id']}/submit", headers=headers)).json()
    departments = Departments(new_client, make_staff, shipped)
    done: set[str] = set()

    async def work() -> dict[str, Any]:
        current = (await client.get(f"/api/v1/onething/cases/{case['id']}", headers=headers)).json()
        for _ in range(6):
            ready = [m for m in current["members"] if m["application_id"] and m["application_id"] not in done and m["state"] == "started"]
            if not ready:
                break
            for m in ready:
                await departments.work_through(m["application_id"])
                done.add(m["application_id"])
            current = (await client.get(f"/api/v1/onething/cases/{case['id']}", headers=headers)).json()
        return current

    case = await work()
    card = next(m for m in case["members"] if m["basic_code"] == "620H0011000000")
    assert case["status"] == "awaiting_applicant", [(m["item_name"], m["state"]) for m in case["members"]]
    assert card["state"] == "awaiting_applicant"
    assert "子女公民身份号码" in card["note"]
    # The case page asks for just that (not every optional field left empty).
    page = (await client.get(f"/citizen/onething/cases/{case['number']}")).text
    resume = page.split('id="resume-form"')[1].split("</form>")[0]
    assert 'name="child_id_number"' in resume
    assert 'name="description"' not in resume
    assert 'name="child_name"' not in resume  # filled from the 出生医学证明 just issued
    child_id = make_resident_id("620102", date(2026, 11, 20), 41)
    r = await client.post(f"/api/v1/onething/cases/{case['id']}/resume", json={"form": {"child_id_number": child_id}}, headers=headers)
    assert r.status_code == 200, r.text
    case = await work()
    assert case["status"] == "completed", [(m["item_name"], m["state"]) for m in case["members"]]
    card = next(m for m in case["members"] if m["basic_code"] == "620H0011000000")
    async with shipped.db.transaction() as session:
        row = (await session.execute(select(Licence).where(Licence.application_id == uuid.UUID(card["application_id"])))).scalar_one()
    assert row.holder_name == "马小宝"
    assert row.holder_id_masked == f"{child_id[:4]}**********{child_id[-4:]}"
