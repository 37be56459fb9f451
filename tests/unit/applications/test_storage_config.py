"""Storage settings and the choice of implementation."""

import pytest

from longgov.config import Settings
from longgov.storage import LocalFolderStorage, S3Storage, StorageError, install_storage, storage_for

S3 = {
    "storage_backend": "s3",
    "s3_endpoint_url": "https://obs.cn-northwest-1.example.cn",
    "s3_bucket": "gansu-materials",
    "s3_region": "cn-northwest-1",
    "s3_access_key_id": "AKIAEXAMPLE",
    "s3_secret_access_key": "a-secret-that-must-not-leak",
}
PRODUCTION = {
    "mode": "production",
    "secret": "x" * 40,
    "database_url": "postgresql://db/x",
    "public_base_url": "https://zwfw.gansu.gov.cn",
    "keys_dir": "/etc/longgov",
}


def test_local_is_the_default(tmp_path):
    settings = Settings(mode="test", var_dir=tmp_path)
    store = storage_for(settings)
    assert isinstance(store, LocalFolderStorage)
    assert store.root == tmp_path / "storage"


def test_s3_settings_give_one_shared_client(tmp_path):
    settings = Settings(mode="test", var_dir=tmp_path, **S3, s3_addressing_style="virtual", s3_server_side_encryption="AES256")
    store = storage_for(settings)
    assert isinstance(store, S3Storage)
    assert store is storage_for(Settings(mode="test", var_dir=tmp_path, **S3, s3_addressing_style="virtual", s3_server_side_encryption="AES256"))
    assert (store.bucket, store.region, store.addressing_style, store.server_side_encryption) == ("gansu-materials", "cn-northwest-1", "virtual", "AES256")
    assert store.target("applications/a/0-b.pdf")[0] == "https://gansu-materials.obs.cn-northwest-1.example.cn/applications/a/0-b.pdf"
    assert "a-secret-that-must-not-leak" not in repr(settings)
    assert "a-secret-that-must-not-leak" not in repr(store)


def test_an_installed_store_wins_until_removed(tmp_path):
    settings = Settings(mode="test", var_dir=tmp_path)
    other = LocalFolderStorage(tmp_path / "elsewhere")
    install_storage(settings, other)
    try:
        assert storage_for(settings) is other
    finally:
        install_storage(settings, None)
    assert storage_for(settings).root == tmp_path / "storage"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"s3_bucket": ""}, "LONGGOV_S3_BUCKET"),
        ({"s3_endpoint_url": "", "s3_secret_access_key": ""}, "LONGGOV_S3_ENDPOINT_URL、LONGGOV_S3_SECRET_ACCESS_KEY"),
        ({"s3_endpoint_url": "obs.example.cn"}, "http:// 或 https://"),
        ({"s3_bucket": "with.dots", "s3_addressing_style": "virtual"}, "桶名不能含"),
        ({"s3_bucket": "Upper_Case"}, "s3_bucket"),
    ],
)
def test_inconsistent_s3_settings_are_refused(tmp_path, overrides, needle):
    with pytest.raises(ValueError, match=needle):
        Settings(mode="test", var_dir=tmp_path, **{**S3, **overrides})


def test_production_s3_needs_tls():
    with pytest.raises(ValueError, match="生产模式下 LONGGOV_S3_ENDPOINT_URL 必须使用 https://"):
        Settings(**PRODUCTION, **{**S3, "s3_endpoint_url": "http://minio.internal:9000"})
    settings = Settings(**PRODUCTION, **S3)
    assert settings.storage_backend == "s3"
    assert settings.s3_secret_access_key.get_secret_value() == "a-secret-that-must-not-leak"


def test_environment_variables_configure_s3(monkeypatch, tmp_path):
    for name, value in S3.items():
        monkeypatch.setenv(f"LONGGOV_{name.upper()}", value)
    monkeypatch.setenv("LONGGOV_S3_ADDRESSING_STYLE", "path")
    settings = Settings(mode="test", var_dir=tmp_path)
    assert (settings.storage_backend, settings.s3_bucket, settings.s3_addressing_style) == ("s3", "gansu-materials", "path")


async def test_local_readiness(tmp_path):
    await LocalFolderStorage(tmp_path / "new" / "folder").check_ready()
    assert (tmp_path / "new" / "folder").is_dir()
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(StorageError) as caught:
        await LocalFolderStorage(tmp_path / "a-file" / "storage").check_ready()
    assert caught.value.error_code in {"FileExistsError", "NotADirectoryError"}
