"""Pure working-day arithmetic over a loaded holiday calendar (no database, no I/O).

Counting rule used everywhere (《行政许可法》第八十二条 style): the day on which the clock starts
(acceptance, or resubmission after a correction) is not counted; day 1 is the first working day
after it. A date is a working day when it is not a statutory holiday and either falls Monday–Friday
or is an adjusted working weekend (调休上班). Dates are calendar dates in China (Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")
MAX_WORKING_DAYS = 3660  # ten years: anything longer is an input error, not a time limit
YELLOW_THRESHOLD = 2  # working days left at or below which a case turns yellow

Pause = tuple[date, date]


def china_today(now: datetime | None = None) -> date:
    """Today's date in China (a UTC 17:00 is already tomorrow in Lanzhou)."""
    return (now or datetime.now(CHINA_TZ)).astimezone(CHINA_TZ).date()


class TimeStatus(StrEnum):
    """Traffic light of a running time limit."""

    Green = "green"
    Yellow = "yellow"  # at most two working days left (including the last day itself)
    Red = "red"  # overdue


@dataclass(frozen=True)
class Deadline:
    """A computed last day; ``provisional`` when a year it depends on has no holiday notice loaded."""

    date: date
    provisional: bool = False
    missing_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class Remaining:
    """Where a time limit stands on a given day."""

    status: TimeStatus
    working_days_left: int  # 0 on the last day, negative once overdue
    provisional: bool = False


def _in_pauses(day: date, pauses: Sequence[Pause]) -> bool:
    # A pause (from, until): the clock stops after ``from`` and restarts the day after ``until``;
    # ``from`` itself still counts, ``until`` (the resubmission day) does not, like an acceptance day.
    return any(start < day <= end for start, end in pauses)


def _check_pauses(pauses: Sequence[Pause]) -> None:
    for start, end in pauses:
        if end < start:
            msg = f"pause ends ({end}) before it starts ({start})"
            raise ValueError(msg)


@dataclass(frozen=True)
class WorkingCalendar:
    """The statutory holiday calendar as loaded from the platform's notices.

    ``holidays`` and ``workdays`` map dates to holiday names; ``covered_years`` are the years with an
    active notice. For other years only weekends are days off and results are marked provisional.
    """

    holidays: Mapping[date, str] = field(default_factory=dict)
    workdays: Mapping[date, str] = field(default_factory=dict)
    covered_years: frozenset[int] = frozenset()
    version: int = 0

    # --- single days -------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (holidays off, adjusted weekends on, else Mon–Fri)."""
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5  # noqa: PLR2004 - Saturday is 5

    def holiday_name(self, day: date) -> str | None:
        """Name of the holiday a date belongs to (off or adjusted working day), if any."""
        return self.holidays.get(day) or self.workdays.get(day)

    def missing_years(self, first: date, last: date) -> tuple[int, ...]:
        """Years between two dates (inclusive) without a loaded notice."""
        low, high = min(first, last), max(first, last)
        return tuple(y for y in range(low.year, high.year + 1) if y not in self.covered_years)

    # --- arithmetic --------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int, pauses: Sequence[Pause] = ()) -> Deadline:
        """The ``n``-th working day after ``start``; day 1 is the first working day AFTER ``start``.

        The start date (acceptance day) is never counted, even when it is a working day; ``n == 0``
        returns ``start``. Working days inside a pause (see ``elapsed_working_days``) are skipped,
        which pushes the deadline back by the paused working days.
        """
        if n < 0 or n > MAX_WORKING_DAYS:
            msg = f"n must be between 0 and {MAX_WORKING_DAYS}"
            raise ValueError(msg)
        _check_pauses(pauses)
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day) and not _in_pauses(day, pauses):
                counted += 1
        missing = self.missing_years(start, day)
        return Deadline(day, provisional=bool(missing), missing_years=missing)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days ``d`` with ``a < d <= b``; negative when ``b`` is before ``a``.

        ``working_days_between(d, add_working_days(d, n).date) == n`` for every ``n``.
        """
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(days=i)))

    def elapsed_working_days(self, start: date, end: date, pauses: Sequence[Pause] = ()) -> int:
        """Working days used by a clock started on ``start`` (acceptance), measured on ``end``.

        The clock runs from the day after acceptance; during a correction (补正) or a statutory
        exclusion ``(from, until)`` it stops: working days after ``from`` up to and including
        ``until`` (the resubmission day) are not counted, and counting resumes the day after. A
        still-open pause is passed with ``until = end``.
        """
        _check_pauses(pauses)
        if end <= start:
            return 0
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_working_day(d := start + timedelta(days=i)) and not _in_pauses(d, pauses))

    def remaining(self, deadline: Deadline | date, today: date) -> Remaining:
        """Traffic light on ``today``: red when past the deadline, yellow with ≤ 2 working days left."""
        last = deadline.date if isinstance(deadline, Deadline) else deadline
        provisional = (deadline.provisional if isinstance(deadline, Deadline) else False) or bool(self.missing_years(today, last))
        if today > last:
            return Remaining(TimeStatus.Red, -self.working_days_between(last, today), provisional)
        left = self.working_days_between(today, last)
        status = TimeStatus.Yellow if left <= YELLOW_THRESHOLD else TimeStatus.Green
        return Remaining(status, left, provisional)


def build_calendar(days: Iterable[tuple[date, str, str]], covered_years: Iterable[int], version: int = 0) -> WorkingCalendar:
    """A calendar from ``(date, kind, name)`` rows, kind ``holiday`` or ``adjusted_workday``.

    Where two rows name the same date the later one wins; the loader passes rows of the notice of
    the date's own year last, so it overrides a neighbouring year's notice.
    """
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    for day, kind, name in days:  # a later row for the same date wins
        target, other = (holidays, workdays) if kind == "holiday" else (workdays, holidays)
        other.pop(day, None)
        target[day] = name
    return WorkingCalendar(holidays=holidays, workdays=workdays, covered_years=frozenset(covered_years), version=version)
