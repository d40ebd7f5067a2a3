"""What `run` checks before anything is sent: the key, the base URL, --out, --record, --junit.

Each problem is a UsageError (exit 2) that names the option or variable and says how to fix it,
found before the first request is paid for; a key is never shown, not even in part.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import httpx

from wisdomgate.errors import UsageError

__all__ = ["MIN_KEY_LENGTH", "check_base_url", "check_out_dir", "check_report_file", "read_key"]

MIN_KEY_LENGTH = 8  # real keys are far longer; a shorter one could not be masked in outputs
_MISSING = (errno.ENOENT, errno.ENOTDIR)


def read_key(variable: str) -> str:
    """The API key from the environment variable, stripped; UsageError when unusable."""
    key = os.environ.get(variable, "").strip()
    if not key:
        raise UsageError(
            f"no API key: set the environment variable {variable} (or use --simulate, --replay DIR"
            " or --dry-run)"
        )
    if not (key.isascii() and key.isprintable()):
        raise UsageError(
            f"{variable} holds characters that are not printable ASCII (control characters,"
            " non-ASCII letters or bytes); copy the key again"
        )
    if len(key) < MIN_KEY_LENGTH:
        raise UsageError(
            f"{variable} is shorter than {MIN_KEY_LENGTH} characters, so it is not an API key;"
            " check what the variable holds"
        )
    return key


def check_base_url(url: str, source: str) -> str:
    """url if it is an http(s) URL with a host; source names where it came from."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, UnicodeError) as exc:
        raise UsageError(f"{source} is not a valid URL ({exc}); e.g. https://host") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(
            f"{source} must be an http:// or https:// URL with a host, e.g. https://host"
        )
    return url


def check_out_dir(out: Path, option: str = "--out") -> None:
    """--out (or another folder option) is, or can become, a folder this process can write into."""
    _check_encodable(out, option)
    found = _nearest_existing(out, option)
    if found is None:
        return
    folder, info = found
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{option} {out}: {folder} is a file, not a folder; choose another folder")
    _check_writable(folder, f"{option} {out}")


def check_report_file(path: Path, option: str) -> None:
    """A report file (e.g. --junit) can be written at path: not a folder, its folder writable."""
    _check_encodable(path, option)
    own = _stat(path, option, follow=False)
    if own is not None and stat.S_ISDIR(own.st_mode):
        raise UsageError(
            f"{option} {path} is a folder; give a file name such as {path / 'junit.xml'}"
        )
    found = _nearest_existing(path.parent, option)
    if found is None:
        return
    folder, info = found
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{option} {path}: {folder} is a file, not a folder; choose another path")
    _check_writable(folder, f"{option} {path}")


def _check_encodable(path: Path, option: str) -> None:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise UsageError(
            f"{option} {shown}: the path holds bytes that are not UTF-8 text, which the"
            " manifest cannot record; choose a UTF-8 path"
        ) from None


def _nearest_existing(path: Path, option: str) -> tuple[Path, os.stat_result] | None:
    """The path or its nearest existing parent, with its stat (symlinks followed)."""
    for folder in (path, *path.parents):
        info = _stat(folder, option)
        if info is not None:
            return folder, info
    return None


def _stat(path: Path, option: str, *, follow: bool = True) -> os.stat_result | None:
    """os.stat (or lstat) of path; None when it does not exist, UsageError when it cannot be."""
    try:
        info = os.stat(path, follow_symlinks=follow)
    except FileNotFoundError:
        return None
    except ValueError as exc:  # an embedded NUL byte
        raise UsageError(f"{option} {path!r}: {exc}; choose another path") from None
    except OSError as exc:
        if exc.errno in _MISSING:
            return None
        raise UsageError(f"{option} {path}: {exc.strerror}; choose another path") from None
    return info


def _check_writable(folder: Path, what: str) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: {folder} is not writable; choose another path")
