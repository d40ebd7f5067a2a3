"""Every component schema round-trips: wire JSON -> generated model -> the same wire JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.schema_strategies import SCHEMAS, object_schema_names, strategy_for, to_snake_keys
from wisdomgate_api import ApiModel, models

ROUND_TRIP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def model_class(name: str) -> type[ApiModel]:
    cls = getattr(models, name)
    assert isinstance(cls, type) and issubclass(cls, ApiModel)
    return cls


def round_trip(cls: type[ApiModel], wire: Any) -> Any:
    """Parse from Python objects and from JSON text; both must give the same wire JSON back."""
    from_python = json.loads(cls.model_validate(wire).to_json())
    from_json = json.loads(cls.model_validate_json(json.dumps(wire)).to_json())
    assert from_python == from_json
    return from_python


def test_every_object_schema_has_a_generated_model() -> None:
    missing = [name for name in object_schema_names() if not hasattr(models, name)]
    assert missing == []


@pytest.mark.parametrize("name", object_schema_names())
def test_schema_round_trips_unchanged(name: str) -> None:
    cls = model_class(name)

    @ROUND_TRIP
    @given(wire=strategy_for(SCHEMAS[name]))
    def check(wire: Any) -> None:
        assert round_trip(cls, wire) == wire

    check()


@pytest.mark.parametrize(
    "name",
    ["GenerateContentRequest", "Content", "Part", "GenerationConfig", "Tool", "SafetySetting"],
)
def test_snake_case_input_gives_camel_case_output(name: str) -> None:
    cls = model_class(name)

    @ROUND_TRIP
    @given(wire=strategy_for(SCHEMAS[name]))
    def check(wire: Any) -> None:
        assert round_trip(cls, to_snake_keys(wire, SCHEMAS[name])) == wire

    check()


KNOWN_FINISH_REASONS = {member.value.casefold() for member in models.FinishReason}


@given(
    value=st.text(min_size=1, max_size=20).filter(
        lambda v: v.casefold() not in KNOWN_FINISH_REASONS
    )
)
def test_unknown_enum_values_are_kept(value: str) -> None:
    candidate = models.Candidate.model_validate({"finishReason": value})
    assert candidate.finish_reason == value
    assert candidate.finish_reason is not None and not candidate.finish_reason.is_known
    assert candidate.to_wire() == {"finishReason": value}


def test_known_enum_values_are_members() -> None:
    candidate = models.Candidate.model_validate({"finishReason": "IMAGE_SAFETY"})
    assert candidate.finish_reason is models.FinishReason.IMAGE_SAFETY
    assert candidate.finish_reason.is_known


def enum_schema_names() -> list[str]:
    return sorted(name for name, schema in SCHEMAS.items() if "enum" in schema)


@pytest.mark.parametrize("name", enum_schema_names())
def test_every_enum_value_in_the_spec_is_a_known_member(name: str) -> None:
    enum = getattr(models, name)
    assert [member.value for member in enum] == SCHEMAS[name]["enum"]
    assert all(enum(value).is_known for value in SCHEMAS[name]["enum"])


@pytest.mark.parametrize("name", enum_schema_names())
def test_every_enum_keeps_a_value_it_does_not_know(name: str) -> None:
    value = getattr(models, name)("VALUE_ADDED_NEXT_YEAR")
    assert value == "VALUE_ADDED_NEXT_YEAR"
    assert not value.is_known


@pytest.mark.parametrize("value", ["Text", "text", "tExT"])
def test_an_enum_value_differing_only_in_case_is_the_known_member(value: str) -> None:
    config = models.GenerationConfig.model_validate({"responseModalities": [value, "Image"]})
    assert config.response_modalities == [
        models.ResponseModality.TEXT,
        models.ResponseModality.IMAGE,
    ]
    assert config.to_wire() == {"responseModalities": ["TEXT", "IMAGE"]}


def test_a_lower_case_enum_takes_its_canonical_spelling_too() -> None:
    assert models.ServiceTier("FLEX") is models.ServiceTier.FLEX
    assert models.ServiceTier("FLEX") == "flex"


def test_a_value_close_to_a_known_one_stays_unknown() -> None:
    value = models.ResponseModality("TEXTS")
    assert value == "TEXTS" and not value.is_known


# ---------------------------------------------------------------- int64: a string or a number


def int64_fields() -> list[tuple[str, str]]:
    """(schema, field) of every int64 property in the spec."""
    return sorted(
        (name, field)
        for name, schema in SCHEMAS.items()
        for field, prop in schema.get("properties", {}).items()
        if prop.get("format") == "int64"
    )


def test_the_spec_has_int64_fields() -> None:
    assert ("Schema", "maxItems") in int64_fields() and (
        "Violation",
        "quotaValue",
    ) in int64_fields()


@pytest.mark.parametrize(("name", "field"), int64_fields())
@pytest.mark.parametrize("value", ["42", 42, "-9223372036854775808", 9223372036854775807])
def test_int64_field_accepts_a_string_or_a_number_unchanged(
    name: str, field: str, value: str | int
) -> None:
    cls = model_class(name)
    assert round_trip(cls, {field: value}) == {field: value}


def test_schema_without_type_is_accepted() -> None:
    wire = {"anyOf": [{"type": "STRING"}, {"type": "INTEGER", "nullable": True}]}
    schema = models.Schema.model_validate(wire)
    assert schema.type is None and schema.unknown_fields() == []
    assert schema.to_wire() == wire
