"""Loading and first-run creation of the platform's long-lived secret keys."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

from longgov.security.crypto import (
    SM4_KEY_SIZE,
    CryptoError,
    SM2KeyPair,
    generate_sm2_keypair,
    sm2_keypair_from_pem,
    sm2_private_key_to_pem,
    sm2_public_key_from_pem,
    sm2_public_key_to_pem,
)

if TYPE_CHECKING:
    import pathlib
    from collections.abc import Callable

__all__ = [
    "DATA_KEY_FILE",
    "INDEX_KEY_FILE",
    "SESSION_KEY_FILE",
    "SIGNING_KEY_FILE",
    "SIGNING_PUBLIC_KEY_FILE",
    "PlatformKeys",
    "load_or_create_keys",
]

SIGNING_KEY_FILE: Final = "signing.pem"
SIGNING_PUBLIC_KEY_FILE: Final = "signing.pub.pem"
DATA_KEY_FILE: Final = "data.key"
INDEX_KEY_FILE: Final = "index.key"
SESSION_KEY_FILE: Final = "session.key"

_INDEX_KEY_SIZE: Final = 32
_SESSION_KEY_SIZE: Final = 32
_FILE_MODE: Final = 0o600
_DIR_MODE: Final = 0o700

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True, repr=False)
class PlatformKeys:
    """All secrets the platform needs; never logged (``repr`` hides them)."""

    signing: SM2KeyPair
    data_key: bytes
    index_key: bytes
    session_key: bytes

    def __repr__(self) -> str:
        """Show only public material."""
        return f"PlatformKeys(signing={self.signing!r})"


def load_or_create_keys(directory: pathlib.Path, *, create: bool) -> PlatformKeys:
    """Load the key files from ``directory``, creating missing ones if ``create``.

    Existing files are never overwritten; a malformed file is always an error.
    """
    if create:
        _ensure_directory(directory)
    elif not directory.is_dir():
        msg = f"key directory {directory} does not exist"
        raise CryptoError(msg)

    signing = _load_signing_key(directory, create=create)
    return PlatformKeys(
        signing=signing,
        data_key=_load_hex_key(directory / DATA_KEY_FILE, SM4_KEY_SIZE, create=create),
        index_key=_load_hex_key(directory / INDEX_KEY_FILE, _INDEX_KEY_SIZE, create=create),
        session_key=_load_hex_key(directory / SESSION_KEY_FILE, _SESSION_KEY_SIZE, create=create),
    )


def _ensure_directory(directory: pathlib.Path) -> None:
    try:
        directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask and ignored for an existing
        # directory, so tighten it explicitly.
        directory.chmod(_DIR_MODE)
    except OSError as exc:
        msg = f"cannot prepare key directory {directory}: {exc}"
        raise CryptoError(msg) from exc


def _load_signing_key(directory: pathlib.Path, *, create: bool) -> SM2KeyPair:
    private_path = directory / SIGNING_KEY_FILE
    public_path = directory / SIGNING_PUBLIC_KEY_FILE

    keypair = _read_or_create(
        private_path,
        create=create,
        generate=lambda: sm2_private_key_to_pem(generate_sm2_keypair()),
        parse=sm2_keypair_from_pem,
    )
    public_key = _read_or_create(
        public_path,
        create=create,
        generate=lambda: sm2_public_key_to_pem(keypair.public_key),
        parse=sm2_public_key_from_pem,
    )
    if public_key != keypair.public_key:
        msg = f"{public_path} does not match the private key in {private_path}"
        raise CryptoError(msg)
    return keypair


def _load_hex_key(path: pathlib.Path, size: int, *, create: bool) -> bytes:
    def parse(raw: bytes) -> bytes:
        try:
            key = bytes.fromhex(raw.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError) as exc:
            msg = "not hexadecimal text"
            raise CryptoError(msg) from exc
        if len(key) != size:
            msg = f"expected {size} bytes ({2 * size} hex digits), found {len(key)} bytes"
            raise CryptoError(msg)
        return key

    return _read_or_create(
        path,
        create=create,
        generate=lambda: secrets.token_bytes(size).hex().encode("ascii") + b"\n",
        parse=parse,
    )


def _read_or_create(
    path: pathlib.Path,
    *,
    create: bool,
    generate: Callable[[], bytes],
    parse: Callable[[bytes], _T],
) -> _T:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if not create:
            msg = f"key file {path} is missing (enable key creation to generate it)"
            raise CryptoError(msg) from None
        # Another process may win the race; then we read the file it wrote.
        _write_new_file(path, generate())
        raw = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read key file {path}: {exc}"
        raise CryptoError(msg) from exc
    try:
        return parse(raw)
    except CryptoError as exc:
        msg = f"key file {path} is malformed: {exc}"
        raise CryptoError(msg) from exc


def _write_new_file(path: pathlib.Path, content: bytes) -> None:
    """Atomically create ``path`` with ``content`` and mode 0600; never replace."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
        try:
            os.fchmod(fd, _FILE_MODE)  # O_CREAT's mode is subject to the umask
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        _publish(tmp, path)
        _fsync_directory(path.parent)
    except OSError as exc:
        msg = f"cannot create key file {path}: {exc}"
        raise CryptoError(msg) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _publish(tmp: pathlib.Path, path: pathlib.Path) -> None:
    # link() is atomic and, unlike replace(), fails if the target exists, so
    # a key written concurrently by another process is never clobbered.
    try:
        os.link(tmp, path)
    except FileExistsError:
        return
    except OSError as exc:
        if exc.errno not in {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}:
            raise
        # Filesystems without hard links: best effort, check then replace.
        if not path.exists():
            tmp.replace(path)


def _fsync_directory(directory: pathlib.Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
