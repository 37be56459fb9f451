"""S3Storage against a real S3-compatible server (moto in server mode, with IAM signature checks on).

moto re-computes every request's SigV4 signature with botocore and refuses a mismatch, so these
tests also check our signer end to end: path style, virtual-host style, signed Content-MD5 and SSE
headers.
"""

import logging
import socket
import uuid
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select

from longgov.applications import services
from longgov.applications.models import Application, ApplicationMaterial
from longgov.identity.models import Account
from longgov.identity.services import principal_for_account
from longgov.platform import ServiceContext
from longgov.storage import ObjectNotFound, S3Storage, StorageError, install_storage, storage_for
from longgov.storage.sigv4 import Credentials
from tests.conftest import csrf_headers, login_person
from tests.functional.applications.conftest import FOOD, PDF, item_code

BUCKET = "longgov-materials"
REGION = "cn-northwest-1"


class _ToLoopback(httpx.AsyncBaseTransport):
    """Connect every request to the local server while keeping its Host header (virtual-host style needs DNS otherwise)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()
        self.hosts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.headers["host"])
        request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def s3_server():
    import boto3
    from moto.core.authorization import enable_iam_authentication
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    setup = {"endpoint_url": endpoint, "region_name": REGION, "aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
    iam = boto3.client("iam", **setup)
    iam.create_user(UserName="longgov")
    iam.put_user_policy(
        UserName="longgov",
        PolicyName="materials",
        PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}',
    )
    key = iam.create_access_key(UserName="longgov")["AccessKey"]
    boto3.client("s3", **setup).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    # From here on every request must carry a valid signature of a known access key.
    with enable_iam_authentication():
        yield {
            "endpoint": endpoint,
            "port": port,
            "credentials": credentials,
            "boto": boto3.client(
                "s3",
                endpoint_url=endpoint,
                region_name=REGION,
                aws_access_key_id=credentials.access_key_id,
                aws_secret_access_key=credentials.secret_access_key,
            ),
        }
    server.stop()


def _store(s3_server, **overrides) -> S3Storage:
    options = {"endpoint_url": s3_server["endpoint"], "bucket": BUCKET, "region": REGION, "credentials": s3_server["credentials"], "backoff_s": 0.01}
    return S3Storage(**{**options, **overrides})


async def test_put_get_delete_round_trip_path_style(s3_server):
    store = _store(s3_server)
    key = f"applications/{uuid.uuid4().hex}/0-{uuid.uuid4().hex[:16]}.pdf"
    await store.put(key, PDF + b"\x00\xff binary", content_type="application/pdf")
    assert await store.get(key) == PDF + b"\x00\xff binary"
    head = s3_server["boto"].head_object(Bucket=BUCKET, Key=key)
    assert head["ContentType"] == "application/pdf"
    assert head["ContentLength"] == len(PDF) + 9
    # Replacing keeps one object with the new bytes.
    await store.put(key, b"%PDF-2", content_type="application/pdf")
    assert await store.get(key) == b"%PDF-2"
    await store.delete(key)
    with pytest.raises(ObjectNotFound):
        await store.get(key)
    await store.delete(key)  # deleting again is not an error
    await store.check_ready()
    await store.aclose()


async def test_virtual_host_style_sends_the_bucket_in_the_host(s3_server):
    transport = _ToLoopback(s3_server["port"])
    store = _store(s3_server, endpoint_url=f"http://s3.gansu.test:{s3_server['port']}", addressing_style="virtual", transport=transport)
    key = "applications/virtual/1-a.png"
    await store.put(key, b"\x89PNG\r\n", content_type="image/png")
    assert await store.get(key) == b"\x89PNG\r\n"
    await store.check_ready()
    assert s3_server["boto"].get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"\x89PNG\r\n"
    await store.delete(key)
    assert set(transport.hosts) == {f"{BUCKET}.s3.gansu.test:{s3_server['port']}"}
    await store.aclose()


async def test_server_side_encryption_header_is_applied(s3_server):
    store = _store(s3_server, server_side_encryption="AES256")
    await store.put("applications/sse/0-x.pdf", PDF, content_type="application/pdf")
    assert s3_server["boto"].head_object(Bucket=BUCKET, Key="applications/sse/0-x.pdf")["ServerSideEncryption"] == "AES256"
    await store.aclose()


async def test_missing_key_is_object_not_found(s3_server):
    store = _store(s3_server)
    with pytest.raises(ObjectNotFound):
        await store.get("applications/none/0-missing.pdf")
    await store.aclose()


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        (Credentials("AKIAUNKNOWNKEY000000", "whatever-secret-value"), "InvalidAccessKeyId"),
        (None, "SignatureDoesNotMatch"),
    ],
)
async def test_wrong_credentials_are_a_storage_error_without_secrets(s3_server, caplog, credentials, code):
    good = s3_server["credentials"]
    wrong = credentials or Credentials(good.access_key_id, "not-the-secret-" + good.secret_access_key[:8])
    store = _store(s3_server, credentials=wrong)
    caplog.set_level(logging.DEBUG, logger="longgov")
    calls = (lambda: store.put("applications/x/0-a.pdf", PDF, content_type="application/pdf"), lambda: store.get("applications/x/0-a.pdf"), store.check_ready)
    for call in calls:
        with pytest.raises(StorageError) as caught:
            await call()
        assert caught.value.http_status == 403
        assert caught.value.status_code == 503
        assert caught.value.code == "storage_unavailable"
        if caught.value.operation != "check":  # HEAD answers have no body to name the code
            assert caught.value.error_code == code
        text = f"{caught.value} {caught.value!r} {store!r} {caplog.text}"
        assert wrong.secret_access_key not in text
        assert good.secret_access_key not in text
        assert "Signature=" not in text
    await store.aclose()


async def test_missing_bucket(s3_server):
    store = _store(s3_server, bucket="no-such-bucket")
    with pytest.raises(StorageError) as caught:
        await store.get("applications/x/0-a.pdf")
    assert (caught.value.error_code, caught.value.http_status) == ("NoSuchBucket", 404)
    with pytest.raises(StorageError) as caught:
        await store.put("applications/x/0-a.pdf", PDF, content_type="application/pdf")
    assert caught.value.error_code == "NoSuchBucket"
    with pytest.raises(StorageError) as caught:
        await store.check_ready()
    assert (caught.value.error_code, caught.value.http_status) == ("NotFound", 404)
    await store.aclose()


async def test_unreachable_endpoint_is_retried_then_a_storage_error(s3_server, caplog):
    with _refusing_port() as port:
        store = _store(s3_server, endpoint_url=f"http://127.0.0.1:{port}", retries=2, timeout_s=2)
        caplog.set_level(logging.WARNING, logger="longgov.storage")
        with pytest.raises(StorageError) as caught:
            await store.get("applications/x/0-a.pdf")
    assert caught.value.error_code == "ConnectError"
    assert len([r for r in caplog.records if "retry" in r.getMessage()]) == 2
    await store.aclose()


@contextmanager
def _refusing_port():
    """A local port with nothing listening (bound, never listened), so connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def s3_installed(s3_server, seeded):
    store = _store(s3_server)
    install_storage(seeded.settings, store)
    yield store
    install_storage(seeded.settings, None)


