"""Reading registers: header mapping and row-level checks with Chinese messages."""

from datetime import date

import pytest

from longgov.identity.codes import make_uscc
from longgov.licences.catalogue import resolve_type
from longgov.licences.importer import RegisterRow, RegisterUnreadable, RowChecker, header_errors, map_header, parse_date, read_table

FOOD = resolve_type("食品经营许可证")
HEADER = [
    "许可证编号",
    "持证主体名称",
    "持证主体证件号码",
    "颁发日期",
    "有效期至",
    "经营者名称",
    "社会信用代码",
    "法定代表人（负责人）",
    "住所",
    "经营场所",
    "主体业态",
    "经营项目",
]
USCC = "91620102MA7ABCDE1X"


def test_dates_in_the_usual_spellings():
    assert parse_date("2026-11-27") == parse_date("2026/11/27") == parse_date("20261127") == parse_date("2026年11月27日") == date(2026, 11, 27)
    assert parse_date("2026-02-30") is None
    assert parse_date("明天") is None


def test_header_by_titles_and_missing_columns():
    assert FOOD is not None
    header = map_header([*HEADER, "备注"], FOOD)
    assert header.unknown == ["备注"]
    assert header_errors(header, FOOD) == []
    short = map_header(["许可证编号", "持证主体名称"], FOOD)
    missing = {e.field for e in header_errors(short, FOOD)}
    assert {"持证主体证件号码", "颁发日期", "经营场所"} <= missing


def test_row_errors_name_row_and_field():
    assert FOOD is not None
    checker = RowChecker(FOOD, map_header(HEADER, FOOD))
    good_uscc = make_uscc("9", "1", "620102", "MA7ABCDE")
    good = checker.check(
        2,
        [
            "JY1620102001",
            "甘肃某某食品有限公司",
            good_uscc,
            "2024-01-05",
            "2029-01-04",
            "甘肃某某食品有限公司",
            good_uscc,
            "张三",
            "兰州市城关区",
            "兰州市城关区",
            "食品销售经营者",
            "预包装食品销售",
        ],
    )
    assert isinstance(good, RegisterRow)
    assert good.valid_from == date(2024, 1, 5)
    assert good.holder_kind == "enterprise"
    bad = checker.check(3, ["", "某公司", USCC, "2024-13-01", "2023-01-01", "某公司", "123", "", "住所", "场所", "业态", "项目"])
    assert isinstance(bad, list)
    fields = {(e.row, e.field) for e in bad}
    assert (3, "许可证编号") in fields
    assert (3, "持证主体证件号码") in fields
    assert (3, "颁发日期") in fields
    assert (3, "社会信用代码") in fields
    assert (3, "法定代表人（负责人）") in fields
    assert all(e.message for e in bad)


def test_csv_in_gb18030_and_unknown_extension():
    rows = list(read_table("许可证编号,持证主体名称\r\nA1,某公司\r\n".encode("gb18030"), "x.csv"))
    assert rows == [["许可证编号", "持证主体名称"], ["A1", "某公司"]]
    with pytest.raises(RegisterUnreadable, match="CSV"):
        list(read_table(b"x", "x.pdf"))
