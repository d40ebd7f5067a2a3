# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Typed Stream / AsyncStream of the chunks of a streamed answer (server-sent events)."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Generator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx
from pydantic import ValidationError

from .base import ApiModel
from .exceptions import APIResponseValidationError, WisdomGateError
from .response import Redact, body_error, error_from_status
from .spool import JsonSpooler, SpooledJson
from .sse import SSEDecoder

__all__ = ["AsyncStream", "Stream", "decode_chunk", "decode_event"]

M = TypeVar("M", bound=ApiModel)
# a JSON payload and the spooled event it was parsed from (which binds its placeholders)
Payload = tuple[Any, SpooledJson]


def _keep(text: str) -> str:
    return text


def decode_chunk(payload: Payload, model: type[M], response: httpx.Response, redact: Redact) -> M:
    """One chunk as model; an `{"error": ...}` chunk raises the typed APIStatusError."""
    data, event = payload
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        raise error_from_status(data["error"], redact, response=response)
    try:
        return event.validate_python(data, model)
    except ValidationError as exc:
        message = f"a stream chunk is not a valid {model.__name__}: {exc}"
        raise APIResponseValidationError(message, response=response) from None


def decode_event(
    event: SpooledJson, model: type[M], response: httpx.Response, redact: Redact
) -> list[M]:
    """The chunks of one event: one object (parsed by pydantic straight from the JSON text), or
    a JSON array of them; an `{"error": ...}` object raises the typed APIStatusError."""
    try:
        parsed = event.validate(model)
    except ValidationError:
        # not one valid object: an array of chunks, an error without the model's shape, or no JSON
        return [decode_chunk(p, model, response, redact) for p in _json_data(event, response)]
    error = (parsed.model_extra or {}).get("error")
    if isinstance(error, dict):
        raise error_from_status(error, redact, response=response)
    return [parsed]


def _json_data(event: SpooledJson, response: httpx.Response) -> list[Payload]:
    # without alt=sse the API streams one JSON array of chunks; a gateway may ignore alt
    text = event.text.decode("utf-8", errors="replace")  # small: long strings are spooled
    try:
        payload = json.loads(text)
    except ValueError as exc:
        message = f"a stream event is not JSON ({exc}): {text[:200]!r}"
        raise APIResponseValidationError(message, response=response) from None
    return [(item, event) for item in (payload if isinstance(payload, list) else [payload])]


def _is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/json")


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
        events = self._events()
        try:
            count = 0
            for event in events:
                for chunk in decode_event(event, self._model, self.response, self._redact):
                    yield chunk
                    count += 1
            if not count:
                raise _empty(self.response)
        except httpx.HTTPError as exc:
            # a broken 2xx stream is AnswerLostError: the server did the work, it is not re-sent
            failure = body_error(exc, self.response, self._redact)
        finally:
            events.close()
            self.response.close()
        if failure is not None:
            raise failure  # outside `except`: the httpx error, which may show the key, is not chained

    def _events(self) -> Generator[SpooledJson, None, None]:
        if _is_json(self.response):  # the whole body is one JSON array of chunks
            spooler = JsonSpooler()
            for chunk in self.response.iter_bytes():
                spooler.feed(chunk)
            yield spooler.finish()
            return
        decoder = SSEDecoder()
        for chunk in self.response.iter_bytes():
            yield from decoder.feed(chunk)
        yield from decoder.flush()


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
        events = self._events()
        try:
            count = 0
            async for event in events:
                for chunk in decode_event(event, self._model, self.response, self._redact):
                    yield chunk
                    count += 1
            if not count:
                raise _empty(self.response)
        except httpx.HTTPError as exc:
            # a broken 2xx stream is AnswerLostError: the server did the work, it is not re-sent
            failure = body_error(exc, self.response, self._redact)
        finally:
            await events.aclose()
            await self.response.aclose()
        if failure is not None:
            raise failure  # outside `except`: the httpx error, which may show the key, is not chained

    async def _events(self) -> AsyncGenerator[SpooledJson, None]:
        if _is_json(self.response):  # the whole body is one JSON array of chunks
            spooler = JsonSpooler()
            async for chunk in self.response.aiter_bytes():
                spooler.feed(chunk)
            yield spooler.finish()
            return
        decoder = SSEDecoder()
        async for chunk in self.response.aiter_bytes():
            for event in decoder.feed(chunk):
                yield event
        for event in decoder.flush():
            yield event
