"""证照类型目录 — the licence types the platform issues, read from ``data/types.json``.

Each type has a GB/T 36902 type code: the 18-character USCC of the department that defines it
(GB 32100, derived for government bodies as the service catalogue derives them) followed by a
3-digit type number. The catalogue also says who may hold it (person / enterprise), which kinds
of department issue it, its trust level (A–D, A the strongest: issued from the authoritative
register) and its type-specific fields with their Chinese titles (GB/T 36903 data items).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from longgov.identity import services as identity

HolderKind = Literal["person", "enterprise"]
FieldKind = Literal["text", "date", "uscc", "resident_id"]
TRUST_LEVELS = ("A", "B", "C", "D")
TRUST_TITLES = {"A": "A级（权威源数据签发）", "B": "B级（部门业务系统签发）", "C": "C级（历史证照电子化）", "D": "D级（扫描件）"}
HOLDER_ID_TYPES: dict[HolderKind, str] = {"person": "公民身份号码", "enterprise": "统一社会信用代码"}
_DATA = Path(__file__).parent / "data" / "types.json"


@dataclass(frozen=True)
class FieldSpec:
    """One type-specific data item: machine key, Chinese title, whether required, its kind and sensitivity."""

    key: str
    title: str
    required: bool
    kind: FieldKind
    personal: bool


@dataclass(frozen=True)
class DefiningDepartment:
    """The department that defines a licence type (kind and level) and its USCC."""

    kind: str
    level: str
    organisation_code: str
    uscc: str


@dataclass(frozen=True)
class LicenceType:
    """One licence type of the catalogue."""

    key: str
    name: str
    code: str
    defining_department: DefiningDepartment
    holder_kinds: tuple[HolderKind, ...]
    issuer_kinds: tuple[str, ...]
    trust_level: str
    number_title: str
    number_personal: bool
    validity_title: str
    default_years: int | None
    description: str
    fields: tuple[FieldSpec, ...]

    def field(self, key: str) -> FieldSpec | None:
        """The field spec named ``key``."""
        return next((f for f in self.fields if f.key == key), None)


def _field(raw: dict[str, object]) -> FieldSpec:
    return FieldSpec(
        key=str(raw["key"]),
        title=str(raw["title"]),
        required=bool(raw.get("required", True)),
        kind=raw.get("kind", "text"),  # type: ignore[arg-type]
        personal=bool(raw.get("personal", False)),
    )


def _type(raw: dict[str, object]) -> LicenceType:
    defining = raw["defining_department"]
    assert isinstance(defining, dict)  # noqa: S101 - shape of a shipped data file
    fields = raw["fields"]
    assert isinstance(fields, list)  # noqa: S101
    years = raw.get("default_years")
    return LicenceType(
        key=str(raw["key"]),
        name=str(raw["name"]),
        code=str(raw["code"]),
        defining_department=DefiningDepartment(**{k: str(v) for k, v in defining.items()}),
        holder_kinds=tuple(raw["holder_kinds"]),  # type: ignore[arg-type]
        issuer_kinds=tuple(raw["issuer_kinds"]),  # type: ignore[arg-type]
        trust_level=str(raw["trust_level"]),
        number_title=str(raw["number_title"]),
        number_personal=bool(raw.get("number_personal", False)),
        validity_title=str(raw.get("validity_title", "有效期限")),
        default_years=int(years) if isinstance(years, int) else None,
        description=str(raw.get("description", "")),
        fields=tuple(_field(f) for f in fields),
    )


@cache
def licence_types() -> tuple[LicenceType, ...]:
    """Every licence type, in catalogue order."""
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    return tuple(_type(raw) for raw in data["types"])


@cache
def _by_code() -> dict[str, LicenceType]:
    return {t.code: t for t in licence_types()}


@cache
def _by_key() -> dict[str, LicenceType]:
    return {t.key: t for t in licence_types()}


def type_by_code(code: str) -> LicenceType | None:
    """The type with this 21-character code."""
    return _by_code().get(code.strip().upper())


def type_by_key(key: str) -> LicenceType | None:
    """The type with this machine key (``business_licence`` …)."""
    return _by_key().get(key.strip())


def resolve_type(ref: str) -> LicenceType | None:
    """A type named by its code, its key or its Chinese name (CLI and import)."""
    ref = ref.strip()
    return type_by_code(ref) or type_by_key(ref) or next((t for t in licence_types() if t.name == ref), None)


def government_uscc(organisation_code: str, division_code: str) -> str:
    """The USCC of a government body, derived by identity (the catalogue's implementation codes use the same)."""
    return identity.organisation_uscc(organisation_code, division_code)
