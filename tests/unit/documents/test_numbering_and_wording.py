from datetime import date

import pytest

from longgov.documents.numbering import format_number, organisation_prefix, place_abbreviation
from longgov.documents.pdf import DocumentContent, Material, body_paragraphs, chinese_date
from longgov.documents.schemas import DocumentFields, DocumentKind
from longgov.kernel import fonts
from longgov.kernel.fonts import FontMissing, resolve_fonts


@pytest.mark.parametrize(("place", "short"), [("城关区", "城关"), ("兰州市", "兰州"), ("甘肃省", "甘"), ("临夏回族自治州", "临夏"), ("嘉峪关市", "嘉峪")])
def test_place_abbreviation(place, short):
    assert place_abbreviation(place) == short


def test_number_format():
    prefix = organisation_prefix("城关区", "market_regulation")
    assert format_number(prefix, DocumentKind.Acceptance, 2026, 123) == "城关市监许受〔2026〕第000123号"
    assert format_number(organisation_prefix("兰州市", None), DocumentKind.Denial, 2027, 1) == "兰州政许不准〔2027〕第000001号"


def _content(kind, **kw):
    base = {
        "kind": kind,
        "organisation_name": "兰州市城关区市场监督管理局",
        "number": "城关市监许受〔2026〕第000001号",
        "applicant_name": "张三",
        "applicant_label": "申请人",
        "applicant_id_label": "身份证号码",
        "applicant_id_display": "6201**********1234",
        "application_number": "SQ1",
        "item_name": "食品经营许可",
        "submitted_on": date(2026, 1, 5),
        "issued_on": date(2026, 1, 9),
        "legal_basis": "《中华人民共和国行政许可法》第三十八条",
        "verify_url": "http://x/verify",
        "check_code": "abc",
    }
    return DocumentContent(**{**base, **kw})


def test_denial_states_reasons_and_both_remedies():
    text = "".join(body_paragraphs(_content(DocumentKind.Denial, reasons=("场所不符合要求",), review_authority="兰州市城关区人民政府")))
    assert "1. 场所不符合要求" in text
    assert "六十日内向兰州市城关区人民政府申请行政复议" in text
    assert "六个月内依法向有管辖权的人民法院提起行政诉讼" in text
    assert "不予行政许可" in text


def test_correction_tells_everything_at_once():
    text = "".join(body_paragraphs(_content(DocumentKind.Correction, materials=(Material("身份证", "模糊"),), correction_days=5)))
    assert "一次性告知" in text
    assert "5日内" in text


def test_kind_requirements():
    fields = DocumentFields(organisation_code="x", application_number="1", applicant_name="张三", item_name="事项", legal_basis="依据")
    with pytest.raises(ValueError, match="必须载明理由"):
        fields.check_for(DocumentKind.Denial)
    with pytest.raises(ValueError, match="一次性列明"):
        fields.check_for(DocumentKind.Correction)
    fields.check_for(DocumentKind.Acceptance)


def test_chinese_date():
    assert chinese_date(date(2026, 3, 7)) == "2026年3月7日"


def test_font_resolver_fails_clearly(tmp_path):
    with pytest.raises(FontMissing, match="未找到中文字体文件"):
        resolve_fonts(str(tmp_path / "missing.ttf"), "")
    bad = tmp_path / "bad.ttc"
    bad.write_bytes(b"not a font")
    with pytest.raises(FontMissing, match="无法读取"):
        resolve_fonts(str(bad), "")


def test_font_resolver_falls_back_to_debian(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "DEBIAN_NOTO_DIR", tmp_path)
    with pytest.raises(FontMissing, match="LONGGOV_CJK_FONT"):
        resolve_fonts("", "")
