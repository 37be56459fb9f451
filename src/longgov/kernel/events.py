"""In-process domain events: typed events, subscribe/publish, delivered only after the transaction commits.

A service publishes an event inside its unit of work (``publish(ctx, SomethingHappened(...))``); the
event waits in the session until the outermost transaction commits and is then handed to every
subscriber of its type, each in turn, with the platform so the subscriber can open its own unit of
work. A rollback (of the whole transaction, or of the savepoint the event was published in) drops
the event: nobody hears of what did not happen. Delivery is in this process and at most once: a
crash between commit and delivery loses the event (good enough for notifications, not for money).

Subscriptions are code wiring, declared by modules (``Module.subscriptions``) and installed once
by the composition root; subscribing the same handler twice is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from longgov.db import after_commit

log = logging.getLogger("longgov.events")

_PENDING = "domain_events"


class DomainEvent:
    """Base class of domain events (subclasses are frozen dataclasses named in the past tense)."""


E = TypeVar("E", bound=DomainEvent)
# (event, platform): the kernel cannot name the Platform type (it lives above the kernel).
Handler = Callable[[Any, Any], Awaitable[None]]


class EventContext(Protocol):
    """What ``publish`` needs of a service context: its session and its platform."""

    @property
    def session(self) -> AsyncSession:
        """The unit of work the event belongs to."""

    @property
    def platform(self) -> object:
        """Handed to subscribers."""


@dataclass(frozen=True)
class Subscription:
    """A module's declaration: call ``handler(event, platform)`` for each committed event of ``event_type``."""

    event_type: type[DomainEvent]
    handler: Handler


@dataclass
class _Pending:
    event: DomainEvent
    platform: object
    transaction: SessionTransaction | None


class EventBus:
    """Subscribers by event type; events wait in the session until commit."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[E, Any], Awaitable[None]]) -> Callable[[], None]:
        """Register ``handler`` for ``event_type`` (idempotent); returns an unsubscribe."""
        handlers = self._handlers.setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)

        def unsubscribe() -> None:
            if handler in handlers:
                handlers.remove(handler)

        return unsubscribe

    def install(self, subscriptions: list[Subscription]) -> None:
        """Subscribe every declared subscription (the composition root calls this once per process)."""
        for item in subscriptions:
            self.subscribe(item.event_type, item.handler)

    def subscribers(self, event_type: type[DomainEvent]) -> list[Handler]:
        """Handlers of an event type (and of its base classes), in subscription order."""
        return [h for cls in event_type.__mro__ if cls in self._handlers for h in self._handlers[cls]]

    def publish(self, ctx: EventContext, event: DomainEvent) -> None:
        """Queue ``event``; it is delivered once the outermost transaction has committed."""
        session = ctx.session
        pending: list[_Pending] | None = session.info.get(_PENDING)
        if pending is None:
            pending = session.info[_PENDING] = []
            sync_session = session.sync_session

            async def deliver_committed() -> None:
                await self._deliver_all(sync_session.info.pop(_PENDING, []))

            after_commit(session, deliver_committed)
        pending.append(_Pending(event, ctx.platform, session.sync_session.get_nested_transaction()))

    async def _deliver_all(self, pending: list[_Pending]) -> None:
        for item in pending:
            await self.deliver(item.event, item.platform)

    async def deliver(self, event: DomainEvent, platform: object) -> None:
        """Hand one event to its subscribers now; one failing subscriber does not stop the others."""
        for handler in self.subscribers(type(event)):
            try:
                await handler(event, platform)
            except Exception:
                log.exception("subscriber %s failed for %s", getattr(handler, "__qualname__", handler), type(event).__name__)


def _inside(transaction: SessionTransaction | None, rolled_back: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is rolled_back:
            return True
        transaction = transaction.parent
    return False


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rollback drops the events of the transaction (or savepoint) that rolled back."""
    pending: list[_Pending] | None = session.info.get(_PENDING)
    if not pending:
        return
    # A failed flush rolls back an internal subtransaction: what rolls back is its savepoint or the root.
    boundary = previous_transaction
    while boundary.parent is not None and not boundary.nested:
        boundary = boundary.parent
    if not boundary.nested:
        session.info.pop(_PENDING, None)
        return
    pending[:] = [p for p in pending if not _inside(p.transaction, boundary)]
    if not pending:
        # The delivery callback went with the savepoint too (longgov.db scopes after-commit
        # callbacks); the next publish must queue a new one.
        session.info.pop(_PENDING, None)


sa_event.listen(Session, "after_soft_rollback", _drop_rolled_back)

# The process-wide bus: subscriptions are static wiring, so one bus serves every platform and test app.
bus = EventBus()
subscribe = bus.subscribe
publish = bus.publish
