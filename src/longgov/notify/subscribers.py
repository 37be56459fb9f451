"""Domain events that become notices: an application's steps reach its applicant (站内消息 and SMS).

Texts follow the SMS notices of Chinese government service platforms: the application number and
item, what happened and what to do next, no personal data. Internal steps (审查, 联审) are not sent;
the applicant sees them on the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from longgov.applications.schemas import ApplicationStepRecorded
from longgov.identity import services as identity
from longgov.notify import services
from longgov.notify.schemas import Notification
from longgov.platform import Platform, ServiceContext

PORTAL_NAMES = {"person": "甘快办", "enterprise": "陇商通"}
PORTAL_PATHS = {"person": "/citizen", "enterprise": "/enterprise"}
SMS_REASON_LIMIT = 40
SMS_ITEMS_LIMIT = 60


@dataclass(frozen=True)
class StepText:
    """Title, in-app body and SMS text of one step."""

    title: str
    body: str
    sms: str


def chinese_date(value: str) -> str:
    """``2026-12-10`` → ``2026年12月10日`` (left as is when not a date)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.year}年{day.month}月{day.day}日"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _action(step: str) -> str:
    return step.rsplit(":", 1)[-1]


def step_text(event: ApplicationStepRecorded) -> StepText | None:  # noqa: PLR0911 - one branch per step told to the applicant
    """The notice of a step, or None when the applicant is not notified of it."""
    subject = f"您的申请{event.number}（{event.item_name}）"
    portal = PORTAL_NAMES.get(event.applicant_kind, "甘肃政务服务网")
    reason = str(event.details.get("reason") or "").strip()
    action = "submitted" if event.step == "submitted" else _action(event.step)
    if action == "submitted":
        return StepText(
            "申请已提交",
            f"{subject}已提交至{event.department_name}，部门预审后将告知是否受理。",
            f"{subject}已提交，请留意受理结果。",
        )
    if action == "accept":
        deadline = str(event.details.get("deadline") or "")
        limit = f"，办理期限至{chinese_date(deadline)}" if deadline else ""
        return StepText("申请已受理", f"{subject}已由{event.department_name}受理{limit}。受理通知书可在办件详情中查看。", f"{subject}已受理{limit}。")
    if action == "request_correction":
        items = [str(i) for i in event.details.get("missing_items", []) if str(i).strip()]
        listed = "；".join(f"{n}. {item}" for n, item in enumerate(items, 1))
        return StepText(
            "请补正材料",
            f"{subject}需补正材料，请一次性补正以下材料后重新提交：{listed}。补正期间办理时限暂停计算。",
            f"{subject}需补正材料：{_clip('、'.join(items), SMS_ITEMS_LIMIT)}。请登录{portal}补正后重新提交。",
        )
    if action == "refuse":
        return StepText(
            "申请不予受理",
            f"{subject}不予受理。理由：{reason}。不予受理通知书可在办件详情中查看。",
            f"{subject}不予受理，理由：{_clip(reason, SMS_REASON_LIMIT)}。详情请登录{portal}查看。",
        )
    if action == "grant":
        return StepText("准予许可", f"{subject}已作出准予行政许可决定，决定书可在办件详情中查看。", f"{subject}已作出准予许可决定。")
    if action == "deny":
        return StepText(
            "不予许可",
            f"{subject}已作出不予行政许可决定。理由：{reason}。您可依法申请行政复议或提起行政诉讼。",
            f"{subject}不予许可，理由：{_clip(reason, SMS_REASON_LIMIT)}。详情请登录{portal}查看。",
        )
    if action == "conclude":
        return StepText("办件已办结", f"{subject}已办结。欢迎对本次服务作出评价（好差评）。", f"{subject}已办结，欢迎登录{portal}评价。")
    if action == "deliver":
        return StepText("结果已送达", f"{subject}的办理结果已送达。", f"{subject}的办理结果已送达。")
    return None


def step_notification(event: ApplicationStepRecorded) -> Notification | None:
    """The applicant's notice of a step, linking to the application's timeline.

    None for an application of a bundle case (一件事): the bundle tells its applicant once per case event
    (one combined correction notice, one completion notice) instead of once per item and step.
    """
    if event.bundle_case_ref:
        return None
    text = step_text(event)
    if text is None or not event.number:
        return None
    base = PORTAL_PATHS.get(event.applicant_kind, "/citizen")
    return Notification(
        recipient_account_id=event.applicant_account_id,
        category="application",
        title=text.title,
        body=text.body,
        link=f"{base}/applications/{event.number}",
        sms=text.sms,
    )


async def on_application_step(event: ApplicationStepRecorded, platform: Platform) -> None:
    """Subscriber: notify the applicant in a unit of work of its own (the step has committed)."""
    notice = step_notification(event)
    if notice is None:
        return
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        phone = await identity.notification_phone(ctx, event.applicant_account_id) if platform.settings.notify_sms else None
        await services.send(ctx, notice, phone=phone)
