"""The object-storage interface, its errors, key rules and the local-folder implementation."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from longgov.kernel.errors import AppError

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")


class StorageKeyError(ValueError):
    """A key outside the allowed alphabet or shape."""


class ObjectNotFound(KeyError):
    """No object under the key."""


class StorageError(AppError):
    """The store failed or refused (S3 error code, HTTP status); the user sees only a retry hint.

    ``error_code`` is the store's machine code (S3 ``<Code>``, such as ``NoSuchBucket`` or
    ``SignatureDoesNotMatch``, or a connection failure's class name). No credential, header or
    response body is kept, so the exception is safe to log.
    """

    status_code = 503
    code = "storage_unavailable"

    def __init__(self, operation: str, key: str, error_code: str, *, http_status: int | None = None, request_id: str | None = None) -> None:
        super().__init__("材料存储服务暂时不可用，请稍后重试")
        self.operation = operation
        self.key = key
        self.error_code = error_code
        self.http_status = http_status
        self.request_id = request_id

    def __str__(self) -> str:
        status = f" HTTP {self.http_status}" if self.http_status is not None else ""
        request = f" request-id {self.request_id}" if self.request_id else ""
        return f"{self.message} [{self.operation} {self.key or '-'}: {self.error_code}{status}{request}]"


class ObjectStorage(Protocol):
    """Put, get and delete whole objects by key; ``delete`` of a missing key is not an error."""

    @property
    def kind(self) -> str:
        """``local`` or ``s3`` (health reports it)."""
        ...

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there."""
        ...

    async def get(self, key: str) -> bytes:
        """The object's bytes; :class:`ObjectNotFound` when there is none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object if it exists."""
        ...

    async def check_ready(self) -> None:
        """Raise :class:`StorageError` unless the store accepts requests now (one quick probe)."""
        ...


def check_key(key: str) -> str:
    """Validate a storage key (no absolute paths, no ``..``, no odd characters)."""
    if len(key) > 200 or not _KEY.match(key) or ".." in key:  # noqa: PLR2004 - column width
        raise StorageKeyError(key)
    return key


class LocalFolderStorage:
    """Objects as files under one folder (demo, tests, single-host installs)."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file and rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:  # noqa: ARG002 - a file needs no content type
        """Store the bytes as a file."""
        await asyncio.to_thread(self._write, key, data)

    async def get(self, key: str) -> bytes:
        """Read the file."""
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc

    async def delete(self, key: str) -> None:
        """Remove the file if present."""
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether a file is stored under the key (tests and checks)."""
        return self._path(key).is_file()

    def _check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError("check", "", type(exc).__name__) from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError("check", "", "FolderNotWritable")

    async def check_ready(self) -> None:
        """The folder exists (or can be made) and this process may write into it."""
        await asyncio.to_thread(self._check)
