"""Where uploaded materials live: a small object-storage interface and its local-folder implementation.

Keys are relative, slash-separated names (``applications/<uuid>/<n>-<hex>``) made only of
``[a-z0-9/._-]``; an implementation never interprets them beyond that. The interface is the subset
of an S3-compatible store the platform needs (PUT/GET/DELETE object by key), so an S3 implementation
maps ``put`` to PutObject (with ``ContentType``), ``get`` to GetObject and ``delete`` to DeleteObject
on one bucket. That implementation is a later step; until then the local folder is used.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from longgov.config import Settings

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")


class StorageKeyError(ValueError):
    """A key outside the allowed alphabet or shape."""


class ObjectNotFound(KeyError):
    """No object under the key."""


class ObjectStorage(Protocol):
    """Put, get and delete whole objects by key; ``delete`` of a missing key is not an error."""

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there."""
        ...

    async def get(self, key: str) -> bytes:
        """The object's bytes; :class:`ObjectNotFound` when there is none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object if it exists."""
        ...


def check_key(key: str) -> str:
    """Validate a storage key (no absolute paths, no ``..``, no odd characters)."""
    if len(key) > 200 or not _KEY.match(key) or ".." in key:  # noqa: PLR2004 - column width
        raise StorageKeyError(key)
    return key


class LocalFolderStorage:
    """Objects as files under one folder (demo, tests, single-host installs)."""

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


_overrides: dict[Path, ObjectStorage] = {}


def storage_for(settings: Settings) -> ObjectStorage:
    """The material store of a deployment: ``<var_dir>/storage`` unless one was installed."""
    return _overrides.get(settings.var_dir) or LocalFolderStorage(settings.var_dir / "storage")


def install_storage(settings: Settings, storage: ObjectStorage) -> None:
    """Use another implementation (an S3-compatible store) for this deployment."""
    _overrides[settings.var_dir] = storage
