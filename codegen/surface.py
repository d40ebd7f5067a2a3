"""The API surface of a spec (schemas, fields, enum values, operations) and what changed in it."""

from __future__ import annotations

from typing import Any

Surface = dict[str, dict[str, str]]


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    kind = prop.get("type")
    if kind == "array":
        return f"list[{_type_of(prop.get('items', {}))}]"
    if kind == "object":
        extra = prop.get("additionalProperties")
        return f"dict[{_type_of(extra)}]" if isinstance(extra, dict) else "object"
    if kind is None:
        return "any"
    fmt = prop.get("format")
    return f"{kind}({fmt})" if fmt else str(kind)


def surface_of(spec: dict[str, Any]) -> Surface:
    """Flatten the spec into {section: {name: signature}} so two versions can be compared."""
    schemas: dict[str, str] = {}
    fields: dict[str, str] = {}
    enum_values: dict[str, str] = {}
    for name, schema in spec["components"]["schemas"].items():
        if "enum" in schema:
            schemas[name] = "enum"
            for value in schema["enum"]:
                enum_values[f"{name}.{value}"] = "value"
            continue
        schemas[name] = "object"
        required = set(schema.get("required", []))
        for field, prop in schema.get("properties", {}).items():
            flag = " (required)" if field in required else ""
            fields[f"{name}.{field}"] = _type_of(prop) + flag
    operations = {
        op["operationId"]: f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    return {
        "operations": operations,
        "schemas": schemas,
        "fields": fields,
        "enum values": enum_values,
    }


def describe_changes(old: Surface, new: Surface) -> list[str]:
    """Human-readable lines: `+ added`, `- removed`, `~ changed: old -> new`."""
    lines: list[str] = []
    for section in new:
        before, after = old.get(section, {}), new[section]
        for key in sorted(after.keys() - before.keys()):
            lines.append(
                f"+ {section[:-1] if section != 'enum values' else 'enum value'} {key}: {after[key]}"
            )
        for key in sorted(before.keys() - after.keys()):
            lines.append(f"- {section[:-1] if section != 'enum values' else 'enum value'} {key}")
        for key in sorted(before.keys() & after.keys()):
            if before[key] != after[key]:
                lines.append(f"~ {key}: {before[key]} -> {after[key]}")
    return lines
