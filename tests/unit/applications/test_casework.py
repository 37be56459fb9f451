"""Casework helpers: personal data masking, data scope and the step → status map."""

import uuid

from longgov.applications import casework, services
from longgov.security.permissions import Role
from longgov.security.principal import Principal


def _staff(division, department):
    return Principal(uuid.uuid4(), "staff", "测试", frozenset({Role.CounterStaff}), frozenset(), scope_division=division, scope_department=department)


def test_form_personal_data_is_masked():
    masked = casework.mask_form(
        {
            "contact_phone": "13912345678",
            "uscc": "91620102MA71234567",
            "legal_representative": "张三丰",
            "premises_address": "甘肃省兰州市城关区测试路1号",
            "premises_area": 120,
            "business_type": "餐饮服务经营者",
        }
    )
    assert masked["contact_phone"] == "139****5678"
    assert masked["uscc"].startswith("9162")
    assert "*" in masked["uscc"]
    assert masked["legal_representative"] == "张**"
    assert masked["premises_address"].startswith("甘肃省兰州市")
    assert "测试路" not in masked["premises_address"]
    assert masked["premises_area"] == 120
    assert masked["business_type"] == "餐饮服务经营者"


def test_scope_by_region_and_department():
    assert services.department_of("620102-market_regulation") == ("620102", "market_regulation")
    assert casework.in_scope(_staff("620102", "market_regulation"), "620102-market_regulation")
    assert casework.in_scope(_staff("620100", "market_regulation"), "620102-market_regulation")
    assert casework.in_scope(_staff("620000", None), "620102-market_regulation")
    assert not casework.in_scope(_staff("620103", "market_regulation"), "620102-market_regulation")
    assert not casework.in_scope(_staff("620102", "health"), "620102-market_regulation")


def test_every_mapped_status_is_known():
    assert {step.status for step in casework.STEPS.values()} <= set(services.STATUS_TITLES)
