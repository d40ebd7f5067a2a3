"""Durability for many run folders at once: one `syncfs` for every run that waits (group commit).

A run's answer files, its manifest and its folder must reach the disk before the run sends its
next request and before it lets go of its folder (the durability policy, docs/running.md). One
`fsync` per file and one for the folder is four device cache flushes a run: a wide batch spends
more time flushing than asking. On Linux, `syncfs(2)` writes out everything written on one file
system and flushes the device once, so a caller here waits for one `syncfs` that *started after
it asked*: the runs that finish while one is in progress share the next. What it costs: it also
writes out other programs' unwritten data on that file system, as an ext4 journal commit does.

Where `syncfs` is missing (not Linux, no libc symbol) or refused (ENOSYS, EPERM or EOPNOTSUPP:
a sandbox that filters it), each caller fsyncs its own files and then its folder, as before
(`safe_paths.sync_at`).
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import partial

from wisdomgate.artifacts.safe_paths import sync_at

__all__ = ["SyncGroup", "load_syncfs"]

SyncFs = Callable[[int], None]
_REFUSED = frozenset({errno.ENOSYS, errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP})


def load_syncfs() -> SyncFs | None:
    """libc's syncfs(fd) as a function raising OSError, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        found = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    found.argtypes = [ctypes.c_int]
    found.restype = ctypes.c_int

    def syncfs(fd: int) -> None:
        # ctypes releases the GIL for the call: the event loop goes on while the device flushes
        if found(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"syncfs: {os.strerror(code)}")

    return syncfs


class SyncGroup:
    """Makes written files durable for many threads at once (see the module docstring)."""

    def __init__(self, syncfs: SyncFs | None) -> None:
        self._syncfs = syncfs
        self._lock = threading.Lock()
        self._devices: dict[int, _DeviceSync] = {}

    def sync(self, dir_fd: int, names: Iterable[str]) -> None:
        """Return once the files `names` in dir_fd and their names there are on the disk."""
        failure = self.sync_many([(dir_fd, names)])[0]
        if failure is not None:
            raise failure

    def sync_many(self, folders: Sequence[tuple[int, Iterable[str]]]) -> list[OSError | None]:
        """sync() for several folders at once (one syncfs per file system for all of them):
        for each folder, None once it is on the disk, or the OSError that says it may not be."""
        syncfs = self._syncfs
        if syncfs is not None:
            try:
                return self._syncfs_many(syncfs, folders)
            except OSError as error:
                if error.errno not in _REFUSED:
                    raise
                self._syncfs = None  # not allowed here: fsyncs from now on
        return [_caught(partial(sync_at, fd, names)) for fd, names in folders]

    def _syncfs_many(
        self, syncfs: SyncFs, folders: Sequence[tuple[int, Iterable[str]]]
    ) -> list[OSError | None]:
        """One syncfs per device for the folders on it; a refusal (_REFUSED) is raised."""
        devices = [os.fstat(fd).st_dev for fd, _ in folders]
        outcome: dict[int, OSError | None] = {}
        for device, (fd, _) in zip(devices, folders, strict=True):
            if device in outcome:
                continue
            with self._lock:
                waiting = self._devices.get(device)
                if waiting is None:
                    waiting = self._devices[device] = _DeviceSync(syncfs)
            try:
                waiting.sync(fd)
                outcome[device] = None
            except OSError as error:
                if error.errno in _REFUSED:
                    raise
                outcome[device] = error
        return [outcome[device] for device in devices]


def _caught(call: Callable[[], None]) -> OSError | None:
    try:
        call()
    except OSError as error:
        return error
    return None


class _DeviceSync:
    """The syncfs calls of one file system: at most one at a time, numbered 1, 2, 3..."""

    def __init__(self, syncfs: SyncFs) -> None:
        self._syncfs = syncfs
        self._changed = threading.Condition()
        self._started = 0
        self._done = 0
        self._running = False
        self._failed = 0  # the number of the last call that failed, 0 for none
        self._error: OSError | None = None

    def sync(self, fd: int) -> None:
        with self._changed:
            wanted = self._started + 1  # the first call to start from now on
            while self._done < wanted:
                if self._running:
                    self._changed.wait()
                else:
                    self._lead(fd)
            if self._failed >= wanted and self._error is not None:
                # a write-back error may have lost this caller's data: a later success proves
                # nothing about it (Linux reports such an error once per open file)
                raise OSError(self._error.errno, self._error.strerror)

    def _lead(self, fd: int) -> None:
        """Run the next call, the lock released meanwhile (the others wait or join the next)."""
        self._running = True
        self._started += 1
        number = self._started
        failure: OSError | None = None
        self._changed.release()
        try:
            try:
                self._syncfs(fd)
            except OSError as error:
                failure = error
            except BaseException:  # interrupted: those waiting for this call must not pass
                failure = OSError(errno.EINTR, os.strerror(errno.EINTR))
                raise
        finally:
            self._changed.acquire()
            self._running = False
            self._done = number
            if failure is not None:
                self._failed, self._error = number, failure
            self._changed.notify_all()
