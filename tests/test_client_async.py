"""AsyncClient: the main paths of the sync client, awaited (run with asyncio.run, no plugin)."""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.answers import part_of
from wisdomgate_api import (
    AnswerLostError,
    APIConnectionError,
    APIResponse,
    APIResponseValidationError,
    APITimeoutError,
    AsyncClient,
    AsyncStream,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    models,
)
from wisdomgate_api._core.encoding import encode_body

RECORDED_SSE = Path(__file__).parent / "data" / "recorded" / "image-thought-signature.sse.txt"
RECORDED_429 = Path(__file__).parent / "data" / "recorded" / "error-429-retryinfo.json"
KEY = "test-key-123"
BODY = {"contents": [{"parts": [{"text": "hi"}]}]}
ANSWER = {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}}]}
T = TypeVar("T")
Handler = Callable[[httpx.Request], httpx.Response]


class AsyncChunks(httpx.AsyncByteStream):
    """An async response body in the given pieces, remembering whether it was closed."""

    def __init__(self, pieces: list[bytes], error: Exception | None = None) -> None:
        self.pieces = pieces
        self.error = error
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.error is not None:
            raise self.error

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def make_client(sleeps: list[float]) -> Callable[[Handler], AsyncClient]:
    """make_client(handler) -> an AsyncClient on a MockTransport; retries record, never sleep."""

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    def make(handler: Handler) -> AsyncClient:
        retry = RetryPolicy(max_attempts=3, async_sleep=record, random=lambda: 0.0)
        return AsyncClient(api_key=KEY, transport=httpx.MockTransport(handler), retry=retry)

    return make


