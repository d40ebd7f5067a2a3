"""One writer per run folder: an exclusive `flock` on the run folder itself.

A run (or dry run) holds the lock from before it reads or cleans its folder until it ends; a
second process meeting a locked folder refuses that run without touching it. The kernel drops
the lock when its holder dies, even by SIGKILL, so a killed run never blocks the next one.

The lock is taken on the folder's own descriptor, not on a lock file inside it: a lock file is
one more file to create and remove for every run, and on ext4 without a journal every removed
file makes the next creations slower for a minute (the inode allocator steps over recently
freed inodes). Which process holds a folder is read from /proc/locks, for the message; elsewhere
the message names no pid. wisdomgate 0.1.0 locked a `.wisdomgate.lock` file in the folder
instead; one left behind is removed with a run's earlier outputs.
"""

from __future__ import annotations

import os
from pathlib import Path

from wisdomgate.artifacts.safe_paths import UnsupportedPlatformError
from wisdomgate.errors import FolderBusyError

__all__ = ["LOCK_NAME", "FolderBusyError", "FolderLock"]

LOCK_NAME = ".wisdomgate.lock"  # what wisdomgate 0.1.0 locked; a leftover one is removed
_PROC_LOCKS = Path("/proc/locks")


class FolderLock:
    """The lock of one run folder, held until `release` (or until its descriptor is closed)."""

    def __init__(self, dir_fd: int) -> None:
        self._dir_fd: int | None = dir_fd  # not owned: the run folder closes it after release

    @classmethod
    def acquire(cls, dir_fd: int, shown: Path) -> FolderLock:
        """Lock the folder dir_fd (shown: its path): FolderBusyError when another holds it."""
        if not _try_lock(dir_fd):
            raise FolderBusyError(shown, holder_pid(dir_fd))
        return cls(dir_fd)

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        fd, self._dir_fd = self._dir_fd, None
        if fd is not None:
            import fcntl  # acquire has imported it: POSIX

            fcntl.flock(fd, fcntl.LOCK_UN)


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


def holder_pid(fd: int) -> int | None:
    """The pid holding a flock on the file open as fd, from /proc/locks (None: not known)."""
    status = os.fstat(fd)
    wanted = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}:{status.st_ino}"
    try:
        table = _PROC_LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in table.splitlines():
        # "1: FLOCK  ADVISORY  WRITE 1234 fe:00:260072 0 EOF"; a waiter's line has "->" in [1]
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
            return int(fields[4]) if fields[4].isdigit() and int(fields[4]) > 0 else None
    return None
