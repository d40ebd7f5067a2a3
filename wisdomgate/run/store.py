"""Where a run's files go: the contract between the runner and the output folders.

The run stage decides *what* is written (answers, texts, manifests, request bodies), under
which names and when it must be durable (`sync`, the durability policy in docs/running.md);
wisdomgate.artifacts.folders decides *how* (atomically, never through a link, one writer per
folder) and implements these protocols. Their methods block on the disk: the runner calls them
in its I/O threads, never on the event loop. The runner only sees the protocols, so
imports flow one way: recipe -> run -> artifacts -> cli.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from wisdomgate.errors import FolderBusyError
from wisdomgate.recipe import PlannedRun

__all__ = [
    "MANIFEST_NAME",
    "REFERENCE_NAMES",
    "FileRef",
    "FittedRef",
    "RunName",
    "RunStore",
    "RunStores",
    "image_extension",
    "image_file_name",
    "is_image_name",
    "reference_file_name",
    "request_file_name",
    "response_file_name",
    "text_file_name",
    "write_if_new",
]

MANIFEST_NAME = "manifest.json"
_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/heif": "heif",
    "image/bmp": "bmp",
    "image/tiff": "tiff",
}
IMAGE_NAMES = re.compile(r"turn-[0-9]+-(?:thought-)?[0-9]+\.[A-Za-z0-9_+-]+")  # image_extension
REFERENCE_NAMES = re.compile(r"reference-[0-9a-f]{16}\.[A-Za-z0-9_+-]+")  # reference_file_name


@dataclass(frozen=True)
class FileRef:
    """A file written for (or read into) a run: where it is, its hash and its size."""

    file: str  # relative to the run folder, "/" separators
    sha256: str
    bytes: int

    def to_json(self) -> dict[str, Any]:
        """The manifest form: {"file", "sha256", "bytes"}."""
        return {"file": self.file, "sha256": self.sha256, "bytes": self.bytes}


@dataclass(frozen=True)
class FittedRef(FileRef):
    """A fitted reference image's file (the bytes sent) and the file it was made from."""

    source: FileRef
    fit: dict[str, Any]  # long_side, auto, width, height, mimeType, quality

    def to_json(self) -> dict[str, Any]:
        """The manifest form: FileRef's, plus "fitted_from" (the original) and "fit"."""
        return {**super().to_json(), "fitted_from": self.source.to_json(), "fit": self.fit}


def image_extension(mime_type: str) -> str:
    """The file extension (no dot) for an image MIME type; the subtype for unknown ones."""
    mime = mime_type.split(";")[0].strip().lower()
    if mime in _EXTENSIONS:
        return _EXTENSIONS[mime]
    subtype = mime.rpartition("/")[2]
    # no "." in an extension, so that every image name matches IMAGE_NAMES
    return re.sub(r"[^A-Za-z0-9+-]", "_", subtype) or "bin"


def image_file_name(turn: int, index: int, mime_type: str, *, thought: bool = False) -> str:
    """`turn-<N>-<index>.<ext>`, or `turn-<N>-thought-<index>.<ext>` for an interim image."""
    kind = "thought-" if thought else ""
    return f"turn-{turn}-{kind}{index}.{image_extension(mime_type)}"


def is_image_name(name: str) -> bool:
    """True for a name wisdomgate gives an image it writes (`turn-<N>-[thought-]<K>.<ext>`)."""
    return IMAGE_NAMES.fullmatch(name) is not None


def reference_file_name(sha256: str, mime_type: str) -> str:
    """Where a fitted reference image is kept in the run it was sent in: by its content."""
    return f"reference-{sha256[:16]}.{image_extension(mime_type)}"


def response_file_name(turn: int) -> str:
    """Where turn N's whole answer is kept (image data as file references)."""
    return f"turn-{turn}.response.json"


def text_file_name(turn: int) -> str:
    """Where turn N's answer text is written."""
    return f"turn-{turn}.txt"


def request_file_name(turn: int, *, preview: bool = False) -> str:
    """A dry run's request body: `turn-<N>.request.json`, or `.request.preview.json`."""
    return f"turn-{turn}.request.preview.json" if preview else f"turn-{turn}.request.json"


class RunName(Protocol):
    """What names a run's folder: its recipe and its run id (a PlannedRun is one)."""

    @property
    def recipe_name(self) -> str:
        """The recipe's name."""
        ...

    @property
    def run_id(self) -> str:
        """The run's id within its recipe."""
        ...


class RunStore(Protocol):
    """One run's open, locked folder: read and write files by name."""

    @property
    def path(self) -> Path:
        """The folder, for messages and results."""
        ...

    def close(self) -> None:
        """Release the folder (its lock)."""
        ...

    def read(self, name: str) -> bytes:
        """The bytes of the file `name` in the folder."""
        ...

    def write(self, name: str, data: bytes) -> FileRef:
        """Write the file `name` atomically (a kill leaves the old file or the whole new one);
        its reference. It is durable (survives a power loss) once `sync` has returned."""
        ...

    def sync(self) -> None:
        """Make every file written since the last sync durable, and their names in the folder."""
        ...

    def write_stream(self, name: str, source: BinaryIO) -> FileRef:
        """Write the file `name` atomically from a reader (copied in pieces); its reference."""
        ...

    def remove_partial_files(self) -> None:
        """Delete temporary files a killed earlier run left behind."""
        ...

    def remove_previous_outputs(self, *, requests_only: bool = False) -> None:
        """Delete what an earlier run (or only its dry-run request bodies) wrote here."""
        ...

    def reference(self, path: Path) -> str:
        """path relative to the folder (for reference images that live elsewhere)."""
        ...


class RunStores(Protocol):
    """The output folder of a whole invocation: one RunStore per run."""

    @property
    def out_dir(self) -> Path:
        """The folder given as --out."""
        ...

    def path_of(self, plan: RunName) -> Path:
        """The folder a run writes to."""
        ...

    def check(self, plans: Iterable[PlannedRun]) -> None:
        """Before anything is sent: raise (an OutputError) when the runs cannot write safely."""
        ...

    def open(self, plan: RunName) -> RunStore:
        """The run's folder, created, opened and locked; FolderBusyError when another holds it."""
        ...

    def sync_many(self, folders: Sequence[RunStore]) -> list[OSError | None]:
        """`sync` for several of its open folders at once (they share one group commit): for
        each, None once it is durable, or the OSError that says it may not be."""
        ...


def write_if_new(
    stores: RunStores, plan: PlannedRun, files: Sequence[tuple[str, bytes | Callable[[], BinaryIO]]]
) -> None:
    """Write the in-memory files into the run's folder unless it holds a manifest already (it
    then records an earlier invocation, whose answers `--resume` reuses: nothing is replaced).
    A folder another process writes is left alone: that process's manifest says what happened."""
    try:
        folder = stores.open(plan)
    except FolderBusyError:
        return
    try:
        try:
            folder.read(MANIFEST_NAME)
        except FileNotFoundError:
            for name, data in files:
                if isinstance(data, bytes):
                    folder.write(name, data)
    finally:
        folder.close()
