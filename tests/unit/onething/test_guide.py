"""The pure rules of bundles: answers and applicable items, contradictions, dependency cycles, the merged form."""

import pytest
from jsonschema import Draft202012Validator

from longgov.onething import guide
from longgov.onething.schemas import BundleDefinition

LICENCE, FOOD, SIGN, FIRE = "620A0002000000", "620A0005000000", "620A0040000000", "620A0041000000"


def definition(**changes):
    raw = {
        "code": "open_restaurant",
        "name": "开办餐饮店",
        "lead_organisation": "620102-market_regulation",
        "questions": [
            {"key": "has_business_licence", "text": "是否已经取得营业执照？", "type": "boolean"},
            {"key": "outdoor_sign", "text": "是否设置户外招牌？", "type": "boolean"},
            {
                "key": "premises_area",
                "text": "经营场所面积",
                "type": "choice",
                "options": [{"value": "small", "label": "300平方米以下"}, {"value": "large", "label": "300平方米及以上"}],
            },
            {"key": "founding", "text": "经营主体", "type": "choice", "options": [{"value": "new", "label": "新设立"}, {"value": "existing", "label": "已有"}]},
        ],
        "contradictions": [
            {"when": {"has_business_licence": True, "founding": "new"}, "message": "已取得营业执照的，不能再选择新设立", "code": "licence_vs_new"}
        ],
        "items": [
            {"item": LICENCE, "when": {"has_business_licence": False}},
            {"item": FOOD, "depends_on": [LICENCE]},
            {"item": SIGN, "when": {"outdoor_sign": True}, "depends_on": [LICENCE]},
            {"item": FIRE, "when": {"premises_area": "large"}},
        ],
    }
    raw.update(changes)
    return BundleDefinition.model_validate(raw)


def test_answers_decide_the_items_and_drop_dependencies_on_excluded_ones():
    d = definition()
    chosen = guide.select(d, {"has_business_licence": True, "outdoor_sign": True, "premises_area": "small", "founding": "existing"})
    assert [i.item for i in chosen.applicable] == [FOOD, SIGN]
    # The business licence is already held: the food licence no longer waits for its registration.
    assert all(i.depends_on == [] for i in chosen.applicable)
    excluded = {i.item: why for i, why in chosen.excluded}
    assert excluded[LICENCE] == "您在“是否已经取得营业执照？”中选择了“是”，无需办理"
    assert excluded[FIRE] == "您在“经营场所面积”中选择了“300平方米以下”，无需办理"


def test_without_a_licence_the_registration_comes_first():
    d = definition()
    chosen = guide.select(d, {"has_business_licence": False, "outdoor_sign": True, "premises_area": "large", "founding": "new"})
    ordered = [i.item for i in guide.order(chosen.applicable)]
    assert ordered[0] == LICENCE
    assert {i.item: i.depends_on for i in chosen.applicable if i.item != LICENCE} == {FOOD: [LICENCE], SIGN: [LICENCE], FIRE: []}


def test_pending_lists_only_questions_that_still_decide_something():
    d = definition()
    assert guide.pending(d, {}) == ["has_business_licence", "outdoor_sign", "premises_area"]
    assert guide.pending(d, {"has_business_licence": True, "outdoor_sign": False}) == ["premises_area"]


def test_contradicting_answers_are_found():
    d = definition()
    found = guide.contradiction(d, {"has_business_licence": True, "founding": "new"})
    assert found is not None
    assert found.code == "licence_vs_new"
    assert guide.contradiction(d, {"has_business_licence": False, "founding": "new"}) is None


def test_answers_to_unknown_questions_or_with_unknown_options_are_named():
    errors = guide.answer_errors(definition(), {"nope": True, "premises_area": "huge", "outdoor_sign": "yes"})
    assert errors == {"answers.nope": "没有这个问题", "answers.premises_area": "请从给出的选项中选择", "answers.outdoor_sign": "请回答是或否"}


def test_a_dependency_cycle_is_named_item_by_item():
    d = definition(
        items=[
            {"item": LICENCE, "depends_on": [SIGN]},
            {"item": FOOD, "depends_on": [LICENCE]},
            {"item": SIGN, "depends_on": [FOOD]},
        ]
    )
    problems = guide.structure_problems(d, {LICENCE: "个体工商户设立登记", FOOD: "食品经营许可", SIGN: "户外广告设施设置审批"})
    cycle = [p for p in problems if p.code == "dependency_cycle"]
    assert len(cycle) == 1
    message = cycle[0].message
    assert message.startswith("事项之间的前置关系形成循环")
    for name in ("个体工商户设立登记", "食品经营许可", "户外广告设施设置审批"):
        assert name in message
    # The chain closes on the item it started from.
    chain = message.split("：", 1)[1].split(" → ")
    assert chain[0] == chain[-1]
    assert len(chain) == 4


