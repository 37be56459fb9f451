"""Settings (pydantic-settings, env prefix ``LONGGOV_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET = "demo-only-insecure-secret"  # noqa: S105 - the placeholder we refuse outside demo mode


class SettingsError(ValueError):
    """Raised when the configuration is unsafe or inconsistent."""


class Settings(BaseSettings):
    """Everything the platform reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="LONGGOV_", env_file=None, extra="ignore")

    mode: Literal["demo", "production", "test"] = "demo"
    var_dir: Path = Path("var")
    database_url: str = ""
    # Production loads keys from here; demo and test generate them on first run.
    keys_dir: Path | None = None
    secret: str = DEMO_SECRET
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # Idle session timeout (seconds) and absolute lifetime.
    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    session_max_seconds: int = Field(default=12 * 3600, ge=300)
    login_max_failures: int = Field(default=5, ge=1)
    login_lock_seconds: int = Field(default=15 * 60, ge=1)
    sms_code_seconds: int = Field(default=5 * 60, ge=30)
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Cookies need Secure in production behind TLS; demo runs on plain http://127.0.0.1.
    cookie_secure: bool | None = None
    db_statement_timeout_ms: int = Field(default=15_000, ge=100)
    db_connect_timeout_s: int = Field(default=5, ge=1)
    # Per worker; cover its peak concurrency, or the pool churns connections (seen in bench).
    db_pool_size: int = Field(default=20, ge=1)
    # Documents: a CJK font to embed (default: Debian's fonts-noto-cjk) and the public address
    # printed in QR codes and links on official documents.
    cjk_font: Path | None = None
    cjk_font_bold: Path | None = None
    public_base_url: str = ""
    # Uploaded materials: files under var_dir/storage ("local") or an S3-compatible object store ("s3":
    # AWS, MinIO, Ceph RGW, Huawei OBS, Alibaba OSS …). Path-style suits most private deployments.
    storage_backend: Literal["local", "s3"] = "local"
    s3_endpoint_url: str = ""
    s3_bucket: str = Field(default="", pattern=r"^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    s3_region: str = Field(default="us-east-1", pattern=r"^[a-z0-9-]{1,32}$")
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    s3_addressing_style: Literal["path", "virtual"] = "path"
    s3_server_side_encryption: Literal["", "AES256", "aws:kms"] = ""
    s3_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Notification channels, each switchable: in-app messages (站内消息) and SMS; the SMS signature
    # is the one registered with the operator, printed as 【…】 at the start of each text.
    notify_in_app: bool = True
    notify_sms: bool = True
    sms_signature: str = Field(default="甘肃政务服务", min_length=2, max_length=12)
    # Scheduled jobs: an asyncio task in each web worker runs the due ones every ``jobs_tick_seconds``
    # (None: on in demo mode only; production runs ``longgov jobs run`` from a cron/systemd timer).
    # A lease row per job keeps concurrent runners from running the same job twice.
    jobs_in_process: bool | None = None
    jobs_tick_seconds: int = Field(default=60, ge=5, le=3600)
    # From this month on, a missing holiday notice for next year alerts the system administrators.
    calendar_alert_from_month: int = Field(default=11, ge=1, le=12)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.mode == "production":
            if self.secret == DEMO_SECRET or len(self.secret) < 32:  # noqa: PLR2004 - 256-bit minimum
                msg = "生产模式必须设置 LONGGOV_SECRET（至少32个字符，不能使用演示默认值）"
                raise SettingsError(msg)
            if not self.database_url:
                msg = "生产模式必须设置 LONGGOV_DATABASE_URL"
                raise SettingsError(msg)
            if not self.public_base_url.startswith("https://"):
                msg = "生产模式必须设置 LONGGOV_PUBLIC_BASE_URL（https:// 开头，文书二维码与核验链接使用）"
                raise SettingsError(msg)
            if self.keys_dir is None:
                msg = "生产模式必须设置 LONGGOV_KEYS_DIR（SM2/SM4 密钥目录）"
                raise SettingsError(msg)
        return self

    @model_validator(mode="after")
    def _check_object_storage(self) -> Settings:
        if self.storage_backend != "s3":
            return self
        missing = [
            f"LONGGOV_{name.upper()}"
            for name, value in (
                ("s3_endpoint_url", self.s3_endpoint_url),
                ("s3_bucket", self.s3_bucket),
                ("s3_access_key_id", self.s3_access_key_id),
                ("s3_secret_access_key", self.s3_secret_access_key.get_secret_value()),
            )
            if not value
        ]
        if missing:
            raise SettingsError(f"对象存储（LONGGOV_STORAGE_BACKEND=s3）必须设置 {'、'.join(missing)}")
        if not self.s3_endpoint_url.startswith(("http://", "https://")):
            raise SettingsError("LONGGOV_S3_ENDPOINT_URL 必须以 http:// 或 https:// 开头")
        # Materials are personal data: in production they travel to the store over TLS only.
        if self.mode == "production" and not self.s3_endpoint_url.startswith("https://"):
            raise SettingsError("生产模式下 LONGGOV_S3_ENDPOINT_URL 必须使用 https://")
        if self.s3_addressing_style == "virtual" and "." in self.s3_bucket:
            raise SettingsError("虚拟主机式寻址（LONGGOV_S3_ADDRESSING_STYLE=virtual）的桶名不能含“.”，请改用 path")
        return self

    @property
    def is_demo(self) -> bool:
        """True on the laptop/demo profile, where keys and outboxes are local."""
        return self.mode == "demo"

    @cached_property
    def effective_database_url(self) -> str:
        """The async SQLAlchemy URL, defaulting to SQLite (WAL) under ``var/``."""
        url = self.database_url or f"sqlite+aiosqlite:///{self.var_dir / 'longgov.sqlite3'}"
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        if url.startswith("sqlite:///"):
            url = "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        return url

    @property
    def database_kind(self) -> Literal["sqlite", "postgresql"]:
        """Which backend the URL names."""
        return "postgresql" if self.effective_database_url.startswith("postgresql") else "sqlite"

    @property
    def effective_keys_dir(self) -> Path:
        """Directory holding the SM2 signing key and SM4/HMAC keys."""
        return self.keys_dir or self.var_dir / "keys"

    @property
    def create_missing_keys(self) -> bool:
        """Only demo and test generate keys; production must be given them."""
        return self.mode != "production"

    @property
    def run_jobs_in_process(self) -> bool:
        """Whether the web workers run the scheduled jobs themselves (default: demo mode only)."""
        return self.jobs_in_process if self.jobs_in_process is not None else self.mode == "demo"

    @property
    def secure_cookies(self) -> bool:
        """Secure cookie flag: on in production unless explicitly disabled."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.mode == "production"
