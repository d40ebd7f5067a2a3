"""The one walker of field paths into recipe data: mapping keys in either spelling, list indices.

A path such as ("turns", 1, "config", "image_config") reaches the same value in the raw YAML
data, in the parsed recipe model, or in a dict that spells the keys in camelCase.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel

from wisdomgate.errors import FieldPath
from wisdomgate.keys import camel_case

__all__ = ["MISSING", "child", "depth", "lookup"]

MISSING: Final = object()  # no such key or index (None is a value a recipe may hold)


def child(data: Any, part: str | int) -> Any:
    """data[part] for a mapping (key in either spelling), a list or a model; MISSING if absent."""
    if isinstance(data, BaseModel) and isinstance(part, str):
        return getattr(data, part) if part in type(data).model_fields else MISSING
    if isinstance(data, dict) and isinstance(part, str):
        wanted = camel_case(part)
        return next((v for k, v in data.items() if camel_case(str(k)) == wanted), MISSING)
    if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
        return data[part]
    return MISSING


def lookup(data: Any, path: FieldPath) -> Any:
    """The value at path, None when some part of it is absent."""
    for part in path:
        data = child(data, part)
        if data is MISSING:
            return None
    return data


def depth(data: Any, path: FieldPath) -> int:
    """How many leading parts of path exist in data."""
    for reached, part in enumerate(path):
        data = child(data, part)
        if data is MISSING:
            return reached
    return len(path)
