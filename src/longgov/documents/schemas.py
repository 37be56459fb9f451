"""DTOs of the documents module: what a caller supplies to issue a document and what it gets back."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class StrictModel(BaseModel):
    """Unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DocumentKind(StrEnum):
    """The kinds of document the platform issues."""

    Acceptance = "acceptance"
    Refusal = "refusal"
    Correction = "correction"
    Grant = "grant"
    Denial = "denial"


KIND_TITLES: dict[DocumentKind, str] = {
    DocumentKind.Acceptance: "受理通知书",
    DocumentKind.Refusal: "不予受理通知书",
    DocumentKind.Correction: "补正材料通知书",
    DocumentKind.Grant: "准予行政许可决定书",
    DocumentKind.Denial: "不予行政许可决定书",
}

# The kind's part of the document number: 城关市监「许受」〔2026〕第000123号.
KIND_NUMBER_CODES: dict[DocumentKind, str] = {
    DocumentKind.Acceptance: "许受",
    DocumentKind.Refusal: "许不受",
    DocumentKind.Correction: "许补",
    DocumentKind.Grant: "许准",
    DocumentKind.Denial: "许不准",
}

# Kinds that decide against the applicant and so must state reasons and the remedies open to them.
KINDS_WITH_REASONS: frozenset[DocumentKind] = frozenset({DocumentKind.Refusal, DocumentKind.Denial})


class MaterialDefect(StrictModel):
    """One material to supply or correct, and why (补正材料一次性告知)."""

    name: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)


class DocumentFields(StrictModel):
    """What the applications module supplies to issue a document.

    ``applicant_id_number`` is printed masked; the full applicant name is printed (official documents carry it).
    """

    organisation_code: str = Field(min_length=1, max_length=40, description="出具机关编码，如 620102-market_regulation")
    application_id: uuid.UUID | None = None
    application_number: str = Field(min_length=1, max_length=60)
    applicant_kind: Literal["person", "enterprise"] = "person"
    applicant_name: str = Field(min_length=1, max_length=200)
    applicant_id_number: str | None = Field(default=None, max_length=40, description="身份证号或统一社会信用代码")
    item_name: str = Field(min_length=1, max_length=200)
    submitted_at: datetime | None = None
    legal_basis: str = Field(min_length=1, max_length=1000, description="法律依据，如《中华人民共和国行政许可法》第三十二条")
    reasons: list[str] = Field(default_factory=list, max_length=30)
    materials: list[MaterialDefect] = Field(default_factory=list, max_length=50)
    correction_days: int | None = Field(default=None, ge=1, le=365, description="补正期限（日）")
    time_limit_days: int | None = Field(default=None, ge=0, le=365, description="承诺办结时限（工作日）")
    decision_content: str | None = Field(default=None, max_length=2000, description="许可内容")
    validity: str | None = Field(default=None, max_length=200, description="有效期限")
    review_authority: str | None = Field(default=None, max_length=120, description="行政复议机关")
    court: str | None = Field(default=None, max_length=120, description="管辖人民法院")
    number_prefix: str | None = Field(default=None, max_length=20, description="文号机关代字，缺省由机关名称推导")

    def check_for(self, kind: DocumentKind) -> None:
        """Kind-specific requirements (raises ValueError with a Chinese message)."""
        if kind in KINDS_WITH_REASONS and not [r for r in self.reasons if r.strip()]:
            msg = f"{KIND_TITLES[kind]}必须载明理由"
            raise ValueError(msg)
        if kind is DocumentKind.Correction and not self.materials:
            msg = "补正材料通知书必须一次性列明需要补正的全部材料及理由"
            raise ValueError(msg)

    @model_validator(mode="after")
    def _no_blank_reasons(self) -> DocumentFields:
        self.reasons = [r.strip() for r in self.reasons if r.strip()]
        return self


class DocumentView(BaseModel):
    """An issued document as its issuer and the applications module see it."""

    id: uuid.UUID
    kind: DocumentKind
    kind_title: str
    number: str
    organisation_code: str
    organisation_name: str
    application_id: uuid.UUID | None
    application_number: str
    applicant_name: str
    item_name: str
    issued_at: datetime
    issued_on: date
    size_bytes: int
    pdf_sm3: str
    verify_path: str
    download_path: str  # staff in the issuing region
    pdf_path: str  # the applicant it was issued to, or staff in the issuing region


class VerificationView(BaseModel):
    """What anyone holding the QR code may see: enough to check the paper against the record."""

    valid: bool = True
    status: str = "真实有效"
    kind: DocumentKind
    kind_title: str
    number: str
    organisation_name: str
    issued_on: date
    item_name: str
    applicant_masked: str
    pdf_sm3: str
    signature_algorithm: str = "SM2withSM3"
