"""Tests for longgov.identity.divisions (the shipped Gansu GB/T 2260 table)."""

from __future__ import annotations

from collections import Counter
from importlib import resources

import pytest

from longgov.identity.divisions import (
    Division,
    all_divisions,
    ancestors_of,
    children_of,
    division_contains,
    get_division,
    normalise_division_code,
)

PREFECTURES = {
    "620100": "兰州市",
    "620200": "嘉峪关市",
    "620300": "金昌市",
    "620400": "白银市",
    "620500": "天水市",
    "620600": "武威市",
    "620700": "张掖市",
    "620800": "平凉市",
    "620900": "酒泉市",
    "621000": "庆阳市",
    "621100": "定西市",
    "621200": "陇南市",
    "622900": "临夏回族自治州",
    "623000": "甘南藏族自治州",
}


def _by_level(level: str) -> list[Division]:
    return [d for d in all_divisions() if d.level == level]


def test_csv_is_packaged_resource() -> None:
    path = resources.files("longgov.identity").joinpath("data/gansu_divisions.csv")
    assert path.is_file()


def test_counts() -> None:
    assert len(_by_level("province")) == 1
    assert len(_by_level("prefecture")) == 14
    assert len(_by_level("county")) == 86
    assert len(all_divisions()) == 101


def test_county_kinds() -> None:
    # 17 districts, 5 county-level cities, 57 counties, 7 autonomous counties.
    kinds = Counter("自治县" if d.name.endswith("自治县") else d.name[-1] for d in _by_level("county"))
    assert kinds == {"区": 17, "市": 5, "县": 57, "自治县": 7}


def test_province() -> None:
    (province,) = _by_level("province")
    assert province == Division("620000", "甘肃省", "province", None, "甘肃省")


def test_prefectures() -> None:
    assert {d.code: d.name for d in _by_level("prefecture")} == PREFECTURES
    for d in _by_level("prefecture"):
        assert d.parent_code == "620000"
        assert d.full_name == "甘肃省" + d.name


def test_codes_unique_six_digits_and_sorted() -> None:
    codes = [d.code for d in all_divisions()]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)
    assert all(len(c) == 6 and c.isascii() and c.isdigit() for c in codes)
    assert all(c.startswith("62") for c in codes)


def test_every_county_under_a_prefecture() -> None:
    for county in _by_level("county"):
        parent = get_division(county.parent_code or "")
        assert parent is not None
        assert parent.level == "prefecture"
        assert county.code[:4] == parent.code[:4]
        assert county.code[4:] != "00"
        assert county.full_name == parent.full_name + county.name


def test_dropped_rows_absent() -> None:
    assert get_division("620171") is None  # 兰州新区
    assert get_division("620201") is None  # 嘉峪关市 as a county
    assert children_of("620200") == ()


def test_chengguan() -> None:
    d = get_division("620102")
    assert d == Division("620102", "城关区", "county", "620100", "甘肃省兰州市城关区")


def test_all_divisions_cached() -> None:
    assert all_divisions() is all_divisions()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("620102", "620102"),
        (" 620102 ", "620102"),
        ("620102000000", "620102"),
        ("620102001000", None),
        ("62010", None),
        ("6201020", None),
        ("62010a", None),
        ("６２０１０２", None),
        ("", None),
    ],
)
def test_normalise_division_code(code: str, expected: str | None) -> None:
    assert normalise_division_code(code) == expected


def test_get_division_twelve_digit() -> None:
    assert get_division("620100000000") == get_division("620100")
    assert get_division("620102001000") is None
    assert get_division("110000") is None


def test_children_of() -> None:
    assert [d.code for d in children_of("620000")] == sorted(PREFECTURES)
    lanzhou = [d.name for d in children_of("620100")]
    assert lanzhou == [
        "城关区",
        "七里河区",
        "西固区",
        "安宁区",
        "红古区",
        "永登县",
        "皋兰县",
        "榆中县",
    ]
    assert children_of("620102") == ()
    assert children_of("999999") == ()
    assert sum(len(children_of(code)) for code in PREFECTURES) == 86


def test_ancestors_of() -> None:
    assert [d.code for d in ancestors_of("620102")] == ["620000", "620100"]
    assert [d.code for d in ancestors_of("620102000000")] == ["620000", "620100"]
    assert [d.code for d in ancestors_of("620100")] == ["620000"]
    assert ancestors_of("620000") == ()
    assert ancestors_of("620171") == ()


def test_division_contains() -> None:
    every = [d.code for d in all_divisions()]
    assert all(division_contains("620000", c) for c in every)
    assert division_contains("620100", "620100")
    assert division_contains("620100", "620102")
    assert division_contains("620100000000", "620102000000")
    assert not division_contains("620100", "620000")
    assert not division_contains("620100", "620302")
    assert division_contains("620102", "620102")
    assert not division_contains("620102", "620103")
    assert not division_contains("620102", "620100")
    # Deny by default for codes outside the table.
    assert not division_contains("620000", "620171")
    assert not division_contains("620000", "110101")
    assert not division_contains("620000", "620102001000")
    assert not division_contains("110000", "110101")
    assert not division_contains("", "620102")


def test_division_contains_matches_prefix_rule() -> None:
    for scope in all_divisions():
        for d in all_divisions():
            if scope.level == "province":
                expected = True
            elif scope.level == "prefecture":
                expected = d.code[:4] == scope.code[:4]
            else:
                expected = d.code == scope.code
            assert division_contains(scope.code, d.code) is expected
