"""Tests for the SM2/SM3/SM4 wrapper, including cross-checks against OpenSSL."""

from __future__ import annotations

import base64
import shutil
import subprocess
from typing import TYPE_CHECKING

import gmssl_pyx  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longgov.security import crypto
from longgov.security.crypto import (
    DEFAULT_SIGNER_ID,
    CryptoError,
    SM2KeyPair,
    constant_time_equal,
    generate_sm2_keypair,
    sm2_keypair_from_pem,
    sm2_keypair_from_private_key,
    sm2_private_key_to_pem,
    sm2_public_key_from_pem,
    sm2_public_key_to_pem,
    sm2_sign,
    sm2_verify,
    sm3_digest,
    sm3_hex,
    sm3_hmac,
    sm4_decrypt,
    sm4_encrypt,
    sm4_encrypt_block,
)

if TYPE_CHECKING:
    from pathlib import Path

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl CLI not installed; cannot cross-verify SM2")

KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
KEYPAIR = generate_sm2_keypair()
OTHER_KEYPAIR = generate_sm2_keypair()


# --------------------------------------------------------------------------- SM3


def test_sm3_abc() -> None:
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm3_abcd_x16() -> None:
    expected = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    assert sm3_digest(b"abcd" * 16).hex() == expected


@given(st.binary(max_size=512))
def test_sm3_matches_gmssl(data: bytes) -> None:
    assert sm3_digest(data) == gmssl_pyx.sm3_hash(data)


@given(st.binary(min_size=1, max_size=100), st.binary(max_size=256))
def test_sm3_hmac_matches_gmssl(key: bytes, data: bytes) -> None:
    assert sm3_hmac(key, data) == gmssl_pyx.sm3_hmac(key, data)
    assert len(sm3_hmac(key, data)) == crypto.SM3_DIGEST_SIZE


def test_constant_time_equal() -> None:
    assert constant_time_equal(b"abc", b"abc")
    assert not constant_time_equal(b"abc", b"abd")
    assert not constant_time_equal(b"abc", b"ab")


# --------------------------------------------------------------------------- SM4


