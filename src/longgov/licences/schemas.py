"""DTOs of the licences module (电子证照)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

HolderKind = Literal["person", "enterprise"]
LicenceStatus = Literal["valid", "suspended", "revoked"]
EffectiveStatus = Literal["valid", "suspended", "revoked", "expired", "not_yet_valid"]

STATUS_TITLES: dict[str, str] = {
    "valid": "有效",
    "suspended": "已暂停",
    "revoked": "已吊销",
    "expired": "已过期",
    "not_yet_valid": "未生效",
}
ACTION_TITLES: dict[str, str] = {
    "issue": "颁发",
    "import": "汇聚入库",
    "update": "变更（新版本）",
    "renew": "延续（换发新版本）",
    "suspend": "暂停",
    "reinstate": "恢复",
    "revoke": "吊销",
    "reseal": "重新签章（新版本）",
}


class StrictModel(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldView(BaseModel):
    """One type-specific data item of a licence type."""

    key: str
    title: str
    required: bool
    kind: str
    personal: bool


class LicenceTypeView(BaseModel):
    """A licence type of the catalogue."""

    key: str
    name: str
    code: str
    defining_department_kind: str
    defining_department_level: str
    defining_department_uscc: str
    holder_kinds: list[str]
    issuer_kinds: list[str]
    trust_level: str
    number_title: str
    validity_title: str
    description: str
    fields: list[FieldView]


class HolderInput(StrictModel):
    """持证主体: a person (resident ID number) or an enterprise (USCC)."""

    kind: HolderKind
    name: str = Field(min_length=1, max_length=200)
    id_number: str = Field(min_length=15, max_length=18)


class IssueRequest(StrictModel):
    """Issue one licence (staff of an issuing department, or the applications module on a grant)."""

    type_code: str = Field(min_length=1, max_length=60)
    issuer_code: str = Field(min_length=6, max_length=40)
    holder: HolderInput
    number: str | None = Field(default=None, max_length=60)
    fields: dict[str, str] = Field(default_factory=dict, max_length=40)
    issued_on: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class StatusChange(StrictModel):
    """Suspend, reinstate or revoke, with the reason."""

    reason: str = Field(min_length=2, max_length=500)


class Renewal(StrictModel):
    """延续: a new validity end (None: 长期) and the reason."""

    valid_until: date | None = None
    reason: str = Field(default="延续有效期", min_length=2, max_length=500)


class LicenceFieldValue(BaseModel):
    """A data item of one licence as shown to the reader (personal items masked)."""

    key: str
    title: str
    value: str
    masked: bool = False


class LicenceView(BaseModel):
    """A licence as its holder or the issuing staff see it."""

    id: uuid.UUID
    identifier: str
    type_code: str
    type_key: str
    type_name: str
    number_title: str
    number: str
    holder_kind: HolderKind
    holder_name: str
    holder_id_type: str
    holder_id: str
    issuer_code: str
    issuer_uscc: str
    issuer_name: str
    issued_on: date
    valid_from: date
    valid_until: date | None
    validity_title: str
    status: LicenceStatus
    effective_status: EffectiveStatus
    status_title: str
    status_reason: str | None
    trust_level: str
    version: int
    source: str
    fields: list[LicenceFieldValue]
    pdf_path: str
    document_path: str
    credential_path: str
    verify_path: str


class LicenceHistoryEntry(BaseModel):
    """One change of a licence."""

    action: str
    action_title: str
    version: int
    status: str
    status_title: str
    reason: str | None
    actor_name: str | None
    occurred_at: datetime
    details: dict[str, Any]


class ImportRowError(BaseModel):
    """One problem of one row of an imported register (row 1 is the header)."""

    row: int
    field: str
    message: str


class ImportReport(BaseModel):
    """Outcome of a bulk import: counts and row-level errors (bad rows are not stored)."""

    type_name: str
    issuer_name: str
    total: int
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[ImportRowError]


class VerificationResult(BaseModel):
    """核验结果: ``valid`` with the facts, or ``valid: false`` with a code and the reason in Chinese."""

    valid: bool
    code: str
    reason: str
    identifier: str | None = None
    type_name: str | None = None
    issuer_name: str | None = None
    holder_name: str | None = None
    status: str | None = None
    valid_until: date | None = None
    checked_at: datetime


class StatusView(BaseModel):
    """The status of a licence as the status list states it."""

    identifier: str
    current_identifier: str
    status: LicenceStatus
    effective_status: EffectiveStatus
    status_title: str
    status_index: int
    reason: str | None
    changed_at: datetime | None


class PublicCheckView(BaseModel):
    """What the QR check page shows anyone: type, issuer, masked holder, validity and status."""

    identifier: str
    current_identifier: str
    superseded: bool
    type_name: str
    issuer_name: str
    holder_masked: str
    valid_from: date
    valid_until: date | None
    effective_status: EffectiveStatus
    status_title: str
    # The version's seal key was retired as compromised: the printed copy proves nothing until re-sealed.
    seal_compromised: bool = False


# --- presentations (用证) and mutual recognition (互认) ------------------------------------------------

EXPIRY_CHOICES: dict[int, str] = {300: "5分钟", 600: "10分钟", 1800: "30分钟", 86400: "1天"}
PRESENTATION_STATES: dict[str, str] = {"active": "有效", "expired": "已过期", "withdrawn": "已撤回", "used": "已使用（一次性）"}
ExpirySeconds = Literal[300, 600, 1800, 86400]
TrustLevel = Literal["A", "B", "C", "D"]


class PresentationRequest(StrictModel):
    """出示证照: purpose, the optional fields to disclose (paths such as ``data.legal_representative``), expiry, verifier."""

    purpose: str = Field(min_length=2, max_length=200)
    fields: list[str] = Field(default_factory=list, max_length=60)
    expires_in: ExpirySeconds = 600
    verifier: str | None = Field(default=None, max_length=120)
    single_use: bool = False


class DisclosedField(BaseModel):
    """One disclosed claim: its path in the licence, its Chinese title and its value."""

    key: str
    title: str
    value: str


class DisclosableField(BaseModel):
    """A claim the holder may choose to disclose (``always``: disclosed in every presentation)."""

    key: str
    title: str
    always: bool
    preview: str


class PresentationCheckView(BaseModel):
    """One verification of a presentation, as its holder sees it (使用记录)."""

    checked_at: datetime
    channel: str
    verifier: str | None
    checked_by: str | None
    valid: bool
    code: str
    outcome: str


class PresentationView(BaseModel):
    """A presentation as its holder sees it; ``document`` is the signed JSON (on creation and detail)."""

    id: str
    short_code: str
    licence_id: uuid.UUID
    identifier: str
    type_name: str
    purpose: str
    verifier: str | None
    single_use: bool
    disclosed: list[DisclosedField]
    issued_at: datetime
    expires_at: datetime
    withdrawn_at: datetime | None
    state: str
    state_title: str
    verify_path: str
    verify_url: str
    checks: list[PresentationCheckView] = Field(default_factory=list)
    document: dict[str, Any] | None = None


class PresentationVerification(VerificationResult):
    """核验结果 of a presentation: the licence facts plus exactly the disclosed fields, purpose and verifier."""

    presentation_id: str | None = None
    purpose: str | None = None
    verifier: str | None = None
    disclosed: list[DisclosedField] = Field(default_factory=list)
    expires_at: datetime | None = None
    trust_level: str | None = None
    external: bool = False


class TrustedIssuerInput(StrictModel):
    """An external issuer's SM2 public key to trust (PEM, multibase ``z…`` or hex of the uncompressed point)."""

    uscc: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=2, max_length=120)
    region: str = Field(min_length=2, max_length=40)
    public_key: str = Field(min_length=40, max_length=2000)
    trust_level: TrustLevel = "B"
    valid_from: date | None = None
    valid_until: date | None = None
    note: str | None = Field(default=None, max_length=500)
    status_list_url: str | None = Field(default=None, max_length=500, description="where the issuer publishes its signed status list (http(s):// or file:)")


