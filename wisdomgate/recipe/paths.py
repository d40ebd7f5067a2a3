"""Paths the user names (recipes, folders, images): every way they can fail, said in words.

A path operation can fail in more ways than "not found": a symbolic link loop (RuntimeError from
Python 3.11's `Path.resolve()`, ELOOP elsewhere), a name longer than the file system allows, a
NUL byte (ValueError), no permission. And a name may hold bytes that are not UTF-8 (they arrive
as surrogates), which can be opened but never printed or written into a UTF-8 manifest. All of
them go through `path_problem` so that each becomes one recipe error, never a traceback.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from wisdomgate.errors import RecipeError, has_surrogates, printable

__all__ = [
    "PATH_ERRORS",
    "find_symlink_loop",
    "name_problem",
    "path_error",
    "path_problem",
    "shown",
]

# What path operations raise: OSError (ELOOP, ENAMETOOLONG, EACCES...), ValueError (a NUL byte),
# RuntimeError (Path.resolve() on a symlink loop, Python < 3.13).
PATH_ERRORS = (OSError, ValueError, RuntimeError)

_SHOWN = 120  # characters of a path quoted in a message
_NOT_UTF8 = (
    "holds bytes that are not UTF-8 text (shown as \\xNN)",
    "rename it with UTF-8 characters; outputs and manifests name it as UTF-8 text",
)
_NUL = ("holds a NUL byte (\\0)", "remove the NUL byte from the path")
_LOOP = ("goes through a loop of symbolic links", "fix or remove the symbolic link")
_BY_ERRNO = {
    errno.ELOOP: _LOOP,
    errno.ENAMETOOLONG: (
        "is longer than the file system allows",
        "use a shorter name (at most 255 bytes a name)",
    ),
    errno.EACCES: ("cannot be read: permission denied", "check the file's permissions"),
    errno.EPERM: ("cannot be read: operation not permitted", "check the file's permissions"),
    errno.ENOENT: ("does not exist", "check the path"),
    errno.ENOTDIR: ("does not exist (a part of it is a file)", "check the path"),
    errno.EISDIR: ("is a folder, not a file", "name a file"),
}


def shown(path: Path | str) -> str:
    """The path as text that can always be printed: undecodable bytes and control characters
    as \\xNN, a very long name shortened in the middle."""
    text = "".join(
        f"\\x{ord(ch):02x}" if ch < " " or ch == "\x7f" else ch for ch in printable(str(path))
    )
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 20]}...{text[-17:]}"


def name_problem(path: Path | str) -> tuple[str, str] | None:
    """(what is wrong, fix) when the path's text itself is unusable, else None."""
    text = str(path)
    if "\0" in text:
        return _NUL
    if has_surrogates(text):
        return _NOT_UTF8
    return None


def path_problem(exc: BaseException) -> tuple[str, str]:
    """(what is wrong, fix) for an exception of a path operation (one of PATH_ERRORS)."""
    if isinstance(exc, RuntimeError):  # Path.resolve() on a symlink loop
        return _LOOP
    if isinstance(exc, ValueError):
        return _NUL if "null" in str(exc) else (f"is not usable: {exc}", "check the path")
    if isinstance(exc, OSError) and exc.errno in _BY_ERRNO:
        return _BY_ERRNO[exc.errno]
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot be used: {reason}", "check the path"


def path_error(path: Path, problem: tuple[str, str]) -> RecipeError:
    """A recipe error about a file or folder named on the command line (or found in one)."""
    message, fix = problem
    return RecipeError(f"the path {message}", path=path, fix=fix)


def find_symlink_loop(top: Path, limit: int = 10_000) -> Path | None:
    """A folder under `top` that is one of its own parents again (through a symbolic link),
    skipping hidden folders as glob's `**` does; None when there is none (or after `limit`
    folders: a tree that large is glob's business)."""
    try:
        first = top.stat()
    except OSError:
        return None
    stack = [(top, frozenset({(first.st_dev, first.st_ino)}))]
    for _ in range(limit):
        if not stack:
            break
        folder, parents = stack.pop()
        try:
            with os.scandir(folder) as entries:
                found = [entry for entry in entries if not entry.name.startswith(".")]
        except OSError:
            continue
        for entry in found:
            try:
                if not entry.is_dir():
                    continue
                info = entry.stat()
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if key in parents:
                return Path(entry.path)
            stack.append((Path(entry.path), parents | {key}))
    return None
