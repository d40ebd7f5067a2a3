"""`run --record DIR` and `run --replay DIR`: httpx transports below the client.

Both sit where the client's network transport would be, so the client, its retries and the
runner work as they always do. RecordTransport sends through the real transport and copies each
final 2xx answer into the cassette once its body has arrived whole: a body lost mid-way stays an
AnswerLostError and is not recorded, a 429 or 5xx is retried by the client and not recorded.
ReplayTransport has no network transport at all; a request the cassette lacks raises
NotRecordedError, a transport error the client's retry rule never retries (its class name is the
`cause` the runner reads as the outcome `not_recorded`).

Both see the request after the key was added (a header, or `?key=` for the query style): a
cassette key covers method, path, query without `key`, and body, never a header.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx

from wisdomgate.artifacts import CassetteAnswer, CassetteReader, CassetteRequest, CassetteWriter
from wisdomgate_api import DEFAULT_BASE_URL
from wisdomgate_api._core.http_clients import env_proxy

__all__ = ["REPLAY_KEY", "NotRecordedError", "RecordTransport", "ReplayTransport", "network"]

# What the client gets as its key under --replay: nothing is sent, so no real key is needed.
REPLAY_KEY = "replay-needs-no-key"


class NotRecordedError(httpx.TransportError):
    """A request the cassette has no answer for: not sent, and not worth retrying."""


def cassette_request(request: httpx.Request, body: bytes) -> CassetteRequest:
    """The cassette's view of request: method, path and query as sent (without key), body."""
    return CassetteRequest.from_target(request.method, request.url.raw_path.decode("ascii"), body)


def network(base_url: str | None) -> httpx.AsyncBaseTransport:
    """The transport the client would make itself (giving one turns off httpx's proxy lookup)."""
    return httpx.AsyncHTTPTransport(proxy=env_proxy(base_url or DEFAULT_BASE_URL))


class _Tee(httpx.AsyncByteStream):
    """A response body passed through unchanged, handed to done() once it has arrived whole."""

    def __init__(self, inner: httpx.AsyncByteStream, done: Callable[[bytes], None]) -> None:
        self._inner = inner
        self._done = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pieces = []
        async for piece in self._inner:
            pieces.append(piece)
            yield piece
        # reached only when the whole body came: a broken or abandoned body records nothing
        self._done(b"".join(pieces))

    async def aclose(self) -> None:
        await self._inner.aclose()


class RecordTransport(httpx.AsyncBaseTransport):
    """Sends through inner and records every final 2xx answer into the cassette."""

    def __init__(self, inner: httpx.AsyncBaseTransport, cassette: CassetteWriter) -> None:
        self._inner = inner
        self._cassette = cassette

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send request; a 2xx answer is recorded once its body has been read whole."""
        recorded = cassette_request(request, await request.aread())
        response = await self._inner.handle_async_request(request)
        if not response.is_success:
            self._cassette.skip(f"HTTP {response.status_code}")
            return response
        kind = response.headers.get("content-type", "")

        def record(body: bytes | None) -> None:
            if body is None:
                self._cassette.skip("an undecodable body")
            else:
                self._cassette.record(recorded, CassetteAnswer(response.status_code, kind, body))

        try:
            body = response.content  # a transport that built its answer in memory has read it
        except httpx.ResponseNotRead:
            stream = response.stream
            assert isinstance(stream, httpx.AsyncByteStream)  # an async transport's body
            response.stream = _Tee(stream, lambda raw: record(_decoded(response, raw)))
        else:
            record(body)
        return response

    async def aclose(self) -> None:
        """Close the network transport."""
        await self._inner.aclose()


def _decoded(response: httpx.Response, raw: bytes) -> bytes | None:
    """The body as the client reads it (gzip and the like undone); None when it cannot be."""
    copy = httpx.Response(
        response.status_code, headers=response.headers, stream=httpx.ByteStream(raw)
    )
    try:
        return copy.read()
    except httpx.DecodingError:
        return None


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers from a cassette, never from the network (it has no network transport)."""

    def __init__(self, cassette: CassetteReader) -> None:
        self._cassette = cassette

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The recorded answer; NotRecordedError for a request the cassette does not have."""
        recorded = cassette_request(request, await request.aread())
        answer = self._cassette.answer(recorded)
        if answer is None:
            raise NotRecordedError(self._cassette.not_recorded(recorded), request=request)
        headers = {"content-type": answer.content_type}
        return httpx.Response(answer.status, headers=headers, content=answer.body)
