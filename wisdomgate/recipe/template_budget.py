"""The work one recipe field's template may do while it renders: the limits and their counters.

Jinja2's sandbox keeps templates away from Python internals but bounds no work: a few nested
loops or one `"x" * 10**9` hang or exhaust validation. Every render gets a fresh Budget; the
budgeted environment (template_sandbox.py) charges it and refuses, with a TemplateBudgetError,
anything that would go over. The limits are far above what a prompt needs.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import chain
from typing import Any, Final

from jinja2.utils import Namespace

__all__ = [
    "MAX_CALLS",
    "MAX_FOLDED",
    "MAX_INT_BITS",
    "MAX_LOOP_ITERATIONS",
    "MAX_MADE",
    "MAX_OUTPUT",
    "MAX_SECONDS",
    "MAX_SIZE",
    "Budget",
    "TemplateBudgetError",
    "check_number",
    "check_value",
    "percent_size",
    "refuse_size",
    "spec_width",
    "text_size",
    "tick",
]

MAX_LOOP_ITERATIONS: Final = 100_000  # all loops of one render together, recursive loops too
MAX_CALLS: Final = 100_000  # calls of macros, methods and functions in one render
MAX_OUTPUT: Final = 1_000_000  # characters one render writes, text captured by set/macros too
MAX_SIZE: Final = 1_000_000  # characters of a string, items of a list, a width or count argument
# Characters and items of all strings and lists one render makes (the values a loop keeps in a
# list would add up unseen otherwise: 100000 appends of a new 1 MB string are 100 GB).
MAX_MADE: Final = 100 * MAX_SIZE
MAX_FOLDED: Final = 10_000  # characters of a constant Jinja may compute at compile time
MAX_INT_BITS: Final = 10_000  # about 3000 digits; Python itself prints at most 4300
MAX_SECONDS: Final = 3.0  # the backstop for work no counter sees

_SIMPLIFY = "simplify the template"
_ACTIVE: ContextVar[Budget | None] = ContextVar("wisdomgate_template_budget", default=None)


class TemplateBudgetError(Exception):
    """A template went over its budget: what went over, and how to fix the template."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


class Budget:
    """What one render has used so far; each charge past a limit raises TemplateBudgetError."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = MAX_SECONDS if seconds is None else seconds  # read now: tests may raise it
        self.deadline = time.monotonic() + self.seconds
        self.iterations = 0
        self.calls = 0
        self.output = 0
        self.made = 0

    @contextmanager
    def active(self) -> Iterator[Budget]:
        """Make this the budget that the template code running inside the block charges."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    @staticmethod
    def current() -> Budget:
        """The active budget; budgeted templates render only inside `Budget.active()`."""
        budget = _ACTIVE.get()
        if budget is None:
            raise RuntimeError("a budgeted template renders only inside Budget.active()")
        return budget

    def iterate(self) -> None:
        """Charge one loop iteration."""
        self.iterations += 1
        if self.iterations > MAX_LOOP_ITERATIONS:
            raise TemplateBudgetError(
                f"loops ran more than {MAX_LOOP_ITERATIONS} iterations",
                f"{_SIMPLIFY}; loops may run at most {MAX_LOOP_ITERATIONS} iterations in all",
            )
        self.check_time()

    def call(self) -> None:
        """Charge one call of a macro, method or function."""
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise TemplateBudgetError(
                f"more than {MAX_CALLS} calls of macros, methods and functions",
                f"{_SIMPLIFY}; it may make at most {MAX_CALLS} calls in all"
                " (a macro that calls itself counts every time)",
            )
        self.check_time()

    def emit(self, size: int) -> None:
        """Charge `size` characters of written text."""
        self.output += size
        if self.output > MAX_OUTPUT:
            raise TemplateBudgetError(
                f"the template writes more than {MAX_OUTPUT} characters",
                f"{_SIMPLIFY}; a field may render at most {MAX_OUTPUT} characters"
                " (text captured by set blocks and macros included)",
            )

    def make(self, size: int) -> None:
        """Charge a new string or collection of `size` characters or items."""
        self.made += size
        if self.made > MAX_MADE:
            raise TemplateBudgetError(
                f"the template makes more than {MAX_MADE} characters and items of strings"
                " and lists in all",
                f"{_SIMPLIFY}; it may make at most {MAX_MADE} characters and items in all"
                " (every new string or list counts, also those it does not write)",
            )

    def check_time(self) -> None:
        """Refuse to go on past the deadline."""
        if time.monotonic() > self.deadline:
            raise TemplateBudgetError(
                f"rendering took more than {self.seconds:g} seconds",
                f"{_SIMPLIFY}; a field may take at most {self.seconds:g} seconds to render",
            )


def tick() -> None:
    """Check the active render's deadline; there is none while Jinja folds constants."""
    budget = _ACTIVE.get()
    if budget is not None:
        budget.check_time()


