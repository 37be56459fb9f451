"""GB/T 39554.1 item codes: the basic code of the national catalogue and the implementation code.

An implementation code (实施编码) names one item as implemented by one body in one division::

    <basic code>-<12-digit division>-<3-digit sub-body>-<18-char USCC of the body>-<business item>-<2-digit variant>

e.g. ``511A0138000000-511602000000-000-115113010833722043-1-00``. The basic code has several
shapes in practice (``511A0138000000``, ``511Z07001006``, ``G-000007-001`` …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from longgov.identity import services as identity

BASIC_CODE = re.compile(r"^(?:[0-9]{3}[A-Z][0-9]{8}(?:[0-9]{2})?|[0-9]{12}(?:[0-9]{2})?|[A-Z]-[0-9]{6}-[0-9]{3,4}|[0-9][A-Z]-[0-9]{4}-[0-9]{5})$")
IMPLEMENTATION_CODE = re.compile(r"^(?P<basic>.+)-(?P<division>[0-9]{12})-(?P<sub>[0-9]{3})-(?P<uscc>[0-9A-Z]{18})-(?P<business>[0-9])-(?P<variant>[0-9]{2})$")


@dataclass(frozen=True)
class ImplementationCode:
    """The parts of an implementation code."""

    basic_code: str
    division12: str
    sub_body: str
    uscc: str
    business: str
    variant: str

    @property
    def division_code(self) -> str:
        """The six-digit GB/T 2260 division."""
        return self.division12[:6]

    def __str__(self) -> str:
        return f"{self.basic_code}-{self.division12}-{self.sub_body}-{self.uscc}-{self.business}-{self.variant}"


def is_basic_code(value: str) -> bool:
    """Whether ``value`` has one of the shapes of a national basic code."""
    return bool(BASIC_CODE.match(value))


def parse_implementation_code(value: str) -> ImplementationCode | None:
    """Split an implementation code into its parts; None if it does not have the standard shape."""
    match = IMPLEMENTATION_CODE.match(value)
    if match is None or not is_basic_code(match["basic"]):
        return None
    return ImplementationCode(match["basic"], match["division"], match["sub"], match["uscc"], match["business"], match["variant"])


def implementation_code(basic_code: str, division_code: str, uscc: str, *, sub_body: str = "000", business: str = "1", variant: str = "00") -> str:
    """Build the implementation code of ``basic_code`` implemented in a division by the body ``uscc``."""
    if not is_basic_code(basic_code):
        msg = f"not a basic code: {basic_code!r}"
        raise ValueError(msg)
    if not re.fullmatch(r"[0-9]{6}", division_code):
        msg = f"not a division code: {division_code!r}"
        raise ValueError(msg)
    return str(ImplementationCode(basic_code, division_code + "000000", sub_body, uscc, business, variant))


def government_body_uscc(organisation_code: str, division_code: str) -> str:
    """The USCC of a government body, derived by identity (the same code licences use for issuers)."""
    return identity.organisation_uscc(organisation_code, division_code)
