"""好差评: rating a delivered application, rectification of a bad rating, re-visit and statistics."""

from datetime import date

from sqlalchemy import select

from longgov.security.audit.models import AuditEvent
from longgov.timelimits.services import china_today
from tests.conftest import csrf_headers, login_person
from tests.functional.applications.test_workbench import _act, _staff, _submitted


async def _delivered(client, new_client, seeded, make_person, make_staff):
    """Drive a real application from submission to delivery through the workbench API."""
    headers, application = await _submitted(client, seeded, make_person)
    app_id = application["id"]
    counter, counter_h = await _staff(new_client, make_staff, ["counter_staff"])
    approver, approver_h = await _staff(new_client, make_staff, ["approver"])
    leader, leader_h = await _staff(new_client, make_staff, ["department_leader"])
    for c, h, task, action in (
        (counter, counter_h, "pre_check", "accept"),
        (approver, approver_h, "review", "pass"),
        (leader, leader_h, "decision", "grant"),
        (counter, counter_h, "conclude", "conclude"),
        (counter, counter_h, "deliver", "deliver"),
    ):
        r = await _act(c, h, app_id, task=task, action=action)
        assert r.status_code == 201, r.text
    assert r.json()["status"] == "delivered"
    return headers, application, (leader, leader_h), (counter, counter_h)


async def _tags(platform, tag):
    async with platform.db.transaction() as session:
        return (await session.execute(select(AuditEvent).where(AuditEvent.tag == tag))).scalars().all()


