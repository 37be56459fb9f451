"""Tests for longgov.identity.codes (resident ID, USCC, division, phone)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from longgov.identity.codes import (
    PROVINCE_NAMES,
    USCC_CATEGORIES,
    USCC_CHARSET,
    USCC_WEIGHTS,
    CodeCheck,
    birth_date_of,
    check_division_code,
    check_mobile_phone,
    check_resident_id,
    check_uscc,
    make_resident_id,
    make_uscc,
    mask_phone,
    mask_resident_id,
    normalise_resident_id,
    organisation_code_check_char,
    resident_id_check_char,
    sex_of,
    uscc_check_char,
)

TODAY = date(2026, 1, 1)
DIGITS = "0123456789"
RESIDENT_ALPHABET = DIGITS + "X"
RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

regions = st.builds(
    lambda prov, rest: prov + rest,
    st.sampled_from(sorted(PROVINCE_NAMES)),
    st.text(alphabet=DIGITS, min_size=4, max_size=4),
)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
resident_ids = st.builds(make_resident_id, regions, births, sequences)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    """Draw a valid USCC built from random parts."""
    authority = draw(st.sampled_from(sorted(USCC_CATEGORIES)))
    category = draw(st.sampled_from(sorted(USCC_CATEGORIES[authority])))
    region = draw(st.text(alphabet=DIGITS, min_size=6, max_size=6))
    body = draw(st.text(alphabet=USCC_CHARSET, min_size=8, max_size=8))
    return make_uscc(authority, category, region, body)


# ---------------------------------------------------------------------------
# Resident identity number
# ---------------------------------------------------------------------------


def test_standard_example_accepted() -> None:
    # Worked example printed in GB 11643-1999.
    result = check_resident_id("11010519491231002X")
    assert result == CodeCheck(valid=True, message="公民身份号码校验通过")


def test_standard_example_before_1900_rejected_only_for_date() -> None:
    # The other GB 11643 example has a correct check digit but a pre-1900
    # birth date, which this product rejects.
    assert resident_id_check_char("44052418800101001") == "4"
    result = check_resident_id("440524188001010014")
    assert not result.valid
    assert result.message.startswith("出生日期无效")


def test_weights_are_iso7064_mod11_2() -> None:
    assert tuple(pow(2, 17 - i, 11) for i in range(17)) == RESIDENT_WEIGHTS


def test_mod11_2_detects_every_single_substitution_algebraically() -> None:
    # Changing digit i by delta (1..9 in absolute value) changes the weighted
    # sum by w_i * delta; 11 is prime and neither factor is a multiple of 11,
    # so the sum mod 11, hence the expected check char, always changes.  The
    # check char itself is a bijection of the 11 residues, so replacing it
    # alone also always fails.
    for weight in RESIDENT_WEIGHTS:
        for delta in range(1, 10):
            assert (weight * delta) % 11 != 0
    # Bodies with weighted sums 0..10: digit d at index 7 (weight 1) gives d;
    # a 1 at index 2 (weight 10) gives 10.
    bodies = [f"{'0' * 7}{d}{'0' * 9}" for d in range(10)] + ["00100000000000000"]
    chars = {resident_id_check_char(body) for body in bodies}
    assert chars == set(RESIDENT_ALPHABET)


@given(resident_ids)
def test_iso7064_condition_holds(rid: str) -> None:
    # ISO 7064 MOD 11-2: sum of a_i * 2**(18 - i) over all 18 positions,
    # with X = 10, is congruent to 1 modulo 11.
    values = [10 if ch == "X" else int(ch) for ch in rid]
    weights = [*RESIDENT_WEIGHTS, 1]
    assert sum(v * w for v, w in zip(values, weights, strict=True)) % 11 == 1


@given(resident_ids)
def test_generated_ids_valid(rid: str) -> None:
    assert check_resident_id(rid, today=TODAY).valid


@given(resident_ids)
def test_every_single_substitution_rejected(rid: str) -> None:
    for pos, original in enumerate(rid):
        for ch in RESIDENT_ALPHABET:
            if ch == original:
                continue
            mutated = rid[:pos] + ch + rid[pos + 1 :]
            result = check_resident_id(mutated, today=TODAY)
            assert not result.valid, (rid, mutated)


@given(resident_ids)
def test_lowercase_and_whitespace_normalised(rid: str) -> None:
    assert check_resident_id(f"  {rid.lower()}\n", today=TODAY).valid


def test_lowercase_x_accepted() -> None:
    rid = make_resident_id("620102", date(1990, 1, 1), 2)
    assert rid.endswith("X")
    assert check_resident_id(rid.lower(), today=TODAY).valid
    assert normalise_resident_id(" " + rid.lower()) == rid


@pytest.mark.parametrize(
    "value",
    ["", "62010219900101123", "6201021990010112345", "6201021990010112 34"],
)
def test_wrong_length(value: str) -> None:
    assert check_resident_id(value, today=TODAY) == CodeCheck(valid=False, message="公民身份号码应为18位")


@pytest.mark.parametrize(
    "value",
    [
        "62010219900101123Y",
        "6201021990010112X3",
        "620102 19900101123",
        "６２０１０２１９９００１０１１２３４",
    ],
)
def test_bad_characters(value: str) -> None:
    result = check_resident_id(value, today=TODAY)
    assert not result.valid
    assert "格式错误" in result.message


def _with_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900000", "20230229", "19000229"])
def test_impossible_dates(birth: str) -> None:
    result = check_resident_id(_with_check(f"620102{birth}123"), today=TODAY)
    assert result == CodeCheck(valid=False, message="出生日期无效")


def test_leap_day_accepted() -> None:
    assert check_resident_id(_with_check("62010220000229123"), today=TODAY).valid


def test_future_date_rejected() -> None:
    rid = make_resident_id("620102", date(2026, 1, 2), 1)
    result = check_resident_id(rid, today=TODAY)
    assert not result.valid
    assert result.message.startswith("出生日期无效")
    assert check_resident_id(rid, today=date(2026, 1, 2)).valid


def test_before_1900_rejected() -> None:
    result = check_resident_id(_with_check("62010218991231123"), today=TODAY)
    assert not result.valid
    assert result.message.startswith("出生日期无效")
    assert check_resident_id(_with_check("62010219000101123"), today=TODAY).valid


def test_default_today_is_used() -> None:
    assert check_resident_id(make_resident_id("620102", date(1990, 1, 1), 1)).valid
    far_future = make_resident_id("620102", date(9999, 12, 31), 1)
    assert not check_resident_id(far_future).valid


@pytest.mark.parametrize("prefix", ["00", "10", "16", "20", "30", "38", "55", "66", "72", "83", "91", "99"])
def test_bad_province(prefix: str) -> None:
    result = check_resident_id(_with_check(f"{prefix}010219900101123"), today=TODAY)
    assert result == CodeCheck(valid=False, message="行政区划代码无效")


def test_old_region_code_accepted() -> None:
    # 622701 was the old 平凉地区 code; old IDs keep it.
    assert check_resident_id(_with_check("62270119700101123"), today=TODAY).valid


def test_wrong_check_digit_message() -> None:
    rid = make_resident_id("620102", date(1990, 1, 1), 123)
    wrong = "0" if rid[-1] != "0" else "1"
    result = check_resident_id(rid[:-1] + wrong, today=TODAY)
    assert result == CodeCheck(valid=False, message=f"校验码错误，应为{rid[-1]}")


@given(regions, births, sequences)
def test_birth_and_sex_round_trip(region: str, birth: date, seq: int) -> None:
    rid = make_resident_id(region, birth, seq)
    assert rid[:6] == region
    assert birth_date_of(rid) == birth
    assert sex_of(rid) == ("男" if seq % 2 else "女")


def test_helpers_reject_invalid_ids() -> None:
    with pytest.raises(ValueError, match="校验码错误"):
        birth_date_of("620102199001011234")
    with pytest.raises(ValueError, match="18位"):
        sex_of("123")


def test_make_resident_id_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="region"):
        make_resident_id("990102", date(1990, 1, 1), 1)
    with pytest.raises(ValueError, match="region"):
        make_resident_id("62010", date(1990, 1, 1), 1)
    with pytest.raises(ValueError, match="sequence"):
        make_resident_id("620102", date(1990, 1, 1), 1000)
    with pytest.raises(ValueError, match="sequence"):
        make_resident_id("620102", date(1990, 1, 1), -1)
    with pytest.raises(ValueError, match="1900"):
        make_resident_id("620102", date(1899, 12, 31), 1)


def test_resident_id_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="17"):
        resident_id_check_char("1234")
    with pytest.raises(ValueError, match="17"):
        resident_id_check_char("1234567890123456X")


def test_mask_resident_id() -> None:
    assert mask_resident_id("620102199001011234") == "6201**********1234"
    assert mask_resident_id(" 62010219900101123x ") == "6201**********123X"
    assert mask_resident_id("12345678") == "********"
    assert mask_resident_id("") == ""


# ---------------------------------------------------------------------------
# Unified social credit code
# ---------------------------------------------------------------------------

# Published USCCs of well-known companies (e.g. 华为技术有限公司
# 914403001922038216, 腾讯科技（深圳）有限公司 9144030071526726XG); each one
# also satisfies both independent check characters.
REAL_USCCS = [
    "91110000802100433B",
    "91110108551385082Q",
    "914403001922038216",
    "9144030071526726XG",
    "91330100716105852F",
]


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_usccs_accepted(code: str) -> None:
    assert check_uscc(code) == CodeCheck(valid=True, message="统一社会信用代码校验通过")
    assert check_uscc(code.lower()).valid


def test_uscc_weights() -> None:
    assert USCC_WEIGHTS == (
        1,
        3,
        9,
        27,
        19,
        26,
        16,
        17,
        20,
        29,
        25,
        13,
        8,
        24,
        10,
        30,
        28,
    )
    assert len(USCC_CHARSET) == 31
    assert not set("IOSVZ") & set(USCC_CHARSET)


def test_uscc_mod31_detects_every_single_substitution_algebraically() -> None:
    # 31 is prime and every weight and every value difference lies in 1..30.
    for weight in USCC_WEIGHTS:
        for delta in range(1, 31):
            assert (weight * delta) % 31 != 0


@given(usccs())
def test_generated_usccs_valid(code: str) -> None:
    assert check_uscc(code).valid


@given(usccs())
def test_uscc_every_single_substitution_rejected(code: str) -> None:
    for pos, original in enumerate(code):
        for ch in USCC_CHARSET + "IOSVZ":
            if ch == original:
                continue
            mutated = code[:pos] + ch + code[pos + 1 :]
            assert not check_uscc(mutated).valid, (code, mutated)


def test_organisation_code_check_char() -> None:
    # GB 11714 worked values: 10 -> X and 11 -> 0.
    assert organisation_code_check_char("71526726") == "X"
    assert organisation_code_check_char("19220382") == "1"
    assert organisation_code_check_char("00000000") == "0"
    with pytest.raises(ValueError, match="8"):
        organisation_code_check_char("1234567")


def test_uscc_check_char_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="17"):
        uscc_check_char("9111000080210043")
    with pytest.raises(ValueError, match="17"):
        uscc_check_char("91110000802100I33")


def _uscc_with_checks(prefix8: str, body8: str) -> str:
    first17 = prefix8 + body8 + organisation_code_check_char(body8)
    return first17 + uscc_check_char(first17)


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("B1620100", "登记管理部门代码无效"),
        ("01620100", "登记管理部门代码无效"),
        ("94620100", "机构类别代码无效"),
        ("Y2620100", "机构类别代码无效"),
        ("9162010A", "登记管理机关行政区划码无效，应为6位数字"),
    ],
)
def test_uscc_structure_messages(prefix: str, message: str) -> None:
    assert check_uscc(_uscc_with_checks(prefix, "MA000001")) == CodeCheck(valid=False, message=message)


def test_uscc_messages() -> None:
    assert check_uscc("9111000080210043").message == "统一社会信用代码应为18位"
    assert check_uscc("91110000802100433O").message == "统一社会信用代码含有非法字符：O"
    assert check_uscc("91110000802100434B").message == "组织机构代码校验码错误，应为3"
    assert check_uscc("91110000802100433C").message == "校验码错误，应为B"


def test_national_region_accepted() -> None:
    assert check_uscc(_uscc_with_checks("11100000", "00001234")).valid


def test_make_uscc_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="authority"):
        make_uscc("9", "4", "620100", "MA000001")
    with pytest.raises(ValueError, match="authority"):
        make_uscc("B", "1", "620100", "MA000001")
    with pytest.raises(ValueError, match="region"):
        make_uscc("9", "1", "62010", "MA000001")
    with pytest.raises(ValueError, match="org_body"):
        make_uscc("9", "1", "620100", "MA00000I")
    with pytest.raises(ValueError, match="org_body"):
        make_uscc("9", "1", "620100", "MA0001")


# ---------------------------------------------------------------------------
# Division codes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("620102", "甘肃省兰州市城关区"),
        ("620000", "甘肃省"),
        ("620100", "甘肃省兰州市"),
        ("620200", "甘肃省嘉峪关市"),
        ("623027", "甘肃省甘南藏族自治州夏河县"),
        ("620102000000", "甘肃省兰州市城关区"),
        (" 620100000000 ", "甘肃省兰州市"),
        ("110000", "省级行政区划代码：北京市"),
        ("820000000000", "省级行政区划代码：澳门特别行政区"),
    ],
)
def test_division_code_valid(code: str, message: str) -> None:
    assert check_division_code(code) == CodeCheck(valid=True, message=message)


@pytest.mark.parametrize(
    "code",
    [
        "620171",  # 兰州新区: not a GB/T 2260 county-level division
        "620201",  # 嘉峪关 has no county-level subdivision
        "620199",
        "110101",  # real, but no table for other provinces is shipped
        "990000",
        "620102001000",  # township-level statistical code
        "62010",
        "6201020",
        "62010A",
        "",
    ],
)
def test_division_code_invalid(code: str) -> None:
    result = check_division_code(code)
    assert not result.valid
    assert result.message.startswith("行政区划代码")


# ---------------------------------------------------------------------------
# Mobile phone
# ---------------------------------------------------------------------------


def test_mask_phone() -> None:
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone(" 13912345678 ") == "139****5678"
    assert mask_phone("1234567") == "*******"


@pytest.mark.parametrize("phone", ["13912345678", "19900000000", " 15012345678 "])
def test_mobile_valid(phone: str) -> None:
    assert check_mobile_phone(phone) == CodeCheck(valid=True, message="手机号码校验通过")


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("1391234567", "手机号码应为11位数字"),
        ("139123456789", "手机号码应为11位数字"),
        ("1391234567a", "手机号码应为11位数字"),
        ("+8613912345", "手机号码应为11位数字"),
        ("12912345678", "手机号码号段无效，应以13至19开头"),
        ("23912345678", "手机号码号段无效，应以13至19开头"),
    ],
)
def test_mobile_invalid(phone: str, message: str) -> None:
    assert check_mobile_phone(phone) == CodeCheck(valid=False, message=message)