class TrustedIssuerView(BaseModel):
    """A key of the mutual-recognition trust list (``fingerprint``: its SM3 key id in groups of four)."""

    id: uuid.UUID
    uscc: str
    name: str
    region: str
    key_id: str
    trust_level: str
    valid_from: date
    valid_until: date | None
    active: bool
    note: str | None
    added_by: str | None
    created_at: datetime
    retired_at: datetime | None
    fingerprint: str = ""
    state: str = "active"  # active | retired | expired | not_yet_valid
    state_title: str = "有效"
    imported: int = 0  # licences imported with a version sealed by this key


class StatusFeedView(BaseModel):
    """Where an external issuer publishes its status list and how the last pull went."""

    uscc: str
    name: str
    url: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_status: str | None  # ok | failed | None (never pulled)
    last_code: str | None
    last_message: str | None
    failures: int
    list_generated_at: datetime | None
    entries: int


class StatusFeedInput(StrictModel):
    """Set (or, empty, remove) an external issuer's status-list address."""

    url: str | None = Field(default=None, max_length=500)


class FeedPullResult(BaseModel):
    """One pull of an external status list: accepted (entries, licences changed) or refused with a code and the reason."""

    uscc: str
    name: str
    ok: bool
    code: str
    message: str
    entries: int
    changed: int


