"""Licences fixtures: issuing through the service as the system (as the applications module or the CLI would)."""

import pytest

from longgov.licences import services
from longgov.licences.catalogue import resolve_type
from longgov.licences.schemas import HolderInput
from longgov.platform import ServiceContext

CHENGGUAN_MARKET = "620102-market_regulation"
CHENGGUAN_POLICE = "620102-public_security"


def business_fields(enterprise) -> dict[str, str]:
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "entity_type": "有限责任公司",
        "legal_representative": "张三",
        "domicile": "甘肃省兰州市城关区庆阳路1号",
        "registered_capital": "100万元人民币",
        "established_on": "2020-05-01",
        "business_scope": "食品销售",
    }


def identity_fields(person) -> dict[str, str]:
    return {
        "name": person.name,
        "sex": "男",
        "ethnicity": "汉族",
        "birth_date": "1990-01-01",
        "address": "甘肃省兰州市城关区测试路1号",
        "id_number": person.id_number,
    }


@pytest.fixture
def issue(platform):
    async def make(type_name: str, issuer: str, holder: HolderInput, fields: dict[str, str], **kwargs):
        licence_type = resolve_type(type_name)
        assert licence_type is not None
        async with platform.db.transaction() as session:
            return await services.issue_licence(ServiceContext(session=session, platform=platform), licence_type.code, issuer, holder, fields, **kwargs)

    return make


@pytest.fixture
def business_licence(issue, make_enterprise):
    async def make(region: str = "620102"):
        enterprise = await make_enterprise(region)
        holder = HolderInput(kind="enterprise", name=enterprise.name, id_number=enterprise.uscc)
        view = await issue("营业执照", f"{region}-market_regulation", holder, business_fields(enterprise), number=enterprise.uscc)
        return enterprise, view

    return make


@pytest.fixture
def identity_card(issue, make_person):
    async def make(region: str = "620102"):
        person = await make_person(region, name="李小明")
        holder = HolderInput(kind="person", name=person.name, id_number=person.id_number)
        view = await issue("居民身份证", f"{region}-public_security", holder, identity_fields(person), number=person.id_number)
        return person, view

    return make
