"""A minimal keep-alive HTTP/1.1 client on asyncio protocols, fast enough to load a local server.

One :class:`Connection` carries one request at a time (no pipelining), like a browser
connection. Requests are pre-encoded bytes (:func:`encode_request`), so the hot loop only
writes bytes, parses the status line and the body length, and wakes the waiting coroutine.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = b"\r\ncontent-length:"
_CHUNKED = b"\r\ntransfer-encoding: chunked"
_CLOSE = b"\r\nconnection: close"


class HTTPError(Exception):
    """The connection failed or the server sent something this client cannot parse."""


@dataclass(frozen=True, slots=True)
class Response:
    """Status, raw header block and body of one response."""

    status: int
    head: bytes
    body: bytes

    def headers(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        wanted = name.lower().encode() + b":"
        return [line[len(wanted) :].strip().decode("latin-1") for line in self.head.split(b"\r\n")[1:] if line.lower().startswith(wanted)]

    def cookies(self) -> dict[str, str]:
        """Cookies set by this response (name to value; attributes dropped)."""
        jar = {}
        for value in self.headers("set-cookie"):
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            jar[key.strip()] = val.strip()
        return jar


def encode_request(
    method: str,
    path: str,
    host: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> bytes:
    """Serialise one HTTP/1.1 request (keep-alive, identity encoding)."""
    lines = [f"{method} {path} HTTP/1.1", f"host: {host}", "user-agent: longgov-bench/1"]
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if body is not None or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"content-length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def _parse_chunked(buf: bytearray, start: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``start``; None until it is complete."""
    body = bytearray()
    pos = start
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buf[pos:line_end]).split(b";", 1)[0], 16)
        pos = line_end + 2
        if size == 0:
            # Optional trailers end with an empty line.
            trailer_end = buf.find(b"\r\n", pos)
            while trailer_end > pos:
                pos = trailer_end + 2
                trailer_end = buf.find(b"\r\n", pos)
            if trailer_end < 0:
                return None
            return bytes(body), trailer_end + 2
        if len(buf) < pos + size + 2:
            return None
        body += buf[pos : pos + size]
        pos += size + 2


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = bytearray()
        self.waiter: asyncio.Future[Response] | None = None
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.close_after = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - TCP transports only
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(HTTPError(f"connection lost: {exc!r}"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is not None:
            self._try_complete()

    def _try_complete(self) -> None:
        buf = self.buf
        end = buf.find(_HEAD_END)
        if end < 0:
            return
        head = bytes(buf[:end])
        lower = head.lower()
        body_start = end + 4
        waiter = self.waiter
        assert waiter is not None  # noqa: S101
        try:
            status = int(head[9:12])
            at = lower.find(_CONTENT_LENGTH)
            if at >= 0:
                line_end = lower.find(b"\r\n", at + 2)
                length = int(lower[at + len(_CONTENT_LENGTH) : line_end if line_end >= 0 else None])
                if len(buf) < body_start + length:
                    return
                body = bytes(buf[body_start : body_start + length])
                consumed = body_start + length
            elif lower.find(_CHUNKED) >= 0:
                parsed = _parse_chunked(buf, body_start)
                if parsed is None:
                    return
                body, consumed = parsed
            else:
                # No length: only bodiless statuses are expected from the app.
                body, consumed = b"", body_start
        except ValueError:
            self.waiter = None
            waiter.set_exception(HTTPError(f"bad response head: {head[:200]!r}"))
            if self.transport is not None:
                self.transport.close()
            return
        del buf[:consumed]
        self.close_after = lower.find(_CLOSE) >= 0
        self.waiter = None
        waiter.set_result(Response(status, head, body))


class Connection:
    """One persistent connection to ``host:port``; reconnects lazily after a close."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._protocol: _Protocol | None = None

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        _transport, protocol = await loop.create_connection(_Protocol, self.host, self.port)
        return protocol

    async def request(self, raw: bytes) -> Response:
        """Send one encoded request and wait for its whole response."""
        protocol = self._protocol
        if protocol is None or protocol.closed:
            protocol = self._protocol = await self._connect()
        waiter: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        protocol.waiter = waiter
        assert protocol.transport is not None  # noqa: S101
        protocol.transport.write(raw)
        try:
            response = await waiter
        except BaseException:
            self.close()
            raise
        if protocol.close_after:
            self.close()
        return response

    def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None
