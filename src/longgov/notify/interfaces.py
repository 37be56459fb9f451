"""SmsGateway: the interface to an SMS operator, and its local outbox implementation."""

from __future__ import annotations

from typing import Protocol

from longgov.db import Database, utcnow
from longgov.notify.models import SmsMessage
from longgov.security.pii import PiiCodec, mask_phone


class SmsGateway(Protocol):
    """Sends one text message to a mainland mobile number."""

    async def send(self, phone: str, body: str, *, purpose: str) -> None:
        """Deliver ``body`` to ``phone``; raise on a refused message."""


class OutboxSmsGateway:
    """Local gateway: writes each message to the ``sms_outbox`` table (shown on the demo outbox page).

    Production replaces it with an operator's HTTP gateway implementing the same Protocol.
    """

    def __init__(self, db: Database, codec: PiiCodec) -> None:
        self._db = db
        self._codec = codec

    async def send(self, phone: str, body: str, *, purpose: str) -> None:
        """Store the message in its own transaction (it runs after the caller committed)."""
        async with self._db.transaction() as session:
            session.add(
                SmsMessage(
                    phone_cipher=self._codec.encrypt("phone", phone),
                    phone_index=self._codec.index("phone", phone),
                    phone_masked=mask_phone(phone),
                    purpose=purpose,
                    body=body,
                    created_at=utcnow(),
                ),
            )
