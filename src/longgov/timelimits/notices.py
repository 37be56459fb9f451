"""Reading and checking a year's holiday notice (国务院办公厅关于某年部分节假日安排的通知).

The text format, one day or range per line (blank lines and lines starting with ``#`` are ignored)::

    2027-01-01 元旦 放假
    2027-02-06 至 2027-02-12 春节 放假
    2027-02-14 春节 上班

A line is ``<日期> [至 <日期>] <节日名称> <放假|上班>``; ``~`` or ``到`` may replace ``至``, ``休息``
means ``放假`` and ``补班`` means ``上班``. Pure functions: no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

DayKind = Literal["holiday", "adjusted_workday"]
MAX_RANGE_DAYS = 15
MAX_NAME_LENGTH = 40
KIND_WORDS: dict[str, DayKind] = {"放假": "holiday", "休息": "holiday", "上班": "adjusted_workday", "补班": "adjusted_workday"}
KIND_TITLES: dict[str, str] = {"holiday": "放假", "adjusted_workday": "调休上班"}
WEEKDAYS = "一二三四五六日"

_LINE = re.compile(
    r"^(?P<start>\S+?)(?:\s*(?:至|~|～|到)\s*(?P<end>\S+?))?\s+(?P<name>\S.*?)\s+(?P<kind>放假|休息|上班|补班)$",
)
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


@dataclass(frozen=True)
class NoticeDay:
    """One date of a notice."""

    day: date
    kind: DayKind
    name: str
    line: int = 0


@dataclass(frozen=True)
class LineError:
    """A problem with one line (0: the notice as a whole)."""

    line: int
    message: str

    def as_dict(self) -> dict[str, object]:
        """JSON form used in error details."""
        return {"line": self.line, "message": self.message}


def weekday_label(day: date) -> str:
    """周一 … 周日."""
    return f"周{WEEKDAYS[day.weekday()]}"


def _parse_date(text: str) -> date | None:
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_notice_text(text: str) -> tuple[list[NoticeDay], list[LineError]]:
    """Days of a notice's text, and the lines that could not be read."""
    days: list[NoticeDay] = []
    errors: list[LineError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("\u3000", " ")
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            errors.append(LineError(number, f"第{number}行：无法识别，应为“2027-02-06 至 2027-02-12 春节 放假”或“2027-02-14 春节 上班”"))
            continue
        start = _parse_date(match["start"])
        end = _parse_date(match["end"]) if match["end"] else start
        if start is None or end is None:
            errors.append(LineError(number, f"第{number}行：日期无效，应为 YYYY-MM-DD 格式的真实日期"))
            continue
        if end < start:
            errors.append(LineError(number, f"第{number}行：结束日期早于开始日期"))
            continue
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            errors.append(LineError(number, f"第{number}行：连续放假不应超过{MAX_RANGE_DAYS}天"))
            continue
        kind = KIND_WORDS[match["kind"]]
        if kind == "adjusted_workday" and end != start:
            errors.append(LineError(number, f"第{number}行：调休上班日请逐日填写，每行一天"))
            continue
        name = match["name"].strip()
        if len(name) > MAX_NAME_LENGTH or not re.search(r"[\u4e00-\u9fff]", name):
            errors.append(LineError(number, f"第{number}行：节日名称应为中文，且不超过{MAX_NAME_LENGTH}个字"))
            continue
        days.extend(NoticeDay(start + timedelta(days=i), kind, name, number) for i in range((end - start).days + 1))
    return days, errors


def validate_notice_days(year: int, days: Iterable[NoticeDay]) -> list[LineError]:
    """Rules a notice of ``year`` must follow; an empty list means it may be published."""
    days = list(days)
    errors: list[LineError] = []
    if not days:
        return [LineError(0, "通知内容为空：请至少录入一天放假安排")]
    seen: dict[date, int] = {}
    for d in days:
        allowed = d.day.year == year or (d.day.year == year - 1 and d.day.month == 12) or (d.day.year == year + 1 and d.day.month == 1)  # noqa: PLR2004
        where = f"第{d.line}行" if d.line else f"{d.day.isoformat()}"
        if not allowed:
            errors.append(LineError(d.line, f"{where}：日期 {d.day.isoformat()} 不在{year}年内（仅允许相邻的{year - 1}年12月或{year + 1}年1月）"))
        if d.day in seen:
            first = seen[d.day]
            errors.append(LineError(d.line, f"{where}：日期 {d.day.isoformat()} 重复" + (f"（已见于第{first}行）" if first else "")))
        else:
            seen[d.day] = d.line
        if d.kind == "adjusted_workday" and d.day.weekday() < 5:  # noqa: PLR2004
            errors.append(LineError(d.line, f"{where}：调休上班日 {d.day.isoformat()} 是{weekday_label(d.day)}，调休上班日必须是周六或周日"))
    holiday_names = {d.name for d in days if d.kind == "holiday"}
    for name in sorted(holiday_names):
        if all(d.day.weekday() >= 5 for d in days if d.kind == "holiday" and d.name == name):  # noqa: PLR2004
            line = min(d.line for d in days if d.kind == "holiday" and d.name == name)
            errors.append(LineError(line, f"第{line}行：“{name}”的放假日全部是周末，不构成节假日安排，请核对"))
    errors.extend(
        LineError(d.line, f"第{d.line}行：调休上班日对应的“{d.name}”没有放假安排") for d in days if d.kind == "adjusted_workday" and d.name not in holiday_names
    )
    return sorted(errors, key=lambda e: e.line)


def format_notice_days(days: Iterable[NoticeDay]) -> str:
    """Text form of a notice (ranges of consecutive holidays folded), for the edit form."""
    lines: list[str] = []
    ordered = sorted(days, key=lambda d: d.day)
    i = 0
    while i < len(ordered):
        d = ordered[i]
        j = i
        if d.kind == "holiday":
            while (
                j + 1 < len(ordered)
                and ordered[j + 1].kind == "holiday"
                and ordered[j + 1].name == d.name
                and ordered[j + 1].day == ordered[j].day + timedelta(days=1)
            ):
                j += 1
        span = d.day.isoformat() if j == i else f"{d.day.isoformat()} 至 {ordered[j].day.isoformat()}"
        lines.append(f"{span} {d.name} {KIND_TITLES[d.kind][-2:]}")
        i = j + 1
    return "\n".join(lines)
