import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longgov.catalog.search import SearchDocument, SearchHit, SearchIndex

# (code, name, department, aliases) — a realistic slice of the provincial standard items.
ITEMS = [
    ("11620000MB0001", "企业设立登记", "市场监督管理局", ("开公司", "注册公司", "公司注册", "办营业执照")),
    ("11620000MB0002", "个体工商户设立登记", "市场监督管理局", ("个体户注册", "个体户营业执照", "开小店")),
    ("11620000MB0003", "企业变更登记", "市场监督管理局", ("公司变更", "法人变更", "公司改名")),
    ("11620000MB0004", "企业注销登记", "市场监督管理局", ("注销公司", "公司关门", "简易注销")),
    ("11620000MB0005", "食品经营许可", "市场监督管理局", ("开饭馆", "餐饮许可证", "食品经营许可证")),
    ("11620000MB0006", "食品生产许可", "市场监督管理局", ("食品厂", "SC认证", "食品生产许可证")),
    ("11620000MB0007", "药品经营许可（零售）", "药品监督管理局", ("开药店", "药店许可证", "零售药店")),
    ("11620000MB0008", "特种设备使用登记", "市场监督管理局", ("电梯登记", "锅炉登记", "压力容器登记")),
    ("11620000MB0009", "发票领用", "税务局", ("领发票", "申领发票", "开发票")),
    ("11620000MB0010", "公章刻制备案", "公安厅", ("刻章", "刻公章", "印章备案")),
    ("11620000MB0011", "社会保障卡申领", "人力资源和社会保障厅", ("办社保卡", "社保卡补办", "新办社保卡")),
    ("11620000MB0012", "失业保险金申领", "人力资源和社会保障厅", ("领失业金", "失业补助", "失业金申请")),
    ("11620000MB0013", "城乡居民基本养老保险参保登记", "人力资源和社会保障厅", ("农村养老保险", "居民养老保险参保", "新农保")),
    ("11620000MB0014", "职工基本养老保险待遇申领", "人力资源和社会保障厅", ("领退休金", "退休申请", "养老金申领")),
    ("11620000MB0015", "就业创业证申领", "人力资源和社会保障厅", ("就业失业登记证", "创业证", "就业证")),
    ("11620000MB0016", "企业职工参保登记", "人力资源和社会保障厅", ("单位参保", "员工社保登记", "职工社保")),
    ("11620000MB0017", "出生登记", "公安厅", ("新生儿落户", "新生儿上户口", "报出生户口")),
    ("11620000MB0018", "居民身份证申领", "公安厅", ("办身份证", "身份证补办", "身份证换领")),
    ("11620000MB0019", "户口迁移", "公安厅", ("迁户口", "户口迁入", "落户")),
    ("11620000MB0020", "机动车驾驶证换证", "公安厅交通管理局", ("驾照到期换证", "驾驶证换领", "换驾照")),
    ("11620000MB0021", "出生医学证明办理", "卫生健康委员会", ("出生证", "办出生证明", "出生证补办")),
    ("11620000MB0022", "医师执业注册", "卫生健康委员会", ("医生执业", "医师注册", "执业医师注册")),
    ("11620000MB0023", "公共场所卫生许可", "卫生健康委员会", ("卫生许可证", "理发店卫生许可", "宾馆卫生许可")),
    ("11620000MB0024", "城乡居民基本医疗保险参保登记", "医疗保障局", ("居民医保参保", "新农合", "交医保")),
    ("11620000MB0025", "异地就医备案", "医疗保障局", ("外地就医", "异地报销", "转外就医")),
    ("11620000MB0026", "结婚登记", "民政厅", ("领结婚证", "办结婚证", "婚姻登记")),
    ("11620000MB0027", "最低生活保障审核确认", "民政厅", ("低保申请", "申请低保", "城乡低保")),
    ("11620000MB0028", "残疾人两项补贴申领", "民政厅", ("残疾人补贴", "困难残疾人生活补贴", "重度残疾人护理补贴")),
    ("11620000MB0029", "社会团体成立登记", "民政厅", ("成立协会", "社团登记", "商会登记")),
    ("11620000MB0030", "义务教育阶段入学", "教育厅", ("小学入学", "初中入学", "孩子上学报名")),
    ("11620000MB0031", "教师资格认定", "教育厅", ("教师资格证", "教资认定", "当老师")),
    ("11620000MB0032", "建筑工程施工许可证核发", "住房和城乡建设厅", ("施工许可证", "开工许可", "施工证")),
    ("11620000MB0033", "商品房预售许可", "住房和城乡建设厅", ("预售证", "楼盘预售", "商品房预售证")),
    ("11620000MB0034", "住房公积金提取", "住房公积金管理中心", ("取公积金", "公积金提取", "提公积金")),
    ("11620000MB0035", "不动产转移登记", "自然资源厅", ("房屋过户", "二手房过户", "房产过户")),
    ("11620000MB0036", "建设工程规划许可证核发", "自然资源厅", ("规划许可证", "建房规划许可", "工程规划证")),
    ("11620000MB0037", "道路货物运输经营许可", "交通运输厅", ("货运许可", "道路运输许可证", "货车营运")),
    ("11620000MB0038", "道路旅客运输经营许可", "交通运输厅", ("客运许可", "客运经营", "班车客运")),
    ("11620000MB0039", "建设项目环境影响报告表审批", "生态环境厅", ("环评审批", "环评报告表", "环评")),
    ("11620000MB0040", "户外广告设施设置审批", "住房和城乡建设厅", ("广告牌审批", "门头招牌", "户外广告")),
    ("11620000MB0041", "公众聚集场所投入使用、营业前消防安全检查", "消防救援总队", ("消防检查", "开业前消防检查", "消防安全检查")),
    ("11620000MB0042", "娱乐场所从事娱乐场所经营活动审批", "文化和旅游厅", ("KTV审批", "歌舞厅许可", "娱乐经营许可证")),
    ("11620000MB0043", "企业投资项目备案", "发展和改革委员会", ("项目备案", "投资备案", "企业项目备案")),
    ("11620000MB0044", "动物防疫条件合格证核发", "农业农村厅", ("养殖场防疫", "动物防疫合格证", "防疫条件合格证")),
    ("11620000MB0045", "农药经营许可", "农业农村厅", ("卖农药", "农药经营许可证", "农资店农药")),
]

