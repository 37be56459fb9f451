"""Reading a department's existing licence register (CSV or Excel .xlsx) into checked rows.

Columns are named by their Chinese title or their key: the common ones (``证照编号`` or the type's
own number title such as ``许可证编号``, ``持证主体名称``, ``持证主体证件号码``, ``持证主体类型`` when
the type may be held by persons and enterprises, ``颁发日期``, ``有效期起``, ``有效期至``) and the
type's data items (``统一社会信用代码``, ``经营场所`` …). Every problem is reported with its row
(the header is row 1) and field; a row with a problem is not imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from longgov.identity import services as identity
from longgov.licences.catalogue import HolderKind, LicenceType
from longgov.licences.schemas import ImportRowError

MAX_ROWS = 200_000
MAX_NAME = 200
MAX_NUMBER = 60
MAX_VALUE = 2000
LONG_TERM = {"长期", "长期有效", "永久", "无固定期限"}
_KIND_WORDS: dict[str, HolderKind] = {
    "person": "person",
    "自然人": "person",
    "个人": "person",
    "enterprise": "enterprise",
    "法人": "enterprise",
    "企业": "enterprise",
}


class RegisterUnreadable(ValueError):
    """The file is not a CSV or .xlsx register this importer can read."""


@dataclass(frozen=True)
class RegisterRow:
    """One valid row: everything needed to issue the licence."""

    row: int
    number: str
    holder_kind: HolderKind
    holder_name: str
    holder_id_number: str
    issued_on: date
    valid_from: date
    valid_until: date | None
    fields: dict[str, str]


def common_columns(licence_type: LicenceType) -> dict[str, tuple[str, ...]]:
    """Key → accepted header names of the columns every register has."""
    return {
        "number": ("number", "证照编号", licence_type.number_title),
        "holder_name": ("holder_name", "持证主体名称", "持证主体", "持证人"),
        "holder_id_number": ("holder_id_number", "持证主体证件号码", "持证主体代码", "证件号码"),
        "holder_kind": ("holder_kind", "持证主体类型"),
        "issued_on": ("issued_on", "颁发日期", "发证日期"),
        "valid_from": ("valid_from", "有效期起", "有效期自"),
        "valid_until": ("valid_until", "有效期至", "有效期止"),
    }


def column_titles(licence_type: LicenceType) -> list[str]:
    """The header of a template register for a type (Chinese titles)."""
    titles = [licence_type.number_title, "持证主体名称", "持证主体证件号码"]
    if len(licence_type.holder_kinds) > 1:
        titles.append("持证主体类型")
    titles += ["颁发日期", "有效期起", "有效期至"]
    return titles + [f.title for f in licence_type.fields]


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    msg = "CSV 文件编码无法识别（请使用 UTF-8 或 GB18030）"
    raise RegisterUnreadable(msg)


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    yield from csv.reader(io.StringIO(_decode_csv(data), newline=""))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # noqa: PLC0415 - only imports need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        msg = "Excel 文件无法读取（请使用 .xlsx 格式）"
        raise RegisterUnreadable(msg) from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        workbook.close()


def read_table(data: bytes, filename: str) -> Iterator[list[str]]:
    """Rows of cells (header first) of a CSV or .xlsx file."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(data)
    if name.endswith((".csv", ".txt")):
        return _csv_rows(data)
    msg = "仅支持 CSV（.csv）和 Excel（.xlsx）文件"
    raise RegisterUnreadable(msg)


@dataclass(frozen=True)
class Header:
    """Which column holds which key; unknown columns are listed."""

    positions: dict[str, int]
    unknown: list[str]


def map_header(cells: list[str], licence_type: LicenceType) -> Header:
    """Column positions by key, from a header row of titles or keys."""
    names: dict[str, str] = {}
    for key, accepted in common_columns(licence_type).items():
        for name in accepted:
            names[name] = key
    for spec in licence_type.fields:
        names[spec.title] = f"field:{spec.key}"
        names[spec.key] = f"field:{spec.key}"
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, raw in enumerate(cells):
        title = raw.strip()
        if not title:
            continue
        column = names.get(title)
        if column is None:
            unknown.append(title)
        elif column not in positions:
            positions[column] = index
    return Header(positions, unknown)


def header_errors(header: Header, licence_type: LicenceType) -> list[ImportRowError]:
    """Missing required columns (reported on row 1)."""
    titles = {"number": licence_type.number_title, "holder_name": "持证主体名称", "holder_id_number": "持证主体证件号码", "issued_on": "颁发日期"}
    errors = [ImportRowError(row=1, field=title, message=f"缺少“{title}”列") for key, title in titles.items() if key not in header.positions]
    errors += [
        ImportRowError(row=1, field=spec.title, message=f"缺少“{spec.title}”列")
        for spec in licence_type.fields
        if spec.required and f"field:{spec.key}" not in header.positions
    ]
    if len(licence_type.holder_kinds) > 1 and "holder_kind" not in header.positions:
        errors.append(ImportRowError(row=1, field="持证主体类型", message="缺少“持证主体类型”列（自然人或法人）"))
    return errors


