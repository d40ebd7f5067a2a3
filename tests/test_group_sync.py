"""Group commit: callers wait for one syncfs that started after they asked, and share it."""

from __future__ import annotations

import errno
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wisdomgate.artifacts.group_sync import SyncGroup, load_syncfs

WAIT = 10.0  # seconds: generous, only a hung test waits this long


class GatedSyncFs:
    """A syncfs that records its calls and blocks each one until the test opens the gate."""

    def __init__(self) -> None:
        self.calls = 0
        self.entered = threading.Semaphore(0)
        self.gate = threading.Semaphore(0)
        self.fail_next: OSError | None = None

    def __call__(self, fd: int) -> None:
        self.calls += 1
        self.entered.release()
        assert self.gate.acquire(timeout=WAIT)
        failure, self.fail_next = self.fail_next, None
        if failure is not None:
            raise failure


@pytest.fixture
def folder_fd(tmp_path: Path) -> Iterator[int]:
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def in_thread(call: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def body() -> None:
        try:
            call()
        except BaseException as error:  # handed to the test
            errors.append(error)

    thread = threading.Thread(target=body)
    thread.start()
    return thread, errors


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def waiting_callers(group: SyncGroup) -> int:
    """How many callers wait on the group's one device (the test peeks at its condition)."""
    [device] = group._devices.values()
    return len(device._changed._waiters)  # type: ignore[attr-defined]


def test_one_caller_gets_one_syncfs(folder_fd: int) -> None:
    calls: list[int] = []
    SyncGroup(calls.append).sync(folder_fd, ["a", "b"])
    assert calls == [folder_fd]


def test_callers_that_ask_during_a_syncfs_share_the_next_one(folder_fd: int) -> None:
    syncfs = GatedSyncFs()
    group = SyncGroup(syncfs)
    first, _ = in_thread(lambda: group.sync(folder_fd, []))
    assert syncfs.entered.acquire(timeout=WAIT)  # the first call is in progress
    others = [in_thread(lambda: group.sync(folder_fd, [])) for _ in range(5)]
    wait_until(lambda: waiting_callers(group) == 5)
    syncfs.gate.release()  # the first call ends; one more starts for the five
    assert syncfs.entered.acquire(timeout=WAIT)
    syncfs.gate.release()
    for thread, errors in [(first, []), *others]:
        thread.join(WAIT)
        assert not thread.is_alive() and errors == []
    assert syncfs.calls == 2


def test_a_caller_does_not_count_a_syncfs_that_began_before_it_asked(folder_fd: int) -> None:
    syncfs = GatedSyncFs()
    group = SyncGroup(syncfs)
    in_thread(lambda: group.sync(folder_fd, []))
    assert syncfs.entered.acquire(timeout=WAIT)
    late, _ = in_thread(lambda: group.sync(folder_fd, []))
    wait_until(lambda: waiting_callers(group) == 1)
    syncfs.gate.release()  # the call that was running when it asked ends
    assert syncfs.entered.acquire(timeout=WAIT)  # ...and it waits for the next one
    assert late.is_alive()
    syncfs.gate.release()
    late.join(WAIT)
    assert not late.is_alive()


def test_every_caller_of_a_failed_syncfs_gets_the_error(folder_fd: int) -> None:
    syncfs = GatedSyncFs()
    group = SyncGroup(syncfs)
    in_thread(lambda: group.sync(folder_fd, []))
    assert syncfs.entered.acquire(timeout=WAIT)
    waiting = [in_thread(lambda: group.sync(folder_fd, [])) for _ in range(3)]
    wait_until(lambda: waiting_callers(group) == 3)
    syncfs.gate.release()
    assert syncfs.entered.acquire(timeout=WAIT)
    syncfs.fail_next = OSError(errno.EIO, "write-back failed")
    syncfs.gate.release()
    for thread, errors in waiting:
        thread.join(WAIT)
        assert [getattr(error, "errno", None) for error in errors] == [errno.EIO]


def test_a_caller_after_a_failure_gets_a_new_syncfs(folder_fd: int) -> None:
    outcomes = [OSError(errno.EIO, "write-back failed"), None]

    def syncfs(fd: int) -> None:
        failure = outcomes.pop(0)
        if failure is not None:
            raise failure

    group = SyncGroup(syncfs)
    with pytest.raises(OSError, match="write-back failed"):
        group.sync(folder_fd, [])
    group.sync(folder_fd, [])  # a later call succeeded: nothing to report
    assert outcomes == []


def test_without_syncfs_each_file_and_then_the_folder_is_fsynced(
    tmp_path: Path, folder_fd: int, fsynced: list[str]
) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    SyncGroup(None).sync(folder_fd, ["a.txt", "gone.txt", "b.txt"])
    assert [Path(path).name for path in fsynced] == ["a.txt", "b.txt", tmp_path.name]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs is Linux's")
def test_the_real_syncfs_is_found_and_works(folder_fd: int) -> None:
    syncfs = load_syncfs()
    assert syncfs is not None
    syncfs(folder_fd)
    with pytest.raises(OSError) as failed:
        syncfs(-1)
    assert failed.value.errno == errno.EBADF


def test_a_refused_syncfs_falls_back_to_fsyncs_for_good(
    tmp_path: Path, folder_fd: int, fsynced: list[str]
) -> None:
    (tmp_path / "a.txt").write_text("a")
    calls: list[int] = []

    def refused(fd: int) -> None:
        calls.append(fd)
        raise OSError(errno.ENOSYS, "Function not implemented")  # a sandbox filters it

    group = SyncGroup(refused)
    group.sync(folder_fd, ["a.txt"])
    group.sync(folder_fd, ["a.txt"])
    assert calls == [folder_fd]  # asked once
    assert [Path(path).name for path in fsynced] == ["a.txt", tmp_path.name] * 2
