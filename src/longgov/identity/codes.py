# Copyright 2026 The LongGov authors
# SPDX-License-Identifier: Apache-2.0
"""Validators, generators and maskers for Chinese identity codes.

Covered codes:

* the citizen identity number (公民身份号码), GB 11643-1999, whose check
  character is computed with ISO 7064 MOD 11-2;
* the unified social credit code (统一社会信用代码, USCC), GB 32100-2015, which
  embeds a GB 11714 organisation code with its own check character;
* administrative division codes (GB/T 2260), resolved against the shipped
  Gansu table in :mod:`longgov.identity.divisions`;
* mainland mobile phone numbers;
* electronic licence identifiers (电子证照标识), GB/T 36904-2018, whose check
  character is computed with ISO 7064 MOD 37,36.

Every ``check_*`` function returns a :class:`CodeCheck` whose ``message`` is
written in Simplified Chinese for display to end users.  Validators never
raise on bad input; generators and the ``*_of`` helpers raise
:class:`ValueError` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Final, Literal

from longgov.identity.divisions import get_division, normalise_division_code

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "PROVINCE_NAMES",
    "USCC_CATEGORIES",
    "USCC_CHARSET",
    "USCC_WEIGHTS",
    "CodeCheck",
    "birth_date_of",
    "check_division_code",
    "check_licence_identifier",
    "check_mobile_phone",
    "check_resident_id",
    "check_uscc",
    "licence_identifier_check_char",
    "make_licence_identifier",
    "make_resident_id",
    "make_uscc",
    "mask_phone",
    "mask_resident_id",
    "normalise_resident_id",
    "normalise_uscc",
    "organisation_code_check_char",
    "resident_id_check_char",
    "sex_of",
    "uscc_check_char",
]


@dataclass(frozen=True)
class CodeCheck:
    """Outcome of validating one code.

    Attributes:
        valid: Whether the code passed every check.
        message: Simplified-Chinese explanation: a confirmation when valid,
            otherwise the first reason the code was rejected.

    """

    valid: bool
    message: str


_DIGITS: Final = frozenset("0123456789")

#: Province-level GB/T 2260 codes (first two digits) and their names.
PROVINCE_NAMES: Final[Mapping[str, str]] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

_CHINA_TZ: Final = timezone(timedelta(hours=8), "Asia/Shanghai")


def _china_today() -> date:
    """Return today's date in China Standard Time (UTC+8, no DST)."""
    return datetime.now(tz=_CHINA_TZ).date()


def _is_ascii_digits(value: str) -> bool:
    return bool(value) and set(value) <= _DIGITS


# ---------------------------------------------------------------------------
# Citizen identity number, GB 11643-1999
# ---------------------------------------------------------------------------

_RESIDENT_ID_LENGTH: Final = 18
_RESIDENT_BODY_LENGTH: Final = 17
_REGION_LENGTH: Final = 6
_MIN_BIRTH_DATE: Final = date(1900, 1, 1)
_MAX_SEQUENCE: Final = 999

#: ISO 7064 MOD 11-2 weights 2**(17 - i) mod 11 for positions 1..17.
_RESIDENT_WEIGHTS: Final = tuple(pow(2, _RESIDENT_BODY_LENGTH - i, 11) for i in range(_RESIDENT_BODY_LENGTH))
#: Check character indexed by (weighted sum mod 11), i.e. (12 - s) mod 11.
_RESIDENT_CHECK_CHARS: Final = "10X98765432"

_MSG_ID_OK: Final = "公民身份号码校验通过"
_MSG_ID_LENGTH: Final = "公民身份号码应为18位"
_MSG_ID_FORMAT: Final = "公民身份号码格式错误：前17位应为数字，末位应为数字或X"
_MSG_REGION: Final = "行政区划代码无效"
_MSG_BIRTH: Final = "出生日期无效"
_MSG_BIRTH_FUTURE: Final = "出生日期无效：晚于当前日期"
_MSG_BIRTH_TOO_EARLY: Final = "出生日期无效：早于1900年1月1日"


def normalise_resident_id(value: str) -> str:
    """Strip surrounding whitespace and upper-case (a trailing ``x`` -> ``X``)."""
    return value.strip().upper()


