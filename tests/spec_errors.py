"""Checking answers against openapi.json: documented statuses and the google.rpc.Status envelope.

The envelope is validated with jsonschema against the spec's components made strict (objects
that list properties allow no others), then each detail against the schema its @type names.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text("utf-8"))


def strict(node: Any) -> Any:
    """A copy of a schema tree where objects with declared properties allow no others."""
    if isinstance(node, dict):
        out = {key: strict(value) for key, value in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(item) for item in node]
    return node


@cache
def registry() -> Registry:
    """openapi.json (components made strict) as urn:openapi."""
    spec = copy.deepcopy(SPEC)
    spec["components"] = strict(SPEC["components"])
    return Registry().with_resource("urn:openapi", Resource.from_contents(spec, DRAFT202012))


@cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry())


def validate_schema(body: Any, schema_name: str) -> None:
    """jsonschema.ValidationError unless body matches the named component."""
    _validator(schema_name).validate(body)


def documented_statuses(path: str, method: str) -> frozenset[int]:
    """The HTTP statuses openapi.json lists for one operation (without `default`)."""
    responses = SPEC["paths"][path][method.lower()]["responses"]
    return frozenset(int(code) for code in responses if code.isdigit())


def assert_error_envelope(body: Any, status: int) -> None:
    """body is an ErrorResponse for HTTP status: the envelope, its code, each typed detail."""
    validate_schema(body, "ErrorResponse")
    error = body["error"]
    assert error["code"] == status, error
    assert error["message"], error
    for detail in error.get("details", []):
        validate_schema(detail, detail["@type"].rsplit(".", 1)[-1])
