"""Stored deadlines: provisional while a year has no holiday notice, recomputed when an administrator loads it."""

from datetime import date

from longgov.timelimits import services as timelimits
from tests.conftest import csrf_headers, login_staff
from tests.functional.applications.workbench_support import act, applicant, audits, staff, stored, submit, task_rows, whole_inbox

ACCEPTED_ON = date(2031, 12, 29)  # a Monday; five working days later is in 2032


async def _publish(admin, year: int, text: str) -> None:
    body = {"year": year, "title": f"国务院办公厅关于{year}年部分节假日安排的通知", "document_number": f"国办发明电〔{year - 1}〕9号", "text": text}
    r = await admin.post("/api/v1/timelimits/notices", json=body, headers=await csrf_headers(admin))
    assert r.status_code == 201, r.text


async def test_a_deadline_into_a_missing_year_is_provisional_until_its_notice_is_loaded(client, new_client, seeded, make_person, make_staff, monkeypatch):
    headers = await applicant(client, seeded, make_person)
    application = await submit(client, headers, seeded)
    counter = await staff(new_client, make_staff, ["counter_staff"])
    approver = await staff(new_client, make_staff, ["approver"])
    monkeypatch.setattr(timelimits, "china_today", lambda now=None: ACCEPTED_ON)  # noqa: ARG005
    r = await act(counter, application["id"], task="pre_check", action="accept")
    assert r.status_code == 201, r.text
    monkeypatch.undo()

    # Weekends only: 12-30, 12-31, 01-01, 01-02, 01-05.
    row = await stored(seeded, application["id"])
    assert (row.deadline, row.deadline_provisional) == (date(2032, 1, 5), True)
    assert [(t.task_name, t.deadline) for t in await task_rows(seeded, application["id"])] == [("review", date(2032, 1, 5))]
    entry = next(e for e in await whole_inbox(approver) if e["number"] == application["number"])
    assert entry["deadline_provisional"] is True
    r = await approver.client.get("/workbench/applications")
    assert "临时" in r.text

    admin = await new_client()
    await login_staff(admin, await make_staff(["system_admin"], "620000-data"))
    # 2031 alone leaves the deadline provisional (it still runs into 2032) and unchanged.
    await _publish(admin, 2031, "2031-01-01 元旦 放假\n")
    row = await stored(seeded, application["id"])
    assert (row.deadline, row.deadline_provisional) == (date(2032, 1, 5), True)
    # 2032's notice makes New Year's Day a holiday: one working day later, and final.
    await _publish(admin, 2032, "2032-01-01 元旦 放假\n")
    row = await stored(seeded, application["id"])
    assert (row.deadline, row.deadline_provisional) == (date(2032, 1, 6), False)
    assert row.workflow_state["deadline"] == "2032-01-06"
    assert [t.deadline for t in await task_rows(seeded, application["id"])] == [date(2032, 1, 6)]
    recomputed = [a for a in await audits(seeded, "applications:deadline:recompute") if a.details["years"] in ([2031], [2032])]
    assert [a.details["years"] for a in recomputed[-2:]] == [[2031], [2032]]
    assert recomputed[-2].details["changed"] == 0
    assert recomputed[-2].details["provisional"] >= 1
    assert recomputed[-1].details["changed"] >= 1
    assert recomputed[-1].details["checked"] >= recomputed[-1].details["changed"]
    entry = next(e for e in await whole_inbox(approver) if e["number"] == application["number"])
    assert (entry["deadline"], entry["deadline_provisional"]) == ("2032-01-06", False)
