"""Safe YAML for recipes: YAML 1.2 scalars, no duplicate keys, and a map back to line:column."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from wisdomgate.errors import FieldPath, Issue

__all__ = [
    "ParsedYaml",
    "SourceMap",
    "YamlProblem",
    "YamlTooLargeError",
    "normalize_key",
    "parse_yaml",
]

MAX_NODES = 100_000  # alias expansion cap: a "billion laughs" file stops here, not in memory


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalars and duplicate-key detection.

    YAML 1.1 reads `aspectRatio: 16:9` as the base-60 integer 969, `NO` as false and
    `2025-01-01` as a date; YAML 1.2 (what editors and the JSON Schema assume) reads them as
    text. Recipes are full of ratios, so 1.2 rules are the only safe choice.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[YamlProblem] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping; duplicate and non-text keys are recorded (the last value wins)."""
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` may override keys, that is its purpose
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                self.problems.append(YamlProblem(key_node, f"key {key!r} is not text", "quote it"))
            elif key in seen:
                first = seen[key].start_mark.line + 1
                self.problems.append(
                    YamlProblem(
                        key_node,
                        f"duplicate key {key!r} (first on line {first}); YAML would keep only"
                        " the last one",
                        "remove one of them or merge their contents",
                    )
                )
            if isinstance(key, str):
                seen.setdefault(key, key_node)
        mapping = super().construct_mapping(node, deep=deep)
        return {k if isinstance(k, str) else str(k): v for k, v in mapping.items()}


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    base = 16 if digits.startswith("0x") else 8 if digits.startswith("0o") else 10
    return sign * int(digits[2:] if base != 10 else digits, base)


def _construct_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    text = str(loader.construct_scalar(node)).lower()  # type: ignore[arg-type]
    return float(text.replace(".inf", "inf").replace(".nan", "nan"))


_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("tag:yaml.org,2002:int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
        r"|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"<<", "<"),
]
RecipeLoader.yaml_implicit_resolvers = {}  # YAML 1.1's resolvers are not inherited
for _tag, _pattern, _first in _RESOLVERS:
    RecipeLoader.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$"), list(_first))
RecipeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
RecipeLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


# Explicit tags such as !!python/object are already refused by SafeLoader; !!timestamp and
# !!binary would give non-JSON values, so they are refused too.
def _refuse(loader: yaml.SafeLoader, node: yaml.Node) -> None:
    loader.construct_undefined(node)


for _tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:set"):
    RecipeLoader.add_constructor(_tag, _refuse)


@dataclass(frozen=True)
class YamlProblem:
    """A problem the YAML layer found at a node (duplicate key, non-text key)."""

    node: yaml.Node
    message: str
    fix: str


def normalize_key(key: str) -> str:
    """snake_case -> camelCase, so `image_config` and `imageConfig` compare equal.

    A leading underscore is kept: `_responseJsonSchema` is a different API field from
    `responseJsonSchema`.
    """
    return re.sub(r"(?<=[A-Za-z0-9])_([A-Za-z0-9])", lambda m: m.group(1).upper(), key)


class SourceMap:
    """Finds the line and column of any field path in the parsed YAML node tree."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def locate(
        self, path: Sequence[str | int], *, at_key: bool = False
    ) -> tuple[int, int, FieldPath]:
        """(line, column, path as written in the file) of the deepest node found on `path`.

        Keys match in snake_case or camelCase; a key not found points at its parent (where it
        should be added).
        """
        if self.root is None:
            return 1, 1, tuple(path)
        node, mark = self.root, self.root.start_mark
        written: list[str | int] = []
        for depth, part in enumerate(path):
            child = self._child(node, part)
            if child is None:
                written.extend(path[depth:])
                break
            key_node, node = child
            written.append(_written(key_node, part))
            # A block mapping or list starts on the line after its key: point at the key.
            block = isinstance(node, yaml.CollectionNode) and not node.flow_style
            use_key = key_node is not None and (block or (at_key and depth == len(path) - 1))
            mark = key_node.start_mark if use_key and key_node is not None else node.start_mark
        return mark.line + 1, mark.column + 1, tuple(written)

    def path_of(self, target: yaml.Node) -> FieldPath:
        """The field path of a node (a key node gives its key's path)."""
        stack: list[tuple[yaml.Node, FieldPath]] = [(self.root, ())] if self.root else []
        while stack:
            node, path = stack.pop()
            if isinstance(node, yaml.MappingNode):
                for key_node, value in node.value:
                    child = (*path, str(key_node.value))
                    if key_node is target or value is target:
                        return child
                    stack.append((value, child))
            elif isinstance(node, yaml.SequenceNode):
                for index, value in enumerate(node.value):
                    if value is target:
                        return (*path, index)
                    stack.append((value, (*path, index)))
        return ()

    @staticmethod
    def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = None
            for key_node, value in node.value:  # the last match wins, as in the data
                if isinstance(key_node.value, str) and (
                    key_node.value == part or normalize_key(key_node.value) == normalize_key(part)
                ):
                    found = (key_node, value)
            return found
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            return None, node.value[part]
        return None


def _written(key_node: yaml.Node | None, part: str | int) -> str | int:
    return str(key_node.value) if key_node is not None else part


@dataclass(frozen=True)
class ParsedYaml:
    """The data of a YAML file, its node tree and the problems found while reading it."""

    data: Any
    source: SourceMap
    problems: tuple[tuple[int, int, Issue], ...]  # (line, column, issue)


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document; yaml.MarkedYAMLError for syntax errors (with a mark)."""
    loader = RecipeLoader(text)
    try:
        root = loader.get_single_node()
        _check_size(root)
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    source = SourceMap(root)
    problems = tuple(
        (
            p.node.start_mark.line + 1,
            p.node.start_mark.column + 1,
            Issue(source.path_of(p.node), p.message, p.fix, at_key=True),
        )
        for p in sorted(loader.problems, key=lambda p: p.node.start_mark.index)
    )
    return ParsedYaml(data, source, problems)


class YamlTooLargeError(yaml.MarkedYAMLError):
    """The document expands (through aliases) to more values than a recipe can need."""


def _check_size(root: yaml.Node | None) -> None:
    count, stack = 0, [root] if root is not None else []
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise YamlTooLargeError(
                problem=f"the document expands to more than {MAX_NODES} values (aliases?)",
                problem_mark=node.start_mark,
            )
        if isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in node.value for item in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
