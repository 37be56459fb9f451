"""The notifier: channels switched by settings, SMS only after commit, de-duplication per recipient."""

import dataclasses
import uuid

import pytest
from sqlalchemy import func, select

from longgov.notify import services as notify
from longgov.notify.models import Message
from longgov.notify.schemas import Notification
from longgov.notify.services import latest_message_to
from longgov.platform import ServiceContext
from tests.conftest import random_phone


def _with(platform, **settings):
    return dataclasses.replace(platform, settings=platform.settings.model_copy(update=settings))


def _notice(recipient, **fields):
    values = {
        "recipient_account_id": recipient,
        "category": "application",
        "title": "测试通知",
        "body": "正文",
        "link": "/citizen/applications",
        "sms": "短信正文。",
    }
    return Notification(**(values | fields))


async def _count(platform, recipient):
    async with platform.db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(Message).where(Message.recipient_account_id == recipient))).scalar_one()


async def _latest_sms(platform, phone):
    async with platform.db.transaction() as session:
        return await latest_message_to(session, platform.codec, phone)


@pytest.mark.parametrize(("in_app", "sms"), [(True, True), (True, False), (False, True), (False, False)])
async def test_each_channel_follows_its_setting(platform, in_app, sms):
    switched = _with(platform, notify_in_app=in_app, notify_sms=sms, sms_signature="陇政通")
    recipient, phone = uuid.uuid4(), random_phone()
    async with platform.db.transaction() as session:
        delivery = await notify.send(ServiceContext(session=session, platform=switched), _notice(recipient), phone=phone)
    assert (delivery.in_app, delivery.sms) == (in_app, sms)
    assert await _count(platform, recipient) == int(in_app)
    assert await _latest_sms(platform, phone) == ("【陇政通】短信正文。" if sms else None)


async def test_sms_waits_for_the_commit_and_a_rollback_sends_nothing(platform):
    recipient, phone = uuid.uuid4(), random_phone()

    async def failing_unit_of_work():
        async with platform.db.transaction() as session:
            await notify.send(ServiceContext(session=session, platform=platform), _notice(recipient), phone=phone)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        await failing_unit_of_work()
    assert await _count(platform, recipient) == 0
    assert await _latest_sms(platform, phone) is None


async def test_a_dedupe_key_sends_once_per_recipient(platform):
    first, second, phone = uuid.uuid4(), uuid.uuid4(), random_phone()
    for recipient in (first, first, second):
        async with platform.db.transaction() as session:
            await notify.send(ServiceContext(session=session, platform=platform), _notice(recipient, dedupe_key="daily:2026-11-27"), phone=phone)
    assert await _count(platform, first) == 1
    assert await _count(platform, second) == 1
    async with platform.db.transaction() as session:
        again = await notify.send(ServiceContext(session=session, platform=platform), _notice(first, dedupe_key="daily:2026-11-27"), phone=phone)
    assert again.duplicate
    assert not again.sms


def test_links_must_be_paths_of_this_site():
    with pytest.raises(ValueError, match="link"):
        _notice(uuid.uuid4(), link="https://evil.example/")
    with pytest.raises(ValueError, match="link"):
        _notice(uuid.uuid4(), link="//evil.example/")
