"""Hypothesis strategies that draw wire JSON straight from openapi.json's component schemas.

Written here rather than taken from hypothesis-jsonschema because the Gemini `Schema` type is
recursive (hypothesis-jsonschema inlines $refs and cannot) and because the round-trip property
needs what a real server sends next year: fields and enum values the spec does not know yet.
They draw from the spec's model view (codegen/model_view.py), the schemas the models are
generated from: camelCase names, no closure, open enums.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from codegen.model_view import model_view

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = model_view(SPEC)["components"]["schemas"]

MAX_DEPTH = 3
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UNKNOWN_FIELD_NAMES = ("serverAddedField", "futureFeature")
UNKNOWN_ENUM_VALUES = ("NEW_VALUE_FROM_SERVER", "IMAGE_SOMETHING_NEW")

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _ref_name(schema: dict[str, Any]) -> str:
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def _string(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if schema.get("format") == "int64":  # ProtoJSON's usual int64 form: decimal digits in a string
        return st.integers(INT64_MIN, INT64_MAX).map(str)
    if schema.get("format") == "byte":
        encoders = st.sampled_from([base64.b64encode, base64.urlsafe_b64encode])
        return st.builds(
            lambda enc, raw: enc(raw).decode("ascii"), encoders, st.binary(max_size=24)
        )
    return st.text(max_size=12)


def _enum(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    # Mostly known values, sometimes one the spec does not list: models must keep it.
    return st.sampled_from(schema["enum"]) | st.sampled_from(UNKNOWN_ENUM_VALUES)


def _object(schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    if depth >= MAX_DEPTH:
        # deep enough: only what is required, so recursion (Schema.items...) terminates
        props = {k: v for k, v in props.items() if k in required}
    mandatory = {k: strategy_for(v, depth + 1) for k, v in props.items() if k in required}
    optional = {k: strategy_for(v, depth + 1) for k, v in props.items() if k not in required}
    optional.update({name: json_values for name in UNKNOWN_FIELD_NAMES})
    known = st.fixed_dictionaries(mandatory, optional=optional)
    extra = schema.get("additionalProperties")
    if extra is True and not props:
        return st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=3)
    if isinstance(extra, dict):
        value = strategy_for(extra, depth + 1)
        return st.dictionaries(st.text(min_size=1, max_size=6), value, max_size=2)
    return known


def strategy_for(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Wire JSON valid for `schema` (a component schema or a property schema)."""
    if "$ref" in schema:
        name = _ref_name(schema)
        return st.deferred(lambda: strategy_for(SCHEMAS[name], depth))
    kind = schema.get("type")
    if isinstance(kind, list):  # e.g. int64 as ["string", "integer"]: draw every form
        return st.one_of([strategy_for({**schema, "type": one}, depth) for one in kind])
    if "enum" in schema:
        return _enum(schema)
    if kind == "object":
        return _object(schema, depth)
    if kind == "array":
        return st.lists(strategy_for(schema["items"], depth + 1), max_size=2)
    if kind == "string":
        return _string(schema)
    if kind == "integer" and schema.get("format") == "int64":
        return st.integers(INT64_MIN, INT64_MAX)
    if kind == "integer":
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "boolean":
        return st.booleans()
    return json_values


def object_schema_names() -> list[str]:
    """Every component schema that is an object (enums are covered through the objects)."""
    return sorted(name for name, schema in SCHEMAS.items() if schema.get("type") == "object")


def snake(name: str) -> str:
    """camelCase -> snake_case, as the server's proto names are."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def to_snake_keys(value: Any, schema: dict[str, Any]) -> Any:
    """Rename every declared field of `value` to its proto snake_case name (free-form maps untouched)."""
    if "$ref" in schema:
        return to_snake_keys(value, SCHEMAS[_ref_name(schema)])
    if schema.get("type") == "array" and isinstance(value, list):
        return [to_snake_keys(item, schema["items"]) for item in value]
    if schema.get("type") == "object" and isinstance(value, dict) and schema.get("properties"):
        props = schema["properties"]
        return {
            (snake(k) if k in props and k[0].isalpha() else k): (
                to_snake_keys(v, props[k]) if k in props else v
            )
            for k, v in value.items()
        }
    return value
