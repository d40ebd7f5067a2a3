"""Jinja2's SandboxedEnvironment with a budget (template_budget.py) for the work of a render.

Every parsed template is rewritten before it is compiled, so that its code charges the budget:
each `for` loop's iterable counts its items, each `{{ }}` and piece of text counts what it
writes, `~` measures its parts before joining them and a slice counts the copy it makes. The
operators that multiply (`*`, `**`, `%`, `+`), calls and filters are checked in the
environment's hooks. Templates render the same as in Jinja's own sandbox, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import update_wrapper
from typing import Any, Final

from jinja2 import Template, nodes, pass_context
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from wisdomgate.recipe.template_budget import (
    Budget,
    check_value,
    refuse_size,
    spec_width,
    text_size,
    tick,
)
from wisdomgate.recipe.template_guards import check_binop, check_call, guard_filters

__all__ = ["BudgetedEnvironment"]

# The rewritten code calls these filters; a template cannot name them (they are no identifiers).
_LOOP: Final = "wisdomgate:loop"
_WRITE: Final = "wisdomgate:write"
_CONCAT: Final = "wisdomgate:concat"
_SLICE: Final = "wisdomgate:slice"


class BudgetedEnvironment(SandboxedEnvironment):
    """A sandbox whose templates render within a budget of work, size and time."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # lipsum(n=10**9) writes gigabytes in one call; a prompt has no use for it.
        self.globals.pop("lipsum", None)
        guard_filters(self)
        self.filters.update(
            {
                _LOOP: _counted,
                _WRITE: _written,
                _CONCAT: _concat,
                _SLICE: _sliced,
            }
        )

    def render(
        self, template: Template, variables: Mapping[str, Any], seconds: float | None = None
    ) -> str:
        """The template rendered with variables; TemplateBudgetError when it goes over (seconds:
        the deadline, MAX_SECONDS when None)."""
        with Budget(seconds).active():
            # What the template writes is counted (and refused) while it writes it.
            return template.render(variables)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # The one place every template's tree passes before it is compiled (and from_string
        # calls it too), so no template escapes the rewriting.
        tree = _Budgeting(self, name).visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree  # type: ignore[no-any-return]

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """`left <operator> right`, refused before it makes a value over the budget."""
        tick()
        check_binop(operator, left, right)
        return check_value(f"'{operator}'", super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """A call from a template: counted, its arguments and result checked."""
        budget = Budget.current()
        budget.call()
        if isinstance(obj, LoopContext) and args:  # loop(children) in a recursive loop
            args = (_Counted(args[0], budget), *args[1:])
        args = check_call(obj, args, kwargs)
        what = f"calling '{getattr(obj, '__name__', type(obj).__name__)}'"
        return check_value(what, super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """str.format and format_map, sandboxed as Jinja does, with a size budget."""
        if super().wrap_str_format(value) is None:  # not a str's format method
            return None
        text: str = value.__self__
        is_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:  # the checks and messages of Jinja's own wrapper
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                mapping = args[0]
                args, kwargs = (), mapping
            formatter: SandboxedFormatter = (
                _EscapeFormatter(self, escape=text.escape)
                if isinstance(text, Markup)
                else _Formatter(self)
            )
            return type(text)(formatter.vformat(text, args, kwargs))

        return update_wrapper(wrapper, value)


class _Formatter(SandboxedFormatter):
    """Jinja's sandboxed str.format that refuses, field by field, to make too long a text."""

    size = 0

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None:  # !r and !s write the whole value
            refuse_size("str.format", text_size(value))
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        self.size += text_size(value) + spec_width(format_spec)
        refuse_size("str.format", self.size)
        tick()
        return super().format_field(value, format_spec)


class _EscapeFormatter(_Formatter, SandboxedEscapeFormatter):
    """The same for Markup.format, which escapes its fields."""


class _Counted:
    """An iterable whose every item is one iteration of the render's loop budget."""

    __slots__ = ("_budget", "_items")

    def __init__(self, items: Iterable[Any], budget: Budget) -> None:
        self._items = items
        self._budget = budget

    def __iter__(self) -> Iterator[Any]:
        for item in self._items:
            self._budget.iterate()
            yield item

    def __len__(self) -> int:  # loop.length and loop.last use it when the items have one
        return len(self._items)  # type: ignore[arg-type]


# pass_context: Jinja never folds these at compile time; they must run, and charge, each render.
@pass_context
def _counted(context: Context, items: Iterable[Any]) -> _Counted:
    return _Counted(items, Budget.current())


@pass_context
def _written(context: Context, value: Any, constant: int = 0) -> Any:
    # `constant`: what the same {{ }} or text writes in constants, which run no code.
    Budget.current().emit(text_size(value) + constant)
    return value


@pass_context
def _concat(context: Context, parts: tuple[Any, ...], join: str) -> str:
    total = 0
    for part in parts:
        total += text_size(part)
        refuse_size("'~'", total)
    joined: str
    if join == "volatile":  # what Jinja's own code for `~` decides at run time
        joined = (markup_join if context.eval_ctx.volatile else str_join)(parts)
    else:
        joined = (markup_join if join == "markup" else str_join)(parts)
    Budget.current().check_time()
    check_value("'~'", joined)
    return joined


@pass_context
def _sliced(context: Context, value: Any) -> Any:
    # Slices bypass the sandbox's getitem; each one is a new value (a copy), to be counted.
    Budget.current().check_time()
    return check_value("a slice", value)


class _Budgeting(NodeTransformer):
    """Rewrites a template tree so that its code charges the budget (see the module doc).

    An expression Jinja can compute at compile time (from constants) stays as it is: Jinja folds
    it into a constant, bounded because filters refuse to fold large values, and whether it
    folds decides some results inside {% autoescape %} blocks. To know, this follows the
    compiler's evaluation context through autoescape blocks and blocks.
    """

    def __init__(self, env: BudgetedEnvironment, name: str | None) -> None:
        self.env = env
        self.name = name
        self.ctx = nodes.EvalContext(env, name)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if isinstance(node, nodes.Expr) and self._constant(node):
            return node
        return super().visit(node, *args, **kwargs)

    def _constant(self, node: nodes.Expr) -> list[Any]:
        """[the value] when the compiler can fold the expression, else []."""
        try:
            return [node.as_const(self.ctx)]
        except Exception:  # as the compiler: any failure means "compute it at render time"
            return []

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        children: list[nodes.Expr] = []
        written: list[nodes.Filter] = []
        constant = 0  # the compiler writes these as constants; they are charged at render time
        for child in node.nodes:
            folded = self._constant(child)
            if folded:
                children.append(child)
                constant += text_size(folded[0])
            else:
                written.append(_filter(self.visit(child), _WRITE))
                children.append(written[-1])
        if constant and not written:  # something must run to charge them: write "" too
            written.append(_filter(nodes.Const("", lineno=node.lineno), _WRITE))
            children.append(written[-1])
        if constant:
            written[0].args.append(nodes.Const(constant, lineno=node.lineno))
        node.nodes = children
        return node

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, _LOOP)  # type: ignore[arg-type]  # For.iter is a Node
        return node

    def visit_FilterBlock(self, node: nodes.FilterBlock) -> nodes.Node:
        # {% filter %} writes the filtered text directly, not through an Output node.
        self.generic_visit(node)
        node.filter = _filter(node.filter, _WRITE)
        return node

    def visit_Getitem(self, node: nodes.Getitem) -> nodes.Node:
        self.generic_visit(node)
        return _filter(node, _SLICE) if isinstance(node.arg, nodes.Slice) else node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        # The join Jinja's compiler would choose here for `~`.
        join = "volatile" if self.ctx.volatile else "markup" if self.ctx.autoescape else "str"
        parts = nodes.Tuple(node.nodes, "load", lineno=node.lineno)
        return _filter(parts, _CONCAT, nodes.Const(join, lineno=node.lineno))

    def visit_ScopedEvalContextModifier(self, node: nodes.ScopedEvalContextModifier) -> Any:
        # What the compiler does to its evaluation context for {% autoescape %}.
        saved = self.ctx.save()
        for keyword in node.options:
            keyword.value = self.visit(keyword.value)
            try:
                setattr(self.ctx, keyword.key, keyword.value.as_const(self.ctx))
            except nodes.Impossible:
                self.ctx.volatile = True
        node.body = [self.visit(child) for child in node.body]
        self.ctx.revert(saved)
        return node

    def visit_Block(self, node: nodes.Block) -> Any:
        # A block compiles as a function of its own, with a fresh evaluation context.
        saved, self.ctx = self.ctx, nodes.EvalContext(self.env, self.name)
        self.generic_visit(node)
        self.ctx = saved
        return node


def _filter(node: nodes.Expr, name: str, *args: nodes.Expr) -> nodes.Filter:
    return nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)
