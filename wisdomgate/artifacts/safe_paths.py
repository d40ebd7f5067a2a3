"""File operations relative to an open folder that never follow a symbolic link.

Everything below `--out` is reached by walking from an open file descriptor of `--out` itself,
one name at a time, with `O_NOFOLLOW` (and `dir_fd=`): there is no path to re-resolve between a
check and a use, so a link planted inside `--out` (by accident or by someone else) can make a
write fail, never land outside `--out`. `--out` itself is opened like any path: it may be a link
the user made on purpose. POSIX only; a platform without these calls fails loudly instead of
silently writing through links.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import shlex
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from wisdomgate.errors import OutputError

__all__ = [
    "NotAFolderError",
    "PlantedLinkError",
    "UnsupportedPlatformError",
    "is_link_at",
    "list_at",
    "make_or_open_subdir",
    "open_out_dir",
    "open_subdir",
    "read_at",
    "require_support",
    "sync_at",
    "unlink_at",
    "write_at",
    "write_stream_at",
]

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
_COPY_CHUNK = 1 << 20  # write_stream_at's piece size
_TEMP_ATTEMPTS = 100  # O_EXCL collisions of 64 random bits: never in practice


class PlantedLinkError(OutputError):
    """A symbolic link stands where wisdomgate writes inside --out; it is never followed."""

    def __init__(self, link: Path, target: str | None = None) -> None:
        self.link = link
        self.target = target
        where = f" (-> {target})" if target is not None else ""
        super().__init__(
            f"{link} is a symbolic link{where} inside the output folder; wisdomgate never writes"
            f" through links below --out. Remove the link (rm {shlex.quote(str(link))}) or"
            " choose another --out"
        )

    def __reduce__(self) -> tuple[type[PlantedLinkError], tuple[Path, str | None]]:
        # rebuilt from its fields when it crosses from the disk process (wisdomgate.run.disk_worker)
        return PlantedLinkError, (self.link, self.target)


class NotAFolderError(OutputError):
    """Something other than a folder stands inside --out where wisdomgate makes a folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        moved = shlex.quote(f"{path}.old")
        super().__init__(
            f"{path} is a file, but wisdomgate writes a folder there; move it away"
            f" (mv {shlex.quote(str(path))} {moved}) or choose another --out"
        )

    def __reduce__(self) -> tuple[type[NotAFolderError], tuple[Path]]:
        # rebuilt from its path when it crosses from the disk process (wisdomgate.run.disk_worker)
        return NotAFolderError, (self.path,)


class UnsupportedPlatformError(OutputError):
    """This platform cannot open files relative to a folder without following links."""


def require_support() -> None:
    """UnsupportedPlatformError unless every no-follow call the outputs rely on exists."""
    missing = [name for name in ("O_NOFOLLOW", "O_DIRECTORY") if not hasattr(os, name)]
    needs = (os.open, os.mkdir, os.rename, os.unlink, os.stat, os.readlink)
    missing += [f"{f.__name__}(dir_fd=)" for f in needs if f not in os.supports_dir_fd]
    if os.listdir not in os.supports_fd:
        missing.append("listdir(fd)")
    if os.stat not in os.supports_follow_symlinks:
        missing.append("stat(follow_symlinks=False)")
    if missing:
        raise UnsupportedPlatformError(
            "this platform cannot write outputs without following symbolic links (missing: "
            + ", ".join(missing)
            + "); run wisdomgate on Linux or another POSIX system"
        )


def open_out_dir(out_dir: Path) -> int:
    """An fd of --out, created (with its parents) when missing; --out may be a symbolic link."""
    require_support()
    out_dir.mkdir(parents=True, exist_ok=True)
    return os.open(out_dir, os.O_RDONLY | _DIRECTORY | _CLOEXEC)


def open_subdir(parent_fd: int, name: str, shown: Path, *, create: bool) -> int:
    """An fd of the folder `name` in parent_fd, never through a link (PlantedLinkError).

    shown: the folder's path, for messages. Missing: created when `create`, else
    FileNotFoundError.
    """
    if create:
        return make_or_open_subdir(parent_fd, name, shown)[0]
    return _open_dir(parent_fd, name, shown)


def make_or_open_subdir(parent_fd: int, name: str, shown: Path) -> tuple[int, bool]:
    """open_subdir(create=True), and whether this call made the folder (it was missing)."""
    try:
        return _open_dir(parent_fd, name, shown), False
    except FileNotFoundError:
        pass
    # EEXIST: another process made it first, or a link is in the way (never followed);
    # opening it tells which
    try:
        os.mkdir(name, 0o777, dir_fd=parent_fd)
    except FileExistsError:
        return _open_dir(parent_fd, name, shown), False
    return _open_dir(parent_fd, name, shown), True


