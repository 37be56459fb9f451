"""核验密钥缓存 — the seal keys and trusted external keys that verification reads, cached per process.

Every verification resolves the ``keyId`` of a seal or proof to a registered key. Keys change rarely
(a new seal, a rotation, a compromised key, the mutual-recognition trust list) while verifications
come by the hundred per second, so each process keeps what it read:

* an entry lives at most :data:`TTL_SECONDS`; a key id not found is not cached (a new seal or trusted
  key verifies at once);
* a write to ``licence_seal_keys`` or ``licence_trusted_issuers`` committed through any engine of this
  process empties the cache at commit (SQLAlchemy connection events see every statement, ORM or Core),
  and a transaction that has written either table reads past the cache until it ends;
* other processes (the other granian workers, the CLI, jobs) learn of a change when their entries
  expire: a compromised or retired key may still be accepted there for up to :data:`TTL_SECONDS`.

A lookup started before such a commit does not store what it read (generation check), so a stale row
read concurrently with a change never outlives it. Entries are per database URL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import event, select
from sqlalchemy.engine import Connection, Engine

from longgov.licences.models import TrustedIssuer
from longgov.licences.seals import Seal, public_seal
from longgov.platform import ServiceContext

TTL_SECONDS: Final = 10.0
MAX_ENTRIES: Final = 10_000
_TABLES: Final = ("licence_seal_keys", "licence_trusted_issuers")
_WRITES: Final = tuple(f"{verb} {table}" for verb in ("INSERT INTO", "UPDATE", "DELETE FROM") for table in _TABLES)
_WRITTEN: Final = "licences_keys_written"


@dataclass(frozen=True)
class ExternalKey:
    """An active key of another province's issuer on the mutual-recognition trust list."""

    public_key: bytes
    uscc: str


@dataclass
class _Cache:
    generation: int = 0
    entries: dict[tuple[str, str, str], tuple[float, Seal | ExternalKey]] = field(default_factory=dict)

    def clear(self) -> None:
        self.generation += 1
        self.entries.clear()


_cache = _Cache()


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:  # noqa: ANN401, ARG001, FBT001, PLR0917 - SQLAlchemy's signature
    if statement.startswith(_WRITES):
        conn.info[_WRITTEN] = True


@event.listens_for(Engine, "commit")
def _committed(conn: Connection) -> None:
    if conn.info.pop(_WRITTEN, False):
        _cache.clear()


@event.listens_for(Engine, "rollback")
def _rolled_back(conn: Connection) -> None:
    conn.info.pop(_WRITTEN, None)


def clear() -> None:
    """Forget every cached key (tests, key ceremonies run outside SQLAlchemy)."""
    _cache.clear()


async def _bypass(ctx: ServiceContext) -> bool:
    """Whether this transaction has written a key table: it must see its own, uncommitted rows."""
    connection = await ctx.session.connection()
    return bool(connection.info.get(_WRITTEN))


def _get(key: tuple[str, str, str]) -> Seal | ExternalKey | None:
    found = _cache.entries.get(key)
    if found is None:
        return None
    stored_at, value = found
    if time.monotonic() - stored_at > TTL_SECONDS:
        _cache.entries.pop(key, None)
        return None
    return value


def _put(key: tuple[str, str, str], value: Seal | ExternalKey, generation: int) -> None:
    if generation != _cache.generation:
        return  # a key table changed while this was read
    if len(_cache.entries) >= MAX_ENTRIES:
        _cache.entries.clear()
    _cache.entries[key] = (time.monotonic(), value)


async def seal(ctx: ServiceContext, key_id: str) -> Seal | None:
    """A registered seal of this platform by key id (active, rotated or compromised), as :func:`~longgov.licences.seals.public_seal`."""
    key = (ctx.settings.effective_database_url, "seal", key_id)
    cached = _get(key)
    if isinstance(cached, Seal) and not await _bypass(ctx):
        return cached
    generation = _cache.generation
    found = await public_seal(ctx.session, key_id)
    if found is not None:
        _put(key, found, generation)
    return found


async def external_key(ctx: ServiceContext, key_id: str) -> ExternalKey | None:
    """An active key of the mutual-recognition trust list by key id."""
    key = (ctx.settings.effective_database_url, "external", key_id)
    cached = _get(key)
    if isinstance(cached, ExternalKey) and not await _bypass(ctx):
        return cached
    generation = _cache.generation
    query = select(TrustedIssuer.public_key, TrustedIssuer.uscc).where(TrustedIssuer.key_id == key_id, TrustedIssuer.active.is_(True))
    row = (await ctx.session.execute(query)).first()
    if row is None:
        return None
    found = ExternalKey(bytes(row.public_key), str(row.uscc))
    _put(key, found, generation)
    return found
