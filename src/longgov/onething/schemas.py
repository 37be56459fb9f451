"""DTOs of bundles (一件事): the definition a version stores (strict), views and inputs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, StrictBool, StrictStr, model_validator

from longgov.applications.schemas import PrefilledField
from longgov.identity.schemas import StrictModel

BUNDLE_CODE_PATTERN = r"^[a-z_]{3,40}$"
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
BASIC_CODE_PATTERN = r"^[0-9A-Z][0-9A-Z-]{5,39}$"
# An answer is a boolean (yes / no questions) or the value of one option (choice questions).
Answer = StrictBool | StrictStr
Audience = Literal["person", "enterprise", "any"]
AUDIENCE_TITLES = {"person": "个人", "enterprise": "企业", "any": "个人和企业"}


# --- the definition -----------------------------------------------------------------------------


class QuestionOption(StrictModel):
    """One option of a choice question."""

    value: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=60)


class Question(StrictModel):
    """情形引导 — one question of the scenario guide."""

    key: str = Field(pattern=KEY_PATTERN)
    text: str = Field(min_length=2, max_length=200)
    type: Literal["boolean", "choice"]
    help: str = Field(default="", max_length=500)
    options: list[QuestionOption] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _options(self) -> Self:
        if self.type == "boolean" and self.options:
            msg = f"是非题“{self.text}”不应列出选项"
            raise ValueError(msg)
        if self.type == "choice" and len(self.options) < 2:  # noqa: PLR2004 - a choice needs two options
            msg = f"选择题“{self.text}”至少需要两个选项"
            raise ValueError(msg)
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            msg = f"选择题“{self.text}”的选项取值重复"
            raise ValueError(msg)
        return self

    def label_of(self, value: object) -> str:
        """The Chinese label of an answer (是 / 否, or the option's label)."""
        if self.type == "boolean":
            return "是" if value is True else "否"
        return next((o.label for o in self.options if o.value == value), str(value))


class Contradiction(StrictModel):
    """Answers that cannot all be true at once, and what to tell the applicant."""

    when: dict[str, Answer] = Field(max_length=10)
    message: str = Field(min_length=2, max_length=200)
    code: str = Field(pattern=KEY_PATTERN)


class BundleItem(StrictModel):
    """One constituent service item (catalogue basic code): when it applies, and the items whose results it needs first."""

    item: str = Field(pattern=BASIC_CODE_PATTERN)
    when: dict[str, Answer] = Field(default_factory=dict, max_length=10)
    depends_on: list[str] = Field(default_factory=list, max_length=20)


class SharedMaterial(StrictModel):
    """Materials of different items that are one and the same document, asked for once: (item basic code, material name) pairs."""

    name: str = Field(min_length=1, max_length=200)
    covers: list[tuple[str, str]] = Field(min_length=2, max_length=20)


class Targets(StrictModel):
    """Key-item list targets for the bundle (after): working days, materials, visits, steps; None = no target."""

    days: int | None = Field(default=None, ge=0, le=365)
    materials: int | None = Field(default=None, ge=0, le=200)
    visits: int | None = Field(default=None, ge=0, le=20)
    steps: int | None = Field(default=None, ge=0, le=100)


class BundleDefinition(StrictModel):
    """一件事 — what a bundle version stores: guide, items and their dependencies, shared materials, results, targets.

    The shape is checked here; the rules that need the catalogue and the forms (items published, no
    cycles, conditions naming real questions, compatible merged fields) are checked by
    :func:`longgov.onething.services.check_definition`.
    """

    code: str = Field(pattern=BUNDLE_CODE_PATTERN)
    name: str = Field(min_length=2, max_length=60)
    summary: str = Field(default="", max_length=500)
    audience: Audience = "any"
    lead_organisation: str = Field(min_length=6, max_length=40)
    aliases: list[str] = Field(default_factory=list, max_length=40)
    keywords: list[str] = Field(default_factory=list, max_length=60)
    runnable: bool = True
    questions: list[Question] = Field(default_factory=list, max_length=30)
    contradictions: list[Contradiction] = Field(default_factory=list, max_length=30)
    items: list[BundleItem] = Field(min_length=2, max_length=30)
    shared_materials: list[SharedMaterial] = Field(default_factory=list, max_length=30)
    results: str = Field(default="", max_length=500)
    targets: Targets | None = None
    lead_note: str = Field(default="", max_length=500)

    def question(self, key: str) -> Question | None:
        """The question with this key."""
        return next((q for q in self.questions if q.key == key), None)


class DefinitionInput(StrictModel):
    """Staff input: a definition as JSON (checked by the service with Chinese messages) and why it changed."""

    definition: dict[str, Any]
    note: str = Field(default="", max_length=500)


# --- views of bundles ------------------------------------------------------------------------------


class BundleItemView(BaseModel):
    """One item of a bundle as the guide shows it, with the catalogue item that implements it."""

    basic_code: str
    item_code: str | None  # None: no published implementation (the bundle cannot run)
    name: str
    department: str | None
    organisation_code: str | None
    process_type: str | None
    promised_days: int | None
    when: dict[str, Any]
    depends_on: list[str]


class BundleSummary(BaseModel):
    """A bundle in lists (the 一件事 section, the key-item list)."""

    code: str
    name: str
    summary: str
    audience: str
    lead_organisation: str
    lead_department: str
    departments: list[str]
    items: int
    runnable: bool
    version: int
    status: str
    published_version: int | None
    latest_version: int
    targets: Targets | None = None


class BundleView(BundleSummary):
    """One version of a bundle with its guide and items."""

    published_at: datetime | None
    aliases: list[str]
    keywords: list[str]
    questions: list[Question]
    contradictions: list[Contradiction]
    item_views: list[BundleItemView]
    shared_materials: list[SharedMaterial]
    results: str
    lead_note: str
    definition: dict[str, Any]


class BundleVersionSummary(BaseModel):
    """One line of a bundle's version history."""

    version: int
    status: str
    created_by: str | None
    created_at: datetime
    published_at: datetime | None
    change_note: str | None


class DefinitionProblem(BaseModel):
    """One thing wrong with a definition: machine code, Chinese message and where."""

    code: str
    message: str
    path: str


# --- the guide ---------------------------------------------------------------------------------------


class GuideInput(StrictModel):
    """Answers to the scenario guide (question key → true/false or an option's value)."""

    answers: dict[str, Answer] = Field(default_factory=dict, max_length=30)


class ApplicableItem(BaseModel):
    """An item the answers make applicable; ``after``: the items whose results it waits for."""

    basic_code: str
    item_code: str
    name: str
    department: str
    promised_days: int
    after: list[str]  # basic codes
    after_names: list[str]


class ExcludedItem(BaseModel):
    """An item the answers rule out, and why."""

    basic_code: str
    name: str
    reason: str


class GuideResult(BaseModel):
    """What the answers decide: the items to apply for now and later, those not needed, and what is still unanswered."""

    bundle_code: str
    version: int
    complete: bool
    pending: list[str]  # question keys whose answers still decide something
    applicable: list[ApplicableItem]
    excluded: list[ExcludedItem]


# --- merged form and materials ------------------------------------------------------------------------


class MergedForm(BaseModel):
    """一表申请 — the applicable items' form fields, each asked once, with values proposed from licences and records."""

    bundle_code: str
    version: int
    title: str
    json_schema: dict[str, Any]
    prefill: list[PrefilledField]
    consent_text: str
    later: dict[str, str]  # field → how it will be filled once a predecessor's result exists
    fields_total: int


class MaterialCover(BaseModel):
    """One item's material that a merged material stands for."""

    item_code: str
    item_name: str
    index: int
    name: str
    required: bool
    replaced_by: str | None  # licence | shared_data | commitment (the catalogue's)


class MergedMaterial(BaseModel):
    """一次提交 — one material of the merged list: asked once however many items need it.

    ``provided_by``: why nothing needs uploading: ``licence`` (a valid licence in the wallet),
    ``shared_data`` / ``commitment`` (the platform fetches it, a commitment covers it), ``result`` (the
    result of an earlier item of the bundle provides it), or None when the applicant uploads it.
    """

    key: str
    name: str
    required: bool
    form: str
    note: str
    covers: list[MaterialCover]
    provided_by: str | None
    provided_note: str
    needs_upload: bool
    uploaded: bool = False
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    sm3: str | None = None
    uploaded_at: datetime | None = None


# --- cases ---------------------------------------------------------------------------------------------


class NewCase(StrictModel):
    """Start a bundle case: the guide's answers and (part of) the merged form."""

    bundle_code: str = Field(pattern=BUNDLE_CODE_PATTERN)
    answers: dict[str, Answer] = Field(max_length=30)
    form: dict[str, Any] = Field(default_factory=dict)
    prefill_confirmed: bool = False
    prefill_offered: bool = False  # the page showed proposed values: those kept need the confirmation


class CaseUpdate(StrictModel):
    """Change a draft case: answers (the applicable items follow), form, pre-fill consent."""

    answers: dict[str, Answer] | None = Field(default=None, max_length=30)
    form: dict[str, Any] | None = None
    prefill_confirmed: bool | None = None


class CorrectionNote(StrictModel):
    """一次补正: what the applicant says about the corrections resubmitted together."""

    note: str = Field(default="", max_length=2000)


class FormPatch(StrictModel):
    """Values to add to the case's form before continuing (fields a later item needs, a corrected value)."""

    form: dict[str, Any] = Field(default_factory=dict)


class AnswerView(BaseModel):
    """One answer of the guide as the applicant gave it."""

    key: str
    question: str
    value: Any
    label: str


class ResultView(BaseModel):
    """One result of a member: a document (decision letter, notice) or an electronic licence."""

    kind: Literal["document", "licence"]
    id: uuid.UUID
    title: str
    number: str
    download_path: str


class MemberView(BaseModel):
    """One item of a case: its state, its application and its results; ``note`` says what is going on in Chinese."""

    basic_code: str
    item_code: str
    item_name: str
    department: str
    state: str
    state_title: str
    note: str | None
    depends_on: list[str]
    depends_on_names: list[str]
    application_id: uuid.UUID | None
    application_number: str | None
    application_status: str | None = None
    application_status_title: str | None = None
    missing_items: list[str] = Field(default_factory=list)
    reason: str | None = None
    results: list[ResultView] = Field(default_factory=list)
    attempts: list[dict[str, Any]] = Field(default_factory=list)
    may_reapply: bool = False


class CaseSummary(BaseModel):
    """A bundle case in 我的一件事."""

    id: uuid.UUID
    number: str | None
    bundle_code: str
    bundle_name: str
    status: str
    status_title: str
    members_total: int
    members_granted: int
    created_at: datetime
    submitted_at: datetime | None
    completed_at: datetime | None


class CaseView(CaseSummary):
    """One bundle case with answers, merged form, members, merged materials and the next steps (the applicant's view)."""

    bundle_version: int
    applicant_kind: str
    applicant_name: str
    answers: list[AnswerView]
    form: dict[str, Any]
    prefill_confirmed: bool
    members: list[MemberView]
    materials: list[MergedMaterial]
    next_steps: list[str]


class TimelineEntry(BaseModel):
    """One step of the case's single timeline: of the bundle itself or of one member's application."""

    occurred_at: datetime
    source: Literal["bundle", "item"]
    item_name: str | None
    department: str | None
    step: str
    title: str
    actor_role: str | None
    details: dict[str, Any]


# --- for the metrics ----------------------------------------------------------------------------------


class ItemShape(BaseModel):
    """The burden of one item applied for on its own: fields to type, materials to submit, visits, steps, days."""

    basic_code: str
    item_code: str
    name: str
    department: str
    fields: int
    materials: int
    materials_to_submit: int
    visits: int
    promised_days: int
    process_type: str


class BundleShape(BaseModel):
    """The bundle's items separately (before) against the merged form and materials (after), over all items of the definition."""

    code: str
    version: int
    items: list[ItemShape]
    fields_separately: int
    fields_merged: int
    materials_separately: int
    materials_merged: int
    materials_to_submit_separately: int
    materials_to_submit_merged: int


# --- for the staff workbench ------------------------------------------------------------------------


class StaffMemberView(BaseModel):
    """One item of a bundle case as department staff see it: its state and, in their scope, its application."""

    item_name: str
    department: str
    state: str
    state_title: str
    application_id: uuid.UUID | None
    application_number: str | None
    in_scope: bool


class StaffCaseView(BaseModel):
    """The bundle an application belongs to, for the staff handling one of its items: no personal data, the siblings' states."""

    number: str
    bundle_code: str
    bundle_name: str
    status: str
    status_title: str
    submitted_at: datetime | None
    members: list[StaffMemberView]


# --- before/after metrics (issue 5 §6) ---------------------------------------------------------------


class MetricComparison(BaseModel):
    """One before/after metric of a bundle: applying for the items separately against the bundle; ``target``: the key-item target."""

    metric: str  # visits | materials | materials_to_submit | fields | fields_typed | steps | days
    title: str
    unit: str
    before: float
    after: float
    reduction: float
    percent: float | None  # of ``before``; null when before is 0
    target: int | None = None


class ItemBurden(BaseModel):
    """What one item of the scenario asks of the applicant when applied for on its own."""

    basic_code: str
    item_code: str
    name: str
    department: str
    process_type: str
    depends_on: list[str]
    promised_days: int
    visits: int
    materials: int
    materials_to_submit: int
    fields: int
    fields_typed: int
    steps: int
    step_names: list[str]


class BundleMetrics(BaseModel):
    """一件事 before/after (public, no personal data): the scenario's items separately against the bundle, and the actual elapsed time of completed cases."""

    code: str
    name: str
    version: int
    lead_department: str
    fullest: bool  # the scenario is the guide's fullest (most items), not answers the caller gave
    answers: dict[str, Any]
    scenario: list[str]  # "question: answer", in guide order
    items: list[ItemBurden]
    excluded: list[str]  # names of items the scenario leaves out
    unavailable: list[str]  # basic codes without a published catalogue item (not counted)
    critical_path: list[str]  # names, in order: the chain that decides the bundle's promised days
    metrics: list[MetricComparison]
    targets: Targets | None
    actual_cases: int  # completed cases of the bundle (every version)
    actual_median_days: float | None  # working days, submission → completion
    actual_max_days: int | None


# --- the key-item list (重点事项清单) --------------------------------------------------------------------

ReviewCycle = Literal["monthly", "quarterly", "half_yearly", "yearly"]
KeyItemStatus = Literal["planned", "launched", "paused"]
REVIEW_CYCLE_TITLES: dict[str, str] = {"monthly": "每月", "quarterly": "每季度", "half_yearly": "每半年", "yearly": "每年"}
REVIEW_CYCLE_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}
KEY_ITEM_STATUS_TITLES: dict[str, str] = {"planned": "计划中", "launched": "已上线", "paused": "已暂停"}
REVIEW_OUTCOME_TITLES: dict[str, str] = {"met": "达标", "missed": "未达标", "no_data": "无办结数据"}
METRIC_RESULT_TITLES: dict[str, str] = {"met": "达标", "missed": "未达标", "no_data": "无数据", "no_target": "未设目标"}


