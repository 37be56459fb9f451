"""External status lists (pure checks, the folder source, feed addresses) and rotated or compromised keys in
presentations and trust lists (no database)."""

import asyncio
import copy
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from longgov.config import Settings
from longgov.kernel.errors import ValidationFailed
from longgov.licences import feeds, offline, sealing
from longgov.licences.canonical import canonical_json
from longgov.licences.catalogue import government_uscc, type_by_key
from longgov.licences.identifiers import licence_key, make_identifier
from longgov.security.crypto import generate_sm2_keypair, sm2_sign, sm3_hex
from tests.unit.licences.test_offline import USCC, _presentation

SICHUAN = government_uscc("510000-education", "510000")
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _key_of(keypair, *, owner=SICHUAN, **extra):
    return offline.TrustedKey(sm3_hex(keypair.public_key), keypair.public_key, owner, "四川省教育厅", origin="external", **extra)


def _licence_key(serial="00000001", uscc=SICHUAN):
    return licence_key(make_identifier(type_by_key("teacher_qualification").code, uscc, serial, 1))


def _listing(keypair, entries, *, generated_at=NOW):
    return feeds.issuer_status_list(entries, private_key=keypair.private_key, key_id=sm3_hex(keypair.public_key), issuer="x", generated_at=generated_at)


def _read(document, keypair, **kwargs):
    return feeds.read_issuer_status_list(document, issuer_uscc=SICHUAN, keys={sm3_hex(keypair.public_key): _key_of(keypair)}, now=NOW, **kwargs)


def test_a_good_list_gives_each_licence_its_status():
    keypair = generate_sm2_keypair()
    since = "2026-11-20T00:00:00+00:00"
    document = _listing(keypair, [{"licence": _licence_key(), "status": "revoked", "since": since}, {"licence": _licence_key("2"), "status": "suspended"}])
    accepted = _read(document, keypair)
    assert not isinstance(accepted, sealing.Problem), accepted
    assert accepted.generated_at == NOW
    assert accepted.statuses[_licence_key()] == ("revoked", datetime(2026, 11, 20, tzinfo=UTC))
    assert accepted.statuses[_licence_key("2")] == ("suspended", None)


def test_every_bad_list_is_refused_with_its_code():
    keypair = generate_sm2_keypair()
    good = _listing(keypair, [{"licence": _licence_key(), "status": "revoked"}])
    tampered = copy.deepcopy(good)
    tampered["list"]["entries"][0]["status"] = "suspended"
    other_algorithm = copy.deepcopy(good)
    other_algorithm["seal"]["algorithm"] = "RSA"
    body = {"format": "longgov-licence-status/1", "issuer": "x", "generatedAt": NOW.isoformat()}
    no_entries = {"list": body, "seal": offline.signature_block(sm3_hex(keypair.public_key), sm2_sign(keypair.private_key, canonical_json(body)))}
    cases = {
        "no list": ({"seal": good["seal"]}, "status_list_invalid"),
        "unsigned": ({"list": good["list"]}, "status_list_unsigned"),
        "other algorithm": (other_algorithm, "algorithm_unsupported"),
        "tampered": (tampered, "status_list_signature_invalid"),
        "other key": (_listing(generate_sm2_keypair(), []), "status_list_key_unknown"),
        "stale": (_listing(keypair, [], generated_at=NOW - timedelta(hours=25)), "status_list_stale"),
        "from the future": (_listing(keypair, [], generated_at=NOW + timedelta(hours=1)), "status_list_invalid"),
        "other issuer": (_listing(keypair, [{"licence": _licence_key(uscc=USCC), "status": "revoked"}]), "status_list_invalid"),
        "bad status": (_listing(keypair, [{"licence": _licence_key(), "status": "expired"}]), "status_list_invalid"),
        "bad key": (_listing(keypair, [{"licence": "1.2.156.3005.2.X", "status": "revoked"}]), "status_list_invalid"),
        "no entries": (no_entries, "status_list_invalid"),
        "not an object": (["x"], "status_list_invalid"),
    }
    for name, (document, code) in cases.items():
        result = _read(document, keypair)
        assert isinstance(result, sealing.Problem), name
        assert result.code == code, (name, result)
    replay = _read(_listing(keypair, []), keypair, not_before=NOW + timedelta(minutes=1))
    assert isinstance(replay, sealing.Problem)
    assert replay.code == "status_list_replayed"


