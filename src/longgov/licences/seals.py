"""电子印章 — issuing organisations' SM2 seal keys behind a small interface.

``SealProvider`` is all issuance needs: the seal of an organisation (created on first use) and a
signature with it. ``DatabaseSealProvider`` keeps one SM2 key pair per organisation in
``licence_seal_keys``, the private half SM4-GCM-encrypted with the platform data key and bound to
the organisation code (a ciphertext moved to another organisation's row does not decrypt). In
production a provider backed by an HSM or a signature server (签章服务器) implements the same two
methods and is installed with :func:`use_seal_provider`; its public keys are still registered in
``licence_seal_keys`` (``private_key_cipher`` NULL) so verifiers can resolve key ids.

Rotation (:mod:`longgov.licences.rotation`): an organisation's seal key is in force from
``created_at`` until ``retired_at``; after that it signs nothing (its private half is destroyed) but
still verifies what it sealed while in force. A key retired as compromised (``compromised_at``)
verifies nothing any more: :func:`seal_problem` answers ``seal_key_compromised``. Which key is active
is read once per transaction (``FOR SHARE`` on PostgreSQL, so a rotation waits for transactions
signing with the old key to finish); decrypted key pairs are cached by key id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from longgov.db import utcnow
from longgov.licences.models import SealKey
from longgov.licences.sealing import Problem
from longgov.security.crypto import SM2KeyPair, generate_sm2_keypair, sm2_keypair_from_private_key, sm2_sign, sm3_hex, sm4_decrypt, sm4_encrypt

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from longgov.platform import Platform
    from longgov.security.keys import PlatformKeys

_ACTIVE_SEALS: Final = "licence_active_seals"
# signedAt is written to the second while a key's created_at keeps microseconds.
SIGNED_AT_SKEW: Final = timedelta(minutes=1)


@dataclass(frozen=True)
class SealOwner:
    """The organisation a seal belongs to."""

    code: str
    uscc: str
    name: str


@dataclass(frozen=True)
class Seal:
    """The public side of a seal: which key, whose, and when it was in force."""

    key_id: str
    public_key: bytes
    organisation_code: str
    organisation_uscc: str
    organisation_name: str
    created_at: datetime | None = None
    retired_at: datetime | None = None
    compromised_at: datetime | None = None

    @property
    def state(self) -> str:
        """``active`` (signs now), ``rotated`` (verifies what it signed) or ``compromised`` (verifies nothing)."""
        if self.compromised_at is not None:
            return "compromised"
        return "rotated" if self.retired_at is not None else "active"


def seal_of_row(row: SealKey) -> Seal:
    """The public side of a stored seal key."""
    return Seal(
        row.key_id,
        row.public_key,
        row.organisation_code,
        row.organisation_uscc,
        row.organisation_name,
        created_at=row.created_at,
        retired_at=row.retired_at,
        compromised_at=row.compromised_at,
    )


def _moment(value: Any) -> datetime | None:  # noqa: ANN401 - a JSON value
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def seal_problem(seal: Seal, signed_at: Any) -> Problem | None:  # noqa: ANN401 - a JSON value
    """Why a signature by ``seal`` made at ``signed_at`` (ISO 8601 or datetime) cannot be trusted, or None."""
    if seal.compromised_at is not None:
        return Problem("seal_key_compromised", "签章密钥已停用（密钥泄露），该密钥所签的证照不再可信，请联系颁发机构以新密钥重新签章")
    moment = signed_at if isinstance(signed_at, datetime) else _moment(signed_at)
    if moment is None:
        return Problem("malformed", "签章时间格式错误")
    if seal.created_at is not None and moment < seal.created_at - SIGNED_AT_SKEW:
        return Problem("key_not_valid", "签章时间早于该签章密钥的启用时间")
    if seal.retired_at is not None and moment > seal.retired_at:
        return Problem("key_not_valid", "签章时间晚于该签章密钥的停用时间（密钥已轮换）")
    return None


@dataclass(frozen=True)
class SealSignature:
    """A signature and the seal that made it."""

    seal: Seal
    signature: bytes


class SealProvider(Protocol):
    """Signs with an organisation's seal; production may use an HSM or a signature server."""

    async def seal_of(self, session: AsyncSession, owner: SealOwner) -> Seal:
        """The organisation's active seal, created (and registered) on first use."""
        ...

    async def sign(self, session: AsyncSession, owner: SealOwner, message: bytes) -> SealSignature:
        """SM2-with-SM3 signature (default signer id) of ``message`` with the organisation's seal."""
        ...

    async def create_seal(self, session: AsyncSession, owner: SealOwner) -> Seal:
        """A new key pair for an organisation whose active seal the caller has just retired (rotation)."""
        ...


def key_id_of(public_key: bytes) -> str:
    """A seal key's id: SM3 of its uncompressed public key, hex."""
    return sm3_hex(public_key)


def _active_seals(session: AsyncSession) -> dict[str, Seal]:
    active: dict[str, Seal] = session.info.setdefault(_ACTIVE_SEALS, {})
    return active


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    session.info.pop(_ACTIVE_SEALS, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction: Any) -> None:  # noqa: ANN401, ARG001 - SQLAlchemy's signature
    # A rolled-back rotation or first seal must not stay the "active" one of this session.
    session.info.pop(_ACTIVE_SEALS, None)


