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
    collection: str = ""  # the literal path segment before a path parameter ("models"), if any


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
    has_body: bool = False

    @property
    def path_params(self) -> list[Param]:
        """Path parameters, in path order: the positional arguments of the method."""
        return [p for p in self.params if p.location == "path"]

    @property
    def query_params(self) -> list[Param]:
        """Query parameters the caller sets (a streaming operation's `alt` is the client's own)."""
        own = {"alt"} if self.streaming else set()
        return [p for p in self.params if p.location == "query" and p.name not in own]

    @property
    def body_type(self) -> str:
        """The Python type of the request model (ApiModel when the body has no named schema)."""
        return f"models.{self.body_model}" if self.body_model else "ApiModel"

    @property
    def response_type(self) -> str:
        """The Python type of the response model (or of each streamed chunk)."""
        return f"models.{self.response_model}" if self.response_model else "ApiModel"

    @property
    def positional(self) -> list[str]:
        """The method's positional parameters: path parameters, then the body."""
        found = [f"{p.py_name}: str" for p in self.path_params]
        if self.has_body:
            found.append(f"body: {self.body_type} | Mapping[str, Any]")
        return found

    @property
    def keyword(self) -> list[str]:
        """The method's keyword-only parameters: the query parameters."""
        return [
            f"{p.py_name}: {p.py_type}" + ("" if p.required else " | None = None")
            for p in self.query_params
        ]

    @property
    def call_args(self) -> list[str]:
        """Arguments passing the method's parameters on unchanged."""
        found = [p.py_name for p in self.path_params] + (["body"] if self.has_body else [])
        return found + [f"{p.py_name}={p.py_name}" for p in self.query_params]

    @property
    def query_items(self) -> list[str]:
        """Entries of the query dict literal: `alt=sse` for a stream, then each query parameter."""
        found = ['"alt": "sse"'] if self.streaming else []
        return found + [f'"{p.name}": {p.py_name}' for p in self.query_params]

    @property
    def path_expr(self) -> str:
        """The path as the body of a Python f-string, each parameter through `path_segment`."""

        def segment(match: re.Match[str]) -> str:
            param = next(p for p in self.path_params if p.name == match.group(1))
            return f"{{path_segment({param.py_name}, {param.collection!r})}}"

        return re.sub(r"\{([^}]+)\}", segment, self.path)


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


def _collection(path: str, name: str) -> str:
    match = re.search(r"([^/{}]+)/\{" + re.escape(name) + r"\}", path)
    return match.group(1) if match else ""


def _param(raw: dict[str, Any], path: str) -> Param:
    return Param(
        name=raw["name"],
        py_name=snake(raw["name"]),
        location=raw["in"],
        required=bool(raw.get("required", False)),
        py_type=_py_type(raw.get("schema", {})),
        description=raw.get("description", ""),
        collection=_collection(path, raw["name"]) if raw["in"] == "path" else "",
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
            request_body = op.get("requestBody")
            body = (request_body or {}).get("content", {}).get("application/json", {})
            found.append(
                Operation(
                    operation_id=op["operationId"],
                    method_name=snake(op["operationId"]),
                    http_method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    params=[_param(p, path) for p in op.get("parameters", [])],
                    body_model=_ref_name(body.get("schema")),
                    response_model=_response_model(op),
                    streaming=bool(op.get("x-stream", False)),
                    has_body=request_body is not None,
                )
            )
    return sorted(found, key=lambda o: o.operation_id)
