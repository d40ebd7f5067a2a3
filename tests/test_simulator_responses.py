"""Answer contents: text, usage, ids, streaming formats, grounding, models and countTokens."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

G3_TEXT = "gemini-3-pro-preview"
TEXT = "gemini-2.5-flash"
PRO_IMAGE = "gemini-3-pro-image-preview"


def _body(text: str, **config: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    if config:
        body["generationConfig"] = config
    return body


def _generate(sim_client: httpx.Client, model: str, body: dict[str, Any]) -> dict[str, Any]:
    response = sim_client.post(f"/v1beta/models/{model}:generateContent", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _sse(
    sim_client: httpx.Client, model: str, body: dict[str, Any]
) -> tuple[httpx.Response, list[dict[str, Any]]]:
    response = sim_client.post(f"/v1beta/models/{model}:streamGenerateContent?alt=sse", json=body)
    assert response.status_code == 200, response.text
    events = [
        json.loads(line[6:]) for line in response.text.split("\r\n") if line.startswith("data: ")
    ]
    return response, events


def _text(data: dict[str, Any]) -> str:
    return "".join(
        p.get("text", "") for p in data["candidates"][0]["content"]["parts"] if not p.get("thought")
    )


def test_text_is_deterministic(sim_client: httpx.Client) -> None:
    assert _generate(sim_client, TEXT, _body("tides?")) == _generate(
        sim_client, TEXT, _body("tides?")
    )


def test_text_depends_on_prompt(sim_client: httpx.Client) -> None:
    assert _text(_generate(sim_client, TEXT, _body("tides?"))) != _text(
        _generate(sim_client, TEXT, _body("moons?"))
    )


def test_text_quotes_the_prompt(sim_client: httpx.Client) -> None:
    assert "How does AI work?" in _text(_generate(sim_client, TEXT, _body("How does AI work?")))


def test_response_metadata(sim_client: httpx.Client) -> None:
    data = _generate(sim_client, G3_TEXT, _body("ids"))
    assert data["modelVersion"] == G3_TEXT
    assert len(data["responseId"]) == 22
    assert data["candidates"][0]["finishReason"] == "STOP" and data["candidates"][0]["index"] == 0


def test_gemini_3_text_part_is_signed(sim_client: httpx.Client) -> None:
    [part] = _generate(sim_client, G3_TEXT, _body("sign"))["candidates"][0]["content"]["parts"]
    assert part["thoughtSignature"]


def test_gemini_25_text_part_is_not_signed(sim_client: httpx.Client) -> None:
    [part] = _generate(sim_client, TEXT, _body("sign"))["candidates"][0]["content"]["parts"]
    assert "thoughtSignature" not in part


def test_usage_total_is_the_sum(sim_client: httpx.Client) -> None:
    usage = _generate(sim_client, PRO_IMAGE, {**_body("sum"), "tools": [{"googleSearch": {}}]})[
        "usageMetadata"
    ]
    parts = (
        "promptTokenCount",
        "candidatesTokenCount",
        "thoughtsTokenCount",
        "toolUsePromptTokenCount",
    )
    assert usage["totalTokenCount"] == sum(usage.get(key, 0) for key in parts)


def test_usage_counts_image_tokens(sim_client: httpx.Client) -> None:
    body = _body("a cat", responseModalities=["IMAGE"], imageConfig={"imageSize": "4K"})
    usage = _generate(sim_client, PRO_IMAGE, body)["usageMetadata"]
    assert usage["candidatesTokensDetails"] == [{"modality": "IMAGE", "tokenCount": 2000}]
    assert usage["candidatesTokenCount"] == 2000


def test_usage_counts_prompt_text(sim_client: httpx.Client) -> None:
    usage = _generate(sim_client, TEXT, _body("x" * 40))["usageMetadata"]
    assert usage["promptTokenCount"] == 10
    assert usage["promptTokensDetails"] == [{"modality": "TEXT", "tokenCount": 10}]


def test_thinking_budget_zero_has_no_thoughts(sim_client: httpx.Client) -> None:
    usage = _generate(sim_client, TEXT, _body("quick", thinkingConfig={"thinkingBudget": 0}))[
        "usageMetadata"
    ]
    assert "thoughtsTokenCount" not in usage


def test_thinking_budget_caps_thoughts(sim_client: httpx.Client) -> None:
    usage = _generate(sim_client, TEXT, _body("quick", thinkingConfig={"thinkingBudget": 50}))[
        "usageMetadata"
    ]
    assert usage["thoughtsTokenCount"] == 50


def test_include_thoughts_adds_thought_part(sim_client: httpx.Client) -> None:
    parts = _generate(sim_client, G3_TEXT, _body("why", thinkingConfig={"includeThoughts": True}))[
        "candidates"
    ][0]["content"]["parts"]
    assert parts[0]["thought"] is True and "thought" not in parts[1]


def test_json_mime_type_gives_json_text(sim_client: httpx.Client) -> None:
    text = _text(_generate(sim_client, TEXT, _body("list", responseMimeType="application/json")))
    assert "answer" in json.loads(text)


def test_image_only_modality_has_no_text(sim_client: httpx.Client) -> None:
    parts = _generate(sim_client, PRO_IMAGE, _body("a cat", responseModalities=["IMAGE"]))[
        "candidates"
    ][0]["content"]["parts"]
    assert len(parts) == 1 and "inlineData" in parts[0]


def test_text_and_image_modalities(sim_client: httpx.Client) -> None:
    parts = _generate(sim_client, PRO_IMAGE, _body("a cat", responseModalities=["TEXT", "IMAGE"]))[
        "candidates"
    ][0]["content"]["parts"]
    assert "text" in parts[0] and "inlineData" in parts[1]


def test_google_search_grounding(sim_client: httpx.Client) -> None:
    data = _generate(sim_client, TEXT, {**_body("Who won?"), "tools": [{"google_search": {}}]})
    grounding = data["candidates"][0]["groundingMetadata"]
    assert grounding["webSearchQueries"] == ["who won?"]
    assert all(c["web"]["uri"].startswith("https://example.") for c in grounding["groundingChunks"])
    assert grounding["groundingSupports"][0]["groundingChunkIndices"] == [0, 1]
    assert "<a" in grounding["searchEntryPoint"]["renderedContent"]


def test_sse_format(sim_client: httpx.Client) -> None:
    response, events = _sse(sim_client, TEXT, _body("stream"))
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.startswith("data: {") and response.text.endswith("}\r\n\r\n")
    assert len(events) >= 2


def test_sse_text_joins_to_full_text(sim_client: httpx.Client) -> None:
    _, events = _sse(sim_client, TEXT, _body("stream join"))
    streamed = "".join(_text(event) for event in events)
    assert streamed == _text(_generate(sim_client, TEXT, _body("stream join")))


def test_sse_only_last_chunk_finishes(sim_client: httpx.Client) -> None:
    _, events = _sse(sim_client, TEXT, _body("finish"))
    assert [("finishReason" in e["candidates"][0]) for e in events] == [False] * (
        len(events) - 1
    ) + [True]


def test_sse_final_usage_matches_full_answer(sim_client: httpx.Client) -> None:
    _, events = _sse(sim_client, TEXT, _body("usage"))
    assert (
        events[-1]["usageMetadata"] == _generate(sim_client, TEXT, _body("usage"))["usageMetadata"]
    )


def test_gemini_3_text_stream_ends_with_signed_empty_part(sim_client: httpx.Client) -> None:
    _, events = _sse(sim_client, G3_TEXT, _body("strawberry"))
    [last_part] = events[-1]["candidates"][0]["content"]["parts"]
    assert last_part["text"] == "" and last_part["thoughtSignature"]
    assert not any(
        "thoughtSignature" in p for e in events[:-1] for p in e["candidates"][0]["content"]["parts"]
    )


def test_image_stream_has_signed_image_chunk(sim_client: httpx.Client) -> None:
    _, events = _sse(sim_client, PRO_IMAGE, _body("a cat", responseModalities=["IMAGE"]))
    image_parts = [
        p for e in events for p in e["candidates"][0]["content"]["parts"] if "inlineData" in p
    ]
    assert len(image_parts) == 1 and image_parts[0]["thoughtSignature"]
    assert events[-1]["candidates"][0]["content"]["parts"] == [{"text": ""}]


def test_json_array_stream(sim_client: httpx.Client) -> None:
    response = sim_client.post(f"/v1beta/models/{TEXT}:streamGenerateContent", json=_body("array"))
    chunks = response.json()
    assert isinstance(chunks, list) and len(chunks) >= 2
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"


def test_count_tokens_matches_prompt_count(sim_client: httpx.Client) -> None:
    body = _body("count these tokens please")
    counted = sim_client.post(f"/v1beta/models/{TEXT}:countTokens", json=body).json()
    assert (
        counted["totalTokens"]
        == _generate(sim_client, TEXT, body)["usageMetadata"]["promptTokenCount"]
    )


def test_count_tokens_with_generate_content_request(sim_client: httpx.Client) -> None:
    body = {"generateContentRequest": {"model": f"models/{TEXT}", **_body("wrapped")}}
    assert (
        sim_client.post(f"/v1beta/models/{TEXT}:countTokens", json=body).json()["totalTokens"] == 2
    )


def test_list_models(sim_client: httpx.Client) -> None:
    models = sim_client.get("/v1beta/models").json()["models"]
    assert f"models/{PRO_IMAGE}" in [m["name"] for m in models]
    assert "nextPageToken" not in sim_client.get("/v1beta/models").json()


def test_list_models_pages(sim_client: httpx.Client) -> None:
    first = sim_client.get("/v1beta/models", params={"pageSize": 2}).json()
    second = sim_client.get(
        "/v1beta/models", params={"pageSize": 2, "pageToken": first["nextPageToken"]}
    ).json()
    assert len(first["models"]) == 2 and first["models"] != second["models"]


def test_get_model(sim_client: httpx.Client) -> None:
    model = sim_client.get(f"/v1beta/models/{PRO_IMAGE}").json()
    assert model["name"] == f"models/{PRO_IMAGE}" and model["outputTokenLimit"] == 32768
    assert "generateContent" in model["supportedGenerationMethods"]


def test_image_tokens_appear_in_stream_usage_with_the_image(sim_client: httpx.Client) -> None:
    _, events = _sse(sim_client, PRO_IMAGE, _body("a cat", responseModalities=["TEXT", "IMAGE"]))
    for event in events:
        has_image = any("inlineData" in p for p in event["candidates"][0]["content"]["parts"])
        if has_image:
            break
        assert "candidatesTokensDetails" not in event["usageMetadata"]
    assert events[-1]["usageMetadata"]["candidatesTokensDetails"][0]["tokenCount"] == 1120
