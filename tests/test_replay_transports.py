"""RecordTransport and ReplayTransport under the real AsyncClient: keys, retries, streams."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

import httpx
import pytest

from wisdomgate.artifacts import CassetteAnswer, CassetteReader, CassetteRequest, CassetteWriter
from wisdomgate.cli.replay import NotRecordedError, RecordTransport, ReplayTransport
from wisdomgate.run import NOT_RECORDED_CAUSE, OutcomeKind
from wisdomgate.run.outcomes import classify_error
from wisdomgate_api import AnswerLostError, APIConnectionError, AsyncClient, AuthStyle, RetryPolicy
from wisdomgate_api._core.retry import should_retry

KEY = "sk-Test/Key+123=abc"  # characters that URL-encoding changes
MODEL = "gemini-2.5-flash-image"
BODY = {"contents": [{"role": "user", "parts": [{"text": "a kite"}]}]}
T = TypeVar("T")
Handler = Callable[[httpx.Request], httpx.Response]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def answer_wire(data: bytes) -> dict[str, Any]:
    part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}}
    return {"candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}]}


def image_of(response: Any) -> bytes:
    data: bytes = response.candidates[0].content.parts[0].inline_data.data.to_bytes()
    return data


class Server:
    """A MockTransport handler: a fresh image per request (as a real model gives), and a log."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=answer_wire(os.urandom(64)))


def no_sleep_policy(**options: Any) -> RetryPolicy:
    async def no_sleep(delay: float) -> None:
        return None

    return RetryPolicy(async_sleep=no_sleep, **options)


def recording_client(
    folder: Path, handler: Handler, auth: AuthStyle = "header"
) -> tuple[AsyncClient, CassetteWriter]:
    writer = CassetteWriter(folder)
    transport = RecordTransport(httpx.MockTransport(handler), writer)
    client = AsyncClient(
        api_key=KEY,
        base_url="http://api.test",
        auth=auth,
        transport=transport,
        retry=no_sleep_policy(),
    )
    return client, writer


def replaying_client(
    folder: Path, auth: AuthStyle = "header"
) -> tuple[AsyncClient, CassetteReader]:
    reader = CassetteReader(folder)
    client = AsyncClient(
        api_key=KEY,
        base_url="http://127.0.0.1:9",
        auth=auth,
        transport=ReplayTransport(reader),
        retry=no_sleep_policy(),
    )
    return client, reader


async def generate(client: AsyncClient) -> Any:
    async with client:
        return await client.generate_content(MODEL, BODY)


