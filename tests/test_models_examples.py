"""Real recorded responses and the seed page's examples parse into typed models and round-trip."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.schema_strategies import SPEC
from wisdomgate_api import Base64Data, models

RECORDED = Path(__file__).parent / "data" / "recorded"
DETAIL_PATH = re.compile(r"error\.details\[\d+\]\.[^.\[]+$")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def camelize(value: Any) -> Any:
    """The wire form the server answers with: every key lowerCamelCase."""
    if isinstance(value, dict):
        return {camel(k): camelize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


@pytest.mark.parametrize(
    "filename",
    [
        "image-gemini-3.1-flash-image.json",
        "image-no-image.json",
        "image-prompt-block.json",
        "safety-prompt-block.json",
        "text-gemini-3-pro.json",
        "usage-tools.json",
    ],
)
def test_recorded_response_round_trips(filename: str) -> None:
    wire = json.loads((RECORDED / filename).read_text(encoding="utf-8"))
    parsed = models.GenerateContentResponse.model_validate(wire)
    assert json.loads(parsed.to_json()) == wire
    assert parsed.unknown_fields() == []


def test_recorded_stream_chunks_round_trip() -> None:
    lines = (RECORDED / "text-gemini-3-pro.stream.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        chunk = models.GenerateContentResponse.model_validate_json(line)
        assert json.loads(chunk.to_json()) == json.loads(line)
        assert chunk.unknown_fields() == []


def test_recorded_sse_events_round_trip() -> None:
    text = (RECORDED / "image-thought-signature.sse.txt").read_text(encoding="utf-8")
    events = [
        line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data: ")
    ]
    assert len(events) == 2
    for event in events:
        chunk = models.GenerateContentResponse.model_validate_json(event)
        assert json.loads(chunk.to_json()) == json.loads(event)
        assert chunk.unknown_fields() == []


def recorded_errors() -> dict[str, Any]:
    """Every recorded error envelope, by file (and key, where one file holds several)."""
    found = {"error-429-retryinfo.json": _read("error-429-retryinfo.json")}
    thinking = _read("error-400-thinking.json")
    found.update(
        {f"error-400-thinking.json:{k}": v for k, v in thinking.items() if isinstance(v, dict)}
    )
    return found


def _read(filename: str) -> Any:
    return json.loads((RECORDED / filename).read_text(encoding="utf-8"))


def _unknown_outside_details(error: models.ErrorResponse) -> list[str]:
    # a detail is a google.protobuf.Any: its fields are declared by the message its @type names
    return [path for path in error.unknown_fields() if not DETAIL_PATH.match(path)]


@pytest.mark.parametrize("name", sorted(recorded_errors()))
def test_recorded_error_round_trips(name: str) -> None:
    wire = recorded_errors()[name]
    error = models.ErrorResponse.model_validate(wire)
    assert json.loads(error.to_json()) == wire
    assert _unknown_outside_details(error) == []


@pytest.mark.parametrize("name", sorted(recorded_errors()))
def test_recorded_error_details_parse_into_typed_messages_without_unknown_fields(
    name: str,
) -> None:
    details = models.ErrorResponse.model_validate(recorded_errors()[name]).error.details or []
    for detail in details:
        cls = getattr(models, detail.field_type.rsplit(".", 1)[-1])
        typed = cls.model_validate(detail.to_wire())
        assert typed.unknown_fields() == []
        assert typed.to_wire() == detail.to_wire()


def test_recorded_429_is_resource_exhausted() -> None:
    error = models.ErrorResponse.model_validate(_read("error-429-retryinfo.json"))
    assert error.error.status == models.RpcCode.RESOURCE_EXHAUSTED


def test_error_details_parse_into_typed_messages() -> None:
    wire = json.loads((RECORDED / "error-429-retryinfo.json").read_text(encoding="utf-8"))
    details = models.ErrorResponse.model_validate(wire).error.details or []
    retry = models.RetryInfo.model_validate(details[1].to_wire())
    quota = models.QuotaFailure.model_validate(details[0].to_wire())
    assert retry.retry_delay == "34.4s"
    assert quota.violations is not None
    assert quota.violations[0].quota_id == "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"


@pytest.mark.parametrize("key", ["reasoningNoneResponse", "thinkingLevelAndBudgetResponse"])
def test_recorded_400_errors_are_invalid_argument(key: str) -> None:
    error = models.ErrorResponse.model_validate(_read("error-400-thinking.json")[key])
    assert (error.error.code, error.error.status) == (400, models.RpcCode.INVALID_ARGUMENT)


def seed_request_examples() -> dict[str, Any]:
    body = SPEC["paths"]["/v1beta/models/{model}:generateContent"]["post"]["requestBody"]
    return {
        name: ex["value"] for name, ex in body["content"]["application/json"]["examples"].items()
    }


@pytest.mark.parametrize("name", sorted(seed_request_examples()))
def test_seed_request_parses_and_serialises_to_camel_case(name: str) -> None:
    wire = seed_request_examples()[name]
    request = models.GenerateContentRequest.model_validate(wire)
    assert request.unknown_fields() == []
    assert json.loads(request.to_json()) == camelize(wire)


def test_seed_snake_case_fields_become_typed() -> None:
    request = models.GenerateContentRequest.model_validate(seed_request_examples()["imageToImage"])
    part = request.contents[0].parts[1]  # type: ignore[index]
    assert part.inline_data is not None
    assert part.inline_data.mime_type == "image/jpeg"


def test_seed_google_search_tool_is_typed() -> None:
    request = models.GenerateContentRequest.model_validate(seed_request_examples()["butterfly"])
    assert request.tools is not None and request.tools[0].google_search is not None
    assert request.to_wire()["tools"] == [{"googleSearch": {}}]


def test_seed_response_parses() -> None:
    op = SPEC["paths"]["/v1beta/models/{model}:generateContent"]["post"]
    wire = op["responses"]["200"]["content"]["application/json"]["example"]
    response = models.GenerateContentResponse.model_validate(wire)
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == models.FinishReason.STOP
    assert json.loads(response.to_json()) == wire


def test_base64_helpers_accept_standard_and_url_safe() -> None:
    raw = bytes(range(250, 256)) * 3
    standard = Base64Data.from_bytes(raw)
    url_safe = Base64Data(standard.replace("+", "-").replace("/", "_").rstrip("="))
    assert standard.to_bytes() == raw
    assert url_safe.to_bytes() == raw


def test_raw_bytes_set_through_the_model_are_sent_as_base64() -> None:
    blob = models.Blob(mime_type="image/png", data=b"\x89PNG\r\n")
    assert blob.to_wire() == {"mimeType": "image/png", "data": "iVBORw0K"}


def test_invalid_base64_raises_value_error() -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        Base64Data("not base64!").to_bytes()


@pytest.mark.parametrize("text", ["ab-_c$de", "ab-_+/de", "a-b_.cde", "ab-_cd==="])
def test_url_safe_base64_with_a_character_outside_its_alphabet_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        Base64Data(text).to_bytes()


def test_url_safe_base64_keeps_line_breaks_out_of_the_alphabet_check() -> None:
    assert Base64Data("-_-_\n-_-_").to_bytes() == base64.urlsafe_b64decode("-_-_-_-_")


def test_unknown_fields_are_listed_with_wire_paths() -> None:
    config = models.GenerationConfig.model_validate(
        {"imageConfig": {"aspectRatio": "1:1", "bogus": 1}, "temprature": 0.5}
    )
    assert config.unknown_fields() == ["temprature", "imageConfig.bogus"]
