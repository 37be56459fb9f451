"""The authenticated caller as every layer sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from longgov.security.permissions import Role

AccountKind = Literal["person", "enterprise", "staff"]


@dataclass(frozen=True)
class Principal:
    """Who is acting: account, roles, permissions and data scope (region and department)."""

    account_id: uuid.UUID
    kind: AccountKind
    display_name: str
    roles: frozenset[Role]
    permissions: frozenset[str]
    session_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    organisation_name: str | None = None
    # Data scope: a GB/T 2260 code (620000 = whole province) and a department kind (None = all).
    scope_division: str | None = None
    scope_department: str | None = None
    person_id: uuid.UUID | None = None
    enterprise_id: uuid.UUID | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def has(self, permission: str) -> bool:
        """Whether the principal holds a permission."""
        return permission in self.permissions

    @property
    def role_label(self) -> str:
        """Roles as a stable comma-separated string for audit records."""
        return ",".join(sorted(str(r) for r in self.roles))


@dataclass(frozen=True)
class RequestMeta:
    """Where a request came from, for audit records."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