class DatabaseSealProvider:
    """Seal keys in the database, private halves SM4-encrypted with the platform data key."""

    def __init__(self, data_key: bytes) -> None:
        self._data_key = data_key
        # Decrypted key pairs by key id: bulk issuance signs thousands of times per seal.
        self._keypairs: dict[str, SM2KeyPair] = {}

    def _aad(self, organisation_code: str) -> bytes:
        return b"longgov:licence-seal:" + organisation_code.encode()

    async def _load(self, session: AsyncSession, owner: SealOwner) -> tuple[Seal, SM2KeyPair] | None:
        active = _active_seals(session)
        seal = active.get(owner.code)
        if seal is not None and seal.key_id in self._keypairs:
            return seal, self._keypairs[seal.key_id]
        # FOR SHARE: a rotation (UPDATE of this row) waits until this transaction, which signs with the key, ends.
        query = select(SealKey).where(SealKey.organisation_code == owner.code, SealKey.active.is_(True)).with_for_update(read=True)
        row = (await session.execute(query)).scalar_one_or_none()
        if row is None or row.private_key_cipher is None:
            return None
        keypair = self._keypairs.get(row.key_id)
        if keypair is None:
            keypair = sm2_keypair_from_private_key(sm4_decrypt(self._data_key, row.private_key_cipher, self._aad(owner.code)))
            self._keypairs[row.key_id] = keypair
        seal = active[owner.code] = seal_of_row(row)
        return seal, keypair

    async def _create(self, session: AsyncSession, owner: SealOwner) -> tuple[Seal, SM2KeyPair]:
        keypair = generate_sm2_keypair()
        key_id = key_id_of(keypair.public_key)
        row = SealKey(
            organisation_code=owner.code,
            organisation_uscc=owner.uscc,
            organisation_name=owner.name,
            key_id=key_id,
            public_key=keypair.public_key,
            private_key_cipher=sm4_encrypt(self._data_key, keypair.private_key, self._aad(owner.code)),
            active=True,
            created_at=utcnow(),
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            # Another transaction created this organisation's seal first: use that one.
            loaded = await self._load(session, owner)
            if loaded is None:  # pragma: no cover - the unique index guarantees a row
                raise
            return loaded
        # A rolled-back transaction leaves this pair unused: no later transaction finds its key id active.
        self._keypairs[key_id] = keypair
        seal = _active_seals(session)[owner.code] = seal_of_row(row)
        return seal, keypair

    async def _keypair(self, session: AsyncSession, owner: SealOwner) -> tuple[Seal, SM2KeyPair]:
        return await self._load(session, owner) or await self._create(session, owner)

    async def seal_of(self, session: AsyncSession, owner: SealOwner) -> Seal:
        """The organisation's active seal, created on first use."""
        seal, _ = await self._keypair(session, owner)
        return seal

    async def sign(self, session: AsyncSession, owner: SealOwner, message: bytes) -> SealSignature:
        """Sign with the organisation's seal."""
        seal, keypair = await self._keypair(session, owner)
        return SealSignature(seal, sm2_sign(keypair.private_key, message))

    async def create_seal(self, session: AsyncSession, owner: SealOwner) -> Seal:
        """A new key pair once the caller retired the active one (flushed, so the unique index allows it)."""
        _active_seals(session).pop(owner.code, None)
        seal, _ = await self._create(session, owner)
        return seal


_PROVIDERS: dict[PlatformKeys, SealProvider] = {}


def seal_provider(platform: Platform) -> SealProvider:
    """The platform's seal provider (the database one unless another was installed)."""
    provider = _PROVIDERS.get(platform.keys)
    if provider is None:
        provider = _PROVIDERS[platform.keys] = DatabaseSealProvider(platform.keys.data_key)
    return provider


def use_seal_provider(platform: Platform, provider: SealProvider) -> None:
    """Install another provider (HSM, signature server) for this platform."""
    _PROVIDERS[platform.keys] = provider


def key_validity(seal: Seal) -> dict[str, str]:
    """A seal's period in force for issuer documents: ``validFrom``, ``validUntil`` (rotated), ``revoked`` (compromised)."""
    extra: dict[str, str] = {}
    if seal.created_at is not None:
        extra["validFrom"] = seal.created_at.isoformat(timespec="seconds")
    if seal.retired_at is not None:
        extra["validUntil"] = seal.retired_at.isoformat(timespec="seconds")
    if seal.compromised_at is not None:
        extra["revoked"] = seal.compromised_at.isoformat(timespec="seconds")
    return extra


async def public_seal(session: AsyncSession, key_id: str) -> Seal | None:
    """A registered seal by key id (active, rotated or compromised: check it with :func:`seal_problem`)."""
    row = (await session.execute(select(SealKey).where(SealKey.key_id == key_id))).scalar_one_or_none()
    return None if row is None else seal_of_row(row)


async def seals_of_uscc(session: AsyncSession, uscc: str) -> list[Seal]:
    """Every registered seal of an organisation, by its USCC, oldest first."""
    rows = (await session.execute(select(SealKey).where(SealKey.organisation_uscc == uscc).order_by(SealKey.created_at))).scalars()
    return [seal_of_row(r) for r in rows]