def parse_date(value: str) -> date | None:
    """2026-11-27, 2026/11/27, 2026.11.27, 20261127 or 2026年11月27日; None when unreadable."""
    text = value.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    if len(text) == 8 and text.isdigit():  # noqa: PLR2004
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):  # noqa: PLR2004
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def check_field(kind: str, value: str) -> tuple[str, str | None]:
    """Normalised value and the Chinese problem of one data item (None when fine)."""
    if kind == "date":
        parsed = parse_date(value)
        return (parsed.isoformat(), None) if parsed else (value, "日期格式错误，应为 YYYY-MM-DD")
    if kind in {"uscc", "resident_id"}:
        code = value.strip().upper()
        check = identity.validate_code("uscc" if kind == "uscc" else "id_number", code)
        return code, None if check.valid else check.message
    return value, None


def holder_id_problem(kind: HolderKind, value: str) -> tuple[str, str | None]:
    """Normalised holder ID number and its problem."""
    return check_field("resident_id" if kind == "person" else "uscc", value)


class RowChecker:
    """Turns one register row into a :class:`RegisterRow` or its errors."""

    def __init__(self, licence_type: LicenceType, header: Header) -> None:
        self.type = licence_type
        self.header = header

    def _get(self, cells: list[str], key: str) -> str:
        index = self.header.positions.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def _holder_kind(self, cells: list[str], errors: list[ImportRowError], row: int) -> HolderKind:
        if len(self.type.holder_kinds) == 1:
            return self.type.holder_kinds[0]
        word = self._get(cells, "holder_kind")
        kind = _KIND_WORDS.get(word)
        if kind is None:
            errors.append(ImportRowError(row=row, field="持证主体类型", message="持证主体类型应为“自然人”或“法人”"))
            return self.type.holder_kinds[0]
        return kind

    def _dates(self, cells: list[str], errors: list[ImportRowError], row: int) -> tuple[date, date, date | None]:
        issued_raw = self._get(cells, "issued_on")
        issued = parse_date(issued_raw) if issued_raw else None
        if issued is None:
            errors.append(ImportRowError(row=row, field="颁发日期", message="颁发日期为空或格式错误，应为 YYYY-MM-DD"))
            issued = date.min
        from_raw = self._get(cells, "valid_from")
        valid_from = parse_date(from_raw) if from_raw else issued
        if valid_from is None:
            errors.append(ImportRowError(row=row, field="有效期起", message="有效期起始日期格式错误，应为 YYYY-MM-DD"))
            valid_from = issued
        until_raw = self._get(cells, "valid_until")
        valid_until = None if not until_raw or until_raw in LONG_TERM else parse_date(until_raw)
        if until_raw and until_raw not in LONG_TERM and valid_until is None:
            errors.append(ImportRowError(row=row, field="有效期至", message="有效期截止日期格式错误，应为 YYYY-MM-DD 或“长期”"))
        elif valid_until is not None and valid_until < valid_from:
            errors.append(ImportRowError(row=row, field="有效期至", message="有效期截止日期早于起始日期"))
        return issued, valid_from, valid_until

    def _fields(self, cells: list[str], errors: list[ImportRowError], row: int) -> dict[str, str]:
        fields: dict[str, str] = {}
        for spec in self.type.fields:
            value = self._get(cells, f"field:{spec.key}")
            if not value:
                if spec.required:
                    errors.append(ImportRowError(row=row, field=spec.title, message=f"{spec.title}不能为空"))
                continue
            if len(value) > MAX_VALUE:
                errors.append(ImportRowError(row=row, field=spec.title, message=f"{spec.title}不能超过{MAX_VALUE}个字符"))
                continue
            normalised, field_problem = check_field(spec.kind, value)
            if field_problem:
                errors.append(ImportRowError(row=row, field=spec.title, message=field_problem))
            fields[spec.key] = normalised
        return fields

    def check(self, row: int, cells: list[str]) -> RegisterRow | list[ImportRowError]:
        """The row's licence, or every problem it has."""
        errors: list[ImportRowError] = []
        number = self._get(cells, "number")
        if not number:
            errors.append(ImportRowError(row=row, field=self.type.number_title, message=f"{self.type.number_title}不能为空"))
        elif len(number) > MAX_NUMBER:
            errors.append(ImportRowError(row=row, field=self.type.number_title, message=f"{self.type.number_title}不能超过{MAX_NUMBER}个字符"))
        holder_name = self._get(cells, "holder_name")
        if not holder_name or len(holder_name) > MAX_NAME:
            errors.append(ImportRowError(row=row, field="持证主体名称", message=f"持证主体名称不能为空，且不超过{MAX_NAME}个字符"))
        kind = self._holder_kind(cells, errors, row)
        holder_id, problem = holder_id_problem(kind, self._get(cells, "holder_id_number"))
        if problem:
            errors.append(ImportRowError(row=row, field="持证主体证件号码", message=problem))
        issued, valid_from, valid_until = self._dates(cells, errors, row)
        fields = self._fields(cells, errors, row)
        if errors:
            return errors
        return RegisterRow(row, number, kind, holder_name, holder_id, issued, valid_from, valid_until, fields)
