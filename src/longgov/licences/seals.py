"""电子印章 — issuing organisations' SM2 seal keys behind a small interface.

``SealProvider`` is all issuance needs: the seal of an organisation (created on first use) and a
signature with it. ``DatabaseSealProvider`` keeps one SM2 key pair per organisation in
``licence_seal_keys``, the private half SM4-GCM-encrypted with the platform data key and bound to
the organisation code (a ciphertext moved to another organisation's row does not decrypt). In
production a provider backed by an HSM or a signature server (签章服务器) implements the same two
methods and is installed with :func:`use_seal_provider`; its public keys are still registered in
``licence_seal_keys`` (``private_key_cipher`` NULL) so verifiers can resolve key ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from longgov.db import utcnow
from longgov.licences.models import SealKey
from longgov.security.crypto import SM2KeyPair, generate_sm2_keypair, sm2_keypair_from_private_key, sm2_sign, sm3_hex, sm4_decrypt, sm4_encrypt

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from longgov.platform import Platform
    from longgov.security.keys import PlatformKeys

_NEW_SEALS = "licence_new_seals"


@dataclass(frozen=True)
class SealOwner:
    """The organisation a seal belongs to."""

    code: str
    uscc: str
    name: str


@dataclass(frozen=True)
class Seal:
    """The public side of a seal: which key, whose."""

    key_id: str
    public_key: bytes
    organisation_code: str
    organisation_uscc: str
    organisation_name: str


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


def key_id_of(public_key: bytes) -> str:
    """A seal key's id: SM3 of its uncompressed public key, hex."""
    return sm3_hex(public_key)


class DatabaseSealProvider:
    """Seal keys in the database, private halves SM4-encrypted with the platform data key."""

    def __init__(self, data_key: bytes) -> None:
        self._data_key = data_key
        # Decrypted key pairs of committed seals: bulk issuance signs thousands of times per seal.
        self._cache: dict[str, tuple[Seal, SM2KeyPair]] = {}

    def _aad(self, organisation_code: str) -> bytes:
        return b"longgov:licence-seal:" + organisation_code.encode()

    async def _load(self, session: AsyncSession, owner: SealOwner) -> tuple[Seal, SM2KeyPair] | None:
        cached = self._cache.get(owner.code)
        if cached is not None:
            return cached
        row = (await session.execute(select(SealKey).where(SealKey.organisation_code == owner.code, SealKey.active.is_(True)))).scalar_one_or_none()
        if row is None or row.private_key_cipher is None:
            return None
        keypair = sm2_keypair_from_private_key(sm4_decrypt(self._data_key, row.private_key_cipher, self._aad(owner.code)))
        seal = Seal(row.key_id, row.public_key, row.organisation_code, row.organisation_uscc, row.organisation_name)
        # A key created by this (uncommitted) transaction is not cached: a rollback would discard it.
        if row.key_id not in session.info.get(_NEW_SEALS, set()):
            self._cache[owner.code] = (seal, keypair)
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
        session.info.setdefault(_NEW_SEALS, set()).add(key_id)
        return Seal(key_id, keypair.public_key, owner.code, owner.uscc, owner.name), keypair

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


async def public_seal(session: AsyncSession, key_id: str) -> Seal | None:
    """A registered seal by key id (active or retired: old licences stay verifiable)."""
    row = (await session.execute(select(SealKey).where(SealKey.key_id == key_id))).scalar_one_or_none()
    if row is None:
        return None
    return Seal(row.key_id, row.public_key, row.organisation_code, row.organisation_uscc, row.organisation_name)


async def seals_of_uscc(session: AsyncSession, uscc: str) -> list[Seal]:
    """Every registered seal of an organisation, by its USCC."""
    rows = (await session.execute(select(SealKey).where(SealKey.organisation_uscc == uscc).order_by(SealKey.created_at))).scalars()
    return [Seal(r.key_id, r.public_key, r.organisation_code, r.organisation_uscc, r.organisation_name) for r in rows]
