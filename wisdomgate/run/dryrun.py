"""`run --dry-run`: write the request bodies a run would send, send nothing.

Turn 1 is written as `turn-1.request.json`: exactly the bytes `run` sends (the same
`encode_body`). A later turn carries the model's earlier answers, which exist only after sending;
its body is written as `turn-<N>.request.preview.json`, with each earlier model answer replaced by
a placeholder Content whose text says so. A preview shows the shape, size and settings of the
request, never bytes that would be sent.

Request bodies an earlier dry run left in the folder are removed first (a recipe that lost a turn
leaves no stale body behind); a real run's images and manifest are kept, being paid for.

A dry run locks its run folder as a run does: a folder another process is writing is refused
(`DryRunResult.refused`, its reason in `busy`) and left untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wisdomgate.errors import FolderBusyError
from wisdomgate.recipe import PlannedRun
from wisdomgate.run.conversation import Conversation, dry_run_placeholder
from wisdomgate.run.store import FileRef, RunStore, RunStores, request_file_name
from wisdomgate_api._core.encoding import encode_body

__all__ = ["DryRunRequest", "DryRunResult", "dry_run"]


@dataclass(frozen=True)
class DryRunRequest:
    """One request body written by a dry run."""

    turn: int
    file: FileRef
    preview: bool  # True when earlier model answers are placeholders


@dataclass(frozen=True)
class DryRunResult:
    """The request bodies written for one run."""

    plan: PlannedRun
    folder: Path
    requests: tuple[DryRunRequest, ...]
    busy: str | None = None  # why nothing was written: another process holds the folder

    @property
    def refused(self) -> bool:
        """True when the folder was busy and nothing was written."""
        return self.busy is not None


def dry_run(plans: Sequence[PlannedRun], stores: RunStores) -> list[DryRunResult]:
    """Write every run's request bodies into its folder; nothing is sent.

    stores.check's OutputError (before anything is written), e.g. for a planted symbolic link.
    """
    stores.check(plans)
    return [_dry_run_one(plan, stores) for plan in plans]


def _dry_run_one(plan: PlannedRun, stores: RunStores) -> DryRunResult:
    try:
        folder = stores.open(plan)
    except FolderBusyError as busy:
        return DryRunResult(plan, stores.path_of(plan), (), busy=str(busy))
    try:
        return _write_requests(plan, folder)
    finally:
        folder.close()


def _write_requests(plan: PlannedRun, folder: RunStore) -> DryRunResult:
    folder.remove_partial_files()
    folder.remove_previous_outputs(requests_only=True)
    conversation = Conversation(plan)
    written = []
    for turn in plan.turns:
        request, user = conversation.request_for(turn)
        preview = turn.number > 1
        name = request_file_name(turn.number, preview=preview)
        ref = folder.write(name, encode_body(request))
        written.append(DryRunRequest(turn.number, ref, preview))
        conversation.record(user, dry_run_placeholder(turn.number))
    return DryRunResult(plan, folder.path, tuple(written))