async def test_applications_upload_and_read_through_s3(client, seeded, make_person, s3_server, s3_installed):
    assert storage_for(seeded.settings) is s3_installed
    await login_person(client, seeded, await make_person())
    headers = {**(await csrf_headers(client)), "accept": "application/json"}
    r = await client.post("/api/v1/applications", json={"item_code": await item_code(seeded, FOOD), "form": {}}, headers=headers)
    assert r.status_code == 201, r.text
    draft = r.json()
    url = f"/api/v1/applications/{draft['id']}/materials"
    r = await client.post(url, headers=headers, data={"material": "0"}, files={"file": ("营业执照.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    async with seeded.db.transaction() as session:
        row = (await session.execute(select(ApplicationMaterial).where(ApplicationMaterial.application_id == uuid.UUID(draft["id"])))).scalar_one()
        first_key = row.storage_key
    assert first_key.startswith(f"applications/{uuid.UUID(draft['id']).hex}/0-")
    stored = s3_server["boto"].get_object(Bucket=BUCKET, Key=first_key)
    assert stored["Body"].read() == PDF
    assert stored["ContentType"] == "application/pdf"

    # Replacing the material stores the new object and deletes the old one after commit.
    r = await client.post(url, headers=headers, data={"material": "0"}, files={"file": ("营业执照.pdf", PDF + b"v2", "application/pdf")})
    assert r.status_code == 201, r.text
    async with seeded.db.transaction() as session:
        row = (await session.execute(select(ApplicationMaterial).where(ApplicationMaterial.application_id == uuid.UUID(draft["id"])))).scalar_one()
        second_key = row.storage_key
        application = await session.get(Application, uuid.UUID(draft["id"]))
        account = await session.get(Account, application.applicant_account_id)
        actor = await principal_for_account(session, account)
    assert second_key != first_key
    with pytest.raises(ObjectNotFound):
        await s3_installed.get(first_key)

    # The applicant reads the file back through the service, from the bucket.
    async with seeded.db.transaction() as session:
        material, data = await services.read_material(ServiceContext(session=session, platform=seeded, actor=actor), uuid.UUID(draft["id"]), 0)
    assert data == PDF + b"v2"
    assert material.size == len(PDF) + 2

    # Health reports the S3 store; a store without its bucket makes the worker unhealthy.
    r = await client.get("/healthz")
    assert (r.status_code, r.json()["storage"]) == (200, "s3")
    install_storage(seeded.settings, _store(s3_server, bucket="gone-bucket"))
    r = await client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["failing"] == ["storage"]
