"""Row-level data scope: region (GB/T 2260 prefix) and department, applied in queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, true
from sqlalchemy.orm import InstrumentedAttribute

from longgov.security.principal import Principal

PROVINCE_CODE = "620000"


def division_prefix(code: str) -> str:
    """The prefix every division inside ``code`` shares: 62 / 6201 / 620102."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def in_division(code: str | None, scope: str | None) -> bool:
    """Whether a division code lies inside a scope code (None scope = no restriction)."""
    if scope is None:
        return True
    if code is None:
        return False
    return code.startswith(division_prefix(scope))


def scope_filter(
    principal: Principal,
    division_column: InstrumentedAttribute[Any] | ColumnElement[Any],
    department_column: InstrumentedAttribute[Any] | ColumnElement[Any] | None = None,
) -> ColumnElement[bool]:
    """WHERE clause limiting rows to the principal's region and department."""
    clauses: list[ColumnElement[bool]] = []
    if principal.scope_division is not None:
        prefix = division_prefix(principal.scope_division)
        clauses.append(division_column.startswith(prefix))
    if department_column is not None and principal.scope_department is not None:
        clauses.append(department_column == principal.scope_department)
    return and_(true(), *clauses)
