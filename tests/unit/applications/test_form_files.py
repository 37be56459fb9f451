"""Every shipped form file: a valid schema for a catalogue item, consistent with every other form.

Bundles (一件事) merge the forms of their items by field name, so a field name must mean one JSON type
(and one set of allowed values) in every form that uses it.
"""

import json
from collections import defaultdict
from datetime import date
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longgov.applications import forms
from longgov.licences import services as licences

KEYS = forms.shipped_forms()
CJK = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 200))


def _schemas() -> dict[str, dict[str, Any]]:
    folder = resources.files("longgov.applications").joinpath("data/forms")
    return {key: json.loads(folder.joinpath(f"{key}.json").read_text(encoding="utf-8")) for key in KEYS}


SCHEMAS = _schemas()


def _catalogue_codes() -> set[str]:
    text = resources.files("longgov.catalog").joinpath("data/items.json").read_text(encoding="utf-8")
    return {item["basic_code"] for item in json.loads(text)["items"]}


def _chinese(text: object) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("key", KEYS)
def test_form_file_is_a_compiled_flat_schema_for_a_catalogue_item(key):
    schema = SCHEMAS[key]
    definition = forms.form_for(key)  # compiles, raises on an invalid schema
    assert definition.key == key
    assert key == forms.GENERIC or key in _catalogue_codes()
    assert schema["$id"] == f"longgov:forms/{key}/v1"
    assert _chinese(schema["title"])
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    properties = schema["properties"]
    assert set(schema["required"]) <= set(properties), set(schema["required"]) - set(properties)
    assert len(set(schema["required"])) == len(schema["required"])
    for name, prop in properties.items():
        assert prop["type"] in {"string", "number", "integer", "boolean"}, name  # pages render flat forms only
        assert _chinese(prop["title"]), name
        if "pattern" in prop:
            assert _chinese(prop.get("x-pattern-message")), f"{key}.{name}: a pattern needs a Chinese x-pattern-message"
        if "const" in prop:
            assert _chinese(prop.get("x-const-message")), f"{key}.{name}: a const needs a Chinese x-const-message"
        if "minLength" in prop and "maxLength" in prop:
            assert prop["minLength"] <= prop["maxLength"], name
    assert [f.name for f in forms.fields_of(definition)] == list(properties)


@pytest.mark.parametrize("key", KEYS)
def test_x_source_bindings_name_real_licence_fields(key):
    types = {t.key: t for t in licences.list_types()}
    by_ref = {ref: t for t in types.values() for ref in (t.key, t.code, t.name)}
    for name, bindings in forms.bindings_of(forms.form_for(key)).items():
        assert bindings, name
        for binding in bindings:
            if binding.source != "licence":
                continue
            licence_type = by_ref.get(binding.licence_type or "")
            assert licence_type is not None, f"{key}.{name}: unknown licence type {binding.licence_type}"
            known = {f.key for f in licence_type.fields} | {f.title for f in licence_type.fields} | {"number", "holder.name", "holder.id_number"}
            assert binding.field in known, f"{key}.{name}: {licence_type.key} has no field {binding.field}"


def test_same_field_name_means_the_same_thing_in_every_form():
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for key, schema in SCHEMAS.items():
        for name, prop in schema["properties"].items():
            seen[name]["type"].add(f"{prop['type']}")
            # Allowed values (enum) may differ between items that never apply together (货运/客运);
            # tests/unit/onething checks them for the items a bundle can combine.
            for constraint in ("pattern", "format", "const"):
                if constraint in prop:
                    seen[name][constraint].add(json.dumps(prop[constraint], ensure_ascii=False, sort_keys=True))
            seen[name]["forms"].add(key)
    clashes = {
        name: {c: sorted(v) for c, v in facts.items() if c != "forms" and len(v) > 1}
        for name, facts in seen.items()
        if any(len(v) > 1 for c, v in facts.items() if c != "forms")
    }
    assert clashes == {}
    # The shared vocabulary really is shared (it is what lets a bundle ask each thing once).
    assert len(seen["contact_phone"]["forms"]) == len(SCHEMAS)
    for name in ("uscc", "enterprise_name", "id_number", "name", "deceased_name", "employee_id_number", "bank_account"):
        assert len(seen[name]["forms"]) >= 3, name


def _strategy(prop: dict[str, Any]) -> st.SearchStrategy[Any]:  # noqa: PLR0911 - one strategy per kind of field
    if "const" in prop:
        return st.just(prop["const"])
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    kind = prop["type"]
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=prop.get("minimum", 0), max_value=prop.get("maximum", 10_000))
    if kind == "number":
        return st.floats(min_value=prop.get("minimum", 0), max_value=prop.get("maximum", 10_000), allow_nan=False)
    if prop.get("format") == "date":
        return st.dates(min_value=date(1930, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat)
    low, high = prop.get("minLength", 0), prop.get("maxLength", 200)
    if "pattern" in prop:
        return st.from_regex(prop["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(alphabet=CJK, min_size=low, max_size=min(high, 40))


@pytest.mark.parametrize("key", KEYS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_form_accepts_what_it_describes_and_names_each_missing_field(key, data):
    definition = forms.form_for(key)
    properties = definition.schema["properties"]
    required = definition.schema["required"]
    document = {name: data.draw(_strategy(prop), label=name) for name, prop in properties.items()}
    assert forms.field_errors(definition, document) == {}
    # Every required field, left out, is reported by name; a draft (partial) does not mind.
    for name in required:
        partial = {k: v for k, v in document.items() if k != name}
        assert forms.field_errors(definition, partial) == {name: "必填"}
        assert forms.field_errors(definition, partial, partial=True) == {}
