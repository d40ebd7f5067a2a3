"""From a recipe's YAML node tree back to the place in the file: line:column and field paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import yaml

from wisdomgate.errors import FieldPath
from wisdomgate.keys import camel_case

__all__ = ["SourceMap"]


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
        seen: set[int] = set()  # aliases may make the tree a graph, even a cyclic one
        while stack:
            node, path = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            for key_node, value, child in _children(node, path):
                if key_node is target or value is target:
                    return child
                stack.append((value, child))
        return ()

    def path_at(self, index: int) -> FieldPath:
        """The field path of the deepest node whose text holds the character at `index`."""
        node, path = self.root, cast(FieldPath, ())
        for _ in range(1000):  # an alias inside its own anchor holds itself: stop somewhere
            if node is None:
                break
            inner = next(
                (
                    (key_node, value, child)
                    for key_node, value, child in _children(node, path)
                    if _holds(value, index) or (key_node is not None and _holds(key_node, index))
                ),
                None,
            )
            if inner is None:
                break
            key_node, value, child = inner
            if key_node is not None and _holds(key_node, index):
                return child if isinstance(key_node, yaml.ScalarNode) else path
            node, path = value, child
        return path

    @staticmethod
    def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = None
            for key_node, value in node.value:  # the last match wins, as in the data
                if isinstance(key_node.value, str) and (
                    key_node.value == part or camel_case(key_node.value) == camel_case(part)
                ):
                    found = (key_node, value)
            return found
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            return None, node.value[part]
        return None


def _children(
    node: yaml.Node, path: FieldPath
) -> list[tuple[yaml.Node | None, yaml.Node, FieldPath]]:
    """(key node or None, value node, value's path) of a collection node's items."""
    if isinstance(node, yaml.MappingNode):
        return [(key, value, (*path, key_text(key))) for key, value in node.value]
    if isinstance(node, yaml.SequenceNode):
        return [(None, value, (*path, index)) for index, value in enumerate(node.value)]
    return []


def key_text(key_node: yaml.Node) -> str:
    """A mapping key as a field path part (a non-scalar key has no usable text)."""
    return str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"


def _holds(node: yaml.Node, index: int) -> bool:
    return bool(node.start_mark.index <= index < node.end_mark.index)


def _written(key_node: yaml.Node | None, part: str | int) -> str | int:
    return str(key_node.value) if key_node is not None else part
