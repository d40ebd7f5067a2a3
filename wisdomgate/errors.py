"""The runtime's own errors, rooted in ToolkitError, and recipe errors with their place.

    ToolkitError                 a problem on this side: the recipe, the command line, --out
    ├── RecipeError / RecipeErrors    a recipe file (file:line:column, field, fix)
    ├── UsageError                    the command line or the environment
    └── OutputError                   the output folder (a planted symlink, a locked run folder)

API and transport errors are the client's own hierarchy (`wisdomgate_api.WisdomGateError`);
the CLI maps both to exit codes explicitly (see wisdomgate.cli).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "FieldPath",
    "FolderBusyError",
    "Issue",
    "OutputError",
    "RecipeError",
    "RecipeErrors",
    "ToolkitError",
    "UsageError",
    "format_field",
    "has_surrogates",
    "printable",
]

# A path into the recipe's data: mapping keys and 0-based list indices, e.g. ("turns", 1, "prompt").
FieldPath = tuple[str | int, ...]
Severity = Literal["error", "warning"]
_SURROGATE = re.compile("[\ud800-\udfff]")


class ToolkitError(Exception):
    """Root of the runtime's own errors (recipes, usage, output folders); never an API error."""


class UsageError(ToolkitError):
    """A problem with the command line or the environment (exit code 2)."""


class OutputError(ToolkitError):
    """The output folder cannot be written safely (a symlink inside it, a folder in use)."""


class FolderBusyError(OutputError):
    """Another wisdomgate process is writing this run folder."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        self.folder = folder
        self.pid = pid
        who = f" (pid {pid})" if pid is not None else ""
        super().__init__(
            f"{folder} is being written by another wisdomgate process{who};"
            " wait for it, or use another --out"
        )

    def __reduce__(self) -> tuple[type[FolderBusyError], tuple[Path, int | None]]:
        # rebuilt from its fields when it crosses from the disk process (wisdomgate.run.disk_worker)
        return FolderBusyError, (self.folder, self.pid)


def has_surrogates(text: str) -> bool:
    """True when text holds a lone surrogate: undecodable bytes of a file name or argv
    (surrogateescape), or a `\\ud800` escape; such text cannot be encoded as UTF-8."""
    return _SURROGATE.search(text) is not None


def printable(text: str) -> str:
    """Text that can always be printed and written as UTF-8: undecodable bytes (surrogateescape)
    become `\\xff`, other lone surrogates `\\ud800`; anything else is unchanged."""
    if not has_surrogates(text):
        return text
    raw = "".join(
        f"\\x{ord(ch) - 0xDC00:02x}" if 0xDC80 <= ord(ch) <= 0xDCFF else ch for ch in text
    )
    return raw.encode("utf-8", "backslashreplace").decode("utf-8")


def format_field(path: Sequence[str | int]) -> str:
    """`("turns", 1, "config", "imageConfig")` -> `turns[1].config.imageConfig`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class Issue:
    """A problem found in a recipe's data, before it is given a line and column."""

    path: FieldPath
    message: str
    fix: str | None = None
    at_key: bool = False  # point at the key itself (unknown or duplicate key), not its value
    severity: Severity = "error"

    def moved(self, path: FieldPath) -> Issue:
        """The same issue at another path (found in a merged value, blamed where it was written)."""
        return dataclasses.replace(self, path=path)

    def noted(self, note: str) -> Issue:
        """The same issue, its message followed by note (e.g. which runs or --var it came from)."""
        return dataclasses.replace(self, message=f"{self.message} {note}")

    def with_fix(self, fix: str) -> Issue:
        """The same issue with another fix."""
        return dataclasses.replace(self, fix=fix)


class RecipeError(ToolkitError):
    """One problem in a recipe file, with its position and a suggested fix."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str = "",
        fix: str | None = None,
        severity: Severity = "error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line  # 1-based
        self.column = column  # 1-based
        self.field = field  # e.g. "turns[1].config.imageConfig.imageSize"; "" for the whole file
        self.fix = fix
        self.severity: Severity = severity

    @property
    def location(self) -> str:
        """`file:line:column` (as much of it as is known); "" when no file is involved."""
        if self.path is None:  # e.g. a --var or an empty folder: no file to point at
            return ""
        parts = [printable(str(self.path))]
        parts += [str(n) for n in (self.line, self.column) if n is not None]
        return ":".join(parts)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        level = "warning: " if self.severity == "warning" else ""
        field = f"{self.field}: " if self.field else ""
        fix = f" (fix: {self.fix})" if self.fix else ""
        # printable: a message may quote a file name or value holding undecodable bytes
        return printable(f"{where}{level}{field}{self.message}{fix}")

    def __repr__(self) -> str:
        return f"RecipeError({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecipeError) and _key(self) == _key(other)

    def __hash__(self) -> int:
        return hash(_key(self))


def _key(error: RecipeError) -> tuple[object, ...]:
    return (str(error.path), error.line, error.column, error.field, error.message, error.fix)


class RecipeErrors(ToolkitError):
    """Every problem found in one or more recipe files (validation never stops at the first)."""

    def __init__(self, errors: Iterable[RecipeError]) -> None:
        self.errors: tuple[RecipeError, ...] = tuple(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)

    def __len__(self) -> int:
        return len(self.errors)
