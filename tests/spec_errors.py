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
    """A copy of a schema tree where objects with declared properties allow no others.

    Response objects are open in openapi.json (a newer server adds fields); made strict, they
    check that the simulator sends only what the spec declares. StatusDetail, whose only
    declared property is `@type`, stays open: its other fields are the named message's.
    """
    if isinstance(node, dict):
        out = {key: strict(value) for key, value in node.items()}
        declared = out.get("properties")
        is_open = out.get("additionalProperties", True) is True
        if isinstance(declared, dict) and set(declared) != {"@type"} and is_open:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(item) for item in node]
    return node


@cache
def registry(*, strict_objects: bool = True) -> Registry:
    """openapi.json as urn:openapi; by default with its components made strict."""
    spec = copy.deepcopy(SPEC)
    if strict_objects:
        spec["components"] = strict(SPEC["components"])
    # referencing leaves with_resource unannotated; the registry it builds holds JSON documents
    built: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(spec, DRAFT202012)
    )
    return built


@cache
def _validator(schema_name: str, strict_objects: bool) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry(strict_objects=strict_objects))


def validate_schema(body: Any, schema_name: str, *, strict_objects: bool = True) -> None:
    """jsonschema.ValidationError unless body matches the named component."""
    _validator(schema_name, strict_objects).validate(body)


def matches_schema(body: Any, schema_name: str) -> bool:
    """Whether body matches the named component exactly as openapi.json writes it."""
    return _validator(schema_name, False).is_valid(body)


def request_schema(path: str, method: str) -> str | None:
    """The component name of an operation's JSON request body, if it has one."""
    body = SPEC["paths"][path][method.lower()].get("requestBody")
    if body is None:
        return None
    reference: str = body["content"]["application/json"]["schema"]["$ref"]
    return reference.rsplit("/", 1)[-1]


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
