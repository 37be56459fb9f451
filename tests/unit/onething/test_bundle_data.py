"""The shipped 一件事 definitions (onething/data/bundles.json) against the catalogue seed and the forms."""

import itertools
import json
import re
from importlib import resources
from typing import Any

import pytest

from longgov.applications import forms
from longgov.identity import services as identity

SPEC_KEYS = {
    "code", "name", "summary", "audience", "lead_organisation", "aliases", "keywords", "runnable",
    "questions", "contradictions", "items", "shared_materials", "results", "targets", "lead_note",
}  # fmt: skip
NATIONAL_KEY_ITEMS = {
    "企业开办", "开办餐饮店", "新生儿出生", "教育入学", "退休", "企业信息变更", "二手房转移登记及水电气网联动过户",
    "身后一件事", "残疾人服务", "社保卡居民服务", "开办运输企业", "信用修复", "企业员工录用",
}  # fmt: skip


def _bundles() -> list[dict[str, Any]]:
    text = resources.files("longgov.onething").joinpath("data/bundles.json").read_text(encoding="utf-8")
    data: list[dict[str, Any]] = json.loads(text)["bundles"]
    return data


def _catalogue() -> dict[str, dict[str, Any]]:
    text = resources.files("longgov.catalog").joinpath("data/items.json").read_text(encoding="utf-8")
    return {item["basic_code"]: item for item in json.loads(text)["items"]}


BUNDLES = _bundles()
CATALOGUE = _catalogue()
CODES = [b["code"] for b in BUNDLES]


def _bundle(code: str) -> dict[str, Any]:
    return next(b for b in BUNDLES if b["code"] == code)


def _cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as [a, b, …, a], or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    return next((c for start in edges if start not in state and (c := visit(start)) is not None), None)


