"""The SigV4 signer against AWS's published examples.

Expected values are the ones AWS publishes: the S3 "Signature Calculations for the Authorization
Header (single chunk)" examples (key AKIAIOSFODNN7EXAMPLE, bucket examplebucket, 2013-05-24) and the
Signature Version 4 test suite (key AKIDEXAMPLE, service "service", 2015-08-30T12:36:00Z).
"""

import hashlib
from datetime import UTC, datetime

import pytest

from longgov.storage.sigv4 import EMPTY_SHA256, Credentials, canonical_query, canonical_request, sign, signing_key, uri_encode

S3_DOCS = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
SUITE = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
MAY_2013 = datetime(2013, 5, 24, tzinfo=UTC)
AUG_2015 = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
HOST = {"Host": "examplebucket.s3.amazonaws.com"}


def _s3(method, path, *, query=(), headers=None, payload_hash=EMPTY_SHA256):
    all_headers = {**HOST, "x-amz-content-sha256": payload_hash, **(headers or {})}
    return sign(
        method=method,
        canonical_uri=uri_encode(path, keep_slash=True),
        query=query,
        headers=all_headers,
        payload_hash=payload_hash,
        credentials=S3_DOCS,
        region="us-east-1",
        service="s3",
        now=MAY_2013,
    )


def test_s3_documented_get_object_example():
    signed = _s3("GET", "/test.txt", headers={"Range": "bytes=0-9 "})
    assert signed["x-amz-date"] == "20130524T000000Z"
    assert signed["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_s3_documented_get_object_canonical_request():
    canonical, signed_headers = canonical_request(
        "GET",
        "/test.txt",
        [],
        {"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": "20130524T000000Z"},
        EMPTY_SHA256,
    )
    assert canonical == (
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        f"x-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:20130524T000000Z\n\n"
        f"host;range;x-amz-content-sha256;x-amz-date\n{EMPTY_SHA256}"
    )
    assert signed_headers == "host;range;x-amz-content-sha256;x-amz-date"
    assert hashlib.sha256(canonical.encode()).hexdigest() == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"


def test_s3_documented_put_object_example_encodes_the_dollar():
    body = b"Welcome to Amazon S3."
    payload_hash = hashlib.sha256(body).hexdigest()
    assert payload_hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    signed = _s3(
        "PUT",
        "/test$file.text",
        headers={"Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"},
        payload_hash=payload_hash,
    )
    assert "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class," in signed["authorization"]
    assert signed["authorization"].endswith("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")


@pytest.mark.parametrize(
    ("query", "signature"),
    [
        ([("lifecycle", "")], "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        ([("prefix", "J"), ("max-keys", "2")], "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ],
)
def test_s3_documented_bucket_examples(query, signature):
    assert _s3("GET", "/", query=query)["authorization"].endswith(f"Signature={signature}")


def test_documented_signing_key():
    key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "signature"),
    [
        ("GET", "/", [], {}, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),  # get-vanilla
        ("POST", "/", [], {}, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),  # post-vanilla
        ("GET", "/", [("Param2", "value2"), ("Param1", "value1")], {}, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        ("GET", "/", [("Param1", "value2"), ("Param1", "Value1")], {}, "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
        (
            "GET",
            "/",
            [],
            {"My-Header1": " value1", "My-Header2": ' "a   b   c"'},
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        ),  # get-header-value-trim
        (
            "GET",
            "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            [],
            {},
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        ),  # get-unreserved
    ],
)
def test_signature_v4_test_suite(method, path, query, headers, signature):
    signed = sign(
        method=method,
        canonical_uri=uri_encode(path, keep_slash=True),
        query=query,
        headers={"Host": "example.amazonaws.com", **headers},
        payload_hash=EMPTY_SHA256,
        credentials=SUITE,
        region="us-east-1",
        service="service",
        now=AUG_2015,
    )
    assert signed["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,")
    assert signed["authorization"].endswith(f"Signature={signature}")


def test_uri_encoding_and_query_order():
    assert uri_encode("/a b/é$~_.-", keep_slash=True) == "/a%20b/%C3%A9%24~_.-"
    assert uri_encode("a/b+c=") == "a%2Fb%2Bc%3D"
    assert canonical_query([("b", "2"), ("a", "x y"), ("a", "1"), ("c", "")]) == "a=1&a=x%20y&b=2&c="


def test_the_time_is_converted_to_utc_and_the_secret_never_shows():
    from datetime import timedelta, timezone

    china = timezone(timedelta(hours=8))
    signed = sign(
        method="GET",
        canonical_uri="/",
        headers={"host": "h"},
        payload_hash=EMPTY_SHA256,
        credentials=SUITE,
        region="r",
        service="s3",
        now=datetime(2026, 1, 1, 7, tzinfo=china),
    )
    assert signed["x-amz-date"] == "20251231T230000Z"
    assert "/20251231/r/s3/aws4_request" in signed["authorization"]
    assert SUITE.secret_access_key not in repr(SUITE)
    assert SUITE.secret_access_key not in str(signed)
