"""What the disk threads do for a run (wisdomgate.run.offload), one call at a time per folder:
open, lock and clean its folder, and write the files of its answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from wisdomgate.errors import OutputError
from wisdomgate.recipe import PlannedRun
from wisdomgate.run.references import reference_names
from wisdomgate.run.resume import PaidAnswer, load_lost_answers, load_paid_answers
from wisdomgate.run.run_state import Files
from wisdomgate.run.store import FileRef, RunStore, RunStores

__all__ = [
    "Prepared",
    "close_opened",
    "is_local_io",
    "open_folder",
    "prepare_folder",
    "write_and_close",
    "write_files",
]

# what --resume may reuse (answers, lost answers) and the fitted references copied in
FileData = bytes | Callable[[], BinaryIO]  # the bytes, or how to open them
Prepared = tuple[dict[int, PaidAnswer], dict[int, str], dict[Path, str]]


def open_folder(
    stores: RunStores, plan: PlannedRun, resume: bool, files: Files | None
) -> tuple[RunStore, Prepared | Exception]:
    folder = stores.open(plan)
    try:
        prepared = prepare_folder(folder, plan, resume)
        if files is not None:
            write_files(folder, files)
    except Exception as exc:
        if is_local_io(exc) or isinstance(exc, OutputError):
            folder.close()
            raise
        return folder, exc  # a bug: this run records it as its internal error
    except BaseException:
        folder.close()
        raise
    return folder, prepared


def prepare_folder(folder: RunStore, plan: PlannedRun, resume: bool) -> Prepared:
    folder.remove_partial_files()
    paid: dict[int, PaidAnswer] = {}
    lost: dict[int, str] = {}
    if resume:  # read before the old files go
        paid = load_paid_answers(folder, [turn.number for turn in plan.turns])
        lost = load_lost_answers(folder)
    folder.remove_previous_outputs()  # reused answers are written again by their turn
    return paid, lost, reference_names(folder, plan)  # fitted references copied in


def write_files(
    folder: RunStore, files: Sequence[tuple[str, FileData]], durable: bool = False
) -> list[FileRef]:
    refs = [write_one(folder, name, data) for name, data in files]
    if durable:
        folder.sync()
    return refs


def write_one(folder: RunStore, name: str, data: FileData) -> FileRef:
    if isinstance(data, bytes):
        return folder.write(name, data)
    with data() as source:  # from where the client put it: no copy in memory
        return folder.write_stream(name, source)


def write_and_close(folder: RunStore, files: Files, durable: bool) -> None:
    try:
        write_files(folder, files, durable)
    finally:
        folder.close()


def close_opened(opening: asyncio.Future[tuple[RunStore, Prepared | Exception]]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result()[0].close()


def is_local_io(error: Exception) -> bool:
    """An OSError of this machine (disk full, read-only, no such folder), not of the network
    (ConnectionError and TimeoutError are OSErrors too, but concern one request only)."""
    return isinstance(error, OSError) and not isinstance(error, ConnectionError | TimeoutError)
