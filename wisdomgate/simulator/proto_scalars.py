"""ProtoJSON's scalar rules, where the pydantic models are laxer than the API.

pydantic turns `false` into 0.0 for a number and 0 into False for a boolean; the API refuses
both. Integer fields are int32 (or int64 where the spec says `string | integer`) and refuse
values outside that range; numbers may come as decimal strings, as ProtoJSON allows.
A JSON null is "not set" in ProtoJSON, so it is never a scalar problem.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, Final, Union, get_args, get_origin

from wisdomgate.simulator.field_paths import MapKey, Part
from wisdomgate_api import ApiModel

__all__ = ["scalar_problems"]

_INT32: Final = (-(2**31), 2**31 - 1)
_INT64: Final = (-(2**63), 2**63 - 1)
_DECIMAL: Final = re.compile(r"-?[0-9]+")
_INT64_KIND: Final = frozenset({str, int})

Problem = tuple[tuple[Part, ...], str, Any]
"""(path, proto type name, the value as sent)."""


def scalar_problems(cls: type[ApiModel], data: Mapping[str, Any]) -> Iterator[Problem]:
    """Every boolean, integer or number field of data (parsed as cls) the API would refuse."""
    yield from _in_message(cls, data, ())


def _in_message(
    cls: type[ApiModel], data: Mapping[str, Any], path: tuple[Part, ...]
) -> Iterator[Problem]:
    fields = _fields(cls)
    for key, value in data.items():
        annotation = fields.get(key)
        if annotation is not None and value is not None:
            yield from _in_value(annotation, value, (*path, key))


def _in_value(annotation: Any, value: Any, path: tuple[Part, ...]) -> Iterator[Problem]:
    kinds = _kinds(annotation)
    if kinds == {bool} and not isinstance(value, bool):
        yield path, "TYPE_BOOL", value
    elif kinds == {int} and not _is_integer(value, _INT32):
        yield path, "TYPE_INT32", value
    elif kinds == _INT64_KIND and not _is_integer(value, _INT64):
        yield path, "TYPE_INT64", value
    elif kinds == {float} and isinstance(value, bool):
        yield path, "TYPE_FLOAT", value
    elif len(kinds) == 1:
        yield from _in_container(next(iter(kinds)), value, path)


def _in_container(kind: Any, value: Any, path: tuple[Part, ...]) -> Iterator[Problem]:
    shape, inner = _shape(kind)
    if shape == "message" and isinstance(value, Mapping):
        yield from _in_message(inner, value, path)
    elif shape == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            if item is not None:
                yield from _in_value(inner, item, (*path, index))
    elif shape == "map" and isinstance(value, Mapping):
        for key, item in value.items():
            if item is not None:
                yield from _in_value(inner, item, (*path, MapKey(key)))


@cache
def _shape(kind: Any) -> tuple[str, Any]:
    """("message", the model), ("list", the item type), ("map", the value type) or ("", None)."""
    origin, args = get_origin(kind), get_args(kind)
    if isinstance(kind, type) and issubclass(kind, ApiModel):
        return "message", kind
    if origin is list and args:
        return "list", args[0]
    if origin is dict and len(args) == 2:
        return "map", args[1]
    return "", None


def _is_integer(value: Any, bounds: tuple[int, int]) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            return True  # not a number at all: pydantic reports that one
        if len(value) > 20:
            return False  # out of any range; int() would refuse thousands of digits anyway
        value = int(value)
    if isinstance(value, float):
        if not value.is_integer():
            return True  # pydantic reports fractions
        value = int(value)
    return not isinstance(value, int) or bounds[0] <= value <= bounds[1]


@cache
def _kinds(annotation: Any) -> frozenset[Any]:
    """The types an annotation allows, None left out (`int | None` -> {int})."""
    if get_origin(annotation) in (Union, types.UnionType):
        return frozenset(arg for arg in get_args(annotation) if arg is not type(None))
    return frozenset({annotation})


@cache
def _fields(cls: type[ApiModel]) -> dict[str, Any]:
    """Field annotations by every key the wire may use: the camelCase alias and the name."""
    fields: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        fields[name] = info.annotation
        if info.alias:
            fields[info.alias] = info.annotation
    return fields
