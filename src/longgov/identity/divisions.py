# Copyright 2026 The LongGov authors
# SPDX-License-Identifier: Apache-2.0
"""Gansu administrative divisions (GB/T 2260) shipped with the package.

The table lives in ``longgov/identity/data/gansu_divisions.csv`` and is read
through :mod:`importlib.resources`, so it works from a wheel or zip import and
never depends on files outside the package.  It holds exactly the province
(620000), its 14 prefecture-level divisions and its 86 county-level divisions.

Code forms accepted by the look-up functions:

* a 6-digit GB/T 2260 code, e.g. ``"620102"``;
* a 12-digit statistical division code whose last six digits are all zeros,
  e.g. ``"620102000000"``, which is reduced to its first six digits.  Any
  other 12-digit code (a township or village code) is not resolved.

Surrounding whitespace is ignored; anything else resolves to nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

__all__ = [
    "Division",
    "DivisionLevel",
    "all_divisions",
    "ancestors_of",
    "children_of",
    "division_contains",
    "get_division",
    "normalise_division_code",
]

DivisionLevel = Literal["province", "prefecture", "county"]

_DATA_PACKAGE = "longgov.identity"
_DATA_FILE = "data/gansu_divisions.csv"
_COLUMNS = ("code", "name", "level", "parent_code", "full_name")
_SHORT_CODE_LENGTH = 6
_LONG_CODE_LENGTH = 12
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class Division:
    """One administrative division from the shipped Gansu table.

    Attributes:
        code: 6-digit GB/T 2260 code, e.g. ``"620102"``.
        name: The division's own name, e.g. ``"城关区"``.
        level: ``"province"``, ``"prefecture"`` or ``"county"``.
        parent_code: Code of the enclosing division; ``None`` for the province.
        full_name: Name with all ancestors, e.g. ``"甘肃省兰州市城关区"``.

    """

    code: str
    name: str
    level: DivisionLevel
    parent_code: str | None
    full_name: str


def _parse_level(raw: str) -> DivisionLevel:
    if raw == "province":
        return "province"
    if raw == "prefecture":
        return "prefecture"
    if raw == "county":
        return "county"
    msg = f"unknown division level in shipped table: {raw!r}"
    raise ValueError(msg)


def _load() -> tuple[Division, ...]:
    text = resources.files(_DATA_PACKAGE).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        msg = f"unexpected columns in shipped division table: {reader.fieldnames!r}"
        raise ValueError(msg)
    divisions = tuple(
        Division(
            code=row["code"],
            name=row["name"],
            level=_parse_level(row["level"]),
            parent_code=row["parent_code"] or None,
            full_name=row["full_name"],
        )
        for row in reader
    )
    codes = [d.code for d in divisions]
    if len(set(codes)) != len(codes):
        msg = "duplicate codes in shipped division table"
        raise ValueError(msg)
    return divisions


@cache
def all_divisions() -> tuple[Division, ...]:
    """Return every division in the shipped table, ordered by code.

    The CSV is parsed once; later calls return the same tuple.
    """
    return _load()


@cache
def _index() -> dict[str, Division]:
    return {d.code: d for d in all_divisions()}


@cache
def _children_index() -> dict[str, tuple[Division, ...]]:
    children: dict[str, list[Division]] = {}
    for division in all_divisions():
        if division.parent_code is not None:
            children.setdefault(division.parent_code, []).append(division)
    return {code: tuple(kids) for code, kids in children.items()}


def normalise_division_code(code: str) -> str | None:
    """Reduce a 6- or 12-digit division code to its 6-digit GB/T 2260 form.

    Surrounding whitespace is stripped.  A 12-digit statistical code is
    reduced only when its last six digits are ``000000``.  Returns ``None``
    for anything else (wrong length, non-ASCII-digit characters, or a
    12-digit township/village code).  Membership in the table is not checked.
    """
    value = code.strip()
    if not value or not set(value) <= _DIGITS:
        return None
    if len(value) == _SHORT_CODE_LENGTH:
        return value
    if len(value) == _LONG_CODE_LENGTH and value[_SHORT_CODE_LENGTH:] == "000000":
        return value[:_SHORT_CODE_LENGTH]
    return None


def get_division(code: str) -> Division | None:
    """Look a division up by its 6-digit or zero-padded 12-digit code.

    Returns ``None`` when the code is malformed or not in the Gansu table.
    """
    short = normalise_division_code(code)
    if short is None:
        return None
    return _index().get(short)


def children_of(code: str) -> tuple[Division, ...]:
    """Return the direct children of a division, ordered by code.

    The province yields its 14 prefecture-level divisions, a prefecture its
    counties, and a county (or an unknown code) an empty tuple.
    """
    division = get_division(code)
    if division is None:
        return ()
    return _children_index().get(division.code, ())


def ancestors_of(code: str) -> tuple[Division, ...]:
    """Return the enclosing divisions of ``code``, province first.

    The division itself is not included: a county yields
    ``(province, prefecture)``, a prefecture ``(province,)`` and the province
    or an unknown code an empty tuple.
    """
    division = get_division(code)
    if division is None:
        return ()
    chain: list[Division] = []
    index = _index()
    parent = division.parent_code
    while parent is not None:
        ancestor = index[parent]
        chain.append(ancestor)
        parent = ancestor.parent_code
    chain.reverse()
    return tuple(chain)


def division_contains(scope_code: str, code: str) -> bool:
    """Tell whether the division ``code`` lies within ``scope_code``.

    Intended for data-scope checks, so it denies by default: both codes must
    resolve (see :func:`get_division`) to divisions in the shipped table,
    otherwise the answer is ``False``.  A division contains itself and every
    division below it: ``620000`` contains all of Gansu, ``620100`` contains
    itself and ``6201xx`` counties, and a county contains only itself.
    """
    scope = get_division(scope_code)
    target = get_division(code)
    if scope is None or target is None:
        return False
    if scope.code == target.code:
        return True
    return any(a.code == scope.code for a in ancestors_of(target.code))
