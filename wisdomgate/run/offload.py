"""The runner's disk work, done in threads so that the event loop never waits on the disk.

Every RunStore call (opening and locking a folder, writing, syncing, renames, reading for
`--resume`) blocks on the disk; a batch of runs would spend its time there instead of sending
requests. The runner hands each call to one of two thread pools: `quick` for the writes a run
waits on before or for its requests, `finish` for a run's last manifest, its syncs and the
release of its folder, which happen after the run has given up its slot. A run's syncs therefore
never delay another run's request.

One run's calls run one at a time (FolderJobs), in the order the run makes them. A thread cannot
be stopped: when a run is cancelled (Ctrl-C, or a disk error in another run), `close_now` waits
for the call in progress before it releases the folder, so no thread writes into a closed one.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol, TypeVar

from wisdomgate.run.folder_steps import write_and_close, write_files
from wisdomgate.run.run_state import Files
from wisdomgate.run.store import FileRef, RunStore

__all__ = ["DiskThreads", "FolderJobs", "RunJobs"]

T = TypeVar("T")

# Enough threads that many runs' writes and syncs overlap (one syncfs serves all who wait), few
# enough that a batch of hundreds of runs does not start hundreds of threads.
_MAX_THREADS = 16


class DiskThreads:
    """The two thread pools of one Runner.run_all (see the module docstring)."""

    def __init__(self, concurrency: int) -> None:
        workers = max(2, min(_MAX_THREADS, concurrency))
        self.quick: Executor = ThreadPoolExecutor(workers, thread_name_prefix="wisdomgate-disk")
        self.finish: Executor = ThreadPoolExecutor(workers, thread_name_prefix="wisdomgate-sync")

    def close(self) -> None:
        """Wait for the calls in progress; calls not started are dropped (their runs are gone)."""
        for pool in (self.quick, self.finish):
            pool.shutdown(wait=True, cancel_futures=True)


async def in_thread(pool: Executor | None, call: Callable[[], T]) -> T:
    """call() in a thread of pool (None: the loop's default pool), awaited."""
    return await asyncio.get_running_loop().run_in_executor(pool, call)


class RunJobs(Protocol):
    """One run's open folder as the runner drives it: in the disk threads (FolderJobs) or in
    the disk process (wisdomgate.run.disk_process.ProcessJobs)."""

    @property
    def path(self) -> Path:
        """The run's folder."""
        ...

    async def write(self, files: Files, durable: bool = False) -> list[FileRef]:
        """Write files (durable: then sync them); their references."""
        ...

    async def finish(self, files: Files, durable: bool) -> None:
        """write(), then release the folder."""
        ...

    def close_now(self) -> None:
        """Release the folder at once (cancellation), after the call in progress."""
        ...


class FolderJobs:
    """One run's folder, called from the disk threads one call at a time."""

    def __init__(self, folder: RunStore, threads: DiskThreads | None = None) -> None:
        self.folder = folder
        self._threads = threads  # None: the loop's default pool (Runner.run outside run_all)
        self._busy = threading.Lock()

    @property
    def path(self) -> Path:
        """The run's folder."""
        return self.folder.path

    async def write(self, files: Files, durable: bool = False) -> list[FileRef]:
        """Write files in a `quick` thread (durable: then sync them); their references."""
        pool = self._threads.quick if self._threads is not None else None
        return await self.run(pool, write_files, self.folder, files, durable)

    async def finish(self, files: Files, durable: bool) -> None:
        """write() in a `finish` thread, then release the folder."""
        pool = self._threads.finish if self._threads is not None else None
        await self.run(pool, write_and_close, self.folder, files, durable)

    async def run(self, pool: Executor | None, call: Callable[..., T], *args: object) -> T:
        """call(*args) in a thread of pool, after this folder's earlier calls."""
        return await in_thread(pool, functools.partial(self._locked, call, *args))

    def _locked(self, call: Callable[..., T], *args: object) -> T:
        with self._busy:
            return call(*args)

    def close_now(self) -> None:
        """Release the folder from the loop (cancellation): after the call in progress, if any."""
        with self._busy:
            self.folder.close()
