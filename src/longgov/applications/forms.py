"""Application forms: JSON Schema (draft 2020-12) per item basic code, with Chinese messages.

Also the fields a page renders and the conversion of an HTML form post into typed values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs in the lock file
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

GENERIC = "generic"
_TYPE_MESSAGES = {"integer": "应为整数", "number": "应为数字", "string": "应为文本", "boolean": "应为是或否", "object": "应为对象", "array": "应为列表"}


@dataclass(frozen=True)
class FormDefinition:
    """One application form: its id (``$id``), schema and compiled validator."""

    key: str
    form_id: str
    schema: dict[str, Any]
    validator: Draft202012Validator

    @property
    def title(self) -> str:
        """The form's Chinese title."""
        return str(self.schema.get("title", "申请表"))


@dataclass(frozen=True)
class FormField:
    """One input as a page renders it."""

    name: str
    title: str
    widget: str  # text | textarea | select | date | number | checkbox
    required: bool
    description: str = ""
    options: tuple[str, ...] = ()
    step: str = ""
    min: str = ""
    max: str = ""
    max_length: int | None = None
    pattern: str = ""


@dataclass(frozen=True)
class Binding:
    """Where a field can be filled from (表单免填写), as a form declares it in ``x-source``.

    ``{"licence": "business_licence", "field": "legal_representative"}`` (type key, code or name; a data
    item's key or Chinese title, or ``number`` / ``holder.name`` / ``holder.id_number``),
    ``{"person": "name"}`` or ``{"enterprise": "uscc"}``; ``"transform": "date"`` keeps YYYY-MM-DD.
    A list gives alternatives, first that has a value wins.
    """

    source: str  # licence | person | enterprise
    field: str
    licence_type: str | None = None
    transform: str = ""


_RECORD_FIELDS = {"person": frozenset({"name"}), "enterprise": frozenset({"name", "uscc", "legal_representative"})}


def _binding(raw: object) -> Binding:
    if not isinstance(raw, dict):
        msg = f"x-source must be an object or a list of objects, not {raw!r}"
        raise TypeError(msg)
    transform = str(raw.get("transform", ""))
    if "licence" in raw:
        return Binding(source="licence", licence_type=str(raw["licence"]), field=str(raw["field"]), transform=transform)
    for record, known in _RECORD_FIELDS.items():
        if record in raw:
            if raw[record] not in known:
                msg = f"x-source {record} field {raw[record]!r} is not one of {sorted(known)}"
                raise ValueError(msg)
            return Binding(source=record, field=str(raw[record]), transform=transform)
    msg = f"x-source names no licence, person or enterprise: {raw!r}"
    raise ValueError(msg)


def bindings_of(definition: FormDefinition) -> dict[str, tuple[Binding, ...]]:
    """The declared sources of each bound field, in schema order."""
    result: dict[str, tuple[Binding, ...]] = {}
    for name, prop in definition.schema.get("properties", {}).items():
        raw = prop.get("x-source")
        if raw is None:
            continue
        result[name] = tuple(_binding(r) for r in (raw if isinstance(raw, list) else [raw]))
    return result


def transformed(binding: Binding, value: str) -> str:
    """A source value as the field takes it."""
    text = value.strip()
    if binding.transform == "date":
        return text[:10]
    return text


def fits(definition: FormDefinition, name: str, value: object) -> bool:
    """Whether a value is valid for one field (a pre-filled value that is not is left for the applicant)."""
    prop = definition.schema.get("properties", {}).get(name)
    if not isinstance(prop, dict):
        return False
    return not any(True for _ in Draft202012Validator(prop, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(value))


def _read(name: str) -> dict[str, Any] | None:
    node = resources.files("longgov.applications").joinpath(f"data/forms/{name}.json")
    if not node.is_file():
        return None
    data: dict[str, Any] = json.loads(node.read_text(encoding="utf-8"))
    return data


@cache
def form_for(basic_code: str) -> FormDefinition:
    """The form of an item (by its basic code), or the generic form."""
    key = basic_code if basic_code.isalnum() else GENERIC
    schema = _read(key)
    if schema is None:
        key, schema = GENERIC, _read(GENERIC)
    assert schema is not None  # noqa: S101 - the generic form ships with the package
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return FormDefinition(key=key, form_id=str(schema.get("$id", key)), schema=schema, validator=validator)


def shipped_forms() -> list[str]:
    """Keys of every shipped form file."""
    folder = resources.files("longgov.applications").joinpath("data/forms")
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))