async def test_bad_rating_rectification_and_revisit(client, new_client, seeded, make_person, make_staff):  # noqa: PLR0915 - one story, told in order
    headers, application, (leader, leader_h), (counter, counter_h) = await _delivered(client, new_client, seeded, make_person, make_staff)
    number = application["number"]

    r = await client.get(f"/api/v1/evaluation/applications/{number}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["can_rate"] is True
    r = await client.post(f"/api/v1/evaluation/applications/{number}/rating", json={"score": 6}, headers=headers)
    assert r.status_code in {400, 422}
    r = await client.post(f"/api/v1/evaluation/applications/{number}/rating", json={"score": 2, "comment": "窗口等待时间过长"}, headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["score_title"] == "不满意"
    rect = body["rectification"]
    assert rect["status"] == "open"
    assert date.fromisoformat(rect["deadline"]) > china_today()
    assert (date.fromisoformat(rect["deadline"]) - china_today()).days >= 5
    assert await _tags(seeded, "evaluation:rating:create")
    assert await _tags(seeded, "evaluation:rectification:open")

    # Once per application.
    r = await client.post(f"/api/v1/evaluation/applications/{number}/rating", json={"score": 5}, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "already_rated"
    # No re-visit before the department has rectified.
    r = await client.post(f"/api/v1/evaluation/applications/{number}/revisit", json={"score": 4}, headers=headers)
    assert r.status_code == 409

    # The department's staff see it; another county's leader neither sees nor handles it; only the leader handles.
    r = await counter.get("/api/v1/evaluation/rectifications", headers=counter_h)
    assert r.status_code == 200
    assert rect["id"] in [i["id"] for i in r.json()["items"]]
    r = await counter.post(f"/api/v1/evaluation/rectifications/{rect['id']}/complete", json={"result": "x"}, headers=counter_h)
    assert r.status_code == 403
    other, other_h = await _staff(new_client, make_staff, ["department_leader"], "620103-market_regulation")
    r = await other.get("/api/v1/evaluation/rectifications", headers=other_h)
    assert rect["id"] not in [i["id"] for i in r.json()["items"]]
    r = await other.post(f"/api/v1/evaluation/rectifications/{rect['id']}/complete", json={"result": "已整改"}, headers=other_h)
    assert r.status_code == 404
    r = await leader.get("/workbench/rectifications")
    assert r.status_code == 200
    assert number in r.text
    assert "提交整改结果" in r.text
    r = await leader.post(f"/workbench/rectifications/{rect['id']}", data={"result": "已增设窗口并优化叫号"}, headers=leader_h)
    assert r.status_code in {302, 303}, r.text
    r = await leader.post(f"/api/v1/evaluation/rectifications/{rect['id']}/complete", json={"result": "再次"}, headers=leader_h)
    assert r.status_code == 409
    assert await _tags(seeded, "evaluation:rectification:complete")

    # 回访: the applicant is asked again.
    r = await client.get(f"/citizen/applications/{number}/rate")
    assert r.status_code == 200
    assert "已增设窗口并优化叫号" in r.text
    assert 'name="kind" value="revisit"' in r.text
    r = await client.post(f"/citizen/applications/{number}/rate", data={"kind": "revisit", "score": "4", "comment": "改进明显"}, headers=headers)
    assert r.status_code == 200, r.text
    assert "感谢您的回访评价" in r.text
    r = await client.get(f"/api/v1/evaluation/applications/{number}", headers=headers)
    rect = r.json()["rating"]["rectification"]
    assert rect["status"] == "revisited"
    assert rect["revisit_score"] == 4
    assert rect["revisit_comment"] == "改进明显"
    assert r.json()["can_revisit"] is False
    r = await client.post(f"/api/v1/evaluation/applications/{number}/revisit", json={"score": 5}, headers=headers)
    assert r.status_code == 409
    assert await _tags(seeded, "evaluation:rectification:revisit")


async def _stats(c, headers, by):
    r = await c.get(f"/api/v1/evaluation/stats?by={by}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["by"] == by
    return r.json()


async def test_stats_by_item_and_department(client, new_client, seeded, make_person, make_staff):
    """The database is shared between tests: compare the counts before and after three ratings."""
    viewer, viewer_h = await _staff(new_client, make_staff, ["department_leader"])
    before_item, before_dept = await _stats(viewer, viewer_h, "item"), await _stats(viewer, viewer_h, "department")
    numbers = []
    for i, score in enumerate([5, 4, 1]):
        c = client if i == 0 else await new_client()
        headers, application, _, _ = await _delivered(c, new_client, seeded, make_person, make_staff)
        r = await c.post(f"/api/v1/evaluation/applications/{application['number']}/rating", json={"score": score}, headers=headers)
        assert r.status_code == 201, r.text
        numbers.append(application["number"])

    def delta(before, after, key):
        old = next((row for row in before["rows"] if row["key"] == key), None)
        new = next(row for row in after["rows"] if row["key"] == key)
        return new, {f: new[f] - (old[f] if old else 0) for f in ("ratings", "satisfied", "bad", "rectified")}

    item = application["item_code"]
    row, d = delta(before_item, await _stats(viewer, viewer_h, "item"), item)
    assert d == {"ratings": 3, "satisfied": 2, "bad": 1, "rectified": 0}
    assert row["satisfaction_rate"] == round(row["satisfied"] / row["ratings"], 4)
    assert row["rectification_rate"] == round(row["rectified"] / row["bad"], 4)
    assert row["average"] > 0

    rects = (await viewer.get("/api/v1/evaluation/rectifications?status=open", headers=viewer_h)).json()["items"]
    rect_id = next(x["id"] for x in rects if x["application_number"] == numbers[2])
    r = await viewer.post(f"/api/v1/evaluation/rectifications/{rect_id}/complete", json={"result": "已约谈窗口人员"}, headers=viewer_h)
    assert r.status_code == 201, r.text
    after_dept = await _stats(viewer, viewer_h, "department")
    row, d = delta(before_dept, after_dept, "620102-market_regulation")
    assert d == {"ratings": 3, "satisfied": 2, "bad": 1, "rectified": 1}
    assert after_dept["total"]["ratings"] == sum(x["ratings"] for x in after_dept["rows"])
    r = await viewer.get("/api/v1/evaluation/stats?by=nothing", headers=viewer_h)
    assert r.status_code in {400, 422}
    r = await viewer.get("/workbench/ratings?by=department")
    assert r.status_code == 200
    assert "合计" in r.text
    assert f"{row['satisfaction_rate'] * 100:.1f}%" in r.text
    # Another county sees none of it.
    other, other_h = await _staff(new_client, make_staff, ["counter_staff"], "620103-market_regulation")
    assert "620102-market_regulation" not in [x["key"] for x in (await _stats(other, other_h, "department"))["rows"]]
    assert await _tags(seeded, "evaluation:stats:read")


async def test_average_and_rates_are_exact(platform):
    from longgov.evaluation.services import _row

    row = _row("k", "n", (3, 10, 2, 1, 0))
    assert (row.average, row.satisfaction_rate, row.rectification_rate) == (3.33, 0.6667, 0.0)
    assert _row("k", "n", (1, 5, 1, 0, 0)).rectification_rate is None


async def test_rating_rules(client, new_client, seeded, make_person, make_staff):
    # Before conclusion: 409 with a Chinese message.
    headers, application = await _submitted(client, seeded, make_person)
    number = application["number"]
    r = await client.post(f"/api/v1/evaluation/applications/{number}/rating", json={"score": 5}, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "not_concluded"
    assert "办结" in r.json()["message"]
    r = await client.get(f"/citizen/applications/{number}/rate")
    assert r.status_code == 200
    assert "办结后即可评价" in r.text

    # Someone else's application reads as absent, on the API and the page.
    stranger = await new_client()
    await login_person(stranger, seeded, await make_person())
    stranger_h = {**(await csrf_headers(stranger)), "accept": "application/json"}
    r = await stranger.post(f"/api/v1/evaluation/applications/{number}/rating", json={"score": 1}, headers=stranger_h)
    assert r.status_code == 404
    r = await stranger.get(f"/api/v1/evaluation/applications/{number}", headers=stranger_h)
    assert r.status_code == 404
    r = await stranger.post(f"/citizen/applications/{number}/rate", data={"score": "1"}, headers=stranger_h)
    assert r.status_code == 404

    # A good rating through the page opens no rectification; empty input is refused.
    headers2, delivered, (leader, leader_h), _ = await _delivered(stranger, new_client, seeded, make_person, make_staff)
    page_no = delivered["number"]
    r = await stranger.post(f"/citizen/applications/{page_no}/rate", data={}, headers=headers2)
    assert r.status_code == 422
    r = await stranger.post(f"/citizen/applications/{page_no}/rate", data={"score": "5", "comment": "很方便"}, headers=headers2)
    assert r.status_code == 200
    assert "感谢您的评价" in r.text
    r = await stranger.get(f"/api/v1/evaluation/applications/{page_no}", headers=headers2)
    assert r.json()["rating"]["score"] == 5
    assert r.json()["rating"]["rectification"] is None
    r = await stranger.post(f"/api/v1/evaluation/applications/{page_no}/rating", json={"score": 1}, headers=headers2)
    assert r.status_code == 409
    r = await leader.get("/api/v1/evaluation/rectifications", headers=leader_h)
    assert page_no not in [i["application_number"] for i in r.json()["items"]]
