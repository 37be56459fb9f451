"""Catalogue API and pages: guide, search, versioning, scope, Excel round trip."""

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from longgov.catalog import services as catalog
from longgov.catalog.models import ServiceItem, ServiceItemVersion
from longgov.platform import ServiceContext
from tests.conftest import csrf_headers, login_staff
from tests.functional.catalog.conftest import item_body

JSON = {"accept": "application/json"}


async def _code_of(platform, name: str) -> str:
    async with platform.db.transaction() as session:
        return (await session.execute(select(ServiceItem.code).where(ServiceItem.name == name).order_by(ServiceItem.created_at).limit(1))).scalar_one()


async def test_seed_is_idempotent_and_complete(seeded):
    async with seeded.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=seeded)
        assert await catalog.seed_catalog(ctx) == 0
        views = await catalog.published_views(ctx)
    names = {v.content.name for v in views}
    assert len(names & {e["content"]["name"] for e in catalog.demo_items()}) == 62
    food = next(v for v in views if v.content.name == "食品经营许可")
    assert food.department == "城关区市场监督管理局"
    assert food.code.startswith(f"{food.basic_code}-620102000000-000-11620102")


async def test_public_list_and_item(client, seeded):
    r = await client.get("/api/v1/catalog/items?limit=5")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 45
    assert len(body["items"]) == 5
    code = await _code_of(seeded, "住房公积金提取")
    r = await client.get(f"/api/v1/catalog/items/{code}")
    assert r.status_code == 200
    item = r.json()
    assert item["content"]["statutory_days"] == 3
    assert item["status"] == "published"
    assert (await client.get("/api/v1/catalog/items/NOPE-1")).status_code == 404
    assert (await client.get("/api/v1/catalog/items?limit=1000")).status_code == 422


async def test_search_finds_food_licence_for_a_small_restaurant(client, seeded):
    r = await client.get("/api/v1/catalog/search", params={"q": "开个小饭馆要办什么证"})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert results[0]["name"] == "食品经营许可"
    assert results[0]["kind"] == "item"
    assert {"code", "name", "department", "score"} <= set(results[0])
    r = await client.get("/api/v1/catalog/search", params={"q": "新生儿上户口"})
    assert r.json()["results"][0]["name"] == "出生登记"
    r = await client.get("/api/v1/catalog/search", params={"q": "  "})
    assert r.status_code == 422
    assert r.json()["message"] == "请输入要搜索的内容"
    assert (await client.get("/api/v1/catalog/search", params={"q": "公积金", "limit": 51})).status_code == 422
    assert len((await client.get("/api/v1/catalog/search", params={"q": "登记", "limit": 2})).json()["results"]) <= 2


async def test_guide_page_shows_the_real_content(client, seeded):
    code = await _code_of(seeded, "食品经营许可")
    r = await client.get(f"/citizen/items/{code}")
    assert r.status_code == 200
    html = r.text
    for text in (
        "食品经营许可",
        "城关区市场监督管理局",
        "《中华人民共和国食品安全法》第三十五条",
        "10 个工作日",
        "申请材料",
        "食品经营许可申请书",
        "不收费",
        "掌上办",
    ):
        assert text in html, text
    r = await client.get("/citizen/search", params={"q": "开个小饭馆要办什么证"})
    assert r.status_code == 200
    assert f"/citizen/items/{code}" in r.text
    r = await client.get("/citizen/items")
    assert r.status_code == 200
    assert "办事指南" in r.text
    r = await client.get("/citizen")
    assert 'action="/citizen/search"' in r.text


