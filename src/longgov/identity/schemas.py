"""DTOs of the identity module."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from longgov.kernel.events import DomainEvent

LoginPortal = Literal["person", "enterprise", "staff"]


class StrictModel(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginRequest(StrictModel):
    """Step one of login: identifier and password."""

    portal: LoginPortal
    identifier: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class SecondFactorRequest(StrictModel):
    """Step two: the SMS code or the TOTP code."""

    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


class PendingLogin(BaseModel):
    """A password-verified login waiting for its second factor."""

    token: str = Field(exclude=True)
    second_factor: Literal["sms", "totp"]
    phone_masked: str | None = None
    expires_at: datetime


class ActiveLogin(BaseModel):
    """A completed login."""

    token: str = Field(exclude=True)
    account_id: uuid.UUID
    display_name: str
    kind: LoginPortal


class CodeValidation(BaseModel):
    """Answer of the code validation endpoint used by forms."""

    valid: bool
    message: str


class PersonView(BaseModel):
    """A natural person as shown to a reader; masked unless ``unmasked`` is True."""

    id: uuid.UUID
    name: str
    id_number: str
    phone: str
    address: str | None
    division_code: str | None
    unmasked: bool


class EnterpriseView(BaseModel):
    """A legal person as shown to a reader."""

    id: uuid.UUID
    name: str
    uscc: str
    legal_representative: str
    phone: str
    address: str | None
    division_code: str


class MeView(BaseModel):
    """The current account."""

    account_id: uuid.UUID
    kind: LoginPortal
    display_name: str
    roles: list[str]
    permissions: list[str]
    organisation: str | None
    scope_division: str | None


class OrganisationView(BaseModel):
    """One organisation of the tree."""

    id: uuid.UUID
    code: str
    name: str
    kind: str
    department_kind: str | None
    division_code: str
    level: str
    parent_id: uuid.UUID | None


class NewStaff(StrictModel):
    """Input for creating a staff account."""

    username: str = Field(min_length=3, max_length=40, pattern=r"^[a-z][a-z0-9_.-]+$")
    display_name: str = Field(min_length=2, max_length=40)
    organisation_code: str = Field(min_length=6, max_length=40)
    roles: list[str] = Field(min_length=1, max_length=5)
    password: str = Field(min_length=10, max_length=128)


class RoleGrant(StrictModel):
    """Input for granting a role."""

    role: str = Field(min_length=1, max_length=40)


class CreatedStaff(BaseModel):
    """A created staff account with its TOTP enrolment secret (shown once)."""

    account_id: uuid.UUID
    username: str
    totp_secret: str
    totp_uri: str


@dataclass(frozen=True)
class PersonRegistered(DomainEvent):
    """A natural person registered (delivered after commit): licences issued earlier can now be theirs."""

    person_id: uuid.UUID
    id_number: str  # normalised; the event lives in memory only