CODE = {name: code for code, name, _, _ in ITEMS}


def _docs(*, with_aliases: bool) -> list[SearchDocument]:
    return [SearchDocument(code=c, name=n, department=d, aliases=a if with_aliases else ()) for c, n, d, a in ITEMS]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.build(_docs(with_aliases=True))


@pytest.fixture(scope="module")
def bare_index() -> SearchIndex:
    return SearchIndex.build(_docs(with_aliases=False))


# Colloquial queries that the lexicon alone must answer, whatever the catalogue's aliases.
COLLOQUIAL = [
    ("开个小饭馆要办什么证", "食品经营许可"),
    ("生了孩子怎么上户口", "出生登记"),
    ("驾照到期了", "机动车驾驶证换证"),
    ("我要开公司", "企业设立登记"),
    ("去外地看病报销", "异地就医备案"),
    ("领失业金", "失业保险金申领"),
    ("买了二手房过户", "不动产转移登记"),
    ("我想办个体户", "个体工商户设立登记"),
    ("公司不干了怎么注销", "企业注销登记"),
    ("社保卡怎么办", "社会保障卡申领"),
    ("领结婚证需要什么材料", "结婚登记"),
    ("申请低保", "最低生活保障审核确认"),
    ("残疾补贴怎么领", "残疾人两项补贴申领"),
    ("怎么取公积金", "住房公积金提取"),
    ("小孩读书怎么入学", "义务教育阶段入学"),
    ("刻章去哪里办", "公章刻制备案"),
    ("开药店需要什么", "药品经营许可（零售）"),
    ("开KTV要办什么", "娱乐场所从事娱乐场所经营活动审批"),
    ("跑运输的货车要什么证", "道路货物运输经营许可"),
    ("开客车跑客运", "道路旅客运输经营许可"),
    ("做环评", "建设项目环境影响报告表审批"),
    ("门口挂广告牌", "户外广告设施设置审批"),
    ("开业前消防验收", "公众聚集场所投入使用、营业前消防安全检查"),
    ("办个养殖场", "动物防疫条件合格证核发"),
    ("卖农药要什么手续", "农药经营许可"),
    ("我想当老师", "教师资格认定"),
    ("医生执业怎么注册", "医师执业注册"),
    ("宝宝出生证明怎么办", "出生医学证明办理"),
    ("身份证丢了", "居民身份证申领"),
    ("退休了怎么领养老金", "职工基本养老保险待遇申领"),
    ("怎么领发票", "发票领用"),
    ("盖房子要办施工许可吗", "建筑工程施工许可证核发"),
    ("新生儿落户", "出生登记"),
    ("户口迁到兰州", "户口迁移"),
    ("办营业执照", "企业设立登记"),
    ("失业了怎么办", "失业保险金申领"),
    ("交医保", "城乡居民基本医疗保险参保登记"),
    ("开个理发店", "公共场所卫生许可"),
    ("成立一个商会", "社会团体成立登记"),
    ("楼盘预售", "商品房预售许可"),
    ("投资项目备案", "企业投资项目备案"),
    ("电梯要登记吗", "特种设备使用登记"),
]


@pytest.mark.parametrize(("query", "expected"), COLLOQUIAL)
def test_colloquial_query_ranks_the_item_first(index, query, expected):
    hits = index.search(query)
    assert hits, query
    assert hits[0].code == CODE[expected], [(h.code, h.score) for h in hits[:3]]


