"""openapi.json is a valid OpenAPI 3.2 document and its own examples satisfy its schemas."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate
from referencing import Registry, Resource

from tests.schema_strategies import SPEC


def validator_for(name: str) -> jsonschema.protocols.Validator:
    """A JSON Schema 2020-12 validator for one component, $refs resolved inside openapi.json."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec",
        Resource.from_contents({"$schema": "https://json-schema.org/draft/2020-12/schema", **SPEC}),
    )
    schema = {"$ref": f"urn:spec#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def test_spec_is_valid_openapi() -> None:
    validate(SPEC)


def test_every_operation_has_a_unique_operation_id() -> None:
    ids = [op["operationId"] for item in SPEC["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_generate_content_accepts_all_three_auth_styles() -> None:
    schemes = SPEC["components"]["securitySchemes"]
    assert schemes["apiKeyHeader"]["name"] == "x-goog-api-key"
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["apiKeyQuery"]["name"] == "key"


@pytest.mark.parametrize(
    "name",
    sorted(
        SPEC["paths"]["/v1beta/models/{model}:generateContent"]["post"]["requestBody"]["content"][
            "application/json"
        ]["examples"]
    ),
)
def test_request_examples_validate(name: str) -> None:
    body = SPEC["paths"]["/v1beta/models/{model}:generateContent"]["post"]["requestBody"]
    example = body["content"]["application/json"]["examples"][name]["value"]
    # the seed sends snake_case (inline_data, google_search): the spec declares those names too,
    # and the camelCase form the server normalises to is as valid
    from tests.test_models_examples import camelize

    validator_for("GenerateContentRequest").validate(example)
    validator_for("GenerateContentRequest").validate(camelize(example))


def test_response_example_validates() -> None:
    op = SPEC["paths"]["/v1beta/models/{model}:generateContent"]["post"]
    example = op["responses"]["200"]["content"]["application/json"]["example"]
    validator_for("GenerateContentResponse").validate(example)


def test_rate_limit_example_validates() -> None:
    example = SPEC["components"]["responses"]["RateLimited"]["content"]["application/json"][
        "example"
    ]
    validator_for("ErrorResponse").validate(example)


def test_image_config_lists_known_sizes_and_ratios() -> None:
    props = SPEC["components"]["schemas"]["ImageConfig"]["properties"]
    assert props["imageSize"]["examples"] == ["512", "1K", "2K", "4K"]
    assert {"1:1", "16:9", "21:9", "1:8"} <= set(props["aspectRatio"]["examples"])


def int64_properties() -> list[dict[str, Any]]:
    return [
        prop
        for schema in SPEC["components"]["schemas"].values()
        for prop in schema.get("properties", {}).values()
        if prop.get("format") == "int64"
    ]


def test_every_int64_field_accepts_a_string_or_a_number() -> None:
    # ProtoJSON reads an int64 from a JSON number or a decimal string; it writes the string
    assert int64_properties() != []
    assert all(prop["type"] == ["string", "integer"] for prop in int64_properties())


@pytest.mark.parametrize("value", ["10", 10])
def test_quota_value_validates_as_a_string_or_a_number(value: str | int) -> None:
    validator_for("Violation").validate({"quotaValue": value})


def test_schema_without_type_validates() -> None:
    # python-genai's Schema.type is optional and the API accepts {"anyOf": [...]} without it
    validator_for("Schema").validate({"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]})
