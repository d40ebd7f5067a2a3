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

from wisdomgate.conversation import Conversation, dry_run_placeholder
from wisdomgate.outputs import FileRef, FolderBusyError, RunFolder, preflight_outputs
from wisdomgate.plan import PlannedRun
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


def dry_run(plans: Sequence[PlannedRun], out_dir: Path) -> list[DryRunResult]:
    """Write every run's request bodies under out_dir; nothing is sent.

    PlantedLinkError (before anything is written) for a symbolic link planted below out_dir.
    """
    preflight_outputs(plans, out_dir)
    return [_dry_run_one(plan, out_dir) for plan in plans]


def _dry_run_one(plan: PlannedRun, out_dir: Path) -> DryRunResult:
    folder = RunFolder(out_dir, plan.recipe_name, plan.run_id)
    try:
        folder.open()
    except FolderBusyError as busy:
        return DryRunResult(plan, folder.path, (), busy=str(busy))
    try:
        return _write_requests(plan, folder)
    finally:
        folder.close()


def _write_requests(plan: PlannedRun, folder: RunFolder) -> DryRunResult:
    folder.remove_partial_files()
    folder.remove_previous_outputs(requests_only=True)
    conversation = Conversation(plan)
    written = []
    for turn in plan.turns:
        request, user = conversation.request_for(turn)
        preview = turn.number > 1
        ref = folder.write_request(turn.number, encode_body(request), preview=preview)
        written.append(DryRunRequest(turn.number, ref, preview))
        conversation.record(user, dry_run_placeholder(turn.number))
    return DryRunResult(plan, folder.path, tuple(written))
