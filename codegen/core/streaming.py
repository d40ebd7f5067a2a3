# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Server-sent events: a WHATWG event-stream decoder and typed Stream / AsyncStream of chunks."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Generator, Iterable
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx
from pydantic import ValidationError

from .base import ApiModel
from .exceptions import APIResponseValidationError, WisdomGateError
from .response import Redact, body_error, error_from_status

__all__ = ["AsyncStream", "SSEDecoder", "Stream", "decode_chunk"]

M = TypeVar("M", bound=ApiModel)

_EOL = re.compile(rb"\r\n|\r|\n")
_SSE_FIELDS = frozenset({"event", "id", "retry"})  # carry nothing for this API


def _keep(text: str) -> str:
    return text


class SSEDecoder:
    """Incremental text/event-stream parser over raw bytes; yields each event's `data`.

    Lines that are neither SSE fields nor comments (a JSON error body sent without `data:`,
    one line or pretty-printed) are kept too, and given as one more text at the next blank line
    or at the end of the body, as python-genai does, so that an error there is not lost.
    """

    def __init__(self) -> None:
        self._partial = bytearray()  # grows without copying: thoughtSignature lines are megabytes
        self._trailing_cr = False
        self._first_line = True
        self._data: list[str] = []
        self._other: list[str] = []

    def feed(self, chunk: bytes) -> list[str]:
        """The data of every event that chunk completes."""
        if not chunk:
            return []
        if self._trailing_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the \n of a \r\n split across two chunks
        self._trailing_cr = chunk.endswith(b"\r")
        pieces = _EOL.split(chunk)
        self._partial += pieces[0]
        if len(pieces) == 1:
            return []
        lines = [bytes(self._partial), *pieces[1:-1]]
        self._partial = bytearray(pieces[-1])
        return [data for line in lines for data in self._line(line)]

    def flush(self) -> list[str]:
        """The data of an event left at the end of the body."""
        # WHATWG drops an event without its blank line; keeping it makes a truncated body fail
        # loudly as invalid JSON instead of silently losing the last chunk.
        lines = [bytes(self._partial), b""] if self._partial else [b""]
        self._partial = bytearray()
        return [data for line in lines for data in self._line(line)]

    def _line(self, raw: bytes) -> list[str]:
        line = raw.decode("utf-8", errors="replace")
        if self._first_line:
            line = line.removeprefix("\ufeff")
            self._first_line = False
        if not line:
            return self._dispatch()
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value.removeprefix(" "))
        elif name and name not in _SSE_FIELDS:  # an empty name is a ":" comment
            self._other.append(line)
        return []

    def _dispatch(self) -> list[str]:
        # WHATWG: an event whose data buffer is empty (no data line) is not dispatched
        found = ["\n".join(self._data)] if self._data else []
        if self._other:
            found.append("\n".join(self._other))
        self._data, self._other = [], []
        return found


def decode_chunk(payload: Any, model: type[M], response: httpx.Response, redact: Redact) -> M:
    """One chunk as model; an `{"error": ...}` chunk raises the typed APIStatusError."""
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        raise error_from_status(payload["error"], redact, response=response)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        message = f"a stream chunk is not a valid {model.__name__}: {exc}"
        raise APIResponseValidationError(message, response=response) from None


def _json_data(data: str, response: httpx.Response) -> list[Any]:
    # without alt=sse the API streams one JSON array of chunks; a gateway may ignore alt
    try:
        payload = json.loads(data)
    except ValueError as exc:
        message = f"a stream event is not JSON ({exc}): {data[:200]!r}"
        raise APIResponseValidationError(message, response=response) from None
    return payload if isinstance(payload, list) else [payload]


def _is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/json")


def _payloads_of(texts: Iterable[str], response: httpx.Response) -> list[Any]:
    return [payload for text in texts for payload in _json_data(text, response)]


def _empty(response: httpx.Response) -> APIResponseValidationError:
    # an empty body or one without any event is never a whole answer: do not pass it off as one
    return APIResponseValidationError("the stream ended without any chunk", response=response)


class Stream(Generic[M]):
    """Typed chunks of a streamed answer; iterate once; closes the response when done or broken."""

    def __init__(self, response: httpx.Response, model: type[M], redact: Redact = _keep) -> None:
        self.response = response
        self._model = model
        self._redact = redact
        self._chunks = self._iterate()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> M:
        return next(self._chunks)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and release the connection."""
        self._chunks.close()
        self.response.close()

    def _iterate(self) -> Generator[M, None, None]:
        failure: WisdomGateError | None = None
        payloads = self._payloads()
        try:
            count = 0
            for payload in payloads:
                yield decode_chunk(payload, self._model, self.response, self._redact)
                count += 1
            if not count:
                raise _empty(self.response)
        except httpx.HTTPError as exc:
            # a broken 2xx stream is AnswerLostError: the server did the work, it is not re-sent
            failure = body_error(exc, self.response, self._redact)
        finally:
            payloads.close()
            self.response.close()
        if failure is not None:
            raise failure  # outside `except`: the httpx error, which may show the key, is not chained

    def _payloads(self) -> Generator[Any, None, None]:
        if _is_json(self.response):
            self.response.read()
            yield from _json_data(self.response.text, self.response)
            return
        decoder = SSEDecoder()
        for chunk in self.response.iter_bytes():
            yield from _payloads_of(decoder.feed(chunk), self.response)
        yield from _payloads_of(decoder.flush(), self.response)


class AsyncStream(Generic[M]):
    """Async Stream: typed chunks; closes the response when done or broken."""

    def __init__(self, response: httpx.Response, model: type[M], redact: Redact = _keep) -> None:
        self.response = response
        self._model = model
        self._redact = redact
        self._chunks = self._iterate()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> M:
        return await self._chunks.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        await self._chunks.aclose()
        await self.response.aclose()

    async def _iterate(self) -> AsyncGenerator[M, None]:
        failure: WisdomGateError | None = None
        payloads = self._payloads()
        try:
            count = 0
            async for payload in payloads:
                yield decode_chunk(payload, self._model, self.response, self._redact)
                count += 1
            if not count:
                raise _empty(self.response)
        except httpx.HTTPError as exc:
            # a broken 2xx stream is AnswerLostError: the server did the work, it is not re-sent
            failure = body_error(exc, self.response, self._redact)
        finally:
            await payloads.aclose()
            await self.response.aclose()
        if failure is not None:
            raise failure  # outside `except`: the httpx error, which may show the key, is not chained

    async def _payloads(self) -> AsyncGenerator[Any, None]:
        if _is_json(self.response):
            await self.response.aread()
            for payload in _json_data(self.response.text, self.response):
                yield payload
            return
        decoder = SSEDecoder()
        async for chunk in self.response.aiter_bytes():
            for payload in _payloads_of(decoder.feed(chunk), self.response):
                yield payload
        for payload in _payloads_of(decoder.flush(), self.response):
            yield payload
