"""The USCC generator for new businesses: both check characters, uniqueness per serial and division, ranges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from longgov.identity.codes import check_uscc
from longgov.identity.divisions import all_divisions
from longgov.identity.uscc import CATEGORIES, MAX_SERIAL, organisation_body, uscc_for

# Recomputed here from the standards' text, not through the code under test.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714

gansu = st.sampled_from([d.code for d in all_divisions() if d.code.startswith("62")])
categories = st.sampled_from(sorted(CATEGORIES))
serials = st.integers(min_value=1, max_value=MAX_SERIAL)


def _org_check(body: str) -> str:
    total = sum((int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10) * w for ch, w in zip(body, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def _uscc_check(first17: str) -> str:
    total = sum(CHARSET.index(ch) * pow(3, i, 31) for i, ch in enumerate(first17))
    return CHARSET[(31 - total % 31) % 31]


@given(gansu, categories, serials)
def test_generated_codes_carry_both_check_characters(division, category, serial):
    code = uscc_for(division, category, serial)
    assert len(code) == 18
    assert set(code) <= set(CHARSET)
    assert code[:2] == "9" + category
    assert code[2:8] == division
    assert code[8:16] == organisation_body(division, serial)
    assert code[8] == "M"
    assert code[16] == _org_check(code[8:16])
    assert code[17] == _uscc_check(code[:17])
    assert check_uscc(code).valid


@given(gansu, categories, serials)
def test_any_other_check_character_is_rejected(division, category, serial):
    code = uscc_for(division, category, serial)
    for position in (16, 17):
        for ch in CHARSET:
            if ch != code[position]:
                assert not check_uscc(code[:position] + ch + code[position + 1 :]).valid


@given(gansu, gansu, serials, serials)
def test_organisation_codes_differ_for_different_serials_or_divisions(division_a, division_b, serial_a, serial_b):
    same = division_a == division_b and serial_a == serial_b
    assert (organisation_body(division_a, serial_a) == organisation_body(division_b, serial_b)) == same


def test_the_first_codes_of_a_division_count_up_in_the_charset():
    # 620102: 0102 = 3 × 31 + 9 → "039"; serial 1 → "0001".
    assert organisation_body("620102", 1) == "M0390001"
    assert organisation_body("620102", 31).endswith("0010")
    assert organisation_body("620102", MAX_SERIAL).endswith("YYYY")


@pytest.mark.parametrize(
    ("division", "category", "serial"),
    [("620102", "1", 0), ("620102", "1", MAX_SERIAL + 1), ("110101", "1", 1), ("62010", "1", 1), ("620102", "4", 1), ("620102", "A", 1)],
)
def test_out_of_range_arguments_are_refused(division, category, serial):
    with pytest.raises(ValueError, match="must be"):
        uscc_for(division, category, serial)