class TrustedIssuerGroup(BaseModel):
    """An external issuer on the trust page: its keys, its status-list feed, the licences imported from it."""

    uscc: str
    name: str
    region: str
    keys: list[TrustedIssuerView]
    feed: StatusFeedView | None
    feed_health: str  # ok | failed | stale | never | none
    imported: int
    not_valid: int  # imported licences its status list suspended or revoked


# --- seal keys (rotation and retirement) -----------------------------------------------------------------

SEAL_STATES: dict[str, str] = {"active": "在用", "rotated": "已轮换（仅用于核验）", "compromised": "已停用（密钥泄露）"}


class SealKeyView(BaseModel):
    """One seal key of an organisation: state, period in force, what it sealed."""

    key_id: str
    fingerprint: str
    state: str
    state_title: str
    valid_from: datetime
    valid_until: datetime | None
    compromised_at: datetime | None
    retire_reason: str | None
    retired_by: str | None
    versions: int  # licence versions sealed with it
    current: int  # current versions still sealed with it (to re-seal when compromised)


class OrganisationSealsView(BaseModel):
    """An issuing organisation's seal keys, newest first."""

    organisation_code: str
    organisation_name: str
    organisation_uscc: str
    keys: list[SealKeyView]
    to_reseal: int  # current versions sealed with a compromised key


class SealRotationRequest(StrictModel):
    """轮换电子印章密钥 (``compromised``: retire the old key as leaked; ``reseal``: then re-seal what it sealed)."""

    reason: str = Field(min_length=2, max_length=500)
    compromised: bool = False
    reseal: bool = True


class SealRetireRequest(StrictModel):
    """停用 a seal key as compromised, with the reason (``reseal``: re-seal the current versions it sealed)."""

    reason: str = Field(min_length=2, max_length=500)
    reseal: bool = True


class SealRotationResult(BaseModel):
    """What a rotation or retirement did."""

    organisation_code: str
    organisation_name: str
    retired_key_id: str
    new_key_id: str | None
    compromised: bool
    resealed: int


class ResealResult(BaseModel):
    """Current versions re-sealed with the organisation's active key."""

    organisation_code: str
    resealed: int


class ExternalImportResult(BaseModel):
    """An imported licence from another province and whether it was new."""

    created: bool
    licence: LicenceView
