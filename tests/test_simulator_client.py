"""The generated client against the simulator: text, sized images, streaming, a multi-turn edit."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import pytest
from PIL import Image

from wisdomgate.simulator import SIMULATOR_KEY
from wisdomgate_api import AsyncClient, BadRequestError, Client, PermissionDeniedError, models

pytestmark = pytest.mark.slow

PRO_IMAGE = "gemini-3-pro-image-preview"
TEXT = "gemini-3-pro-preview"


@pytest.fixture
def client(simulator_url: str) -> Iterator[Client]:
    with Client(api_key=SIMULATOR_KEY, base_url=simulator_url) as api:
        yield api


def user(text: str) -> dict[str, object]:
    return {"role": "user", "parts": [{"text": text}]}


def images_of(response: models.GenerateContentResponse) -> list[Image.Image]:
    assert response.candidates and response.candidates[0].content
    parts = response.candidates[0].content.parts or []
    blobs = [part.inline_data for part in parts if part.inline_data and part.inline_data.data]
    return [Image.open(io.BytesIO(blob.data.to_bytes())) for blob in blobs if blob.data]


def test_text_answer(client: Client) -> None:
    response = client.generate_content(TEXT, {"contents": [user("How does AI work?")]})
    assert response.candidates and response.candidates[0].finish_reason == models.FinishReason.STOP
    assert response.usage_metadata and response.usage_metadata.total_token_count


def test_image_follows_aspect_ratio_and_size(client: Client) -> None:
    config = {
        "responseModalities": ["IMAGE"],
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
    }
    response = client.generate_content(
        PRO_IMAGE, {"contents": [user("a lighthouse")], "generationConfig": config}
    )
    [image] = images_of(response)
    assert image.size == (2752, 1536)


def test_stream_ends_with_finish_reason_and_usage(client: Client) -> None:
    with client.stream_generate_content(TEXT, {"contents": [user("Tell me a story")]}) as stream:
        chunks = list(stream)
    assert len(chunks) > 1
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == models.FinishReason.STOP
    assert last.usage_metadata is not None


def test_multi_turn_edit_with_signatures_is_accepted(client: Client) -> None:
    config = {"responseModalities": ["TEXT", "IMAGE"]}
    first = client.generate_content(
        PRO_IMAGE, {"contents": [user("a red fox")], "generationConfig": config}
    )
    assert first.candidates and first.candidates[0].content
    history = [user("a red fox"), first.candidates[0].content.to_wire(), user("make it blue")]
    second = client.generate_content(PRO_IMAGE, {"contents": history, "generationConfig": config})
    assert images_of(second) and images_of(second)[0].tobytes() != images_of(first)[0].tobytes()


def test_multi_turn_edit_without_signatures_is_rejected(client: Client) -> None:
    config = {"responseModalities": ["TEXT", "IMAGE"]}
    first = client.generate_content(
        PRO_IMAGE, {"contents": [user("a red fox")], "generationConfig": config}
    )
    assert first.candidates and first.candidates[0].content
    answer = first.candidates[0].content.to_wire()
    for part in answer["parts"]:
        part.pop("thoughtSignature", None)
    with pytest.raises(BadRequestError, match="thought_signature") as caught:
        client.generate_content(
            PRO_IMAGE,
            {"contents": [user("a red fox"), answer, user("blue")], "generationConfig": config},
        )
    assert caught.value.status == "INVALID_ARGUMENT"


def test_missing_key_is_a_typed_error(simulator_url: str) -> None:
    with (
        Client(api_key="", base_url=simulator_url) as anonymous,
        pytest.raises(PermissionDeniedError) as caught,
    ):
        anonymous.generate_content(TEXT, {"contents": [user("hi")]})
    assert caught.value.status_code == 403


def test_async_client_streams_too(simulator_url: str) -> None:
    async def collect() -> list[models.GenerateContentResponse]:
        async with AsyncClient(api_key=SIMULATOR_KEY, base_url=simulator_url) as api:
            stream = await api.stream_generate_content(TEXT, {"contents": [user("Tell me more")]})
            return [chunk async for chunk in stream]

    chunks = asyncio.run(collect())
    assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == "STOP"