def resident_id_check_char(first17: str) -> str:
    """Compute the GB 11643 check character for the first 17 digits.

    Uses ISO 7064 MOD 11-2: weights ``2**(17 - i) mod 11`` and the character
    table ``"10X98765432"`` indexed by the weighted sum modulo 11.

    Raises:
        ValueError: If ``first17`` is not exactly 17 ASCII digits.

    """
    if len(first17) != _RESIDENT_BODY_LENGTH or not _is_ascii_digits(first17):
        msg = "first17 must be exactly 17 ASCII digits"
        raise ValueError(msg)
    total = sum(int(ch) * weight for ch, weight in zip(first17, _RESIDENT_WEIGHTS, strict=True))
    return _RESIDENT_CHECK_CHARS[total % 11]


def _resident_structure_error(rid: str) -> str | None:
    if len(rid) != _RESIDENT_ID_LENGTH:
        return _MSG_ID_LENGTH
    body, last = rid[:_RESIDENT_BODY_LENGTH], rid[_RESIDENT_BODY_LENGTH]
    if not _is_ascii_digits(body) or (last not in _DIGITS and last != "X"):
        return _MSG_ID_FORMAT
    return None


def _region_error(region: str) -> str | None:
    if len(region) != _REGION_LENGTH or not _is_ascii_digits(region):
        return _MSG_REGION
    if region[:2] not in PROVINCE_NAMES:
        return _MSG_REGION
    return None


