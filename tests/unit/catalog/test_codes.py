"""GB/T 39554.1 basic and implementation codes; the demo catalogue's content."""

import csv
import random
from pathlib import Path

import pytest

from longgov.catalog.codes import government_body_uscc, implementation_code, is_basic_code, parse_implementation_code
from longgov.catalog.schemas import NewItem
from longgov.catalog.services import demo_items
from longgov.identity.codes import check_uscc

SICHUAN = Path("/work/shared/data/service_items/sichuan_guangan_service_items.csv")
STANDARD_NAMES = [
    "企业设立登记",
    "个体工商户设立登记",
    "企业变更登记",
    "企业注销登记",
    "食品经营许可",
    "食品生产许可",
    "药品经营许可（零售）",
    "特种设备使用登记",
    "发票领用",
    "公章刻制备案",
    "社会保障卡申领",
    "失业保险金申领",
    "城乡居民基本养老保险参保登记",
    "职工基本养老保险待遇申领",
    "就业创业证申领",
    "企业职工参保登记",
    "出生登记",
    "居民身份证申领",
    "户口迁移",
    "机动车驾驶证换证",
    "出生医学证明办理",
    "医师执业注册",
    "公共场所卫生许可",
    "城乡居民基本医疗保险参保登记",
    "异地就医备案",
    "结婚登记",
    "最低生活保障审核确认",
    "残疾人两项补贴申领",
    "社会团体成立登记",
    "义务教育阶段入学",
    "教师资格认定",
    "建筑工程施工许可证核发",
    "商品房预售许可",
    "住房公积金提取",
    "不动产转移登记",
    "建设工程规划许可证核发",
    "道路货物运输经营许可",
    "道路旅客运输经营许可",
    "建设项目环境影响报告表审批",
    "户外广告设施设置审批",
    "公众聚集场所投入使用、营业前消防安全检查",
    "娱乐场所从事娱乐场所经营活动审批",
    "企业投资项目备案",
    "动物防疫条件合格证核发",
    "农药经营许可",
]
# Items the 一件事 bundles need (onething/data/bundles.json).
BUNDLE_NAMES = [
    "住房公积金单位缴存登记",
    "住房公积金个人账户设立",
    "户口注销（死亡）",
    "丧葬补助金、抚恤金申领",
    "城乡居民基本养老保险注销登记",
    "残疾人证申领（新办）",
    "就业登记",
    "职工基本医疗保险参保登记",
    "信用修复申请（行政处罚信息）",
    "移出经营异常名录",
    "纳税信用修复",
    "税务登记信息变更",
    "单位社会保险登记信息变更",
    "退休人员基本医疗保险待遇核定",
    "居住证申领",
    "新生儿城乡居民基本医疗保险参保登记",
    "社会保障卡补领、换领",
]


def test_basic_code_shapes():
    for code in ("511A0138000000", "511Z07001006", "512012002012", "51201200200013", "G-000007-001", "1J-5100-00027", "A-005818-5818"):
        assert is_basic_code(code), code
    for bad in ("", "511A01380", "abc", "511A0138000000-511602000000"):
        assert not is_basic_code(bad), bad


def test_implementation_code_is_basic_division_body():
    uscc = government_body_uscc("620102-market_regulation", "620102")
    code = implementation_code("620A0005000000", "620102", uscc)
    assert code == f"620A0005000000-620102000000-000-{uscc}-1-00"
    parsed = parse_implementation_code(code)
    assert parsed is not None
    assert parsed.basic_code == "620A0005000000"
    assert parsed.division_code == "620102"
    assert parsed.uscc == uscc
    assert str(parsed) == code
    assert parse_implementation_code("620A0005000000") is None
    with pytest.raises(ValueError, match="basic code"):
        implementation_code("xx", "620102", uscc)


def test_government_body_uscc_is_valid_deterministic_and_distinct():
    a = government_body_uscc("620102-market_regulation", "620102")
    assert check_uscc(a).valid
    assert a.startswith("11620102")  # 1 机构编制, 1 机关, then the division
    assert a == government_body_uscc("620102-market_regulation", "620102")
    assert a != government_body_uscc("620102-public_security", "620102")


@pytest.mark.skipif(not SICHUAN.exists(), reason="shared sample data not present")
def test_real_sichuan_codes_parse():
    rows = list(csv.DictReader(SICHUAN.open(encoding="utf-8")))
    assert len(rows) == 1135
    parsed = [parse_implementation_code(r["item_code"]) for r in rows]
    standard = [p for p in parsed if p is not None]
    # Most real codes have the standard shape; the rest carry legacy department codes.
    assert len(standard) >= 950
    for row, p in zip(rows, parsed, strict=True):
        if p is not None:
            assert p.division12 == row["area_code"]
            assert str(p) == row["item_code"]
    sample = random.Random(7).sample(standard, 50)  # noqa: S311 - a reproducible sample, not security
    valid = sum(check_uscc(p.uscc).valid for p in sample)
    assert valid >= 40


def test_demo_catalogue_has_all_standard_items_with_real_content():
    items = [NewItem.model_validate(e) for e in demo_items()]
    names = [i.content.name for i in items]
    assert sorted(names) == sorted(STANDARD_NAMES + BUNDLE_NAMES)
    assert (len(STANDARD_NAMES), len(BUNDLE_NAMES)) == (45, 17)
    assert len({i.basic_code for i in items}) == len(items)
    for item in items:
        c = item.content
        assert is_basic_code(item.basic_code)
        assert c.materials, c.name
        assert c.legal_basis, c.name
        assert all("《" in b for b in c.legal_basis), c.name
        assert c.conditions
        assert 0 <= c.promised_days <= c.statutory_days, c.name
        assert c.aliases, c.name
        assert c.keywords, c.name
    food = next(i for i in items if i.content.name == "食品经营许可")
    assert food.organisation_code == "620102-market_regulation"
    assert food.content.statutory_days == 10
    assert food.content.promised_days < 10
    assert any("食品安全法" in b and "第三十五条" in b for b in food.content.legal_basis)
    assert {"饭馆", "餐馆", "小吃店"} <= set(food.content.aliases)
    birth = next(i for i in items if i.content.name == "出生登记")
    assert {"上户口", "新生儿"} <= set(birth.content.aliases)
    company = next(i for i in items if i.content.name == "企业设立登记")
    assert {"开公司", "营业执照"} <= set(company.content.aliases)