def _open_dir(parent_fd: int, name: str, shown: Path) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as error:
        if error.errno in (errno.ENOTDIR, errno.ELOOP):  # O_NOFOLLOW says one or the other
            _raise_if_link(parent_fd, name, shown)
            if error.errno == errno.ENOTDIR:
                raise NotAFolderError(shown) from None
        raise


def is_link_at(dir_fd: int, name: str) -> bool:
    """True when `name` in dir_fd is a symbolic link (False when it does not exist)."""
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


def link_error(dir_fd: int, name: str, shown: Path) -> PlantedLinkError:
    """The error naming the link `name` (shown: its path) and, when readable, its target."""
    try:
        target: str | None = os.readlink(name, dir_fd=dir_fd)
    except OSError:
        target = None
    return PlantedLinkError(shown, target)


def _raise_if_link(dir_fd: int, name: str, shown: Path) -> None:
    if is_link_at(dir_fd, name):
        raise link_error(dir_fd, name, shown)


def list_at(dir_fd: int) -> list[str]:
    """The names in the folder dir_fd."""
    return os.listdir(dir_fd)


def unlink_at(dir_fd: int, name: str) -> None:
    """Remove `name` from dir_fd (a link itself, never its target); gone already is fine."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=dir_fd)


def read_at(dir_fd: int, name: str, shown: Path) -> bytes:
    """The bytes of the regular file `name` in dir_fd; PlantedLinkError for a link."""
    # O_NONBLOCK: a FIFO under a wisdomgate name must not hang the run (no effect on files)
    flags = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as error:
        if error.errno == errno.ELOOP:
            _raise_if_link(dir_fd, name, shown)
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(shown))
        return handle.read()


def write_at(dir_fd: int, name: str, data: bytes, *, durable: bool = True) -> None:
    """Write `name` in dir_fd atomically: readers see the old file or the whole new one.

    The bytes go to a new temporary file (O_EXCL|O_NOFOLLOW, mode 0o666 minus the umask) that is
    renamed over `name`; a rename replaces a link, never follows it. A process killed at any
    point leaves the old file or the new one (the kernel has the bytes once write returns).
    durable: fsync the bytes before the rename, so that a power loss cannot leave the name on a
    file that is not complete; without it, `sync_at` makes the file durable later.
    """
    temp, fd = _create_temp(dir_fd, name)
    try:
        try:
            # os.write on the descriptor: a buffered file object would add an fstat, an ioctl
            # and seeks per file (a wide batch writes four files a run)
            pending = memoryview(data)
            while pending:
                pending = pending[os.write(fd, pending) :]
            if durable:
                os.fsync(fd)  # the bytes reach the disk before the name does
        finally:
            os.close(fd)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        # Also on KeyboardInterrupt/cancellation: the temporary file must not linger.
        unlink_at(dir_fd, temp)
        raise


def write_stream_at(
    dir_fd: int, name: str, source: BinaryIO, *, durable: bool = True
) -> tuple[str, int]:
    """write_at from a reader, copied in 1 MiB pieces: the sha256 and size of what was written."""
    digest = hashlib.sha256()
    size = 0
    temp, fd = _create_temp(dir_fd, name)
    try:
        with os.fdopen(fd, "wb") as handle:
            while chunk := source.read(_COPY_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                handle.write(chunk)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())  # as write_at: the bytes reach the disk before the name
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        unlink_at(dir_fd, temp)
        raise
    return digest.hexdigest(), size


def sync_at(dir_fd: int, names: Iterable[str]) -> None:
    """fsync the regular files `names` in dir_fd (never through a link; gone ones are skipped),
    then dir_fd itself, so that their contents and their names survive a power loss."""
    flags = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0)
    for name in names:
        try:
            fd = os.open(name, flags, dir_fd=dir_fd)
        except FileNotFoundError:
            continue  # removed since (a later write replaced it, or a rerun cleaned up)
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.fsync(fd)
        finally:
            os.close(fd)
    os.fsync(dir_fd)


def _create_temp(dir_fd: int, name: str) -> tuple[str, int]:
    """A new `.<name>.<random>.tmp` in dir_fd (a name remove_partial_files knows) and its fd."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    for _ in range(_TEMP_ATTEMPTS):
        temp = f".{name}.{secrets.token_hex(8)}.tmp"
        try:
            # 0o666: the kernel takes the umask off, as for any other program's files
            return temp, os.open(temp, flags, 0o666, dir_fd=dir_fd)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", name)
