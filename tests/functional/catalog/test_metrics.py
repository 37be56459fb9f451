"""Reduction metrics (R3.5): per version, before/after comparison, actual times from concluded applications."""

from tests.conftest import csrf_headers, login_staff
from tests.functional.applications.conftest import FOOD, item_code
from tests.functional.applications.test_workbench import _act, _staff, _submitted
from tests.functional.catalog.conftest import item_body

JSON = {"accept": "application/json"}
CHENGGUAN = "620102-market_regulation"


async def _published_item(client, headers) -> str:
    body = item_body("减材料测试事项", CHENGGUAN)
    body["content"].update(
        materials=[
            {"name": "申请书", "form": "电子件"},
            {"name": "营业执照", "form": "复印件", "replaceable": True},
            {"name": "场所证明", "form": "原件"},
            {"name": "身份证明", "form": "复印件"},
        ],
        fees=[{"name": "工本费", "amount": "20元"}],
        statutory_days=20,
        promised_days=10,
        visits=2,
    )
    r = await client.post("/api/v1/catalog/manage/items", json=body, headers=headers)
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    r = await client.post(f"/api/v1/catalog/manage/items/{code}/publish", headers=headers)
    assert r.status_code == 200, r.text
    return code


async def test_new_version_shows_reductions(client, seeded, make_staff):
    await login_staff(client, await make_staff(["department_leader"], CHENGGUAN))
    headers = {**(await csrf_headers(client)), **JSON}
    code = await _published_item(client, headers)
    current = (await client.get(f"/api/v1/catalog/manage/items/{code}", headers=headers)).json()
    content = {
        **current["content"],
        "materials": current["content"]["materials"][:2],
        "promised_days": 5,
        "fees": [{"name": "工本费", "amount": "免收"}],
        "visits": 0,
    }
    r = await client.post(f"/api/v1/catalog/manage/items/{code}", json={"content": content, "note": "减材料、减时限、减费用"}, headers=headers)
    assert r.status_code == 200, r.text

    # The public does not see the draft; the default comparison is first published → current.
    r = await client.get(f"/api/v1/catalog/items/{code}/metrics")
    assert r.status_code == 200, r.text
    assert [v["version"] for v in r.json()["versions"]] == [1]
    r = await client.post(f"/api/v1/catalog/manage/items/{code}/publish", headers=headers)
    assert r.status_code == 200, r.text

    r = await client.get(f"/api/v1/catalog/items/{code}/metrics")
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["from_version"], data["to_version"]) == (1, 2)
    first, second = data["versions"]
    assert (first["materials"], first["materials_replaceable"], first["materials_to_submit"]) == (4, 1, 3)
    assert (second["materials"], second["materials_to_submit"]) == (2, 1)
    assert first["steps"] == second["steps"] == 5  # 承诺件: 预审、审查、决定、办结、送达
    assert first["fees_total"] == 20
    assert second["fees_total"] == 0
    assert first["actual_median_days"] is None
    assert first["actual_p90_days"] is None
    reductions = {x["metric"]: x for x in data["reductions"]}
    assert reductions["materials"]["reduction"] == 2
    assert reductions["materials"]["percent"] == 50.0
    assert reductions["materials_to_submit"]["reduction"] == 2
    assert reductions["promised_days"]["reduction"] == 5
    assert reductions["promised_days"]["percent"] == 50.0
    assert reductions["statutory_days"]["reduction"] == 0
    assert reductions["fees_total"]["percent"] == 100.0
    assert reductions["visits"]["reduction"] == 2
    assert reductions["steps"]["percent"] == 0.0
    assert reductions["actual_median_days"]["reduction"] is None

    # Explicit versions, reversed: increases are negative reductions.
    r = await client.get(f"/api/v1/catalog/items/{code}/metrics", params={"from_version": 2, "to_version": 1})
    assert {x["metric"]: x["reduction"] for x in r.json()["reductions"]}["materials"] == -2

    # The staff page: table, chart data block and the chart script (no inline script).
    r = await client.get(f"/workbench/catalog/{code}/metrics")
    assert r.status_code == 200, r.text
    assert 'id="reductions"' in r.text
    assert 'type="application/json" id="metrics-data"' in r.text
    assert "/static/js/metrics.js" in r.text
    assert "50.0%" in r.text
    r = await client.get(f"/workbench/catalog/{code}")
    assert f"/workbench/catalog/{code}/metrics" in r.text
    r = await client.get("/static/js/metrics.js")
    assert r.status_code == 200


async def test_unknown_item_version_and_bounds(client, seeded, make_staff):
    r = await client.get("/api/v1/catalog/items/NOSUCHCODE/metrics")
    assert r.status_code == 404
    assert r.json()["code"] == "item_not_found"
    code = await item_code(seeded, FOOD)
    r = await client.get(f"/api/v1/catalog/items/{code}/metrics", params={"to_version": 99})
    assert r.status_code == 404
    assert r.json()["code"] == "version_not_found"
    r = await client.get(f"/api/v1/catalog/items/{code}/metrics", params={"from_version": 0})
    assert r.status_code in {400, 422}
    # The staff page needs the management permission.
    r = await client.get(f"/workbench/catalog/{code}/metrics")
    assert r.status_code in {302, 303, 401, 403}
    await login_staff(client, await make_staff(["department_leader"], CHENGGUAN))
    r = await client.get("/workbench/catalog/NOSUCHCODE/metrics")
    assert r.status_code == 404


async def _version(client, code, number):
    r = await client.get(f"/api/v1/catalog/items/{code}/metrics")
    assert r.status_code == 200, r.text
    return next(v for v in r.json()["versions"] if v["version"] == number)


async def test_actual_time_from_concluded_application(client, new_client, seeded, make_person, make_staff):
    _, application = await _submitted(client, seeded, make_person)
    app_id, number = application["id"], application["item_version"]
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    approver, approver_h = await _staff(new_client, make_staff, ["approver"])
    leader, leader_h = await _staff(new_client, make_staff, ["department_leader"])
    code = await item_code(seeded, FOOD)
    # The database may hold other tests' applications: count from here.
    before = (await _version(client, code, number))["actual_count"]

    r = await _act(counter, counter_h, app_id, task="pre_check", action="accept")
    assert r.status_code == 201, r.text
    r = await _act(approver, approver_h, app_id, task="review", action="pass")
    assert r.status_code == 201, r.text
    r = await _act(leader, leader_h, app_id, task="decision", action="grant")
    assert r.status_code == 201, r.text
    # Granted is not concluded yet.
    assert (await _version(client, code, number))["actual_count"] == before
    r = await _act(counter, counter_h, app_id, task="conclude", action="conclude")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "concluded"

    version = await _version(client, code, number)
    assert version["actual_count"] == before + 1
    assert version["actual_median_days"] is not None
    assert version["actual_p90_days"] is not None
    if before == 0:
        assert version["actual_median_days"] == 0  # accepted and concluded the same day
    r = await leader.get(f"/workbench/catalog/{code}/metrics")
    assert r.status_code == 200, r.text
    assert f"（{before + 1}）" in r.text
