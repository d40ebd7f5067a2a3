"""Recipe values validated by the generated API models: config, safety, tools, system.

Nothing here lists API fields or enum values by hand: keys come from the models' own field
lists (`ApiModel.unknown_fields()`), enum values from the generated enum classes, and tool
shorthands from the fields of `Tool`, so `make regen` after a spec change is all it takes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from wisdomgate.catalog import load_catalog
from wisdomgate.errors import FieldPath, Issue
from wisdomgate.keys import camel_case
from wisdomgate.recipe.issues import (
    model_fields,
    model_keys,
    nested_model,
    parse_wire_path,
    pydantic_issues,
    suggestion,
    unknown_key_fix,
    validate_lenient,
)
from wisdomgate_api import ApiModel, OpenStrEnum
from wisdomgate_api.models import (
    Content,
    HarmBlockThreshold,
    HarmCategory,
    Part,
    SafetySetting,
    Tool,
)

__all__ = [
    "enum_values",
    "parse_safety",
    "parse_system",
    "parse_tools",
    "tool_shorthands",
    "validate_api",
]

M = TypeVar("M", bound=ApiModel)


def validate_api(model: type[M], data: Any, path: FieldPath) -> tuple[M | None, list[Issue]]:
    """Validate raw data with a generated model; report errors, unknown keys and enum values."""
    issues = _same_field_twice(data, path)
    instance, error = validate_lenient(model, data)
    issues += pydantic_issues(error, model, path) if error else []
    if instance is None:
        return None, issues
    twice = {issue.path for issue in issues}
    for wire in instance.unknown_fields():
        field = parse_wire_path(wire)
        if (*path, *field) in twice:
            continue  # the second spelling of a field: already reported as such
        known = model_keys(nested_model(model, field[:-1]) or model)
        fix = unknown_key_fix(str(field[-1]), known)
        issues.append(Issue((*path, *field), f"unknown key '{field[-1]}'", fix, at_key=True))
    issues += _enum_issues(instance, path)
    return (instance if error is None else None), issues


def _same_field_twice(data: Any, path: FieldPath) -> list[Issue]:
    """`image_config` next to `imageConfig` in one mapping: pydantic would keep one silently."""
    issues: list[Issue] = []
    if isinstance(data, dict):
        seen: dict[str, str] = {}
        for key, value in data.items():
            first = seen.setdefault(camel_case(key), key)
            if first != key:
                fix = f"keep only one of '{first}' and '{key}'"
                issues.append(
                    Issue((*path, key), f"'{key}' is the same field as '{first}'", fix, True)
                )
            issues += _same_field_twice(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            issues += _same_field_twice(value, (*path, index))
    return issues


def enum_values(enum: type[OpenStrEnum]) -> list[str]:
    """The values a generated enum lists, without the meaningless *_UNSPECIFIED one."""
    return [m.value for m in enum if not m.value.endswith("_UNSPECIFIED")]


def _enum_issues(value: Any, path: FieldPath, name: str | None = None) -> list[Issue]:
    """Values of open enums that the spec does not list (the real API rejects them)."""
    if isinstance(value, OpenStrEnum):
        if value.is_known:
            return []
        known = enum_values(type(value))
        name = name or next((str(p) for p in reversed(path) if isinstance(p, str)), "value")
        message = f"{name} '{value.value}' is not one of {', '.join(known)}"
        return [Issue(path, message, suggestion(value.value, known))]
    if isinstance(value, BaseModel):
        return [
            issue
            for name, info in type(value).model_fields.items()
            for issue in _enum_issues(getattr(value, name), (*path, info.alias or name))
        ]
    if isinstance(value, list):
        return [i for n, item in enumerate(value) for i in _enum_issues(item, (*path, n))]
    return []


@functools.cache
def tool_shorthands() -> Mapping[str, str]:
    """Tool names usable as a bare string (`google_search`): Tool fields whose options are all
    optional. Maps snake_case and camelCase spellings to the wire name."""
    names: dict[str, str] = {}
    for name, info in model_fields(Tool).items():
        options = [a for a in get_args(info.annotation) if a is not type(None)]
        if len(options) != 1 or not (
            isinstance(options[0], type) and issubclass(options[0], BaseModel)
        ):
            continue  # lists (functionDeclarations) need content
        try:
            options[0].model_validate({})
        except ValidationError:
            continue  # required options (computerUse.environment) need the object form
        wire = info.alias or name
        names[name] = names[wire] = wire
    return names


def parse_tools(raw: list[Any], path: FieldPath) -> tuple[list[Tool], list[Issue]]:
    """Shorthand names and Tool objects -> Tool models."""
    tools: list[Tool] = []
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        where = (*path, index)
        if isinstance(item, str):
            wire = tool_shorthands().get(item) or tool_shorthands().get(camel_case(item))
            if wire is None:
                shorthands = sorted({k for k in tool_shorthands() if "_" in k or k.islower()})
                fix = suggestion(item, shorthands)
                issues.append(Issue(where, f"unknown tool '{item}'", fix))
                continue
            tool: Tool | None = Tool.model_validate({wire: {}})
        else:
            tool, found = validate_api(Tool, item, where)
            issues += found
            if tool is not None and not tool.to_wire():
                issues.append(Issue(where, "the tool is empty", "name a tool, e.g. google_search"))
                continue
        if tool is None:
            continue
        for wire in tool.to_wire():
            if wire in seen:
                message = f"tool '{wire}' is listed twice (also tools[{seen[wire]}])"
                issues.append(Issue(where, message, "remove one"))
            seen.setdefault(wire, index)
        tools.append(tool)
    return tools, issues


def parse_safety(raw: Any, path: FieldPath) -> tuple[list[SafetySetting], list[Issue]]:
    """`CATEGORY: THRESHOLD` mapping or the API's list of SafetySetting objects."""
    settings: list[SafetySetting] = []
    issues: list[Issue] = []
    if isinstance(raw, dict):
        for category, threshold in raw.items():
            where = (*path, category)
            issues += _category_issues(str(category), where, at_key=True)
            if not isinstance(threshold, str):
                issues.append(Issue(where, "the threshold must be text", "e.g. BLOCK_ONLY_HIGH"))
                continue
            issues += _enum_issues(HarmBlockThreshold(threshold), where, "threshold")
            settings.append(
                SafetySetting(
                    category=HarmCategory(category), threshold=HarmBlockThreshold(threshold)
                )
            )
    else:
        for index, item in enumerate(raw):
            setting, found = validate_api(SafetySetting, item, (*path, index))
            issues += found
            if setting is not None:
                settings.append(setting)
                if setting.category.is_known:  # an unknown one is reported by validate_api
                    where = (*path, index, "category")
                    issues += _category_issues(setting.category.value, where, at_key=False)
    seen: set[str] = set()
    for index, setting in enumerate(settings):
        if setting.category.value in seen:
            where = (*path, setting.category.value) if isinstance(raw, dict) else (*path, index)
            issues.append(
                Issue(where, f"category {setting.category.value} is set twice", "keep one")
            )
        seen.add(setting.category.value)
    return settings, issues


def _category_issues(value: str, where: FieldPath, *, at_key: bool) -> list[Issue]:
    """A harm category the Gemini API refuses: the spec also lists PaLM-era ones, the catalog not."""
    accepted = list(load_catalog().harm_categories)
    if value in accepted:
        return []
    message = f"category '{value}' is not one of {', '.join(accepted)}"
    if HarmCategory(value).is_known:  # a real name, just not Gemini's: no typo to correct
        message += " (a PaLM-era category the Gemini API refuses)"
        return [Issue(where, message, f"use one of {', '.join(accepted)}", at_key=at_key)]
    return [Issue(where, message, suggestion(value, accepted), at_key=at_key)]


def parse_system(raw: Any, path: FieldPath) -> tuple[Content | None, list[Issue]]:
    """Text (the usual case) or a Content object -> the systemInstruction Content."""
    if isinstance(raw, str):
        return Content(parts=[Part(text=raw)]), []
    return validate_api(Content, raw, path)
