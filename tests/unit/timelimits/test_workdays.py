"""Working-day arithmetic against known State Council arrangements and chinese-calendar 1.11."""

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longgov.timelimits.services import REFERENCE_FIRST_YEAR, REFERENCE_LAST_YEAR, reference_days
from longgov.timelimits.workdays import TimeStatus, WorkingCalendar, build_calendar, china_today


def _reference_calendar() -> WorkingCalendar:
    years = range(REFERENCE_FIRST_YEAR, REFERENCE_LAST_YEAR + 1)
    return build_calendar(((d.day, d.kind, d.name) for y in years for d in reference_days(y)), years, version=1)


CAL = _reference_calendar()


def test_national_day_2024():
    for day in range(1, 8):
        assert not CAL.is_working_day(date(2024, 10, day))
        assert CAL.holiday_name(date(2024, 10, day)) == "国庆节"
    assert CAL.is_working_day(date(2024, 9, 29))  # Sunday, 调休上班
    assert CAL.is_working_day(date(2024, 10, 12))  # Saturday, 调休上班
    assert not CAL.is_working_day(date(2024, 10, 13))


def test_five_working_days_from_2024_09_30():
    # 09-30 (Mon, acceptance, not counted); 10-01..07 off; 10-08 Tue=1, 09=2, 10=3, 11=4, 12 (Sat, 调休)=5.
    deadline = CAL.add_working_days(date(2024, 9, 30), 5)
    assert deadline.date == date(2024, 10, 12)
    assert not deadline.provisional
    assert CAL.add_working_days(date(2024, 9, 30), 4).date == date(2024, 10, 11)
    # Accepted on the adjusted Sunday 09-29: day 1 is Monday 09-30.
    assert CAL.add_working_days(date(2024, 9, 29), 1).date == date(2024, 9, 30)


def test_spring_festival_2025():
    for offset in range(8):
        day = date(2025, 1, 28) + timedelta(days=offset)
        assert not CAL.is_working_day(day), day
        assert CAL.holiday_name(day) == "春节"
    assert CAL.is_working_day(date(2025, 1, 26))  # Sunday
    assert CAL.is_working_day(date(2025, 2, 8))  # Saturday
    # Accepted Friday 01-24: 01-26 (Sun, 调休)=1, 01-27=2, then 02-05=3.
    assert CAL.add_working_days(date(2025, 1, 24), 3).date == date(2025, 2, 5)


def test_acceptance_day_not_counted_and_zero_days():
    assert CAL.add_working_days(date(2024, 3, 4), 0).date == date(2024, 3, 4)
    assert CAL.add_working_days(date(2024, 3, 4), 1).date == date(2024, 3, 5)  # Mon → Tue
    assert CAL.add_working_days(date(2024, 3, 8), 1).date == date(2024, 3, 11)  # Fri → Mon
    with pytest.raises(ValueError, match="n must be"):
        CAL.add_working_days(date(2024, 3, 8), -1)


def test_year_without_notice_is_weekends_only_and_provisional():
    deadline = CAL.add_working_days(date(2026, 12, 25), 10)
    # 12-28..31 (4), 2027-01-01 Fri counted as a weekday without a notice (5), 01-04..08 (10).
    assert deadline.date == date(2027, 1, 8)
    assert deadline.provisional
    assert deadline.missing_years == (2027,)
    assert not CAL.add_working_days(date(2026, 12, 1), 5).provisional


def test_neighbouring_notice_entry_loses_to_own_year():
    cal = build_calendar([(date(2027, 1, 2), "adjusted_workday", "元旦"), (date(2027, 1, 2), "holiday", "元旦")], [2026, 2027])
    assert not cal.is_working_day(date(2027, 1, 2))


def test_pauses_shift_deadlines_and_stop_the_clock():
    start = date(2024, 3, 1)  # Friday
    assert CAL.add_working_days(start, 5).date == date(2024, 3, 8)
    # Correction requested Tue 03-05 (counted), resubmitted Thu 03-07: 03-06 and 03-07 not counted.
    pause = (date(2024, 3, 5), date(2024, 3, 7))
    assert CAL.add_working_days(start, 5, [pause]).date == date(2024, 3, 12)
    assert CAL.elapsed_working_days(start, date(2024, 3, 8)) == 5
    assert CAL.elapsed_working_days(start, date(2024, 3, 8), [pause]) == 3
    # Still in correction on 03-08: an open pause ends at the measuring day.
    assert CAL.elapsed_working_days(start, date(2024, 3, 8), [(date(2024, 3, 5), date(2024, 3, 8))]) == 2
    assert CAL.elapsed_working_days(start, start) == 0
    with pytest.raises(ValueError, match="before it starts"):
        CAL.elapsed_working_days(start, date(2024, 3, 8), [(date(2024, 3, 7), date(2024, 3, 5))])


def test_traffic_light():
    deadline = CAL.add_working_days(date(2024, 9, 30), 5)  # 2024-10-12
    assert CAL.remaining(deadline, date(2024, 10, 8)).status is TimeStatus.Green  # 4 left
    assert CAL.remaining(deadline, date(2024, 10, 10)).status is TimeStatus.Yellow  # 2 left
    last = CAL.remaining(deadline, date(2024, 10, 12))
    assert (last.status, last.working_days_left) == (TimeStatus.Yellow, 0)
    late = CAL.remaining(deadline, date(2024, 10, 15))
    assert late.status is TimeStatus.Red
    assert late.working_days_left == -2  # 10-14, 10-15


def test_china_today_uses_beijing_time():
    from datetime import UTC, datetime

    assert china_today(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == date(2027, 1, 1)


dates = st.dates(min_value=date(REFERENCE_FIRST_YEAR, 1, 1), max_value=date(REFERENCE_LAST_YEAR, 12, 31))


@settings(max_examples=300, deadline=None)
@given(day=dates)
def test_agrees_with_chinese_calendar(day):
    assert CAL.is_working_day(day) == chinese_calendar.is_workday(day)


def test_agrees_with_chinese_calendar_every_day():
    day = date(REFERENCE_FIRST_YEAR, 1, 1)
    while day.year <= REFERENCE_LAST_YEAR:
        assert CAL.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


@settings(max_examples=300, deadline=None)
@given(start=st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31)), n=st.integers(min_value=0, max_value=400))
def test_add_then_count_round_trips(start, n):
    deadline = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, deadline.date) == n
    assert CAL.elapsed_working_days(start, deadline.date) == n
    assert n == 0 or CAL.is_working_day(deadline.date)
    assert CAL.working_days_between(deadline.date, start) == -n
