"""The licence type catalogue (GB/T 36902 type codes) and GB/T 36904 identifiers."""

import pytest

from longgov.catalog.codes import government_body_uscc
from longgov.identity.codes import check_licence_identifier, check_uscc, make_licence_identifier
from longgov.licences.catalogue import TRUST_LEVELS, government_uscc, licence_types, resolve_type
from longgov.licences.identifiers import check_char, licence_key, make_identifier

REQUIRED = {
    "居民身份证",
    "户口簿",
    "出生医学证明",
    "结婚证",
    "营业执照",
    "食品经营许可证",
    "药品经营许可证",
    "社会保障卡",
    "不动产权证书",
    "道路运输经营许可证",
    "教师资格证",
    "医师执业证书",
    "残疾人证",
    "建筑工程施工许可证",
}


def test_catalogue_has_the_issue_types_with_valid_codes():
    types = licence_types()
    assert {t.name for t in types} >= REQUIRED
    assert len({t.code for t in types}) == len(types)
    for t in types:
        assert len(t.code) == 21, t.name
        assert check_uscc(t.code[:18]).valid, t.name
        assert t.code[18:].isdigit()
        # The defining department's USCC is derived exactly as the service catalogue derives it.
        defining = t.defining_department
        assert defining.uscc == t.code[:18]
        assert government_body_uscc(defining.organisation_code, "620000") == defining.uscc
        assert t.trust_level in TRUST_LEVELS
        assert t.fields
        assert all(f.title for f in t.fields)


def test_business_and_food_licences_carry_their_items():
    business = resolve_type("营业执照")
    assert business is not None
    assert [f.title for f in business.fields] == ["统一社会信用代码", "名称", "类型", "法定代表人", "住所", "注册资本", "成立日期", "经营范围"]
    food = resolve_type("food_business_licence")
    assert food is not None
    assert {"经营者名称", "社会信用代码", "法定代表人（负责人）", "住所", "经营场所", "主体业态", "经营项目"} <= {f.title for f in food.fields}
    assert food.number_title == "许可证编号"
    assert resolve_type(food.code) is food
    assert resolve_type("不存在的证照") is None


@pytest.mark.parametrize("org", ["620102-market_regulation", "620000-public_security", "621102-civil_affairs"])
def test_government_uscc_matches_the_catalogue(org):
    assert government_uscc(org, org[:6]) == government_body_uscc(org, org[:6])


def test_check_character_matches_the_issue_example_and_identity():
    example = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"
    body = example.removeprefix("1.2.156.3005.2.").rsplit(".", 1)[0].replace(".", "")
    assert check_char(body) == "F"
    assert check_licence_identifier(example).valid
    business = resolve_type("营业执照")
    assert business is not None
    issuer = government_uscc("620102-market_regulation", "620102")
    made = make_identifier(business.code, issuer, "00000042", 3)
    assert made == make_licence_identifier(business.code, issuer, "00000042", 3)
    assert made.split(".")[-2] == "003"
    assert licence_key(made) == f"1.2.156.3005.2.{business.code}.{issuer}.00000042"


def test_every_single_character_corruption_is_rejected():
    business = resolve_type("营业执照")
    assert business is not None
    made = make_identifier(business.code, government_uscc("620102-market_regulation", "620102"), "123", 1)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    start = len("1.2.156.3005.2.")
    for position in range(start, len(made)):
        if made[position] == ".":
            continue
        replacement = alphabet[(alphabet.index(made[position]) + 7) % 36]
        corrupted = made[:position] + replacement + made[position + 1 :]
        assert not check_licence_identifier(corrupted).valid, corrupted


def test_make_identifier_refuses_bad_parts():
    with pytest.raises(ValueError, match="统一社会信用代码"):
        make_identifier("11620000R8H7N42E7T001", "91620102XXXXXXXXX0", "1", 1)
