"""The runner's disk process: a wide batch's folder work, done where it cannot slow the loop.

The disk threads (wisdomgate.run.offload) keep the event loop from waiting on the disk, but they
share its GIL: every file call in a thread hands the GIL back and forth with the loop, which at
a few thousand runs costs more than the calls themselves. So for a batch of at least
PROCESS_MIN_RUNS runs, the runs that write only small files (no reference images to copy, no
--resume, a model that answers with text) have their folders opened, written, synced and
released by one child process (wisdomgate.run.disk_worker); the loop only sends it frames
(wisdomgate.run.disk_frames) and reads its replies. The other runs use the threads as before.

The guarantees are the threads': the same RunStores do the same writes in the same order, a
run's files are durable before it sends its next request or lets go of its folder, and errors
come back as themselves (FolderBusyError, PlantedLinkError, OSError). When the runner is killed,
the child still does every call it was sent (an answer received is written), then exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, cast

import wisdomgate
import wisdomgate_api
from wisdomgate.catalog import load_catalog
from wisdomgate.recipe import PlannedRun
from wisdomgate.run.disk_frames import FrameParser, encode_frame
from wisdomgate.run.offload import DiskThreads, in_thread
from wisdomgate.run.results import RunnerOptions
from wisdomgate.run.run_state import Files
from wisdomgate.run.store import FileRef, RunStores

__all__ = ["PROCESS_MIN_RUNS", "DiskProcess", "ProcessJobs", "writes_small_files"]

PROCESS_MIN_RUNS = 32  # below this, starting a process costs more than it saves
_PACKAGES = (wisdomgate, wisdomgate_api)  # what the child imports, from where this process does


def writes_small_files(plan: PlannedRun, resume: bool) -> bool:
    """True for a run whose folder work can go to the disk process (see the module docstring)."""
    if resume or any(turn.images for turn in plan.turns):
        return False
    model = load_catalog().get(plan.model)
    return model is not None and not model.is_image


async def start_for(
    plans: Sequence[PlannedRun], stores: RunStores, options: RunnerOptions
) -> tuple[DiskProcess | None, set[int]]:
    """The disk process for a batch (None when not worth it, see options.disk_process) and the
    ids of the plans that may use it."""
    small = {id(plan) for plan in plans if writes_small_files(plan, options.resume)}
    wanted = options.disk_process
    if not small or not (wanted if wanted is not None else len(small) >= PROCESS_MIN_RUNS):
        return None, set()
    try:
        process = await DiskProcess.start(stores)
    except OSError:  # no process can be started here (a sandbox, no fds left): the threads
        return None, set()
    if wanted:  # asked for: every such run uses it (auto: those opened once it is up)
        await process.wait_ready()
    return process, small


@dataclass(frozen=True)
class _RunName:
    """A run's folder name for the child (a PlannedRun does not pickle)."""

    recipe_name: str
    run_id: str


