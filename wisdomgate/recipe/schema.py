"""The JSON Schema of recipe files, for editors (yaml-language-server) and other tools.

It is generated from the recipe model; `config`, `system`, `safety` and `tools` come from the
generated API models' own schemas, extended the way the runtime reads them: snake_case keys as
well as camelCase, unknown keys refused, and `{{ templates }}` allowed for numbers, booleans and
enum values. `make regen` writes it to schemas/recipe.schema.json (codegen/recipe_schema.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wisdomgate.recipe.format import CURRENT_VERSION, Recipe
from wisdomgate.recipe.issues import model_fields
from wisdomgate_api import ApiModel, OpenStrEnum, models

__all__ = ["EDITOR_COMMENT", "SCHEMA_ID", "SCHEMA_PATH", "recipe_schema", "render_schema"]

SCHEMA_ID = f"urn:wisdomgate:recipe:v{CURRENT_VERSION}"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "recipe.schema.json"
EDITOR_COMMENT = "# yaml-language-server: $schema=../schemas/recipe.schema.json"

_TEMPLATE = {
    "type": "string",
    "pattern": r"\{\{.*\}\}|\{%.*%\}",
    "description": "A Jinja2 template that renders to the value.",
}
_TEMPLATE_REF = {"$ref": "#/$defs/Template"}


def recipe_schema() -> dict[str, Any]:
    """The recipe JSON Schema as a dict."""
    schema = Recipe.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    for name, definition in defs.items():
        if _api_class(definition, name) is not None:
            _adapt_api(definition)
    for field in ("system", "config", "safety", "tools"):
        _adapt_inline(schema["properties"][field])
    defs["Template"] = _TEMPLATE
    schema.update(
        {
            # draft-07: what yaml-language-server fully supports (2020-12 only partly); the
            # keywords used are all draft-07 ones, and "#/$defs/..." refs are plain pointers.
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$id": SCHEMA_ID,
            "title": f"wisdomgate recipe (format version {CURRENT_VERSION})",
            "description": (
                "A YAML file describing generateContent conversations and how to judge them."
                f" Start the file with `{EDITOR_COMMENT}` for completion and checks in editors."
            ),
        }
    )
    return schema


def render_schema() -> str:
    """The schema as deterministic JSON text (sorted keys, trailing newline)."""
    return json.dumps(recipe_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _api_class(schema: Any, name: str | None = None) -> type[ApiModel] | type[OpenStrEnum] | None:
    """The generated class a schema node was made from (by its $defs name or title)."""
    key = name or (schema.get("title") if isinstance(schema, dict) else None)
    found = getattr(models, key, None) if isinstance(key, str) else None
    if isinstance(found, type) and issubclass(found, ApiModel | OpenStrEnum):
        return found
    return None


def _adapt_inline(node: Any) -> None:
    """Adapt API-model schemas inlined under a recipe field (not in $defs)."""
    if isinstance(node, dict):
        if "properties" in node and _api_class(node) is not None:
            _adapt_api(node)
            return
        for value in node.values():
            _adapt_inline(value)
    elif isinstance(node, list):
        for item in node:
            _adapt_inline(item)


def _adapt_api(schema: dict[str, Any]) -> None:
    """Make a generated model's schema read recipes the way the runtime does."""
    cls = _api_class(schema)
    if cls is not None and issubclass(cls, ApiModel):
        _add_snake_case(schema, cls)
    for key, value in list(schema.get("properties", {}).items()):
        schema["properties"][key] = _templatable(value)
    if "enum" in schema:  # a whole enum definition
        original = dict(schema)
        schema.clear()
        schema["anyOf"] = [original, _TEMPLATE_REF]


def _add_snake_case(schema: dict[str, Any], cls: type[ApiModel]) -> None:
    properties = schema.setdefault("properties", {})
    required = schema.pop("required", [])
    either: list[dict[str, Any]] = []
    for name, info in model_fields(cls).items():
        alias = info.alias
        if alias and alias != name and alias in properties:
            properties[name] = {"allOf": [properties[alias]], "description": f"Same as {alias}."}
            if alias in required:
                required.remove(alias)
                either.append({"anyOf": [{"required": [alias]}, {"required": [name]}]})
    if required:
        schema["required"] = required
    if either:
        schema["allOf"] = either
    schema["additionalProperties"] = False  # the API rejects unknown fields with 400


def _templatable(node: Any) -> Any:
    """Numbers, booleans and enums also accept a template; strings already do."""
    if isinstance(node, list):
        return [_templatable(item) for item in node]
    if not isinstance(node, dict) or ("$ref" in node and len(node) == 1):
        return node
    if node.get("type") in ("integer", "number", "boolean") or "enum" in node:
        return {"anyOf": [node, _TEMPLATE_REF]}
    return {key: _templatable(value) for key, value in node.items()}
