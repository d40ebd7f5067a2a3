"""The official google-genai SDK, pointed at the simulator, works unchanged (test client only)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from PIL import Image

from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, run_simulator

pytestmark = pytest.mark.slow

PRO_IMAGE = "gemini-3-pro-image-preview"
G3_TEXT = "gemini-3-pro-preview"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_simulator(SimulatorConfig()) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> genai.Client:
    options = types.HttpOptions(base_url=base_url, api_version="v1beta")
    return genai.Client(api_key=SIMULATOR_KEY, http_options=options)


def _image_sizes(response: types.GenerateContentResponse) -> list[tuple[int, int]]:
    return [
        Image.open(io.BytesIO(part.inline_data.data)).size
        for part in response.parts or []
        if part.inline_data is not None and part.inline_data.data is not None
    ]


def test_sdk_text(client: genai.Client) -> None:
    response = client.models.generate_content(model=G3_TEXT, contents="How does AI work?")
    assert response.text and "How does AI work?" in response.text
    assert response.usage_metadata is not None and response.usage_metadata.total_token_count


def test_sdk_image_with_aspect_ratio_and_size(client: genai.Client) -> None:
    config = types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"],
        image_config=types.ImageConfig(aspect_ratio="16:9", image_size="2K"),
    )
    response = client.models.generate_content(
        model=PRO_IMAGE, contents="a butterfly", config=config
    )
    assert _image_sizes(response) == [(2752, 1536)]


def test_sdk_stream(client: genai.Client) -> None:
    chunks = list(client.models.generate_content_stream(model=G3_TEXT, contents="stream it"))
    assert len(chunks) >= 2
    assert "stream it" in "".join(chunk.text or "" for chunk in chunks)
    last = chunks[-1].candidates
    assert last and last[0].finish_reason == types.FinishReason.STOP


def test_sdk_chat_multi_turn_image_edit(client: genai.Client) -> None:
    config = types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"])
    chat = client.chats.create(model=PRO_IMAGE, config=config)
    first = chat.send_message("draw a red fox")
    second = chat.send_message("now make it blue")
    assert _image_sizes(first) == [(1024, 1024)]
    assert _image_sizes(second) == [(1024, 1024)]
    assert first.parts != second.parts
    assert len(chat.get_history()) == 4


def test_sdk_sees_missing_signature_error(client: genai.Client) -> None:
    first = client.models.generate_content(
        model=PRO_IMAGE,
        contents="a fox",
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert first.candidates and first.candidates[0].content
    model_turn = first.candidates[0].content
    for part in model_turn.parts or []:
        part.thought_signature = None
    history = [
        types.Content(role="user", parts=[types.Part(text="a fox")]),
        model_turn,
        types.Content(role="user", parts=[types.Part(text="bluer")]),
    ]
    with pytest.raises(genai_errors.ClientError) as info:
        client.models.generate_content(model=PRO_IMAGE, contents=history)
    assert info.value.code == 400
    assert "missing a thought_signature" in (info.value.message or "")


def test_sdk_maps_rate_limit(base_url: str) -> None:
    options = types.HttpOptions(
        base_url=base_url, api_version="v1beta", headers={"x-wisdomgate-fault": "429"}
    )
    faulty = genai.Client(api_key=SIMULATOR_KEY, http_options=options)
    with pytest.raises(genai_errors.ClientError) as info:
        faulty.models.generate_content(model=G3_TEXT, contents="rate me")
    assert info.value.code == 429 and info.value.status == "RESOURCE_EXHAUSTED"


def test_sdk_wrong_key(base_url: str) -> None:
    options = types.HttpOptions(base_url=base_url, api_version="v1beta")
    wrong = genai.Client(api_key="wrong-key", http_options=options)
    with pytest.raises(genai_errors.ClientError) as info:
        wrong.models.generate_content(model=G3_TEXT, contents="hi")
    assert info.value.code == 400


def test_sdk_count_tokens(client: genai.Client) -> None:
    assert client.models.count_tokens(model=G3_TEXT, contents="hello world").total_tokens == 3


def test_sdk_list_and_get_models(client: genai.Client) -> None:
    names = [model.name for model in client.models.list()]
    assert f"models/{PRO_IMAGE}" in names
    assert client.models.get(model=PRO_IMAGE).output_token_limit == 32768
