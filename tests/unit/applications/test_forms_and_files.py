import io
import zipfile

import pytest

from longgov.applications import forms
from longgov.applications.services import JPEG, OFD, PDF, PNG, sniff
from longgov.applications.storage import LocalFolderStorage, StorageKeyError, check_key

FOOD = "620A0005000000"


def test_shipped_forms_are_valid_2020_12_schemas_with_chinese_titles():
    assert {FOOD, "620A0002000000", "620B0017000000", "generic"} <= set(forms.shipped_forms())
    for key in forms.shipped_forms():
        definition = forms.form_for(key)
        assert definition.schema["$schema"].endswith("2020-12/schema")
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p["title"]) for p in definition.schema["properties"].values())


def test_unknown_basic_code_gets_the_generic_form():
    assert forms.form_for("620Z9999999999").key == "generic"
    assert forms.form_for("../../etc").key == "generic"


def test_validation_messages_are_chinese_per_field():
    definition = forms.form_for(FOOD)
    errors = forms.field_errors(
        definition,
        {
            "operator_name": "甲" * 101,
            "uscc": "bad",
            "business_type": "火星餐厅",
            "planned_opening": "2026/12/01",
            "premises_area": "大",
            "employees": 2.5,
            "commitment": False,
            "hacker": 1,
        },
    )
    assert errors["operator_name"] == "不能超过100个字"
    assert errors["uscc"] == "统一社会信用代码格式不正确"
    assert errors["business_type"] == "取值无效"
    assert errors["planned_opening"] == "日期格式应为 YYYY-MM-DD"
    assert errors["premises_area"] == "应为数字"
    assert errors["employees"] == "应为整数"
    assert errors["commitment"] == "请阅读并勾选承诺"
    assert errors["legal_representative"] == "必填"
    assert errors["hacker"] == "不允许的字段"


def test_partial_check_ignores_missing_fields_only():
    definition = forms.form_for(FOOD)
    assert forms.field_errors(definition, {}, partial=True) == {}
    assert forms.field_errors(definition, {"contact_phone": "123"}, partial=True) == {"contact_phone": "手机号码格式不正确"}


def test_fields_and_posted_values():
    definition = forms.form_for(FOOD)
    widgets = {f.name: f.widget for f in forms.fields_of(definition)}
    assert widgets["business_type"] == "select"
    assert widgets["business_items"] == "textarea"
    assert widgets["planned_opening"] == "date"
    assert widgets["employees"] == "number"
    assert widgets["commitment"] == "checkbox"
    data = forms.coerce_posted(definition, {"employees": "3", "premises_area": "12.5", "operator_name": "  ", "commitment": "on"})
    assert data == {"employees": 3, "premises_area": 12.5, "online_sales": False, "commitment": True}


def _ofd(with_manifest: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("OFD.xml" if with_manifest else "other.xml", "<ofd:OFD/>")
    return buffer.getvalue()


def test_file_types_are_judged_by_bytes():
    assert sniff(b"%PDF-1.7\n...") is PDF
    assert sniff(b"\xff\xd8\xff\xe0rest") is JPEG
    assert sniff(b"\x89PNG\r\n\x1a\nrest") is PNG
    assert sniff(_ofd()) is OFD
    assert sniff(_ofd(with_manifest=False)) is None  # a plain ZIP is not OFD
    assert sniff(b"MZ\x90\x00 windows executable") is None
    assert sniff(b"PK\x03\x04 broken zip") is None


async def test_local_storage_round_trip(tmp_path):
    storage = LocalFolderStorage(tmp_path)
    await storage.put("applications/abc/0-x.pdf", b"%PDF-1", content_type="application/pdf")
    assert await storage.get("applications/abc/0-x.pdf") == b"%PDF-1"
    await storage.delete("applications/abc/0-x.pdf")
    assert not storage.exists("applications/abc/0-x.pdf")
    await storage.delete("applications/abc/0-x.pdf")  # deleting twice is fine
    for bad in ("/etc/passwd", "../x", "a/../../b", "A/B", ""):
        with pytest.raises(StorageKeyError):
            check_key(bad)
