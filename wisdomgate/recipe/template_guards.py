"""Checks that refuse an operator, method or filter of a template before it makes a value over
the budget (template_budget.py): `"x" * 10**9`, `10 ** 10 ** 10`, `"%0999999999d" % 1`,
`"x".ljust(10**9)`, `"x" | center(10**9)` and the like.

Values a template holds stay under MAX_SIZE, so only operations that multiply need an estimate
first; everything else is checked after the fact with check_value.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sized
from typing import Any, Final

from jinja2 import Environment
from jinja2.filters import make_attrgetter

from wisdomgate.recipe.template_budget import (
    MAX_INT_BITS,
    MAX_LOOP_ITERATIONS,
    MAX_SIZE,
    TemplateBudgetError,
    check_bits,
    check_number,
    check_value,
    percent_size,
    refuse_size,
    show,
    text_size,
    tick,
)

__all__ = ["check_binop", "check_call", "guard_filters"]

_SEQUENCES: Final = (str, bytes, list, tuple)
_MAX_PRECISION: Final = MAX_INT_BITS * 3 // 10  # round() computes 10**precision
_MAX_SUM_COPIES: Final = 100 * MAX_SIZE  # sum(start=[]) copies the partial sum at every term

Args = tuple[Any, ...]
Kwargs = dict[str, Any]


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse `left <operator> right` when its result would be over the budget."""
    what = f"'{operator}'"
    if operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            check_bits(what, left.bit_length() + right.bit_length())
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, _SEQUENCES) and isinstance(times, int):
                refuse_size(what, len(sequence) * max(times, 0))
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            # log2 of the result; an exponent too large for a float is far over anyway
            check_bits(what, right * math.log2(abs(left)) if right < 2**64 else math.inf)
    elif operator == "%":
        if isinstance(left, str | bytes):
            fmt = left if isinstance(left, str) else left.decode("latin-1")
            refuse_size(what, percent_size(fmt, right))
    elif operator == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        refuse_size(what, len(left) + len(right))


def check_call(obj: Any, args: Args, kwargs: Kwargs) -> Args:
    """Refuse a call of a built-in method that would make a value over the budget; the
    arguments to call it with (an iterator argument becomes a list, to be measured)."""
    receiver = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", None)
    what = f"method '{name}'"
    if isinstance(receiver, str | bytes):
        return _text_method(receiver, str(name), what, args, kwargs)
    if isinstance(receiver, list | set | dict):
        return _container_method(receiver, str(name), what, args, kwargs)
    if isinstance(receiver, int) and name == "to_bytes":
        check_number(f"{what} length", args[0] if args else kwargs.get("length", 1))
    return args


def _text_method(text: str | bytes, name: str, what: str, args: Args, kwargs: Kwargs) -> Args:
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        refuse_size(what, max(len(text), args[0]))
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(size, int):
            tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
            refuse_size(what, len(text) + tabs * max(size, 0))
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        refuse_size(what, replaced_size(text, args[0], args[1], count))
    elif name == "join" and args:
        parts = args[0] if isinstance(args[0], list | tuple) else _listed(args[0])
        size = sum(len(part) for part in parts if isinstance(part, str | bytes))
        refuse_size(what, size + len(text) * max(len(parts) - 1, 0))
        return (parts, *args[1:])
    elif name == "translate" and args:
        refuse_size(what, len(text) * _longest(args[0]))
    return args


def _container_method(receiver: Sized, name: str, what: str, args: Args, kwargs: Kwargs) -> Args:
    if name in ("append", "insert", "add", "setdefault"):
        refuse_size(what, len(receiver) + 1)
    elif name in ("extend", "update"):
        args = tuple(arg if isinstance(arg, Sized) else _listed(arg) for arg in args)
        refuse_size(what, len(receiver) + sum(len(arg) for arg in args) + len(kwargs))
    return args


def replaced_size(text: Any, old: Any, new: Any, count: Any) -> int:
    """About len(text.replace(old, new, count)) for a str or bytes text; len(text) when the
    call is going to fail."""
    kind = str if isinstance(text, str) else bytes
    if not (isinstance(old, kind) and isinstance(new, kind)):
        return len(text)
    hits: int = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _longest(table: Any) -> int:
    """The longest replacement a str.translate table holds (1 for tables of characters)."""
    if isinstance(table, dict):
        values = list(table.values())
    elif isinstance(table, list | tuple):
        values = list(table)
    else:
        return 1  # a string as the table maps code points to single characters
    return max((len(v) for v in values if isinstance(v, str | bytes)), default=1)


def _listed(items: Any) -> list[Any]:
    """An iterable as a list (iterating more than MAX_SIZE items is refused on the way)."""
    listed = []
    for item in items:
        listed.append(item)
        if len(listed) > MAX_SIZE:
            refuse_size("listing the items", len(listed))
    return listed


# ---------------------------------------------------------------- filters

FilterCheck = Callable[[Environment, str, Args, Kwargs], Args]


def guard_filters(env: Environment) -> None:
    """Replace each of env's filters with one that checks the deadline and its arguments."""
    for name, func in list(env.filters.items()):
        env.filters[name] = _guarded(env, name, func)


