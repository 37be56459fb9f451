"""S3Storage's requests, retries and error mapping, with the server answers scripted (httpx.MockTransport)."""

import hashlib
import logging

import httpx
import pytest

from longgov.storage import ObjectNotFound, S3Storage, StorageError, StorageKeyError
from longgov.storage.sigv4 import Credentials

SECRET = "very-secret-key-material-1234567890"
CREDENTIALS = Credentials("AKIATESTKEY", SECRET)


def _error(code: str, status: int, request_id: str = "RID123") -> httpx.Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>m</Message><RequestId>{request_id}</RequestId></Error>'
    return httpx.Response(status, content=body.encode(), headers={"content-type": "application/xml"})


def _store(handler, **overrides) -> tuple[S3Storage, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request, len(seen))

    options = {
        "endpoint_url": "https://obs.cn-northwest-1.example.cn",
        "bucket": "materials",
        "region": "cn-northwest-1",
        "credentials": CREDENTIALS,
        "backoff_s": 0.001,
        "transport": httpx.MockTransport(record),
    }
    return S3Storage(**{**options, **overrides}), seen


async def test_put_sends_type_md5_payload_hash_and_sse():
    store, seen = _store(lambda *_: httpx.Response(200), server_side_encryption="aws:kms")
    await store.put("applications/ab/0-x.pdf", b"hello", content_type="application/pdf")
    (request,) = seen
    assert request.method == "PUT"
    assert str(request.url) == "https://obs.cn-northwest-1.example.cn/materials/applications/ab/0-x.pdf"
    assert request.headers["host"] == "obs.cn-northwest-1.example.cn"
    assert request.headers["content-type"] == "application/pdf"
    assert request.headers["content-md5"] == "XUFAKrxLKna5cZ2REBfFkg=="  # MD5("hello"), base64
    assert request.headers["x-amz-content-sha256"] == hashlib.sha256(b"hello").hexdigest()
    assert request.headers["x-amz-server-side-encryption"] == "aws:kms"
    assert request.content == b"hello"
    auth = request.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIATESTKEY/")
    assert "/cn-northwest-1/s3/aws4_request," in auth
    assert "SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-server-side-encryption," in auth


async def test_virtual_host_style_and_custom_port():
    store, seen = _store(lambda *_: httpx.Response(200, content=b"data"), endpoint_url="http://minio.internal:9000", addressing_style="virtual")
    assert await store.get("applications/ab/0-x.pdf") == b"data"
    assert str(seen[0].url) == "http://materials.minio.internal:9000/applications/ab/0-x.pdf"
    assert seen[0].headers["host"] == "materials.minio.internal:9000"
    await store.check_ready()
    assert str(seen[1].url) == "http://materials.minio.internal:9000/"
    assert seen[1].method == "HEAD"


async def test_default_port_is_left_out_of_the_host():
    store, seen = _store(lambda *_: httpx.Response(200), endpoint_url="https://s3.example.cn:443")
    await store.check_ready()
    assert seen[0].headers["host"] == "s3.example.cn"
    assert str(seen[0].url) == "https://s3.example.cn/materials"


async def test_5xx_and_connection_errors_are_retried_then_succeed(caplog):
    def flaky(request, n):
        if n == 1:
            raise httpx.ConnectError("refused", request=request)
        if n == 2:
            return _error("SlowDown", 503)
        return httpx.Response(200, content=b"ok")

    store, seen = _store(flaky)
    caplog.set_level(logging.WARNING, logger="longgov.storage")
    assert await store.get("applications/ab/0-x.pdf") == b"ok"
    assert len(seen) == 3
    assert all("authorization" in r.headers for r in seen)
    messages = [r.getMessage() for r in caplog.records]
    assert any("ConnectError" in m for m in messages)
    assert any("SlowDown" in m for m in messages)


async def test_persistent_5xx_gives_up_after_the_retries():
    store, seen = _store(lambda *_: _error("InternalError", 500, "REQ-9"), retries=2)
    with pytest.raises(StorageError) as caught:
        await store.put("applications/ab/0-x.pdf", b"x", content_type="application/pdf")
    assert len(seen) == 3
    assert (caught.value.error_code, caught.value.http_status, caught.value.request_id) == ("InternalError", 500, "REQ-9")
    assert caught.value.operation == "put"
    assert "InternalError" in str(caught.value)


