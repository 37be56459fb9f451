"""Materials in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, Huawei OBS, Alibaba OSS …).

Why our own small client over ``httpx`` instead of boto3/aiobotocore: the platform needs four calls
(PutObject, GetObject, DeleteObject, HeadBucket) on one bucket. boto3 is synchronous (every call
would need a thread) and brings botocore's ~20 MB of service models; aiobotocore pins narrow botocore
ranges and its own aiohttp stack next to the httpx the platform already uses. Signature Version 4 is a
published algorithm of ~80 lines (:mod:`longgov.storage.sigv4`), tested against AWS's documented
examples and against a real S3-compatible server, so owning it costs less than the dependencies.

Behaviour:
- Path-style (``https://host/bucket/key``, MinIO's and most private clouds' default) or
  virtual-host-style (``https://bucket.host/key``, AWS's preferred form) addressing.
- PutObject sends ``Content-Type``, ``Content-MD5`` (the store re-checks the bytes it received) and
  the signed payload's SHA-256; optionally ``x-amz-server-side-encryption``.
- Connection failures, timeouts and 5xx answers are retried with exponential backoff and jitter;
  every attempt is signed afresh (a stale ``x-amz-date`` would be refused).
- A 404 ``NoSuchKey`` is :class:`ObjectNotFound`; any other refusal is :class:`StorageError` carrying
  the S3 ``<Code>`` from the XML body. Messages and logs name the operation, key, code, HTTP status and
  request id, never credentials, signatures or response bodies.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import random
import re
import weakref
from typing import Literal

import httpx

from longgov.config import Settings
from longgov.storage.base import ObjectNotFound, StorageError, check_key
from longgov.storage.sigv4 import EMPTY_SHA256, Credentials, sign, uri_encode

log = logging.getLogger(__name__)

AddressingStyle = Literal["path", "virtual"]
_RETRYABLE_FROM = 500
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CODE = re.compile(rb"<Code>([A-Za-z0-9._-]{1,64})</Code>")
_REQUEST_ID = re.compile(rb"<RequestId>([A-Za-z0-9._=+/-]{1,128})</RequestId>")
# HEAD answers carry no body: name the refusal by its status, as the SDKs do.
_CODE_BY_STATUS = {301: "PermanentRedirect", 400: "BadRequest", 403: "Forbidden", 404: "NotFound"}
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def valid_bucket_name(name: str, *, addressing_style: AddressingStyle) -> bool:
    """S3 bucket naming rules; virtual-host style also rules out dots (they break TLS wildcard certificates)."""
    if not _BUCKET.match(name) or ".." in name:
        return False
    return addressing_style == "path" or "." not in name


def error_code_of(response: httpx.Response) -> tuple[str, str | None]:
    """(S3 error code, request id) from the XML error body, falling back on the HTTP status."""
    head = response.content[:4096]
    code = _CODE.search(head)
    request_id = _REQUEST_ID.search(head)
    rid = request_id.group(1).decode() if request_id else response.headers.get("x-amz-request-id")
    if code:
        return code.group(1).decode(), rid
    return _CODE_BY_STATUS.get(response.status_code, f"HTTP{response.status_code}"), rid


class S3Storage:
    """One bucket of an S3-compatible store behind :class:`~longgov.storage.base.ObjectStorage`."""

    kind = "s3"

    def __init__(
        self,
        *,
        endpoint_url: str,
        bucket: str,
        region: str,
        credentials: Credentials,
        addressing_style: AddressingStyle = "path",
        server_side_encryption: str | None = None,
        timeout_s: float = 10.0,
        retries: int = 3,
        backoff_s: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport`` is for a proxy, client certificates or tests; the default opens TCP/TLS itself."""
        endpoint = httpx.URL(endpoint_url)
        if endpoint.scheme not in _DEFAULT_PORTS or not endpoint.host or endpoint.userinfo or endpoint.query or endpoint.path not in {"", "/"}:
            msg = "S3 endpoint must be http(s)://host[:port] without path, query or user info"
            raise ValueError(msg)
        if not valid_bucket_name(bucket, addressing_style=addressing_style):
            msg = f"invalid S3 bucket name for {addressing_style}-style addressing: {bucket!r}"
            raise ValueError(msg)
        self.bucket = bucket
        self.region = region
        self.addressing_style = addressing_style
        self.server_side_encryption = server_side_encryption or None
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self._credentials = credentials
        self._scheme = endpoint.scheme
        self._host = endpoint.host
        self._port = endpoint.port if endpoint.port not in {None, _DEFAULT_PORTS[endpoint.scheme]} else None
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._client_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        """The store the ``LONGGOV_S3_*`` settings describe."""
        return cls(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            credentials=Credentials(settings.s3_access_key_id, settings.s3_secret_access_key.get_secret_value()),
            addressing_style=settings.s3_addressing_style,
            server_side_encryption=settings.s3_server_side_encryption or None,
            timeout_s=settings.s3_timeout_seconds,
        )

    def __repr__(self) -> str:
        return (
            f"S3Storage(endpoint={self._scheme}://{self._authority(self._host)}, bucket={self.bucket!r}, region={self.region!r}, style={self.addressing_style})"
        )

    def _authority(self, host: str) -> str:
        bracketed = f"[{host}]" if ":" in host else host
        return f"{bracketed}:{self._port}" if self._port else bracketed

    def target(self, key: str | None) -> tuple[str, str, str]:
        """(URL, Host header, canonical URI) of the bucket (``key`` None) or of one object."""
        if self.addressing_style == "virtual":
            host = self._authority(f"{self.bucket}.{self._host}")
            path = "/" + (key or "")
        else:
            host = self._authority(self._host)
            path = f"/{self.bucket}" + (f"/{key}" if key else "")
        encoded = uri_encode(path, keep_slash=True)
        return f"{self._scheme}://{host}{encoded}", host, encoded

    def _http(self) -> httpx.AsyncClient:
        # A pooled connection belongs to the event loop that opened it: one client per loop.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is None or self._client_loop() is not loop:
            self._client = httpx.AsyncClient(transport=self._transport, timeout=self.timeout_s, follow_redirects=False)
            self._client_loop = weakref.ref(loop)
        return self._client

    async def aclose(self) -> None:
        """Close pooled connections (on shutdown)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _send(
        self,
        operation: str,
        method: str,
        key: str | None,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        attempts: int | None = None,
        timeout_s: float | None = None,
    ) -> httpx.Response:
        url, host, canonical_uri = self.target(key)
        payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        tries = attempts if attempts is not None else self.retries + 1
        client = self._http()
        attempt = 0
        while True:
            attempt += 1
            signed = sign(
                method=method,
                canonical_uri=canonical_uri,
                headers={"host": host, "x-amz-content-sha256": payload_hash, **(headers or {})},
                payload_hash=payload_hash,
                credentials=self._credentials,
                region=self.region,
                service="s3",
            )
            # Bytes exactly as stored: no transparent decompression.
            signed["accept-encoding"] = "identity"
            request = client.build_request(method, url, headers=signed, content=body or None, timeout=timeout_s or self.timeout_s)
            try:
                response = await client.send(request)
            except httpx.TransportError as exc:
                if attempt >= tries:
                    raise StorageError(operation, key or "", type(exc).__name__) from exc
                log.warning("s3 %s %s: %s, retry %d/%d", operation, key or self.bucket, type(exc).__name__, attempt, tries - 1)
            else:
                if response.status_code < _RETRYABLE_FROM or attempt >= tries:
                    return response
                code, request_id = error_code_of(response)
                log.warning(
                    "s3 %s %s: HTTP %d %s (request %s), retry %d/%d", operation, key or self.bucket, response.status_code, code, request_id, attempt, tries - 1
                )
            await asyncio.sleep(self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        # Exponential with jitter, so workers that failed together do not retry in step.
        ceiling = min(self.backoff_s * 2.0 ** (attempt - 1), 5.0)
        return ceiling * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not a secret

    def _failure(self, operation: str, key: str, response: httpx.Response) -> StorageError:
        code, request_id = error_code_of(response)
        return StorageError(operation, key, code, http_status=response.status_code, request_id=request_id)

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """PutObject with the content type and an MD5 the store verifies."""
        check_key(key)
        headers = {
            "content-type": content_type,
            "content-md5": base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
        }
        if self.server_side_encryption:
            headers["x-amz-server-side-encryption"] = self.server_side_encryption
        response = await self._send("put", "PUT", key, body=data, headers=headers)
        if response.status_code != httpx.codes.OK:
            raise self._failure("put", key, response)

    async def get(self, key: str) -> bytes:
        """GetObject; :class:`ObjectNotFound` on ``NoSuchKey``."""
        check_key(key)
        response = await self._send("get", "GET", key)
        if response.status_code == httpx.codes.OK:
            return response.content
        if response.status_code == httpx.codes.NOT_FOUND and error_code_of(response)[0] == "NoSuchKey":
            raise ObjectNotFound(key)
        raise self._failure("get", key, response)

    async def delete(self, key: str) -> None:
        """DeleteObject; a key that is already gone is fine."""
        check_key(key)
        response = await self._send("delete", "DELETE", key)
        if response.status_code in {httpx.codes.OK, httpx.codes.NO_CONTENT}:
            return
        # S3 answers 204 for a missing key; some compatible stores answer 404 NoSuchKey.
        if response.status_code == httpx.codes.NOT_FOUND and error_code_of(response)[0] == "NoSuchKey":
            return
        raise self._failure("delete", key, response)

    async def check_ready(self) -> None:
        """HeadBucket, once and briefly: health checks must answer fast, not retry."""
        response = await self._send("check", "HEAD", None, attempts=1, timeout_s=min(self.timeout_s, 3.0))
        if response.status_code != httpx.codes.OK:
            raise self._failure("check", "", response)
