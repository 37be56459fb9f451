"""Where uploaded materials live: a small object-storage interface with two implementations.

Keys are relative, slash-separated names (``applications/<uuid>/<n>-<hex>``) made only of
``[a-z0-9/._-]``; an implementation never interprets them beyond that. The interface is the subset
of an S3-compatible store the platform needs: ``put`` is PutObject (with its content type), ``get``
GetObject, ``delete`` DeleteObject on one bucket, ``check_ready`` HeadBucket.

``LONGGOV_STORAGE_BACKEND`` picks the implementation: ``local`` (files under ``<var_dir>/storage``,
the default) or ``s3`` (:class:`~longgov.storage.s3.S3Storage`, configured by ``LONGGOV_S3_*``).
"""

from __future__ import annotations

from pathlib import Path

from longgov.config import Settings
from longgov.storage.base import LocalFolderStorage, ObjectNotFound, ObjectStorage, StorageError, StorageKeyError, check_key
from longgov.storage.s3 import S3Storage

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

_overrides: dict[Path, ObjectStorage] = {}
# One S3 client per configuration, so its connection pool is shared by every request of a worker.
_configured: dict[tuple[object, ...], ObjectStorage] = {}


def storage_for(settings: Settings) -> ObjectStorage:
    """The material store of a deployment: an installed one, else what the settings name."""
    installed = _overrides.get(settings.var_dir)
    if installed is not None:
        return installed
    if settings.storage_backend == "local":
        return LocalFolderStorage(settings.var_dir / "storage")
    identity = (
        settings.s3_endpoint_url,
        settings.s3_bucket,
        settings.s3_region,
        settings.s3_access_key_id,
        settings.s3_secret_access_key.get_secret_value(),
        settings.s3_addressing_style,
        settings.s3_server_side_encryption,
        settings.s3_timeout_seconds,
    )
    store = _configured.get(identity)
    if store is None:
        store = _configured[identity] = S3Storage.from_settings(settings)
    return store


def install_storage(settings: Settings, storage: ObjectStorage | None) -> None:
    """Use another implementation for this deployment (tests, embedding); ``None`` goes back to the settings."""
    if storage is None:
        _overrides.pop(settings.var_dir, None)
    else:
        _overrides[settings.var_dir] = storage