async def test_timeouts_are_retried_then_a_storage_error():
    def slow(request, n):
        raise httpx.ReadTimeout("timed out", request=request)

    store, seen = _store(slow, retries=1)
    with pytest.raises(StorageError) as caught:
        await store.get("applications/ab/0-x.pdf")
    assert len(seen) == 2
    assert caught.value.error_code == "ReadTimeout"
    assert caught.value.http_status is None


async def test_client_errors_are_not_retried_and_keep_no_body():
    leaky = (
        "<Error><Code>SignatureDoesNotMatch</Code><AWSAccessKeyId>AKIATESTKEY</AWSAccessKeyId>"
        "<StringToSign>AWS4-HMAC-SHA256 secret-looking</StringToSign><RequestId>R1</RequestId></Error>"
    )
    store, seen = _store(lambda *_: httpx.Response(403, content=leaky.encode()))
    with pytest.raises(StorageError) as caught:
        await store.get("applications/ab/0-x.pdf")
    assert len(seen) == 1
    assert caught.value.error_code == "SignatureDoesNotMatch"
    text = f"{caught.value}{caught.value!r}{caught.value.to_dict()}{store!r}"
    assert "StringToSign" not in text
    assert "secret-looking" not in text
    assert SECRET not in text
    assert caught.value.to_dict() == {"code": "storage_unavailable", "message": "材料存储服务暂时不可用，请稍后重试", "details": None}


async def test_not_found_mapping():
    store, _ = _store(lambda *_: _error("NoSuchKey", 404))
    with pytest.raises(ObjectNotFound):
        await store.get("applications/ab/0-x.pdf")
    await store.delete("applications/ab/0-x.pdf")  # a compatible store's 404 on delete is fine
    store, _ = _store(lambda *_: _error("NoSuchBucket", 404))
    with pytest.raises(StorageError) as caught:
        await store.get("applications/ab/0-x.pdf")
    assert caught.value.error_code == "NoSuchBucket"
    with pytest.raises(StorageError):
        await store.delete("applications/ab/0-x.pdf")


async def test_delete_accepts_204_and_refuses_access_denied():
    store, seen = _store(lambda *_: httpx.Response(204))
    await store.delete("applications/ab/0-x.pdf")
    assert seen[0].method == "DELETE"
    store, _ = _store(lambda *_: _error("AccessDenied", 403))
    with pytest.raises(StorageError) as caught:
        await store.delete("applications/ab/0-x.pdf")
    assert caught.value.error_code == "AccessDenied"


async def test_readiness_probe_is_one_attempt_named_by_status():
    store, seen = _store(lambda *_: httpx.Response(503))
    with pytest.raises(StorageError) as caught:
        await store.check_ready()
    assert len(seen) == 1
    assert caught.value.error_code == "HTTP503"
    store, _ = _store(lambda *_: httpx.Response(301, headers={"x-amz-request-id": "R7"}))
    with pytest.raises(StorageError) as caught:
        await store.check_ready()
    assert (caught.value.error_code, caught.value.request_id) == ("PermanentRedirect", "R7")


async def test_bad_keys_are_refused_before_any_request():
    store, seen = _store(lambda *_: httpx.Response(200))
    for key in ("../etc/passwd", "/abs", "Upper/case", "a//b"):
        with pytest.raises(StorageKeyError):
            await store.get(key)
    assert seen == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"endpoint_url": "ftp://s3.example.cn"},
        {"endpoint_url": "https://user:pw@s3.example.cn"},
        {"endpoint_url": "https://s3.example.cn/prefix"},
        {"bucket": "Bad_Bucket"},
        {"bucket": "with.dots", "addressing_style": "virtual"},
    ],
)
def test_invalid_configuration_is_refused(overrides):
    with pytest.raises(ValueError, match="S3"):
        _store(lambda *_: httpx.Response(200), **overrides)


def test_repr_shows_no_credentials():
    store, _ = _store(lambda *_: httpx.Response(200))
    text = repr(store)
    assert "materials" in text
    assert SECRET not in text
    assert "AKIATESTKEY" not in text