def refuse_size(what: str, size: int, limit: int = MAX_SIZE) -> None:
    """Refuse to make a value of `size` characters or items when that is over `limit`."""
    if size > limit:
        raise TemplateBudgetError(
            f"{what} would make a value of about {show(size)} characters or items,"
            f" over the limit of {limit}",
            f"{_SIMPLIFY}; a string or list may have at most {limit} characters or items",
        )


def check_number(what: str, value: object, limit: int = MAX_SIZE) -> None:
    """Refuse an integer argument (a width, length or count) over `limit` in size."""
    if isinstance(value, int) and abs(value) > limit:
        raise TemplateBudgetError(
            f"{what} is {show(value)}, over the limit of {limit}",
            f"use a number of at most {limit}",
        )


def check_bits(what: str, bits: float) -> None:
    """Refuse to make an integer of more than MAX_INT_BITS bits."""
    if bits > MAX_INT_BITS:
        raise TemplateBudgetError(
            f"{what} would make an integer of more than {MAX_INT_BITS} bits",
            f"use smaller numbers; an integer may have at most {MAX_INT_BITS} bits"
            f" (about {MAX_INT_BITS * 3 // 10} digits)",
        )


def check_value(what: str, value: Any) -> Any:
    """The value, unless it is a string or collection over MAX_SIZE (a check after the fact),
    charged to the active render's budget of values made."""
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        refuse_size(what, len(value))
        budget = _ACTIVE.get()
        if budget is not None:
            budget.make(len(value))
        else:  # Jinja folding a constant at compile time: a large one waits for the render
            refuse_size(what, len(value), MAX_FOLDED)
    return value


def show(number: int) -> str:
    """A number for a message (str() refuses integers of more than 4300 digits)."""
    return str(number) if number.bit_length() <= 64 else f"about 2**{number.bit_length()}"


_END: Final = object()


def text_size(value: object, indent: int = 0, limit: int = MAX_SIZE) -> int:
    """About len(str(value)), without building the text; `indent` more per item and nesting
    level (as JSON indenting adds). Counting stops soon after `limit`, so cycles end too."""
    if isinstance(value, str):
        return len(value)
    children = _children(value)
    if children is None:
        return _scalar_size(value)
    total = 4
    stack = [children]
    while stack and total <= limit:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        total += indent * len(stack)
        inner = _children(item)
        if inner is None:
            total += _scalar_size(item)
        else:
            total += 4  # brackets and the separator
            stack.append(inner)
    return total


def _scalar_size(item: object) -> int:
    """The characters of one value in a container's text: quotes, digits, the separator."""
    if isinstance(item, str | bytes | bytearray):
        return len(item) + 4
    if isinstance(item, bool) or item is None:
        return 7
    if isinstance(item, int):
        return item.bit_length() * 3 // 10 + 3
    if isinstance(item, float):
        return 26
    return 64  # the repr of a range, macro, loop or generator is short


def _children(item: object) -> Iterator[object] | None:
    """What a container's text shows of its contents; None for everything else."""
    if isinstance(item, str | int | float) or item is None:
        return None  # the common case, first
    if isinstance(item, list | tuple | set | frozenset | deque):
        return iter(item)
    if isinstance(item, Mapping):
        return chain.from_iterable(item.items())
    if isinstance(item, Namespace):
        return chain.from_iterable(object.__getattribute__(item, "_Namespace__attrs").items())
    return None


# A printf-style conversion: %(key)flags width .precision length type
_PERCENT = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d*))?"
    r"[hlL]?(?P<kind>.)",
    re.DOTALL,
)


def percent_size(fmt: str, values: object) -> int:
    """About len(fmt % values), without building it: widths, precisions and the values' text."""
    positional = list(values) if isinstance(values, tuple) else [values]
    mapping = values if isinstance(values, Mapping) else None
    total, index = len(fmt), 0
    for spec in _PERCENT.finditer(fmt):
        if spec["kind"] == "%":
            continue
        for part in (spec["width"], spec["precision"]):
            if part == "*":  # the width or precision is the next value
                star = positional[index] if index < len(positional) else 0
                index += 1
                total += abs(star) if isinstance(star, int) else 0
            elif part:
                total += _number(part)
        if spec["key"] is not None and mapping is not None:
            value = mapping.get(spec["key"])
        else:
            value = positional[index] if index < len(positional) else None
            index += 1
        # %f writes every digit of a float: up to 309 of them before the point
        total += text_size(value) + (320 if spec["kind"] in "fF" else 0)
        if total > MAX_SIZE:
            break
    return total


def spec_width(spec: str) -> int:
    """The widths and precisions a str.format spec asks for (`>80`, `.3f`, `0999999999d`)."""
    return sum(_number(run) for run in re.findall(r"\d+", spec))


def _number(digits: str) -> int:
    """The number a run of digits spells, capped (int() refuses more than 4300 digits)."""
    return int(digits) if len(digits) <= 12 else 10**12