def _cut(code: int, error: Exception | None = None) -> httpx.Response:
    """An answer whose body breaks off after its first bytes, as a connection lost mid-body."""
    cut_by = error or httpx.RemoteProtocolError("peer closed connection without sending complete")
    body = AsyncChunks([json.dumps(ANSWER).encode()[:10]], error=cut_by)
    return httpx.Response(code, headers={"content-type": "application/json"}, stream=body)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def _answers(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = responses[min(len(sent), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, sent


def test_generate_content_with_a_dict_body(make_client: Callable[[Handler], AsyncClient]) -> None:
    handler, sent = _answers(httpx.Response(200, json=ANSWER))

    async def main() -> models.GenerateContentResponse:
        async with make_client(handler) as client:
            return await client.generate_content("models/m", BODY)

    response = run(main())
    assert isinstance(response, models.GenerateContentResponse)
    assert sent[0].url.path == "/v1beta/models/m:generateContent"
    assert sent[0].content == encode_body(models.GenerateContentRequest.model_validate(BODY))


def test_status_error_is_typed(make_client: Callable[[Handler], AsyncClient]) -> None:
    error = {"error": {"code": 404, "message": "no such model", "status": "NOT_FOUND"}}
    handler, _sent = _answers(httpx.Response(404, json=error))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.get_model("nope")

    with pytest.raises(NotFoundError) as caught:
        run(main())
    assert (caught.value.message, caught.value.status) == ("no such model", "NOT_FOUND")


def test_429_is_retried_after_retry_info(
    make_client: Callable[[Handler], AsyncClient], sleeps: list[float]
) -> None:
    payload = json.loads(RECORDED_429.read_text())
    handler, sent = _answers(httpx.Response(429, json=payload), httpx.Response(200, json=ANSWER))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    run(main())
    assert (len(sent), sleeps) == (2, [34.4])


def test_max_attempts_then_the_error(
    make_client: Callable[[Handler], AsyncClient], sleeps: list[float]
) -> None:
    handler, sent = _answers(httpx.Response(429, json={"error": {"code": 429, "message": "x"}}))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    with pytest.raises(RateLimitError):
        run(main())
    assert (len(sent), sleeps) == (3, [1.0, 2.0])


def test_connection_error_is_retried(
    make_client: Callable[[Handler], AsyncClient], sleeps: list[float]
) -> None:
    handler, sent = _answers(httpx.ConnectError("refused"), httpx.Response(200, json=ANSWER))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    run(main())
    assert (len(sent), sleeps) == (2, [1.0])


def test_with_raw_response(make_client: Callable[[Handler], AsyncClient]) -> None:
    handler, _sent = _answers(httpx.Response(200, json=ANSWER, headers={"x-request-id": "a-1"}))

    async def main() -> APIResponse[models.GenerateContentResponse]:
        async with make_client(handler) as client:
            return await client.with_raw_response.generate_content("m", BODY)

    raw = run(main())
    assert (raw.status_code, raw.headers["x-request-id"]) == (200, "a-1")
    assert isinstance(raw.parse(), models.GenerateContentResponse)


def test_recorded_image_stream(make_client: Callable[[Handler], AsyncClient]) -> None:
    body = AsyncChunks([RECORDED_SSE.read_bytes()])
    handler, sent = _answers(httpx.Response(200, stream=body))

    async def main() -> list[models.GenerateContentResponse]:
        async with make_client(handler) as client:
            stream = await client.stream_generate_content("m", BODY)
            assert isinstance(stream, AsyncStream)
            async with stream:
                return [chunk async for chunk in stream]

    chunks = run(main())
    assert [c.response_id for c in chunks] == ["live-response-id", "live-response-id"]
    assert part_of(chunks[0]).thought_signature == "live-image-thought-signature"
    assert sent[0].url.params["alt"] == "sse" and body.closed


def test_stream_error_chunk_after_200(make_client: Callable[[Handler], AsyncClient]) -> None:
    error = b'data: {"error": {"code": 429, "message": "quota"}}\n\n'
    body = AsyncChunks([b'data: {"responseId": "r1"}\n\n', error])
    handler, _sent = _answers(httpx.Response(200, stream=body))
    seen: list[str | None] = []

    async def main() -> None:
        async with make_client(handler) as client:
            async for chunk in await client.stream_generate_content("m", BODY):
                seen.append(chunk.response_id)

    with pytest.raises(RateLimitError, match="quota"):
        run(main())
    assert seen == ["r1"] and body.closed


def test_stream_eight_megabyte_line(make_client: Callable[[Handler], AsyncClient]) -> None:
    signature = "A" * (8 * 1024 * 1024)
    line = json.dumps({"candidates": [{"content": {"parts": [{"thoughtSignature": signature}]}}]})
    data = f"data: {line}\n\n".encode()
    body = AsyncChunks([data[i : i + 65536] for i in range(0, len(data), 65536)])
    handler, _sent = _answers(httpx.Response(200, stream=body))

    async def main() -> list[models.GenerateContentResponse]:
        async with make_client(handler) as client:
            return [chunk async for chunk in await client.stream_generate_content("m", BODY)]

    (only,) = run(main())
    assert part_of(only).thought_signature == signature


def test_stream_dropped_connection(make_client: Callable[[Handler], AsyncClient]) -> None:
    body = AsyncChunks([b'data: {"responseId": "r1"}\n\n'], error=httpx.ReadError("reset"))
    handler, sent = _answers(httpx.Response(200, stream=body), httpx.Response(200))

    async def main() -> None:
        async with make_client(handler) as client:
            async for _ in await client.stream_generate_content("m", BODY):
                pass

    with pytest.raises(AnswerLostError, match="reset") as caught:
        run(main())
    assert (caught.value.status_code, caught.value.cause) == (200, "ReadError")
    assert len(sent) == 1 and body.closed


def test_stream_aclose_early_closes_the_response(
    make_client: Callable[[Handler], AsyncClient],
) -> None:
    body = AsyncChunks([b'data: {"responseId": "r1"}\n\n', b'data: {"responseId": "r2"}\n\n'])
    handler, _sent = _answers(httpx.Response(200, stream=body))

    async def main() -> str | None:
        async with make_client(handler) as client:
            stream = await client.stream_generate_content("m", BODY)
            async with stream:
                return (await stream.__anext__()).response_id

    assert run(main()) == "r1"
    assert body.closed


def test_stream_of_a_pretty_printed_error_raises_the_typed_error(
    make_client: Callable[[Handler], AsyncClient],
) -> None:
    error = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}
    body = AsyncChunks([json.dumps(error, indent=2).encode()])
    handler, _sent = _answers(httpx.Response(200, stream=body))

    async def main() -> None:
        async with make_client(handler) as client:
            async for _ in await client.stream_generate_content("m", BODY):
                pass

    with pytest.raises(RateLimitError, match="quota"):
        run(main())
    assert body.closed


def test_empty_stream_raises_response_validation_error(
    make_client: Callable[[Handler], AsyncClient],
) -> None:
    handler, _sent = _answers(httpx.Response(200, stream=AsyncChunks([])))

    async def main() -> None:
        async with make_client(handler) as client:
            async for _ in await client.stream_generate_content("m", BODY):
                pass

    with pytest.raises(APIResponseValidationError, match="without any chunk"):
        run(main())


def test_error_envelope_with_200_raises_the_typed_error(
    make_client: Callable[[Handler], AsyncClient],
) -> None:
    error = {"error": {"code": 404, "message": "no such model", "status": "NOT_FOUND"}}
    handler, _sent = _answers(httpx.Response(200, json=error))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    with pytest.raises(NotFoundError, match="no such model"):
        run(main())


def test_read_timeout_is_not_retried(
    make_client: Callable[[Handler], AsyncClient], sleeps: list[float]
) -> None:
    handler, sent = _answers(httpx.ReadTimeout("slow"), httpx.Response(200, json=ANSWER))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    with pytest.raises(APITimeoutError):
        run(main())
    assert (len(sent), sleeps) == (1, [])


def test_connection_error_never_chains_the_httpx_error(
    make_client: Callable[[Handler], AsyncClient],
) -> None:
    handler, _sent = _answers(httpx.LocalProtocolError(f"Illegal header value b'{KEY}\\n'"))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    with pytest.raises(APIConnectionError) as caught:
        run(main())
    shown = "".join(traceback.format_exception(caught.value))
    assert KEY not in shown and caught.value.__context__ is None


@pytest.mark.parametrize(
    "cut_by",
    [httpx.RemoteProtocolError("peer closed"), httpx.ReadError("reset"), httpx.ReadTimeout("slow")],
    ids=lambda error: type(error).__name__,
)
def test_a_200_whose_body_is_cut_is_sent_once_and_raises_answer_lost(
    make_client: Callable[[Handler], AsyncClient], sleeps: list[float], cut_by: Exception
) -> None:
    handler, sent = _answers(_cut(200, cut_by), httpx.Response(200, json=ANSWER))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    with pytest.raises(AnswerLostError) as caught:
        run(main())
    assert (len(sent), sleeps) == (1, [])
    assert (caught.value.status_code, caught.value.cause) == (200, type(cut_by).__name__)


def test_a_cut_200_body_is_retried_when_the_policy_allows(sleeps: list[float]) -> None:
    handler, sent = _answers(_cut(200), httpx.Response(200, json=ANSWER))

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    policy = RetryPolicy(retry_lost_answers=True, async_sleep=record, random=lambda: 0.0)
    transport = httpx.MockTransport(handler)

    async def main() -> models.GenerateContentResponse:
        async with AsyncClient(api_key=KEY, transport=transport, retry=policy) as client:
            return await client.generate_content("m", BODY)

    assert isinstance(run(main()), models.GenerateContentResponse)
    assert (len(sent), sleeps) == (2, [1.0])


@pytest.mark.parametrize(
    "reset",
    [httpx.RemoteProtocolError("Server disconnected"), httpx.ReadError("connection reset")],
    ids=["RemoteProtocolError", "ReadError"],
)
def test_a_reset_before_the_status_line_is_retried(
    make_client: Callable[[Handler], AsyncClient], sleeps: list[float], reset: Exception
) -> None:
    handler, sent = _answers(reset, httpx.Response(200, json=ANSWER))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    run(main())
    assert (len(sent), sleeps) == (2, [1.0])


def test_a_503_whose_body_is_cut_is_retried_as_a_503(
    make_client: Callable[[Handler], AsyncClient], sleeps: list[float]
) -> None:
    handler, sent = _answers(_cut(503), httpx.Response(200, json=ANSWER))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    run(main())
    assert (len(sent), sleeps) == (2, [1.0])


def test_a_503_whose_body_is_cut_raises_its_status_error(
    make_client: Callable[[Handler], AsyncClient],
) -> None:
    handler, sent = _answers(_cut(503), _cut(503), _cut(503))

    async def main() -> None:
        async with make_client(handler) as client:
            await client.generate_content("m", BODY)

    with pytest.raises(ServiceUnavailableError, match="the error body was cut off"):
        run(main())
    assert len(sent) == 3
