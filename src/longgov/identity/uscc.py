"""Assigning a new unified social credit code (统一社会信用代码, GB 32100-2015) to a business being registered.

A code is: registration authority ``9`` (工商), the category (``1`` 企业, ``2`` 个体工商户, ``3`` 农民专业合作社),
the six-digit division of the registering authority, a GB 11714 organisation code (an eight-character body
and its check character) and the GB 32100 check character. The body is ``M``, the division written in
three characters of the USCC charset and a serial of that division in four; every character is in the USCC
charset, so the organisation code is unique on the platform and the whole code validates with
:func:`longgov.identity.codes.check_uscc`. The serial is shared by the three categories of one division
(the organisation code must not repeat) and taken from a counter row under a lock, so concurrent grants
never get the same one. Bodies start with ``M``, which no demo or imported register code here uses; a code
that is taken all the same (an enterprise registered with it) is skipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from longgov.db import utcnow
from longgov.identity import events
from longgov.identity.codes import USCC_CHARSET, make_uscc
from longgov.identity.divisions import get_division
from longgov.identity.models import Enterprise, UsccCounter
from longgov.kernel.errors import ValidationFailed
from longgov.platform import ServiceContext
from longgov.security.audit.service import record

AUTHORITY: Final = "9"  # 工商 (market regulation)
CATEGORIES: Final = {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}
BODY_PREFIX: Final = "M"
PROVINCE_PREFIX: Final = "62"  # the division block encodes the last four digits of a Gansu division
_BASE: Final = len(USCC_CHARSET)
_DIVISION_CHARS: Final = 3
_SERIAL_CHARS: Final = 4
MAX_SERIAL: Final = _BASE**_SERIAL_CHARS - 1  # 923,520 per division
_ATTEMPTS: Final = 20


def _digits(value: int, width: int) -> str:
    """``value`` in base 31 over the USCC charset, ``width`` characters, most significant first."""
    chars = []
    for _ in range(width):
        value, rest = divmod(value, _BASE)
        chars.append(USCC_CHARSET[rest])
    return "".join(reversed(chars))


def organisation_body(division_code: str, serial: int) -> str:
    """The eight-character organisation code body for the ``serial``-th business of a Gansu division."""
    if len(division_code) != 6 or not division_code.isdigit() or not division_code.startswith(PROVINCE_PREFIX):  # noqa: PLR2004 - GB/T 2260
        msg = f"division must be a six-digit Gansu code, got {division_code!r}"
        raise ValueError(msg)
    if not 1 <= serial <= MAX_SERIAL:
        msg = f"serial must be in 1..{MAX_SERIAL}, got {serial}"
        raise ValueError(msg)
    return BODY_PREFIX + _digits(int(division_code[2:]), _DIVISION_CHARS) + _digits(serial, _SERIAL_CHARS)


def uscc_for(division_code: str, category: str, serial: int) -> str:
    """The USCC of the ``serial``-th business registered in a division, with both check characters."""
    if category not in CATEGORIES:
        msg = f"category must be one of {sorted(CATEGORIES)}, got {category!r}"
        raise ValueError(msg)
    return make_uscc(AUTHORITY, category, division_code, organisation_body(division_code, serial))


async def _next_serial(ctx: ServiceContext, division_code: str) -> int:
    """Take the division's next serial (row-locked ``UPDATE … RETURNING``; the row is created at 1)."""
    for _ in range(3):
        bumped = await ctx.session.execute(
            update(UsccCounter)
            .where(UsccCounter.division_code == division_code)
            .values(last_value=UsccCounter.last_value + 1, updated_at=utcnow())
            .returning(UsccCounter.last_value)
            .execution_options(synchronize_session=False),
        )
        value = bumped.scalar_one_or_none()
        if value is not None:
            return int(value)
        try:
            async with ctx.session.begin_nested():
                ctx.session.add(UsccCounter(division_code=division_code, last_value=1, updated_at=utcnow()))
        except IntegrityError:
            continue  # another transaction created it first: bump theirs
        return 1
    msg = "USCC counter could not be allocated"
    raise RuntimeError(msg)


async def assign(
    ctx: ServiceContext,
    *,
    division_code: str,
    category: str,
    name: str,
    taken: Callable[[str], Awaitable[bool]] | None = None,
) -> str:
    """A new USCC for a business registered by an authority of ``division_code``; audited as ``identity:uscc:assign``.

    A code an enterprise account already has, or that ``taken`` says is in use elsewhere (e.g. a licence
    register), is skipped.
    """
    division = get_division(division_code)
    if division is None or category not in CATEGORIES or not division_code.startswith(PROVINCE_PREFIX):
        raise ValidationFailed("无法赋予统一社会信用代码：登记机关行政区划或主体类别无效", code="uscc_assign_invalid", details={"division_code": division_code})
    for _ in range(_ATTEMPTS):
        serial = await _next_serial(ctx, division_code)
        if serial > MAX_SERIAL:
            raise ValidationFailed(f"{division.name}的统一社会信用代码号段已用完", code="uscc_exhausted", details={"division_code": division_code})
        code = uscc_for(division_code, category, serial)
        registered = (await ctx.session.execute(select(Enterprise.id).where(Enterprise.uscc == code))).first() is not None
        if not registered and not (taken is not None and await taken(code)):
            record(
                ctx.session,
                events.USCC_ASSIGNED,
                actor=ctx.actor,
                meta=ctx.meta,
                subject_type="enterprise",
                subject_id=code,
                details={"division_code": division_code, "category": CATEGORIES[category], "name": name[:200]},
            )
            return code
    msg = "no free USCC after several serials"
    raise RuntimeError(msg)
