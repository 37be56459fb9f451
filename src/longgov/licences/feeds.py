"""外省证照状态列表 — external issuers' revocation feeds, pulled, checked and applied to imported licences.

A licence imported from another province (``source = external``) changes status only where it was
issued. Each external issuer on the mutual-recognition trust list may publish a signed status list
in the format this platform publishes at ``GET /api/v1/licences/status-list``
(``longgov-licence-status/1``: ``{"list": {"format", "issuer", "generatedAt", "entries": [{"licence":
<identifier without version and check character>, "status": "suspended" | "revoked", "since"}]},
"seal": {"algorithm": "SM2-with-SM3", "canonicalization": "JCS-RFC8785", "keyId", "signature"}}``),
signed with one of that issuer's keys on the trust list. A licence missing from the list is valid.

* **Where a list is read** (``licence_status_feeds.url``, one per issuer): an ``http(s)://`` URL,
  fetched by :class:`HttpStatusSource` (httpx, no redirects, 10 s, at most 16 MB), or ``file:<name>``,
  read by :class:`FolderStatusSource` from ``<var_dir>/external-issuers/`` (a folder another
  platform's list is dropped into, e.g. by an exchange gateway; the demo issuer publishes there).
  Both implement :class:`ExternalStatusSource`; :func:`status_source` picks one by the URL's scheme.
* **What is refused** (nothing applied, the failure recorded on the feed, audited and logged as an
  error for alerting): unreachable, not JSON, unsigned (``status_list_unsigned``), signed by a key
  that is not the issuer's (``status_list_key_unknown``) or not by it (``status_list_signature_invalid``),
  older than :data:`FEED_MAX_AGE` (``status_list_stale``), older than the last list accepted
  (``status_list_replayed``: a replay must not reinstate a licence), naming another issuer's licences.
* **What is recorded**: the accepted list's entries (``licence_external_statuses``, also for licences
  not imported yet, which take the status on import), and each imported licence whose status changes
  (history entry and audit record). Revocation is final, as for licences issued here. Verifying the
  licence (sealed document, presentation online or offline, material reference) then answers
  ``revoked`` / ``suspended`` with the external issuer named in the reason.

The job ``licences.external-status-feeds`` (every 30 minutes, ``longgov jobs run``) pulls every feed;
the security administrator can also pull one now from the trust page.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import unquote, urlsplit

import httpx
from sqlalchemy import delete, select

from longgov.db import utcnow
from longgov.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from longgov.kernel.jobs import PartlyDone
from longgov.licences import events, offline, sealing
from longgov.licences.canonical import CanonicalisationError, canonical_json, parse_json_object
from longgov.licences.identifiers import PREFIX, licence_key
from longgov.licences.models import ExternalLicenceStatus, Licence, LicenceStatusFeed, TrustedIssuer
from longgov.licences.schemas import FeedPullResult, StatusFeedView
from longgov.licences.services import CHINA_TZ, STATUS_LIST_FORMAT, _history
from longgov.platform import ServiceContext
from longgov.security.audit.service import record
from longgov.security.crypto import sm2_sign, sm2_verify
from longgov.security.permissions import Permission

if TYPE_CHECKING:
    from longgov.config import Settings

log = logging.getLogger("longgov.licences")

FEED_MAX_AGE: Final = timedelta(hours=24)
FEED_CLOCK_SKEW: Final = timedelta(minutes=5)
MAX_FEED_BYTES: Final = 16 * 1024 * 1024
FEED_TIMEOUT_S: Final = 10.0
FEED_FOLDER: Final = "external-issuers"
MAX_URL_CHARS: Final = 500
FEED_STATUSES: Final = ("suspended", "revoked")
_KEY_PARTS: Final = 3
_ACTIONS: Final = {"revoked": ("revoke", "吊销"), "suspended": ("suspend", "暂停"), "valid": ("reinstate", "恢复")}


class FeedError(Exception):
    """A status list that could not be read or was refused: a code and a Chinese reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


# --- where lists come from ----------------------------------------------------------------------------


class ExternalStatusSource(Protocol):
    """Reads an external issuer's published status list (raw bytes; checking is the caller's)."""

    async def fetch(self, url: str) -> bytes:
        """The list at ``url``; FeedError when it cannot be read."""
        ...


