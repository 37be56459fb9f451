"""The usual departments of a people's government at each level, with their official names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DepartmentKind:
    """A kind of department (市场监管, 公安 …) and how it is named at each level."""

    key: str
    short: str
    province: str | None
    prefecture: str | None
    county: str | None


# {p}: province/prefecture/county name. None: the level has no such department of its own.
DEPARTMENT_KINDS: tuple[DepartmentKind, ...] = (
    DepartmentKind("government_services", "政务服务", "{p}政务服务中心", "{p}政务服务中心", "{p}政务服务中心"),
    DepartmentKind("market_regulation", "市场监管", "{p}市场监督管理局", "{p}市场监督管理局", "{p}市场监督管理局"),
    DepartmentKind("public_security", "公安", "{p}公安厅", "{p}公安局", "{p}公安局"),
    DepartmentKind("human_resources", "人社", "{p}人力资源和社会保障厅", "{p}人力资源和社会保障局", "{p}人力资源和社会保障局"),
    DepartmentKind("health", "卫健", "{p}卫生健康委员会", "{p}卫生健康委员会", "{p}卫生健康局"),
    DepartmentKind("medical_security", "医保", "{p}医疗保障局", "{p}医疗保障局", "{p}医疗保障局"),
    DepartmentKind("civil_affairs", "民政", "{p}民政厅", "{p}民政局", "{p}民政局"),
    DepartmentKind("education", "教育", "{p}教育厅", "{p}教育局", "{p}教育局"),
    DepartmentKind("housing", "住建", "{p}住房和城乡建设厅", "{p}住房和城乡建设局", "{p}住房和城乡建设局"),
    DepartmentKind("natural_resources", "自然资源", "{p}自然资源厅", "{p}自然资源局", "{p}自然资源局"),
    DepartmentKind("transport", "交通运输", "{p}交通运输厅", "{p}交通运输局", "{p}交通运输局"),
    DepartmentKind("ecology", "生态环境", "{p}生态环境厅", "{p}生态环境局", None),
    DepartmentKind("taxation", "税务", "国家税务总局{p}税务局", "国家税务总局{p}税务局", "国家税务总局{p}税务局"),
    DepartmentKind("data", "数据局", "{p}数据局", "{p}数据局", None),
    DepartmentKind("urban_management", "城管", None, "{p}城市管理综合执法局", "{p}城市管理综合执法局"),
    DepartmentKind("agriculture", "农业农村", "{p}农业农村厅", "{p}农业农村局", "{p}农业农村局"),
    DepartmentKind("development_reform", "发改", "{p}发展和改革委员会", "{p}发展和改革委员会", "{p}发展和改革局"),
)

DEPARTMENT_BY_KEY = {kind.key: kind for kind in DEPARTMENT_KINDS}

GOVERNMENT_NAME = {"province": "{p}人民政府", "prefecture": "{p}人民政府", "county": "{p}人民政府"}


def department_name(kind: DepartmentKind, level: str, place: str) -> str | None:
    """Official name of a department of ``place`` at ``level``, or None where none exists.

    County-level ecology offices are branches of the prefecture's bureau (e.g. 兰州市生态环境局城关分局),
    so they are not created as county departments.
    """
    pattern = {"province": kind.province, "prefecture": kind.prefecture, "county": kind.county}[level]
    return pattern.format(p=place) if pattern else None