def _answer_sets(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Every complete set of answers to the guide."""
    keys = [q["key"] for q in bundle["questions"]]
    values = [[True, False] if q["type"] == "boolean" else [o["value"] for o in q["options"]] for q in bundle["questions"]]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]


def _holds(when: dict[str, Any], answers: dict[str, Any]) -> bool:
    return all(answers.get(k) == v and type(answers.get(k)) is type(v) for k, v in when.items())


def test_the_national_key_items_are_defined_and_at_least_eight_run():
    assert {b["name"] for b in BUNDLES} == NATIONAL_KEY_ITEMS
    assert len(set(CODES)) == len(CODES)
    assert len({b["name"] for b in BUNDLES}) == len(BUNDLES)
    runnable = [b["code"] for b in BUNDLES if b["runnable"] is True]
    assert len(runnable) >= 8, runnable
    assert {"start_enterprise", "open_restaurant", "newborn_birth", "home_transfer", "after_death"} <= set(runnable)


@pytest.mark.parametrize("code", CODES)
def test_definition_keeps_to_the_shape(code):
    bundle = _bundle(code)
    assert set(bundle) <= SPEC_KEYS, set(bundle) - SPEC_KEYS
    assert re.fullmatch(r"[a-z_]{3,40}", code)
    assert bundle["audience"] in {"person", "enterprise", "any"}
    assert bundle["name"]
    assert bundle["summary"]
    assert bundle["results"]
    assert bundle["aliases"]
    assert bundle["keywords"]
    assert isinstance(bundle["runnable"], bool)
    division, _, kind = bundle["lead_organisation"].partition("-")
    assert re.fullmatch(r"620[0-9]{3}", division)
    assert kind in identity.department_kind_keys()
    assert set(bundle["targets"]) == {"days", "materials", "visits", "steps"}
    assert all(isinstance(v, int) and v >= 0 for v in bundle["targets"].values())
    keys = [q["key"] for q in bundle["questions"]]
    assert len(set(keys)) == len(keys)
    for question in bundle["questions"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,39}", question["key"])
        assert question["type"] in {"boolean", "choice"}
        if question["type"] == "choice":
            values = [o["value"] for o in question["options"]]
            assert len(values) >= 2
            assert len(set(values)) == len(values)
            assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,39}", v) and o["label"] for v, o in zip(values, question["options"], strict=True))
        else:
            assert "options" not in question


@pytest.mark.parametrize("code", CODES)
def test_items_exist_in_the_catalogue_once_and_depend_without_cycles(code):
    bundle = _bundle(code)
    items = [i["item"] for i in bundle["items"]]
    assert len(items) >= 2
    assert len(set(items)) == len(items)
    unknown = [i for i in items if i not in CATALOGUE]
    assert unknown == []
    edges = {i["item"]: i.get("depends_on", []) for i in bundle["items"]}
    for item, deps in edges.items():
        assert item not in deps
        assert set(deps) <= set(items), (item, deps)
    assert _cycle(edges) is None


def test_cycle_detection_names_the_cycle():
    assert _cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert _cycle({"a": ["b"], "b": [], "c": ["a", "b"]}) is None


@pytest.mark.parametrize("code", CODES)
def test_conditions_name_questions_and_their_options(code):
    bundle = _bundle(code)
    questions = {q["key"]: q for q in bundle["questions"]}
    conditions = [i.get("when", {}) for i in bundle["items"]] + [c["when"] for c in bundle["contradictions"]]
    for when in conditions:
        for key, value in when.items():
            assert key in questions, f"{code}: no question {key}"
            question = questions[key]
            if question["type"] == "boolean":
                assert isinstance(value, bool), (code, key, value)
            else:
                assert value in {o["value"] for o in question["options"]}, (code, key, value)
    codes = [c["code"] for c in bundle["contradictions"]]
    assert len(set(codes)) == len(codes)
    for rule in bundle["contradictions"]:
        assert len(rule["when"]) >= 2
        assert re.search("[\u4e00-\u9fff]", rule["message"])


@pytest.mark.parametrize("code", CODES)
def test_every_consistent_answer_set_leaves_something_to_do_and_every_item_can_apply(code):
    bundle = _bundle(code)
    reached: set[str] = set()
    consistent = [a for a in _answer_sets(bundle) if not any(_holds(c["when"], a) for c in bundle["contradictions"])]
    assert consistent
    for answers in consistent:
        applicable = [i["item"] for i in bundle["items"] if _holds(i.get("when", {}), answers)]
        assert applicable, (code, answers)
        reached.update(applicable)
    assert reached == {i["item"] for i in bundle["items"]}
    # Each contradiction rules out at least one answer set (it is not dead).
    for rule in bundle["contradictions"]:
        assert any(_holds(rule["when"], a) for a in _answer_sets(bundle)), rule["code"]


@pytest.mark.parametrize("code", CODES)
def test_shared_materials_name_materials_of_the_bundles_items(code):
    bundle = _bundle(code)
    items = {i["item"] for i in bundle["items"]}
    for shared in bundle["shared_materials"]:
        assert len(shared["covers"]) >= 2
        for item, name in shared["covers"]:
            assert item in items, (shared["name"], item)
            assert name in {m["name"] for m in CATALOGUE[item]["content"]["materials"]}, (item, name)


@pytest.mark.parametrize("code", [b["code"] for b in BUNDLES if b["runnable"]])
def test_runnable_bundles_have_item_specific_forms_that_merge(code):
    bundle = _bundle(code)
    fields: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for entry in bundle["items"]:
        definition = forms.form_for(entry["item"])
        assert definition.key == entry["item"], f"{code}: {entry['item']} has only the generic form"
        for name, prop in definition.schema["properties"].items():
            fields.setdefault(name, []).append((entry["item"], prop))
    for name, owners in fields.items():
        types = {prop["type"] for _, prop in owners}
        assert len(types) == 1, (code, name, types)
        enums = [set(prop["enum"]) for _, prop in owners if "enum" in prop]
        assert not enums or set.intersection(*enums), (code, name)  # one value must satisfy every item
    # One form asks each shared thing once: the merged form is smaller than the forms side by side.
    separate = sum(len(forms.form_for(i["item"]).schema["properties"]) for i in bundle["items"])
    assert len(fields) < separate


def test_dependencies_follow_the_results_they_need():
    # The examples of the issue: a result that is another item's precondition comes first.
    restaurant = {i["item"]: i for i in _bundle("open_restaurant")["items"]}
    assert set(restaurant["620A0005000000"]["depends_on"]) == {"620A0002000000", "620A0001000000"}
    assert restaurant["620A0002000000"]["when"] == {"has_business_licence": False, "entity_form": "individual"}
    newborn = {i["item"]: i for i in _bundle("newborn_birth")["items"]}
    assert newborn["620B0017000000"]["depends_on"] == ["620B0021000000"]
    assert newborn["620H0011000000"]["depends_on"] == ["620B0017000000"]
    enterprise = _bundle("start_enterprise")["items"]
    assert all(i["depends_on"] == ["620A0001000000"] for i in enterprise if i["item"] != "620A0001000000")
    retirement = _bundle("retirement")
    assert any(set(c["when"]) == {"receiving_pension", "contribution_years"} for c in retirement["contradictions"])
