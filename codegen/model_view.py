"""The spec as datamodel-codegen reads it: openapi.json without what only a validator needs.

openapi.json describes the wire exactly: request objects are closed and declare the snake_case
proto names the API also accepts (`inline_data`, marked `x-aliasOf`), oneofs and "not both"
rules are constraint-only subschemas (`oneOf`/`anyOf`/`allOf`/`not` of `required`), and response
enums are open (`anyOf: [{$ref: Enum}, {type: string}]`). Read as written, datamodel-codegen
would make models that forbid extra fields, a second `inline_data` field, root-model unions
for every constrained object and `FinishReason1 | str` unions. The models are meant to be
lenient instead (extra fields kept, so the simulator can name them as the API does and a
client keeps what a newer server sends; any enum value kept by OpenStrEnum; snake_case read
through `validate_by_name`), so they are generated from this view, which:

- drops `x-aliasOf` properties (the models accept the snake_case name as the field's name);
- drops boolean `additionalProperties` of objects that declare properties;
- drops constraint-only `allOf`/`oneOf`/`anyOf`/`not` beside `properties`, and turns the
  "one of both spellings is required" constraint back into `required`;
- reads an open enum, `anyOf: [E, {type: string}]`, as E (an OpenStrEnum keeps any value).
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["is_constraint", "model_view", "open_enum_target"]

_COMBINATORS = ("allOf", "oneOf", "anyOf")
_CONSTRAINT_KEYS = frozenset({"required", "not", *_COMBINATORS, "description"})
_ANY_STRING = {"type": "string"}


def model_view(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of spec that datamodel-codegen turns into the lenient models (see the module doc)."""
    view = copy.deepcopy(spec)
    schemas = view.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        schemas[name] = _schema(schema)
    return view


def is_constraint(node: Any) -> bool:
    """Whether node only constrains which declared properties are present (no types, no refs)."""
    if not isinstance(node, dict) or not node or not set(node) <= _CONSTRAINT_KEYS:
        return False
    for key in _COMBINATORS:
        if key in node and not all(is_constraint(item) for item in node[key]):
            return False
    return "not" not in node or is_constraint(node["not"])


def open_enum_target(node: Any) -> dict[str, Any] | None:
    """E when node is an open enum `anyOf: [E, {type: string}]` (E a $ref or an inline enum)."""
    if not isinstance(node, dict) or "anyOf" not in node:
        return None
    branches = node["anyOf"]
    if len(branches) != 2 or branches[1] != _ANY_STRING:
        return None
    first = branches[0]
    if isinstance(first, dict) and ("$ref" in first or "enum" in first):
        return dict(first)
    return None


def _schema(node: Any) -> Any:
    """node with the validation-only parts left out, recursively through its subschemas."""
    if not isinstance(node, dict):
        return node
    target = open_enum_target(node)
    if target is not None:
        siblings = {key: value for key, value in node.items() if key != "anyOf"}
        node = {**target, **siblings}
    out = dict(node)
    if "properties" in out:
        _object(out)
    for key in ("items", "not", "contentSchema"):
        if key in out:
            out[key] = _schema(out[key])
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = _schema(out["additionalProperties"])
    for key in _COMBINATORS:
        if key in out:
            out[key] = [_schema(item) for item in out[key]]
    return out


def _object(out: dict[str, Any]) -> None:
    """Aliases, closure and constraint-only combinators out; each property read as a schema."""
    props: dict[str, Any] = out["properties"]
    aliases = {name: prop["x-aliasOf"] for name, prop in props.items() if "x-aliasOf" in prop}
    out["properties"] = {name: _schema(prop) for name, prop in props.items() if name not in aliases}
    if isinstance(out.get("additionalProperties"), bool):
        del out["additionalProperties"]
    required = list(out.get("required", []))
    for key in (*_COMBINATORS, "not"):
        value = out.get(key)
        items: list[Any] = value if isinstance(value, list) else [value]
        if value is None or not all(is_constraint(item) for item in items):
            continue
        del out[key]
        if key == "allOf":  # every item holds: one spelling of a required field is required
            required += [name for item in items for name in _spelled_either_way(item, aliases)]
    if required:
        out["required"] = list(dict.fromkeys(required))


def _spelled_either_way(node: Any, aliases: dict[str, str]) -> list[str]:
    """[name] for `anyOf: [{required: [name]}, {required: [alias]}]`: name is required."""
    branches = node.get("anyOf") if isinstance(node, dict) else None
    if set(node) != {"anyOf"} or not isinstance(branches, list) or len(branches) != 2:
        return []
    names = [branch.get("required") for branch in branches]
    if not all(isinstance(n, list) and len(n) == 1 for n in names):
        return []
    camel, alias = names[0][0], names[1][0]
    return [camel] if aliases.get(alias) == camel else []
