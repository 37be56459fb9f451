"""Rendering one document as an A4 PDF (fpdf2, CJK font embedded as a subset, vector QR code).

Pure: takes a ``DocumentContent`` and returns bytes; it knows nothing of the database.
Layout follows the usual shape of a Chinese administrative document: issuing organisation and title
centred, the number right-aligned, addressee, body with two-character indents, QR bottom left and
the organisation with its seal area and the date bottom right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import segno
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

from longgov.documents.schemas import KIND_TITLES, DocumentKind
from longgov.kernel.fonts import CjkFonts

INDENT = "\u3000\u3000"
BODY_PT = 14
LINE_MM = 8.2
LEFT_MM, RIGHT_MM, TOP_MM, BOTTOM_MM = 28.0, 26.0, 30.0, 24.0
CLOSING_BLOCK_MM = 62.0  # QR + seal area + date must stay together on one page
QR_MM = 30.0
SEAL_RADIUS_MM = 19.0
SEAL_RED = (200, 30, 30)


@dataclass(frozen=True)
class Material:
    """One line of a correction notice."""

    name: str
    reason: str


@dataclass(frozen=True)
class DocumentContent:
    """Everything printed on a document (ID numbers already masked)."""

    kind: DocumentKind
    organisation_name: str
    number: str
    applicant_name: str
    applicant_label: str  # 申请人 | 申请单位
    applicant_id_label: str  # 身份证号码 | 统一社会信用代码
    applicant_id_display: str | None
    application_number: str
    item_name: str
    submitted_on: date | None
    issued_on: date
    legal_basis: str
    verify_url: str
    check_code: str
    reasons: tuple[str, ...] = ()
    materials: tuple[Material, ...] = ()
    correction_days: int | None = None
    time_limit_days: int | None = None
    decision_content: str | None = None
    validity: str | None = None
    review_authority: str | None = None
    court: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The document's title (受理通知书 …)."""
        return KIND_TITLES[self.kind]


def chinese_date(value: date) -> str:
    """2026年11月27日 (Arabic numerals, as GB/T 9704 prescribes for dates)."""
    return f"{value.year}年{value.month}月{value.day}日"


def _submitted(content: DocumentContent) -> str:
    return f"于{chinese_date(content.submitted_on)}" if content.submitted_on else ""


def _remedies(content: DocumentContent, what: str) -> str:
    review = content.review_authority or "有管辖权的行政复议机关"
    court = content.court or "有管辖权的人民法院"
    return f"{INDENT}如对本{what}不服，可以自收到本{what}之日起六十日内向{review}申请行政复议，也可以自收到本{what}之日起六个月内依法向{court}提起行政诉讼。"


def body_paragraphs(content: DocumentContent) -> list[str]:
    """The body text of a document, one string per paragraph (numbered lists are separate items)."""
    who = "你（单位）"
    applied = f"{who}{_submitted(content)}提出的“{content.item_name}”申请（申请编号：{content.application_number}）"
    basis = content.legal_basis
    kind = content.kind
    paragraphs: list[str] = []
    if kind is DocumentKind.Acceptance:
        paragraphs.append(f"{INDENT}{applied}，申请材料齐全，符合法定形式。根据{basis}的规定，本机关决定予以受理。")
        if content.time_limit_days:
            paragraphs.append(
                f"{INDENT}本机关将自受理之日起{content.time_limit_days}个工作日内作出行政许可决定；"
                "依法需要听证、检验、检测、鉴定或者专家评审的，所需时间不计算在上述期限内。",
            )
        paragraphs.append(f"{INDENT}办理进度可凭申请编号在甘快办、陇商通或政务服务大厅查询。")
    elif kind is DocumentKind.Refusal:
        paragraphs.append(f"{INDENT}{applied}，经审查，不符合受理条件，理由如下：")
        paragraphs.extend(f"{INDENT}{i}. {reason}" for i, reason in enumerate(content.reasons, 1))
        paragraphs.append(f"{INDENT}根据{basis}的规定，本机关决定不予受理。")
        paragraphs.append(_remedies(content, "通知"))
    elif kind is DocumentKind.Correction:
        paragraphs.append(
            f"{INDENT}{applied}，经审查，申请材料不齐全或者不符合法定形式。根据{basis}的规定，现将需要补正的全部内容一次性告知如下：",
        )
        days = f"自收到本通知书之日起{content.correction_days}日内" if content.correction_days else "尽快"
        paragraphs.append(
            f"{INDENT}请{days}按上述要求补正全部材料。补正材料齐全、符合法定形式的，本机关将依法予以受理；逾期未补正的，视为放弃本次申请，可重新提出申请。",
        )
    elif kind is DocumentKind.Grant:
        paragraphs.append(f"{INDENT}{applied}，经审查，符合法定条件和标准。根据{basis}的规定，本机关决定准予行政许可。")
        if content.decision_content:
            paragraphs.append(f"{INDENT}许可内容：{content.decision_content}")
        if content.validity:
            paragraphs.append(f"{INDENT}有效期限：{content.validity}")
        paragraphs.append(f"{INDENT}请在许可范围内依法从事相关活动，并接受有关部门的监督检查。")
    elif kind is DocumentKind.Denial:
        paragraphs.append(f"{INDENT}{applied}，经审查，不符合法定条件和标准，理由如下：")
        paragraphs.extend(f"{INDENT}{i}. {reason}" for i, reason in enumerate(content.reasons, 1))
        paragraphs.append(f"{INDENT}根据{basis}的规定，本机关决定不予行政许可。")
        paragraphs.append(_remedies(content, "决定"))
    return paragraphs