def test_a_retired_or_not_yet_valid_issuer_key_cannot_sign_a_list():
    keypair = generate_sm2_keypair()
    document = _listing(keypair, [])
    later = feeds.read_issuer_status_list(
        document, issuer_uscc=SICHUAN, keys={sm3_hex(keypair.public_key): _key_of(keypair, valid_from=date(2027, 1, 1))}, now=NOW
    )
    assert isinstance(later, sealing.Problem)
    assert later.code == "key_not_valid"
    foreign = feeds.read_issuer_status_list(document, issuer_uscc=SICHUAN, keys={sm3_hex(keypair.public_key): _key_of(keypair, owner=USCC)}, now=NOW)
    assert isinstance(foreign, sealing.Problem)
    assert foreign.code == "status_list_key_unknown"


def test_the_folder_source_reads_only_inside_its_folder(tmp_path: Path):
    source = feeds.FolderStatusSource(tmp_path, max_bytes=64)
    (tmp_path / "list.json").write_text('{"a": 1}')
    assert asyncio.run(source.fetch("file:list.json")) == b'{"a": 1}'
    assert asyncio.run(source.fetch(f"file://{tmp_path}/list.json")) == b'{"a": 1}'
    for url in ("file:../list.json", "file:///etc/passwd", "file:", "file://otherhost/list.json", "https://example.org/list.json"):
        with pytest.raises(feeds.FeedError) as refused:
            source.path_of(url)
        assert refused.value.code == "status_list_url_invalid", url
    with pytest.raises(feeds.FeedError) as missing:
        asyncio.run(source.fetch("file:missing.json"))
    assert missing.value.code == "status_feed_unreachable"
    (tmp_path / "big.json").write_bytes(b"x" * 65)
    with pytest.raises(feeds.FeedError) as big:
        asyncio.run(source.fetch("file:big.json"))
    assert big.value.code == "status_list_too_large"


def test_feed_addresses(tmp_path: Path):
    settings = Settings(mode="test", var_dir=tmp_path)
    assert feeds.check_feed_url(settings, " https://sc.example.cn/api/v1/licences/status-list ") == "https://sc.example.cn/api/v1/licences/status-list"
    assert feeds.check_feed_url(settings, "file:sichuan.json") == "file:sichuan.json"
    assert isinstance(feeds.status_source(settings, "file:sichuan.json"), feeds.FolderStatusSource)
    assert isinstance(feeds.status_source(settings, "https://sc.example.cn/x"), feeds.HttpStatusSource)
    for url in ("ftp://sc.example.cn/x", "http://", "file:../x", "sc.example.cn/x", "https://sc.example.cn/" + "x" * 600):
        with pytest.raises(ValidationFailed) as refused:
            feeds.check_feed_url(settings, url)
        assert refused.value.code == "status_list_url_invalid"


def test_a_manifest_by_a_compromised_key_answers_seal_key_compromised():
    now = datetime.now(UTC)
    document, trust, _ = _presentation(now)
    checked = offline.check_presentation(document, trust)
    assert not isinstance(checked, sealing.Problem), checked
    issuer_key_id = document["presentation"]["manifest"]["seal"]["keyId"]
    flagged = dict(trust)
    flagged[issuer_key_id] = replace(trust[issuer_key_id], compromised=True)
    result = offline.check_presentation(document, flagged)
    assert isinstance(result, sealing.Problem)
    assert result.code == "seal_key_compromised"
    # A rotated key still attests what it signed while in force, not after.
    today = now.date()
    rotated = dict(trust)
    rotated[issuer_key_id] = replace(trust[issuer_key_id], valid_from=today - timedelta(days=30), valid_until=today)
    assert not isinstance(offline.check_presentation(document, rotated), sealing.Problem)
    rotated[issuer_key_id] = replace(trust[issuer_key_id], valid_from=today - timedelta(days=30), valid_until=today - timedelta(days=1))
    late = offline.check_presentation(document, rotated)
    assert isinstance(late, sealing.Problem)
    assert late.code == "key_not_valid"


def test_revoked_keys_of_a_trust_list_are_trusted_for_nothing():
    platform = generate_sm2_keypair()
    issuer = generate_sm2_keypair()
    now = datetime.now(UTC)
    body = {
        "format": offline.TRUST_LIST_FORMAT,
        "validUntil": (now + timedelta(days=1)).isoformat(),
        "entries": [],
        "revokedKeys": [offline.revoked_entry(offline.TrustedKey(sm3_hex(issuer.public_key), issuer.public_key, USCC, "城关区市场监督管理局"), now)],
    }
    document = {"list": body, "seal": offline.signature_block(sm3_hex(platform.public_key), sm2_sign(platform.private_key, canonical_json(body)))}
    keys = offline.read_trust_list(document, platform.public_key, now)
    assert not isinstance(keys, sealing.Problem), keys
    assert keys[sm3_hex(issuer.public_key)].compromised is True
    presented, _, _ = _presentation(now, issuer=issuer, platform=platform)
    result = offline.check_presentation(presented, keys)
    assert isinstance(result, sealing.Problem)
    assert result.code == "seal_key_compromised"