class _Replies(asyncio.Protocol):
    """The child's replies: each resolves the future of its call."""

    def __init__(self) -> None:
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.stopped: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._parser = FrameParser()

    def data_received(self, data: bytes) -> None:
        for reply in self._parser.feed(data):
            call, ok, value = cast(tuple[int, bool, Any], reply)
            future = self.pending.pop(call, None)
            if future is None or future.done():
                continue  # its run was cancelled
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in self.pending.values():
            if not future.done():
                future.set_exception(_stopped())
        self.pending.clear()
        if not self.stopped.done():
            self.stopped.set_result(None)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Take the exception of a future nobody awaits any more (asyncio would log it)."""
    if not future.cancelled():
        future.exception()


def _stopped() -> OSError:
    return OSError(
        errno.EIO,
        "wisdomgate's disk process stopped before it finished (see its message above);"
        " the files it wrote are whole, and --resume reuses the answers they hold",
    )


class DiskProcess:
    """The child process of one Runner.run_all and the calls in flight to it."""

    def __init__(
        self, process: subprocess.Popen[bytes], writer: asyncio.WriteTransport, replies: _Replies
    ) -> None:
        self._process = process
        self._writer = writer
        self._replies = replies
        self._calls = 1  # call 1: the child's hello, once it has the stores
        self._handles = 0
        self._hello = replies.pending[1] = asyncio.get_running_loop().create_future()
        self._hello.add_done_callback(_retrieve)  # a child that never started: the threads

    @classmethod
    async def start(cls, stores: RunStores) -> DiskProcess:
        """Start the child and hand it the stores it writes through."""
        loop = asyncio.get_running_loop()
        command = [sys.executable, "-m", "wisdomgate.run.disk_worker"]
        pipe = subprocess.PIPE
        process = subprocess.Popen(command, stdin=pipe, stdout=pipe, env=_child_environment())
        assert process.stdin is not None and process.stdout is not None
        replies = _Replies()
        await loop.connect_read_pipe(lambda: replies, process.stdout)
        writer, _ = await loop.connect_write_pipe(asyncio.Protocol, process.stdin)
        writer.write(encode_frame(stores))
        return cls(process, writer, replies)  # its hello comes later: see `ready`

    @property
    def ready(self) -> bool:
        """True once the child has started (its imports take a moment: runs opened before
        use the threads)."""
        hello = self._hello
        return hello.done() and not hello.cancelled() and hello.exception() is None

    async def wait_ready(self) -> bool:
        """Wait for the child's hello: `ready`, or False when it could not start."""
        with contextlib.suppress(Exception):
            await asyncio.shield(self._hello)
        return self.ready

    def call(self, op: str, *args: object) -> asyncio.Future[Any]:
        """Send a call; its future gets the reply (or the exception raised in the child)."""
        self._calls += 1
        future = asyncio.get_running_loop().create_future()
        if self._writer.is_closing():
            future.set_exception(_stopped())
            return future
        self._replies.pending[self._calls] = future
        self._writer.write(encode_frame((self._calls, op, args)))
        return future

    def send(self, op: str, *args: object) -> None:
        """Send a call that wants no reply (call number 0)."""
        if not self._writer.is_closing():
            self._writer.write(encode_frame((0, op, args)))

    async def open(
        self, plan: PlannedRun, path: Path, files: Files | None, threads: DiskThreads
    ) -> tuple[ProcessJobs, Exception | None]:
        """Open, lock and clean the run's folder in the child (and write files there); the
        jobs of the run, and the bug met while preparing the folder, if any."""
        self._handles += 1
        handle = self._handles
        sent = await _materialized(files or [], threads)
        opening = self.call("open", handle, _RunName(plan.recipe_name, plan.run_id), sent)
        try:
            problem = await asyncio.shield(opening)
        except asyncio.CancelledError:
            self.send("close", handle)  # the child opens it anyway: released right after
            opening.add_done_callback(_retrieve)
            raise
        return ProcessJobs(self, handle, path, threads), problem

    async def aclose(self) -> None:
        """Let the child finish every call sent, and wait for it to exit."""
        self._writer.close()
        await self._replies.stopped
        if not self._hello.done():
            self._hello.cancel()
        await in_thread(None, self._process.wait)


class ProcessJobs:
    """One run's folder in the disk process (the runner's FolderJobs for such runs)."""

    def __init__(self, process: DiskProcess, handle: int, path: Path, threads: DiskThreads) -> None:
        self.path = path
        self._process = process
        self._handle = handle
        self._threads = threads

    async def write(self, files: Files, durable: bool = False) -> list[FileRef]:
        """Write files (durable: then sync them) and return their references."""
        sent = await _materialized(files, self._threads)
        refs: list[FileRef] = await self._process.call("write", self._handle, sent, durable, False)
        return refs

    async def finish(self, files: Files, durable: bool) -> None:
        """write(), then release the folder."""
        sent = await _materialized(files, self._threads)
        await self._process.call("write", self._handle, sent, durable, True)

    def close_now(self) -> None:
        """Release the folder (cancellation): after the child's call in progress."""
        self._process.send("close", self._handle)


def _child_environment() -> dict[str, str]:
    """This environment, with the folders this process imports wisdomgate from first on the
    child's path (a source checkout run without installing works too)."""
    homes = {str(Path(module.__file__ or ".").resolve().parent.parent) for module in _PACKAGES}
    found = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*sorted(homes), *([found] if found else [])]),
    }


async def _materialized(files: Files, threads: DiskThreads) -> list[tuple[str, bytes]]:
    """files with every reader's bytes read (in a thread: they may be on disk)."""
    ready = [(name, data) for name, data in files if isinstance(data, bytes)]
    if len(ready) == len(files):
        return ready
    return await in_thread(threads.quick, partial(_read_all, files))


def _read_all(files: Files) -> list[tuple[str, bytes]]:
    return [(name, data if isinstance(data, bytes) else _read(data)) for name, data in files]


def _read(opener: Callable[[], BinaryIO]) -> bytes:
    with opener() as source:
        return source.read()