def _guarded(env: Environment, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    check = _CHECKS.get(name, _text if name in _TEXT_FILTERS else None)
    # Filters marked pass_context (and the like) get that first; wraps copies the mark.
    lead = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    what = f"filter '{name}'"

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        tick()
        if check is not None and len(args) > lead:
            args = (*args[:lead], *check(env, what, args[lead:], kwargs))
        return check_value(what, func(*args, **kwargs))

    return guarded


def _arg(args: Args, kwargs: Kwargs, index: int, name: str, default: Any = None) -> Any:
    """A filter's argument by position (value first) or by name."""
    return args[index] if len(args) > index else kwargs.get(name, default)


def _text(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    """A filter that turns its value into text: the text may not be over the budget."""
    refuse_size(what, text_size(args[0]))
    return args


def _as_text(what: str, value: Any) -> str:
    refuse_size(what, text_size(value))
    return value if isinstance(value, str) else str(value)


def _center(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    width = _arg(args, kwargs, 1, "width", 80)
    check_number(f"{what} width", width)
    refuse_size(what, max(text_size(args[0]), width if isinstance(width, int) else 0))
    return args


def _indent(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    width = _arg(args, kwargs, 1, "width", 4)
    check_number(f"{what} width", width)
    size = text_size(args[0])
    lines = args[0].count("\n") + 1 if isinstance(args[0], str) else size + 1
    step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    refuse_size(what, size + lines * max(step, 0))
    return args


def _wordwrap(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    width = _arg(args, kwargs, 1, "width", 79)
    check_number(f"{what} width", width)
    text = _as_text(what, args[0])
    wrap = _arg(args, kwargs, 3, "wrapstring", None)
    joint = len(wrap) if isinstance(wrap, str) else 1
    if isinstance(width, int):
        lines = len(text) // max(width, 1) + text.count("\n") + 1
        if lines > MAX_LOOP_ITERATIONS:  # textwrap makes them one by one, in Python
            raise TemplateBudgetError(
                f"{what} would make about {show(lines)} lines,"
                f" over the limit of {MAX_LOOP_ITERATIONS}",
                "wrap at a larger width, or wrap less text",
            )
        refuse_size(what, len(text) + lines * joint)
    return args


def _numbers(*params: tuple[int, str, int]) -> FilterCheck:
    """A check that the filter's numeric arguments (position, name, limit) are in bounds."""

    def check(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
        for index, name, limit in params:
            check_number(f"{what} {name}", _arg(args, kwargs, index, name), limit)
        return args

    return check


def _urlize(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    check_number(f"{what} trim_url_limit", _arg(args, kwargs, 1, "trim_url_limit"))
    text = _as_text(what, args[0])
    extra = sum(len(_as_text(what, _arg(args, kwargs, i, n) or "")) for i, n in _URL_ATTRS)
    # Each word that may be a link or address is written twice, inside <a href=...>.
    links = [word for word in text.split() if "." in word or "@" in word or ":" in word]
    refuse_size(what, len(text) + sum(map(len, links)) + len(links) * (64 + extra))
    return args


_URL_ATTRS: Final = ((3, "target"), (4, "rel"))


def _format(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    refuse_size(what, percent_size(_as_text(what, args[0]), kwargs or args[1:]))
    return args


def _replace(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    old, new = _arg(args, kwargs, 1, "old"), _arg(args, kwargs, 2, "new")
    if old is not None and new is not None:
        text, old, new = (_as_text(what, value) for value in (args[0], old, new))
        count = _arg(args, kwargs, 3, "count", None)
        refuse_size(what, replaced_size(text, old, new, -1 if count is None else count))
    return args


def _join(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    items = args[0] if isinstance(args[0], list | tuple) else _listed(args[0])
    attribute = _arg(args, kwargs, 2, "attribute")
    parts = map(make_attrgetter(env, attribute), items) if attribute is not None else items
    joint = len(_as_text(what, _arg(args, kwargs, 1, "d", "")))
    total = joint * max(len(items) - 1, 0)
    for part in parts:  # stop early: each part may be large, and there may be many
        total += text_size(part)
        refuse_size(what, total)
    return (items, *args[1:])


def _sum(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    start = _arg(args, kwargs, 2, "start", 0)
    if isinstance(start, int | float):
        return args
    items = _listed(args[0])
    attribute = _arg(args, kwargs, 1, "attribute")
    terms = list(map(make_attrgetter(env, attribute), items)) if attribute is not None else items
    total = sum(len(term) for term in [start, *terms] if isinstance(term, Sized))
    refuse_size(what, total)
    if len(terms) * total > _MAX_SUM_COPIES:
        raise TemplateBudgetError(
            f"{what} would copy about {len(terms) * total} items,"
            f" over the limit of {_MAX_SUM_COPIES}",
            "join the lists with a loop instead of sum(start=...)",
        )
    return (items, *args[1:])


def _tojson(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    indent = _arg(args, kwargs, 1, "indent", 0)
    check_number(f"{what} indent", indent)
    step = len(indent) if isinstance(indent, str) else indent if isinstance(indent, int) else 0
    refuse_size(what, text_size(args[0], indent=max(step, 0) + 1))
    return args


def _pprint(env: Environment, what: str, args: Args, kwargs: Kwargs) -> Args:
    refuse_size(what, text_size(args[0], indent=2))
    return args


_CHECKS: Final[dict[str, FilterCheck]] = {
    "batch": _numbers((1, "linecount", MAX_SIZE)),
    "center": _center,
    "format": _format,
    "indent": _indent,
    "join": _join,
    "pprint": _pprint,
    "replace": _replace,
    "round": _numbers((1, "precision", _MAX_PRECISION)),
    "slice": _numbers((1, "slices", MAX_LOOP_ITERATIONS)),
    "sum": _sum,
    "tojson": _tojson,
    "truncate": _numbers((1, "length", MAX_SIZE), (4, "leeway", MAX_SIZE)),
    "urlize": _urlize,
    "wordwrap": _wordwrap,
}
# Filters that make text of their value (a list's text may be far larger than the list).
_TEXT_FILTERS: Final = frozenset(
    {
        *("capitalize", "e", "escape", "forceescape", "lower", "safe", "string", "striptags"),
        *("title", "trim", "upper", "urlencode", "wordcount", "xmlattr"),
    }
)
