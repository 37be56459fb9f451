"""A licence as an A4 PDF (fpdf2): Chinese text, the issuer's drawn red seal, a QR code to the check page.

Pure: takes a ``LicencePrint`` and the CJK fonts, returns bytes. The PDF is a rendering of the
signed JSON (the authoritative form); it prints the identifier and the SM3 of the signed bytes so
the two can be matched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

SEAL_RED = (205, 25, 25)
GOLD = (176, 134, 52)
MARGIN = 16.0
SEAL_RADIUS = 21.0
QR_MM = 30.0


@dataclass(frozen=True)
class LicencePrint:
    """Everything printed on a licence (ID numbers already masked where they must be)."""

    type_name: str
    identifier: str
    number_title: str
    number: str
    holder_name: str
    holder_id_type: str
    holder_id: str
    rows: tuple[tuple[str, str], ...]
    issuer_name: str
    issued_on: date
    validity_title: str
    valid_from: date
    valid_until: date | None
    status_title: str
    trust_level: str
    version: int
    document_sm3: str
    verify_url: str


def chinese_date(value: date) -> str:
    """2026年11月27日."""
    return f"{value.year}年{value.month}月{value.day}日"


def validity_text(valid_from: date, valid_until: date | None) -> str:
    """自2026年1月1日至2031年12月31日 / 自2026年1月1日起长期有效."""
    if valid_until is None:
        return f"自{chinese_date(valid_from)}起长期有效"
    return f"自{chinese_date(valid_from)}至{chinese_date(valid_until)}"


def _draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make(url, error="m")
    rows = [list(row) for row in qr.matrix]
    quiet = 2
    step = size / (len(rows) + 2 * quiet)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + (start + quiet) * step, y + (r + quiet) * step, (c - start) * step, step, style="F")
            else:
                c += 1


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.382
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def draw_seal(pdf: FPDF, cx: float, cy: float, organisation: str, caption: str = "电子证照专用章") -> None:
    """A round official seal: red rim, the organisation's name along the upper arc, a star, the caption."""
    pdf.set_draw_color(*SEAL_RED)
    pdf.set_fill_color(*SEAL_RED)
    pdf.set_text_color(*SEAL_RED)
    pdf.set_line_width(1.1)
    pdf.circle(x=cx, y=cy, radius=SEAL_RADIUS, style="D")
    pdf.set_line_width(0.3)
    pdf.circle(x=cx, y=cy, radius=SEAL_RADIUS - 1.6, style="D")
    pdf.polygon(_star(cx, cy, SEAL_RADIUS * 0.3), style="F")
    # The name runs clockwise over ~240° of the upper arc, each character turned to face outwards.
    chars = list(organisation)
    span = min(250.0, 24.0 * len(chars))
    font_size = 10.5 if len(chars) <= 12 else 9.0  # noqa: PLR2004
    pdf.set_font("cjk", style="B", size=font_size)
    text_radius = SEAL_RADIUS - 5.2
    for i, ch in enumerate(chars):
        angle = -span / 2 + (span * (i + 0.5) / len(chars))  # degrees from 12 o'clock, clockwise
        rad = math.radians(angle)
        x = cx + text_radius * math.sin(rad)
        y = cy - text_radius * math.cos(rad)
        width = pdf.get_string_width(ch)
        with pdf.rotation(-angle, x=x, y=y):
            pdf.text(x - width / 2, y + font_size * 0.35 / 2.83, ch)
    pdf.set_font("cjk", size=7.5)
    caption_w = pdf.get_string_width(caption)
    pdf.text(cx - caption_w / 2, cy + SEAL_RADIUS * 0.62, caption)
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)


def _border(pdf: FPDF) -> None:
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(1.6)
    pdf.rect(MARGIN - 6, MARGIN - 6, pdf.w - 2 * (MARGIN - 6), pdf.h - 2 * (MARGIN - 6))
    pdf.set_line_width(0.4)
    pdf.rect(MARGIN - 3.5, MARGIN - 3.5, pdf.w - 2 * (MARGIN - 3.5), pdf.h - 2 * (MARGIN - 3.5))
    pdf.set_draw_color(0, 0, 0)


def render_licence_pdf(content: LicencePrint, fonts: tuple[tuple[Path, int], tuple[Path, int]]) -> bytes:
    """The licence as PDF bytes."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"{content.type_name} {content.number}")
    pdf.set_author(content.issuer_name)
    pdf.set_creator("陇政通 LongGov 电子证照")
    pdf.set_lang("zh-CN")
    (regular, regular_index), (bold, bold_index) = fonts
    pdf.add_font("cjk", fname=str(regular), collection_font_number=regular_index)
    pdf.add_font("cjk", style="B", fname=str(bold), collection_font_number=bold_index)
    pdf.set_margins(MARGIN + 4, MARGIN + 4, MARGIN + 4)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    _border(pdf)

    pdf.set_y(MARGIN + 8)
    pdf.set_font("cjk", style="B", size=26)
    pdf.set_text_color(*SEAL_RED)
    pdf.cell(0, 14, content.type_name, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(90, 90, 90)
    pdf.set_font("cjk", size=8.5)
    pdf.cell(0, 5, f"电子证照标识：{content.identifier}", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(5)

    rows: list[tuple[str, str]] = [
        (content.number_title, content.number),
        ("持证主体", content.holder_name),
        (content.holder_id_type, content.holder_id),
        *content.rows,
        (content.validity_title, validity_text(content.valid_from, content.valid_until)),
        ("证照状态", f"{content.status_title}（第{content.version}版，可信等级{content.trust_level}级）"),
    ]
    pdf.set_font("cjk", size=11)
    pdf.set_draw_color(150, 150, 150)
    with pdf.table(col_widths=(42, 124), text_align=("CENTER", "LEFT"), line_height=7.2, first_row_as_headings=False, wrapmode=WrapMode.CHAR) as table:
        for label, value in rows:
            table.row((label, value or "—"))

    bottom = pdf.h - MARGIN - 8
    top = max(pdf.get_y() + 8, bottom - 58)
    # Bottom left: QR to the public check page.
    _draw_qr(pdf, content.verify_url, MARGIN + 2, top + 10, QR_MM)
    pdf.set_font("cjk", size=7.5)
    pdf.set_xy(MARGIN + 2, top + 10 + QR_MM)
    pdf.cell(QR_MM, 4, "扫码核验证照状态", align=Align.C)
    # Bottom right: issuer, date and the seal over them.
    block_w = 80.0
    right = pdf.w - MARGIN - 4
    pdf.set_font("cjk", size=13)
    pdf.set_xy(right - block_w, top + 16)
    pdf.cell(block_w, 8, content.issuer_name, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.cell(block_w, 8, f"发证日期：{chinese_date(content.issued_on)}", align=Align.C)
    draw_seal(pdf, right - block_w / 2, top + 22, content.issuer_name)

    pdf.set_font("cjk", size=7)
    pdf.set_text_color(110, 110, 110)
    pdf.set_xy(MARGIN + 2, pdf.h - MARGIN - 4)
    pdf.cell(0, 3.5, f"本证照由颁发机构以SM2电子印章签名，签名数据SM3：{content.document_sm3}", align=Align.L)
    pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())
