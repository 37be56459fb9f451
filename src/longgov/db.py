"""Engine, sessions, the declarative base and portable column types."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator, Uuid, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, SessionTransaction, mapped_column
from sqlalchemy.pool import NullPool

from longgov.config import Settings
from longgov.kernel.errors import AppError, Conflict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PortableJSON = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Timezone-aware current UTC time."""
    return datetime.now(UTC)


_CHINA = ZoneInfo("Asia/Shanghai")
_DAILY_LIMIT = 999_999  # six digits a day


async def daily_number(session: AsyncSession, counter: Any, prefix: str, *, when: datetime | None = None, what: str = "编号") -> str:  # noqa: ANN401 - any mapped class with ``day`` and ``last_value``
    """Issue ``prefix`` + yyyymmdd (China time) + a 6-digit daily sequence from ``counter``'s row for the day.

    One atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on the day's counter row: PostgreSQL
    locks the row until commit, SQLite serialises writers, so workers never share a number; a
    rolled-back transaction gives its number back.
    """
    day = (when or utcnow()).astimezone(_CHINA).strftime("%Y%m%d")
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(counter)
        .values(day=day, last_value=1)
        .on_conflict_do_update(index_elements=[counter.day], set_={"last_value": counter.last_value + 1})
        .returning(counter.last_value)
    )
    value = (await session.execute(statement)).scalar_one()
    if value > _DAILY_LIMIT:
        raise Conflict(f"今日{what}已用完，请明日再试", code="numbers_exhausted")
    return f"{prefix}{day}{value:06d}"


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC and always returned timezone-aware (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        """Reject naive datetimes so local time never leaks into storage."""
        if value is None:
            return None
        if value.tzinfo is None:
            msg = "naive datetime"
            raise ValueError(msg)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        """Attach UTC where the backend returned a naive value."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ModelBase(DeclarativeBase):
    """Base of every table; constraint names follow one convention for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: PortableJSON, uuid.UUID: Uuid()}  # noqa: RUF012


class UUIDPrimaryKey:
    """Client-side UUID keys work the same on SQLite, PostgreSQL and Citus."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    """Creation and update times."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


AfterCommit = Callable[[], Awaitable[None]]

# Lists in ``session.info`` that belong to the unit of work: what was queued inside a savepoint
# that rolls back is dropped with it, and a rollback of the whole transaction drops everything, so
# a page that rolls back and then commits something else never runs side effects of the undone work.
_SCOPED_KEYS: set[str] = {"after_commit"}
_MARKS = "transaction_scoped_marks"


def register_transaction_scoped(key: str) -> None:
    """Make the list under ``session.info[key]`` follow savepoint and transaction rollbacks."""
    _SCOPED_KEYS.add(key)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks: dict[int, dict[str, int]] = session.info.setdefault(_MARKS, {})
        marks[id(transaction)] = {key: len(session.info.get(key, ())) for key in _SCOPED_KEYS}


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    marks: dict[int, dict[str, int]] = session.info.get(_MARKS, {})
    if previous_transaction.nested:
        lengths = marks.pop(id(previous_transaction), None)
        for key, length in (lengths or {}).items():
            if isinstance(queued := session.info.get(key), list):
                del queued[length:]
    elif previous_transaction.parent is None:
        for key in _SCOPED_KEYS:
            session.info.pop(key, None)
        session.info.pop(_MARKS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_marks(session: Session, transaction: SessionTransaction) -> None:
    # A released savepoint's mark stays until the transaction ends (this event fires before
    # ``after_soft_rollback``, so it cannot tell a release from a rollback).
    if transaction.parent is None:
        session.info.pop(_MARKS, None)


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Queue a side effect (SMS, webhook) to run only once the transaction has committed."""
    session.info.setdefault("after_commit", []).append(callback)


class Database:
    """The engine and session factory of one process."""

    def __init__(self, settings: Settings, *, engine: AsyncEngine | None = None) -> None:
        self.settings = settings
        self.kind = settings.database_kind
        self.engine = engine or make_engine(settings)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on error, then run side effects."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except AppError as exc:
                await finish_failed(session, exc)
                raise
            except BaseException:
                await session.rollback()
                raise
        await run_after_commit(session)

    async def dispose(self) -> None:
        """Close pooled connections."""
        await self.engine.dispose()


async def run_after_commit(session: AsyncSession) -> None:
    """Run queued side effects in order; one failing never hides the rest."""
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            import logging  # noqa: PLC0415

            logging.getLogger("longgov.db").exception("after-commit side effect failed")


async def finish_failed(session: AsyncSession, exc: AppError) -> None:
    """End a unit of work that raised a user-facing error: commit only if the error asks to."""
    if exc.keep_changes:
        await session.commit()
        await run_after_commit(session)
    else:
        await session.rollback()
        discard_after_commit(session)


def discard_after_commit(session: AsyncSession) -> None:
    """Drop queued side effects of a rolled-back unit of work."""
    session.info.pop("after_commit", None)


def make_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine with the pragmas/timeouts each backend needs."""
    url = settings.effective_database_url
    if settings.database_kind == "sqlite":
        _ensure_sqlite_dir(url)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _install_sqlite_pragmas(engine)
        return engine
    # Without connect/statement timeouts a partition from the database hangs requests.
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        # No pre-ping: it doubled the transactions per request (measured in bench); dead connections
        # surface through the connect/command timeouts below and are replaced by the pool.
        pool_recycle=1800,
        connect_args={
            "timeout": settings.db_connect_timeout_s,
            "command_timeout": settings.db_statement_timeout_ms / 1000,
            "server_settings": {
                "statement_timeout": str(settings.db_statement_timeout_ms),
                "tcp_keepalives_idle": "30",
                "tcp_keepalives_interval": "10",
                "tcp_keepalives_count": "3",
                "application_name": "longgov",
            },
        },
    )


def make_null_pool_engine(settings: Settings) -> AsyncEngine:
    """Engine without pooling, for one-shot CLI commands and migrations."""
    engine = create_async_engine(settings.effective_database_url, poolclass=NullPool)
    if settings.database_kind == "sqlite":
        _ensure_sqlite_dir(settings.effective_database_url)
        _install_sqlite_pragmas(engine)
    return engine


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[1]
    if path and not path.startswith(":memory:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _install_sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401 - DB-API objects are untyped
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # Let SQLAlchemy, not pysqlite, decide when transactions start (explicit BEGIN below).
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:  # noqa: ANN401
        # IMMEDIATE: nearly every unit of work writes (audit records), and a deferred transaction that
        # read first cannot wait for the write lock (SQLite answers "database is locked" at once,
        # busy_timeout notwithstanding) when another connection committed in between.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