def test_sm4_block_gbt32907_vector() -> None:
    assert sm4_encrypt_block(KEY, KEY).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_rfc8998_vector() -> None:
    # RFC 8998 appendix A.1 known-answer test for the underlying SM4-GCM.
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    iv = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
    )
    encryptor = Cipher(algorithms.SM4(KEY), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    assert ciphertext.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


def test_sm4_blob_layout_and_gmssl_interop() -> None:
    blob = sm4_encrypt(KEY, b"hello", b"ctx")
    assert blob[0] == crypto.SM4_BLOB_VERSION
    assert len(blob) == 1 + crypto.SM4_NONCE_SIZE + 5 + crypto.SM4_TAG_SIZE
    nonce, body, tag = blob[1:13], blob[13:-16], blob[-16:]
    aad = blob[:13] + (3).to_bytes(8, "big") + b"ctx"
    assert gmssl_pyx.sm4_gcm_decrypt(KEY, nonce, aad, body, tag) == b"hello"


@settings(max_examples=200)
@given(
    st.binary(min_size=16, max_size=16),
    st.binary(max_size=2048),
    st.binary(max_size=64),
)
def test_sm4_roundtrip(key: bytes, plaintext: bytes, aad: bytes) -> None:
    assert sm4_decrypt(key, sm4_encrypt(key, plaintext, aad), aad) == plaintext


def test_sm4_encryptions_differ() -> None:
    assert sm4_encrypt(KEY, b"same plaintext") != sm4_encrypt(KEY, b"same plaintext")


def test_sm4_every_byte_is_authenticated() -> None:
    blob = sm4_encrypt(KEY, b"personal data: 620102199001011234", b"citizen:42")
    for i in range(len(blob)):
        for flip in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[i] ^= flip
            with pytest.raises(CryptoError):
                sm4_decrypt(KEY, bytes(tampered), b"citizen:42")


@given(st.data())
def test_sm4_tamper_property(data: st.DataObject) -> None:
    plaintext = data.draw(st.binary(max_size=64))
    blob = sm4_encrypt(KEY, plaintext)
    index = data.draw(st.integers(0, len(blob) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = bytearray(blob)
    tampered[index] ^= flip
    with pytest.raises(CryptoError):
        sm4_decrypt(KEY, bytes(tampered))


def test_sm4_truncation_and_extension_rejected() -> None:
    blob = sm4_encrypt(KEY, b"data")
    for cut in range(len(blob)):
        with pytest.raises(CryptoError):
            sm4_decrypt(KEY, blob[:cut])
    with pytest.raises(CryptoError):
        sm4_decrypt(KEY, blob + b"\x00")


def test_sm4_wrong_aad_or_key_rejected() -> None:
    blob = sm4_encrypt(KEY, b"data", b"aad")
    with pytest.raises(CryptoError):
        sm4_decrypt(KEY, blob, b"aae")
    with pytest.raises(CryptoError):
        sm4_decrypt(KEY, blob)
    with pytest.raises(CryptoError):
        sm4_decrypt(bytes(16), blob, b"aad")


@pytest.mark.parametrize("size", [0, 15, 17, 24, 32])
def test_sm4_bad_key_size(size: int) -> None:
    with pytest.raises(CryptoError):
        sm4_encrypt(bytes(size), b"x")
    with pytest.raises(CryptoError):
        sm4_decrypt(bytes(size), bytes(40))
    with pytest.raises(CryptoError):
        sm4_encrypt_block(bytes(size), bytes(16))


def test_sm4_block_bad_size() -> None:
    with pytest.raises(CryptoError):
        sm4_encrypt_block(KEY, bytes(15))


def test_sm4_unknown_version_rejected() -> None:
    blob = bytearray(sm4_encrypt(KEY, b"x"))
    blob[0] = 2
    with pytest.raises(CryptoError, match="version"):
        sm4_decrypt(KEY, bytes(blob))


# --------------------------------------------------------------------------- SM2


def test_sm2_keypair_shape() -> None:
    assert len(KEYPAIR.private_key) == crypto.SM2_PRIVATE_KEY_SIZE
    assert len(KEYPAIR.public_key) == crypto.SM2_PUBLIC_KEY_SIZE
    assert KEYPAIR.public_key[0] == 0x04
    assert KEYPAIR.private_key.hex() not in repr(KEYPAIR)
    assert sm2_keypair_from_private_key(KEYPAIR.private_key) == KEYPAIR


def test_sm2_keypair_rejects_mismatch_and_garbage() -> None:
    with pytest.raises(CryptoError):
        SM2KeyPair(KEYPAIR.private_key, OTHER_KEYPAIR.public_key)
    with pytest.raises(CryptoError):
        SM2KeyPair(bytes(32), KEYPAIR.public_key)
    with pytest.raises(CryptoError):
        SM2KeyPair(KEYPAIR.private_key, KEYPAIR.public_key[:64])


def test_sm2_sign_verify_roundtrip() -> None:
    signature = sm2_sign(KEYPAIR.private_key, b"message")
    assert signature[0] == 0x30  # DER SEQUENCE
    assert sm2_verify(KEYPAIR.public_key, b"message", signature)


@settings(max_examples=50)
@given(st.binary(max_size=1024), st.binary(min_size=1, max_size=64))
def test_sm2_roundtrip_property(message: bytes, signer_id: bytes) -> None:
    signature = sm2_sign(KEYPAIR.private_key, message, signer_id)
    assert sm2_verify(KEYPAIR.public_key, message, signature, signer_id)


@settings(max_examples=25)
@given(st.binary(max_size=512), st.binary(min_size=1, max_size=40))
def test_sm2_matches_gmssl_message_api(message: bytes, signer_id: bytes) -> None:
    # gmssl_pyx.sm2_sign/sm2_verify compute Z internally; ours computes it in
    # Python, so agreement in both directions checks our Z and e.
    raw_public = KEYPAIR.public_key[1:]
    ours = sm2_sign(KEYPAIR.private_key, message, signer_id)
    assert gmssl_pyx.sm2_verify(raw_public, message, ours, signer_id)
    theirs = gmssl_pyx.sm2_sign(KEYPAIR.private_key, raw_public, message, signer_id)
    assert sm2_verify(KEYPAIR.public_key, message, theirs, signer_id)


def test_sm2_rejections_return_false() -> None:
    signature = sm2_sign(KEYPAIR.private_key, b"message")
    assert not sm2_verify(KEYPAIR.public_key, b"messagf", signature)
    assert not sm2_verify(OTHER_KEYPAIR.public_key, b"message", signature)
    assert not sm2_verify(KEYPAIR.public_key, b"message", signature, b"8765432187654321")
    assert not sm2_verify(KEYPAIR.public_key, b"message", signature[:-1])
    assert not sm2_verify(KEYPAIR.public_key, b"message", signature + b"\x00")
    assert not sm2_verify(KEYPAIR.public_key, b"message", b"")
    assert not sm2_verify(KEYPAIR.public_key, b"message", b"\x30\x06\x02\x01\x00\x02\x01\x00")
    assert not sm2_verify(KEYPAIR.public_key, b"message", signature, b"")
    assert not sm2_verify(KEYPAIR.public_key[1:], b"message", signature)
    assert not sm2_verify(b"", b"message", signature)
    assert not sm2_verify(b"\x04" + bytes(64), b"message", signature)
    assert not sm2_verify(None, b"message", signature)  # type: ignore[arg-type]
    assert not sm2_verify(KEYPAIR.public_key, "message", signature)  # type: ignore[arg-type]


@settings(max_examples=300)
@given(st.binary(max_size=160))
def test_sm2_garbage_signature_never_raises(garbage: bytes) -> None:
    assert sm2_verify(KEYPAIR.public_key, b"message", garbage) is False


@settings(max_examples=300)
@given(st.binary(max_size=80))
def test_sm2_garbage_public_key_never_raises(garbage: bytes) -> None:
    signature = sm2_sign(KEYPAIR.private_key, b"message")
    assert sm2_verify(garbage, b"message", signature) is False


@given(st.data())
def test_sm2_mutated_signature_rejected(data: st.DataObject) -> None:
    signature = bytearray(sm2_sign(KEYPAIR.private_key, b"message"))
    # Signature length varies (DER integers), so draw independently of it.
    index = data.draw(st.integers(0, 1000)) % len(signature)
    signature[index] ^= data.draw(st.integers(1, 255))
    assert sm2_verify(KEYPAIR.public_key, b"message", bytes(signature)) is False


def test_sm2_sign_bad_inputs() -> None:
    with pytest.raises(CryptoError):
        sm2_sign(bytes(32), b"m")
    with pytest.raises(CryptoError):
        sm2_sign(b"\xff" * 32, b"m")
    with pytest.raises(CryptoError):
        sm2_sign(KEYPAIR.private_key[:31], b"m")
    with pytest.raises(CryptoError):
        sm2_sign(KEYPAIR.private_key, b"m", b"")


def test_sm2_signatures_are_randomised() -> None:
    assert sm2_sign(KEYPAIR.private_key, b"m") != sm2_sign(KEYPAIR.private_key, b"m")


def test_default_signer_id() -> None:
    assert DEFAULT_SIGNER_ID == b"1234567812345678" == gmssl_pyx.SM2_DEFAULT_SIGNER_ID


# --------------------------------------------------------------------------- PEM


def test_pem_roundtrip() -> None:
    assert sm2_public_key_from_pem(sm2_public_key_to_pem(KEYPAIR.public_key)) == KEYPAIR.public_key
    assert sm2_keypair_from_pem(sm2_private_key_to_pem(KEYPAIR)) == KEYPAIR


def test_pem_structure() -> None:
    pem = sm2_public_key_to_pem(KEYPAIR.public_key)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    der = base64.b64decode(b"".join(pem.splitlines()[1:-1]))
    # SEQUENCE { SEQUENCE { id-ecPublicKey, sm2 }, BIT STRING 00 04 ... }
    assert der.startswith(bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200"))
    assert der.endswith(KEYPAIR.public_key)


@pytest.mark.parametrize(
    "pem",
    [
        b"",
        b"not a pem",
        b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
        (b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"),
    ],
)
def test_malformed_private_pem(pem: bytes) -> None:
    with pytest.raises(CryptoError):
        sm2_keypair_from_pem(pem)


def test_public_pem_is_not_a_private_key() -> None:
    with pytest.raises(CryptoError):
        sm2_keypair_from_pem(sm2_public_key_to_pem(KEYPAIR.public_key))
    with pytest.raises(CryptoError):
        sm2_public_key_from_pem(sm2_private_key_to_pem(KEYPAIR))


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_garbage_der_in_pem_raises_only_crypto_error(der: bytes) -> None:
    body = base64.b64encode(der)
    for label in (b"PRIVATE KEY", b"EC PRIVATE KEY", b"PUBLIC KEY"):
        pem = b"-----BEGIN " + label + b"-----\n" + body + b"\n-----END " + label + b"-----\n"
        loader = sm2_public_key_from_pem if label == b"PUBLIC KEY" else sm2_keypair_from_pem
        with pytest.raises(CryptoError):
            loader(pem)


def test_private_pem_with_mismatched_embedded_public_key() -> None:
    pem = sm2_private_key_to_pem(KEYPAIR)
    der = base64.b64decode(b"".join(pem.splitlines()[1:-1]))
    forged = der.replace(KEYPAIR.public_key, OTHER_KEYPAIR.public_key)
    with pytest.raises(CryptoError, match="does not match"):
        sm2_keypair_from_pem(crypto._pem_encode("PRIVATE KEY", forged))


# --------------------------------------------------------------------------- OpenSSL


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    assert OPENSSL is not None
    return subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, check=False, timeout=30)


DISTID = f"distid:{DEFAULT_SIGNER_ID.decode()}"


@needs_openssl
def test_openssl_accepts_our_private_pem(tmp_path: Path) -> None:
    (tmp_path / "priv.pem").write_bytes(sm2_private_key_to_pem(KEYPAIR))
    result = _openssl("pkey", "-in", "priv.pem", "-noout", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pub = _openssl("pkey", "-in", "priv.pem", "-pubout", cwd=tmp_path)
    assert pub.returncode == 0, pub.stderr
    assert sm2_public_key_from_pem(pub.stdout) == KEYPAIR.public_key


@needs_openssl
@pytest.mark.parametrize("message", [b"", b"hello world", bytes(range(256)) * 20])
def test_openssl_verifies_our_signature(tmp_path: Path, message: bytes) -> None:
    (tmp_path / "pub.pem").write_bytes(sm2_public_key_to_pem(KEYPAIR.public_key))
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig").write_bytes(sm2_sign(KEYPAIR.private_key, message))
    args = [
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        "pub.pem",
        "-rawin",
        "-digest",
        "sm3",
    ]
    args += ["-in", "msg", "-sigfile", "sig", "-pkeyopt", DISTID]
    result = _openssl(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert b"Signature Verified Successfully" in result.stdout

    (tmp_path / "msg").write_bytes(message + b"!")
    assert _openssl(*args, cwd=tmp_path).returncode != 0


@needs_openssl
def test_we_verify_openssl_signature(tmp_path: Path) -> None:
    (tmp_path / "priv.pem").write_bytes(sm2_private_key_to_pem(KEYPAIR))
    (tmp_path / "msg").write_bytes(b"signed by openssl")
    args = ["pkeyutl", "-sign", "-inkey", "priv.pem", "-rawin", "-digest", "sm3"]
    args += ["-in", "msg", "-out", "sig", "-pkeyopt", DISTID]
    result = _openssl(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    signature = (tmp_path / "sig").read_bytes()
    assert sm2_verify(KEYPAIR.public_key, b"signed by openssl", signature)
    assert not sm2_verify(KEYPAIR.public_key, b"signed by openssl", signature, b"other-id")


@needs_openssl
def test_we_load_openssl_generated_keys(tmp_path: Path) -> None:
    result = _openssl("genpkey", "-algorithm", "SM2", "-out", "k.pem", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pkcs8 = (tmp_path / "k.pem").read_bytes()
    keypair = sm2_keypair_from_pem(pkcs8)
    # Our encoder produces the same bytes as OpenSSL's.
    assert sm2_private_key_to_pem(keypair) == pkcs8

    result = _openssl("ec", "-in", "k.pem", "-out", "sec1.pem", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sm2_keypair_from_pem((tmp_path / "sec1.pem").read_bytes()) == keypair

    result = _openssl("pkey", "-in", "k.pem", "-pubout", "-out", "pub.pem", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sm2_public_key_from_pem((tmp_path / "pub.pem").read_bytes()) == keypair.public_key


@needs_openssl
def test_non_sm2_keys_rejected(tmp_path: Path) -> None:
    args = [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "p256.pem",
    ]
    result = _openssl(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with pytest.raises(CryptoError, match="not an SM2"):
        sm2_keypair_from_pem((tmp_path / "p256.pem").read_bytes())
    result = _openssl("pkey", "-in", "p256.pem", "-pubout", "-out", "pub.pem", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with pytest.raises(CryptoError):
        sm2_public_key_from_pem((tmp_path / "pub.pem").read_bytes())
