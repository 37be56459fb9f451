"""表单免填写 bindings in the shipped forms, and the catalogue's X1 (what replaces each material)."""

from datetime import date

import pytest
from pydantic import ValidationError

from longgov.applications import forms
from longgov.applications.schemas import PrefillSource
from longgov.catalog import metrics
from longgov.catalog.schemas import ItemContent, Material
from longgov.licences import services as licences

SPECIAL = {"number", "holder.name", "holder.id_number"}


def _types():
    types = licences.list_types()
    return {**{t.key: t for t in types}, **{t.code: t for t in types}, **{t.name: t for t in types}}


@pytest.mark.parametrize("key", forms.shipped_forms())
def test_every_binding_names_a_real_licence_field_and_the_form_has_the_field(key):
    definition = forms.form_for(key if key != "generic" else "X")
    bound = forms.bindings_of(definition)
    assert bound, f"{key}: no field is bound to a licence or record"
    types = _types()
    for name, bindings in bound.items():
        assert name in definition.schema["properties"]
        for binding in bindings:
            if binding.source != "licence":
                continue
            licence_type = types.get(binding.licence_type or "")
            assert licence_type is not None, f"{key}.{name}: unknown licence type {binding.licence_type}"
            fields = {f.key for f in licence_type.fields} | {f.title for f in licence_type.fields} | SPECIAL
            assert binding.field in fields, f"{key}.{name}: {licence_type.name} has no {binding.field}"


def test_food_form_binds_the_enterprise_fields_to_the_business_licence_first():
    bound = forms.bindings_of(forms.form_for("620A0005000000"))
    assert list(bound) == ["operator_name", "uscc", "legal_representative", "premises_address"]
    assert bound["legal_representative"][0] == forms.Binding(source="licence", licence_type="business_licence", field="legal_representative")
    assert bound["uscc"][1] == forms.Binding(source="enterprise", field="uscc")


def test_bad_bindings_are_refused():
    with pytest.raises(ValueError, match="not one of"):
        forms._binding({"person": "phone"})
    with pytest.raises(ValueError, match="names no licence"):
        forms._binding({"issuer": "x"})
    with pytest.raises(TypeError):
        forms._binding("business_licence")


def test_a_proposed_value_must_fit_the_field_and_dates_are_cut_to_the_day():
    food = forms.form_for("620A0005000000")
    assert forms.fits(food, "uscc", "91620102MA71234567")
    assert not forms.fits(food, "uscc", "not-a-code")
    assert not forms.fits(food, "unknown", "x")
    birth = forms.form_for("620B0017000000")
    binding = forms.bindings_of(birth)["birth_date"][0]
    assert forms.transformed(binding, " 2026-10-01 08:30 ") == "2026-10-01"
    assert forms.fits(birth, "birth_date", "2026-10-01")


def test_the_source_note_names_the_licence_its_issuer_and_issue_date():
    source = PrefillSource(kind="licence", title="营业执照", field_title="住所", issuer_name="兰州市城关区市场监督管理局", issued_on=date(2025, 3, 1))
    assert source.note == "来自：营业执照（兰州市城关区市场监督管理局，2025-03-01）"
    assert PrefillSource(kind="enterprise", title="法人登记信息", field_title="名称").note == "来自：法人登记信息"


def test_material_replacement_is_consistent():
    assert Material(name="营业执照", replaceable=True, replaced_by="licence", licence_type="business_licence").replacement == "licence"
    assert Material(name="清税证明", replaceable=True).replacement == "shared_data"  # unspecified: fetched by the platform
    assert Material(name="申请书").replacement is None
    with pytest.raises(ValidationError, match="须指明证照类型"):
        Material(name="营业执照", replaceable=True, replaced_by="licence")
    with pytest.raises(ValidationError, match="未知的证照类型"):
        Material(name="营业执照", replaceable=True, replaced_by="licence", licence_type="no_such_type")
    with pytest.raises(ValidationError, match="应同时标为可免提交"):
        Material(name="承诺书", replaced_by="commitment")


def test_metrics_count_what_replaces_each_required_material():
    content = ItemContent(
        name="测试事项",
        item_type="行政许可",
        legal_basis=["测试依据"],
        conditions="测试条件",
        statutory_days=20,
        promised_days=10,
        materials=[
            Material(name="申请书"),
            Material(name="营业执照", replaceable=True, replaced_by="licence", licence_type="business_licence"),
            Material(name="身份证明", replaceable=True, replaced_by="shared_data"),
            Material(name="场所使用证明", replaceable=True, replaced_by="commitment"),
            Material(name="可选的营业执照", required=False, replaceable=True, replaced_by="licence", licence_type="business_licence"),
        ],
    )
    m = metrics.version_metrics(1, "published", None, content)
    assert (m.materials, m.materials_replaceable, m.materials_to_submit) == (4, 3, 1)
    assert (m.materials_by_licence, m.materials_by_shared_data, m.materials_by_commitment) == (1, 1, 1)
    assert [(r.name, r.title) for r in m.replacements] == [("营业执照", "电子证照：营业执照"), ("身份证明", "数据共享"), ("场所使用证明", "告知承诺")]


def test_shipped_catalogue_names_a_licence_for_the_food_licence_business_licence():
    import json
    from importlib import resources

    items = json.loads(resources.files("longgov.catalog").joinpath("data/items.json").read_text(encoding="utf-8"))["items"]
    food = next(i for i in items if i["basic_code"] == "620A0005000000")
    material = Material.model_validate(food["content"]["materials"][1])
    assert (material.replacement, material.licence_type) == ("licence", "business_licence")
    replaceable = [Material.model_validate(m) for i in items for m in i["content"]["materials"] if m["replaceable"]]
    assert all(m.replaced_by is not None for m in replaceable)  # every replaceable material says how (X1)
