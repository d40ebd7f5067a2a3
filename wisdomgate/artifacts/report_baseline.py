"""A run folder against a baseline folder: runs paired by recipe, run id and turn, images scored.

Each run of either folder is paired by (recipe name, run id), each of its turns by number, each
final image by its place in the answer. A pair's score is its largest image change score
(wisdomgate.artifacts.report_images); byte-identical images score 0 without being decoded. The
requests are compared as the manifests keep them (prompt, config, references by sha256, the
model), so the page shows what changed in what was asked next to what changed in the answer.
Badges: new (no baseline run), removed (no run now), changed, unchanged.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from wisdomgate.artifacts.report_images import GONE, SAME, ImageChange, compare_images
from wisdomgate.artifacts.report_load import ReportRun
from wisdomgate.artifacts.report_view import Thumb, page_path
from wisdomgate.run import ImageRecord, TurnRecord, map_objects

__all__ = ["Badge", "Comparison", "ImagePair", "RunPair", "TurnPair", "compare_runs"]

Badge = Literal["new", "removed", "changed", "unchanged"]
_BADGE_ORDER: tuple[Badge, ...] = ("changed", "new", "removed", "unchanged")


@dataclass(frozen=True)
class ImagePair:
    """The n-th final image of a turn, before and now, and how much it changed."""

    old: Thumb | None
    new: Thumb | None
    change: ImageChange


@dataclass(frozen=True)
class TurnPair:
    """A turn before and now: its images, the diff of its request, its outcome before and now."""

    number: int
    old: TurnRecord | None
    new: TurnRecord | None
    images: list[ImagePair]
    request_diff: list[str]  # unified diff lines; empty when the request is the same

    @property
    def score(self) -> float:
        """The largest change score of its images (1 when the turn is on one side only)."""
        if self.old is None or self.new is None:
            return 1.0
        return max((pair.change.score for pair in self.images), default=0.0)

    @property
    def outcome_changed(self) -> bool:
        """True when the turn's status or outcome kind is not what it was."""
        return _verdict(self.old) != _verdict(self.new)


@dataclass(frozen=True)
class RunPair:
    """A run before and now (either may be missing) and its turns' pairs."""

    key: tuple[str, str]
    old: ReportRun | None
    new: ReportRun | None
    turns: list[TurnPair]

    @property
    def badge(self) -> Badge:
        """new, removed, changed or unchanged."""
        if self.old is None:
            return "new"
        if self.new is None:
            return "removed"
        changed = any(
            turn.score > 0 or turn.request_diff or turn.outcome_changed for turn in self.turns
        )
        return "changed" if changed else "unchanged"

    @property
    def score(self) -> float:
        """The largest change score of its turns (0 for a new or removed run: nothing to pair)."""
        if self.old is None or self.new is None:
            return 0.0
        return max((turn.score for turn in self.turns), default=0.0)

    @property
    def label(self) -> str:
        """`recipe [run id]`."""
        return f"{self.key[0]} [{self.key[1]}]"


@dataclass(frozen=True)
class Comparison:
    """Every run pair of the two folders: changed (most first), new, removed, unchanged."""

    baseline: Path
    pairs: list[RunPair]

    def count(self, badge: Badge) -> int:
        """How many pairs have the badge."""
        return sum(1 for pair in self.pairs if pair.badge == badge)

    def over(self, threshold: float) -> list[RunPair]:
        """The pairs whose change score exceeds threshold."""
        return [pair for pair in self.pairs if pair.score > threshold]

    def badge_of(self, run: ReportRun) -> Badge | None:
        """The badge of the pair a run of the new folder is in."""
        return next((pair.badge for pair in self.pairs if pair.new is run), None)


def compare_runs(
    baseline: Path, old: list[ReportRun], new: list[ReportRun], page_dir: Path
) -> Comparison:
    """Pair the runs of the baseline folder (old) with those of this one (new)."""
    old_by_key = {run.key: run for run in old}
    new_by_key = {run.key: run for run in new}
    keys = sorted(set(old_by_key) | set(new_by_key))
    pairs = [_pair_runs(key, old_by_key.get(key), new_by_key.get(key), page_dir) for key in keys]
    # what needs a look first: the most changed runs, then new and removed ones
    pairs.sort(key=lambda pair: (_BADGE_ORDER.index(pair.badge), -pair.score, pair.key))
    return Comparison(baseline, pairs)


