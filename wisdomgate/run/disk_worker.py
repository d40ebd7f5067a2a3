"""The disk process itself: `python -m wisdomgate.run.disk_worker`, started by the runner.

It reads calls from stdin and writes replies to stdout, each a frame (wisdomgate.run.
disk_frames), and does one run folder's work after another on its main thread: open, lock and
clean a folder, write files (atomically, as in a thread of the runner), release it. Syncs go to
one syncing thread that makes every folder waiting at that moment durable at once
(RunStores.sync_many: one group commit), so a sync never holds up the next call.

It ignores SIGINT (Ctrl-C reaches the whole process group): the runner decides when to stop,
by closing stdin, and the calls already sent are done first, so an answer the runner received is
written even when the runner is killed right after sending it.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from wisdomgate.errors import OutputError
from wisdomgate.run.disk_frames import Frames, write_frame
from wisdomgate.run.folder_steps import is_local_io, write_files
from wisdomgate.run.store import FileRef, RunStore, RunStores

__all__ = ["main"]


@dataclass
class _Folder:
    """An open run folder; `syncing` while the syncing thread has it (it is closed after)."""

    store: RunStore
    syncing: bool = False
    close_later: bool = False


@dataclass
class _SyncJob:
    call: int
    folder: _Folder
    close: bool
    refs: list[FileRef]


@dataclass
class _Replies:
    """Replies to the runner, from either thread (a frame at a time)."""

    out: BinaryIO
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, call: int, ok: bool, value: object) -> None:
        if call == 0:
            return  # a call that wants no reply (close)
        with self.lock:
            write_frame(self.out, (call, ok, _picklable(value)))


class _Syncer:
    """The syncing thread: every job waiting at once is one RunStores.sync_many."""

    def __init__(self, stores: RunStores, replies: _Replies) -> None:
        self._stores = stores
        self._replies = replies
        self._jobs: list[_SyncJob] = []
        self._changed = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="wisdomgate-sync", daemon=True)
        self._thread.start()

    def add(self, job: _SyncJob) -> None:
        with self._changed:
            job.folder.syncing = True
            self._jobs.append(job)
            self._changed.notify()

    def close_later(self, folder: _Folder) -> bool:
        """True when folder is being synced: it is then released after its sync."""
        with self._changed:
            folder.close_later = folder.syncing
            return folder.syncing

    def stop(self) -> None:
        """Return once every job added is done."""
        with self._changed:
            self._stopping = True
            self._changed.notify()
        self._thread.join()

    def _serve(self) -> None:
        while True:
            with self._changed:
                while not self._jobs and not self._stopping:
                    self._changed.wait()
                jobs, self._jobs = self._jobs, []
                if not jobs:
                    return
            try:
                failures = self._stores.sync_many([job.folder.store for job in jobs])
            except Exception as error:  # the stores could not even try: all of them failed
                failures = [_as_os_error(error)] * len(jobs)
            for job, failure in zip(jobs, failures, strict=True):
                self._finish(job, failure)

    def _finish(self, job: _SyncJob, failure: OSError | None) -> None:
        with self._changed:
            job.folder.syncing = False
            close = job.close or job.folder.close_later
        if close:
            job.folder.store.close()
        if failure is None:
            self._replies.send(job.call, True, job.refs)
        else:
            self._replies.send(job.call, False, failure)


class _Worker:
    """The calls of one runner, one after another (see the module docstring)."""

    def __init__(self, stores: RunStores, replies: _Replies) -> None:
        self._stores = stores
        self._replies = replies
        self._folders: dict[int, _Folder] = {}
        self._syncer = _Syncer(stores, replies)

    def handle(self, call: int, op: str, args: tuple[Any, ...]) -> None:
        try:
            if op == "open":
                self._open(call, *args)
            elif op == "write":
                self._write(call, *args)
            elif op == "close":
                self._close(*args)
            else:
                raise ValueError(f"unknown call {op!r}")
        except Exception as error:
            self._replies.send(call, False, error)

    def stop(self) -> None:
        """Finish the syncs in progress and release every folder still open."""
        self._syncer.stop()
        for folder in self._folders.values():
            folder.store.close()
        self._folders.clear()

    def _open(self, call: int, handle: int, name: Any, files: list[tuple[str, bytes]]) -> None:
        """Open, lock and clean the folder, then write files into it (turn 1's manifest)."""
        store = self._stores.open(name)
        try:
            store.remove_partial_files()
            store.remove_previous_outputs()
            write_files(store, files)
        except Exception as error:
            if is_local_io(error) or isinstance(error, OutputError):
                store.close()
                raise
            self._folders[handle] = _Folder(store)
            self._replies.send(call, True, error)  # a bug: that run records it, the folder open
            return
        except BaseException:
            store.close()
            raise
        self._folders[handle] = _Folder(store)
        self._replies.send(call, True, None)

    def _write(
        self, call: int, handle: int, files: list[tuple[str, bytes]], durable: bool, close: bool
    ) -> None:
        """Write files; then, when durable, sync (in the syncing thread); then, when close,
        release the folder. The reply comes once all of it is done."""
        folder = self._folders[handle]
        try:
            refs = write_files(folder.store, files)
        except BaseException:
            if close:
                self._close(handle)
            raise
        if close:
            del self._folders[handle]
        if durable:
            self._syncer.add(_SyncJob(call, folder, close, refs))
            return
        if close:
            folder.store.close()
        self._replies.send(call, True, refs)

    def _close(self, handle: int) -> None:
        """Release a folder (a cancelled run): at once, or after the sync it is in."""
        folder = self._folders.pop(handle, None)
        if folder is None:
            return
        if not self._syncer.close_later(folder):
            folder.store.close()


def _picklable(value: object) -> object:
    """value, or for an exception that does not survive pickling, a RuntimeError saying it."""
    if isinstance(value, BaseException):
        try:
            pickle.loads(pickle.dumps(value))
        except Exception:
            return RuntimeError(f"{type(value).__name__}: {value}")
    return value


def _as_os_error(error: Exception) -> OSError:
    return error if isinstance(error, OSError) else OSError(f"{type(error).__name__}: {error}")


def main() -> int:
    """Serve the runner on stdin/stdout until stdin closes; 0 when everything was done, 1
    (with a one-line message) when the channel itself broke."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return _serve()
    except Exception as error:  # the runner reports the calls it lost; this says why
        print(f"wisdomgate disk process: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def _serve() -> int:
    source = os.fdopen(sys.stdin.fileno(), "rb", buffering=0, closefd=False)
    out = os.fdopen(sys.stdout.fileno(), "wb", buffering=0, closefd=False)
    frames = Frames(source)
    stores = cast(RunStores | None, frames.next())  # the first frame: then the calls
    if stores is None:
        return 0
    replies = _Replies(out)
    replies.send(1, True, None)  # hello: the runner sends its runs' folders from now on
    worker = _Worker(stores, replies)
    try:
        while (message := frames.next()) is not None:
            worker.handle(*cast(tuple[int, str, tuple[Any, ...]], message))
    finally:
        worker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
