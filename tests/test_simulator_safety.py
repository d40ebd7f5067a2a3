"""Safety triggers in the prompt: blocked prompts, unusual finish reasons, text-only answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from wisdomgate.simulator.triggers import find_triggers, strip_triggers

IMAGE = "gemini-3.1-flash-image-preview"
TEXT = "gemini-2.5-flash"
EXAMPLES = Path(__file__).parent / "data" / "recorded"


def _generate(sim_client: httpx.Client, model: str, text: str, **config: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    if config:
        body["generationConfig"] = config
    response = sim_client.post(f"/v1beta/models/{model}:generateContent", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _keys(value: Any) -> Any:
    """The key structure of a JSON value (values dropped), to compare shapes with examples."""
    if isinstance(value, dict):
        return {key: _keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_keys(item) for item in value[:1]]
    return type(value).__name__


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text("utf-8"))


@pytest.mark.slow
def test_block_prohibited_content_is_shaped_like_example(sim_client: httpx.Client) -> None:
    data = _generate(sim_client, IMAGE, "[[block:PROHIBITED_CONTENT]] a picture")
    assert "candidates" not in data
    assert data["promptFeedback"] == {"blockReason": "PROHIBITED_CONTENT"}
    assert _keys(data) == _keys(_example("image-prompt-block.json"))


@pytest.mark.slow
def test_block_safety_lists_ratings(sim_client: httpx.Client) -> None:
    data = _generate(sim_client, TEXT, "[[block:SAFETY]] something rude")
    feedback = data["promptFeedback"]
    assert feedback["blockReason"] == "SAFETY"
    assert _keys(feedback) == _keys(_example("safety-prompt-block.json")["promptFeedback"])


@pytest.mark.slow
def test_block_has_prompt_only_usage(sim_client: httpx.Client) -> None:
    usage = _generate(sim_client, IMAGE, "[[block:OTHER]]")["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"]
    assert "candidatesTokenCount" not in usage


@pytest.mark.slow
def test_finish_no_image_is_shaped_like_example(sim_client: httpx.Client) -> None:
    data = _generate(sim_client, IMAGE, "[[finish:NO_IMAGE]] a cat")
    assert data["candidates"] == [{"index": 0, "content": {}, "finishReason": "NO_IMAGE"}]
    assert _keys(data) == _keys(_example("image-no-image.json"))


@pytest.mark.slow
def test_finish_image_safety_has_empty_content(sim_client: httpx.Client) -> None:
    [candidate] = _generate(sim_client, IMAGE, "[[finish:IMAGE_SAFETY]]")["candidates"]
    assert candidate["content"] == {} and candidate["finishReason"] == "IMAGE_SAFETY"


@pytest.mark.slow
def test_finish_other(sim_client: httpx.Client) -> None:
    [candidate] = _generate(sim_client, TEXT, "[[finish:OTHER]]")["candidates"]
    assert candidate["finishReason"] == "OTHER" and candidate["content"] == {}


@pytest.mark.slow
def test_finish_safety_marks_blocked_rating(sim_client: httpx.Client) -> None:
    [candidate] = _generate(sim_client, TEXT, "[[finish:SAFETY]]")["candidates"]
    assert any(rating.get("blocked") for rating in candidate["safetyRatings"])


@pytest.mark.slow
def test_finish_max_tokens_truncates_text(sim_client: httpx.Client) -> None:
    full = _generate(sim_client, TEXT, "explain tides")["candidates"][0]["content"]["parts"][0][
        "text"
    ]
    [candidate] = _generate(sim_client, TEXT, "[[finish:MAX_TOKENS]] explain tides")["candidates"]
    text = candidate["content"]["parts"][0]["text"]
    assert candidate["finishReason"] == "MAX_TOKENS"
    assert 0 < len(text) < len(full)


@pytest.mark.slow
def test_max_tokens_on_image_model_returns_no_image(sim_client: httpx.Client) -> None:
    [candidate] = _generate(sim_client, IMAGE, "[[finish:MAX_TOKENS]] a cat")["candidates"]
    assert not any("inlineData" in part for part in candidate["content"]["parts"])


@pytest.mark.slow
def test_max_output_tokens_truncates(sim_client: httpx.Client) -> None:
    [candidate] = _generate(sim_client, TEXT, "explain tides", maxOutputTokens=3)["candidates"]
    assert candidate["finishReason"] == "MAX_TOKENS"
    assert len(candidate["content"]["parts"][0]["text"]) <= 12


@pytest.mark.slow
def test_text_only_trigger_on_image_model(sim_client: httpx.Client) -> None:
    [candidate] = _generate(
        sim_client, IMAGE, "[[text-only]] a cat", responseModalities=["TEXT", "IMAGE"]
    )["candidates"]
    parts = candidate["content"]["parts"]
    assert candidate["finishReason"] == "STOP"
    assert parts and all("text" in part and "inlineData" not in part for part in parts)


@pytest.mark.slow
def test_answer_does_not_echo_triggers(sim_client: httpx.Client) -> None:
    data = _generate(sim_client, TEXT, "[[finish:STOP]] hello")
    assert "[[" not in data["candidates"][0]["content"]["parts"][0]["text"]


@pytest.mark.slow
def test_only_latest_user_turn_is_scanned(sim_client: httpx.Client) -> None:
    body = {
        "contents": [
            {"role": "user", "parts": [{"text": "[[block:SAFETY]]"}]},
            {"role": "model", "parts": [{"text": "ok"}]},
            {"role": "user", "parts": [{"text": "hello"}]},
        ]
    }
    data = sim_client.post(f"/v1beta/models/{TEXT}:generateContent", json=body).json()
    assert "promptFeedback" not in data and data["candidates"][0]["finishReason"] == "STOP"


@pytest.mark.slow
def test_blocked_stream_is_one_chunk(sim_client: httpx.Client) -> None:
    body = {"contents": [{"parts": [{"text": "[[block:PROHIBITED_CONTENT]]"}]}]}
    response = sim_client.post(f"/v1beta/models/{IMAGE}:streamGenerateContent?alt=sse", json=body)
    events = [line for line in response.text.split("\r\n") if line.startswith("data: ")]
    assert len(events) == 1
    assert json.loads(events[0][6:])["promptFeedback"]["blockReason"] == "PROHIBITED_CONTENT"


def test_find_triggers() -> None:
    found = find_triggers("x [[block:SAFETY]] [[finish:NO_IMAGE]] [[text-only]]")
    assert (found.block, found.finish, found.text_only) == ("SAFETY", "NO_IMAGE", True)


def test_strip_triggers() -> None:
    assert strip_triggers("draw [[finish:NO_IMAGE]] a cat") == "draw a cat"
