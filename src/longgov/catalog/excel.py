"""Excel exchange format of the catalogue: sheet 事项 (one row per item) and sheet 材料 (one row per material).

Reading validates every row before anything is written; errors name the sheet and row in Chinese.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from pydantic import ValidationError

from longgov.catalog.schemas import CHANNEL_TITLES, PROCESS_TITLES, REPLACED_BY_TITLES, ItemContent, ItemView

ITEM_SHEET = "事项"
MATERIAL_SHEET = "材料"
ITEM_COLUMNS = (
    "实施编码",
    "基本编码",
    "实施机构代码",
    "实施机构",
    "事项名称",
    "事项类型",
    "设定依据",
    "受理条件",
    "法定时限（工作日）",
    "承诺时限（工作日）",
    "办件类型",
    "跑动次数",
    "办理渠道",
    "收费",
    "别名",
    "关键词",
    "简介",
    "办理结果",
    "备注",
)
# An optional last column (workbooks exported before it existed still import): 联审 co-reviewing department kinds.
CO_REVIEWERS_COLUMN = "联审部门"
MATERIAL_COLUMNS = ("实施编码", "材料名称", "材料形式", "份数", "是否必需", "可免提交", "说明")
# Optional (older templates lack them): what replaces the material (X1) and the licence type's key.
MATERIAL_EXTRA_COLUMNS = ("替代方式", "证照类型")
_REPLACED_BY_BY_TITLE = {v: k for k, v in REPLACED_BY_TITLES.items()}
_CHANNEL_BY_TITLE = {v: k for k, v in CHANNEL_TITLES.items()}
_PROCESS_BY_TITLE = {v: k for k, v in PROCESS_TITLES.items()}
_YES, _NO = "是", "否"
MAX_ROWS = 5000


@dataclass
class ParsedRow:
    """One item read from the workbook."""

    row: int
    code: str
    basic_code: str
    organisation_code: str
    content: ItemContent


@dataclass
class ParsedWorkbook:
    """Everything read from a workbook, or the errors that stop it being imported."""

    items: list[ParsedRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class BadWorkbook(ValueError):
    """The file is not a catalogue workbook at all."""


def _lines(values: list[str]) -> str:
    return "\n".join(values)


def write_workbook(items: list[ItemView]) -> bytes:
    """The published catalogue as an .xlsx file."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = ITEM_SHEET
    sheet.append((*ITEM_COLUMNS, CO_REVIEWERS_COLUMN))
    materials = book.create_sheet(MATERIAL_SHEET)
    materials.append((*MATERIAL_COLUMNS, *MATERIAL_EXTRA_COLUMNS))
    for item in items:
        c = item.content
        sheet.append(
            [
                item.code,
                item.basic_code,
                item.organisation_code,
                item.department,
                c.name,
                c.item_type,
                _lines(c.legal_basis),
                c.conditions,
                c.statutory_days,
                c.promised_days,
                PROCESS_TITLES[c.process_type],
                c.visits,
                "、".join(CHANNEL_TITLES[ch] for ch in c.channels),
                json.dumps([f.model_dump() for f in c.fees], ensure_ascii=False) if c.fees else "",
                "、".join(c.aliases),
                "、".join(c.keywords),
                c.summary,
                c.result,
                c.note,
                "、".join(c.co_reviewing_departments),
            ]
        )
        for m in c.materials:
            materials.append(
                [
                    item.code,
                    m.name,
                    m.form,
                    m.count,
                    _YES if m.required else _NO,
                    _YES if m.replaceable else _NO,
                    m.note,
                    REPLACED_BY_TITLES[m.replaced_by] if m.replaced_by else "",
                    m.licence_type or "",
                ]
            )
    for ws in (sheet, materials):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: Any) -> str:  # noqa: ANN401 - a cell value
    return "" if value is None else str(value).strip()


def _split(value: Any) -> list[str]:  # noqa: ANN401
    return [part.strip() for part in _text(value).replace(",", "、").replace("，", "、").split("、") if part.strip()]


def _flag(value: Any, row_errors: list[str], label: str) -> bool:  # noqa: ANN401
    text = _text(value)
    if text not in {_YES, _NO}:
        row_errors.append(f"“{label}”应填写“是”或“否”")
    return text == _YES


def _int(value: Any, row_errors: list[str], label: str) -> int:  # noqa: ANN401
    text = _text(value)
    try:
        return int(float(text))
    except ValueError:
        row_errors.append(f"“{label}”应为整数")
        return 0


def _explain(exc: ValidationError) -> str:
    names = {
        "name": "事项名称",
        "item_type": "事项类型",
        "legal_basis": "设定依据",
        "conditions": "受理条件",
        "materials": "申请材料",
        "statutory_days": "法定时限",
        "promised_days": "承诺时限",
        "fees": "收费",
        "visits": "跑动次数",
    }
    parts = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        label = "、".join(names.get(x, x) for x in loc[:1]) if loc else ""
        message = "承诺时限不得超过法定时限" if "承诺时限" in err["msg"] else "内容缺失或不符合要求"
        parts.append(f"{label}{message}" if label else message)
    return "；".join(parts)


