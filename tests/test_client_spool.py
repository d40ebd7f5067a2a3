"""Big answers are decoded to spools while they are read: values, exact round trips, the money rule."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.answers import blob_of
from wisdomgate_api import (
    AnswerLostError,
    AsyncClient,
    Base64Data,
    Base64File,
    Client,
    RetryPolicy,
    models,
)
from wisdomgate_api._core.spool import SPOOL_MEMORY, SPOOL_THRESHOLD, JsonSpooler

KEY = "test-key-123"
RECORDED = Path(__file__).parent / "data" / "recorded"
BODY = {"contents": [{"role": "user", "parts": [{"text": "draw"}]}]}


def _answer(data: str, **part: Any) -> dict[str, Any]:
    blob = {"inlineData": {"mimeType": "image/png", "data": data}, **part}
    content = {"role": "model", "parts": [{"text": 'say "data": "x"'}, blob]}
    return {"candidates": [{"content": content, "finishReason": "STOP", "index": 0}]}


def _spool(wire: bytes, piece: int, threshold: int = 16) -> models.GenerateContentResponse:
    spooler = JsonSpooler(threshold)
    for start in range(0, len(wire), piece):
        spooler.feed(wire[start : start + piece])
    return spooler.finish().validate(models.GenerateContentResponse)


def _data(response: models.GenerateContentResponse) -> Base64Data | Base64File:
    blob = blob_of(response, 1)
    assert blob.data is not None
    return blob.data


def _shaped(raw: bytes, url_safe: bool, padded: bool) -> str:
    text = (base64.urlsafe_b64encode if url_safe else base64.b64encode)(raw).decode()
    return text if padded else text.rstrip("=")


# ---------------------------------------------------------------- the spooler


@settings(max_examples=150, deadline=None)
@given(
    raw=st.binary(min_size=13, max_size=600),
    url_safe=st.booleans(),
    padded=st.booleans(),
    piece=st.integers(min_value=1, max_value=700),
)
def test_canonical_data_is_spooled_and_round_trips_exactly(
    raw: bytes, url_safe: bool, padded: bool, piece: int
) -> None:
    wire = json.dumps(_answer(_shaped(raw, url_safe, padded), thoughtSignature="c2ln")).encode()
    spooled = _spool(wire, piece)
    data = _data(spooled)
    assert isinstance(data, Base64File)
    assert data.to_bytes() == raw
    assert spooled.to_json() == models.GenerateContentResponse.model_validate_json(wire).to_json()


@pytest.mark.parametrize(
    "text",
    [
        "QUJD" * 8 + "RA\\nRA==",  # a line break (a JSON escape) inside
        "QUJD" * 8 + "RR==",  # non-zero trailing bits: decodes, but not back to itself
        "QUJD" * 8 + "-_+/",  # both alphabets
        "QUJD" * 8 + "RA==QUJD",  # padding in the middle
        "QUJD" * 8 + "R",  # one character too many
        "QUJD" * 8 + "not base64!",
        "QUJD" * 8 + "\\u0051\\/==",  # escapes of base64 characters
    ],
)
@pytest.mark.parametrize("piece", [1, 5, 4096])
def test_data_that_is_not_canonical_stays_text_exactly(text: str, piece: int) -> None:
    wire = json.dumps(_answer("PLACEHOLDER")).encode().replace(b"PLACEHOLDER", text.encode())
    spooled = _spool(wire, piece)
    expected = models.GenerateContentResponse.model_validate_json(wire)
    assert isinstance(_data(spooled), Base64Data)
    assert _data(spooled) == _data(expected)
    assert spooled.to_json() == expected.to_json()


@pytest.mark.parametrize("text", ["QUJD" * 50, "QUJD" * 50 + '\n é "quoted" \\'])
def test_a_data_key_outside_a_blob_gets_its_text_back(text: str) -> None:
    args = {"data": text, "other": ["data", {"data": 1}]}
    wire = json.dumps(
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": args}}]}}]}
    ).encode()
    spooled = _spool(wire, 7)
    assert spooled.to_json() == models.GenerateContentResponse.model_validate_json(wire).to_json()


def test_escaped_keys_and_short_strings_are_left_alone() -> None:
    wire = json.dumps(_answer("QUJD")).encode()
    result = JsonSpooler(16)
    result.feed(wire)
    assert result.finish().text == wire


@pytest.mark.parametrize("name", sorted(p.name for p in RECORDED.glob("*.json")))
def test_recorded_answers_round_trip_through_the_spooler(name: str) -> None:
    wire = (RECORDED / name).read_bytes()
    for model in (models.GenerateContentResponse, models.ErrorResponse):
        try:
            expected = model.model_validate_json(wire)
        except ValueError:
            continue
        spooler = JsonSpooler(8)
        for start in range(0, len(wire), 333):
            spooler.feed(wire[start : start + 333])
        assert spooler.finish().validate(model).to_json() == expected.to_json()
        return


def test_big_data_goes_to_a_temporary_file_and_reads_lazily(tmp_path: Path) -> None:
    raw = os.urandom(SPOOL_MEMORY + 12345)
    wire = json.dumps(_answer(base64.b64encode(raw).decode())).encode()
    data = _data(_spool(wire, 65536, SPOOL_THRESHOLD))
    assert isinstance(data, Base64File)
    assert "temporary file" in repr(data)
    assert data.size == len(raw)
    with data.open() as first, data.open() as second:  # independent readers
        assert first.read(10) == raw[:10]
        assert second.read() == raw
        assert first.read() == raw[10:]
    assert data.save(tmp_path / "image.png") == len(raw)
    assert (tmp_path / "image.png").read_bytes() == raw
    assert data.text == base64.b64encode(raw).decode()


# ---------------------------------------------------------------- through the client


def _pieces(wire: bytes, size: int = 65536) -> Iterator[bytes]:
    for start in range(0, len(wire), size):
        yield wire[start : start + size]


def _big_wire() -> tuple[bytes, bytes]:
    raw = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * SPOOL_THRESHOLD)
    return raw, json.dumps(_answer(base64.b64encode(raw).decode())).encode()


def test_the_client_spools_a_big_answer_and_saves_it(tmp_path: Path) -> None:
    raw, wire = _big_wire()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_pieces(wire))  # chunked: no Content-Length

    with Client(api_key=KEY, transport=httpx.MockTransport(handler)) as client:
        response = client.generate_content("m", BODY)
    data = _data(response)
    assert isinstance(data, Base64File)
    data.save(tmp_path / "out.png")
    assert (tmp_path / "out.png").read_bytes() == raw
    assert response.to_json() == models.GenerateContentResponse.model_validate_json(wire).to_json()


def test_a_small_answer_keeps_its_http_content() -> None:
    wire = json.dumps(_answer("QUJD")).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=wire))
    with Client(api_key=KEY, transport=transport) as client:
        raw = client.with_raw_response.generate_content("m", BODY)
    assert raw.http_response.content == wire
    assert _data(raw.parse()) == "QUJD"


def _cut(wire: bytes) -> Iterator[bytes]:
    yield wire[: len(wire) // 2]
    raise httpx.RemoteProtocolError("peer closed connection without sending complete message")


async def _acut(wire: bytes) -> AsyncIterator[bytes]:
    yield wire[: len(wire) // 2]
    raise httpx.RemoteProtocolError("peer closed connection without sending complete message")


def test_a_big_answer_cut_mid_body_is_lost_not_resent(sent: list[httpx.Request]) -> None:
    _, wire = _big_wire()

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=_cut(wire))

    policy = RetryPolicy(sleep=lambda delay: None)
    transport = httpx.MockTransport(handler)
    with (
        Client(api_key=KEY, transport=transport, retry=policy) as client,
        pytest.raises(AnswerLostError) as caught,
    ):
        client.generate_content("m", BODY)
    assert (len(sent), caught.value.status_code) == (1, 200)
    assert KEY not in str(caught.value)


def test_a_big_async_answer_cut_mid_body_is_lost_not_resent(sent: list[httpx.Request]) -> None:
    _, wire = _big_wire()

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=_acut(wire))

    async def main() -> None:
        async with AsyncClient(api_key=KEY, transport=httpx.MockTransport(handler)) as client:
            with pytest.raises(AnswerLostError):
                await client.generate_content("m", BODY)

    asyncio.run(main())
    assert len(sent) == 1


def _sse(wire: bytes, chunks: int) -> bytes:
    small = json.dumps({"candidates": [{"content": {"parts": [{"text": "w "}]}}]}).encode()
    events = [b"data: " + small + b"\r\n\r\n"] * chunks + [b"data: " + wire + b"\r\n\r\n"]
    return b"".join(events)


def test_a_streamed_answer_spools_its_big_line(tmp_path: Path) -> None:
    raw, wire = _big_wire()
    body = _sse(wire, 20)

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, content=_pieces(body, 65535), headers=headers)

    with Client(api_key=KEY, transport=httpx.MockTransport(handler)) as client:
        chunks = list(client.stream_generate_content("m", BODY))
    assert len(chunks) == 21
    data = _data(chunks[-1])
    assert isinstance(data, Base64File)
    assert data.to_bytes() == raw
    assert (
        chunks[-1].to_json() == models.GenerateContentResponse.model_validate_json(wire).to_json()
    )


def test_a_streamed_big_line_cut_midway_is_lost(sent: list[httpx.Request]) -> None:
    _, wire = _big_wire()

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, content=_cut(_sse(wire, 3)), headers=headers)

    with (
        Client(api_key=KEY, transport=httpx.MockTransport(handler)) as client,
        pytest.raises(AnswerLostError),
    ):
        list(client.stream_generate_content("m", BODY))
    assert len(sent) == 1


def test_a_spool_file_reader_seeks_like_a_file() -> None:
    raw = os.urandom(SPOOL_MEMORY + 100)
    wire = json.dumps(_answer(base64.b64encode(raw).decode())).encode()
    data = _data(_spool(wire, 65536, SPOOL_THRESHOLD))
    with data.open() as reader:
        assert reader.seek(0, os.SEEK_END) == len(raw)
        reader.seek(len(raw) - 5)
        assert reader.read() == raw[-5:]
        reader.seek(3)
        assert reader.read(4) == raw[3:7]


def test_a_spooled_value_copies_as_itself_and_pickles_as_its_text() -> None:
    import copy
    import pickle

    raw = os.urandom(3000)
    response = _spool(json.dumps(_answer(base64.b64encode(raw).decode())).encode(), 512)
    data = _data(response)
    assert isinstance(data, Base64File)
    assert _data(response.model_copy(deep=True)) is data
    assert copy.deepcopy(data) is data
    again = pickle.loads(pickle.dumps(response))
    assert isinstance(_data(again), Base64Data) and _data(again).to_bytes() == raw
    assert again.to_json() == response.to_json()
