"""A run's records, filled in as it goes: what each turn sent, got, wrote and concluded.

`RunRecord.to_json()` is the manifest (manifest.json, see docs/running.md); the runner has it
written after every turn through its RunStore. Requests and responses are kept in their compact
manifest form (wisdomgate.run.wire).
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wisdomgate import __version__
from wisdomgate.recipe import PlannedRun
from wisdomgate.run.expectations import ExpectationResult
from wisdomgate.run.outcomes import TurnOutcome

__all__ = ["MANIFEST_VERSION", "GitInfo", "RunRecord", "TurnRecord", "git_info"]

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class GitInfo:
    """Where the recipe lives in git: the HEAD revision and the path from the repository root."""

    revision: str | None
    path: str | None


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
        return GitInfo(None, None)
    root, head = found
    try:
        path = recipe_path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        path = None
    return GitInfo(head, path)


@dataclass
class TurnRecord:
    """Everything about one turn, filled in as the turn goes."""

    number: int
    outcome: TurnOutcome | None = None
    request: Any = None  # the wire request with image data replaced by references
    request_sha256: str | None = None  # of the exact body bytes sent
    request_bytes: int | None = None
    response: dict[str, Any] | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    text_file: str | None = None
    timing_ms: dict[str, int] = field(default_factory=dict)
    expectations: list[ExpectationResult] = field(default_factory=list)
    reused: bool = False  # answered from disk by --resume, not sent again
    resent_lost_answer: bool = False  # --resume sent it again after its answer was lost

    @property
    def status(self) -> str:
        """passed, failed, not_run or pending."""
        if self.outcome is None:
            return "pending"
        if self.outcome.kind == "not_run":
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
            "request": self.request,
            "response": self.response,
            "outputs": {"images": self.images, "text": self.text_file},
            "timing_ms": self.timing_ms,
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
    status: str = "running"  # running, passed, failed
    reason: str = ""

    def usage(self) -> dict[str, int]:
        """usageMetadata's counts summed over the turns that were answered."""
        total: dict[str, int] = {}
        for turn in self.turns:
            usage = (turn.response or {}).get("usageMetadata") or {}
            for key, value in usage.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    total[key] = total.get(key, 0) + value
        return total

    def to_json(self) -> dict[str, Any]:
        """The whole manifest."""
        plan = self.plan
        git = git_info(plan.recipe_path)
        return {
            "manifest_version": MANIFEST_VERSION,
            "tool": {"name": "wisdomgate", "version": __version__},
            "recipe": {
                "name": plan.recipe_name,
                "path": str(plan.recipe_path),
                "repo_path": git.path,
                "sha256": plan.recipe_sha256,
                "git_revision": git.revision,
            },
            "run": {"id": plan.run_id, "folder": self.folder, "variables": dict(plan.variables)},
            "model": plan.model,
            "status": self.status,
            "reason": self.reason,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_ms": self.duration_ms,
            "usage": self.usage(),
            "turns": [turn.to_json() for turn in self.turns],
        }
