"""情形引导 and the shape of a definition: pure rules, no database.

Answers decide which items apply (``when`` is a conjunction of ``question == value``); a contradiction
is a combination of answers that cannot all be true; ``depends_on`` orders items (a dependency the
answers exclude is dropped: the applicant already has its result). The merged form is the union of the
applicable items' form fields by name, each asked once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from longgov.onething.schemas import BundleDefinition, BundleItem, Contradiction, DefinitionProblem, Question

# Keys of a field's JSON Schema that only describe it (or say where a value can come from) and never decide validity.
_DESCRIPTIVE = frozenset({"title", "description", "x-source", "x-widget", "x-pattern-message", "x-const-message", "default", "examples", "x-later"})
_NUMBERS = frozenset({"integer", "number"})


def problem(code: str, message: str, path: str) -> DefinitionProblem:
    """One problem of a definition."""
    return DefinitionProblem(code=code, message=message, path=path)


# --- answers ----------------------------------------------------------------------------------------


def _value_fits(question: Question, value: object) -> bool:
    if question.type == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str) and any(o.value == value for o in question.options)


def condition_problems(definition: BundleDefinition, when: Mapping[str, object], path: str) -> list[DefinitionProblem]:
    """A condition must name questions of the guide and values those questions can take."""
    found: list[DefinitionProblem] = []
    for key, value in when.items():
        question = definition.question(key)
        if question is None:
            found.append(problem("unknown_question", f"条件引用了不存在的问题“{key}”", f"{path}.{key}"))
        elif not _value_fits(question, value):
            expected = "是或否（true / false）" if question.type == "boolean" else "、".join(o.value for o in question.options)
            found.append(problem("unknown_option", f"问题“{question.text}”没有取值“{value}”（应为 {expected}）", f"{path}.{key}"))
    return found


def answer_errors(definition: BundleDefinition, answers: Mapping[str, object]) -> dict[str, str]:
    """Per-question Chinese messages for answers that name no question or take a value the question does not offer."""
    errors: dict[str, str] = {}
    for key, value in answers.items():
        question = definition.question(key)
        if question is None:
            errors[f"answers.{key}"] = "没有这个问题"
        elif not _value_fits(question, value):
            errors[f"answers.{key}"] = "请回答是或否" if question.type == "boolean" else "请从给出的选项中选择"
    return errors


def matches(when: Mapping[str, object], answers: Mapping[str, object]) -> bool:
    """Whether every condition holds for the answers (an unanswered question does not hold)."""
    return all(key in answers and answers[key] == value for key, value in when.items())


def undecided(when: Mapping[str, object], answers: Mapping[str, object]) -> list[str]:
    """The questions of a condition still unanswered, when none of the answered ones already rules it out."""
    if any(key in answers and answers[key] != value for key, value in when.items()):
        return []
    return [key for key in when if key not in answers]


def contradiction(definition: BundleDefinition, answers: Mapping[str, object]) -> Contradiction | None:
    """The first declared contradiction the answers fall into, if any."""
    return next((c for c in definition.contradictions if matches(c.when, answers)), None)


def pending(definition: BundleDefinition, answers: Mapping[str, object]) -> list[str]:
    """Questions whose answers still decide whether an item applies, in guide order."""
    wanted: set[str] = set()
    for item in definition.items:
        wanted.update(undecided(item.when, answers))
    return [q.key for q in definition.questions if q.key in wanted]


@dataclass(frozen=True)
class Selection:
    """What the answers decide: applicable items (dependencies reduced to applicable ones) and the excluded items with the answer that excluded them."""

    applicable: list[BundleItem]
    excluded: list[tuple[BundleItem, str]]


def _why_excluded(definition: BundleDefinition, item: BundleItem, answers: Mapping[str, object]) -> str:
    # Guide order, not the condition's: a stored definition may come back with its keys reordered.
    for question in definition.questions:
        key = question.key
        if key in item.when and key in answers and answers[key] != item.when[key]:
            return f"您在“{question.text}”中选择了“{question.label_of(answers[key])}”，无需办理"
    return "尚未回答相关问题"


def select(definition: BundleDefinition, answers: Mapping[str, object]) -> Selection:
    """The items the answers make applicable (in definition order) and the excluded ones with why."""
    chosen = [i for i in definition.items if matches(i.when, answers)]
    codes = {i.item for i in chosen}
    applicable = [i.model_copy(update={"depends_on": [d for d in i.depends_on if d in codes]}) for i in chosen]
    excluded = [(i, _why_excluded(definition, i, answers)) for i in definition.items if i.item not in codes]
    return Selection(applicable, excluded)


# --- dependencies ------------------------------------------------------------------------------------


def find_cycle(edges: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One cycle of a dependency graph as ``[a, b, …, a]`` (a depends on b …), or None when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in edges:
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def _duplicates(definition: BundleDefinition) -> list[DefinitionProblem]:
    keys = [q.key for q in definition.questions]
    codes = [i.item for i in definition.items]
    found = [problem("duplicate_question", f"问题“{key}”重复定义", f"questions.{key}") for key in sorted({k for k in keys if keys.count(k) > 1})]
    found.extend(problem("duplicate_item", f"事项 {code} 重复列出", f"items.{code}") for code in sorted({c for c in codes if codes.count(c) > 1}))
    return found


def _dependency_problems(definition: BundleDefinition, label: Mapping[str, str]) -> list[DefinitionProblem]:
    codes = [i.item for i in definition.items]
    found: list[DefinitionProblem] = []
    for n, item in enumerate(definition.items):
        found.extend(condition_problems(definition, item.when, f"items.{n}.when"))
        for dep in item.depends_on:
            if dep == item.item:
                found.append(problem("self_dependency", f"事项“{label.get(dep, dep)}”不能以自身为前置事项", f"items.{n}.depends_on"))
            elif dep not in codes:
                found.append(problem("unknown_dependency", f"前置事项 {dep} 不在本一件事的事项中", f"items.{n}.depends_on"))
    cycle = find_cycle({i.item: [d for d in i.depends_on if d in codes and d != i.item] for i in definition.items})
    if cycle is not None:
        chain = " → ".join(f"{label.get(c, c)}（{c}）" for c in cycle)
        found.append(problem("dependency_cycle", f"事项之间的前置关系形成循环，无法确定办理顺序：{chain}", "items"))
    return found


def _contradiction_problems(definition: BundleDefinition) -> list[DefinitionProblem]:
    found: list[DefinitionProblem] = []
    seen: set[str] = set()
    for n, rule in enumerate(definition.contradictions):
        if len(rule.when) < 2:  # noqa: PLR2004 - a contradiction is between answers
            found.append(problem("contradiction_too_small", f"矛盾规则“{rule.code}”至少应包含两个问题的回答", f"contradictions.{n}"))
        if rule.code in seen:
            found.append(problem("duplicate_contradiction", f"矛盾规则代码“{rule.code}”重复", f"contradictions.{n}"))
        seen.add(rule.code)
        found.extend(condition_problems(definition, rule.when, f"contradictions.{n}.when"))
    return found


def structure_problems(definition: BundleDefinition, names: Mapping[str, str] | None = None) -> list[DefinitionProblem]:
    """Everything wrong with a definition that needs neither the catalogue nor the forms (``names`` labels items in messages)."""
    codes = {i.item for i in definition.items}
    found = [*_duplicates(definition), *_dependency_problems(definition, names or {}), *_contradiction_problems(definition)]
    for n, shared in enumerate(definition.shared_materials):
        found.extend(
            problem("unknown_shared_item", f"共用材料“{shared.name}”引用的事项 {code} 不在本一件事中", f"shared_materials.{n}")
            for code, _ in shared.covers
            if code not in codes
        )
    return found


def order(items: Sequence[BundleItem]) -> list[BundleItem]:
    """Items so that each comes after everything it depends on (stable otherwise); assumes no cycle."""
    placed: list[BundleItem] = []
    done: set[str] = set()
    remaining = list(items)
    while remaining:
        ready = [i for i in remaining if all(d in done for d in i.depends_on)]
        if not ready:  # a cycle: keep the rest in their order rather than loop forever
            placed.extend(remaining)
            break
        for item in ready:
            placed.append(item)
            done.add(item.item)
            remaining.remove(item)
    return placed


# --- merged form --------------------------------------------------------------------------------------


def _json_types(prop: Mapping[str, Any]) -> frozenset[str]:
    raw = prop.get("type")
    if isinstance(raw, list):
        return frozenset(str(t) for t in raw)
    if isinstance(raw, str):
        return frozenset({raw})
    if "enum" in prop or "const" in prop:
        values = [*prop.get("enum", ()), *([prop["const"]] if "const" in prop else [])]
        return frozenset(_type_of(v) for v in values)
    return frozenset()


def _type_of(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "null"


def _widened(types: frozenset[str]) -> frozenset[str]:
    # An integer is a number: "integer" and "number" fields can share one value.
    return types | ({"number", "integer"} if types & _NUMBERS else frozenset())


def incompatibility(a: Mapping[str, Any], b: Mapping[str, Any]) -> str | None:
    """Why two fields of the same name cannot take one value (different JSON types, disjoint options), or None."""
    ta, tb = _json_types(a), _json_types(b)
    if ta and tb and not (_widened(ta) & _widened(tb)):
        return f"类型不同（{'/'.join(sorted(ta))} 与 {'/'.join(sorted(tb))}）"
    ea = [*a.get("enum", ()), *([a["const"]] if "const" in a else [])]
    eb = [*b.get("enum", ()), *([b["const"]] if "const" in b else [])]
    if ea and eb and not any(x == y and type(x) is type(y) for x in ea for y in eb):
        return "可选值没有交集"
    return None


@dataclass(frozen=True)
class FormPart:
    """One applicable item's form as the merge sees it."""

    basic_code: str
    item_name: str
    schema: Mapping[str, Any]
    # Fields this item takes later (from a predecessor's result): not required in the merged form.
    later: frozenset[str] = frozenset()


