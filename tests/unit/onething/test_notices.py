"""Per-item notices of bundle members are left to the bundle, which tells its applicant once per case event."""

import uuid

from longgov.applications.schemas import ApplicationStepRecorded
from longgov.notify.subscribers import step_notification


def _event(**changes):
    fields = {
        "application_id": uuid.uuid4(),
        "number": "GS20261127000001",
        "applicant_account_id": uuid.uuid4(),
        "applicant_kind": "person",
        "item_name": "食品经营许可",
        "department_name": "城关区市场监督管理局",
        "step": "pre_check:request_correction",
        "title": "一次性告知补正材料",
        "status": "correction_requested",
        "details": {"missing_items": ["规章制度目录"]},
    }
    fields.update(changes)
    return ApplicationStepRecorded(**fields)


def test_a_standalone_application_is_told_of_its_correction():
    notice = step_notification(_event())
    assert notice is not None
    assert notice.title == "请补正材料"


def test_a_bundle_member_is_not_told_on_its_own():
    assert step_notification(_event(bundle_case_ref="YJS20261127000001")) is None
    assert step_notification(_event(bundle_case_ref="YJS20261127000001", step="decision:grant", status="granted")) is None
