"""Which licence a granted application produces (办理结果 → 电子证照), and where its fields come from.

Keyed by the item's basic code (GB/T 39554, the same in every division). Each licence field takes the
first of some form fields that has a value (optionally written into a template such as ``{}万元人民币``),
a fixed text, or a value the grant itself makes: the issue date, or the unified social credit code a
registration assigns to a new business (:func:`longgov.identity.services.assign_uscc`). The holder is
the business or person the form names (its USCC or resident ID number and name), a new business, or the
applicant. Items not listed produce no electronic licence.

Items of the catalogue whose result is one of the licence types but which are not listed, and why:
出生登记 (620B0017) puts the newborn in the 户口簿, and the newborn's 公民身份号码 is assigned by the
public security household register, not here; 居民身份证申领 (620B0018) produces the physical card,
while the 居民身份证 licence mirrors the register's data (imported); 企业变更登记 (620A0003) changes an
existing 营业执照 (a new version of it, not a new licence). No catalogue item issues the 残疾人证.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

Made = Literal["", "issued_on", "uscc"]
HolderRule = Literal["enterprise", "person", "applicant"]


@dataclass(frozen=True)
class Source:
    """Where one value comes from: the first listed form field with a value, else ``fixed``; or a value the grant makes."""

    form: tuple[str, ...] = ()
    fixed: str = ""
    made: Made = ""
    template: str = "{}"


def form(*names: str, template: str = "{}") -> Source:
    """The first of these form fields that has a value, written into ``template``."""
    return Source(form=names, template=template)


def fixed(text: str) -> Source:
    """Always this text."""
    return Source(fixed=text)


ISSUED_ON = Source(made="issued_on")
NEW_USCC = Source(made="uscc")


@dataclass(frozen=True)
class Dependant:
    """A licence a guardian applies for on behalf of a minor child, when the form's ``when`` field has ``value``.

    The child holds it (``holder_id`` / ``holder_name``), ``fields`` replace the licence fields the child's
    data fill, and the child must be under ``max_age`` on the grant day (from the ID number's birth date).
    """

    when: str
    value: str
    holder_id: Source
    holder_name: Source
    fields: Mapping[str, str | Source] = field(default_factory=dict)
    max_age: int = 16


@dataclass(frozen=True)
class GrantOutcome:
    """The licence type a grant issues, who holds it and how the form fills it.

    ``holder_id`` None: the applicant's own ID number (the caller passes it). ``number`` None: numbered
    from the issuer's serial (``number_template`` may shape it, e.g. ``Q{serial:09d}``). ``assign_uscc``: the
    category (``1`` 企业, ``2`` 个体工商户) of a business this grant registers, which gets a new USCC.
    """

    type_key: str
    holder: HolderRule
    holder_id: Source | None
    holder_name: Source | None
    fields: Mapping[str, str | Source] = field(default_factory=dict)  # licence field → form field or source
    number: Source | None = None
    number_template: str | None = None
    assign_uscc: str | None = None
    # A person applies for their own licence: the person the form names must be the applicant (an
    # organisation, e.g. a hospital for its physician, may name anyone).
    own: bool = False
    dependant: Dependant | None = None

    def for_form(self, form_data: Mapping[str, Any]) -> GrantOutcome:
        """The outcome as the form asks for it: the dependant's holder and fields when applying on a child's behalf."""
        found = self.dependant
        if found is None or _text(form_data.get(found.when)) != found.value:
            return self
        return replace(self, holder_id=found.holder_id, holder_name=found.holder_name, fields={**self.fields, **found.fields})


def holder_problem(outcome: GrantOutcome, form_data: Mapping[str, Any], applicant_kind: str, on: date) -> tuple[str, str] | None:
    """(form field, Chinese message) when the form names a holder this applicant may not apply for; None when it may.

    Whether the named person *is* the applicant needs the identity register: :func:`names_other_person`
    tells the caller which field to compare.
    """
    found = outcome.dependant
    if found is None or _text(form_data.get(found.when)) != found.value or applicant_kind != "person":
        return None
    id_field = found.holder_id.form[0] if found.holder_id.form else ""
    born = _born_on(_text(form_data.get(id_field)))
    if born is None:
        return None  # the form's own pattern check names a malformed number
    if _age(born, on) >= found.max_age:
        return id_field, f"为子女申领的，子女应未满{found.max_age}周岁；已满{found.max_age}周岁的请本人申领"
    return None


def names_other_person(outcome: GrantOutcome, form_data: Mapping[str, Any], applicant_kind: str) -> str | None:
    """The form field whose ID number must be the applicant's own (a person applying for their own licence, or as a child's guardian), else None.

    Asked of the item's outcome as mapped, before :meth:`GrantOutcome.for_form` puts a dependant in the holder's place.
    """
    if applicant_kind != "person" or not outcome.own or outcome.holder_id is None or not outcome.holder_id.form:
        return None
    name = outcome.holder_id.form[0]
    return name if _text(form_data.get(name)) else None


def _born_on(id_number: str) -> date | None:
    """The birth date an 18-digit resident ID number carries (None when it carries none)."""
    if len(id_number) != 18:  # noqa: PLR2004 - GB 11643
        return None
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def value_of(source: str | Source, form_data: Mapping[str, Any], made: Mapping[str, str]) -> str:
    """The text a source gives for this form and the values the grant made ("" when it has none)."""
    if isinstance(source, str):
        source = Source(form=(source,))
    if source.made:
        return made.get(source.made, "")
    for name in source.form:
        text = _text(form_data.get(name))
        if text:
            return source.template.format(text)
    return source.fixed


def holder_kind(outcome: GrantOutcome, applicant_kind: str) -> Literal["person", "enterprise"]:
    """Whether a person or a business holds the licence of this grant."""
    if outcome.holder == "applicant":
        return "person" if applicant_kind == "person" else "enterprise"
    return outcome.holder


def made_values(issued_on: date, uscc: str | None) -> dict[str, str]:
    """The values a grant makes itself."""
    return {"issued_on": issued_on.isoformat(), **({"uscc": uscc} if uscc else {})}


_BUSINESS_LICENCE_FIELDS: dict[str, str | Source] = {
    "uscc": NEW_USCC,
    "established_on": ISSUED_ON,
}


def _held_by_named_person(type_key: str, fields: dict[str, str | Source], dependant: Dependant | None = None) -> GrantOutcome:
    """A licence of the person the form names in ``name`` and ``id_number`` (pre-filled from their 居民身份证): the applicant, if a person."""
    return GrantOutcome(type_key, holder="person", holder_id=form("id_number"), holder_name=form("name"), fields=fields, own=True, dependant=dependant)


OUTCOMES: dict[str, GrantOutcome] = {
    # 企业设立登记 → 营业执照 of the new enterprise, with a newly assigned USCC (also its 注册号).
    "620A0001000000": GrantOutcome(
        "business_licence",
        holder="enterprise",
        holder_id=NEW_USCC,
        holder_name=form("enterprise_name"),
        number=NEW_USCC,
        assign_uscc="1",
        fields={
            **_BUSINESS_LICENCE_FIELDS,
            "name": "enterprise_name",
            "entity_type": "entity_type",
            "legal_representative": "legal_representative",
            "domicile": "domicile",
            "registered_capital": form("registered_capital", template="{}万元人民币"),
            "business_scope": "business_scope",
        },
    ),
    # 个体工商户设立登记 → 营业执照 of the individual business (named, or by its operator), new USCC.
    "620A0002000000": GrantOutcome(
        "business_licence",
        holder="enterprise",
        holder_id=NEW_USCC,
        holder_name=form("business_name", "operator_name"),
        number=NEW_USCC,
        assign_uscc="2",
        fields={
            **_BUSINESS_LICENCE_FIELDS,
            "name": form("business_name", "operator_name"),
            "entity_type": form("organisation_form", template="个体工商户（{}）"),
            "legal_representative": "operator_name",  # 经营者
            "domicile": "premises_address",  # 经营场所
            "registered_capital": form("capital", template="{}万元人民币"),  # 资金数额
            "business_scope": "business_scope",
        },
    ),
    # 食品经营许可 → 食品经营许可证 (held by the operator named in the form).
    "620A0005000000": GrantOutcome(
        "food_business_licence",
        holder="enterprise",
        holder_id=form("uscc"),
        holder_name=form("operator_name"),
        fields={
            "operator_name": "operator_name",
            "uscc": "uscc",
            "legal_representative": "legal_representative",
            "domicile": "premises_address",
            "premises": "premises_address",
            "business_form": "business_type",
            "business_items": "business_items",
            "daily_supervisor": "food_safety_officer",
        },
    ),
    # 药品经营许可（零售） → 药品经营许可证.
    "620A0007000000": GrantOutcome(
        "drug_business_licence",
        holder="enterprise",
        holder_id=form("uscc"),
        holder_name=form("enterprise_name"),
        fields={
            "enterprise_name": "enterprise_name",
            "uscc": "uscc",
            "legal_representative": "legal_representative",
            "principal": "principal",
            "quality_principal": "quality_principal",
            "registered_address": "registered_address",
            "warehouse_address": "warehouse_address",
            "business_mode": "business_mode",
            "business_scope": "business_scope",
        },
    ),
    # 社会保障卡申领 → 社会保障卡 (the social security number is the resident ID number); a guardian may apply
    # for a child under 16, who then holds the card (e.g. the newborn, once 出生登记 gave the ID number).
    "620H0011000000": _held_by_named_person(
        "social_security_card",
        {"name": "name", "social_security_number": "id_number", "issuing_bank": "issuing_bank", "card_issued_on": ISSUED_ON},
        Dependant(
            when="cardholder",
            value="未满16周岁的子女",
            holder_id=form("child_id_number"),
            holder_name=form("child_name"),
            fields={"name": "child_name", "social_security_number": "child_id_number"},
        ),
    ),
    # 出生医学证明办理 → 出生医学证明, kept in the mother's wallet (the newborn has no ID number yet).
    "620B0021000000": GrantOutcome(
        "birth_certificate",
        holder="person",
        holder_id=form("mother_id_number"),
        holder_name=form("mother_name"),
        number_template="Q{serial:09d}",  # 1 letter + 9 digits, as printed on the certificate
        fields={
            "baby_name": "baby_name",
            "sex": "sex",
            "birth_time": "birth_time",
            "birth_place": "birth_place",
            "mother_name": "mother_name",
            "mother_id_number": "mother_id_number",
            "father_name": "father_name",
            "father_id_number": "father_id_number",
            "delivery_institution": "delivery_institution",
        },
    ),
    # 医师执业注册 → 医师执业证书.
    "620A0022000000": _held_by_named_person(
        "physician_practice",
        {
            "name": "name",
            "sex": "sex",
            "birth_date": "birth_date",
            "physician_level": "physician_level",
            "practice_category": "practice_category",
            "practice_scope": "practice_scope",
            "practice_place": "practice_place",
            "institution": "institution",
        },
    ),
    # 结婚登记 → 结婚证 of the applicant (the registration date is the grant's).
    "620B0026000000": _held_by_named_person(
        "marriage_certificate",
        {
            "registration_date": ISSUED_ON,
            "spouse_name": "spouse_name",
            "spouse_id_number": "spouse_id_number",
            "holder_nationality": form("nationality"),
        },
    ),
    # 教师资格认定 → 教师资格证.
    "620A0031000000": _held_by_named_person(
        "teacher_qualification",
        {
            "name": "name",
            "sex": "sex",
            "birth_date": "birth_date",
            "qualification_type": "qualification_type",
            "subject": "subject",
            "id_number": "id_number",
        },
    ),
    # 建筑工程施工许可证核发 → 建筑工程施工许可证, held by the builder (建设单位).
    "620A0032000000": GrantOutcome(
        "construction_permit",
        holder="enterprise",
        holder_id=form("builder_uscc"),
        holder_name=form("builder"),
        fields={
            "builder": "builder",
            "project_name": "project_name",
            "site_address": "site_address",
            "scale": "scale",
            "contract_price": form("contract_price", template="{}万元"),
            "survey_unit": "survey_unit",
            "design_unit": "design_unit",
            "contractor": "contractor",
            "supervisor": "supervisor",
            "contract_period": form("contract_period", template="{}日历天"),
        },
    ),
    # 不动产转移登记 → 不动产权证书 of the transferee (权利人: the applicant, a person or a business).
    "620B0035000000": GrantOutcome(
        "real_estate_certificate",
        holder="applicant",
        holder_id=form("obligee_id_number"),
        holder_name=form("obligee_name"),
        fields={
            "co_ownership": "co_ownership",
            "location": "location",
            "unit_number": "unit_number",
            "right_type": "right_type",
            "right_nature": "right_nature",
            "usage": "usage",
            "area": form("area", template="{}平方米"),
            "term": "term",
        },
    ),
}

# 道路货物 / 旅客运输经营许可 → 道路运输经营许可证 (the same form fields).
_ROAD_TRANSPORT = GrantOutcome(
    "road_transport_licence",
    holder="enterprise",
    holder_id=form("uscc"),
    holder_name=form("operator_name"),
    fields={
        "operator_name": "operator_name",
        "uscc": "uscc",
        "address": "address",
        "economic_type": "economic_type",
        "business_scope": "business_scope",
    },
)
OUTCOMES["620A0037000000"] = _ROAD_TRANSPORT
OUTCOMES["620A0038000000"] = _ROAD_TRANSPORT


def outcome_of(item_basic_code: str) -> GrantOutcome | None:
    """The licence a grant of this item issues, if any."""
    return OUTCOMES.get(item_basic_code)