async def test_versioning_edit_publish_supersede(client, seeded, make_staff, make_item):
    code = await make_item("版本测试事项")
    leader = await make_staff(["department_leader"], "620100-market_regulation")
    await login_staff(client, leader)
    headers = {**(await csrf_headers(client)), **JSON}
    current = (await client.get(f"/api/v1/catalog/manage/items/{code}", headers=headers)).json()
    assert current["version"] == 1
    assert current["status"] == "published"
    content = {**current["content"], "promised_days": 3, "name": "版本测试事项（修订）"}
    r = await client.post(f"/api/v1/catalog/manage/items/{code}", json={"content": content, "note": "压缩时限"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    assert r.json()["status"] == "draft"
    # The public still sees version 1 until the draft is published.
    assert (await client.get(f"/api/v1/catalog/items/{code}")).json()["content"]["promised_days"] == 5
    assert (await client.get(f"/api/v1/catalog/items/{code}?version=2")).status_code == 404
    r = await client.post(f"/api/v1/catalog/manage/items/{code}/publish", headers=headers)
    assert r.status_code == 200
    assert r.json()["status"] == "published"
    public = (await client.get(f"/api/v1/catalog/items/{code}")).json()
    assert public["version"] == 2
    assert public["content"]["promised_days"] == 3
    old = (await client.get(f"/api/v1/catalog/items/{code}?version=1")).json()
    assert old["status"] == "superseded"
    assert old["content"]["promised_days"] == 5
    versions = (await client.get(f"/api/v1/catalog/manage/items/{code}/versions", headers=headers)).json()
    assert [(v["version"], v["status"]) for v in versions] == [(2, "published"), (1, "superseded")]
    assert (await client.post(f"/api/v1/catalog/manage/items/{code}/publish", headers=headers)).status_code == 409
    # Promised longer than statutory is refused.
    bad = {**content, "promised_days": 30}
    assert (await client.post(f"/api/v1/catalog/manage/items/{code}", json={"content": bad}, headers=headers)).status_code == 422
    # The search index follows publication.
    r = await client.get("/api/v1/catalog/search", params={"q": "版本测试事项（修订）"})
    assert r.json()["results"][0]["code"] == code


async def test_scope_and_permissions(client, new_client, seeded, make_staff, make_item):
    code = await make_item("范围测试事项", "620102-market_regulation")
    other = await make_staff(["department_leader"], "620100-public_security")
    await login_staff(client, other)
    headers = {**(await csrf_headers(client)), **JSON}
    r = await client.get(f"/api/v1/catalog/manage/items/{code}", headers=headers)
    assert r.status_code == 403
    content = item_body()["content"]
    r = await client.post(f"/api/v1/catalog/manage/items/{code}", json={"content": content}, headers=headers)
    assert r.status_code == 403
    assert r.json()["code"] == "out_of_scope"
    r = await client.post("/api/v1/catalog/manage/items", json=item_body("越权创建", "620102-market_regulation"), headers=headers)
    assert r.status_code == 403
    listed = (await client.get("/api/v1/catalog/manage/items?limit=200", headers=headers)).json()["items"]
    assert listed
    assert all(i["organisation_code"].endswith("public_security") for i in listed)
    window = await new_client()
    await login_staff(window, await make_staff(["counter_staff"], "620102-market_regulation"))
    h2 = {**(await csrf_headers(window)), **JSON}
    assert (await window.get("/api/v1/catalog/manage/items", headers=h2)).status_code == 403
    assert (await window.post(f"/api/v1/catalog/manage/items/{code}/publish", headers=h2)).status_code == 403
    # The right department may create, and gets a draft.
    mine = await new_client()
    await login_staff(mine, await make_staff(["department_leader"], "620102-market_regulation"))
    h3 = {**(await csrf_headers(mine)), **JSON}
    r = await mine.post("/api/v1/catalog/manage/items", json=item_body("本部门新事项"), headers=h3)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft"
    assert r.json()["department"] == "城关区市场监督管理局"


async def test_excel_round_trip_and_all_or_nothing(client, seeded, make_staff):
    admin = await make_staff(["system_admin"], "620000-data")
    await login_staff(client, admin)
    headers = {**(await csrf_headers(client)), **JSON}
    r = await client.get("/api/v1/catalog/manage/export", headers=headers)
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["事项", "材料"]
    assert book["事项"].max_row - 1 >= 45
    # Re-importing the export changes nothing.
    r = await client.post("/api/v1/catalog/manage/import", content=r.content, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 0
    assert r.json()["updated"] == 0
    assert r.json()["unchanged"] >= 45
    # One bad row: a per-row Chinese error and nothing written.
    sheet = book["事项"]
    sheet.cell(row=3, column=9, value="abc")  # statutory days
    sheet.cell(row=2, column=5, value="改名但不应写入")
    out = io.BytesIO()
    book.save(out)
    async with seeded.db.transaction() as session:
        before = (await session.execute(select(func.count()).select_from(ServiceItemVersion))).scalar_one()
    r = await client.post("/api/v1/catalog/manage/import", content=out.getvalue(), headers=headers)
    assert r.status_code == 422
    errors = r.json()["details"]["errors"]
    assert any(e.startswith("事项第3行") and "法定时限" in e for e in errors), errors
    async with seeded.db.transaction() as session:
        after = (await session.execute(select(func.count()).select_from(ServiceItemVersion))).scalar_one()
    assert after == before
    r = await client.post("/api/v1/catalog/manage/import", content=b"not a workbook", headers=headers)
    assert r.status_code == 400
    assert "Excel" in r.json()["message"]


async def test_excel_import_updates_changed_item(client, seeded, make_staff, make_item):
    code = await make_item("导入更新事项")
    admin = await make_staff(["system_admin"], "620000-data")
    await login_staff(client, admin)
    headers = {**(await csrf_headers(client)), **JSON}
    book = load_workbook(io.BytesIO((await client.get("/api/v1/catalog/manage/export", headers=headers)).content))
    sheet = book["事项"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == code)
    sheet.cell(row=row, column=10, value=2)  # promised days
    out = io.BytesIO()
    book.save(out)
    r = await client.post("/api/v1/catalog/manage/import", content=out.getvalue(), headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["updated"] == 1
    item = (await client.get(f"/api/v1/catalog/items/{code}")).json()
    assert item["version"] == 2
    assert item["content"]["promised_days"] == 2


async def test_staff_pages(client, seeded, make_staff, make_item):
    code = await make_item("页面测试事项")
    leader = await make_staff(["department_leader"], "620102-market_regulation")
    await login_staff(client, leader)
    r = await client.get("/workbench/catalog")
    assert r.status_code == 200
    assert "页面测试事项" in r.text
    assert "食品经营许可" in r.text
    r = await client.get(f"/workbench/catalog/{code}")
    assert r.status_code == 200
    assert "版本记录" in r.text
    headers = await csrf_headers(client)
    form = {
        "name": "页面测试事项",
        "item_type": "行政许可",
        "statutory_days": "20",
        "promised_days": "4",
        "visits": "0",
        "process_type": "promised",
        "channels": ["online", "mobile"],
        "legal_basis": "《中华人民共和国行政许可法》第四十二条",
        "conditions": "符合条件",
        "materials": "申请书｜电子件｜1｜必需｜需提交｜\n营业执照｜电子件｜1｜必需｜可免提交｜共享获取",
        "fees": "",
        "aliases": "页面别名",
        "keywords": "",
        "summary": "",
        "result": "",
        "note": "",
        "change_note": "页面修改",
    }
    r = await client.post(f"/workbench/catalog/{code}/edit", data=form, headers=headers)
    assert r.status_code == 200, r.text
    assert "第 2 版草稿" in r.text
    r = await client.post(f"/workbench/catalog/{code}/publish", headers=headers, follow_redirects=False)
    assert r.status_code == 303
    item = (await client.get(f"/api/v1/catalog/items/{code}")).json()
    assert item["version"] == 2
    assert item["content"]["materials"][1]["replaceable"] is True
    r = await client.post(f"/workbench/catalog/{code}/edit", data={**form, "promised_days": "40"}, headers=headers)
    assert r.status_code == 422
    assert "承诺时限不得超过法定时限" in r.text
    r = await client.post("/workbench/catalog/import", files={"file": ("bad.xlsx", b"junk", "application/octet-stream")}, headers=headers)
    assert r.status_code == 400
    assert "Excel" in r.text


async def test_edit_form_keeps_and_checks_joint_review_departments(client, seeded, make_staff, make_item):
    code = await make_item(name="联审页面事项", organisation="620102-housing")
    leader = await make_staff(["department_leader"], "620102-housing")
    await login_staff(client, leader)
    page = await client.get(f"/workbench/catalog/{code}")
    assert 'name="co_reviewing_departments" value="natural_resources"' in page.text
    headers = await csrf_headers(client)
    form = {
        "name": "联审页面事项",
        "item_type": "行政许可",
        "statutory_days": "20",
        "promised_days": "10",
        "visits": "1",
        "process_type": "joint_review",
        "channels": ["online"],
        "co_reviewing_departments": ["natural_resources", "urban_management"],
        "legal_basis": "《建筑工程施工许可管理办法》",
        "conditions": "符合条件",
        "materials": "申请表｜电子件｜1｜必需｜需提交｜",
        "fees": "",
        "aliases": "",
        "keywords": "",
        "summary": "",
        "result": "",
        "note": "",
        "change_note": "增加联审部门",
    }
    r = await client.post(f"/workbench/catalog/{code}/edit", data=form, headers=headers)
    assert r.status_code == 200, r.text
    assert 'value="natural_resources" checked' in r.text
    async with seeded.db.transaction() as session:
        version = await catalog.get_version(ServiceContext(session=session, platform=seeded), code, 2)
    assert version.content.co_reviewing_departments == ["natural_resources", "urban_management"]
    # A promised item cannot carry co-reviewers: ticked boxes are dropped with the type.
    r = await client.post(f"/workbench/catalog/{code}/edit", data={**form, "process_type": "promised"}, headers=headers)
    assert r.status_code == 200
    async with seeded.db.transaction() as session:
        version = await catalog.get_version(ServiceContext(session=session, platform=seeded), code, 2)
    assert version.content.co_reviewing_departments == []
    r = await client.post(f"/workbench/catalog/{code}/edit", data={**form, "co_reviewing_departments": ["fire_brigade"]}, headers=headers)
    assert r.status_code == 422
    assert "未知的联审部门：fire_brigade" in r.text


async def test_edit_form_keeps_how_each_material_is_replaced(seeded):
    from longgov.catalog import views

    async with seeded.db.transaction() as session:
        views_all = await catalog.published_views(ServiceContext(session=session, platform=seeded))
    food = next(v for v in views_all if v.content.name == "食品经营许可")
    before = {m.name: (m.replaced_by, m.licence_type) for m in food.content.materials if m.replaceable}
    assert ("licence", "business_licence") in before.values()
    form = views._form_of(food.content)
    values = {k: v if isinstance(v, str) else str(v) for k, v in form.items() if not isinstance(v, list)}
    content = views._content_from_form(values, list(food.content.channels), previous=food.content)
    after = {m.name: (m.replaced_by, m.licence_type) for m in content.materials if m.replaceable}
    assert after == before
