# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Timeouts as httpx means them, and NOT_GIVEN for "the client's own timeout".

A timeout is what httpx takes: seconds for every phase (connect, read, write, pool), an
`httpx.Timeout`, or None for no timeout at all. A method's `timeout=` left out, or given as
NOT_GIVEN, is the client's timeout; None is not "unset" but no timeout, as in httpx.
"""

from __future__ import annotations

import enum
from typing import Final

import httpx

__all__ = ["NOT_GIVEN", "NotGiven", "TimeoutArg", "as_timeout"]

TimeoutArg = float | httpx.Timeout | None


class NotGiven(enum.Enum):
    """The type of NOT_GIVEN: an argument left out, where None already means something."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


# An enum member, so it pickles as itself and mypy narrows `isinstance(x, NotGiven)`.
NOT_GIVEN: Final = NotGiven.NOT_GIVEN


def as_timeout(value: TimeoutArg) -> httpx.Timeout:
    """value as an httpx.Timeout, as httpx reads it (None: no timeout)."""
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)