class KeyItemFields(StrictModel):
    """What staff set for one key item: participating departments, targets, launch, review cycle, status and the person responsible."""

    participating: list[StrictStr] = Field(default_factory=list, max_length=20)  # department names; checked by the service
    targets: Targets = Field(default_factory=Targets)
    launched_on: date | None = None
    review_cycle: ReviewCycle = "monthly"
    status: KeyItemStatus = "planned"
    responsible_person: str = Field(default="", max_length=60)
    note: str = Field(default="", max_length=500)


class NewKeyItem(KeyItemFields):
    """Add a published bundle to the key-item list."""

    bundle_code: str = Field(pattern=BUNDLE_CODE_PATTERN)


class KeyItemView(BaseModel):
    """One entry of the key-item list with its latest review; ``may_edit``: the caller's data scope covers its lead organisation."""

    bundle_code: str
    bundle_name: str
    lead_organisation: str
    lead_department: str
    participating: list[str]
    targets: Targets
    launched_on: date | None
    review_cycle: str
    review_cycle_title: str
    status: str
    status_title: str
    responsible_person: str
    note: str
    next_review_on: date | None
    last_reviewed_on: date | None
    last_outcome: str | None
    last_outcome_title: str | None
    flagged: bool
    may_edit: bool
    updated_by: str | None
    updated_at: datetime


class MetricResult(BaseModel):
    """One metric of a review: the target, what the completed cases of the period show (median, mean, max) and whether it was met."""

    metric: str  # days | materials | visits | steps
    title: str
    unit: str
    target: int | None
    median: float | None
    mean: float | None
    max: float | None
    result: str  # met | missed | no_data | no_target
    result_title: str


class KeyItemReviewView(BaseModel):
    """One routine review of a key item: the period, the sample, each metric against its target."""

    id: uuid.UUID
    bundle_code: str
    period_start: date
    period_end: date
    reviewed_at: datetime
    sample_size: int
    outcome: str  # met | missed | no_data
    outcome_title: str
    metrics: list[MetricResult]
    notified: int


class KeyItemProgress(BaseModel):
    """The current review period so far (本期至今): computed when read, not a review; the routine review on ``review_on`` decides."""

    period_start: date
    through: date
    review_on: date
    sample_size: int
    outcome: str  # met | missed | no_data (so far)
    outcome_title: str
    metrics: list[MetricResult]


class KeyItemDetail(KeyItemView):
    """An entry with its review history, newest first, and the current period so far (launched entries)."""

    reviews: list[KeyItemReviewView]
    current: KeyItemProgress | None = None
