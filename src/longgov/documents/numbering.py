"""Document numbers: 〔机关代字〕〔文种代字〕〔年份〕第NNNNNN号, one gap-free sequence per organisation, kind and year.

The counter row is updated with ``UPDATE … RETURNING`` inside the issuing transaction, so concurrent
issuers of the same organisation/kind/year queue on that row (PostgreSQL row lock; SQLite has a single
writer) and a rolled-back issue gives its number back.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from longgov.db import utcnow
from longgov.documents.models import DocumentSequence
from longgov.documents.schemas import KIND_NUMBER_CODES, DocumentKind

SERIAL_DIGITS = 6

# Usual two-character department abbreviations in document numbers (市监, 人社 …).
DEPARTMENT_ABBREVIATIONS: dict[str, str] = {
    "government_services": "政服",
    "market_regulation": "市监",
    "public_security": "公",
    "human_resources": "人社",
    "health": "卫健",
    "medical_security": "医保",
    "civil_affairs": "民",
    "education": "教",
    "housing": "建",
    "natural_resources": "自然资源",
    "transport": "交",
    "ecology": "环",
    "taxation": "税",
    "data": "数据",
    "urban_management": "城管",
    "agriculture": "农",
    "development_reform": "发改",
}
_PLACE_SUFFIXES = ("自治州", "自治县", "新区", "省", "市", "州", "区", "县")


def place_abbreviation(place: str) -> str:
    """城关区 → 城关, 兰州市 → 兰州, 甘肃省 → 甘, 临夏回族自治州 → 临夏."""
    if place.endswith("省"):
        return place[:1]
    for suffix in _PLACE_SUFFIXES:
        if place.endswith(suffix) and len(place) > len(suffix) + 1:
            place = place[: -len(suffix)]
            break
    return place[:2]


def organisation_prefix(place: str, department_kind: str | None) -> str:
    """The organisation's part of a number: 城关市监; a government is 政 (城关政)."""
    return place_abbreviation(place) + (DEPARTMENT_ABBREVIATIONS.get(department_kind, "") if department_kind else "政")


def format_number(prefix: str, kind: DocumentKind, year: int, serial: int) -> str:
    """城关市监许受〔2026〕第000123号."""
    return f"{prefix}{KIND_NUMBER_CODES[kind]}〔{year}〕第{serial:0{SERIAL_DIGITS}d}号"


async def next_serial(session: AsyncSession, organisation_code: str, kind: DocumentKind, year: int) -> int:
    """Take the next serial of the sequence, creating the sequence at 1."""
    key = (DocumentSequence.organisation_code == organisation_code, DocumentSequence.kind == str(kind), DocumentSequence.year == year)
    for _ in range(3):
        bumped = await session.execute(
            update(DocumentSequence)
            .where(*key)
            .values(last_serial=DocumentSequence.last_serial + 1, updated_at=utcnow())
            .returning(DocumentSequence.last_serial)
            .execution_options(synchronize_session=False),
        )
        serial = bumped.scalar_one_or_none()
        if serial is not None:
            return int(serial)
        try:
            async with session.begin_nested():
                session.add(DocumentSequence(organisation_code=organisation_code, kind=str(kind), year=year, last_serial=1, updated_at=utcnow()))
        except IntegrityError:
            continue  # another issuer created the row first: bump it instead
        return 1
    msg = "document sequence could not be allocated"
    raise RuntimeError(msg)


async def current_serial(session: AsyncSession, organisation_code: str, kind: DocumentKind, year: int) -> int:
    """The last serial used (0 when none)."""
    stmt = select(DocumentSequence.last_serial).where(
        DocumentSequence.organisation_code == organisation_code,
        DocumentSequence.kind == str(kind),
        DocumentSequence.year == year,
    )
    return int((await session.execute(stmt)).scalar_one_or_none() or 0)