def _message(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.validator_value
    messages: dict[str, str] = {
        "maxLength": f"不能超过{value}个字",
        "minLength": f"不能少于{value}个字",
        "pattern": str(schema.get("x-pattern-message", "格式不正确")),
        "enum": "取值无效",
        "const": str(schema.get("x-const-message", "取值无效")),
        "minimum": f"不能小于{value}",
        "maximum": f"不能大于{value}",
        "exclusiveMinimum": f"应大于{value}",
        "exclusiveMaximum": f"应小于{value}",
        "type": _TYPE_MESSAGES.get(str(value), "类型不正确"),
        "format": "日期格式应为 YYYY-MM-DD" if value == "date" else "格式不正确",
    }
    return messages.get(str(error.validator), "取值无效")


def _field(path: Any) -> str:  # noqa: ANN401 - jsonschema's deque of str | int
    return ".".join(str(p) for p in path) or "form"


def field_errors(definition: FormDefinition, data: object, *, partial: bool = False) -> dict[str, str]:
    """Per-field Chinese messages (empty when valid); ``partial`` (drafts) ignores missing fields."""
    errors: dict[str, str] = {}
    for error in sorted(definition.validator.iter_errors(data), key=lambda e: (list(map(str, e.path)), str(e.validator))):
        prefix = _field(error.path) if error.path else ""
        if error.validator == "required":
            if partial:
                continue
            missing = [p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance]
            for name in missing:
                errors.setdefault(f"{prefix}.{name}" if prefix else name, "必填")
        elif error.validator == "additionalProperties":
            extra = [p for p in error.instance if p not in definition.schema.get("properties", {})] if isinstance(error.instance, dict) else []
            for name in extra:
                errors.setdefault(f"{prefix}.{name}" if prefix else str(name), "不允许的字段")
        else:
            errors.setdefault(_field(error.path), _message(error))
    return errors


def fields_of(definition: FormDefinition) -> list[FormField]:
    """The inputs of a (flat) form, in schema order."""
    required = set(definition.schema.get("required", ()))
    fields: list[FormField] = []
    for name, prop in definition.schema.get("properties", {}).items():
        kind = prop.get("type")
        widget, step = "text", ""
        if "enum" in prop:
            widget = "select"
        elif kind == "boolean":
            widget = "checkbox"
        elif kind in {"integer", "number"}:
            widget, step = "number", "1" if kind == "integer" else "any"
        elif prop.get("format") == "date":
            widget = "date"
        elif prop.get("x-widget") == "textarea":
            widget = "textarea"
        fields.append(
            FormField(
                name=name,
                title=str(prop.get("title", name)),
                widget=widget,
                required=name in required,
                description=str(prop.get("description", "")),
                options=tuple(str(o) for o in prop.get("enum", ())),
                step=step,
                min=str(prop["minimum"]) if "minimum" in prop else "",
                max=str(prop["maximum"]) if "maximum" in prop else "",
                max_length=prop.get("maxLength"),
                pattern=str(prop.get("pattern", "")).removeprefix("^").removesuffix("$"),
            )
        )
    return fields


def _number(text: str, kind: str) -> object:
    try:
        value = float(text)
    except ValueError:
        return text  # left as text: the schema reports "应为数字"
    if kind == "integer":
        return int(value) if value.is_integer() else text
    return int(value) if value.is_integer() and "." not in text else value


def coerce_posted(definition: FormDefinition, posted: dict[str, str]) -> dict[str, Any]:
    """Typed form data from an HTML post: blanks are omitted, numbers parsed, checkboxes become booleans."""
    data: dict[str, Any] = {}
    for name, prop in definition.schema.get("properties", {}).items():
        kind = prop.get("type")
        raw = posted.get(name)
        if kind == "boolean":
            data[name] = raw in {"on", "true", "1"}
            continue
        text = (raw or "").strip()
        if not text:
            continue
        data[name] = _number(text, str(kind)) if kind in {"integer", "number"} else text
    return data
