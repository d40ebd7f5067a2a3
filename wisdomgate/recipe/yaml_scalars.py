"""How recipe YAML reads scalars: the YAML 1.2 core schema's resolvers, and constructors that
report a value they cannot read (`!!int many`, `.nan`, `!!timestamp`) as a problem at its node
instead of raising, so every problem of a file is found in one pass."""

from __future__ import annotations

import math
import re
from typing import Any, Protocol

import yaml

__all__ = ["PLAIN", "ScalarReader", "install_scalars"]

PLAIN = "plain YAML values: text, numbers, true/false, lists and mappings"


class ScalarReader(Protocol):
    """What the constructors need of the loader (yaml_reader.RecipeLoader)."""

    def scalar_text(self, node: yaml.Node, tag: str) -> str | None:
        """The node's text, or None after reporting that it is not a scalar."""
        ...

    def problem(self, node: yaml.Node, message: str, fix: str) -> None:
        """Report a problem at the node."""
        ...


def install_scalars(loader: type[yaml.SafeLoader]) -> None:
    """Give the loader class these resolvers (and no YAML 1.1 ones) and constructors."""
    loader.yaml_implicit_resolvers = {}  # YAML 1.1's resolvers are not inherited
    for tag, pattern, first in _RESOLVERS:
        loader.add_implicit_resolver(tag, re.compile(f"^(?:{pattern})$"), list(first))
    for name, constructor in _CONSTRUCTORS:
        loader.add_constructor(name, constructor)


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else f"{text[:37]}...")


def _construct_int(loader: ScalarReader, node: yaml.Node) -> int | None:
    text = loader.scalar_text(node, "!!int")
    if text is None:
        return None
    if _INT.fullmatch(text):
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        base = 16 if digits.startswith("0x") else 8 if digits.startswith("0o") else 10
        try:
            return sign * int(digits[2:] if base != 10 else digits, base)
        except ValueError:  # more digits than int() converts (4300)
            pass
    loader.problem(node, f"{_short(text)} is not a whole number", "write e.g. 3, or remove !!int")
    return None


def _construct_float(loader: ScalarReader, node: yaml.Node) -> float | None:
    text = loader.scalar_text(node, "!!float")
    if text is None:
        return None
    if not _FLOAT.fullmatch(text):  # `!!float warm`
        loader.problem(node, f"{_short(text)} is not a number", "write e.g. 0.7, or remove !!float")
        return None
    value = float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
    if not math.isfinite(value):  # .nan, .inf, 1e999: JSON cannot carry them, the API neither
        message = f"{_short(text)} is not a finite number (JSON has no NaN or infinity)"
        loader.problem(node, message, "write a finite number, e.g. 1.0")
        return None
    return value


def _construct_bool(loader: ScalarReader, node: yaml.Node) -> bool | None:
    text = loader.scalar_text(node, "!!bool")
    if text is not None and _BOOL.fullmatch(text):
        return text.lower() == "true"
    if text is not None:
        loader.problem(node, f"{_short(text)} is not true or false", "write true or false")
    return None


def _construct_null(loader: ScalarReader, node: yaml.Node) -> None:
    text = loader.scalar_text(node, "!!null")
    if text is not None and text not in ("", "~", "null", "Null", "NULL"):
        loader.problem(node, f"{_short(text)} is not null", "write null or ~, or remove !!null")


def _construct_undefined(loader: ScalarReader, node: yaml.Node) -> None:
    """Tags SafeLoader does not know (!!python/object, !foo), and those that give values JSON
    cannot carry (!!timestamp, !!binary, !!set, !!omap, !!pairs)."""
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    loader.problem(node, f"the tag {tag} is not allowed", f"remove it; recipes hold {PLAIN}")


# YAML 1.2 core schema; the constructors check explicitly tagged values against them too.
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN)"
)
_RESOLVERS = [
    ("tag:yaml.org,2002:bool", _BOOL.pattern, "tTfF"),
    ("tag:yaml.org,2002:int", _INT.pattern, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT.pattern, "-+0123456789."),
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"<<", "<"),
]
_REFUSED_TAGS = ("timestamp", "binary", "set", "omap", "pairs")
_CONSTRUCTORS: tuple[tuple[str | None, Any], ...] = (
    ("tag:yaml.org,2002:int", _construct_int),
    ("tag:yaml.org,2002:float", _construct_float),
    ("tag:yaml.org,2002:bool", _construct_bool),
    ("tag:yaml.org,2002:null", _construct_null),
    *((f"tag:yaml.org,2002:{t}", _construct_undefined) for t in _REFUSED_TAGS),
    (None, _construct_undefined),
)