def every_file(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize("auth", ["header", "bearer", "query"])
def test_the_key_is_sent_but_never_stored_and_changes_no_key(
    tmp_path: Path, auth: AuthStyle
) -> None:
    server = Server()
    client, writer = recording_client(tmp_path / auth, server, auth)
    recorded = image_of(run(generate(client)))
    sent = server.requests[0]
    assert KEY in sent.headers.get("x-goog-api-key", "") + sent.headers.get(
        "authorization", ""
    ) + str(sent.url.params.get("key", ""))  # the key did reach the server
    stored = b"".join(every_file(tmp_path / auth).values())
    for form in (KEY, quote(KEY, safe=""), quote_plus(KEY), json.dumps(KEY)[1:-1]):
        assert form.encode() not in stored
    assert writer.recorded == 1
    # the same request under any auth style has the same key: replay under another one finds it
    other: AuthStyle = "query" if auth != "query" else "header"
    replayed, reader = replaying_client(tmp_path / auth, other)
    assert image_of(run(generate(replayed))) == recorded
    assert reader.replayed == 1


def test_replay_answers_with_the_recorded_image_not_a_new_one(tmp_path: Path) -> None:
    server = Server()
    client, _ = recording_client(tmp_path, server)
    recorded = image_of(run(generate(client)))
    for _ in range(2):
        client, _ = replaying_client(tmp_path)
        assert image_of(run(generate(client))) == recorded
    assert len(server.requests) == 1


def test_replay_opens_no_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = recording_client(tmp_path, Server())
    run(generate(client))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("replay opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    client, reader = replaying_client(tmp_path)  # its base URL is a closed port anyway
    run(generate(client))
    assert reader.replayed == 1


def test_a_request_not_recorded_is_a_connection_error_never_retried(tmp_path: Path) -> None:
    client, _ = recording_client(tmp_path, Server())
    run(generate(client))
    client, reader = replaying_client(tmp_path)
    lookups: list[str] = []
    answer = reader.answer

    def counted(request: CassetteRequest) -> CassetteAnswer | None:
        lookups.append(request.key)
        return answer(request)

    reader.answer = counted  # type: ignore[method-assign]

    async def other() -> Any:
        async with client:
            return await client.generate_content(MODEL, {"contents": [{"parts": [{"text": "x"}]}]})

    with pytest.raises(APIConnectionError) as caught:
        run(other())
    assert caught.value.cause == NOT_RECORDED_CAUSE == NotRecordedError.__name__
    assert len(lookups) == 1  # max_attempts is 4: the money rule, retrying cannot help
    assert not should_retry(RetryPolicy(), caught.value, 1)
    outcome = classify_error(caught.value)
    assert outcome.kind is OutcomeKind.NOT_RECORDED and not outcome.passed
    assert outcome.reason.startswith(f"not recorded: request {lookups[0]} (POST /v1beta/models/")
    assert f"--record {tmp_path}" in outcome.reason


def test_a_429_is_retried_and_only_the_final_answer_recorded(tmp_path: Path) -> None:
    calls: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(
                429, json={"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}
            )
        return httpx.Response(200, json=answer_wire(b"final"))

    client, writer = recording_client(tmp_path, flaky)
    run(generate(client))
    assert len(calls) == 2 and writer.recorded == 1
    assert dict(writer.skipped) == {"HTTP 429": 1}
    [entry] = (tmp_path / "exchanges").iterdir()
    assert json.loads(entry.read_bytes())["answer"]["status"] == 200


class CutBody(httpx.AsyncByteStream):
    """A 200 body that breaks off: the answer was made (and maybe billed), then lost."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"candidates": ['
        raise httpx.ReadError("connection reset")

    async def aclose(self) -> None:
        return None


def test_a_lost_answer_stays_answer_lost_and_is_not_recorded(tmp_path: Path) -> None:
    calls: list[int] = []

    def cut(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, stream=CutBody())

    client, writer = recording_client(tmp_path, cut)
    with pytest.raises(AnswerLostError):
        run(generate(client))
    assert len(calls) == 1  # not sent again: the recorder changes nothing of the money rule
    assert writer.recorded == 0 and not (tmp_path / "exchanges").exists()


class Pieces(httpx.AsyncByteStream):
    """A body that arrives in pieces, as from a socket (not already in memory)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), 7):
            yield self.body[start : start + 7]

    async def aclose(self) -> None:
        return None


def test_an_answer_arriving_in_pieces_is_recorded_once_whole_and_decoded(tmp_path: Path) -> None:
    def zipped(request: httpx.Request) -> httpx.Response:
        body = gzip.compress(json.dumps(answer_wire(b"zipped")).encode())
        headers = {"content-encoding": "gzip", "content-type": "application/json"}
        return httpx.Response(200, stream=Pieces(body), headers=headers)

    client, writer = recording_client(tmp_path, zipped)
    assert image_of(run(generate(client))) == b"zipped"
    assert writer.recorded == 1
    [entry] = (tmp_path / "exchanges").iterdir()
    assert json.loads(entry.read_bytes())["response"]["candidates"][0]["finishReason"] == "STOP"
    client, _ = replaying_client(tmp_path)
    assert image_of(run(generate(client))) == b"zipped"


def test_a_streamed_answer_is_recorded_and_replayed_chunk_for_chunk(tmp_path: Path) -> None:
    chunks = [answer_wire(b"one"), {"usageMetadata": {"totalTokenCount": 3}}]

    def stream(request: httpx.Request) -> httpx.Response:
        assert request.url.params["alt"] == "sse"
        body = b"".join(b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in chunks)
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    async def read(client: AsyncClient) -> list[dict[str, Any]]:
        async with client:
            found = await client.stream_generate_content(MODEL, BODY)
            return [chunk.to_wire() async for chunk in found]

    client, writer = recording_client(tmp_path, stream)
    live = run(read(client))
    assert writer.recorded == 1
    client, _ = replaying_client(tmp_path)
    assert run(read(client)) == live