def _pair_runs(
    key: tuple[str, str], old: ReportRun | None, new: ReportRun | None, page_dir: Path
) -> RunPair:
    if old is None or new is None:
        return RunPair(key, old, new, [])
    old_turns = {turn.number: turn for turn in old.turns}
    new_turns = {turn.number: turn for turn in new.turns}
    turns = [
        _pair_turns(number, old, new, old_turns.get(number), new_turns.get(number), page_dir)
        for number in sorted(set(old_turns) | set(new_turns))
    ]
    return RunPair(key, old, new, turns)


def _pair_turns(
    number: int,
    old_run: ReportRun,
    new_run: ReportRun,
    old: TurnRecord | None,
    new: TurnRecord | None,
    page_dir: Path,
) -> TurnPair:
    old_images = _finals(old)
    new_images = _finals(new)
    images = []
    for index in range(max(len(old_images), len(new_images))):
        before = old_images[index] if index < len(old_images) else None
        after = new_images[index] if index < len(new_images) else None
        images.append(_pair_images(old_run, new_run, before, after, page_dir))
    diff = _request_diff(old_run, old, new_run, new)
    return TurnPair(number, old, new, images, diff)


def _finals(turn: TurnRecord | None) -> list[ImageRecord]:
    return [image for image in turn.images if not image.thought] if turn else []


def _pair_images(
    old_run: ReportRun,
    new_run: ReportRun,
    old: ImageRecord | None,
    new: ImageRecord | None,
    page_dir: Path,
) -> ImagePair:
    old_thumb = _thumb(old_run, old, page_dir)
    new_thumb = _thumb(new_run, new, page_dir)
    if old is None or new is None:
        return ImagePair(old_thumb, new_thumb, GONE)
    if old.file.sha256 == new.file.sha256:
        return ImagePair(old_thumb, new_thumb, SAME)
    change = compare_images(old_run.folder / old.file.file, new_run.folder / new.file.file)
    return ImagePair(old_thumb, new_thumb, change)


def _thumb(run: ReportRun, image: ImageRecord | None, page_dir: Path) -> Thumb | None:
    if image is None:
        return None
    size = f"{image.width}x{image.height}" if image.width and image.height else "undecodable"
    return Thumb(page_path(run.folder / image.file.file, page_dir), image.file.file, size)


def _verdict(turn: TurnRecord | None) -> tuple[str, str | None]:
    if turn is None:
        return "absent", None
    return turn.status, turn.outcome.kind.value if turn.outcome else None


def _request_diff(
    old_run: ReportRun, old: TurnRecord | None, new_run: ReportRun, new: TurnRecord | None
) -> list[str]:
    before = _request_lines(old_run, old)
    after = _request_lines(new_run, new)
    if before == after:
        return []
    return list(difflib.unified_diff(before, after, "baseline", "this run", lineterm="", n=2))


def _request_lines(run: ReportRun, turn: TurnRecord | None) -> list[str]:
    """The request as it was asked, independent of where its folder lies: references by name,
    sha256 and size (a reference's path is relative to its run folder)."""
    if turn is None:
        return []
    request = map_objects(turn.request or {}, _portable)
    shown = {"model": run.manifest.get("model"), "request": request}
    return json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def _portable(obj: dict[str, Any]) -> dict[str, Any]:
    blob = obj.get("inlineData")
    data = blob.get("data") if isinstance(blob, dict) else None
    if isinstance(blob, dict) and isinstance(data, dict):
        name = Path(str(data.get("file"))).name if data.get("file") else None
        portable = {"name": name, "sha256": data.get("sha256"), "bytes": data.get("bytes")}
        return {**obj, "inlineData": {**blob, "data": portable}}
    return obj
