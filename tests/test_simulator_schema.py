"""Every kind of answer and error the simulator sends validates against openapi.json.

Each body is checked twice: with jsonschema against the spec's components (made strict:
objects that list properties reject others, `format: byte` must be base64) and with the
generated pydantic models (which must see no unknown fields).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from referencing import Registry

from tests.spec_errors import registry as spec_registry
from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, run_simulator
from wisdomgate_api import ApiModel, models
from wisdomgate_api.models import (
    CountTokensResponse,
    ErrorResponse,
    GenerateContentResponse,
    ListModelsResponse,
    Model,
)

pytestmark = pytest.mark.slow

IMAGE = "gemini-3-pro-image-preview"
TEXT = "gemini-3-pro-preview"


@pytest.fixture(scope="module")
def registry() -> Registry:
    """openapi.json's components, made strict (tests/spec_errors.py)."""
    return spec_registry(strict_objects=True)


_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("byte", raises=(binascii.Error, ValueError))
def _is_base64(value: object) -> bool:
    if not isinstance(value, str):
        return True
    base64.b64decode(value, validate=True)
    return True


def _validate(registry: Registry, body: Any, schema_name: str, model: type[ApiModel]) -> None:
    schema = {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}
    validator = jsonschema.Draft202012Validator(schema, registry=registry, format_checker=_FORMATS)
    validator.validate(body)
    parsed = model.model_validate(body)
    assert parsed.unknown_fields() == []


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_simulator(SimulatorConfig()) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    headers = {"x-goog-api-key": SIMULATOR_KEY}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        yield http


def _post(client: httpx.Client, model: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return client.post(f"/v1beta/models/{model}:generateContent", json=body, **kwargs)


def _prompt(text: str, **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


IMAGE_CONFIG = {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "16:9"}}

RESPONSE_CASES = {
    "text": (TEXT, _prompt("How does AI work?")),
    "text-2.5": ("gemini-2.5-flash", _prompt("How does AI work?")),
    "image": (IMAGE, _prompt("a butterfly", generationConfig=IMAGE_CONFIG)),
    "image-only": (IMAGE, _prompt("a lake", generationConfig={"responseModalities": ["IMAGE"]})),
    "grounded": (IMAGE, _prompt("the news", tools=[{"google_search": {}}])),
    "thoughts": (
        TEXT,
        _prompt("why", generationConfig={"thinkingConfig": {"includeThoughts": True}}),
    ),
    "json": (
        "gemini-2.5-flash",
        _prompt("list", generationConfig={"responseMimeType": "application/json"}),
    ),
    "block-prohibited": (IMAGE, _prompt("[[block:PROHIBITED_CONTENT]]")),
    "block-safety": (TEXT, _prompt("[[block:SAFETY]]")),
    "no-image": ("gemini-3.1-flash-image-preview", _prompt("[[finish:NO_IMAGE]]")),
    "finish-safety": (TEXT, _prompt("[[finish:SAFETY]]")),
    "max-tokens": (TEXT, _prompt("[[finish:MAX_TOKENS]] tell me")),
    "text-only": (IMAGE, _prompt("[[text-only]] describe")),
}


@pytest.mark.parametrize("case", sorted(RESPONSE_CASES))
def test_generate_content_response_matches_spec(
    client: httpx.Client, registry: Registry, case: str
) -> None:
    model, body = RESPONSE_CASES[case]
    response = _post(client, model, body)
    assert response.status_code == 200, response.text
    _validate(registry, response.json(), "GenerateContentResponse", GenerateContentResponse)


@pytest.mark.parametrize("case", ["text", "image", "grounded", "block-safety", "no-image"])
def test_stream_chunks_match_spec(client: httpx.Client, registry: Registry, case: str) -> None:
    model, body = RESPONSE_CASES[case]
    response = client.post(f"/v1beta/models/{model}:streamGenerateContent?alt=sse", json=body)
    events = [line[6:] for line in response.text.split("\r\n") if line.startswith("data: ")]
    assert events
    for event in events:
        _validate(registry, json.loads(event), "GenerateContentResponse", GenerateContentResponse)


def test_json_array_stream_matches_spec(client: httpx.Client, registry: Registry) -> None:
    model, body = RESPONSE_CASES["text"]
    response = client.post(f"/v1beta/models/{model}:streamGenerateContent", json=body)
    assert response.status_code == 200, response.text
    chunks = response.json()
    assert len(chunks) > 1
    for chunk in chunks:
        _validate(registry, chunk, "GenerateContentResponse", GenerateContentResponse)


def _error_cases(client: httpx.Client) -> dict[str, httpx.Response]:
    ok = _prompt("hello")
    fault = "x-wisdomgate-fault"
    return {
        "unknown-field": _post(client, TEXT, {**ok, "foo": 1}),
        "nested-unknown": _post(client, TEXT, {**ok, "generationConfig": {"foo": 1}}),
        "bad-json": client.post(f"/v1beta/models/{TEXT}:generateContent", content=b"{nope"),
        "bad-base64": _post(
            client,
            IMAGE,
            {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "!!"}}]}]},
        ),
        "bad-key": _post(client, TEXT, ok, headers={"x-goog-api-key": "wrong"}),
        "no-key": httpx.post(f"{client.base_url}/v1beta/models/{TEXT}:generateContent", json=ok),
        "unknown-model": _post(client, "gemini-0", ok),
        "thinking": _post(
            client,
            TEXT,
            {
                **ok,
                "generationConfig": {
                    "thinkingConfig": {"thinkingBudget": 5, "thinkingLevel": "LOW"}
                },
            },
        ),
        "429": _post(client, TEXT, ok, headers={fault: "429"}),
        "429-daily": _post(client, TEXT, ok, headers={fault: "429-daily"}),
        "500": _post(client, TEXT, ok, headers={fault: "500"}),
        "503": _post(client, TEXT, ok, headers={fault: "503"}),
        "504": _post(client, TEXT, ok, headers={fault: "504"}),
        "unknown-method": client.post(f"/v1beta/models/{TEXT}:nope", json=ok),
        "bad-fault-header": _post(client, TEXT, ok, headers={fault: "bogus"}),
        "part-oneof": _post(
            client,
            TEXT,
            {
                "contents": [
                    {
                        "parts": [
                            {"text": "a", "inlineData": {"mimeType": "image/png", "data": "AA=="}}
                        ]
                    }
                ]
            },
        ),
        "palm-category": _post(
            client,
            TEXT,
            {
                **ok,
                "safetySettings": [{"category": "HARM_CATEGORY_DEROGATORY", "threshold": "OFF"}],
            },
        ),
        "duplicate-category": _post(
            client,
            TEXT,
            {
                **ok,
                "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}]
                * 2,
            },
        ),
        "undecodable-image": _post(
            client,
            IMAGE,
            {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}]}]},
        ),
        "missing-signature": _post(
            client,
            IMAGE,
            {
                "contents": [
                    {"role": "user", "parts": [{"text": "a cat"}]},
                    {
                        "role": "model",
                        "parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}],
                    },
                    {"role": "user", "parts": [{"text": "bluer"}]},
                ]
            },
        ),
    }


