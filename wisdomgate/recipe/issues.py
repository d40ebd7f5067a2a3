"""Turning pydantic errors into recipe Issues, with "did you mean" from the models' own fields."""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, GetJsonSchemaHandler, ValidationError
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from wisdomgate.errors import FieldPath, Issue
from wisdomgate.keys import camel_case
from wisdomgate.recipe.data_paths import lookup

__all__ = [
    "ApiShape",
    "did_you_mean",
    "model_fields",
    "model_keys",
    "nested_model",
    "parse_wire_path",
    "pydantic_issues",
    "suggestion",
    "unknown_key_fix",
    "validate_lenient",
]

M = TypeVar("M", bound=BaseModel)
TAG_PREFIX = "~"  # union tags chosen by recipe.py; they are dropped from error paths

_FIXES = {
    "string_type": "write it as text (quote it if it looks like a number)",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "int_from_float": "write a whole number",
    "float_type": "write a number",
    "float_parsing": "write a number",
    "finite_number": "write a finite number; JSON has no NaN or infinity",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "list_type": "write a list, e.g. [a, b]",
    "dict_type": "write a mapping of `key: value` lines",
    "model_type": "write a mapping of `key: value` lines",
    "model_attributes_type": "write a mapping of `key: value` lines",
    "greater_than_equal": "use a larger number",
    "greater_than": "use a larger number",
    "too_short": "add at least one item",
}


@dataclass(frozen=True)
class ApiShape:
    """Marks a raw dict field whose JSON Schema is a generated API model's schema.

    Recipe fields such as `config` are validated by the generated model only after templating
    (a number may come from `{{ var }}`), so pydantic sees a plain dict; editors see the model.
    """

    model: type[BaseModel]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(self.model.__pydantic_core_schema__)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt word, if any is close enough."""
    options = list(candidates)
    lowered = {option.lower().replace("_", ""): option for option in options}
    exact = lowered.get(word.lower().replace("_", ""))
    if exact is not None:
        return exact
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def suggestion(word: str, candidates: Sequence[str]) -> str:
    """A fix text: "did you mean 'x'?", or the valid values (when the list is short)."""
    close = did_you_mean(word, candidates)
    if close is not None:
        return f"did you mean '{close}'?"
    if len(candidates) > 6:
        return "use one of the values listed"
    return f"use one of {', '.join(candidates)}"


def unknown_key_fix(key: str, known: Sequence[str]) -> str:
    """The fix for an unknown key: the likely intended key, or the list of known ones."""
    close = did_you_mean(key, known)
    if close is not None:
        return f"did you mean '{close}'?"
    spellings = {camel_case(k): k for k in reversed(known)}  # camelCase where both exist
    return f"remove it; known keys: {', '.join(dict.fromkeys(spellings[camel_case(k)] for k in known))}"


def model_fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields with resolved annotations.

    Generated models that refer to classes defined later keep ForwardRefs in `model_fields`
    until pydantic rebuilds them (it does so lazily, on first validation); rebuild now.
    """
    if not getattr(model, "__pydantic_fields_complete__", True):
        model.model_rebuild(force=True)
    return model.model_fields


def model_keys(model: type[BaseModel]) -> list[str]:
    """Every key a model accepts: wire aliases, and Python names when it validates by name."""
    by_name = bool(model.model_config.get("validate_by_name"))
    keys: list[str] = []
    for name, info in model.model_fields.items():
        if info.alias:
            keys.append(info.alias)
        if not info.alias or by_name:
            keys.append(name)
    return keys


def nested_model(
    model: type[BaseModel] | None, path: Sequence[str | int]
) -> type[BaseModel] | None:
    """The model class found by following `path` (keys and list indices) from `model`."""
    for part in path:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        info = next(
            (i for n, i in model_fields(model).items() if part in (n, i.alias)),
            None,
        )
        if info is None:
            return None
        model = _find_model([info.annotation, *info.metadata])
    return model


def _find_model(types: Iterable[Any]) -> type[BaseModel] | None:
    for tp in types:
        if isinstance(tp, ApiShape):
            return tp.model
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
        found = _find_model(get_args(tp))
        if found is not None:
            return found
    return None


def parse_wire_path(text: str) -> FieldPath:
    """`imageConfig.foo` or `parts[0].x` (from ApiModel.unknown_fields) -> a field path."""
    path: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text):
        path.append(int(index) if index else name)
    return tuple(path)


def validate_lenient(model: type[M], data: Any) -> tuple[M | None, ValidationError | None]:
    """Validate; on errors, drop the rejected values and retry, so that the checks that need an
    instance still run and every problem of a file shows up at once.

    Returns the instance (partial when there were errors) and the first pass's errors.
    """
    first: ValidationError | None = None
    for _ in range(4):
        try:
            return model.model_validate(data), first
        except ValidationError as exc:
            first = first or exc
            data = _without(data, exc)
            if data is None:
                break
    return None, first


def _without(data: Any, exc: ValidationError) -> Any:
    """A copy of data without the values pydantic rejected.

    A missing key drops its parent object; a bad list item drops the whole list, so the indices
    in later messages still match the file.
    """
    data = copy.deepcopy(data)
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if isinstance(p, int) or not _is_tag(p))
        loc = loc[:-1] if error["type"] == "missing" else loc
        while loc and isinstance(loc[-1], int):
            loc = loc[:-1]
        if not loc:
            return None  # the top-level object itself is broken
        container = lookup(data, loc[:-1])
        if isinstance(container, dict):
            for key in [k for k in container if camel_case(str(k)) == loc[-1]]:
                del container[key]
    return data


def _is_tag(part: str) -> bool:
    """Union-member markers pydantic puts in error locations (ours start with TAG_PREFIX)."""
    return part.startswith((TAG_PREFIX, "function-")) or "[" in part


def pydantic_issues(
    error: ValidationError, model: type[BaseModel], prefix: FieldPath = ()
) -> list[Issue]:
    """One Issue per pydantic error, with paths under `prefix` and suggestions for typos."""
    issues = []
    for item in error.errors(include_url=False):
        at_key = item["loc"][-1:] == ("[key]",)  # the key itself is invalid, not its value
        loc = tuple(p for p in item["loc"] if isinstance(p, int) or not _is_tag(p))
        issue = _issue(item["type"], item["msg"], item.get("input"), loc, model, prefix, at_key)
        fix = (item.get("ctx") or {}).get("fix")  # custom errors of recipe.py carry their fix
        issues.append(issue.with_fix(fix) if fix else issue)
    return issues


def _issue(
    kind: str,
    msg: str,
    value: Any,
    loc: FieldPath,
    model: type[BaseModel],
    prefix: FieldPath,
    at_key: bool,
) -> Issue:
    path = (*prefix, *loc)
    if kind == "extra_forbidden" and loc:
        known = model_keys(nested_model(model, loc[:-1]) or model)
        return Issue(path, f"unknown key '{loc[-1]}'", unknown_key_fix(str(loc[-1]), known), True)
    if kind == "missing" and loc:
        return Issue(path, f"missing required key '{loc[-1]}'", f"add `{loc[-1]}: ...`")
    text = msg[0].lower() + msg[1:] if msg else kind
    if kind not in ("missing", "wrong_type") and not isinstance(value, dict | list):
        # as the recipe spells it: `images: true` shows `true`, not Python's True
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        text += f", not {shown}"
    return Issue(path, text, _FIXES.get(kind), at_key)
