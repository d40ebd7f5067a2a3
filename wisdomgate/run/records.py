"""A run's records, filled in as it goes: what each turn sent, got, wrote and concluded.

`RunRecord.to_json()` is the manifest (manifest.json, see docs/running.md); the runner has it
written through its RunStore before each request and after each answer. Requests and responses
are kept in their compact manifest form (wisdomgate.run.wire). The records are typed (statuses
are `Literal`s, images and timings dataclasses); their JSON form is the manifest's, unchanged.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wisdomgate import __version__
from wisdomgate.recipe import PlannedRun
from wisdomgate.run.cost import Cost, total_usd
from wisdomgate.run.expectations import ExpectationResult
from wisdomgate.run.outcomes import OutcomeKind, TurnOutcome
from wisdomgate.run.store import FileRef

__all__ = [
    "MANIFEST_VERSION",
    "GitInfo",
    "ImageRecord",
    "RunRecord",
    "RunStatus",
    "Timing",
    "TurnRecord",
    "TurnStatus",
    "git_info",
    "git_infos",
]

MANIFEST_VERSION = 1

RunStatus = Literal["running", "passed", "failed"]
TurnStatus = Literal["passed", "failed", "not_run", "pending"]


@dataclass(frozen=True)
class GitInfo:
    """Where the recipe lives in git: the HEAD revision and the path from the repository root."""

    revision: str | None
    path: str | None


NO_GIT = GitInfo(None, None)


@functools.cache
def _git_root_and_head(folder: Path) -> tuple[Path, str] | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2:
        return None  # not a repository, or one without commits
    return Path(lines[0]), lines[1]


def git_info(recipe_path: Path) -> GitInfo:
    """The HEAD revision of the recipe's repository (None outside git) and its repo path."""
    found = _git_root_and_head(recipe_path.resolve().parent)
    if found is None:
        return NO_GIT
    root, head = found
    try:
        path = recipe_path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        path = None
    return GitInfo(head, path)


def git_infos(recipe_paths: Iterable[Path]) -> dict[Path, GitInfo]:
    """git_info of each distinct recipe path (it runs git: call it once per invocation)."""
    return {path: git_info(path) for path in dict.fromkeys(recipe_paths)}


@dataclass(frozen=True)
class ImageRecord:
    """An image an answer held, as written: its file, MIME type and pixel size."""

    file: FileRef
    mime_type: str
    thought: bool  # an interim image of the model's thinking
    width: int | None  # None when the bytes do not decode as an image
    height: int | None

    def to_json(self) -> dict[str, Any]:
        """The manifest form: the file reference plus mimeType, thought, width, height."""
        return {
            **self.file.to_json(),
            "mimeType": self.mime_type,
            "thought": self.thought,
            "width": self.width,
            "height": self.height,
        }


@dataclass(frozen=True)
class Timing:
    """How long a sent request took, and how long it waited for the rate limit first."""

    request_ms: int
    rate_limit_wait_ms: int

    def to_json(self) -> dict[str, int]:
        """The manifest form: {"request", "rate_limit_wait"} in milliseconds."""
        return {"request": self.request_ms, "rate_limit_wait": self.rate_limit_wait_ms}


@dataclass
class TurnRecord:
    """Everything about one turn, filled in as the turn goes."""

    number: int
    outcome: TurnOutcome | None = None
    request: dict[str, Any] | None = None  # the wire request, compact (wisdomgate.run.wire)
    request_sha256: str | None = None  # of the exact body bytes sent
    request_bytes: int | None = None
    response: dict[str, Any] | None = None
    images: list[ImageRecord] = field(default_factory=list)
    text_file: str | None = None
    timing: Timing | None = None  # None when nothing was sent
    expectations: list[ExpectationResult] = field(default_factory=list)
    reused: bool = False  # answered from disk by --resume, not sent again
    resent_lost_answer: bool = False  # --resume sent it again after its answer was lost
    cost: Cost | None = None  # from usageMetadata; None when nothing was answered or priced
    retries: int = 0  # re-sends by the client's retry policy (429/5xx, nothing answered)

    @property
    def status(self) -> TurnStatus:
        """passed, failed, not_run or pending."""
        if self.outcome is None:
            return "pending"
        if self.outcome.kind in (OutcomeKind.NOT_RUN, OutcomeKind.BUDGET):
            return "not_run"
        return "passed" if self.outcome.passed else "failed"

    def to_json(self) -> dict[str, Any]:
        """The manifest form of the turn."""
        return {
            "number": self.number,
            "status": self.status,
            "outcome": self.outcome.to_json() if self.outcome else None,
            "request_sha256": self.request_sha256,
            "request_bytes": self.request_bytes,
            "reused": self.reused,
            "resent_lost_answer": self.resent_lost_answer,
            "retries": self.retries,
            "request": self.request,
            "response": self.response,
            "outputs": {
                "images": [image.to_json() for image in self.images],
                "text": self.text_file,
            },
            "timing_ms": self.timing.to_json() if self.timing else {},
            "cost": self.cost.to_json() if self.cost else None,
            "expectations": [result.to_json() for result in self.expectations],
        }


@dataclass
class RunRecord:
    """One run's manifest in the making."""

    plan: PlannedRun
    folder: str  # the run folder relative to the output root
    turns: list[TurnRecord]
    started_at: str
    finished_at: str | None = None
    duration_ms: int | None = None
    status: RunStatus = "running"
    reason: str = ""
    git: GitInfo = NO_GIT  # read once per invocation (git_infos), not at every save

    def usage(self) -> dict[str, int]:
        """usageMetadata's counts summed over the turns that were answered."""
        total: dict[str, int] = {}
        for turn in self.turns:
            usage = (turn.response or {}).get("usageMetadata") or {}
            for key, value in usage.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    total[key] = total.get(key, 0) + value
        return total

    def cost(self) -> dict[str, float]:
        """USD charged in this invocation, and all the turns' costs (reused/replayed too)."""
        costs = [turn.cost for turn in self.turns]
        return {
            "usd": round(total_usd(costs, charged=True), 6),
            "all_usd": round(total_usd(costs, charged=False), 6),
        }

    def to_json(self) -> dict[str, Any]:
        """The whole manifest."""
        plan = self.plan
        return {
            "manifest_version": MANIFEST_VERSION,
            "tool": {"name": "wisdomgate", "version": __version__},
            "recipe": {
                "name": plan.recipe_name,
                "path": str(plan.recipe_path),
                "repo_path": self.git.path,
                "sha256": plan.recipe_sha256,
                "git_revision": self.git.revision,
            },
            "run": {"id": plan.run_id, "folder": self.folder, "variables": dict(plan.variables)},
            "model": plan.model,
            "status": self.status,
            "reason": self.reason,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_ms": self.duration_ms,
            "usage": self.usage(),
            "cost": self.cost(),
            "turns": [turn.to_json() for turn in self.turns],
        }
