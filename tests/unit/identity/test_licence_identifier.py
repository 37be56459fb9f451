"""GB/T 36904 electronic licence identifiers: ISO 7064 MOD 37,36 check character and structure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from longgov.identity.codes import check_licence_identifier, licence_identifier_check_char, make_licence_identifier

# The example the licence issue quotes (a 营业执照-style type code defined by a national body).
KNOWN = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"
CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_known_identifier_is_valid() -> None:
    result = check_licence_identifier(KNOWN)
    assert result.valid, result.message
    assert licence_identifier_check_char("11100000000013338W03211220000013544541J2430599001") == "F"
    assert check_licence_identifier(KNOWN.lower()).valid  # letters are case-insensitive on input


def test_make_round_trips_the_known_identifier() -> None:
    assert make_licence_identifier("11100000000013338W032", "11220000013544541J", "2430599", 1) == KNOWN


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (KNOWN[:-1] + "G", "校验位错误，应为F"),
        (KNOWN.replace("1.2.156.3005.2.", "1.2.156.3005.3."), "开头"),
        (KNOWN.replace(".001.", ".01."), "版本号"),
        (KNOWN.replace("2430599", "24305-99"), "流水号"),
        (KNOWN.replace("11220000013544541J", "11220000013544541K"), "颁发机构"),
        (KNOWN.replace("W032", "W03"), "类型代码"),
        (KNOWN.replace(".2430599.", "."), "组成"),
    ],
)
def test_corrupted_identifiers_are_refused_with_the_reason(value: str, reason: str) -> None:
    result = check_licence_identifier(value)
    assert not result.valid
    assert reason in result.message


@given(position=st.integers(min_value=0, max_value=len(KNOWN) - 1), replacement=st.sampled_from(CHARSET))
def test_every_single_character_substitution_is_rejected(position: int, replacement: str) -> None:
    # MOD 37,36 detects every single substitution, so no corrupted variant may pass.
    if KNOWN[position] == "." or KNOWN[position] == replacement:
        return
    corrupted = KNOWN[:position] + replacement + KNOWN[position + 1 :]
    assert not check_licence_identifier(corrupted).valid


@given(a=st.integers(min_value=15, max_value=len(KNOWN) - 3))
def test_adjacent_transpositions_are_rejected(a: int) -> None:
    b = a + 1
    if "." in (KNOWN[a], KNOWN[b]) or KNOWN[a] == KNOWN[b]:
        return
    swapped = KNOWN[:a] + KNOWN[b] + KNOWN[a] + KNOWN[b + 1 :]
    assert not check_licence_identifier(swapped).valid


def test_make_refuses_bad_parts() -> None:
    with pytest.raises(ValueError, match="版本号"):
        make_licence_identifier("11100000000013338W032", "11220000013544541J", "1", 1000)
    with pytest.raises(ValueError, match="颁发机构"):
        make_licence_identifier("11100000000013338W032", "11220000013544541K", "1")
