"""Material storage as the applications module knows it; the implementations live in :mod:`longgov.storage`."""

from __future__ import annotations

from longgov.storage import (
    LocalFolderStorage,
    ObjectNotFound,
    ObjectStorage,
    S3Storage,
    StorageError,
    StorageKeyError,
    check_key,
    install_storage,
    storage_for,
)

__all__ = [
    "LocalFolderStorage",
    "ObjectNotFound",
    "ObjectStorage",
    "S3Storage",
    "StorageError",
    "StorageKeyError",
    "check_key",
    "install_storage",
    "storage_for",
]