@pytest.mark.parametrize(("query", "expected"), COLLOQUIAL)
def test_lexicon_alone_answers_without_aliases(bare_index, query, expected):
    hits = bare_index.search(query)
    assert hits, query
    assert hits[0].code == CODE[expected], [(h.code, h.score) for h in hits[:3]]


@pytest.mark.parametrize(("code", "name", "department", "aliases"), ITEMS)
def test_every_item_is_found_first_by_its_exact_name(index, code, name, department, aliases):
    assert index.search(name)[0].code == code


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("食品经英许可", "食品经营许可"),
        ("不动产转义登记", "不动产转移登记"),
        ("异地就衣备案", "异地就医备案"),
        ("社会保帐卡", "社会保障卡申领"),
    ],
)
def test_typos_still_find_the_item(bare_index, query, expected):
    assert bare_index.search(query)[0].code == CODE[expected]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("spjyxk", "食品经营许可"),
        ("SPJYXK", "食品经营许可"),
        ("qysldj", "企业设立登记"),
        ("jhdj", "结婚登记"),
        ("ydjyba", "异地就医备案"),
        ("jiehundengji", "结婚登记"),
    ],
)
def test_pinyin_queries(bare_index, query, expected):
    assert bare_index.search(query)[0].code == CODE[expected]


def test_literal_terms_outrank_lexicon_expansions():
    # 饭馆 expands to 食品经营许可, but an item that literally says 饭馆 must still come first.
    literal = SearchDocument("L1", "饭馆油烟排放登记", "生态环境局")
    hits = SearchIndex.build([*_docs(with_aliases=False), literal]).search("饭馆")
    assert [h.code for h in hits[:2]] == ["L1", CODE["食品经营许可"]]


def test_document_aliases_and_keywords_are_searchable():
    docs = [
        SearchDocument("A1", "甲类事项办理", "某局", aliases=("彩虹桥",)),
        SearchDocument("A2", "乙类事项办理", "某局", keywords=("独角兽",)),
        SearchDocument("A3", "丙类事项办理", "某局"),
    ]
    idx = SearchIndex.build(docs)
    assert idx.search("彩虹桥")[0].code == "A1"
    assert idx.search("独角兽")[0].code == "A2"


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "？！。，", "...", "!!!", "的了吗", "我想要怎么办"])
def test_empty_or_meaningless_queries_return_nothing(index, query):
    assert index.search(query) == []


def test_limit_is_respected(index):
    assert len(index.search("登记", limit=3)) == 3
    assert len(index.search("登记", limit=1)) == 1
    assert index.search("登记", limit=0) == []
    assert len(index.search("登记")) <= 10


def test_ties_are_broken_by_code():
    docs = [SearchDocument(c, "同名事项", "某局") for c in ("B3", "B1", "B2")]
    hits = SearchIndex.build(docs).search("同名事项")
    assert [h.code for h in hits] == ["B1", "B2", "B3"]
    assert len({h.score for h in hits}) == 1


def test_results_do_not_depend_on_input_order(index):
    reversed_index = SearchIndex.build(reversed(_docs(with_aliases=True)))
    for query, _ in COLLOQUIAL:
        assert reversed_index.search(query) == index.search(query)


def test_duplicate_codes_are_rejected():
    doc = SearchDocument("C1", "结婚登记", "民政厅")
    with pytest.raises(ValueError, match="C1"):
        SearchIndex.build([doc, dataclasses.replace(doc, name="离婚登记")])


def test_empty_index_finds_nothing():
    assert SearchIndex.build([]).search("结婚登记") == []


def test_department_matches_rank_below_name_matches(index):
    hits = index.search("民政厅")
    assert hits
    assert all(h.code in {CODE[n] for n in ("结婚登记", "最低生活保障审核确认", "残疾人两项补贴申领", "社会团体成立登记")} for h in hits[:4])


@settings(max_examples=300, deadline=None)
@given(query=st.text(max_size=40), limit=st.integers(min_value=-2, max_value=50))
def test_arbitrary_text_never_raises_and_is_sorted(index, query, limit):
    hits = index.search(query, limit=limit)
    assert len(hits) <= max(limit, 0)
    assert all(isinstance(h, SearchHit) and h.score > 0 for h in hits)
    assert [(-h.score, h.code) for h in hits] == sorted((-h.score, h.code) for h in hits)
    assert len({h.code for h in hits}) == len(hits)


@settings(max_examples=100, deadline=None)
@given(query=st.text(alphabet="企业设立登记食品经营许可开饭馆孩子户口驾照社保卡公积金怎么办我要的了 abcxyz，。", max_size=20))
def test_domain_flavoured_text_never_raises(bare_index, query):
    hits = bare_index.search(query)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
