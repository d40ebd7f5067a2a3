"""Request checks: keys, unknown fields, bad values, model rules and limits, as the real API."""

from __future__ import annotations

import base64
import io
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, run_simulator

pytestmark = pytest.mark.slow

TEXT = "gemini-3-pro-preview"
PRO_IMAGE = "gemini-3-pro-image-preview"
FLASH_25_IMAGE = "gemini-2.5-flash-image"
OK = {"contents": [{"parts": [{"text": "hello"}]}]}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    config = SimulatorConfig(api_keys=frozenset({SIMULATOR_KEY, "second-key"}))
    with run_simulator(config) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=base_url, headers={"x-goog-api-key": SIMULATOR_KEY}, timeout=60
    ) as http:
        yield http


def _post(client: httpx.Client, body: Any, model: str = TEXT, **kwargs: Any) -> httpx.Response:
    return client.post(f"/v1beta/models/{model}:generateContent", json=body, **kwargs)


def _error(response: httpx.Response, code: int, status: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["status"] == status
    return error


def _png_b64(size: tuple[int, int] = (8, 8)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def _with_images(count: int) -> dict[str, Any]:
    image = {"inlineData": {"mimeType": "image/png", "data": _png_b64()}}
    return {"contents": [{"role": "user", "parts": [{"text": "combine"}] + [image] * count}]}


# ---------------------------------------------------------------- keys


def test_key_in_header_is_accepted(client: httpx.Client) -> None:
    assert _post(client, OK).status_code == 200


def test_bearer_key_is_accepted(base_url: str) -> None:
    headers = {"Authorization": f"Bearer {SIMULATOR_KEY}"}
    response = httpx.post(
        f"{base_url}/v1beta/models/{TEXT}:generateContent", json=OK, headers=headers
    )
    assert response.status_code == 200


def test_query_key_is_accepted(base_url: str) -> None:
    url = f"{base_url}/v1beta/models/{TEXT}:generateContent"
    assert httpx.post(url, json=OK, params={"key": "second-key"}).status_code == 200


def test_missing_key_is_permission_denied(base_url: str) -> None:
    response = httpx.post(f"{base_url}/v1beta/models/{TEXT}:generateContent", json=OK)
    error = _error(response, 403, "PERMISSION_DENIED")
    assert error["message"].startswith("Method doesn't allow unregistered callers")


def test_wrong_key_is_api_key_invalid(client: httpx.Client) -> None:
    response = _post(client, OK, headers={"x-goog-api-key": "not-the-key"})
    error = _error(response, 400, "INVALID_ARGUMENT")
    assert error["message"] == "API key not valid. Please pass a valid API key."
    info = error["details"][0]
    assert (info["reason"], info["domain"]) == ("API_KEY_INVALID", "googleapis.com")
    assert "not-the-key" not in response.text


def test_accept_any_key() -> None:
    with run_simulator(SimulatorConfig(accept_any_key=True)) as url:
        response = httpx.get(f"{url}/v1beta/models", headers={"x-goog-api-key": "anything"})
        assert response.status_code == 200
        assert httpx.get(f"{url}/v1beta/models", headers={"x-goog-api-key": ""}).status_code == 403


def _log_lines(caplog: pytest.LogCaptureFixture, method: str, count: int) -> list[str]:
    """The simulator's log lines for method; waits for count (lines follow the response)."""
    for _ in range(200):
        lines = [
            r.getMessage()
            for r in caplog.records
            if r.name == "wisdomgate.simulator" and r.getMessage().startswith(method)
        ]
        if len(lines) >= count:
            return lines
        time.sleep(0.01)
    return lines


def test_key_is_never_logged(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wisdomgate.simulator")
    url = f"{base_url}/v1beta/models/{TEXT}:generateContent"
    httpx.post(url, json=OK, params={"key": "second-key"})
    httpx.post(url, json=OK, params={"key": "leaky-wrong-key"})
    lines = _log_lines(caplog, "POST", 2)
    assert any("status=200" in line for line in lines)
    assert not any("second-key" in line or "leaky" in line for line in lines)


def test_one_log_line_per_request(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wisdomgate.simulator")
    httpx.get(f"{base_url}/v1beta/models/{TEXT}", headers={"x-goog-api-key": SIMULATOR_KEY})
    [line] = _log_lines(caplog, "GET", 1)
    assert line.startswith(f"GET /v1beta/models/{TEXT} model={TEXT} status=200 ")
    assert line.endswith("ms")


# ---------------------------------------------------------------- schema


def test_unknown_top_level_field(client: httpx.Client) -> None:
    error = _error(_post(client, {**OK, "foo": 1}), 400, "INVALID_ARGUMENT")
    assert (
        error["message"] == 'Invalid JSON payload received. Unknown name "foo": Cannot find field.'
    )


def test_unknown_nested_field_names_its_location(client: httpx.Client) -> None:
    response = _post(client, {**OK, "generationConfig": {"foo": 1}})
    error = _error(response, 400, "INVALID_ARGUMENT")
    message = "Invalid JSON payload received. Unknown name \"foo\" at 'generation_config': Cannot find field."
    assert error["message"] == message
    assert error["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": "generation_config", "description": message}],
        }
    ]


def test_unknown_field_deep_in_parts(client: httpx.Client) -> None:
    body = {"contents": [{"parts": [{"text": "x", "colour": "red"}]}]}
    error = _error(_post(client, body), 400, "INVALID_ARGUMENT")
    assert "Unknown name \"colour\" at 'contents[0].parts[0]'" in error["message"]


def test_snake_case_fields_are_accepted(client: httpx.Client) -> None:
    body = {
        "contents": [{"parts": [{"inline_data": {"mime_type": "image/png", "data": _png_b64()}}]}],
        "generation_config": {
            "response_modalities": ["IMAGE"],
            "image_config": {"aspect_ratio": "1:1"},
        },
    }
    assert _post(client, body, PRO_IMAGE).status_code == 200


def test_invalid_json_body(client: httpx.Client) -> None:
    response = client.post(f"/v1beta/models/{TEXT}:generateContent", content=b'{"contents": [')
    assert _error(response, 400, "INVALID_ARGUMENT")["message"].startswith(
        "Invalid JSON payload received."
    )


def test_wrong_type_is_invalid_value(client: httpx.Client) -> None:
    response = _post(client, {**OK, "generationConfig": {"temperature": "hot"}})
    assert "generation_config.temperature" in _error(response, 400, "INVALID_ARGUMENT")["message"]


def test_unknown_enum_value_is_rejected(client: httpx.Client) -> None:
    response = _post(client, {**OK, "generationConfig": {"responseModalities": ["SMELL"]}})
    error = _error(response, 400, "INVALID_ARGUMENT")
    assert "generation_config.response_modalities[0]" in error["message"]


def test_enum_values_are_case_insensitive(client: httpx.Client) -> None:
    body = {**OK, "generationConfig": {"responseModalities": ["Text", "Image"]}}
    assert _post(client, body, PRO_IMAGE).status_code == 200


def test_missing_contents(client: httpx.Client) -> None:
    error = _error(_post(client, {}), 400, "INVALID_ARGUMENT")
    assert "GenerateContentRequest.contents" in error["message"]


def test_empty_parts(client: httpx.Client) -> None:
    error = _error(_post(client, {"contents": [{"parts": []}]}), 400, "INVALID_ARGUMENT")
    assert "must not be empty" in error["message"]


def test_invalid_role(client: httpx.Client) -> None:
    body = {"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}
    assert (
        _error(_post(client, body), 400, "INVALID_ARGUMENT")["message"]
        == "Please use a valid role: user, model."
    )


def test_invalid_base64(client: httpx.Client) -> None:
    body = {
        "contents": [
            {"parts": [{"text": "x"}, {"inlineData": {"mimeType": "image/png", "data": "@@@"}}]}
        ]
    }
    error = _error(_post(client, body, PRO_IMAGE), 400, "INVALID_ARGUMENT")
    assert (
        "'contents[0].parts[1].inline_data.data' (TYPE_BYTES), Base64 decoding failed"
        in error["message"]
    )


def test_urlsafe_base64_is_accepted(client: httpx.Client) -> None:
    data = base64.urlsafe_b64encode(base64.b64decode(_png_b64())).decode()
    body = {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": data}}]}]}
    assert _post(client, body, PRO_IMAGE).status_code == 200


# ---------------------------------------------------------------- model rules


def test_unknown_model_is_not_found(client: httpx.Client) -> None:
    error = _error(_post(client, OK, "gemini-0-nope"), 404, "NOT_FOUND")
    assert error["message"].startswith(
        "models/gemini-0-nope is not found for API version v1beta, or is not supported for generateContent."
    )


def test_unknown_model_get_is_not_found(client: httpx.Client) -> None:
    _error(client.get("/v1beta/models/gemini-0-nope"), 404, "NOT_FOUND")


def test_unknown_method_is_not_found(client: httpx.Client) -> None:
    _error(client.post(f"/v1beta/models/{TEXT}:embedEverything", json=OK), 404, "NOT_FOUND")


def test_thinking_budget_and_level_together(client: httpx.Client) -> None:
    config = {"thinkingConfig": {"thinkingBudget": 128, "thinkingLevel": "low"}}
    error = _error(_post(client, {**OK, "generationConfig": config}), 400, "INVALID_ARGUMENT")
    assert error["message"] == "You can only set only one of thinking budget and thinking level."


def test_image_config_on_text_model(client: httpx.Client) -> None:
    body = {**OK, "generationConfig": {"imageConfig": {"aspectRatio": "1:1"}}}
    _error(_post(client, body, "gemini-2.5-flash"), 400, "INVALID_ARGUMENT")


def test_image_modality_on_text_model(client: httpx.Client) -> None:
    body = {**OK, "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}
    error = _error(_post(client, body, "gemini-2.5-flash"), 400, "INVALID_ARGUMENT")
    assert "response modalities" in error["message"]


def test_unsupported_aspect_ratio_for_model(client: httpx.Client) -> None:
    body = {**OK, "generationConfig": {"imageConfig": {"aspectRatio": "8:1"}}}
    error = _error(_post(client, body, PRO_IMAGE), 400, "INVALID_ARGUMENT")
    assert "8:1" in error["message"]


def test_extreme_ratio_is_fine_on_flash_31(client: httpx.Client) -> None:
    body = {**OK, "generationConfig": {"imageConfig": {"aspectRatio": "8:1", "imageSize": "512"}}}
    assert _post(client, body, "gemini-3.1-flash-image-preview").status_code == 200


def test_unsupported_image_size_for_model(client: httpx.Client) -> None:
    body = {**OK, "generationConfig": {"imageConfig": {"imageSize": "4K"}}}
    error = _error(_post(client, body, FLASH_25_IMAGE), 400, "INVALID_ARGUMENT")
    assert "4K" in error["message"]


def test_lowercase_image_size_is_rejected(client: httpx.Client) -> None:
    body = {**OK, "generationConfig": {"imageConfig": {"imageSize": "1k"}}}
    _error(_post(client, body, PRO_IMAGE), 400, "INVALID_ARGUMENT")


# ---------------------------------------------------------------- limits


def test_reference_image_limit_allows_fourteen(client: httpx.Client) -> None:
    assert _post(client, _with_images(14), PRO_IMAGE).status_code == 200


def test_reference_image_limit_rejects_fifteen(client: httpx.Client) -> None:
    error = _error(_post(client, _with_images(15), PRO_IMAGE), 400, "INVALID_ARGUMENT")
    assert "15" in error["message"] and "14" in error["message"]


def test_reference_image_limit_of_flash_25(client: httpx.Client) -> None:
    _error(_post(client, _with_images(4), FLASH_25_IMAGE), 400, "INVALID_ARGUMENT")


def test_request_size_limit(client: httpx.Client) -> None:
    big = "A" * (20 * 1024 * 1024)
    body = {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": big}}]}]}
    error = _error(_post(client, body, PRO_IMAGE), 400, "INVALID_ARGUMENT")
    assert error["message"] == "Request payload size exceeds the limit: 20971520 bytes."


def test_empty_header_key_falls_back_to_query_key(base_url: str) -> None:
    url = f"{base_url}/v1beta/models/{TEXT}:generateContent"
    response = httpx.post(
        url, json=OK, params={"key": SIMULATOR_KEY}, headers={"x-goog-api-key": ""}
    )
    assert response.status_code == 200
