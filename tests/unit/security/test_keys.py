"""Tests for loading and creating the platform key directory."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

import pytest

from longgov.security.crypto import (
    CryptoError,
    generate_sm2_keypair,
    sm2_private_key_to_pem,
    sm2_public_key_to_pem,
    sm2_sign,
    sm2_verify,
    sm4_decrypt,
    sm4_encrypt,
)
from longgov.security.keys import PlatformKeys, load_or_create_keys

if TYPE_CHECKING:
    from pathlib import Path

FILES = ("signing.pem", "signing.pub.pem", "data.key", "index.key", "session.key")


def test_create_then_reload_gives_same_keys(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    created = load_or_create_keys(directory, create=True)
    assert load_or_create_keys(directory, create=False) == created
    assert load_or_create_keys(directory, create=True) == created

    assert len(created.data_key) == 16
    assert len(created.index_key) == 32
    assert len(created.session_key) == 32
    assert len({created.data_key, created.index_key, created.session_key}) == 3
    signature = sm2_sign(created.signing.private_key, b"x")
    assert sm2_verify(created.signing.public_key, b"x", signature)
    assert sm4_decrypt(created.data_key, sm4_encrypt(created.data_key, b"x")) == b"x"


def test_permissions(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    load_or_create_keys(directory, create=True)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for name in FILES:
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name
    assert sorted(p.name for p in directory.iterdir()) == sorted(FILES)  # no temp files left


def test_hex_files_are_text(tmp_path: Path) -> None:
    load_or_create_keys(tmp_path, create=True)
    assert len((tmp_path / "data.key").read_text().strip()) == 32
    assert len((tmp_path / "index.key").read_text().strip()) == 64


@pytest.mark.parametrize("name", FILES)
def test_missing_file_without_create_names_it(tmp_path: Path, name: str) -> None:
    load_or_create_keys(tmp_path, create=True)
    (tmp_path / name).unlink()
    with pytest.raises(CryptoError, match=name.replace(".", r"\.")):
        load_or_create_keys(tmp_path, create=False)


def test_empty_directory_without_create(tmp_path: Path) -> None:
    with pytest.raises(CryptoError, match=r"signing\.pem"):
        load_or_create_keys(tmp_path, create=False)
    assert list(tmp_path.iterdir()) == []


def test_nonexistent_directory_without_create(tmp_path: Path) -> None:
    with pytest.raises(CryptoError, match="does not exist"):
        load_or_create_keys(tmp_path / "nope", create=False)


@pytest.mark.parametrize("create", [True, False])
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("data.key", b"zz\n"),
        ("data.key", b"00" * 32 + b"\n"),
        ("index.key", b"00" * 16 + b"\n"),
        ("session.key", b"\xff\xfe"),
        ("signing.pem", b"garbage"),
        ("signing.pub.pem", b"garbage"),
    ],
)
def test_malformed_file_is_error_and_not_overwritten(tmp_path: Path, name: str, content: bytes, *, create: bool) -> None:
    load_or_create_keys(tmp_path, create=True)
    (tmp_path / name).write_bytes(content)
    with pytest.raises(CryptoError, match=name.replace(".", r"\.")):
        load_or_create_keys(tmp_path, create=create)
    assert (tmp_path / name).read_bytes() == content


def test_missing_files_are_filled_in_without_touching_existing(tmp_path: Path) -> None:
    first = load_or_create_keys(tmp_path, create=True)
    (tmp_path / "index.key").unlink()
    second = load_or_create_keys(tmp_path, create=True)
    assert second.signing == first.signing
    assert second.data_key == first.data_key
    assert second.session_key == first.session_key
    assert second.index_key != first.index_key


def test_public_key_regenerated_from_private(tmp_path: Path) -> None:
    first = load_or_create_keys(tmp_path, create=True)
    (tmp_path / "signing.pub.pem").unlink()
    assert load_or_create_keys(tmp_path, create=True) == first
    assert (tmp_path / "signing.pub.pem").read_bytes() == sm2_public_key_to_pem(first.signing.public_key)


def test_mismatched_public_key_rejected(tmp_path: Path) -> None:
    load_or_create_keys(tmp_path, create=True)
    (tmp_path / "signing.pub.pem").write_bytes(sm2_public_key_to_pem(generate_sm2_keypair().public_key))
    with pytest.raises(CryptoError, match="does not match"):
        load_or_create_keys(tmp_path, create=False)


def test_existing_operator_keys_are_used(tmp_path: Path) -> None:
    keypair = generate_sm2_keypair()
    (tmp_path / "signing.pem").write_bytes(sm2_private_key_to_pem(keypair))
    (tmp_path / "data.key").write_text("00112233445566778899aabbccddeeff\n")
    keys = load_or_create_keys(tmp_path, create=True)
    assert keys.signing == keypair
    assert keys.data_key == bytes.fromhex("00112233445566778899aabbccddeeff")


def test_repr_hides_secrets(tmp_path: Path) -> None:
    keys = load_or_create_keys(tmp_path, create=True)
    text = repr(keys)
    assert isinstance(keys, PlatformKeys)
    for secret in (
        keys.data_key,
        keys.index_key,
        keys.session_key,
        keys.signing.private_key,
    ):
        assert secret.hex() not in text