def _validate_error(registry: Registry, body: dict[str, Any]) -> None:
    """The envelope, then each detail against the schema its @type names (details are open)."""
    schema = {"$ref": "urn:openapi#/components/schemas/ErrorResponse"}
    jsonschema.Draft202012Validator(schema, registry=registry).validate(body)
    ErrorResponse.model_validate(body)
    for detail in body["error"].get("details", []):
        name = detail["@type"].rsplit(".", 1)[-1]
        _validate(registry, detail, name, getattr(models, name))


def test_every_error_matches_spec(client: httpx.Client, registry: Registry) -> None:
    for name, response in _error_cases(client).items():
        assert response.status_code >= 400, name
        _validate_error(registry, response.json())


def test_stream_error_chunk_matches_spec(client: httpx.Client, registry: Registry) -> None:
    response = client.post(
        f"/v1beta/models/{TEXT}:streamGenerateContent?alt=sse",
        json=_prompt("hello"),
        headers={"x-wisdomgate-fault": "stream-error"},
    )
    last = [line[6:] for line in response.text.split("\r\n") if line.startswith("data: ")][-1]
    _validate_error(registry, json.loads(last))


def test_list_models_matches_spec(client: httpx.Client, registry: Registry) -> None:
    response = client.get("/v1beta/models", params={"pageSize": 3})
    _validate(registry, response.json(), "ListModelsResponse", ListModelsResponse)


def test_get_model_matches_spec(client: httpx.Client, registry: Registry) -> None:
    response = client.get(f"/v1beta/models/{IMAGE}")
    _validate(registry, response.json(), "Model", Model)


def test_count_tokens_matches_spec(client: httpx.Client, registry: Registry) -> None:
    response = client.post(f"/v1beta/models/{TEXT}:countTokens", json=_prompt("hello there"))
    _validate(registry, response.json(), "CountTokensResponse", CountTokensResponse)