def _strip(prop: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in prop.items() if k not in _DESCRIPTIVE}


def _sources(props: Iterable[Mapping[str, Any]]) -> list[Any]:
    merged: list[Any] = []
    for prop in props:
        raw = prop.get("x-source")
        for binding in raw if isinstance(raw, list) else [raw] if raw is not None else []:
            if binding not in merged:
                merged.append(binding)
    return merged


def _merge_property(name: str, owned: Sequence[tuple[FormPart, Mapping[str, Any]]], found: list[DefinitionProblem]) -> dict[str, Any]:
    first_part, first = owned[0]
    merged = copy.deepcopy(dict(first))
    extra: list[dict[str, Any]] = []
    for part, prop in owned[1:]:
        why = incompatibility(first, prop)
        if why is not None:
            message = f"字段“{name}”在“{first_part.item_name}”和“{part.item_name}”的申请表中{why}，不能合并为一项"
            found.append(problem("incompatible_field", message, f"form.{name}"))
            continue
        stripped = _strip(prop)
        if stripped != _strip(first) and stripped not in extra:
            extra.append(stripped)
    if extra:
        # One value must satisfy every item's constraints: the first definition shows, the others are checked too.
        merged["allOf"] = [*merged.get("allOf", []), *extra]
    sources = _sources(p for _, p in owned)
    if sources:
        merged["x-source"] = sources
    merged["x-items"] = [p.basic_code for p, _ in owned]
    return merged


def merge_forms(title: str, parts: Sequence[FormPart]) -> tuple[dict[str, Any], list[DefinitionProblem]]:
    """The merged JSON Schema of several forms, and the fields of the same name that no single value can satisfy.

    Each field appears once; it is required where any item requires it now (not where a predecessor's
    result fills it later).
    """
    owners: dict[str, list[tuple[FormPart, Mapping[str, Any]]]] = {}
    for part in parts:
        for name, prop in part.schema.get("properties", {}).items():
            owners.setdefault(name, []).append((part, prop))
    found: list[DefinitionProblem] = []
    properties = {name: _merge_property(name, owned, found) for name, owned in owners.items()}
    required: list[str] = []
    for part in parts:
        required += [name for name in part.schema.get("required", ()) if name not in part.later and name not in required]
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return schema, found


def project(data: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the merged form data that one item's form takes."""
    names = schema.get("properties", {})
    return {k: copy.deepcopy(v) for k, v in data.items() if k in names}