class _DocumentPdf(FPDF):
    """FPDF with the platform's footer (verification hint and page number)."""

    verify_url = ""

    def footer(self) -> None:
        self.set_y(-18)
        self.set_font("cjk", size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 4, "本文书经SM2数字签名，可扫描二维码或访问下列地址核验真伪：", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=7)
        self.cell(0, 4, self.verify_url, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=8)
        self.cell(0, 4, f"— {self.page_no()} —", align=Align.C)
        self.set_text_color(0, 0, 0)


def _draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code as filled rectangles (vector, no image library); runs of dark modules merged."""
    qr = segno.make(url, error="m")
    rows = [list(row) for row in qr.matrix]
    quiet = 2
    modules = len(rows) + 2 * quiet
    step = size / modules
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


def _info_table(pdf: FPDF, content: DocumentContent) -> None:
    rows = [(content.applicant_label, content.applicant_name)]
    if content.applicant_id_display:
        rows.append((content.applicant_id_label, content.applicant_id_display))
    rows += [("申请事项", content.item_name), ("申请编号", content.application_number)]
    if content.submitted_on:
        rows.append(("申请日期", chinese_date(content.submitted_on)))
    pdf.set_font("cjk", size=11)
    pdf.set_draw_color(120, 120, 120)
    with pdf.table(col_widths=(28, 128), text_align=("CENTER", "LEFT"), line_height=7, first_row_as_headings=False, wrapmode=WrapMode.CHAR) as table:
        for label, value in rows:
            table.row((label, value))
    pdf.ln(4)


def _materials_table(pdf: FPDF, materials: tuple[Material, ...]) -> None:
    pdf.set_font("cjk", size=11)
    with pdf.table(col_widths=(12, 56, 88), text_align=("CENTER", "LEFT", "LEFT"), line_height=7, wrapmode=WrapMode.CHAR) as table:
        table.row(("序号", "材料名称", "需要补正的内容及理由"))
        for i, m in enumerate(materials, 1):
            table.row((str(i), m.name, m.reason))
    pdf.ln(3)


def _closing_block(pdf: FPDF, content: DocumentContent) -> None:
    if pdf.get_y() + CLOSING_BLOCK_MM > pdf.h - BOTTOM_MM:
        pdf.add_page()
    top = pdf.get_y() + 8
    # Bottom left: the QR code and how to use it.
    _draw_qr(pdf, content.verify_url, LEFT_MM - 2, top, QR_MM)
    pdf.set_xy(LEFT_MM - 2, top + QR_MM)
    pdf.set_font("cjk", size=8)
    pdf.cell(QR_MM, 4, "扫码核验真伪", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.cell(QR_MM, 4, f"核验码 {content.check_code}", align=Align.C)
    # Bottom right: organisation, seal area, date — the seal placeholder overlaps them as a real seal would.
    right_edge = pdf.w - RIGHT_MM
    block_w = 80.0
    centre_x = right_edge - block_w / 2
    pdf.set_font("cjk", size=BODY_PT)
    pdf.set_xy(right_edge - block_w, top + 8)
    pdf.cell(block_w, LINE_MM, content.organisation_name, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.cell(block_w, LINE_MM, "（印章）", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.cell(block_w, LINE_MM, chinese_date(content.issued_on), align=Align.C)
    pdf.set_draw_color(*SEAL_RED)
    pdf.set_line_width(0.4)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=1.5, gap=1.2)
        pdf.circle(x=centre_x, y=top + 8 + LINE_MM * 1.5, radius=SEAL_RADIUS_MM, style="D")
    pdf.set_draw_color(0, 0, 0)


def render_pdf(content: DocumentContent, fonts: CjkFonts) -> bytes:
    """The document as PDF bytes."""
    pdf = _DocumentPdf(orientation="portrait", unit="mm", format="A4")
    pdf.verify_url = content.verify_url
    pdf.set_title(f"{content.title} {content.number}")
    pdf.set_author(content.organisation_name)
    pdf.set_creator("陇政通 LongGov")
    pdf.set_lang("zh-CN")
    pdf.add_font("cjk", fname=str(fonts.regular.path), collection_font_number=fonts.regular.index)
    pdf.add_font("cjk", style="B", fname=str(fonts.bold.path), collection_font_number=fonts.bold.index)
    pdf.set_margins(LEFT_MM, TOP_MM, RIGHT_MM)
    pdf.set_auto_page_break(auto=True, margin=BOTTOM_MM)
    pdf.add_page()

    pdf.set_font("cjk", style="B", size=20)
    pdf.multi_cell(0, 11, content.organisation_name, align=Align.C, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", style="B", size=22)
    pdf.cell(0, 14, content.title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 9, content.number, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*SEAL_RED)
    pdf.set_line_width(0.6)
    pdf.line(LEFT_MM, pdf.get_y() + 1, pdf.w - RIGHT_MM, pdf.get_y() + 1)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(6)

    _info_table(pdf, content)

    pdf.set_font("cjk", size=BODY_PT)
    pdf.multi_cell(0, LINE_MM, f"{content.applicant_name}：", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    paragraphs = body_paragraphs(content)
    for i, paragraph in enumerate(paragraphs):
        pdf.set_font("cjk", size=BODY_PT)
        pdf.multi_cell(0, LINE_MM, paragraph, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if content.kind is DocumentKind.Correction and i == 0:
            _materials_table(pdf, content.materials)
    pdf.ln(2)
    pdf.set_font("cjk", size=BODY_PT)
    pdf.multi_cell(0, LINE_MM, f"{INDENT}特此通知。" if "通知书" in content.title else f"{INDENT}特此决定。", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _closing_block(pdf, content)
    return bytes(pdf.output())
