import pytest

from longgov.config import Settings


def test_demo_defaults_to_sqlite_under_var():
    s = Settings(mode="demo", var_dir="var")
    assert s.effective_database_url == "sqlite+aiosqlite:///var/longgov.sqlite3"
    assert s.database_kind == "sqlite"
    assert s.secure_cookies is False


def test_postgres_url_uses_asyncpg():
    s = Settings(database_url="postgresql://postgres@127.0.0.1:5432/x")
    assert s.effective_database_url.startswith("postgresql+asyncpg://")
    assert s.database_kind == "postgresql"


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({}, "LONGGOV_SECRET"),
        ({"secret": "short"}, "LONGGOV_SECRET"),
        ({"secret": "x" * 40}, "LONGGOV_DATABASE_URL"),
        ({"secret": "x" * 40, "database_url": "postgresql://db/x"}, "LONGGOV_PUBLIC_BASE_URL"),
        ({"secret": "x" * 40, "database_url": "postgresql://db/x", "public_base_url": "https://zwfw.gansu.gov.cn"}, "LONGGOV_KEYS_DIR"),
    ],
)
def test_production_refuses_placeholders(overrides, needle):
    with pytest.raises(ValueError, match=needle):
        Settings(mode="production", **overrides)


def test_production_with_everything_set_uses_secure_cookies(tmp_path):
    s = Settings(mode="production", secret="x" * 40, database_url="postgresql://db/x", public_base_url="https://zwfw.gansu.gov.cn", keys_dir=tmp_path)
    assert s.secure_cookies is True
    assert s.create_missing_keys is False
