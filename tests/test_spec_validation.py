"""openapi.json itself, read by jsonschema as any independent validator reads it, says what the API
does: closed requests that take the proto snake_case names, one data member per part, open
responses and response enums, fileSearch in the API's shape, SSE events of JSON chunks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.schema_strategies import SPEC

RECORDED = Path(__file__).parent / "data" / "recorded"
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
_REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:spec", Resource.from_contents(SPEC, DRAFT202012)
)
GENERATE = "/v1beta/models/{model}:generateContent"
STREAM = "/v1beta/models/{model}:streamGenerateContent"


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A 2020-12 validator for schema, `#/...` references resolved inside openapi.json as written."""
    text = json.dumps(schema).replace('"#/', '"urn:spec#/')
    return jsonschema.Draft202012Validator(json.loads(text), registry=_REGISTRY)


def component(name: str) -> jsonschema.Draft202012Validator:
    return validator({"$ref": f"#/components/schemas/{name}"})


def request_ok(body: dict[str, Any]) -> bool:
    return component("GenerateContentRequest").is_valid(body)


def prompt(*parts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": list(parts)}], **extra}


def candidate(**fields: Any) -> dict[str, Any]:
    content = {"role": "model", "parts": [{"text": "hi"}]}
    return {"candidates": [{"content": content, **fields}]}


# ---------------------------------------------------------------- requests are closed


def test_a_plain_request_validates() -> None:
    assert request_ok(prompt({"text": "How does AI work?"}))


@pytest.mark.parametrize(
    "body",
    [
        prompt({"text": "a"}, generationConfg={"temperature": 1}),
        prompt({"text": "a"}, generationConfig={"responseModalitis": ["TEXT"]}),
        prompt({"text": "a", "thougt": True}),
        prompt({"inlineData": {"mimeType": "image/png", "dta": "AA=="}}),
        prompt({"text": "a"}, tools=[{"googleSearch": {}, "googleSerch": {}}]),
    ],
    ids=["top-level", "generation-config", "part", "blob", "tool"],
)
def test_a_typo_in_a_request_field_is_refused(body: dict[str, Any]) -> None:
    assert not request_ok(body)


def test_the_seed_requests_validate_as_sent_in_snake_case() -> None:
    examples = SPEC["paths"][GENERATE]["post"]["requestBody"]["content"]["application/json"]
    bodies = [example["value"] for example in examples["examples"].values()]
    assert any("inline_data" in json.dumps(body) for body in bodies)
    for body in bodies:
        component("GenerateContentRequest").validate(body)


def test_snake_case_is_accepted_at_every_level() -> None:
    body = {
        "contents": [{"parts": [{"inline_data": {"mime_type": "image/png", "data": "AA=="}}]}],
        "generation_config": {
            "response_modalities": ["TEXT", "IMAGE"],
            "image_config": {"aspect_ratio": "4:5", "image_size": "2K"},
            "thinking_config": {"include_thoughts": True},
        },
        "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}],
        "tools": [{"google_search": {}}],
        "system_instruction": {"parts": [{"text": "be brief"}]},
    }
    assert request_ok(body)


def test_a_field_spelled_both_ways_is_refused() -> None:
    blob = {"mimeType": "image/png", "mime_type": "image/png", "data": "AA=="}
    assert not request_ok(prompt({"inlineData": blob}))


def test_a_required_field_may_be_spelled_either_way() -> None:
    assert request_ok(prompt({"fileData": {"fileUri": "https://x/f"}}))
    assert request_ok(prompt({"file_data": {"file_uri": "https://x/f"}}))
    assert not request_ok(prompt({"fileData": {"mimeType": "image/png"}}))


def test_an_unknown_request_enum_value_is_refused() -> None:
    config = {"responseModalities": ["HOLOGRAM"]}
    assert not request_ok(prompt({"text": "a"}, generationConfig=config))


def test_every_multi_word_request_field_declares_its_proto_name() -> None:
    for name, schema in SCHEMAS.items():
        if schema.get("additionalProperties") is not False:
            continue
        props = schema["properties"]
        for field, prop in props.items():
            if "x-aliasOf" in prop:
                target = prop["x-aliasOf"]
                assert prop["$ref"] == f"#/components/schemas/{name}/properties/{target}"
                continue
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in field)
            exempt = field.startswith("_") or field == "responseJsonSchema"  # proto json_name quirk
            if snake != field and not exempt:
                assert props.get(snake, {}).get("x-aliasOf") == field, f"{name}.{snake}"
                assert {"required": [field, snake]} in _not_both(schema), f"{name}.{snake}"


