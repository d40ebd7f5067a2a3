"""What the runner takes and gives: its options, the client it needs, a finished run's result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from wisdomgate.errors import FolderBusyError, UsageError
from wisdomgate.recipe import PlannedRun
from wisdomgate.run.cost import Budget
from wisdomgate.run.outcomes import OutcomeKind, folder_busy
from wisdomgate.run.prices import PriceTable, builtin_prices
from wisdomgate.run.ratelimit import DEFAULT_REQUESTS_PER_MINUTE
from wisdomgate.run.records import RunRecord, TurnRecord
from wisdomgate.run.store import RunStores
from wisdomgate_api import Redactor
from wisdomgate_api.models import GenerateContentRequest, GenerateContentResponse

__all__ = [
    "DEFAULT_CONCURRENCY",
    "FolderClashError",
    "GenerateContentClient",
    "RunResult",
    "RunnerOptions",
    "check_folders",
    "refused_result",
    "utc_now",
]

DEFAULT_CONCURRENCY = 4


class GenerateContentClient(Protocol):
    """What the runner needs of a client (wisdomgate_api.AsyncClient has it)."""

    async def generate_content(
        self, model: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        """Send one request and return the parsed answer."""
        ...


class FolderClashError(UsageError):
    """Two runs would write into the same output folder."""


@dataclass(frozen=True)
class RunnerOptions:
    """How to run: how many runs at once, how fast per model, what to mask, whether to resume."""

    concurrency: int = DEFAULT_CONCURRENCY
    requests_per_minute: float | None = DEFAULT_REQUESTS_PER_MINUTE  # None: no limit
    redactor: Redactor = field(default_factory=Redactor)
    resume: bool = False  # reuse answers already in the run folders for unchanged requests
    prices: PriceTable = field(default_factory=builtin_prices)  # what each answer cost
    budget: Budget | None = None  # --max-cost: no run starts once it is reached
    replayed: bool = False  # answers come from a cassette (--replay): nothing is paid now
    # folder work of small-file runs in a child process (wisdomgate.run.disk_process): None
    # when the batch has PROCESS_MIN_RUNS such runs, True or False to decide
    disk_process: bool | None = None


@dataclass(frozen=True)
class RunResult:
    """A finished run: its plan, manifest record and output folder."""

    plan: PlannedRun
    record: RunRecord
    folder: Path

    @property
    def passed(self) -> bool:
        """True when every turn passed."""
        return self.record.status == "passed"

    @property
    def images(self) -> list[Path]:
        """The answer images written, in turn order."""
        return [
            self.folder / image.file.file
            for turn in self.record.turns
            for image in turn.images
            if not image.thought
        ]

    @property
    def refused(self) -> bool:
        """True when the run never started: another process was writing its folder."""
        return any(
            turn.outcome is not None and turn.outcome.kind is OutcomeKind.FOLDER_BUSY
            for turn in self.record.turns
        )


def check_folders(plans: Sequence[PlannedRun], stores: RunStores) -> None:
    """FolderClashError when two runs map to one folder (e.g. two recipes with the same name)."""
    seen: dict[Path, PlannedRun] = {}
    for plan in plans:
        folder = stores.path_of(plan)
        other = seen.setdefault(folder, plan)
        if other is not plan:
            raise FolderClashError(
                f"{plan.recipe_path} ({plan.run_id}) and {other.recipe_path} ({other.run_id})"
                f" would both write to {folder}; give the recipes different names"
            )


def utc_now() -> str:
    """The time now, as the manifests write it (ISO 8601, UTC, milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def refused_result(plan: PlannedRun, stores: RunStores, busy: FolderBusyError) -> RunResult:
    """The result of a run refused because its folder is busy: nothing was sent or written."""
    path = stores.path_of(plan)
    relative = path.relative_to(stores.out_dir).as_posix()
    turns = [TurnRecord(t.number, outcome=folder_busy(str(busy))) for t in plan.turns]
    record = RunRecord(plan, relative, turns, utc_now(), status="failed", reason=str(busy))
    record.finished_at, record.duration_ms = record.started_at, 0
    return RunResult(plan, record, path)
