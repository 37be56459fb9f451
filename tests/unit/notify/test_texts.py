"""The applicant's notices per step: SMS texts as government platforms word them, no personal data."""

import uuid

from longgov.applications.schemas import ApplicationStepRecorded
from longgov.notify.subscribers import chinese_date, step_notification, step_text


def _event(step: str, kind: str = "person", **details: object) -> ApplicationStepRecorded:
    return ApplicationStepRecorded(
        application_id=uuid.uuid4(),
        number="GS20261127000123",
        applicant_account_id=uuid.uuid4(),
        applicant_kind=kind,
        item_name="食品经营许可",
        department_name="兰州市城关区市场监督管理局",
        step=step,
        title="",
        status="",
        details=dict(details),
    )


def test_acceptance_names_the_deadline_in_chinese():
    text = step_text(_event("pre_check:accept", deadline="2026-12-10"))
    assert text is not None
    assert text.sms == "您的申请GS20261127000123（食品经营许可）已受理，办理期限至2026年12月10日。"
    assert "兰州市城关区市场监督管理局受理" in text.body


def test_correction_lists_every_missing_material_at_once():
    text = step_text(_event("pre_check:request_correction", missing_items=["营业执照复印件", "场所平面图"]))
    assert text is not None
    assert "1. 营业执照复印件；2. 场所平面图" in text.body
    assert "营业执照复印件、场所平面图" in text.sms
    assert "甘快办" in text.sms
    assert "陇商通" in step_text(_event("pre_check:request_correction", kind="enterprise", missing_items=["章程"])).sms  # type: ignore[union-attr]


def test_refusals_and_denials_carry_the_reason_clipped_in_the_sms():
    reason = "申请事项不属于本行政机关职权范围，" * 5
    refused = step_text(_event("pre_check:refuse", reason=reason))
    denied = step_text(_event("decision:deny", reason="经营场所不符合要求"))
    assert refused is not None
    assert denied is not None
    assert reason.strip() in refused.body
    assert len(refused.sms) < 100
    assert "…" in refused.sms
    assert "理由：经营场所不符合要求" in denied.sms
    assert "行政复议" in denied.body


def test_each_outcome_step_has_a_notice_and_internal_steps_have_none():
    titles = {
        step: text.title
        for step in ("submitted", "handle_on_the_spot:grant", "decision:grant", "conclude:conclude", "deliver:deliver")
        if (text := step_text(_event(step)))
    }
    assert titles == {
        "submitted": "申请已提交",
        "handle_on_the_spot:grant": "准予许可",
        "decision:grant": "准予许可",
        "conclude:conclude": "办件已办结",
        "deliver:deliver": "结果已送达",
    }
    assert step_text(_event("review:pass")) is None
    assert step_text(_event("department_review:reject")) is None


def test_the_notice_links_to_the_timeline_of_the_applicants_portal():
    notice = step_notification(_event("conclude:conclude", kind="enterprise"))
    assert notice is not None
    assert notice.link == "/enterprise/applications/GS20261127000123"
    assert notice.category == "application"
    assert chinese_date("2027-01-08") == "2027年1月8日"
    assert chinese_date("不是日期") == "不是日期"
