"""What the command line asks of loading recipes, in one frozen object threaded through it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["LoadOptions"]


@dataclass(frozen=True)
class LoadOptions:
    """--var values, --only and --allow-outside-root: the same for every file of one load."""

    cli_vars: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    only: str | None = None  # NAME or NAME/RUN, exact or shell wildcards
    allow_outside_root: bool = False

    def __post_init__(self) -> None:
        # frozen all the way down: a planner must not change the --var values another reads
        object.__setattr__(self, "cli_vars", MappingProxyType(dict(self.cli_vars)))

    @property
    def recipe_pattern(self) -> str:
        """--only's recipe part ("*" without --only)."""
        return (self.only or "*").partition("/")[0]

    @property
    def run_pattern(self) -> str | None:
        """--only's run part, None when it names no run."""
        return (self.only or "").partition("/")[2] or None
