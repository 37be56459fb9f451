"""DTOs of the catalogue: item content (what a version stores), views and inputs."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

from longgov.identity.schemas import StrictModel

ITEM_TYPES: tuple[str, ...] = (
    "行政许可",
    "行政确认",
    "行政给付",
    "行政裁决",
    "行政奖励",
    "行政备案",
    "公共服务",
    "其他行政权力",
)
ItemType = Literal["行政许可", "行政确认", "行政给付", "行政裁决", "行政奖励", "行政备案", "公共服务", "其他行政权力"]
MaterialForm = Literal["原件", "复印件", "电子件"]
Channel = Literal["online", "mobile", "nearby", "off_site", "cross_province"]
ProcessType = Literal["instant", "promised", "joint_review"]
# 证照免提交 / 数据共享 / 告知承诺: how the platform replaces a material (X1).
ReplacedBy = Literal["licence", "shared_data", "commitment"]
REPLACED_BY_TITLES: dict[str, str] = {"licence": "电子证照", "shared_data": "数据共享", "commitment": "告知承诺"}

CHANNEL_TITLES: dict[str, str] = {
    "online": "全程网办",
    "mobile": "掌上办",
    "nearby": "就近办",
    "off_site": "异地办",
    "cross_province": "跨省通办",
}
PROCESS_TITLES: dict[str, str] = {"instant": "即办件", "promised": "承诺件", "joint_review": "联审件"}
FORM_TITLES: tuple[str, ...] = ("原件", "复印件", "电子件")


@cache
def licence_type_keys() -> frozenset[str]:
    """Keys of the licence catalogue's types (``business_licence`` …)."""
    from longgov.licences import services as licences  # noqa: PLC0415 - only licence-replaced materials need the licence catalogue

    return frozenset(t.key for t in licences.list_types())


class Material(StrictModel):
    """申请材料 — one required material."""

    name: str = Field(min_length=1, max_length=200)
    form: MaterialForm = "原件"
    count: int = Field(default=1, ge=0, le=99)
    required: bool = True
    # 证照免提交 / 数据共享: the platform can fetch it instead of asking the applicant.
    replaceable: bool = False
    note: str = Field(default="", max_length=500)
    # What replaces it: a licence of ``licence_type`` (key in the licence catalogue) held by the applicant,
    # a shared-data call, or a written commitment (告知承诺). None on a replaceable material: shared data.
    replaced_by: ReplacedBy | None = None
    licence_type: str | None = Field(default=None, max_length=60)

    @model_validator(mode="after")
    def _replacement(self) -> Self:
        if self.replaced_by is not None and not self.replaceable:
            msg = f"材料“{self.name}”标明了替代方式，应同时标为可免提交"
            raise ValueError(msg)
        if (self.replaced_by == "licence") != (self.licence_type is not None):
            msg = f"材料“{self.name}”：以电子证照替代时须指明证照类型，其他替代方式不能指明证照类型"
            raise ValueError(msg)
        if self.licence_type is not None and self.licence_type not in licence_type_keys():
            msg = f"材料“{self.name}”：未知的证照类型 {self.licence_type}"
            raise ValueError(msg)
        return self

    @property
    def replacement(self) -> str | None:
        """How the material is replaced (licence | shared_data | commitment), None when it must be submitted."""
        if not self.replaceable:
            return None
        return self.replaced_by or "shared_data"


class Fee(StrictModel):
    """A fee charged for the item with its legal basis."""

    name: str = Field(min_length=1, max_length=200)
    amount: str = Field(min_length=1, max_length=100)
    basis: str = Field(default="", max_length=500)


