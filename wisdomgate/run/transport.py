"""An HTTP/1.1 transport for httpx on asyncio streams, with a constant-time keep-alive pool.

Why not httpx's own: at the concurrency of a wide batch (50 requests in flight) httpcore's pool
scans every connection, and asks each idle one whether its socket is readable, whenever any
request starts or ends, and it closes every connection beyond its 20 keep-alive ones; with the
anyio layer under it, a request costs about 3 ms of CPU on a 2-core machine, and a batch at 250 ms
latency gets about 0.6 of the ideal throughput (bench/README.md has the numbers). This transport
keeps the idle connections of each origin on a stack and takes one in O(1), writes the request
head and body in one write, and reads the answer through one asyncio.StreamReader.

It speaks what the Gemini API and the simulator use: HTTP/1.1 over TCP or TLS, bodies framed by
Content-Length, chunked or (for an answer) by the end of the connection. No proxies: the CLI uses
httpx's transport when a proxy is configured. Failures are the httpx exceptions httpcore would
raise at the same moment (ConnectError, ReadError, RemoteProtocolError, *Timeout), so the
client's retry rule (wisdomgate_api._core.retry) reads them the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator, Iterator

import httpx

__all__ = ["KeepAliveTransport"]

Origin = tuple[str, str, int]  # scheme, host, port

_KEEPALIVE_EXPIRY = 5.0  # seconds an idle connection is kept, as httpx does
_READ_SIZE = 64 * 1024
_HEAD_LIMIT = 256 * 1024  # status line and headers together
_NO_BODY_STATUSES = frozenset({204, 304})


class _Connection:
    """One TCP (or TLS) connection to an origin."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    def usable(self) -> bool:
        """True when an idle connection can carry another request (the server has not closed
        it, sent anything unasked, or kept it too long)."""
        expired = time.monotonic() - self.idle_since > _KEEPALIVE_EXPIRY
        unasked = self.reader.at_eof() or bool(getattr(self.reader, "_buffer", b""))
        return not (expired or unasked or self.writer.is_closing())

    def close(self) -> None:
        """Close without waiting (a TLS close_notify is not worth a round trip)."""
        self.writer.close()


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 keep-alive connections on asyncio streams, at most max_connections at once."""

    def __init__(
        self, *, max_connections: int = 100, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._max_connections = max_connections
        self._ssl_context = ssl_context
        self._slots: asyncio.Semaphore | None = None  # made in the loop that uses it
        self._idle: dict[Origin, list[_Connection]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send request on a pooled connection; the response body streams from it."""
        timeouts = request.extensions.get("timeout", {})
        origin = _origin(request.url)
        await self._acquire(timeouts.get("pool"))
        connection: _Connection | None = None
        try:
            connection = self._take_idle(origin) or await self._connect(origin, timeouts)
            await _send(connection, request, timeouts.get("write"))
            head = await _read_head(connection, timeouts.get("read"))
        except BaseException:
            if connection is not None:
                connection.close()
            self._release(origin, None)
            raise
        status, reason, headers, keeps_alive = head
        framing = _framing(request, status, headers, keeps_alive)
        body = _Body(self, origin, connection, framing, timeouts.get("read"))
        extensions = {"http_version": b"HTTP/1.1", "reason_phrase": reason}
        return httpx.Response(status, headers=headers, stream=body, extensions=extensions)

    async def aclose(self) -> None:
        """Close every idle connection."""
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def _acquire(self, timeout: float | None) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_connections)
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no free connection within the pool timeout") from None

    def _release(self, origin: Origin, connection: _Connection | None) -> None:
        """Give the request's slot back, and its connection to the pool when it is reusable."""
        if connection is not None:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(connection)
        if self._slots is not None:
            self._slots.release()

    def _take_idle(self, origin: Origin) -> _Connection | None:
        stack = self._idle.get(origin)
        while stack:
            connection = stack.pop()  # the most recently used: the least likely to be stale
            if connection.usable():
                return connection
            connection.close()
        return None

    async def _connect(self, origin: Origin, timeouts: dict[str, float | None]) -> _Connection:
        scheme, host, port = origin
        context = self._tls() if scheme == "https" else None
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context else None,
                    limit=_HEAD_LIMIT,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from None
        return _Connection(reader, writer)

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context


def _origin(url: httpx.URL) -> Origin:
    scheme = url.scheme
    if scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
    return scheme, url.host, url.port or (443 if scheme == "https" else 80)


async def _send(connection: _Connection, request: httpx.Request, timeout: float | None) -> None:
    """The request line, headers and body; one write when the body is in memory."""
    target = request.url.raw_path
    lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), target)]
    lines.extend(b"%s: %s\r\n" % (name, value) for name, value in request.headers.raw)
    lines.append(b"\r\n")
    chunked = request.headers.get("transfer-encoding", "").lower() == "chunked"
    writer = connection.writer
    try:
        async with asyncio.timeout(timeout):
            try:
                body = request.content
            except httpx.RequestNotRead:  # a streamed body: sent as it comes
                writer.write(b"".join(lines))
                async for chunk in _framed(request.stream, chunked):
                    writer.write(chunk)
                    await writer.drain()
            else:
                writer.write(b"".join([*lines, body]))
            await writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("sending the request timed out") from None
    except OSError as exc:
        raise httpx.WriteError(f"the connection broke while sending: {exc}") from None


