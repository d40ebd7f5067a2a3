"""`--var KEY=VALUE` on the command line: never a silent mistake.

A name that is reserved or not usable in a template is an error. A variable that no template of
the recipes uses (and that pins no matrix axis) does nothing, which is almost always a typo: it is
a warning with the closest variable the recipes do use. And a problem in a value that came from a
--var says so, because the recipe file alone does not explain it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from wisdomgate.errors import Issue, RecipeError, has_surrogates, printable
from wisdomgate.recipe.data_paths import lookup
from wisdomgate.recipe.format import RESERVED_VARIABLES, VARIABLE_PATTERN
from wisdomgate.recipe.issues import did_you_mean

__all__ = ["blame_cli_vars", "check_cli_vars", "unused_cli_vars"]

_MAX_LISTED = 10
# Problems of the template text itself (see templating.py), not of the value it rendered to.
_ABOUT_THE_TEMPLATE = ("undefined variable", "template error", "template syntax error")


def check_cli_vars(cli_vars: Mapping[str, str]) -> list[RecipeError]:
    """Errors for --var names that wisdomgate sets itself or that templates cannot use."""
    errors = []
    for key, value in cli_vars.items():
        which = "name" if has_surrogates(key) else "value" if has_surrogates(value) else None
        if which is not None:  # undecodable bytes in argv arrive as surrogates (surrogateescape)
            message = (
                f"--var {key}: the {which} holds bytes that are not UTF-8 text (shown as \\xNN)"
            )
            fix = (
                "pass UTF-8 text (check the encoding of the shell or script that calls wisdomgate)"
            )
            errors.append(RecipeError(printable(message), fix=fix))
        elif key in RESERVED_VARIABLES:
            errors.append(
                RecipeError(f"--var {key}: '{key}' is set by wisdomgate", fix="choose another name")
            )
        elif not re.match(VARIABLE_PATTERN, key):
            message = f"--var {key}: '{key}' is not a variable name templates can use"
            fix = "use letters, digits and '_', not starting with a digit"
            errors.append(RecipeError(message, fix=fix))
    return errors


def unused_cli_vars(
    cli_vars: Mapping[str, str], used: Collection[str], known: Collection[str]
) -> list[RecipeError]:
    """Warnings for valid --var names that no recipe uses; `known` holds the suggestions."""
    warnings = []
    candidates = sorted(set(known) - set(RESERVED_VARIABLES))
    for key, value in cli_vars.items():
        if key in used or key in RESERVED_VARIABLES or not re.match(VARIABLE_PATTERN, key):
            continue
        close = did_you_mean(key, candidates)
        if close is not None:
            fix = f"did you mean '{close}'?"
        elif candidates:
            shown = ", ".join(candidates[:_MAX_LISTED])
            fix = f"the recipes' variables are {shown}" + (
                " ..." if len(candidates) > _MAX_LISTED else ""
            )
        else:
            fix = "the recipes have no variables"
        message = f"--var {key}={value} is used by no template and no matrix axis"
        warnings.append(RecipeError(message, fix=fix, severity="warning"))
    return warnings


def blame_cli_vars(
    issue: Issue,
    raw: Any,
    cli_vars: Mapping[str, str],
    names_in: Callable[[str], Collection[str]],
) -> Issue:
    """The issue, saying which --var values went into the template at its path (if any).

    raw is the recipe before templating; names_in(text) gives a template's variables.
    """
    if not cli_vars or issue.message.startswith(_ABOUT_THE_TEMPLATE):
        return issue
    template = lookup(raw, issue.path)
    if not isinstance(template, str):
        return issue
    given = [f"--var {k}={cli_vars[k]}" for k in sorted(names_in(template)) if k in cli_vars]
    if not given:
        return issue
    return issue.noted(f"(the value comes from {', '.join(given)})")
