"""The API surface of a spec (operations, parameters, security, schemas, fields, enums); its changes."""

from __future__ import annotations

from typing import Any

from codegen.model_view import model_view, open_enum_target
from codegen.operations import Operation, operations_of

Surface = dict[str, dict[str, str]]

# the singular each section's lines are printed with ("+ field X: ...")
_SINGULAR = {
    "operations": "operation",
    "parameters": "parameter",
    "security": "security",
    "schemas": "schema",
    "fields": "field",
    "enum values": "enum value",
}


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    kind = prop.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1 type lists, e.g. int64 as ["string", "integer"]
        kind = "|".join(str(k) for k in kind)
    if kind == "array":
        return f"list[{_type_of(prop.get('items', {}))}]"
    if kind == "object":
        extra = prop.get("additionalProperties")
        return f"dict[{_type_of(extra)}]" if isinstance(extra, dict) else "object"
    if kind is None:
        return "any"
    fmt = prop.get("format")
    found = f"{kind}({fmt})" if fmt else str(kind)
    return found + (f" enum[{', '.join(map(str, prop['enum']))}]" if "enum" in prop else "")


def _signature(op: Operation) -> str:
    """`POST /path (model: path str; body Request -> Response)`: what a caller sends and gets."""
    inputs = [f"{p.name}: {p.location} {p.py_type}" for p in op.params]
    if op.has_body:
        inputs.append(f"body {op.body_model or 'object'}")
    result = op.response_model or "object"
    result = f"stream of {result}" if op.streaming else result
    return f"{op.http_method} {op.path} ({'; '.join(inputs)} -> {result})"


def _operations(spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    operations: dict[str, str] = {}
    parameters: dict[str, str] = {}
    for op in operations_of(spec):
        operations[op.operation_id] = _signature(op)
    for item in spec["paths"].values():
        for raw in item.values():
            for param in raw.get("parameters", []):
                flag = " (required)" if param.get("required") else ""
                where = f"{param['in']} {_type_of(param.get('schema', {}))}{flag}"
                parameters[f"{raw['operationId']}.{param['name']}"] = where
    return operations, parameters


def _requirement(requirements: list[dict[str, Any]]) -> str:
    # a list of alternatives, each a set of schemes used together
    return " | ".join(" + ".join(sorted(alt)) or "none" for alt in requirements) or "none"


def _security(spec: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, scheme in spec.get("components", {}).get("securitySchemes", {}).items():
        where = scheme.get("in") or scheme.get("scheme", "")
        label = scheme.get("name", "")
        found[f"scheme {name}"] = " ".join(p for p in (scheme.get("type", ""), where, label) if p)
    found["requirement (default)"] = _requirement(spec.get("security", []))
    for item in spec["paths"].values():
        for op in item.values():
            if "security" in op:
                found[f"requirement {op['operationId']}"] = _requirement(op["security"])
    return found


def _schemas(spec: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Schemas, fields and enum values; fields as the models see them (codegen/model_view.py),
    with what the view leaves out said in words: closed objects, oneofs, open enum fields."""
    schemas: dict[str, str] = {}
    fields: dict[str, str] = {}
    enum_values: dict[str, str] = {}
    written = spec["components"]["schemas"]
    for name, schema in model_view(spec)["components"]["schemas"].items():
        if "enum" in schema:
            schemas[name] = "enum"
            for value in schema["enum"]:
                enum_values[f"{name}.{value}"] = "value"
            continue
        schemas[name] = _object_signature(written[name])
        required = set(schema.get("required", []))
        for field, prop in schema.get("properties", {}).items():
            flag = " (required)" if field in required else ""
            fields[f"{name}.{field}"] = (
                _type_of(prop) + _open(written[name]["properties"][field]) + flag
            )
    return schemas, fields, enum_values


def _object_signature(schema: dict[str, Any]) -> str:
    """`object`, `closed object`, with its oneof (`exactly one of a|b`, `at most one of a|b`)."""
    closed = schema.get("additionalProperties") is False
    found = "closed object" if closed else "object"
    branches = schema.get("oneOf", [])
    members = [_member(branch) for branch in branches]
    if members and all(members):
        found += f"; exactly one of {'|'.join(m for m in members if m)}"
    elif members and all(members[:-1]) and "not" in branches[-1]:
        found += f"; at most one of {'|'.join(m for m in members[:-1] if m)}"
    aliases = sorted(p for p, prop in schema.get("properties", {}).items() if "x-aliasOf" in prop)
    return found + (f"; proto names {', '.join(aliases)}" if aliases else "")


def _member(branch: dict[str, Any]) -> str | None:
    if list(branch) == ["required"]:
        return str(branch["required"][0])
    if list(branch) == ["anyOf"]:
        return str(branch["anyOf"][0].get("required", ["?"])[0])
    return None


def _open(prop: dict[str, Any]) -> str:
    """' (open)' for an open enum field or list of them: any string accepted."""
    target = prop.get("items", prop) if prop.get("type") == "array" else prop
    return " (open)" if open_enum_target(target) is not None else ""


def surface_of(spec: dict[str, Any]) -> Surface:
    """Flatten the spec into {section: {name: signature}} so two versions can be compared."""
    operations, parameters = _operations(spec)
    schemas, fields, enum_values = _schemas(spec)
    return {
        "operations": operations,
        "parameters": parameters,
        "security": _security(spec),
        "schemas": schemas,
        "fields": fields,
        "enum values": enum_values,
    }


def describe_changes(old: Surface, new: Surface) -> list[str]:
    """Human-readable lines: `+ added`, `- removed`, `~ changed: old -> new`."""
    lines: list[str] = []
    for section in new:
        label = _SINGULAR.get(section, section)
        before, after = old.get(section, {}), new[section]
        for key in sorted(after.keys() - before.keys()):
            lines.append(f"+ {label} {key}: {after[key]}")
        for key in sorted(before.keys() - after.keys()):
            lines.append(f"- {label} {key}")
        for key in sorted(before.keys() & after.keys()):
            if before[key] != after[key]:
                lines.append(f"~ {key}: {before[key]} -> {after[key]}")
    return lines
