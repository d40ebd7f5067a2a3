"""One writer per run folder: an exclusive `flock` on `.wisdomgate.lock` inside it.

A run (or dry run) holds the lock from before it reads or cleans its folder until it ends; a
second process meeting a locked folder refuses that run without touching it. The kernel drops
the lock when its holder dies, even by SIGKILL, so a killed run never blocks the next one.

The holder removes the lock file when it is done, so a finished folder holds only its outputs.
Removing a lock file is racy unless a locker checks, once it holds the lock, that the name still
refers to the file it locked: a process that opened the file just before the holder removed it
would otherwise "hold" a lock on a file nobody else can see. `FolderLock.acquire` checks that and
tries again with the new file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from wisdomgate.artifacts.safe_paths import UnsupportedPlatformError, is_link_at, link_error
from wisdomgate.errors import FolderBusyError

__all__ = ["LOCK_NAME", "FolderBusyError", "FolderLock"]

LOCK_NAME = ".wisdomgate.lock"
_ATTEMPTS = 10  # each retry means another run just finished with this folder
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class FolderLock:
    """The lock of one run folder, held until `release`."""

    def __init__(self, dir_fd: int, fd: int) -> None:
        self._dir_fd = dir_fd  # not owned: the run folder closes it after releasing the lock
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, dir_fd: int, shown: Path) -> FolderLock:
        """Lock the folder dir_fd (shown: its path): FolderBusyError when another holds it."""
        for _ in range(_ATTEMPTS):
            fd = _open_lock_file(dir_fd, shown)
            try:
                if not _try_lock(fd):
                    raise FolderBusyError(shown, _holder_pid(fd))
                if _is_current(dir_fd, fd):
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)  # for the message
                    return cls(dir_fd, fd)
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # its holder removed it as we locked it: lock the file there now
        raise FolderBusyError(shown, None)

    def release(self) -> None:
        """Remove the lock file and drop the lock (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if _is_current(self._dir_fd, fd):  # removed before unlocking: see the docstring
                os.unlink(LOCK_NAME, dir_fd=self._dir_fd)
        finally:
            os.close(fd)  # closing drops the flock


def _open_lock_file(dir_fd: int, shown: Path) -> int:
    try:
        return os.open(LOCK_NAME, _LOCK_FLAGS, 0o666, dir_fd=dir_fd)
    except OSError as error:
        if error.errno == errno.ELOOP and is_link_at(dir_fd, LOCK_NAME):
            raise link_error(dir_fd, LOCK_NAME, shown / LOCK_NAME) from None
        raise


def _try_lock(fd: int) -> bool:
    """flock(LOCK_EX | LOCK_NB): True when taken, False when another process holds it."""
    try:
        import fcntl  # POSIX only; imported here so that `validate` still works elsewhere
    except ImportError:
        raise UnsupportedPlatformError("this platform has no flock(); use Linux") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _is_current(dir_fd: int, fd: int) -> bool:
    """True when LOCK_NAME in dir_fd is still the file open as fd."""
    try:
        named = os.stat(LOCK_NAME, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _holder_pid(fd: int) -> int | None:
    """The pid the holder wrote into the lock file, when it has (and it reads as one)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
