"""Safe YAML for recipes: YAML 1.2 scalars, no duplicate keys, bounded size and depth, only
values JSON can carry (finite numbers, real characters), and a map back to line:column.

`parse_yaml` never raises for bad text: syntax errors and values that cannot be read are
problems in its result, each with its line, column and (where there is one) field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml, in PyYAML's wheels: the fast scanner and parser
    from yaml._yaml import CParser

    _LIBYAML = True
except ImportError:  # pragma: no cover - a PyYAML built without it
    _LIBYAML = False

from wisdomgate.errors import FieldPath, Issue, has_surrogates
from wisdomgate.keys import camel_case
from wisdomgate.recipe.yaml_scalars import install_scalars
from wisdomgate.recipe.yaml_source import SourceMap, key_text

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "ParsedYaml",
    "SourceMap",
    "YamlProblem",
    "camel_case",
    "parse_yaml",
]

MAX_NODES = 100_000  # alias expansion cap: a "billion laughs" file stops here, not in memory
# A recipe nests about 8 levels, a JSON schema inside a tool maybe 30. The cap keeps every
# recursive walker (PyYAML's composer, ours, pydantic's, copy.deepcopy) far from Python's limit.
MAX_DEPTH = 64
_SHOWN_PARTS = 8  # of a too-deep field path: where it starts; line:column says where it ends


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalars, duplicate-key detection and a nesting limit.

    YAML 1.1 reads `aspectRatio: 16:9` as the base-60 integer 969, `NO` as false and
    `2025-01-01` as a date; YAML 1.2 (what editors and the JSON Schema assume) reads them as
    text. Recipes are full of ratios, so 1.2 rules are the only safe choice.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._start()

    def _start(self) -> None:
        self.problems: list[YamlProblem] = []
        self._path: list[str | int] = []  # where the composer is, for a too-deep error
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, refusing to nest deeper than MAX_DEPTH (PyYAML recurses here)."""
        part = key_text(index) if isinstance(index, yaml.Node) else index
        self._depth += 1
        if part is not None:
            self._path.append(part)
        try:
            if self._depth > MAX_DEPTH:
                raise self._too_deep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if part is not None:
                self._path.pop()

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        """Refuse `[` or `{` deeper than MAX_DEPTH already in the scanner, which slows down with
        every open flow level (its look-ahead checks each one)."""
        if self.flow_level >= MAX_DEPTH:  # the composer's path is where the value starts
            raise self._too_deep(self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def _too_deep(self, mark: yaml.Mark) -> YamlLimitError:
        return YamlLimitError(
            f"the values nest more than {MAX_DEPTH} levels deep",
            "flatten the structure; a recipe needs far fewer levels",
            tuple(self._path[:_SHOWN_PARTS]),
            mark,
        )

    def construct_scalar(self, node: yaml.Node) -> Any:
        """A scalar's text; a lone surrogate (`"\\ud800"`) is a problem, a valid pair of
        surrogate escapes (as JSON writes characters beyond U+FFFF) is that character."""
        value = super().construct_scalar(node)  # type: ignore[arg-type]
        if isinstance(value, str) and has_surrogates(value):
            try:
                return value.encode("utf-16", "surrogatepass").decode("utf-16")
            except UnicodeDecodeError:
                where = f"at {_surrogate_at(value)}"
                message = f"the text holds a lone surrogate {where}: not a character, not UTF-8"
                fix = "write the character itself, or one escape such as \\U0001F600"
                self.problem(node, message, fix)
        return value

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping; duplicate and non-text keys are recorded (the last value wins)."""
        if not isinstance(node, yaml.MappingNode):  # `!!map text`: super() says what is wrong
            return super().construct_mapping(node, deep=deep)
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` may override keys, that is its purpose
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue  # unhashable: super() stops with a better message (`{{ x }}`)
            if not isinstance(key, str):
                message = f"key {key!r} is not text"
                self.problems.append(YamlProblem(key_node, message, "quote it", fatal=False))
            elif key in seen:
                first = seen[key].start_mark.line + 1
                self.problems.append(
                    YamlProblem(
                        key_node,
                        f"duplicate key {key!r} (first on line {first}); YAML would keep only"
                        " the last one",
                        "remove one of them or merge their contents",
                        fatal=False,
                    )
                )
            if isinstance(key, str):
                seen.setdefault(key, key_node)
        mapping = super().construct_mapping(node, deep=deep)
        return {k if isinstance(k, str) else str(k): v for k, v in mapping.items()}

    def problem(self, node: yaml.Node, message: str, fix: str) -> None:
        """Record a value that cannot be read: the file is reported, not planned."""
        self.problems.append(YamlProblem(node, message, fix, fatal=True))

    def scalar_text(self, node: yaml.Node, tag: str) -> str | None:
        """The text of a scalar node given an explicit tag; None (and a problem) otherwise."""
        if isinstance(node, yaml.ScalarNode):
            return str(self.construct_scalar(node))
        kind = "list" if isinstance(node, yaml.SequenceNode) else "mapping"
        self.problem(node, f"{tag} needs a single value, not a {kind}", f"remove {tag}")
        return None


class _LibyamlEvents(RecipeLoader):
    """RecipeLoader reading its events from libyaml (PyYAML's CParser): the same composer, depth
    limit, resolvers and constructors, ten times faster to scan and parse.

    Only for a text that reads without a problem: parse_yaml reads it again with RecipeLoader
    when anything goes wrong, so every message (and its line:column) is the pure-Python one.
    Not libyaml's own composer: it recurses in C without a limit (a deep text would crash).
    """

    def __init__(self, stream: str) -> None:  # no super(): the Python reader is not used
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self._start()
        self._events = CParser(stream)

    def check_event(self, *choices: Any) -> bool:
        """The Composer's look at the next event, from libyaml."""
        return bool(self._events.check_event(*choices))

    def peek_event(self) -> Any:
        """The next event, left in the stream."""
        return self._events.peek_event()

    def get_event(self) -> Any:
        """The next event, taken from the stream."""
        return self._events.get_event()

    def dispose(self) -> None:
        """Free libyaml's parser state."""
        self._events.dispose()


def _fast_parse(text: str) -> ParsedYaml | None:
    """parse_yaml's result through libyaml for a text without any problem; None otherwise
    (then the pure-Python reader finds and reports them exactly)."""
    if not _LIBYAML:
        return None
    loader = _LibyamlEvents(text)
    try:
        root = loader.get_single_node()
        _check_tree(root)
        data = loader.construct_document(root) if root is not None else None
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    if loader.problems:
        return None
    return ParsedYaml(data, SourceMap(root), ())


def _surrogate_at(text: str) -> str:
    index = next(i for i, ch in enumerate(text) if 0xD800 <= ord(ch) <= 0xDFFF)
    return f"character {index + 1} (\\u{ord(text[index]):04x})"


install_scalars(RecipeLoader)


@dataclass(frozen=True)
class YamlProblem:
    """A problem the YAML layer found at a node: a duplicate or non-text key (the data is
    still usable), or a value that cannot be read (fatal: the data is not)."""

    node: yaml.Node
    message: str
    fix: str
    fatal: bool


class YamlLimitError(yaml.MarkedYAMLError):
    """The document nests too deep or expands to too many values."""

    def __init__(self, message: str, fix: str, path: FieldPath, mark: yaml.Mark) -> None:
        super().__init__(problem=message, problem_mark=mark)
        self.fix = fix
        self.path = path


@dataclass(frozen=True)
class ParsedYaml:
    """The data of a YAML file, its node tree and the problems found while reading it.

    When `fatal`, the file could not be read (a syntax error, a value that does not convert):
    `data` is None and `problems` says why.
    """

    data: Any
    source: SourceMap
    problems: tuple[tuple[int, int, Issue], ...]  # (line, column, issue)
    fatal: bool = False


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document; every problem, syntax errors included, is in the result."""
    fast = _fast_parse(text)
    if fast is not None:
        return fast
    try:
        loader = RecipeLoader(text)  # the reader checks the whole text for control characters
    except yaml.reader.ReaderError as exc:
        return _unreadable(text, exc)
    root: yaml.Node | None = None
    try:
        root = loader.get_single_node()
        _check_tree(root)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        source = SourceMap(root)
        found = _problems(source, loader.problems) if root is not None else []
        return ParsedYaml(None, source, (*found, _failure(exc, source)), fatal=True)
    finally:
        loader.dispose()
    source = SourceMap(root)
    problems = tuple(_problems(source, loader.problems))
    fatal = any(problem.fatal for problem in loader.problems)
    return ParsedYaml(None if fatal else data, source, problems, fatal)


def _problems(source: SourceMap, found: list[YamlProblem]) -> list[tuple[int, int, Issue]]:
    return [
        (
            p.node.start_mark.line + 1,
            p.node.start_mark.column + 1,
            Issue(source.path_of(p.node), p.message, p.fix, at_key=not p.fatal),
        )
        for p in sorted(found, key=lambda p: p.node.start_mark.index)
    ]


def _check_tree(root: yaml.Node | None) -> None:
    """Refuse a tree that aliases make too large or too deep (the text itself is checked as it
    is composed); an alias inside its own anchor is an endless tree."""
    count = 0
    stack: list[tuple[yaml.Node, int, FieldPath]] = [(root, 1, ())] if root is not None else []
    while stack:
        node, depth, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            message = f"the document expands to more than {MAX_NODES} values (aliases?)"
            fix = "use fewer aliases of aliases; a recipe needs far fewer values"
            raise YamlLimitError(message, fix, path, node.start_mark)
        if depth > MAX_DEPTH:
            message = f"aliases nest the values more than {MAX_DEPTH} levels deep"
            fix = "use fewer aliases inside aliases, and none inside its own anchor"
            raise YamlLimitError(message, fix, path[:_SHOWN_PARTS], node.start_mark)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [(key, depth + 1, path), (value, depth + 1, (*path, key_text(key)))]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(value, depth + 1, (*path, i)) for i, value in enumerate(node.value)]


def _failure(exc: yaml.MarkedYAMLError, source: SourceMap) -> tuple[int, int, Issue]:
    """The (line, column, issue) of a YAML error that stopped reading the file."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        problem = f"{problem} ({exc.context}"
        problem += f" on line {exc.context_mark.line + 1})" if exc.context_mark else ")"
    path: FieldPath = ()
    kind, fix = (
        "YAML syntax error",
        "check the indentation and quoting here; quote values containing ': ' or ' #'",
    )
    if isinstance(exc, YamlLimitError):
        kind, fix, path = "YAML error", exc.fix, exc.path
    elif isinstance(exc, yaml.constructor.ConstructorError):  # read, but not a usable value
        kind, fix = "YAML error", "write a value of the kind its tag names, or remove the tag"
        path = source.path_at(mark.index) if mark else ()
        if "unhashable key" in problem:  # `prompt: {{ x }}`: a mapping inside a mapping
            kind, fix = (
                "YAML syntax error",
                'quote values that start with {{, e.g. prompt: "{{ subject }}"',
            )
        elif "merg" in problem:
            fix = "merge a mapping: `<<: *base` or `<<: [*a, *b]`"
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return line, column, Issue(path, f"{kind}: {problem}", fix)


def _unreadable(text: str, exc: yaml.reader.ReaderError) -> ParsedYaml:
    """A character YAML does not allow (a control character): its line, column and field."""
    position = exc.position
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    code = exc.character if isinstance(exc.character, int) else 0
    message = f"the file holds the non-printable character U+{code:04X}, which YAML does not allow"
    fix = f"remove it, or write it as the escape \\x{code:02x} inside double quotes"
    if code > 0xFF:
        fix = f"remove it, or write it as the escape \\u{code:04x} inside double quotes"
    # Blank out such characters to find the field it is in; a text that still fails has none.
    source = SourceMap(None)
    try:
        loader = RecipeLoader(yaml.reader.Reader.NON_PRINTABLE.sub(" ", text))
        try:
            source = SourceMap(loader.get_single_node())
        finally:
            loader.dispose()
    except yaml.YAMLError:
        pass
    issue = Issue(source.path_at(position), message, fix)
    return ParsedYaml(None, source, ((line, column, issue),), fatal=True)