def _parse_birth(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def _birth_error(yyyymmdd: str, today: date) -> str | None:
    birth = _parse_birth(yyyymmdd)
    if birth is None:
        return _MSG_BIRTH
    if birth < _MIN_BIRTH_DATE:
        return _MSG_BIRTH_TOO_EARLY
    if birth > today:
        return _MSG_BIRTH_FUTURE
    return None


def _resident_check_error(rid: str) -> str | None:
    expected = resident_id_check_char(rid[:_RESIDENT_BODY_LENGTH])
    if rid[_RESIDENT_BODY_LENGTH] != expected:
        return f"校验码错误，应为{expected}"
    return None


def check_resident_id(value: str, *, today: date | None = None) -> CodeCheck:
    """Validate an 18-character citizen identity number (GB 11643-1999).

    Checks, in order: length 18; 17 ASCII digits followed by a digit or ``X``
    (a lowercase ``x`` and surrounding whitespace are normalised first); the
    first two digits are a province-level code from :data:`PROVINCE_NAMES`
    (the full six-digit region is not required to exist today, because
    superseded codes stay valid on old IDs); the birth date ``YYYYMMDD`` is a
    real calendar date between 1900-01-01 and ``today``; the ISO 7064
    MOD 11-2 check character.

    Args:
        value: The number to check.
        today: Reference date for the "not in the future" rule; defaults to
            the current date in China Standard Time.

    """
    rid = normalise_resident_id(value)
    error = _resident_structure_error(rid)
    if error is None:
        error = _region_error(rid[:_REGION_LENGTH]) or _birth_error(rid[6:14], today if today is not None else _china_today()) or _resident_check_error(rid)
    if error is not None:
        return CodeCheck(valid=False, message=error)
    return CodeCheck(valid=True, message=_MSG_ID_OK)


def _require_valid_resident_id(value: str) -> str:
    rid = normalise_resident_id(value)
    result = check_resident_id(rid)
    if not result.valid:
        raise ValueError(result.message)
    return rid


def birth_date_of(resident_id: str) -> date:
    """Return the birth date encoded in a valid citizen identity number.

    Raises:
        ValueError: If the number fails :func:`check_resident_id`; the
            exception message is the Chinese reason.

    """
    rid = _require_valid_resident_id(resident_id)
    birth = _parse_birth(rid[6:14])
    if birth is None:  # pragma: no cover - excluded by the check above
        raise ValueError(_MSG_BIRTH)
    return birth


def sex_of(resident_id: str) -> Literal["男", "女"]:
    """Return the sex encoded in a valid citizen identity number.

    The 17th digit (last of the sequence code) is odd for men, even for women.

    Raises:
        ValueError: If the number fails :func:`check_resident_id`.

    """
    rid = _require_valid_resident_id(resident_id)
    return "男" if int(rid[16]) % 2 == 1 else "女"


def mask_resident_id(value: str) -> str:
    """Mask an identity number for display, keeping the first and last 4.

    ``"620102199001011234"`` becomes ``"6201**********1234"``.  The value is
    normalised first; anything of 8 characters or fewer is masked entirely.
    """
    rid = normalise_resident_id(value)
    keep = 4
    if len(rid) <= 2 * keep:
        return "*" * len(rid)
    return rid[:keep] + "*" * (len(rid) - 2 * keep) + rid[-keep:]


def make_resident_id(region: str, birth: date, sequence: int) -> str:
    """Build a citizen identity number with a correct check character.

    Args:
        region: Six-digit region code whose first two digits are a province
            code from :data:`PROVINCE_NAMES`.
        birth: Birth date; years before 1900 are rejected.
        sequence: Sequence code 0..999; its parity encodes the sex (odd: 男).

    Raises:
        ValueError: If an argument is out of range.

    """
    if _region_error(region) is not None:
        msg = f"invalid region code: {region!r}"
        raise ValueError(msg)
    if birth < _MIN_BIRTH_DATE:
        msg = f"birth date before 1900-01-01: {birth.isoformat()}"
        raise ValueError(msg)
    if not 0 <= sequence <= _MAX_SEQUENCE:
        msg = f"sequence must be in 0..999, got {sequence}"
        raise ValueError(msg)
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


# ---------------------------------------------------------------------------
# Unified social credit code, GB 32100-2015 (with GB 11714 organisation code)
# ---------------------------------------------------------------------------

#: The 31 characters a USCC may contain (no I, O, S, V, Z), in value order.
USCC_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES: Final[Mapping[str, int]] = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_MODULUS: Final = len(USCC_CHARSET)
_USCC_LENGTH: Final = 18
_USCC_BODY_LENGTH: Final = 17
#: Weights 3**i mod 31 for positions 1..17.
USCC_WEIGHTS: Final = tuple(pow(3, i, _USCC_MODULUS) for i in range(_USCC_BODY_LENGTH))

#: Registration authority code (position 1) -> organisation category codes
#: (position 2) allowed for it, after GB 32100-2015 appendix A and later
#: additions (A: military, N: agriculture).
USCC_CATEGORIES: Final[Mapping[str, frozenset[str]]] = {
    "1": frozenset("1239"),  # 机构编制：机关、事业单位、群众团体、其他
    "2": frozenset("19"),  # 外交：外国常驻新闻机构、其他
    "3": frozenset("123459"),  # 司法行政：律所、公证处、法律服务所、鉴定、仲裁、其他
    "4": frozenset("19"),  # 文化：外国在华文化中心、其他
    "5": frozenset("1239"),  # 民政：社会团体、民办非企业单位、基金会、其他
    "6": frozenset("129"),  # 旅游：外国/港澳台旅游部门常驻代表机构、其他
    "7": frozenset("129"),  # 宗教：宗教活动场所、宗教院校、其他
    "8": frozenset("19"),  # 工会：基层工会、其他
    "9": frozenset("123"),  # 工商：企业、个体工商户、农民专业合作社
    "A": frozenset("19"),  # 中央军委改革和编制办公室：军队事业单位、其他
    "N": frozenset("1239"),  # 农业：组级、村级、乡镇级集体经济组织、其他
    "Y": frozenset("1"),  # 其他
}

_ORG_CODE_BODY_LENGTH: Final = 8
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_MODULUS: Final = 11
_ORG_CHECK_TEN: Final = 10
_ORG_CHARSET: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_MSG_USCC_OK: Final = "统一社会信用代码校验通过"
_MSG_USCC_LENGTH: Final = "统一社会信用代码应为18位"
_MSG_USCC_AUTHORITY: Final = "登记管理部门代码无效"
_MSG_USCC_CATEGORY: Final = "机构类别代码无效"
_MSG_USCC_REGION: Final = "登记管理机关行政区划码无效，应为6位数字"


def normalise_uscc(value: str) -> str:
    """Strip surrounding whitespace and upper-case a USCC."""
    return value.strip().upper()


def _org_char_value(ch: str) -> int:
    # Digits keep their value; letters A..Z count 10..35.
    return int(ch) if ch in _DIGITS else ord(ch) - ord("A") + 10


def organisation_code_check_char(body: str) -> str:
    """Compute the GB 11714 check character for an 8-character organisation code.

    Characters are digits (0-9) or upper-case letters (A=10 .. Z=35);
    weights are 3, 7, 9, 10, 5, 8, 4, 2; the check value is
    ``11 - (sum mod 11)`` with 10 written ``X`` and 11 written ``0``.

    Raises:
        ValueError: If ``body`` is not 8 digits / upper-case ASCII letters.

    """
    if len(body) != _ORG_CODE_BODY_LENGTH or not set(body) <= _ORG_CHARSET:
        msg = "organisation code body must be 8 digits or upper-case letters"
        raise ValueError(msg)
    total = sum(_org_char_value(ch) * weight for ch, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = _ORG_MODULUS - total % _ORG_MODULUS
    if check == _ORG_CHECK_TEN:
        return "X"
    if check == _ORG_MODULUS:
        return "0"
    return str(check)


def uscc_check_char(first17: str) -> str:
    """Compute the GB 32100 check character (position 18) of a USCC.

    Each character's value is its index in :data:`USCC_CHARSET`; weights are
    ``3**i mod 31``; the check value is ``31 - (sum mod 31)`` with 31 written
    as value 0, mapped back through the charset.

    Raises:
        ValueError: If ``first17`` is not 17 characters of the USCC charset.

    """
    if len(first17) != _USCC_BODY_LENGTH or not set(first17) <= _USCC_VALUES.keys():
        msg = "first17 must be exactly 17 characters of the USCC charset"
        raise ValueError(msg)
    total = sum(_USCC_VALUES[ch] * weight for ch, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(_USCC_MODULUS - total % _USCC_MODULUS) % _USCC_MODULUS]


def _uscc_structure_error(code: str) -> str | None:
    if len(code) != _USCC_LENGTH:
        return _MSG_USCC_LENGTH
    bad = sorted({ch for ch in code if ch not in _USCC_VALUES})
    if bad:
        return f"统一社会信用代码含有非法字符：{''.join(bad)}"
    categories = USCC_CATEGORIES.get(code[0])
    if categories is None:
        return _MSG_USCC_AUTHORITY
    if code[1] not in categories:
        return _MSG_USCC_CATEGORY
    if not _is_ascii_digits(code[2:8]):
        return _MSG_USCC_REGION
    return None


def _uscc_check_error(code: str) -> str | None:
    org_expected = organisation_code_check_char(code[8:16])
    if code[16] != org_expected:
        return f"组织机构代码校验码错误，应为{org_expected}"
    expected = uscc_check_char(code[:_USCC_BODY_LENGTH])
    if code[_USCC_BODY_LENGTH] != expected:
        return f"校验码错误，应为{expected}"
    return None


def check_uscc(value: str) -> CodeCheck:
    """Validate an 18-character unified social credit code (GB 32100-2015).

    Checks, in order: length 18 and the 31-character charset (after stripping
    and upper-casing); the registration authority code (position 1) and an
    organisation category code (position 2) allowed for it by
    :data:`USCC_CATEGORIES`; six digits of region code (positions 3-8, not
    resolved against any table, since ``100000`` marks national bodies); the
    GB 11714 check character of the embedded organisation code (position
    17); the USCC check character (position 18).
    """
    code = normalise_uscc(value)
    error = _uscc_structure_error(code) or _uscc_check_error(code)
    if error is not None:
        return CodeCheck(valid=False, message=error)
    return CodeCheck(valid=True, message=_MSG_USCC_OK)


def make_uscc(authority: str, category: str, region: str, org_body: str) -> str:
    """Build a USCC with both check characters filled in.

    Args:
        authority: Registration authority code, a key of
            :data:`USCC_CATEGORIES`.
        category: Organisation category code allowed for ``authority``.
        region: Six-digit region code.
        org_body: The first 8 characters of the organisation code, drawn from
            :data:`USCC_CHARSET`; its GB 11714 check character is appended.

    Raises:
        ValueError: If an argument is not acceptable.

    """
    categories = USCC_CATEGORIES.get(authority)
    if categories is None or category not in categories:
        msg = f"invalid authority/category: {authority!r}/{category!r}"
        raise ValueError(msg)
    if len(region) != _REGION_LENGTH or not _is_ascii_digits(region):
        msg = f"region must be 6 ASCII digits, got {region!r}"
        raise ValueError(msg)
    if len(org_body) != _ORG_CODE_BODY_LENGTH or not set(org_body) <= _USCC_VALUES.keys():
        msg = f"org_body must be 8 characters of the USCC charset, got {org_body!r}"
        raise ValueError(msg)
    org_code = org_body + organisation_code_check_char(org_body)
    first17 = authority + category + region + org_code
    return first17 + uscc_check_char(first17)


# ---------------------------------------------------------------------------
# Administrative division codes, GB/T 2260
# ---------------------------------------------------------------------------

_MSG_DIVISION_FORMAT: Final = "行政区划代码应为6位或12位数字"
_MSG_DIVISION_LONG: Final = "行政区划代码无效：12位统计用区划代码仅支持县级及以上（后6位应为0）"
_MSG_DIVISION_UNKNOWN: Final = "行政区划代码无效：仅收录甘肃省各级区划及各省级区划"
_LONG_DIVISION_LENGTH: Final = 12


def check_division_code(value: str) -> CodeCheck:
    """Validate an administrative division code.

    Accepted: 6-digit GB/T 2260 codes and 12-digit statistical codes ending in
    ``000000`` that resolve to a division in the shipped Gansu table (the
    message is its full name, e.g. ``"甘肃省兰州市城关区"``), and the
    province-level code ``XX0000`` (or ``XX0000000000``) of any other
    province-level division (message ``"省级行政区划代码：北京市"``).  Other
    codes, including real county codes outside Gansu, are rejected because
    no table for them is shipped.
    """
    raw = value.strip()
    if not _is_ascii_digits(raw) or len(raw) not in {
        _REGION_LENGTH,
        _LONG_DIVISION_LENGTH,
    }:
        return CodeCheck(valid=False, message=_MSG_DIVISION_FORMAT)
    short = normalise_division_code(raw)
    if short is None:
        return CodeCheck(valid=False, message=_MSG_DIVISION_LONG)
    division = get_division(short)
    if division is not None:
        return CodeCheck(valid=True, message=division.full_name)
    province = PROVINCE_NAMES.get(short[:2])
    if province is not None and short[2:] == "0000":
        return CodeCheck(valid=True, message=f"省级行政区划代码：{province}")
    return CodeCheck(valid=False, message=_MSG_DIVISION_UNKNOWN)


# ---------------------------------------------------------------------------
# Mobile phone numbers
# ---------------------------------------------------------------------------

_PHONE_LENGTH: Final = 11
_PHONE_SECOND_DIGITS: Final = frozenset("3456789")
_MSG_PHONE_OK: Final = "手机号码校验通过"
_MSG_PHONE_FORMAT: Final = "手机号码应为11位数字"
_MSG_PHONE_PREFIX: Final = "手机号码号段无效，应以13至19开头"


def check_mobile_phone(value: str) -> CodeCheck:
    """Validate a mainland mobile number: 11 ASCII digits matching ``1[3-9]``.

    Surrounding whitespace is ignored; country prefixes are not accepted.
    """
    phone = value.strip()
    if len(phone) != _PHONE_LENGTH or not _is_ascii_digits(phone):
        return CodeCheck(valid=False, message=_MSG_PHONE_FORMAT)
    if phone[0] != "1" or phone[1] not in _PHONE_SECOND_DIGITS:
        return CodeCheck(valid=False, message=_MSG_PHONE_PREFIX)
    return CodeCheck(valid=True, message=_MSG_PHONE_OK)


def mask_phone(value: str) -> str:
    """Mask a phone number, keeping the first 3 and last 4 characters.

    ``"13912345678"`` becomes ``"139****5678"``.  Surrounding whitespace is
    stripped; anything of 7 characters or fewer is masked entirely.
    """
    phone = value.strip()
    head, tail = 3, 4
    if len(phone) <= head + tail:
        return "*" * len(phone)
    return phone[:head] + "*" * (len(phone) - head - tail) + phone[-tail:]


# --- electronic licence identifiers (GB/T 36904) ------------------------------------------------

LICENCE_ID_PREFIX: Final = "1.2.156.3005.2."
_LICENCE_CHARSET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LICENCE_TYPE_LENGTH: Final = 21  # the defining department's USCC + a 3-digit type number
_LICENCE_VERSION_LENGTH: Final = 3
_LICENCE_SERIAL_MAX: Final = 32
_LICENCE_PARTS: Final = 5  # type code, issuer code, serial, version, check character


def licence_identifier_check_char(body: str) -> str:
    """ISO 7064 MOD 37,36 (hybrid system) check character over ``body`` (0-9A-Z, dots removed).

    Raises ValueError on a character outside 0-9A-Z.
    """
    modulus = len(_LICENCE_CHARSET)
    product = modulus
    for ch in body:
        value = _LICENCE_CHARSET.find(ch)
        if value < 0:
            msg = f"invalid character {ch!r} in licence identifier"
            raise ValueError(msg)
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return _LICENCE_CHARSET[(modulus + 1 - product) % modulus]


def _in_charset(text: str) -> bool:
    return all(c in _LICENCE_CHARSET for c in text)


def _licence_parts_error(parts: list[str]) -> str | None:
    if len(parts) != _LICENCE_PARTS:
        return "电子证照标识应由证照类型代码、颁发机构代码、流水号、版本号和校验位组成"
    type_code, issuer, serial, version, check = parts
    # First failing rule wins, in the order the parts appear.
    rules = (
        (len(type_code) == _LICENCE_TYPE_LENGTH and _in_charset(type_code), "证照类型代码应为21位（定义部门统一社会信用代码18位加3位类型顺序号）"),
        (type_code[18:].isdigit() and check_uscc(type_code[:18]).valid, "证照类型代码中的定义部门统一社会信用代码无效"),
        (check_uscc(issuer).valid, "证照颁发机构代码（统一社会信用代码）无效"),
        (1 <= len(serial) <= _LICENCE_SERIAL_MAX and _in_charset(serial), "证照流水号应为1至32位数字或大写字母"),
        (len(version) == _LICENCE_VERSION_LENGTH and _is_ascii_digits(version), "版本号应为3位数字"),
        (len(check) == 1, "校验位应为1位"),
    )
    return next((message for ok, message in rules if not ok), None)


def check_licence_identifier(value: str) -> CodeCheck:
    """Validate a GB/T 36904 electronic licence identifier.

    Shape: ``1.2.156.3005.2.<type code>.<issuer USCC>.<serial>.<3-digit version>.<check>``; the check
    character is ISO 7064 MOD 37,36 over everything after the prefix with the dots removed.
    """
    text = value.strip().upper()
    if not text.startswith(LICENCE_ID_PREFIX):
        return CodeCheck(valid=False, message=f"电子证照标识应以 {LICENCE_ID_PREFIX} 开头")
    parts = text[len(LICENCE_ID_PREFIX) :].split(".")
    error = _licence_parts_error(parts)
    if error is not None:
        return CodeCheck(valid=False, message=error)
    expected = licence_identifier_check_char("".join(parts[:-1]))
    if parts[-1] != expected:
        return CodeCheck(valid=False, message=f"校验位错误，应为{expected}")
    return CodeCheck(valid=True, message="电子证照标识校验通过")


def make_licence_identifier(type_code: str, issuer_uscc: str, serial: str, version: int = 1) -> str:
    """Build a GB/T 36904 identifier with its check character; ValueError when a part is invalid."""
    parts = [type_code.upper(), normalise_uscc(issuer_uscc), serial.upper(), f"{version:03d}", "0"]
    error = _licence_parts_error(parts)
    if error is not None:
        raise ValueError(error)
    body = "".join(parts[:-1])
    return LICENCE_ID_PREFIX + ".".join([*parts[:-1], licence_identifier_check_char(body)])