def _not_both(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The pairs of a closed object's "never both spellings" constraint."""
    for constraint in schema.get("allOf", []):
        pairs = constraint.get("not", {}).get("anyOf", [])
        if pairs and all(len(pair.get("required", [])) == 2 for pair in pairs):
            return list(pairs)
    return []


# ---------------------------------------------------------------- oneofs


@pytest.mark.parametrize(
    "part",
    [
        {"text": "a", "inlineData": {"mimeType": "image/png", "data": "AA=="}},
        {"text": "a", "inline_data": {"mime_type": "image/png", "data": "AA=="}},
        {"text": "a", "toolCall": {"id": "1"}},
        {"functionCall": {"name": "f"}, "functionResponse": {"name": "f", "response": {}}},
    ],
    ids=["text-and-inline-data", "snake-case", "text-and-tool-call", "call-and-response"],
)
def test_a_part_with_two_data_fields_is_refused(part: dict[str, Any]) -> None:
    assert not request_ok(prompt(part))


def test_a_part_without_data_is_refused() -> None:
    assert not request_ok(prompt({"thought": True}))


def test_metadata_beside_one_data_field_is_accepted() -> None:
    part = {"text": "hello", "thought": True, "thoughtSignature": "c2ln"}
    assert request_ok(prompt(part))


def test_a_voice_config_with_two_voices_is_refused() -> None:
    voice = {"prebuiltVoiceConfig": {"voiceName": "Kore"}, "replicatedVoiceConfig": {}}
    config = {"speechConfig": {"voiceConfig": voice}}
    assert not request_ok(prompt({"text": "a"}, generationConfig=config))
    config = {"speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}}}
    assert request_ok(prompt({"text": "a"}, generationConfig=config))


def test_thinking_budget_and_level_together_are_refused() -> None:
    both = {"thinkingConfig": {"thinking_budget": 5, "thinkingLevel": "LOW"}}
    assert not request_ok(prompt({"text": "a"}, generationConfig=both))


def test_a_grounding_chunk_with_two_sources_is_refused() -> None:
    chunk = {"web": {"uri": "https://a"}, "maps": {"uri": "https://b"}}
    assert not component("GroundingChunk").is_valid(chunk)


def test_a_grounding_chunk_of_a_kind_the_spec_does_not_know_is_accepted() -> None:
    assert component("GroundingChunk").is_valid({"video": {"uri": "https://a"}})


# ---------------------------------------------------------------- fileSearch


@pytest.mark.parametrize(
    "tool",
    [
        {"file_search": {"file_search_store_names": ["fileSearchStores/my-store-123"]}},
        {
            "fileSearch": {
                "fileSearchStoreNames": ["fileSearchStores/my-store-123"],
                "topK": 5,
                "metadataFilter": 'author = "Robert Graves"',
            }
        },
    ],
    ids=["rest-docs", "camel-case-with-options"],
)
def test_the_documented_file_search_request_validates(tool: dict[str, Any]) -> None:
    assert request_ok(prompt({"text": "Tell me about Robert Graves"}, tools=[tool]))


def test_the_protos_older_file_search_shape_is_refused() -> None:
    old = {"fileSearch": {"retrievalResources": [{"ragStoreName": "ragStores/a"}]}}
    assert not request_ok(prompt({"text": "a"}, tools=[old]))


def test_a_file_search_answer_validates() -> None:
    context = {
        "uri": "doc.txt",
        "title": "doc",
        "text": "chunk",
        "fileSearchStore": "fileSearchStores/123",
        "pageNumber": 3,
        "mediaId": "fileSearchStores/123/media/abc",
        "customMetadata": [{"key": "author", "stringValue": "Graves"}],
    }
    metadata = {"groundingChunks": [{"retrievedContext": context}]}
    component("GenerateContentResponse").validate(candidate(groundingMetadata=metadata))


# ---------------------------------------------------------------- responses are open


def test_an_unknown_finish_reason_is_accepted() -> None:
    component("GenerateContentResponse").validate(candidate(finishReason="NEW_REASON_2027"))


def test_a_known_finish_reason_is_listed() -> None:
    prop = SCHEMAS["Candidate"]["properties"]["finishReason"]
    assert prop["anyOf"] == [{"$ref": "#/components/schemas/FinishReason"}, {"type": "string"}]
    assert "STOP" in SCHEMAS["FinishReason"]["enum"]


def test_a_finish_reason_that_is_not_a_string_is_refused() -> None:
    assert not component("GenerateContentResponse").is_valid(candidate(finishReason=3))


def test_an_unknown_response_field_is_accepted() -> None:
    body = {**candidate(finishReason="STOP"), "serverAddedField": {"x": 1}}
    body["usageMetadata"] = {"totalTokenCount": 3, "newCounter": 1}
    component("GenerateContentResponse").validate(body)


@pytest.mark.parametrize(
    "filename",
    sorted(p.name for p in RECORDED.glob("*.json") if not p.name.startswith("error-")),
)
def test_recorded_answers_validate_as_written(filename: str) -> None:
    component("GenerateContentResponse").validate(json.loads((RECORDED / filename).read_text()))


@pytest.mark.parametrize("filename", sorted(p.name for p in RECORDED.glob("error-*.json")))
def test_recorded_errors_validate_as_written(filename: str) -> None:
    recorded = json.loads((RECORDED / filename).read_text())
    # a file holds one envelope, or several beside where they were captured
    values = [v for v in recorded.values() if isinstance(v, dict) and "error" in v]
    bodies = [recorded] if "error" in recorded else values
    assert bodies
    for body in bodies:
        component("ErrorResponse").validate(body)


def test_recorded_stream_chunks_validate_as_written() -> None:
    lines = (RECORDED / "text-gemini-3-pro.stream.jsonl").read_text().splitlines()
    for line in lines:
        component("GenerateContentResponse").validate(json.loads(line))


# ---------------------------------------------------------------- the SSE stream


def _event_schema() -> dict[str, Any]:
    content = SPEC["paths"][STREAM]["post"]["responses"]["200"]["content"]
    return dict(content["text/event-stream"]["itemSchema"])


def test_sse_events_carry_json_chunks() -> None:
    data = _event_schema()["properties"]["data"]
    assert data["contentMediaType"] == "application/json"
    assert {"$ref": "#/components/schemas/GenerateContentResponse"} in data["contentSchema"][
        "anyOf"
    ]


def test_every_recorded_sse_event_matches_the_item_schema() -> None:
    text = (RECORDED / "image-thought-signature.sse.txt").read_text()
    events = [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]
    assert events
    data_schema = validator(_event_schema()["properties"]["data"]["contentSchema"])
    for event in events:
        validator(_event_schema()).validate({"data": event})
        data_schema.validate(json.loads(event))


def test_the_spec_is_openapi_3_2() -> None:
    # itemSchema is 3.2's; a 3.1 document cannot describe a stream's events
    assert SPEC["openapi"].startswith("3.2.")


# ---------------------------------------------------------------- small facts


READ_ONLY = [
    ("Candidate", "content"),
    ("Candidate", "finishReason"),
    ("Candidate", "citationMetadata"),
    ("Candidate", "groundingMetadata"),
    ("Candidate", "logprobsResult"),
    ("Candidate", "urlContextMetadata"),
    ("GroundingAttribution", "sourceId"),
    ("GenerateContentResponse", "usageMetadata"),
]


@pytest.mark.parametrize(("schema", "field"), READ_ONLY)
def test_output_only_references_are_read_only(schema: str, field: str) -> None:
    assert SCHEMAS[schema]["properties"][field]["readOnly"] is True


def test_aspect_ratio_lists_the_ten_ratios_of_the_seed_page() -> None:
    seed = ["1:1", "3:2", "2:3", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
    prop = SCHEMAS["ImageConfig"]["properties"]["aspectRatio"]
    assert set(seed) <= set(prop["examples"])
    assert all(ratio in prop["description"] for ratio in seed)


def test_response_json_schema_descriptions_are_not_swapped() -> None:
    props = SCHEMAS["GenerationConfig"]["properties"]
    assert "internal detail" in props["_responseJsonSchema"]["description"]
    assert "JSON Schema" in props["responseJsonSchema"]["description"]


def test_a_field_of_an_overlay_schema_is_tagged_overlay() -> None:
    overlay = {name for name, schema in SCHEMAS.items() if schema.get("x-overlay")}
    for name, schema in SCHEMAS.items():
        if schema.get("x-overlay"):
            continue  # inside an overlay schema every field is overlay
        for field, prop in schema.get("properties", {}).items():
            target = prop.get("items", prop).get("$ref", "").rsplit("/", 1)[-1]
            if target in overlay and "x-aliasOf" not in prop:
                assert prop.get("x-overlay") is True, f"{name}.{field}"
