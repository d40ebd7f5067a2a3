"""What the client templates need to know about each operation in the spec."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    """One path or query parameter."""

    name: str  # wire name
    py_name: str  # snake_case Python name
    location: str  # "path" or "query"
    required: bool
    py_type: str
    description: str


@dataclass(frozen=True)
class Operation:
    """One operation, as the client templates render it."""

    operation_id: str
    method_name: str  # snake_case
    http_method: str
    path: str
    summary: str
    params: list[Param] = field(default_factory=list)
    body_model: str | None = None
    response_model: str | None = None
    streaming: bool = False


def snake(name: str) -> str:
    """camelCase -> snake_case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if not schema or "$ref" not in schema:
        return None
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def _py_type(schema: dict[str, Any]) -> str:
    return {"integer": "int", "boolean": "bool", "number": "float"}.get(
        schema.get("type", ""), "str"
    )


def _param(raw: dict[str, Any]) -> Param:
    return Param(
        name=raw["name"],
        py_name=snake(raw["name"]),
        location=raw["in"],
        required=bool(raw.get("required", False)),
        py_type=_py_type(raw.get("schema", {})),
        description=raw.get("description", ""),
    )


def _response_model(op: dict[str, Any]) -> str | None:
    content = op.get("responses", {}).get("200", {}).get("content", {})
    json_schema = content.get("application/json", {}).get("schema", {})
    if json_schema.get("type") == "array":
        return _ref_name(json_schema.get("items"))
    return _ref_name(json_schema)


def operations_of(spec: dict[str, Any]) -> list[Operation]:
    """Every operation in the spec, sorted by operationId for stable output."""
    found: list[Operation] = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            found.append(
                Operation(
                    operation_id=op["operationId"],
                    method_name=snake(op["operationId"]),
                    http_method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    params=[_param(p) for p in op.get("parameters", [])],
                    body_model=_ref_name(body.get("schema")),
                    response_model=_response_model(op),
                    streaming=bool(op.get("x-stream", False)),
                )
            )
    return sorted(found, key=lambda o: o.operation_id)
