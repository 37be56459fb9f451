"""Which licence a granted application produces (办理结果 → 电子证照), and where its fields come from.

Keyed by the item's basic code (GB/T 39554, the same in every division). A licence field maps to a
field of the item's application form; the holder is the business named in the form (USCC + name)
or the applicant. Items not listed produce no electronic licence.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GrantOutcome:
    """The licence type a grant issues and how the form fills it."""

    type_key: str
    # Form fields naming the holder; None: the applicant (person) holds it.
    holder_id_field: str | None
    holder_name_field: str | None
    fields: dict[str, str] = field(default_factory=dict)  # licence field → form field


OUTCOMES: dict[str, GrantOutcome] = {
    # 食品经营许可 → 食品经营许可证 (held by the operator named in the form).
    "620A0005000000": GrantOutcome(
        "food_business_licence",
        holder_id_field="uscc",
        holder_name_field="operator_name",
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
}


def outcome_of(item_basic_code: str) -> GrantOutcome | None:
    """The licence a grant of this item issues, if any."""
    return OUTCOMES.get(item_basic_code)