def read_workbook(data: bytes) -> ParsedWorkbook:  # noqa: C901, PLR0912, PLR0915 - one pass over two sheets with per-cell checks
    """Parse and validate a catalogue workbook; nothing is imported if ``errors`` is not empty."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for non-xlsx input
        raise BadWorkbook("文件不是有效的 Excel（.xlsx）工作簿") from exc
    if ITEM_SHEET not in book.sheetnames or MATERIAL_SHEET not in book.sheetnames:
        raise BadWorkbook(f"工作簿须包含“{ITEM_SHEET}”和“{MATERIAL_SHEET}”两个工作表")
    item_rows = list(book[ITEM_SHEET].iter_rows(values_only=True))
    material_rows = list(book[MATERIAL_SHEET].iter_rows(values_only=True))
    if not item_rows or tuple(_text(v) for v in item_rows[0][: len(ITEM_COLUMNS)]) != ITEM_COLUMNS:
        raise BadWorkbook(f"“{ITEM_SHEET}”工作表的表头与导出模板不一致")
    if not material_rows or tuple(_text(v) for v in material_rows[0][: len(MATERIAL_COLUMNS)]) != MATERIAL_COLUMNS:
        raise BadWorkbook(f"“{MATERIAL_SHEET}”工作表的表头与导出模板不一致")
    if len(item_rows) + len(material_rows) > MAX_ROWS:
        raise BadWorkbook(f"一次最多导入 {MAX_ROWS} 行")
    result = ParsedWorkbook()
    materials: dict[str, list[dict[str, Any]]] = {}
    for number, raw in enumerate(material_rows[1:], start=2):
        values = list(raw) + [None] * (len(MATERIAL_COLUMNS) + len(MATERIAL_EXTRA_COLUMNS) - len(raw))
        if not any(_text(v) for v in values):
            continue
        errors: list[str] = []
        code = _text(values[0])
        material = {
            "name": _text(values[1]),
            "form": _text(values[2]),
            "count": _int(values[3], errors, "份数"),
            "required": _flag(values[4], errors, "是否必需"),
            "replaceable": _flag(values[5], errors, "可免提交"),
            "note": _text(values[6]),
        }
        replaced_by = _text(values[7])
        if replaced_by:
            if replaced_by not in _REPLACED_BY_BY_TITLE:
                errors.append(f"替代方式应为{'、'.join(REPLACED_BY_TITLES.values())}之一")
            material["replaced_by"] = _REPLACED_BY_BY_TITLE.get(replaced_by)
        if _text(values[8]):
            material["licence_type"] = _text(values[8])
        if not code:
            errors.append("缺少实施编码")
        if not material["name"]:
            errors.append("缺少材料名称")
        if material["form"] not in {"原件", "复印件", "电子件"}:
            errors.append("材料形式应为原件、复印件或电子件")
        if errors:
            result.errors.append(f"{MATERIAL_SHEET}第{number}行：{'；'.join(errors)}")
        materials.setdefault(code, []).append(material)
    seen: set[str] = set()
    for number, raw in enumerate(item_rows[1:], start=2):
        values = list(raw) + [None] * (len(ITEM_COLUMNS) + 1 - len(raw))
        if not any(_text(v) for v in values):
            continue
        errors = []
        code = _text(values[0])
        if code in seen:
            errors.append("实施编码重复")
        seen.add(code)
        channels = []
        for title in _split(values[12]):
            if title not in _CHANNEL_BY_TITLE:
                errors.append(f"未知的办理渠道“{title}”")
            else:
                channels.append(_CHANNEL_BY_TITLE[title])
        process = _PROCESS_BY_TITLE.get(_text(values[10]))
        if process is None:
            errors.append("办件类型应为即办件、承诺件或联审件")
        fees: list[Any] = []
        if _text(values[13]):
            try:
                fees = json.loads(_text(values[13]))
            except ValueError:
                errors.append("收费一栏格式不正确")
        body = {
            "name": _text(values[4]),
            "item_type": _text(values[5]),
            "legal_basis": [line.strip() for line in _text(values[6]).splitlines() if line.strip()],
            "conditions": _text(values[7]),
            "materials": materials.get(code, []),
            "statutory_days": _int(values[8], errors, "法定时限"),
            "promised_days": _int(values[9], errors, "承诺时限"),
            "fees": fees,
            "channels": channels,
            "visits": _int(values[11], errors, "跑动次数"),
            "process_type": process or "promised",
            "aliases": _split(values[14]),
            "keywords": _split(values[15]),
            "summary": _text(values[16]),
            "result": _text(values[17]),
            "note": _text(values[18]),
            "co_reviewing_departments": _split(values[19]),
        }
        content = None
        try:
            content = ItemContent.model_validate(body)
        except ValidationError as exc:
            errors.append(_explain(exc))
        if not _text(values[1]):
            errors.append("缺少基本编码")
        if not _text(values[2]):
            errors.append("缺少实施机构代码")
        if errors or content is None:
            result.errors.append(f"{ITEM_SHEET}第{number}行：{'；'.join(errors)}")
            continue
        result.items.append(ParsedRow(number, code, _text(values[1]), _text(values[2]), content))
    for code in set(materials) - seen:
        result.errors.append(f"{MATERIAL_SHEET}：实施编码“{code}”在“{ITEM_SHEET}”工作表中不存在")
    if not result.items and not result.errors:
        result.errors.append(f"“{ITEM_SHEET}”工作表没有数据")
    return result
