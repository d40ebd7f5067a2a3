"""The model view: what datamodel-codegen reads leaves out only what a validator needs, so the
models stay lenient (extra fields kept, snake_case read by name, open enums) as the spec tightens."""

from __future__ import annotations

import json
from typing import Any

from codegen.model_view import is_constraint, model_view
from codegen.surface import surface_of
from tests.schema_strategies import SPEC
from wisdomgate_api import models

VIEW: dict[str, Any] = model_view(SPEC)["components"]["schemas"]


def test_the_view_has_no_aliases_closure_or_constraints() -> None:
    text = json.dumps(VIEW)
    assert '"x-aliasOf"' not in text
    assert '"additionalProperties": false' not in text
    assert all("oneOf" not in schema and "allOf" not in schema for schema in VIEW.values())


def test_an_open_enum_is_read_as_its_enum() -> None:
    prop = VIEW["Candidate"]["properties"]["finishReason"]
    assert prop["$ref"] == "#/components/schemas/FinishReason"
    assert prop["readOnly"] is True
    assert "anyOf" not in prop


def test_a_field_required_in_either_spelling_is_required_in_the_view() -> None:
    assert VIEW["FileData"]["required"] == ["fileUri"]
    assert models.FileData.model_fields["file_uri"].is_required()


def test_the_model_keeps_extra_fields_of_a_closed_request_object() -> None:
    part = models.Part.model_validate({"text": "a", "futureField": 1})
    assert part.unknown_fields() == ["futureField"]


def test_the_model_reads_a_declared_proto_name_as_its_field() -> None:
    blob = models.Blob.model_validate({"mime_type": "image/png", "data": "AA=="})
    assert blob.to_wire() == {"mimeType": "image/png", "data": "AA=="}


def test_an_open_enum_field_is_typed_by_its_enum() -> None:
    annotation = models.Candidate.model_fields["finish_reason"].annotation
    assert annotation == models.FinishReason | None
    reason = models.Candidate.model_validate({"finishReason": "NEW_2027"}).finish_reason
    assert reason is not None and not reason.is_known


def test_a_property_schema_of_a_type_is_not_a_constraint() -> None:
    assert is_constraint({"oneOf": [{"required": ["a"]}, {"not": {"required": ["a"]}}]})
    assert not is_constraint({"oneOf": [{"type": "string"}, {"required": ["a"]}]})
    assert not is_constraint({})


def test_the_surface_says_what_the_view_leaves_out() -> None:
    surface = surface_of(SPEC)
    assert surface["schemas"]["Part"].startswith("closed object; exactly one of text|inlineData|")
    assert "at most one of web|retrievedContext|maps|image" in surface["schemas"]["GroundingChunk"]
    assert surface["fields"]["Candidate.finishReason"] == "FinishReason (open)"
    assert "Part.inline_data" not in surface["fields"]
