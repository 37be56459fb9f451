"""JCS canonicalisation, base58/multibase, SM2 key compression, sm2-jcs-2026 proofs and status bitstrings."""

import json
from datetime import UTC, datetime

import pytest

from longgov.licences import credentials
from longgov.licences.canonical import CanonicalisationError, base58btc_decode, base58btc_encode, canonical_json, parse_json_object
from longgov.licences.sealing import Problem
from longgov.security.crypto import generate_sm2_keypair


def test_canonical_json_sorts_keys_and_drops_whitespace():
    value = {"b": [1, True, None], "a": {"z": "营业执照", "y": -5}}
    assert canonical_json(value) == '{"a":{"y":-5,"z":"营业执照"},"b":[1,true,null]}'.encode()


def test_canonical_json_escapes_like_json_stringify():
    assert canonical_json({"k": 'q"\\\n\t\x01\x7f/é'}) == b'{"k":"q\\"\\\\\\n\\t\\u0001\x7f/\xc3\xa9"}'


def test_keys_sort_by_utf16_code_units():
    # U+E000 < U+1F600 by code point, but 😀 is D83D DE00 in UTF-16 and so sorts first (RFC 8785).
    assert canonical_json({"\ue000": 1, "😀": 2}).decode() == '{"😀":2,"\ue000":1}'


@pytest.mark.parametrize("bad", [{"x": 1.5}, {"x": 2**53}, {1: "a"}, {"x": "\ud800"}, {"x": "甘肃省\udfff"}, {"x": {1, 2}}])
def test_values_outside_the_profile_are_refused(bad):
    with pytest.raises(CanonicalisationError):
        canonical_json(bad)


def test_parse_refuses_duplicates_and_non_objects():
    with pytest.raises(CanonicalisationError):
        parse_json_object('{"a":1,"a":2}')
    with pytest.raises(CanonicalisationError):
        parse_json_object("[1]")
    with pytest.raises(CanonicalisationError):
        parse_json_object('{"a": NaN}')
    assert parse_json_object(b'{"a":1}') == {"a": 1}


def test_base58btc_known_vector_and_leading_zeros():
    assert base58btc_encode(b"hello world") == "StV1DL6CwTryKyV"
    assert base58btc_decode("StV1DL6CwTryKyV") == b"hello world"
    assert base58btc_decode(base58btc_encode(b"\0\0\x01")) == b"\0\0\x01"


def test_public_key_compression_round_trips():
    for _ in range(5):
        pair = generate_sm2_keypair()
        multikey = credentials.public_key_multibase(pair.public_key)
        assert multikey.startswith("z")
        assert credentials.public_key_from_multibase(multikey) == pair.public_key


def _credential():
    return {
        "@context": [credentials.VC_CONTEXT, "https://example.test/api/v1/licences/context/v1"],
        "type": ["VerifiableCredential", "BusinessLicenceCredential"],
        "issuer": {"id": "https://example.test/api/v1/licences/issuers/X", "name": "某局"},
        "credentialSubject": {"holderName": "甘肃某公司", "licence": {"data": {"name": "甘肃某公司"}}},
    }


def test_sm2_jcs_2026_proof_verifies_and_detects_tampering():
    pair = generate_sm2_keypair()
    method = "https://example.test/api/v1/licences/issuers/X#k1"
    signed = credentials.add_proof(_credential(), private_key=pair.private_key, verification_method_id=method, created=datetime(2026, 11, 27, tzinfo=UTC))
    assert signed["proof"]["cryptosuite"] == "sm2-jcs-2026"
    assert signed["proof"]["proofValue"].startswith("z")
    keys = {method: pair.public_key}
    assert isinstance(credentials.check_proof(signed, keys), credentials.CheckedProof)
    # Reordered keys do not matter (JCS), a changed claim does.
    assert isinstance(credentials.check_proof(json.loads(json.dumps(signed, sort_keys=True)), keys), credentials.CheckedProof)
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["licence"]["data"]["name"] = "另一家公司"
    assert credentials.check_proof(tampered, keys) == Problem("signature_invalid", "签名无效：凭证内容已被篡改或不是颁发机构所签")
    changed_options = json.loads(json.dumps(signed))
    changed_options["proof"]["created"] = "2030-01-01T00:00:00Z"
    assert isinstance(credentials.check_proof(changed_options, keys), Problem)
    other = generate_sm2_keypair()
    assert credentials.check_proof(signed, {method: other.public_key}).code == "signature_invalid"
    assert credentials.check_proof(signed, {}).code == "unknown_issuer"
    foreign = json.loads(json.dumps(signed))
    foreign["issuer"]["id"] = "https://example.test/api/v1/licences/issuers/Y"
    assert credentials.check_proof(foreign, keys).code == "issuer_mismatch"
    no_proof = {k: v for k, v in signed.items() if k != "proof"}
    assert credentials.check_proof(no_proof, keys).code == "proof_missing"


def test_status_bitstring_sets_exactly_the_given_positions():
    encoded = credentials.encode_bitstring({0, 7, 9, 131_071})
    assert encoded.startswith("u")
    assert [i for i in (0, 1, 7, 8, 9, 10, 131_071) if credentials.bit_is_set(encoded, i)] == [0, 7, 9, 131_071]
    assert not credentials.bit_is_set(encoded, 10**9)
