"""Verification keys cached per process (``licences.keycache``): a change committed here applies at once,
a change made by another process within the cache's lifetime, and a transaction sees its own changes."""

from datetime import date

from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine

from longgov.licences import keycache, sealing, services, trust
from longgov.licences.catalogue import government_uscc, type_by_key
from longgov.licences.identifiers import make_identifier
from longgov.licences.models import TrustedIssuer
from longgov.licences.schemas import TrustedIssuerInput
from longgov.platform import ServiceContext
from longgov.security.crypto import generate_sm2_keypair, sm2_public_key_to_pem, sm3_hex

# Tests share one database: each test trusts its own external body, so no other test's key masks a change.
GANSU_NEIGHBOURS = {
    "retire": government_uscc("640000-transport", "640000"),
    "other_process": government_uscc("630000-transport", "630000"),
    "same_transaction": government_uscc("610000-transport", "610000"),
}


def _external_document(uscc: str, key) -> dict:
    licence_type = type_by_key("road_transport_licence")
    claims = sealing.claims(
        identifier=make_identifier(licence_type.code, uscc, "00000077", 1),
        type_code=licence_type.code,
        type_name=licence_type.name,
        number="640100000077",
        holder_name="银川压测运输有限公司",
        holder_id_type="统一社会信用代码",
        holder_id_number="91640100MA76A1B2XW",
        issuer_name="外省交通运输厅",
        issuer_uscc=uscc,
        issuer_division=uscc[2:8],
        issued_on=date(2024, 1, 5),
        valid_from=date(2024, 1, 5),
        valid_until=None,
        trust_level="B",
        version=1,
        status_index=77,
        data={
            "operator_name": "银川压测运输有限公司",
            "uscc": "91640100MA76A1B2XW",
            "address": "银川市金凤区",
            "economic_type": "有限责任公司",
            "business_scope": "道路普通货物运输",
        },
    )
    return trust.external_document(claims, private_key=key.private_key, key_id=sm3_hex(key.public_key))


async def _trust(platform, uscc: str, key) -> TrustedIssuer:
    data = TrustedIssuerInput(uscc=uscc, name="外省交通运输厅", region="外省", public_key=sm2_public_key_to_pem(key.public_key).decode())
    async with platform.db.transaction() as session:
        view = await trust.add_trusted_issuer(ServiceContext(session=session, platform=platform), data)
    return view.id


async def _verify(platform, document) -> str:
    async with platform.db.transaction() as session:
        return (await services.verify_licence_document(ServiceContext(session=session, platform=platform), document)).code


async def test_a_key_retired_in_this_process_stops_verifying_at_once(platform):
    key = generate_sm2_keypair()
    uscc = GANSU_NEIGHBOURS["retire"]
    document = _external_document(uscc, key)
    issuer_id = await _trust(platform, uscc, key)
    # The signature is good (the key is cached now); the licence itself is not registered here.
    assert await _verify(platform, document) == "unknown_licence"
    assert await _verify(platform, document) == "unknown_licence"
    async with platform.db.transaction() as session:
        await trust.retire_trusted_issuer(ServiceContext(session=session, platform=platform), issuer_id, "密钥泄露")
    assert await _verify(platform, document) == "unknown_issuer"


async def test_a_change_by_another_process_applies_when_the_cached_key_expires(platform, monkeypatch):
    key = generate_sm2_keypair()
    uscc = GANSU_NEIGHBOURS["other_process"]
    document = _external_document(uscc, key)
    issuer_id = await _trust(platform, uscc, key)
    assert await _verify(platform, document) == "unknown_licence"
    # Another process (another worker, the CLI) retires the key: this process's engines see no write.
    event.remove(Engine, "after_cursor_execute", keycache._note_write)
    try:
        async with platform.db.transaction() as session:
            await session.execute(update(TrustedIssuer).where(TrustedIssuer.id == issuer_id).values(active=False))
    finally:
        event.listen(Engine, "after_cursor_execute", keycache._note_write)
    # Within the cache's lifetime the key read before still vouches (the documented lag) …
    assert await _verify(platform, document) == "unknown_licence"
    # … and once it expires the change applies.
    now = keycache.time.monotonic()
    monkeypatch.setattr(keycache.time, "monotonic", lambda: now + keycache.TTL_SECONDS + 1)
    assert await _verify(platform, document) == "unknown_issuer"


async def test_a_transaction_that_changed_the_keys_reads_past_the_cache(platform):
    key = generate_sm2_keypair()
    uscc = GANSU_NEIGHBOURS["same_transaction"]
    document = _external_document(uscc, key)
    issuer_id = await _trust(platform, uscc, key)
    assert await _verify(platform, document) == "unknown_licence"
    async with platform.db.transaction() as session:
        ctx = ServiceContext(session=session, platform=platform)
        await trust.retire_trusted_issuer(ctx, issuer_id, "停止互认")
        assert (await services.verify_licence_document(ctx, document)).code == "unknown_issuer"
        assert (await session.execute(select(TrustedIssuer.active).where(TrustedIssuer.id == issuer_id))).scalar_one() is False


async def test_a_rolled_back_change_leaves_the_cached_key_in_force(platform):
    key = generate_sm2_keypair()
    uscc = government_uscc("650000-transport", "650000")
    document = _external_document(uscc, key)
    issuer_id = await _trust(platform, uscc, key)
    assert await _verify(platform, document) == "unknown_licence"
    async with platform.db.sessionmaker() as session:
        await session.execute(update(TrustedIssuer).where(TrustedIssuer.id == issuer_id).values(active=False))
        await session.rollback()
    assert await _verify(platform, document) == "unknown_licence"
