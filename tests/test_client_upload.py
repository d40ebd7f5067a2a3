"""Reference images stream from disk: exact bytes, exact Content-Length, the hash without the body."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wisdomgate_api import (
    APIConnectionError,
    AsyncClient,
    Base64Data,
    Base64File,
    Client,
    RetryPolicy,
    models,
)
from wisdomgate_api._core.encoding import RequestBody, encode_body

KEY = "test-key-123"
ANSWER = {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}}]}


def _request(*parts: models.Part) -> models.GenerateContentRequest:
    content = models.Content(role="user", parts=[models.Part(text="edit these"), *parts])
    return models.GenerateContentRequest.model_validate({"contents": [content]})


def _in_memory(path: Path, mime_type: str = "image/png") -> models.Part:
    return models.Part.from_bytes(path.read_bytes(), mime_type)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=4))
def test_a_body_from_files_is_the_body_from_bytes(tmp_path: Path, sizes: list[int]) -> None:
    paths = []
    for n, size in enumerate(sizes):
        path = tmp_path / f"ref-{n}.png"
        path.write_bytes(os.urandom(size))
        paths.append(path)
    streamed = RequestBody.of(_request(*(models.Part.from_path(p) for p in paths)))
    expected = encode_body(_request(*(_in_memory(p) for p in paths)))
    assert streamed.streamed
    assert streamed.read() == expected
    assert streamed.content_length == len(expected)
    assert streamed.sha256() == hashlib.sha256(expected).hexdigest()


def test_a_body_without_files_is_bytes_as_before() -> None:
    body = RequestBody.of(_request(models.Part.from_bytes(b"png", "image/png")))
    assert not body.streamed
    assert body.read() == encode_body(_request(models.Part.from_bytes(b"png", "image/png")))


def test_blob_and_part_constructors(tmp_path: Path) -> None:
    path = tmp_path / "cat.jpg"
    path.write_bytes(b"\xff\xd8jpeg")
    blob = models.Blob.from_path(path)
    assert blob.mime_type == "image/jpeg"
    assert isinstance(blob.data, Base64File) and blob.data.to_bytes() == b"\xff\xd8jpeg"
    assert blob.to_wire() == {"mimeType": "image/jpeg", "data": "/9hqcGVn"}
    (tmp_path / "no-extension").write_bytes(b"?")
    with pytest.raises(ValueError, match="mime_type"):
        models.Part.from_path(tmp_path / "no-extension")
    raw = models.Part(inline_data=models.Blob(mime_type="image/png", data=b"raw bytes"))
    assert raw.to_wire()["inlineData"]["data"] == "cmF3IGJ5dGVz"  # raw bytes keep working


def test_from_file_sends_from_the_position_to_the_end() -> None:
    handle = io.BytesIO(b"skip|the image")
    handle.seek(5)
    part = models.Part.from_file(handle, "image/png")
    assert RequestBody.of(_request(part)).read() == encode_body(
        _request(models.Part.from_bytes(b"the image", "image/png"))
    )
    assert isinstance(part.inline_data.data, Base64File)  # type: ignore[union-attr]


def _recording(seen: list[tuple[httpx.Headers, bytes]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers, request.read()))
        return httpx.Response(200, json=ANSWER)

    return httpx.MockTransport(handler)


def test_the_client_sends_files_with_an_exact_content_length(tmp_path: Path) -> None:
    path = tmp_path / "ref.png"
    path.write_bytes(os.urandom(100_001))
    request = _request(models.Part.from_path(path))
    seen: list[tuple[httpx.Headers, bytes]] = []
    with Client(api_key=KEY, transport=_recording(seen)) as client:
        client.generate_content("m", request)
    headers, sent = seen[0]
    assert sent == encode_body(_request(_in_memory(path)))
    assert int(headers["content-length"]) == len(sent)
    assert "transfer-encoding" not in headers
    assert hashlib.sha256(sent).hexdigest() == RequestBody.of(request).sha256()


def test_the_async_client_sends_files_exactly(tmp_path: Path) -> None:
    path = tmp_path / "ref.png"
    path.write_bytes(os.urandom(70_000))
    seen: list[tuple[httpx.Headers, bytes]] = []

    async def main() -> None:
        async with AsyncClient(api_key=KEY, transport=_recording(seen)) as client:
            await client.generate_content("m", _request(models.Part.from_path(path)))

    asyncio.run(main())
    headers, sent = seen[0]
    assert sent == encode_body(_request(_in_memory(path)))
    assert int(headers["content-length"]) == len(sent)


def test_a_file_that_changed_is_not_sent(tmp_path: Path, sent: list[httpx.Request]) -> None:
    path = tmp_path / "ref.png"
    path.write_bytes(b"before")
    request = _request(models.Part.from_path(path))
    path.write_bytes(b"after, and longer")

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        request.read()
        return httpx.Response(200, json=ANSWER)

    policy = RetryPolicy(sleep=lambda delay: None)
    transport = httpx.MockTransport(handler)
    with (
        Client(api_key=KEY, transport=transport, retry=policy) as client,
        pytest.raises(APIConnectionError) as caught,
    ):
        client.generate_content("m", request)
    assert caught.value.cause == "FileChangedError"
    assert KEY not in str(caught.value)


def test_base64_values_save_and_open(tmp_path: Path) -> None:
    text = Base64Data.from_bytes(b"image bytes")
    assert text.save(tmp_path / "a.bin") == 11
    assert (tmp_path / "a.bin").read_bytes() == b"image bytes"
    with text.open() as reader:
        assert reader.read() == b"image bytes"
    (tmp_path / "b.bin").write_bytes(b"image bytes")
    spooled = Base64File.from_path(tmp_path / "b.bin")
    assert spooled == text and str(spooled) == str(text)
    assert spooled.encoded_length == len(text)
