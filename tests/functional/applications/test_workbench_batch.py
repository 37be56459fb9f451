"""批量办理: accept, conclude and deliver only; each case on its own, with its own result and audit."""

from tests.functional.applications.workbench_support import act, applicant, audits, post, staff, stored, submit, task_rows


async def test_batch_accept_conclude_and_deliver_report_each_case(client, new_client, seeded, make_person, make_staff):  # noqa: PLR0915
    headers = await applicant(client, seeded, make_person)
    apps = [await submit(client, headers, seeded) for _ in range(3)]
    ids = [a["id"] for a in apps]
    counter = await staff(new_client, make_staff, ["counter_staff"])
    other_counter = await staff(new_client, make_staff, ["counter_staff"])
    approver = await staff(new_client, make_staff, ["approver"])
    leader = await staff(new_client, make_staff, ["department_leader"])

    # Refusing needs a judgment per case: never in a batch.
    r = await post(counter, "batch", action="refuse", opinion="不符合条件", items=[{"application_id": ids[0], "task": "pre_check"}])
    assert r.status_code == 422
    assert r.json()["code"] == "batch_not_allowed"
    assert (await stored(seeded, ids[0])).status == "submitted"

    # Accept with one opinion: the three succeed; an entry repeated in the list is done once.
    items = [{"application_id": i, "task": "pre_check"} for i in [*ids, ids[0]]]
    r = await post(counter, "batch", action="accept", opinion="材料齐全，予以受理", items=items)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["succeeded"], body["failed"]) == (3, 0)  # the repeated entry is counted once
    assert [x["status"] for x in body["results"]] == ["accepted"] * 3
    assert {x["number"] for x in body["results"]} == {a["number"] for a in apps}
    for i in ids:
        application = await stored(seeded, i)
        assert application.status == "accepted"
        assert application.deadline is not None

    # A batch acceptance of a task that is not a pre-check fails for that case only.
    r = await post(counter, "batch", action="accept", opinion="予以受理", items=[{"application_id": ids[0], "task": "review"}])
    assert r.json()["results"][0]["ok"] is False
    assert r.json()["results"][0]["code"] in {"step_not_ready", "batch_task_mismatch"}

    for i in ids:
        assert (await act(approver, i, task="review", action="pass")).status_code == 201
        assert (await act(leader, i, task="decision", action="grant")).status_code == 201
    # One conclusion task is held by another counter: that case fails, with the reason; the others conclude.
    assert (await post(other_counter, f"{ids[1]}/claim", task="conclude")).status_code == 200
    r = await post(counter, "batch", action="conclude", opinion="已办结", items=[{"application_id": i, "task": "conclude"} for i in ids])
    body = r.json()
    assert (body["succeeded"], body["failed"]) == (2, 1)
    failed = next(x for x in body["results"] if not x["ok"])
    assert failed["application_id"] == ids[1]
    assert failed["code"] == "task_claimed"
    assert "认领" in failed["message"]
    assert [(await stored(seeded, i)).status for i in ids] == ["concluded", "granted", "concluded"]
    assert [r.task_name for r in await task_rows(seeded, ids[1])] == ["conclude"]
    assert [r.task_name for r in await task_rows(seeded, ids[0])] == ["deliver"]
    batches = await audits(seeded, "applications:workbench:batch")
    assert (batches[-1].details["succeeded"], batches[-1].details["failed"]) == (2, 1)
    failures = await audits(seeded, "applications:workbench:batch_item_failed", ids[1])
    assert failures[-1].details["code"] == "task_claimed"
    assert failures[-1].result == "failure"
    steps = await audits(seeded, "applications:application:step", apps[0]["number"])
    assert any(s.details.get("step") == "conclude:conclude" for s in steps)

    # Delivery from the inbox page's checkboxes: the results table lists each case.
    picks = [f"{ids[0]}:{(await task_rows(seeded, ids[0]))[0].task_id}", f"{ids[2]}:{(await task_rows(seeded, ids[2]))[0].task_id}"]
    r = await counter.client.get("/workbench/applications")
    assert f'value="{picks[0]}"' in r.text  # a deliver task has a checkbox
    r = await counter.client.post(
        "/workbench/applications/batch",
        data={"action": "deliver", "opinion": "已送达", "pick": picks, "claim": "all", "page": "1"},
        headers=counter.headers,
    )
    assert r.status_code == 200, r.text
    assert "批量办理完成：成功 2 件，失败 0 件" in r.text
    assert r.text.count('data-ok="true"') == 2
    assert [(await stored(seeded, i)).status for i in (ids[0], ids[2])] == ["delivered", "delivered"]
    r = await counter.client.post("/workbench/applications/batch", data={"action": "deliver", "opinion": "已送达"}, headers=counter.headers)
    assert "请先勾选" in r.text
