"""The process-wide objects every request and job uses (built once in the composition root)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from longgov.config import Settings
from longgov.db import Database
from longgov.notify.interfaces import OutboxSmsGateway, SmsGateway
from longgov.security.keys import PlatformKeys, load_or_create_keys
from longgov.security.pii import PiiCodec
from longgov.security.principal import Principal, RequestMeta


@dataclass
class Platform:
    """Settings, database, keys and outside-system gateways of one process."""

    settings: Settings
    db: Database
    keys: PlatformKeys
    codec: PiiCodec
    sms: SmsGateway

    @classmethod
    def build(cls, settings: Settings, *, db: Database | None = None, sms: SmsGateway | None = None) -> Platform:
        """Load keys (creating them in demo/test mode) and wire the local gateways."""
        keys = load_or_create_keys(settings.effective_keys_dir, create=settings.create_missing_keys)
        codec = PiiCodec(data_key=keys.data_key, index_key=keys.index_key)
        database = db or Database(settings)
        return cls(settings=settings, db=database, keys=keys, codec=codec, sms=sms or OutboxSmsGateway(database, codec))


@dataclass
class ServiceContext:
    """What a use case needs: the unit of work's session, the platform, the actor and request meta."""

    session: AsyncSession
    platform: Platform
    actor: Principal | None = None
    meta: RequestMeta = field(default_factory=RequestMeta)

    @property
    def settings(self) -> Settings:
        """Shortcut to the platform settings."""
        return self.platform.settings

    @property
    def codec(self) -> PiiCodec:
        """Shortcut to the personal-data codec."""
        return self.platform.codec
