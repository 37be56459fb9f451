"""Reading and checking the per-line notice format."""

from datetime import date

from longgov.timelimits.notices import NoticeDay, format_notice_days, parse_notice_text, validate_notice_days

TEXT = """# 2025年（节选）
2025-01-28 至 2025-02-04 春节 放假
2025-01-26 春节 上班
2025-02-08 春节 补班

2025-10-01~2025-10-08 国庆节、中秋节 休息
2025-09-28 国庆节、中秋节 上班
2025-10-11 国庆节、中秋节 上班
"""


def test_reads_ranges_single_days_and_synonyms():
    days, errors = parse_notice_text(TEXT)
    assert errors == []
    holidays = [d.day for d in days if d.kind == "holiday"]
    assert len(holidays) == 16
    assert date(2025, 2, 4) in holidays
    workdays = {d.day: d.name for d in days if d.kind == "adjusted_workday"}
    assert workdays == {date(2025, 1, 26): "春节", date(2025, 2, 8): "春节", date(2025, 9, 28): "国庆节、中秋节", date(2025, 10, 11): "国庆节、中秋节"}
    assert validate_notice_days(2025, days) == []


def test_round_trips_through_the_text_form():
    days, _ = parse_notice_text(TEXT)
    again, errors = parse_notice_text(format_notice_days(days))
    assert errors == []
    assert {(d.day, d.kind, d.name) for d in again} == {(d.day, d.kind, d.name) for d in days}
    assert "2025-01-28 至 2025-02-04 春节 放假" in format_notice_days(days)


def test_line_errors_are_numbered_and_in_chinese():
    text = "2025-13-01 春节 放假\n2025-02-04 至 2025-01-28 春节 放假\n2025-01-01 至 2025-01-31 元旦 放假\n"
    days, errors = parse_notice_text(text + "2025-01-25 至 2025-01-26 春节 上班\n2025-05-01 May 放假\nhello")
    assert days == []
    assert [e.line for e in errors] == [1, 2, 3, 4, 5, 6]
    assert "日期无效" in errors[0].message
    assert "结束日期早于开始日期" in errors[1].message
    assert "不应超过15天" in errors[2].message
    assert "逐日填写" in errors[3].message
    assert "中文" in errors[4].message
    assert errors[5].message.startswith("第6行：无法识别")


def test_rules_of_a_year():
    assert validate_notice_days(2027, [])[0].message.startswith("通知内容为空")
    ok_neighbours = [NoticeDay(date(2026, 12, 31), "holiday", "元旦", 1), NoticeDay(date(2027, 1, 1), "holiday", "元旦", 2)]
    assert validate_notice_days(2027, ok_neighbours) == []
    weekend_only = [NoticeDay(date(2027, 5, 1), "holiday", "劳动节", 1), NoticeDay(date(2027, 5, 2), "holiday", "劳动节", 2)]
    assert "全部是周末" in validate_notice_days(2027, weekend_only)[0].message
    far = [NoticeDay(date(2026, 11, 30), "holiday", "元旦", 1)]
    assert "不在2027年内" in validate_notice_days(2027, far)[0].message
