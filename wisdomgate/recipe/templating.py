"""Jinja2 templates in recipe text fields: sandboxed, strict, checked before any request."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, NamedTuple

import jinja2
from jinja2 import StrictUndefined, meta

from wisdomgate.errors import FieldPath, Issue
from wisdomgate.recipe.issues import did_you_mean
from wisdomgate.recipe.template_budget import TemplateBudgetError
from wisdomgate.recipe.template_sandbox import BudgetedEnvironment

__all__ = ["TURN_FIELDS", "Renderer"]

TURN_FIELDS = "prompt, images, config and expect of a turn"
_MARKERS = ("{{", "{%", "{#")
_RECURSION = (
    "template error: recursion too deep (a macro or a recursive loop that calls itself"
    " without end?)"
)


class _Unparsable(NamedTuple):
    """Why a template cannot be compiled, and the fix."""

    message: str
    fix: str


@cache
def _environment() -> BudgetedEnvironment:
    """The one sandbox every Renderer compiles with: it holds no state of a recipe or a render
    (the budget is per render), and building it (its guarded filters) costs more than a recipe.
    """
    # autoescape off: prompts are plain text, not HTML. StrictUndefined: a typo in a variable
    # name must fail validation instead of silently rendering as "". The budget: a recipe's
    # template must not hang validation or exhaust its memory.
    return BudgetedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


class Renderer:
    """Renders recipe strings; every problem becomes an Issue, never an exception."""

    def __init__(self) -> None:
        self.env = _environment()
        self._parsed: dict[str, tuple[jinja2.Template, frozenset[str]] | _Unparsable] = {}

    def names_in(self, text: str) -> frozenset[str]:
        """The variables a template refers to (none for plain text or a syntax error)."""
        if not any(marker in text for marker in _MARKERS):
            return frozenset()
        parsed = self._parse(text)
        return frozenset() if isinstance(parsed, _Unparsable) else parsed[1]

    def names_in_tree(self, value: Any) -> frozenset[str]:
        """The variables the templates inside nested dicts and lists refer to (keys left alone)."""
        if isinstance(value, str):
            return self.names_in(value)
        items = (
            value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        )
        return frozenset().union(*(self.names_in_tree(item) for item in items))

    def render(
        self, text: str, variables: Mapping[str, str], path: FieldPath
    ) -> tuple[str, list[Issue]]:
        """The rendered text (the input itself on errors) and the problems found."""
        if not any(marker in text for marker in _MARKERS):
            return text, []
        parsed = self._parse(text)
        if isinstance(parsed, _Unparsable):
            return text, [Issue(path, parsed.message, parsed.fix)]
        template, names = parsed
        missing = sorted(names - set(variables))
        if missing:
            return text, [self._undefined(name, variables, path) for name in missing]
        try:
            return self.env.render(template, variables), []
        except TemplateBudgetError as exc:
            return text, [Issue(path, f"template error: {exc.message}", exc.fix)]
        except RecursionError:
            return text, [Issue(path, _RECURSION, "give the recursion a condition that ends it")]
        except Exception as exc:  # a user's template may fail in any way; never a traceback
            return text, [Issue(path, f"template error: {exc}", "fix the expression in {{ }}")]

    def render_tree(
        self, value: Any, variables: Mapping[str, str], path: FieldPath
    ) -> tuple[Any, list[Issue]]:
        """Render every string inside nested dicts and lists (keys are left alone)."""
        if isinstance(value, str):
            return self.render(value, variables, path)
        issues: list[Issue] = []
        if isinstance(value, dict):
            rendered: dict[str, Any] = {}
            for key, item in value.items():
                rendered[key], found = self.render_tree(item, variables, (*path, key))
                issues += found
            return rendered, issues
        if isinstance(value, list):
            items = []
            for index, item in enumerate(value):
                new, found = self.render_tree(item, variables, (*path, index))
                items.append(new)
                issues += found
            return items, issues
        return value, []

    def _parse(self, text: str) -> tuple[jinja2.Template, frozenset[str]] | _Unparsable:
        if text not in self._parsed:
            try:
                tree = self.env.parse(text)  # parsed (and rewritten for the budget) once
                names = frozenset(meta.find_undeclared_variables(tree))
                self._parsed[text] = (self.env.from_string(tree), names)
            except jinja2.TemplateSyntaxError as exc:
                self._parsed[text] = _Unparsable(
                    f"template syntax error: {exc.message} (template line {exc.lineno})",
                    "check the {{ }} and {% %} pairs",
                )
            except (RecursionError, SyntaxError):  # Python's parser and compiler have limits
                self._parsed[text] = _Unparsable(
                    "template syntax error: the template is nested too deeply to compile",
                    "nest fewer brackets, loops and blocks inside each other",
                )
        return self._parsed[text]

    @staticmethod
    def _undefined(name: str, variables: Mapping[str, str], path: FieldPath) -> Issue:
        message = f"undefined variable '{name}'"
        if name == "turn":
            return Issue(path, f"{message}: 'turn' exists only in the {TURN_FIELDS}")
        close = did_you_mean(name, [v for v in variables if v != name])
        fix = (
            f"did you mean '{close}'?"
            if close
            else f"define it under vars:, as a matrix axis, or with --var {name}=..."
        )
        return Issue(path, message, fix)