class HttpStatusSource:
    """Fetches a status list over HTTP(S) with httpx: no redirects, a timeout and a size cap."""

    def __init__(self, *, timeout: float = FEED_TIMEOUT_S, max_bytes: int = MAX_FEED_BYTES, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._timeout, self._max_bytes, self._transport = timeout, max_bytes, transport

    async def fetch(self, url: str) -> bytes:
        """GET ``url``; 200 with at most ``max_bytes`` bytes."""
        try:
            async with (
                httpx.AsyncClient(transport=self._transport, timeout=self._timeout, follow_redirects=False) as client,
                client.stream("GET", url, headers={"accept": "application/json"}) as response,
            ):
                if response.status_code != 200:  # noqa: PLR2004
                    raise FeedError("status_feed_unreachable", f"状态列表地址返回 HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise FeedError("status_list_too_large", f"状态列表超过 {self._max_bytes // (1024 * 1024)}MB")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise FeedError("status_feed_unreachable", f"无法获取状态列表（{type(exc).__name__}）") from exc


class FolderStatusSource:
    """Reads ``file:<name>`` status lists from one folder (``<var_dir>/external-issuers/``), never outside it."""

    def __init__(self, root: Path, *, max_bytes: int = MAX_FEED_BYTES) -> None:
        self.root, self._max_bytes = root, max_bytes

    def path_of(self, url: str) -> Path:
        """The file a ``file:`` URL names inside the folder; FeedError otherwise."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in {"", "localhost"}:
            raise FeedError("status_list_url_invalid", "状态列表地址应为 file: 开头的文件名")
        raw = unquote(parts.path)
        root = self.root.resolve()
        path = (Path(raw) if raw.startswith("/") else root / raw).resolve()
        if not raw or not path.is_relative_to(root) or path == root:
            raise FeedError("status_list_url_invalid", f"状态列表文件应位于 {FEED_FOLDER} 目录内")
        return path

    async def fetch(self, url: str) -> bytes:
        """The file's bytes (at most ``max_bytes``)."""
        path = self.path_of(url)

        def read() -> bytes:
            with path.open("rb") as handle:
                return handle.read(self._max_bytes + 1)

        try:
            data = await asyncio.to_thread(read)
        except FileNotFoundError as exc:
            raise FeedError("status_feed_unreachable", f"状态列表文件不存在：{path.name}") from exc
        except OSError as exc:
            raise FeedError("status_feed_unreachable", f"无法读取状态列表文件（{type(exc).__name__}）") from exc
        if len(data) > self._max_bytes:
            raise FeedError("status_list_too_large", f"状态列表超过 {self._max_bytes // (1024 * 1024)}MB")
        return data


def feed_folder(settings: Settings) -> Path:
    """Where ``file:`` status lists are read from."""
    return settings.var_dir / FEED_FOLDER


def status_source(settings: Settings, url: str) -> ExternalStatusSource:
    """The source for a feed URL: HTTP(S) or the feed folder."""
    if urlsplit(url).scheme == "file":
        return FolderStatusSource(feed_folder(settings))
    return HttpStatusSource()


def check_feed_url(settings: Settings, url: str) -> str:
    """A usable feed URL (stripped); ValidationFailed with a Chinese reason otherwise."""
    value = url.strip()
    parts = urlsplit(value)
    ok = len(value) <= MAX_URL_CHARS and (
        (parts.scheme in {"http", "https"} and bool(parts.hostname)) or (parts.scheme == "file" and _inside_folder(settings, value))
    )
    if not ok:
        raise ValidationFailed(
            f"状态列表地址无效：应为 http(s):// 地址，或 file: 开头、位于 {FEED_FOLDER} 目录内的文件",
            code="status_list_url_invalid",
            details={"status_list_url": "地址无效"},
        )
    return value


def _inside_folder(settings: Settings, url: str) -> bool:
    try:
        FolderStatusSource(feed_folder(settings)).path_of(url)
    except FeedError:
        return False
    return True


# --- checking a list (pure) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerStatusList:
    """An accepted status list: when it was generated and licence key → (status, since)."""

    generated_at: datetime
    statuses: dict[str, tuple[str, datetime | None]]


def _entries(body: dict[str, Any], issuer_uscc: str) -> dict[str, tuple[str, datetime | None]] | sealing.Problem:
    statuses: dict[str, tuple[str, datetime | None]] = {}
    for entry in body["entries"]:
        key, status = str(entry["licence"]).upper(), entry["status"]
        parts = key.removeprefix(PREFIX).split(".")
        if not key.startswith(PREFIX) or len(parts) != _KEY_PARTS or status not in FEED_STATUSES:
            return sealing.Problem("status_list_invalid", f"状态列表条目格式错误：{key[:80]}")
        if parts[1] != issuer_uscc:
            return sealing.Problem("status_list_invalid", "状态列表包含其他机构颁发的证照，拒绝使用")
        since = offline.parse_time(entry.get("since")) if entry.get("since") else None
        statuses[key] = (str(status), since)
    return statuses


def _signed_body(document: Any, issuer_uscc: str, keys: Mapping[str, offline.TrustedKey]) -> tuple[dict[str, Any], offline.TrustedKey] | sealing.Problem:  # noqa: ANN401, PLR0911 - one return per rule
    """The list body and the issuer key that signed it, or why not."""
    body, seal = document.get("list"), document.get("seal")
    if not isinstance(body, dict):
        return sealing.Problem("status_list_invalid", "状态列表缺少列表内容")
    if body.get("format") != STATUS_LIST_FORMAT:
        return sealing.Problem("status_list_invalid", f"状态列表格式错误（应为 {STATUS_LIST_FORMAT}）")
    if not isinstance(seal, dict) or not seal.get("signature"):
        return sealing.Problem("status_list_unsigned", "状态列表未签名，拒绝使用")
    if seal.get("algorithm") != sealing.ALGORITHM or seal.get("canonicalization") != sealing.CANONICALIZATION:
        return sealing.Problem("algorithm_unsupported", "状态列表签名算法不受支持（应为 SM2-with-SM3 与 JCS 规范化）")
    key = keys.get(str(seal.get("keyId")))
    if key is None or key.owner != issuer_uscc or key.compromised:
        return sealing.Problem("status_list_key_unknown", "状态列表的签名密钥不是该机构在互认信任列表中的密钥")
    try:
        signature = base64.b64decode(str(seal["signature"]), validate=True)
        message = canonical_json(body)
    except (binascii.Error, ValueError, CanonicalisationError):
        return sealing.Problem("status_list_signature_invalid", "状态列表签名格式错误")
    if not sm2_verify(key.public_key, message, signature):
        return sealing.Problem("status_list_signature_invalid", "状态列表签名无效（不是该机构所签或内容已被篡改）")
    return body, key


def read_issuer_status_list(  # noqa: PLR0911 - one return per rule
    document: Any,  # noqa: ANN401 - parsed JSON
    *,
    issuer_uscc: str,
    keys: Mapping[str, offline.TrustedKey],
    now: datetime,
    not_before: datetime | None = None,
    max_age: timedelta = FEED_MAX_AGE,
) -> IssuerStatusList | sealing.Problem:
    """Check an external issuer's signed status list against its trusted keys; never raises for bad input.

    ``not_before`` is the ``generatedAt`` of the last list accepted (an older one is a replay).
    """
    try:
        signed = _signed_body(document, issuer_uscc, keys)
        if isinstance(signed, sealing.Problem):
            return signed
        body, key = signed
        generated = offline.parse_time(body.get("generatedAt"))
        if generated is None or generated > now + FEED_CLOCK_SKEW:
            return sealing.Problem("status_list_invalid", "状态列表生成时间缺失或晚于当前时间")
        if not key.valid_on(generated.astimezone(CHINA_TZ).date()):
            return sealing.Problem("key_not_valid", "签名时该机构密钥不在有效期内")
        if now - generated > max_age:
            hours = int(max_age.total_seconds() // 3600)
            return sealing.Problem("status_list_stale", f"状态列表过旧（生成于{_china(generated)}，超过{hours}小时），无法确认证照未被吊销")
        if not_before is not None and generated < not_before:
            return sealing.Problem("status_list_replayed", f"状态列表早于已同步的版本（{_china(not_before)}），可能被重放，拒绝使用")
        entries = _entries(body, issuer_uscc)
    except (KeyError, TypeError, ValueError, AttributeError):
        return sealing.Problem("status_list_invalid", "状态列表数据结构错误")
    if isinstance(entries, sealing.Problem):
        return entries
    return IssuerStatusList(generated, entries)


def _china(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def issuer_status_list(entries: list[dict[str, Any]], *, private_key: bytes, key_id: str, issuer: str, generated_at: datetime | None = None) -> dict[str, Any]:
    """A signed status list as an external issuer publishes it (the demo issuer, tests, other platforms' tooling)."""
    body = {
        "format": STATUS_LIST_FORMAT,
        "issuer": issuer,
        "generatedAt": (generated_at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
        "entries": entries,
    }
    return {"list": body, "seal": offline.signature_block(key_id, sm2_sign(private_key, canonical_json(body)))}


# --- managing feeds ------------------------------------------------------------------------------------


def _require_manager(ctx: ServiceContext) -> None:
    actor = ctx.actor
    if actor is not None and not actor.has(Permission.LicencesTrustManage):
        raise PermissionDenied("无权管理互认信任列表", code="permission_denied")


def feed_view(row: LicenceStatusFeed) -> StatusFeedView:
    """A feed and how its last pull went."""
    return StatusFeedView(
        uscc=row.uscc,
        name=row.name,
        url=row.url,
        last_attempt_at=row.last_attempt_at,
        last_success_at=row.last_success_at,
        last_status=row.last_status,
        last_code=row.last_code,
        last_message=row.last_message,
        failures=row.failures,
        list_generated_at=row.list_generated_at,
        entries=row.entries,
    )


async def _issuer_name(ctx: ServiceContext, uscc: str) -> str:
    query = select(TrustedIssuer.name).where(TrustedIssuer.uscc == uscc).order_by(TrustedIssuer.created_at.desc()).limit(1)
    name = (await ctx.session.execute(query)).scalar_one_or_none()
    if name is None:
        raise NotFound("信任列表中没有该机构", code="trusted_issuer_not_found")
    return name


async def set_status_feed(ctx: ServiceContext, uscc: str, url: str | None) -> StatusFeedView | None:
    """Set (or, with no URL, remove) where an external issuer publishes its status list; audited."""
    _require_manager(ctx)
    code = uscc.strip().upper()[:18]
    name = await _issuer_name(ctx, code)
    row = (await ctx.session.execute(select(LicenceStatusFeed).where(LicenceStatusFeed.uscc == code))).scalar_one_or_none()
    actor_name = ctx.actor.display_name if ctx.actor else "系统"
    previous = row.url if row else None
    if not url or not url.strip():
        if row is not None:
            await ctx.session.delete(row)
        view = None
    else:
        value = check_feed_url(ctx.settings, url)
        if row is None:
            row = LicenceStatusFeed(uscc=code, name=name, url=value, updated_by=actor_name, failures=0, entries=0)
            ctx.session.add(row)
        elif row.url != value:
            # A new address starts a new history: the last accepted list came from elsewhere.
            row.url, row.updated_by, row.failures = value, actor_name, 0
            row.last_status = row.last_code = row.last_message = None
        row.name = name
        await ctx.session.flush()
        view = feed_view(row)
    record(
        ctx.session,
        events.STATUS_FEED_SET,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="trusted_issuer",
        subject_id=code,
        details={"uscc": code, "url": url.strip() if url else None, "previous": previous},
    )
    return view


async def status_feeds(ctx: ServiceContext) -> list[StatusFeedView]:
    """Every feed with its last pull (for the security administrator)."""
    _require_manager(ctx)
    rows = (await ctx.session.execute(select(LicenceStatusFeed).order_by(LicenceStatusFeed.uscc))).scalars()
    return [feed_view(r) for r in rows]


# --- pulling and applying ------------------------------------------------------------------------------


async def _trusted_keys(ctx: ServiceContext, uscc: str) -> dict[str, offline.TrustedKey]:
    rows = (await ctx.session.execute(select(TrustedIssuer).where(TrustedIssuer.uscc == uscc, TrustedIssuer.active.is_(True)))).scalars()
    return {r.key_id: offline.TrustedKey(r.key_id, r.public_key, r.uscc, r.name, r.trust_level, r.valid_from, r.valid_until, origin="external") for r in rows}


def _status_reason(feed: LicenceStatusFeed, since: datetime | None) -> str:
    when = f"，自{_china(since)}起" if since else ""
    return f"据{feed.name}发布的状态列表（{_china(utcnow())}同步{when}）"


async def _apply(ctx: ServiceContext, feed: LicenceStatusFeed, licence: Licence, status: str, since: datetime | None) -> bool:
    """Bring one imported licence to the status its issuer states; revocation stays final."""
    if licence.status in {status, "revoked"}:
        return False
    action, title = _ACTIONS[status]
    previous = licence.status
    reason = _status_reason(feed, since)
    licence.status, licence.status_reason, licence.status_changed_at = status, reason, since or utcnow()
    _history(ctx, licence, action, f"外省颁发机构{title}：{reason}", previous=previous, source="external_status_list", issuer=feed.uscc)
    record(
        ctx.session,
        events.LICENCE_EXTERNAL_STATUS,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="licence",
        subject_id=licence.id,
        details={"identifier": licence.identifier, "from": previous, "to": status, "issuer": feed.uscc},
    )
    return True


async def _record_statuses(ctx: ServiceContext, uscc: str, accepted: IssuerStatusList) -> None:
    rows = {r.licence_key: r for r in (await ctx.session.execute(select(ExternalLicenceStatus).where(ExternalLicenceStatus.uscc == uscc))).scalars()}
    gone = [key for key in rows if key not in accepted.statuses]
    if gone:
        await ctx.session.execute(delete(ExternalLicenceStatus).where(ExternalLicenceStatus.licence_key.in_(gone)))
    now = utcnow()
    for key, (status, since) in accepted.statuses.items():
        row = rows.get(key)
        if row is None:
            ctx.session.add(ExternalLicenceStatus(uscc=uscc, licence_key=key, status=status, since=since, recorded_at=now))
        elif row.status != status or row.since != since:
            row.status, row.since, row.recorded_at = status, since, now


async def _accept(ctx: ServiceContext, feed: LicenceStatusFeed, accepted: IssuerStatusList) -> int:
    await _record_statuses(ctx, feed.uscc, accepted)
    changed = 0
    imported = (await ctx.session.execute(select(Licence).where(Licence.source == "external", Licence.issuer_uscc == feed.uscc))).scalars().all()
    for licence in imported:
        status, since = accepted.statuses.get(licence_key(licence.identifier), ("valid", None))
        changed += await _apply(ctx, feed, licence, status, since)
    await ctx.session.flush()
    return changed


async def _fetch_checked(ctx: ServiceContext, feed: LicenceStatusFeed, source: ExternalStatusSource | None, now: datetime) -> IssuerStatusList:
    keys = await _trusted_keys(ctx, feed.uscc)
    if not keys:
        raise FeedError("status_list_key_unknown", "该机构在互认信任列表中没有有效密钥")
    raw = await (source or status_source(ctx.settings, feed.url)).fetch(feed.url)
    try:
        document = parse_json_object(raw)
    except CanonicalisationError as exc:
        raise FeedError("status_list_invalid", "状态列表不是有效的 JSON 对象") from exc
    accepted = read_issuer_status_list(document, issuer_uscc=feed.uscc, keys=keys, now=now, not_before=feed.list_generated_at)
    if isinstance(accepted, sealing.Problem):
        raise FeedError(accepted.code, accepted.reason)
    return accepted


async def pull_feed(ctx: ServiceContext, feed: LicenceStatusFeed, source: ExternalStatusSource | None = None) -> FeedPullResult:
    """Fetch, check and apply one issuer's status list; a refusal is recorded on the feed, audited and logged."""
    now = utcnow()
    feed.last_attempt_at = now
    try:
        accepted = await _fetch_checked(ctx, feed, source, now)
        async with ctx.session.begin_nested():
            changed = await _accept(ctx, feed, accepted)
    except FeedError as error:
        feed.last_status, feed.last_code, feed.last_message = "failed", error.code, error.message
        feed.failures += 1
        log.error("external status list of %s (%s) refused: %s %s", feed.name, feed.url, error.code, error.message)  # noqa: TRY400 - an expected refusal, no traceback
        record(
            ctx.session,
            events.STATUS_FEED_PULLED,
            actor=ctx.actor,
            meta=ctx.meta,
            subject_type="trusted_issuer",
            subject_id=feed.uscc,
            result="failure",
            details={"uscc": feed.uscc, "url": feed.url, "code": error.code, "reason": error.message, "failures": feed.failures},
        )
        await ctx.session.flush()
        return FeedPullResult(uscc=feed.uscc, name=feed.name, ok=False, code=error.code, message=error.message, entries=0, changed=0)
    message = f"已同步：{len(accepted.statuses)}条暂停或吊销记录，{changed}张已导入证照状态变更"
    feed.last_status, feed.last_code, feed.last_message, feed.failures = "ok", "ok", message, 0
    feed.last_success_at, feed.list_generated_at, feed.entries = now, accepted.generated_at, len(accepted.statuses)
    record(
        ctx.session,
        events.STATUS_FEED_PULLED,
        actor=ctx.actor,
        meta=ctx.meta,
        subject_type="trusted_issuer",
        subject_id=feed.uscc,
        details={"uscc": feed.uscc, "url": feed.url, "entries": len(accepted.statuses), "changed": changed},
    )
    await ctx.session.flush()
    return FeedPullResult(uscc=feed.uscc, name=feed.name, ok=True, code="ok", message=message, entries=len(accepted.statuses), changed=changed)


async def pull_feed_now(ctx: ServiceContext, uscc: str) -> FeedPullResult:
    """Pull one issuer's feed now (the trust page's 立即同步)."""
    _require_manager(ctx)
    feed = (await ctx.session.execute(select(LicenceStatusFeed).where(LicenceStatusFeed.uscc == uscc.strip().upper()[:18]))).scalar_one_or_none()
    if feed is None:
        raise NotFound("该机构未设置状态列表地址", code="status_feed_not_found")
    return await pull_feed(ctx, feed)


async def pull_status_feeds(ctx: ServiceContext) -> str:
    """The scheduled job: pull every external issuer's status list; a one-line summary."""
    feeds = (await ctx.session.execute(select(LicenceStatusFeed).order_by(LicenceStatusFeed.uscc))).scalars().all()
    if not feeds:
        return "没有设置外省状态列表地址"
    results = [await pull_feed(ctx, feed) for feed in feeds]
    failed = [r for r in results if not r.ok]
    changed = sum(r.changed for r in results)
    summary = f"外省状态列表 {len(results)} 个：成功 {len(results) - len(failed)}，失败 {len(failed)}；证照状态变更 {changed} 张"
    if failed:
        return PartlyDone(summary + "（失败：" + "；".join(f"{r.name} {r.code}" for r in failed) + "）")
    return summary


async def apply_recorded_status(ctx: ServiceContext, licence: Licence) -> bool:
    """A newly imported external licence takes the status its issuer's last accepted list states."""
    query = select(ExternalLicenceStatus).where(ExternalLicenceStatus.licence_key == licence_key(licence.identifier))
    row = (await ctx.session.execute(query)).scalar_one_or_none()
    feed = (await ctx.session.execute(select(LicenceStatusFeed).where(LicenceStatusFeed.uscc == licence.issuer_uscc))).scalar_one_or_none()
    if row is None or feed is None:
        return False
    return await _apply(ctx, feed, licence, row.status, row.since)


def feed_health(feed: StatusFeedView | None) -> str:
    """``ok`` / ``failed`` / ``stale`` (the last accepted list is older than the maximum age) / ``never`` / ``none``."""
    if feed is None:
        return "none"
    if feed.last_status is None:
        return "never"
    if feed.last_status == "failed":
        return "failed"
    if feed.list_generated_at is not None and utcnow() - feed.list_generated_at > FEED_MAX_AGE:
        return "stale"
    return "ok"
