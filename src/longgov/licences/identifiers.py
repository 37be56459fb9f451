"""GB/T 36904 licence identifiers, built here and validated by the identity module's code checks.

``1.2.156.3005.2.<type code>.<issuer USCC>.<serial>.<3-digit version>.<check>``; the check character
is ISO 7064 MOD 37,36 over everything after the prefix with the dots removed. Domains reach identity
only through its services, so the check character is computed here and every identifier made is
confirmed by ``identity.validate_code("licence_id", …)`` before it is used.
"""

from __future__ import annotations

from typing import Final

from longgov.identity import services as identity

PREFIX: Final = "1.2.156.3005.2."
_CHARSET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def check_char(body: str) -> str:
    """ISO 7064 MOD 37,36 (hybrid system) check character of ``body`` (0-9A-Z)."""
    modulus = len(_CHARSET)
    product = modulus
    for ch in body:
        value = _CHARSET.find(ch)
        if value < 0:
            msg = f"invalid character {ch!r} in licence identifier"
            raise ValueError(msg)
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return _CHARSET[(modulus + 1 - product) % modulus]


def make_identifier(type_code: str, issuer_uscc: str, serial: str, version: int) -> str:
    """The identifier of one version of a licence; ValueError (Chinese reason) when a part is invalid."""
    parts = [type_code.upper(), issuer_uscc.strip().upper(), serial.upper(), f"{version:03d}"]
    identifier = PREFIX + ".".join([*parts, check_char("".join(parts))])
    check = identity.validate_code("licence_id", identifier)
    if not check.valid:
        raise ValueError(check.message)
    return identifier


def identifier_problem(value: str) -> str | None:
    """Why ``value`` is not a valid identifier (Chinese), or None."""
    check = identity.validate_code("licence_id", value)
    return None if check.valid else check.message


def licence_key(identifier: str) -> str:
    """The version-independent part naming a licence: prefix, type code, issuer and serial."""
    return identifier.rsplit(".", 2)[0]
