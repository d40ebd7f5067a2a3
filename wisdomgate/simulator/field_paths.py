"""Field paths as the API prints them (`contents[0].parts[1].inline_data`), built from parts.

A path is a tuple of parts: field names (str), list indices (int) and map keys (MapKey). It is
never re-parsed from text, because a client's key may hold '.', '[', ']' or any character.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from wisdomgate.keys import snake_case
from wisdomgate_api import ApiModel

__all__ = ["MapKey", "Part", "format_path", "loc_parts", "unknown_fields", "walk"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class MapKey(str):
    """A key of a map field (Schema.properties, metadata...): printed as sent, never snake_cased."""

    __slots__ = ()


Part = str | int


def format_path(parts: Iterable[Part]) -> str:
    """The API's spelling: snake_case field names joined by '.', [i] for list indices."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, MapKey) and not _IDENTIFIER.fullmatch(part):
            out += f"[{json.dumps(part, ensure_ascii=False)}]"  # quoted: the key may hold . or [
        else:
            name = part if isinstance(part, MapKey) else snake_case(part)
            out += f".{name}" if out else name
    return out


def walk(value: object, path: tuple[Part, ...] = ()) -> Iterator[tuple[tuple[Part, ...], object]]:
    """(path, node) for value and every set field, list item and map value below it."""
    yield path, value
    if isinstance(value, ApiModel):
        for name in type(value).model_fields:
            child = getattr(value, name)
            if child is not None:
                yield from walk(child, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, MapKey(key)))


def unknown_fields(model: ApiModel) -> Iterator[tuple[tuple[Part, ...], str]]:
    """(parent path, name as sent) of every field no schema declares, anywhere in model."""
    for path, node in walk(model):
        if isinstance(node, ApiModel):
            for name in sorted(node.model_extra or {}):
                yield path, name


def loc_parts(loc: Sequence[str | int], data: Any, *, missing: bool = False) -> tuple[Part, ...]:
    """A pydantic error location without pydantic's own tags ('str', 'function-after[...]').

    An item is part of the path when the client's JSON has it at that point; anything else is
    a tag pydantic added for a union or validator. A `missing` field is absent by definition,
    so the last item of a missing error is kept too.
    """
    parts: list[Part] = []
    node = data
    for position, item in enumerate(loc):
        if isinstance(node, Mapping) and isinstance(item, str) and item in node:
            # A name no field could have is a map key: quoted, not snake_cased, when printed.
            parts.append(item if _IDENTIFIER.fullmatch(item) else MapKey(item))
            node = node[item]
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            parts.append(item)
            node = node[item]
        elif missing and position == len(loc) - 1 and isinstance(item, str):
            parts.append(item)
    return tuple(parts)
