"""DTOs of applications: inputs (strict) and views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from longgov.identity.schemas import StrictModel
from longgov.kernel.events import DomainEvent

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,80}$"


class NewApplication(StrictModel):
    """Start a draft for a published item; the form may be partly filled.

    ``prefill_confirmed``: the applicant confirms the values the platform proposed from their licences
    and records (``GET /api/v1/applications/prefill``); their provenance and the consent are stored.
    """

    item_code: str = Field(min_length=6, max_length=80)
    form: dict[str, Any] = Field(default_factory=dict)
    prefill_confirmed: bool = False


class LicenceChoice(StrictModel):
    """证照免提交: the licence (from the applicant's wallet) that fulfils one material."""

    material: int = Field(ge=0, le=200)
    licence_id: uuid.UUID


class PrefillSource(BaseModel):
    """Where a pre-filled value came from: a licence (type, issuer, issue date) or the person / enterprise record."""

    kind: str  # licence | person | enterprise
    title: str  # 营业执照 / 实名认证信息 / 法人登记信息
    field_title: str
    issuer_name: str | None = None
    issued_on: date | None = None
    licence_id: uuid.UUID | None = None
    identifier: str | None = None

    @property
    def note(self) -> str:
        """来自：营业执照（兰州市城关区市场监督管理局，2025-03-01）."""
        facts = "，".join(x for x in (self.issuer_name, self.issued_on.isoformat() if self.issued_on else None) if x)
        return f"来自：{self.title}（{facts}）" if facts else f"来自：{self.title}"


class PrefilledField(BaseModel):
    """One value the platform proposes for a field, with its source."""

    name: str
    title: str
    value: Any
    source: PrefillSource


class PrefillProposal(BaseModel):
    """The values an item's form can take from the applicant's valid licences and records."""

    item_code: str
    form_id: str
    fields: list[PrefilledField]
    consent_text: str

    @property
    def values(self) -> dict[str, Any]:
        """The proposed form values by field name."""
        return {f.name: f.value for f in self.fields}


class FieldProvenance(BaseModel):
    """A pre-filled field of an application: its source, and whether the applicant changed the value since."""

    source: PrefillSource
    edited: bool


class PrefillConsentView(BaseModel):
    """The applicant's consent to pre-filling: when, and which licences and fields were used."""

    confirmed_at: datetime
    text: str
    licences: list[str]  # 营业执照（issuer，issued on）
    fields: list[str]  # field titles


class PrefillStats(BaseModel):
    """表单免填写 for one item: fields bound to a source, and how much submitted applications were pre-filled."""

    item_code: str
    form_id: str
    fields_total: int
    fields_bound: int
    bound_share: float  # fields_bound / fields_total
    bound_fields: list[str]
    applications_submitted: int
    applications_prefilled: int  # with the applicant's consent to pre-filling
    fields_prefilled: int  # over all submitted applications: pre-filled and kept as filled
    fields_edited: int  # pre-filled, then changed by the applicant
    prefilled_share: float | None  # fields_prefilled / (fields_total × applications_submitted)


class DraftUpdate(StrictModel):
    """Replace the draft's form data (save and continue later)."""

    form: dict[str, Any]


class LicenceReferenceView(BaseModel):
    """证照免提交: the licence a material refers to, as verified when referenced, with its status now."""

    licence_id: uuid.UUID
    identifier: str
    version: int
    document_sm3: str
    type_name: str
    number: str
    holder_name: str
    issuer_name: str
    valid_from: date
    valid_until: date | None
    verified_at: datetime
    status: str  # the effective status checked now: valid | suspended | revoked | expired | not_yet_valid | unknown
    status_title: str
    valid: bool
    current_identifier: str | None = None


class MaterialView(BaseModel):
    """One required material of the item version and what was uploaded for it.

    ``replaceable``: nothing to upload for this application — the platform fetches it (数据共享), a
    commitment covers it (告知承诺), or a valid licence of the applicant fulfils it (证照免提交).
    """

    index: int
    name: str
    required: bool
    replaceable: bool
    form: str
    note: str
    uploaded: bool
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    sm3: str | None = None
    uploaded_at: datetime | None = None
    replaced_by: str | None = None  # licence | shared_data | commitment (the catalogue's X1)
    licence_type: str | None = None
    licence_type_name: str | None = None
    reference: LicenceReferenceView | None = None


class EventView(BaseModel):
    """One timeline step."""

    step: str
    title: str
    actor_role: str
    actor_department: str | None
    occurred_at: datetime
    details: dict[str, Any]


class ApplicationSummary(BaseModel):
    """An application in 我的办件."""

    id: uuid.UUID
    number: str | None
    item_code: str
    item_name: str
    department: str
    status: str
    status_title: str
    created_at: datetime
    submitted_at: datetime | None
    bundle_case_ref: str | None = None  # 一件事: the bundle case it belongs to


class TimeLimitView(BaseModel):
    """The promised time limit: it starts at acceptance and pauses while the applicant corrects materials."""

    start: date
    working_days: int
    deadline: date
    working_days_left: int
    status: str  # green | yellow (≤ 2 working days) | red (overdue)
    paused: bool = False
    finished: bool = False


class ApplicationView(ApplicationSummary):
    """One application with its form, materials and timeline (the applicant's view)."""

    applicant_kind: str
    applicant_name: str
    item_basic_code: str
    item_version: int
    form_id: str
    form: dict[str, Any]
    materials: list[MaterialView]
    events: list[EventView]
    workflow_state: dict[str, Any] | None = None
    time_limit: TimeLimitView | None = None
    awaiting_applicant: bool = False
    prefilled: dict[str, FieldProvenance] = Field(default_factory=dict)
    prefill_consent: PrefillConsentView | None = None


class InboxEntry(BaseModel):
    """One ready task in a staff member's workbench inbox."""

    application_id: uuid.UUID
    number: str
    item_name: str
    applicant_name: str
    status: str
    status_title: str
    task_id: str
    task_name: str
    task_title: str
    actions: list[str]
    submitted_at: datetime | None
    time_limit: TimeLimitView | None = None
    deadline: date | None = None
    deadline_provisional: bool = False
    department: str | None = None  # the co-reviewing department of a joint-review task
    claimed_by_id: uuid.UUID | None = None
    claimed_by_name: str | None = None
    claimed_at: datetime | None = None
    claimed_by_me: bool = False
    batch_actions: list[str] = Field(default_factory=list)  # actions this task allows in 批量办理


class InboxPage(BaseModel):
    """One page of the inbox; ``total`` stops counting at ``total_cap`` (then ``total_capped``)."""

    items: list[InboxEntry]
    total: int
    total_capped: bool
    page: int
    size: int
    pages: int
    claim_filter: str


class TaskRef(StrictModel):
    """One task of one application (the task's id, or its name when only one such task is ready)."""

    application_id: uuid.UUID
    task: str = Field(min_length=1, max_length=80)


class ClaimBody(StrictModel):
    """The task to claim or return."""

    task: str = Field(min_length=1, max_length=80)


class AssignBody(StrictModel):
    """A department leader hands a task to a staff member (account id)."""

    task: str = Field(min_length=1, max_length=80)
    account_id: uuid.UUID


class BatchBody(StrictModel):
    """批量办理: one action with one opinion on several tasks (办结, 送达, 受理 only)."""

    action: str = Field(min_length=1, max_length=40)
    opinion: str = Field(min_length=1, max_length=2000)
    items: list[TaskRef] = Field(min_length=1, max_length=100)


class BatchItemResult(BaseModel):
    """The outcome of one case of a batch: 成功, or 失败 with the reason."""

    application_id: uuid.UUID
    number: str | None
    task: str
    ok: bool
    status: str | None = None
    code: str | None = None
    message: str


class StatusCount(BaseModel):
    """Open cases in one status."""

    status: str
    status_title: str
    count: int


class StaffWorkload(BaseModel):
    """Tasks one staff member has claimed (and of those, overdue)."""

    account_id: uuid.UUID
    name: str
    claimed: int
    overdue: int


class OrganisationLoad(BaseModel):
    """One implementing organisation's open, due-soon and overdue cases."""

    organisation_code: str
    department_name: str
    open: int
    due_soon: int
    overdue: int


class OverdueCase(BaseModel):
    """One case past its deadline (逾期办件)."""

    application_id: uuid.UUID
    number: str
    item_name: str
    organisation_code: str
    department_name: str
    status: str
    status_title: str
    deadline: date
    working_days_overdue: int
    provisional: bool


class OverdueGroup(BaseModel):
    """The overdue cases of one organisation."""

    organisation_code: str
    department_name: str
    count: int
    cases: list[OverdueCase]


class Supervision(BaseModel):
    """部门负责人 view of a department (or a wider region): workload and time limits, from stored deadlines."""

    today: date
    wide: bool  # a city or province leader (or one over every department): grouped by organisation
    due_soon_before: date  # due soon: today ≤ deadline < this day (≤ 2 working days left)
    open_total: int
    by_status: list[StatusCount]
    due_soon: int
    overdue: int
    paused: int
    provisional: int
    workload: list[StaffWorkload]
    organisations: list[OrganisationLoad]
    overdue_groups: list[OverdueGroup]
    overdue_listed: int  # the list holds at most this many cases (the counts above are complete)


class StepBody(StrictModel):
    """A staff member's step: the task (id or name), the action, an opinion; missing items for a correction request, a reason to refuse or deny."""

    task: str = Field(min_length=1, max_length=80)
    action: str = Field(min_length=1, max_length=40)
    opinion: str = Field(min_length=1, max_length=2000)
    missing_items: list[str] = Field(default_factory=list, max_length=50)
    reason: str = Field(default="", max_length=2000)


class ResubmitBody(StrictModel):
    """The applicant's note on resubmitting corrected materials."""

    note: str = Field(default="", max_length=2000)


# --- domain events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationStepRecorded(DomainEvent):
    """A step was appended to an application's timeline (``submitted``, or a workflow step like ``pre_check:accept``).

    Published by ``services.submit`` and ``services.record_step``, delivered after commit.
    ``details`` are the step's timeline details (``missing_items``, ``reason``, ``deadline`` …).
    """

    application_id: uuid.UUID
    number: str
    applicant_account_id: uuid.UUID
    applicant_kind: str
    item_name: str
    department_name: str
    step: str
    title: str
    status: str
    details: dict[str, Any]
    bundle_case_ref: str | None = None  # 一件事: the bundle case tells its applicant itself


class BundleMember(BaseModel):
    """What a bundle case (一件事) reads of one of its applications: progress, the decision, the open correction, the results."""

    application_id: uuid.UUID
    number: str | None
    item_code: str
    item_basic_code: str
    item_name: str
    department: str
    status: str
    status_title: str
    decision: str | None = None  # granted | denied | refused
    reason: str | None = None  # of a refusal or denial
    corrections: int = 0  # correction requests so far
    missing_items: list[str] = Field(default_factory=list)  # of the open correction request
    documents: list[dict[str, Any]] = Field(default_factory=list)  # results: {id, kind_title, number}
    licences: list[dict[str, Any]] = Field(default_factory=list)  # issued on grant: {id, identifier, type_name, number}
    events: list[EventView] = Field(default_factory=list)
    submitted_at: datetime | None = None
