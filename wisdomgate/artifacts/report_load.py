"""The runs of an output folder, read back from their manifests for the report (no network).

Every `<recipe>/<run>/manifest.json` under the folder is read with the manifest loaders
(wisdomgate.artifacts.manifest): the run's own fields stay the manifest's JSON, its turns become
the runner's TurnRecords again. Symbolic links are never followed, so a page built from a
folder shows only files inside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wisdomgate.artifacts.manifest import ManifestError, read_manifest, turn_record
from wisdomgate.errors import ToolkitError
from wisdomgate.run import MANIFEST_NAME, TurnRecord

__all__ = ["LoadedRuns", "ReportError", "ReportRun", "load_runs"]


class ReportError(ToolkitError):
    """The folder given to the report is not a wisdomgate output folder (exit 2)."""


@dataclass(frozen=True)
class ReportRun:
    """One run as its manifest tells it: the manifest JSON, its folder, its turns as records."""

    manifest: dict[str, Any]
    folder: Path  # the run folder itself
    relative: str  # the run folder relative to the output folder, "/" separators
    turns: list[TurnRecord]

    @property
    def key(self) -> tuple[str, str]:
        """(recipe name, run id): what pairs a run with its baseline."""
        return str(self.manifest["recipe"].get("name")), str(self.manifest["run"].get("id"))

    @property
    def status(self) -> str:
        """passed, failed or running (a run that was interrupted)."""
        return str(self.manifest.get("status") or "running")


@dataclass(frozen=True)
class LoadedRuns:
    """The readable runs of a folder, and the manifests that could not be read (with why)."""

    root: Path
    runs: list[ReportRun]
    unreadable: list[str]


def load_runs(root: Path, *, option: str = "OUT") -> LoadedRuns:
    """Every run under root, sorted by recipe and run id.

    ReportError when root is not a folder or holds no wisdomgate manifest at all; option names
    the argument in the message.
    """
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise ReportError(f"{option} {root} {what}: give the --out folder of a `wisdomgate run`")
    runs: list[ReportRun] = []
    unreadable: list[str] = []
    for path in _manifest_paths(root):
        try:
            runs.append(_load_run(root, path))
        except ManifestError as error:
            unreadable.append(str(error))
    if not runs:
        found = f" ({'; '.join(unreadable)})" if unreadable else ""
        raise ReportError(
            f"{option} {root} is not a wisdomgate output folder: no readable"
            f" <recipe>/<run>/{MANIFEST_NAME} in it{found}"
        )
    runs.sort(key=lambda run: (run.key, run.relative))
    return LoadedRuns(root, runs, unreadable)


def _manifest_paths(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        if MANIFEST_NAME in files and not Path(folder, MANIFEST_NAME).is_symlink():
            found.append(Path(folder, MANIFEST_NAME))
    return found


def _load_run(root: Path, path: Path) -> ReportRun:
    manifest = read_manifest(path)
    try:
        turns = [turn_record(turn) for turn in manifest["turns"]]
    except (KeyError, TypeError, ValueError) as error:
        raise ManifestError(
            f"{path}: a turn cannot be read ({type(error).__name__}: {error})"
        ) from None
    folder = path.parent
    return ReportRun(manifest, folder, folder.relative_to(root).as_posix(), turns)
