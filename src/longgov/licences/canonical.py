r"""Canonical JSON of licences (what the seal signs) and the base58/multibase encodings of proofs.

Canonicalisation (``canonical_json``) is RFC 8785 JSON Canonicalization Scheme (JCS) restricted to
the values a licence holds, so any JCS implementation reproduces the same bytes:

* objects: members sorted by key, comparing keys as UTF-16 code units (RFC 8785 §3.2.3; for the
  ASCII keys licences use this is plain byte order), no duplicate keys;
* no insignificant whitespace: ``,`` and ``:`` separators only;
* strings: UTF-8, escaping only ``"``, ``\\`` and control characters below U+0020 (``\\b \\t \\n
  \\f \\r`` by name, others as ``\\u00XX``, lower-case hex), exactly as ECMAScript's
  ``JSON.stringify``; lone surrogates are rejected;
* numbers: integers only, within ±(2^53 − 1) (licences carry money, areas and dates as strings,
  so the ECMAScript number serialisation of RFC 8785 §3.2.2.3 is never needed); floats are rejected;
* ``true``, ``false``, ``null`` as literals.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

MAX_SAFE_INTEGER: Final = 2**53 - 1
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_BASE58: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX: Final = {ch: i for i, ch in enumerate(_BASE58)}


class CanonicalisationError(ValueError):
    """A value that licence JSON may not hold (a float, a non-string key, a lone surrogate …)."""


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", errors="surrogatepass")


def _encode_scalar(value: Any, out: list[str]) -> bool:  # noqa: ANN401 - any JSON value
    """Append a literal, integer or string; False when ``value`` is none of these."""
    if value is None or isinstance(value, bool):
        out.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            msg = f"integer {value} is outside the interoperable range"
            raise CanonicalisationError(msg)
        out.append(str(value))
    elif isinstance(value, str):
        _check_string(value)
        # json.dumps(ensure_ascii=False) escapes exactly what JSON.stringify escapes, in the same form.
        out.append(json.dumps(value, ensure_ascii=False))
    else:
        return False
    return True


def _encode(value: Any, out: list[str]) -> None:  # noqa: ANN401 - any JSON value
    if _encode_scalar(value, out):
        return
    if isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            msg = "object keys must be strings"
            raise CanonicalisationError(msg)
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            _encode_scalar(key, out)
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    else:
        msg = f"{type(value).__name__} values are not allowed in licence JSON"
        raise CanonicalisationError(msg)


def _check_string(value: str) -> None:
    # One C-level scan instead of a Python loop per character (a quarter of bulk-import CPU before).
    if _LONE_SURROGATE.search(value):
        msg = "lone surrogate in a string"
        raise CanonicalisationError(msg)


def canonical_json(value: Any) -> bytes:  # noqa: ANN401 - any JSON value
    """The canonical UTF-8 bytes of ``value`` (see the module docstring)."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode("utf-8")


def parse_json_object(text: str | bytes) -> dict[str, Any]:
    """Parse JSON that must be an object; duplicate keys and non-finite numbers are errors."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                msg = f"duplicate key {key!r}"
                raise CanonicalisationError(msg)
            result[key] = value
        return result

    def no_constant(name: str) -> Any:  # noqa: ANN401
        msg = f"{name} is not JSON"
        raise CanonicalisationError(msg)

    try:
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        msg = f"not JSON: {exc}"
        raise CanonicalisationError(msg) from exc
    if not isinstance(value, dict):
        msg = "a JSON object is expected"
        raise CanonicalisationError(msg)
    return value


def base58btc_encode(data: bytes) -> str:
    """Bitcoin base58 (leading zero bytes become ``1``)."""
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    while number:
        number, rem = divmod(number, 58)
        chars.append(_BASE58[rem])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(chars))


def base58btc_decode(text: str) -> bytes:
    """Inverse of :func:`base58btc_encode`; ValueError on a character outside the alphabet."""
    number = 0
    for ch in text:
        digit = _BASE58_INDEX.get(ch)
        if digit is None:
            msg = f"invalid base58 character {ch!r}"
            raise ValueError(msg)
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_base58btc(data: bytes) -> str:
    """Multibase ``z`` + base58btc."""
    return "z" + base58btc_encode(data)


def from_multibase_base58btc(text: str) -> bytes:
    """Bytes of a ``z``-prefixed multibase string; ValueError otherwise."""
    if not text.startswith("z") or len(text) < 2:  # noqa: PLR2004
        msg = "multibase value must be base58btc ('z' prefix)"
        raise ValueError(msg)
    return base58btc_decode(text[1:])