async def _framed(stream: object, chunked: bool) -> AsyncIterator[bytes]:
    if not isinstance(stream, httpx.AsyncByteStream):
        raise httpx.RequestError("a synchronous request body cannot be sent asynchronously")
    async for chunk in stream:
        if chunk:
            yield b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
    if chunked:
        yield b"0\r\n\r\n"


Head = tuple[int, bytes, list[tuple[bytes, bytes]], bool]  # status, reason, headers, HTTP/1.1


async def _read_head(connection: _Connection, timeout: float | None) -> Head:
    """The status code, reason and headers of the answer (1xx answers skipped)."""
    with _reading(timeout, before_status=True):
        async with asyncio.timeout(timeout):
            while True:
                head = await connection.reader.readuntil(b"\r\n\r\n")
                parsed = _parse_head(head)
                if not 100 <= parsed[0] < 200:
                    return parsed


def _parse_head(head: bytes) -> Head:
    lines = head[:-4].split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    code, _, reason = rest.partition(b" ")
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise httpx.RemoteProtocolError(f"not an HTTP/1.1 status line: {lines[0][:100]!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise httpx.RemoteProtocolError(f"malformed header line: {line[:100]!r}")
        headers.append((name, value.strip()))
    return int(code), reason, headers, version == b"HTTP/1.1"


@contextlib.contextmanager
def _reading(timeout: float | None, *, before_status: bool) -> Iterator[None]:
    """Map a failed read to the httpx exception httpcore raises at that moment."""
    try:
        yield
    except TimeoutError:
        raise httpx.ReadTimeout(f"no answer within {timeout} s") from None
    except asyncio.IncompleteReadError:
        message = (
            "Server disconnected without sending a response."
            if before_status
            else "peer closed connection without sending complete message body"
        )
        raise httpx.RemoteProtocolError(message) from None
    except asyncio.LimitOverrunError:
        raise httpx.RemoteProtocolError("the answer's headers are too long") from None
    except (OSError, ssl.SSLError) as exc:
        raise httpx.ReadError(f"the connection broke while reading: {exc}") from None


class _Framing:
    """How the answer's body ends, and whether the connection can be used again after it."""

    def __init__(self, *, length: int | None, chunked: bool, reusable: bool) -> None:
        self.length = length  # None with chunked=False: until the connection closes
        self.chunked = chunked
        self.reusable = reusable


def _framing(
    request: httpx.Request, status: int, raw: list[tuple[bytes, bytes]], keeps_alive: bool
) -> _Framing:
    headers = httpx.Headers(raw)
    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    closing = "close" in tokens or request.headers.get("connection", "").lower() == "close"
    asked_close = closing or not keeps_alive  # HTTP/1.0: one request per connection
    if request.method == "HEAD" or status in _NO_BODY_STATUSES:
        return _Framing(length=0, chunked=False, reusable=not asked_close)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _Framing(length=None, chunked=True, reusable=not asked_close)
    length = headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise httpx.RemoteProtocolError(f"bad Content-Length {length[:40]!r}")
        return _Framing(length=int(length), chunked=False, reusable=not asked_close)
    return _Framing(length=None, chunked=False, reusable=False)


class _Body(httpx.AsyncByteStream):
    """The answer's body, read from its connection; the connection goes back to the pool when
    the body was read to its end (else it is closed)."""

    def __init__(
        self,
        transport: KeepAliveTransport,
        origin: Origin,
        connection: _Connection,
        framing: _Framing,
        timeout: float | None,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._connection: _Connection | None = connection
        self._framing = framing
        self._timeout = timeout
        self._complete = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            raise httpx.StreamClosed()
        with _reading(self._timeout, before_status=False):
            async for chunk in self._chunks(connection.reader):
                yield chunk
        self._complete = True

    async def _chunks(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        framing = self._framing
        if framing.chunked:
            while size := await self._chunk_size(reader):
                async with asyncio.timeout(self._timeout):
                    chunk = await reader.readexactly(size + 2)  # with the CRLF after it
                yield chunk[:-2]
            async with asyncio.timeout(self._timeout):
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers, ignored
        elif framing.length is not None:
            left = framing.length
            while left:
                async with asyncio.timeout(self._timeout):
                    chunk = await reader.read(min(left, _READ_SIZE))
                if not chunk:
                    raise asyncio.IncompleteReadError(b"", left)
                left -= len(chunk)
                yield chunk
        else:
            while True:
                async with asyncio.timeout(self._timeout):
                    chunk = await reader.read(_READ_SIZE)
                if not chunk:
                    return
                yield chunk

    async def _chunk_size(self, reader: asyncio.StreamReader) -> int:
        async with asyncio.timeout(self._timeout):
            line = await reader.readuntil(b"\r\n")
        size = line.split(b";", 1)[0].strip()
        try:
            return int(size, 16)
        except ValueError:
            raise httpx.RemoteProtocolError(f"bad chunk size {size[:20]!r}") from None

    async def aclose(self) -> None:
        """Return the connection to the pool (body complete) or close it."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._complete and self._framing.reusable:
            self._transport._release(self._origin, connection)
        else:
            connection.close()
            self._transport._release(self._origin, None)