def test_find_cycle_on_graphs():
    assert guide.find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    assert guide.find_cycle({"a": ["b"], "b": ["a"]}) == ["a", "b", "a"]
    assert guide.find_cycle({"x": [], "a": ["b"], "b": ["c"], "c": ["b"]}) == ["b", "c", "b"]


def test_conditions_and_contradictions_must_name_real_questions_and_options():
    d = definition(
        items=[
            {"item": LICENCE, "when": {"unknown": True}},
            {"item": FOOD, "when": {"premises_area": "huge"}},
            {"item": SIGN, "depends_on": ["620Z9999000000"]},
        ],
        contradictions=[{"when": {"outdoor_sign": True}, "message": "单个回答不构成矛盾", "code": "single"}],
    )
    codes = sorted(p.code for p in guide.structure_problems(d))
    assert codes == ["contradiction_too_small", "unknown_dependency", "unknown_option", "unknown_question"]


def test_question_shapes_are_checked_by_the_model():
    with pytest.raises(ValueError, match="至少需要两个选项"):
        definition(questions=[{"key": "a", "text": "只有一个选项？", "type": "choice", "options": [{"value": "x", "label": "x"}]}])
    with pytest.raises(ValueError, match="不应列出选项"):
        definition(questions=[{"key": "a", "text": "是非题？", "type": "boolean", "options": [{"value": "x", "label": "x"}, {"value": "y", "label": "y"}]}])


A_FORM = {
    "properties": {
        "name": {"type": "string", "title": "经营者姓名", "maxLength": 30, "x-source": [{"person": "name"}]},
        "phone": {"type": "string", "title": "联系电话", "pattern": "^1[0-9]{10}$"},
        "staff": {"type": "integer", "title": "从业人数", "minimum": 1},
    },
    "required": ["name", "phone"],
}
B_FORM = {
    "properties": {
        "name": {"type": "string", "title": "经营者名称", "maxLength": 100, "x-source": [{"licence": "business_licence", "field": "name"}]},
        "phone": {"type": "string", "title": "电话", "pattern": "^1[0-9]{10}$"},
        "staff": {"type": "number", "title": "人数", "maximum": 500},
        "uscc": {"type": "string", "title": "统一社会信用代码"},
    },
    "required": ["name", "uscc", "staff"],
}


def test_merged_form_asks_each_field_once_and_keeps_every_constraint():
    schema, problems = guide.merge_forms(
        "开办餐饮店（一表申请）", [guide.FormPart("A", "甲事项", A_FORM), guide.FormPart("B", "乙事项", B_FORM, frozenset({"uscc"}))]
    )
    assert problems == []
    assert list(schema["properties"]) == ["name", "phone", "staff", "uscc"]
    # Required where any item requires it now; the later item's uscc comes from the earlier item's result.
    assert schema["required"] == ["name", "phone", "staff"]
    name = schema["properties"]["name"]
    assert name["title"] == "经营者姓名"
    assert name["x-source"] == [{"person": "name"}, {"licence": "business_licence", "field": "name"}]
    assert name["x-items"] == ["A", "B"]
    validator = Draft202012Validator(schema)
    assert not list(validator.iter_errors({"name": "张三", "phone": "13912345678", "staff": 3}))
    # 31 characters pass one form but not the other: the merged field refuses them.
    assert list(validator.iter_errors({"name": "张" * 31, "phone": "13912345678", "staff": 3}))
    # Both the integer and the maximum apply.
    assert list(validator.iter_errors({"name": "张三", "phone": "13912345678", "staff": 501}))
    assert list(validator.iter_errors({"name": "张三", "phone": "13912345678", "staff": 2.5}))


def test_fields_of_one_name_that_no_value_satisfies_are_refused():
    c_form = {"properties": {"staff": {"type": "string", "title": "人数"}, "kind": {"type": "string", "enum": ["x", "y"]}}}
    d_form = {"properties": {"kind": {"type": "string", "enum": ["z"]}}}
    _, problems = guide.merge_forms("t", [guide.FormPart("A", "甲事项", A_FORM), guide.FormPart("C", "丙事项", c_form), guide.FormPart("D", "丁事项", d_form)])
    messages = {p.path: p.message for p in problems}
    assert messages["form.staff"] == "字段“staff”在“甲事项”和“丙事项”的申请表中类型不同（integer 与 string），不能合并为一项"
    assert messages["form.kind"].endswith("可选值没有交集，不能合并为一项")
    assert {p.code for p in problems} == {"incompatible_field"}


def test_project_takes_the_fields_of_one_form():
    data = {"name": "张三", "phone": "13912345678", "uscc": "x"}
    assert guide.project(data, A_FORM) == {"name": "张三", "phone": "13912345678"}
