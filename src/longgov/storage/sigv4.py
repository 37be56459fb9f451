"""AWS Signature Version 4 for header-authorised requests (``AWS4-HMAC-SHA256``).

Written from the published specification ("Signature Version 4 signing process" and the S3
"Authenticating Requests" pages): a canonical request, a string to sign over its SHA-256, and an
HMAC chain from the secret key down to a key for one day, region and service. S3 differs from other
services in two ways the caller controls: the path is URI-encoded once (not normalised, not twice),
and the payload hash is also sent as ``x-amz-content-sha256``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Credentials:
    """An access key pair; the secret never appears in ``repr``."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """RFC 3986 percent-encoding of UTF-8: only ``A-Z a-z 0-9 - _ . ~`` stay as they are.

    Paths keep their ``/`` separators; query keys and values encode it as ``%2F``.
    """
    return quote(text, safe="/" if keep_slash else "")


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Encoded ``key=value`` pairs sorted by key, then value (an empty value still has its ``=``)."""
    pairs = sorted((uri_encode(key), uri_encode(value)) for key, value in params)
    return "&".join(f"{key}={value}" for key, value in pairs)


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """(one ``name:value`` line per header, ``;``-joined names): lower-case names, sorted, values trimmed and spaces collapsed."""
    folded: dict[str, list[str]] = {}
    for name, value in headers.items():
        folded.setdefault(name.strip().lower(), []).append(_SPACES.sub(" ", value.strip()))
    names = sorted(folded)
    return "".join(f"{name}:{','.join(folded[name])}\n" for name in names), ";".join(names)


def canonical_request(method: str, canonical_uri: str, query: Iterable[tuple[str, str]], headers: Mapping[str, str], payload_hash: str) -> tuple[str, str]:
    """(canonical request, signed header names); ``canonical_uri`` is the already-encoded path."""
    header_block, signed = canonical_headers(headers)
    return "\n".join((method.upper(), canonical_uri, canonical_query(query), header_block, signed, payload_hash)), signed


def credential_scope(day: str, region: str, service: str) -> str:
    """``yyyymmdd/region/service/aws4_request``."""
    return f"{day}/{region}/{service}/aws4_request"


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """The algorithm, the request time, the scope and the canonical request's SHA-256."""
    return "\n".join((ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()))


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret_access_key: str, day: str, region: str, service: str) -> bytes:
    """HMAC chain ``AWS4<secret>`` → day → region → service → ``aws4_request``."""
    key = _hmac(f"AWS4{secret_access_key}".encode(), day)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def sign(
    *,
    method: str,
    canonical_uri: str,
    query: Iterable[tuple[str, str]] = (),
    headers: Mapping[str, str],
    payload_hash: str,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """``headers`` plus ``x-amz-date`` and ``Authorization``; every given header is signed.

    ``headers`` must hold ``host`` exactly as it is sent; S3 also wants ``x-amz-content-sha256``.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    signed_headers = {**{name.lower(): value for name, value in headers.items()}, "x-amz-date": amz_date}
    canonical, names = canonical_request(method, canonical_uri, query, signed_headers, payload_hash)
    scope = credential_scope(amz_date[:8], region, service)
    key = signing_key(credentials.secret_access_key, amz_date[:8], region, service)
    signature = hmac.new(key, string_to_sign(amz_date, scope, canonical).encode(), hashlib.sha256).hexdigest()
    signed_headers["authorization"] = f"{ALGORITHM} Credential={credentials.access_key_id}/{scope},SignedHeaders={names},Signature={signature}"
    return signed_headers