class ItemContent(StrictModel):
    """Everything an item version says: the content of the service guide (办事指南)."""

    name: str = Field(min_length=2, max_length=200)
    item_type: ItemType
    legal_basis: list[str] = Field(min_length=1, max_length=30)
    conditions: str = Field(min_length=1, max_length=4000)
    materials: list[Material] = Field(min_length=1, max_length=60)
    statutory_days: int = Field(ge=0, le=365)
    promised_days: int = Field(ge=0, le=365)
    fees: list[Fee] = Field(default_factory=list, max_length=20)
    channels: list[Channel] = Field(default_factory=list, max_length=5)
    visits: int = Field(default=0, ge=0, le=10)
    process_type: ProcessType = "promised"
    # 联审: the department kinds (identity.departments) that review in parallel with the lead department.
    co_reviewing_departments: list[str] = Field(default_factory=list, max_length=10)
    aliases: list[str] = Field(default_factory=list, max_length=40)
    keywords: list[str] = Field(default_factory=list, max_length=60)
    summary: str = Field(default="", max_length=1000)
    result: str = Field(default="", max_length=500)
    note: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _promise_within_law(self) -> Self:
        if self.promised_days > self.statutory_days:
            msg = "承诺时限不得超过法定时限"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _known_co_reviewers(self) -> Self:
        if self.co_reviewing_departments and self.process_type != "joint_review":
            msg = "只有联审件可以指定联审部门"
            raise ValueError(msg)
        from longgov.identity import services as identity  # noqa: PLC0415 - only items naming co-reviewers need the department kinds

        known = identity.department_kind_keys()
        unknown = [d for d in self.co_reviewing_departments if d not in known]
        if unknown:
            msg = f"未知的联审部门：{'、'.join(unknown)}"
            raise ValueError(msg)
        if len(set(self.co_reviewing_departments)) != len(self.co_reviewing_departments):
            msg = "联审部门不得重复"
            raise ValueError(msg)
        return self


class NewItem(StrictModel):
    """Input for creating an item: where it is implemented and its first content."""

    basic_code: str = Field(min_length=6, max_length=40, pattern=r"^[0-9A-Z][0-9A-Z-]+$")
    organisation_code: str = Field(min_length=6, max_length=40)
    content: ItemContent


class ItemSummary(BaseModel):
    """An item in lists."""

    code: str
    basic_code: str
    name: str
    organisation_code: str
    department: str
    division_code: str
    level: str
    published_version: int | None
    latest_version: int
    item_type: str | None = None
    promised_days: int | None = None


class ItemView(BaseModel):
    """One version of an item with its content (the guide)."""

    code: str
    basic_code: str
    organisation_code: str
    department: str
    division_code: str
    level: str
    version: int
    status: str
    published_at: datetime | None
    published_version: int | None
    latest_version: int
    content: ItemContent


class VersionSummary(BaseModel):
    """One line of an item's version history."""

    version: int
    status: str
    created_by: str | None
    created_at: datetime
    published_at: datetime | None
    change_note: str | None


class SearchResult(BaseModel):
    """One search hit."""

    kind: Literal["item"] = "item"
    code: str
    name: str
    department: str
    score: float
    item_type: str
    promised_days: int
    url: str


class EntryResult(BaseModel):
    """One search hit that is not an item: what another module contributes (``kind`` = ``"bundle"`` for 一件事)."""

    kind: str
    code: str
    name: str
    department: str
    summary: str
    score: float
    url: str
    details: dict[str, Any]


class MaterialReplacement(BaseModel):
    """One required material the platform replaces, and how."""

    name: str
    replaced_by: ReplacedBy
    title: str  # 电子证照：营业执照 / 数据共享 / 告知承诺
    licence_type: str | None = None


class VersionMetrics(BaseModel):
    """减环节、减材料、减时限、减费用 (R3.5): the measurable burden of one item version."""

    version: int
    status: str
    published_at: datetime | None
    process_type: str
    steps: int  # 办理环节: user tasks on the main path of the process
    step_names: list[str]
    materials: int  # required materials
    materials_replaceable: int  # of those, what the platform fetches itself (免提交)
    materials_to_submit: int
    # X1: of the replaceable ones, what replaces each (电子证照 / 数据共享 / 告知承诺).
    materials_by_licence: int = 0
    materials_by_shared_data: int = 0
    materials_by_commitment: int = 0
    replacements: list[MaterialReplacement] = Field(default_factory=list)
    statutory_days: int
    promised_days: int
    actual_count: int  # concluded applications on this version
    actual_median_days: float | None  # working days, acceptance → conclusion
    actual_p90_days: float | None
    fees_total: float  # yuan, the first amount of each fee
    fees: int
    visits: int  # 跑动次数


class Reduction(BaseModel):
    """One before/after comparison: how much less (positive) or more (negative)."""

    metric: str
    title: str
    before: float | None
    after: float | None
    reduction: float | None
    percent: float | None  # of ``before``; null when before is 0 or unknown


class ItemMetrics(BaseModel):
    """An item's metrics per version and the comparison of two versions."""

    code: str
    name: str
    department: str
    versions: list[VersionMetrics]
    from_version: int
    to_version: int
    reductions: list[Reduction]
