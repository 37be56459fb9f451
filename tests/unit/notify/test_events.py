"""Domain events: delivered after the commit only, never for what rolled back (whole transaction or savepoint)."""

from dataclasses import dataclass

import pytest
from sqlalchemy import text

from longgov.kernel.events import DomainEvent, EventBus
from longgov.platform import ServiceContext


@dataclass(frozen=True)
class Pinged(DomainEvent):
    n: int


@dataclass(frozen=True)
class Other(DomainEvent):
    n: int


class Boom(Exception):
    pass


@pytest.fixture
def bus():
    bus = EventBus()
    heard: list[tuple[int, object]] = []

    async def handler(event: Pinged, platform: object) -> None:
        heard.append((event.n, platform))

    bus.subscribe(Pinged, handler)
    bus.subscribe(Pinged, handler)  # idempotent
    bus.heard = heard  # type: ignore[attr-defined]
    return bus


async def test_delivered_once_after_commit_with_the_platform(platform, bus):
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        bus.publish(ctx, Pinged(1))
        bus.publish(ctx, Other(9))  # nobody listens
        await session.execute(text("SELECT 1"))
        assert bus.heard == []  # not before the commit
    assert bus.heard == [(1, platform)]


async def test_nothing_is_delivered_when_the_transaction_rolls_back(platform, bus):
    async def failing_unit_of_work():
        async with platform.db.transaction() as session:
            bus.publish(ServiceContext(session=session, platform=platform), Pinged(1))
            raise Boom

    with pytest.raises(Boom):
        await failing_unit_of_work()
    assert bus.heard == []


async def test_a_rollback_midway_drops_earlier_events_but_not_later_ones(platform, bus):
    # Page handlers roll back a failed use case and go on to commit the rest of the request.
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        bus.publish(ctx, Pinged(1))
        await session.execute(text("SELECT 1"))
        await session.rollback()
        bus.publish(ctx, Pinged(2))
    assert [n for n, _ in bus.heard] == [2]


async def test_a_rolled_back_savepoint_drops_only_its_own_events(platform, bus):
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        bus.publish(ctx, Pinged(1))

        async def failing_savepoint():
            async with session.begin_nested():
                bus.publish(ctx, Pinged(2))
                raise Boom

        with pytest.raises(Boom):
            await failing_savepoint()
        async with session.begin_nested():
            bus.publish(ctx, Pinged(3))
    assert [n for n, _ in bus.heard] == [1, 3]


async def test_events_after_a_rolled_back_first_savepoint_are_still_delivered(platform, bus):
    # The delivery callback was queued inside the savepoint and went with it; a new one must be queued.
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        await session.execute(text("SELECT 1"))

        async def failing_savepoint():
            async with session.begin_nested():
                bus.publish(ctx, Pinged(1))
                raise Boom

        with pytest.raises(Boom):
            await failing_savepoint()
        bus.publish(ctx, Pinged(2))
    assert [n for n, _ in bus.heard] == [2]


async def test_a_failing_subscriber_does_not_stop_the_others(platform, bus):
    async def broken(event: Pinged, platform: object) -> None:
        raise RuntimeError("subscriber bug")

    unsubscribe = bus.subscribe(Pinged, broken)
    late: list[int] = []

    async def after(event: Pinged, platform: object) -> None:
        late.append(event.n)

    bus.subscribe(Pinged, after)
    async with platform.db.transaction() as session:
        bus.publish(ServiceContext(session=session, platform=platform), Pinged(5))
    assert [n for n, _ in bus.heard] == [5]
    assert late == [5]
    unsubscribe()
    assert broken not in bus.subscribers(Pinged)
