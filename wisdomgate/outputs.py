"""The output folder of a run: safe names, atomic writes, image and text files.

Layout (the recipe contract): `OUT/<recipe name>/<run id>/` holding `turn-<N>-<index>.<ext>` for
each generated image (index 1-based, extension from the MIME type), `turn-<N>.txt` for the
answer's text, `turn-<N>.request.json` for dry-run request bodies and `manifest.json`.

Every file is written to a temporary file in the same folder and moved into place with
`os.replace`, so a run that dies (even by SIGKILL) never leaves a half-written file under a final
name; at worst a `.*.tmp` file remains, which nothing reads. Files get the mode any other program
would give them (0o666 minus the umask), not mkstemp's private 0o600.

A run starts by removing what an earlier run left in its folder (`remove_previous_outputs`), so
the folder holds exactly the files its manifest refers to; only names wisdomgate writes are
removed, never a file someone else put there.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FileRef",
    "RunFolder",
    "atomic_write_bytes",
    "atomic_write_text",
    "image_extension",
    "response_file_name",
    "safe_name",
]

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
_UNSAFE = re.compile(r"[^A-Za-z0-9._=,+@-]")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(10)
}
_MAX_NAME = 120  # well under the 255-byte limit of common file systems, hash suffix included
# Every name wisdomgate writes into a run folder (and nothing else): images (thought images
# included), texts, kept responses, dry-run request bodies, the manifest, temporary files.
_REQUEST_NAMES = re.compile(r"turn-[0-9]+\.request(?:\.preview)?\.json")
_OUTPUT_NAMES = re.compile(
    r"manifest\.json|turn-[0-9]+\.txt|turn-[0-9]+\.response\.json|\..+\.tmp"
    r"|turn-[0-9]+-(?:thought-)?[0-9]+\.[A-Za-z0-9_+-]+"  # images; see image_extension
    rf"|{_REQUEST_NAMES.pattern}"
)


def _file_mode() -> int:
    """0o666 minus the process umask: the mode open() would give a new file."""
    # The umask can only be read by setting it; done once, at import, before any thread writes.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


def safe_name(text: str) -> str:
    """A deterministic file-system-safe folder name for a recipe name or run id.

    Names that are already safe are kept as they are. Otherwise every unsafe character becomes
    `_` and a short hash of the original is appended, so "aspect=16:9" and "aspect=16/9" never
    share a folder. The real name is kept in the manifest.
    """
    cleaned = _UNSAFE.sub("_", text).strip(".")
    changed = cleaned != text or not cleaned
    if cleaned.split(".")[0].upper() in _WINDOWS_RESERVED:
        changed = True
    if len(cleaned) > _MAX_NAME:
        cleaned, changed = cleaned[:_MAX_NAME], True
    if not changed:
        return cleaned
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned or 'run'}-{digest}"


def image_extension(mime_type: str) -> str:
    """The file extension (no dot) for an image MIME type; the subtype for unknown ones."""
    mime = mime_type.split(";")[0].strip().lower()
    if mime in _EXTENSIONS:
        return _EXTENSIONS[mime]
    subtype = mime.rpartition("/")[2]
    # no "." in an extension, so that every image name matches _OUTPUT_NAMES
    return re.sub(r"[^A-Za-z0-9+-]", "_", subtype) or "bin"


def response_file_name(turn: int) -> str:
    """Where turn N's whole answer is kept (image data as file references)."""
    return f"turn-{turn}.response.json"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write data to path so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp_name, _FILE_MODE)  # mkstemp makes it 0o600: others could not read outputs
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes reach the disk before the name does
        os.replace(tmp_name, path)
    except BaseException:
        # Also on KeyboardInterrupt/cancellation: the temporary file must not linger.
        Path(tmp_name).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """atomic_write_bytes for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


@dataclass(frozen=True)
class FileRef:
    """A file written for (or read into) a run: where it is, its hash and its size."""

    file: str  # relative to the run folder, "/" separators
    sha256: str
    bytes: int

    def to_json(self) -> dict[str, Any]:
        """The manifest form: {"file", "sha256", "bytes"}."""
        return {"file": self.file, "sha256": self.sha256, "bytes": self.bytes}


class RunFolder:
    """The folder of one run, `OUT/<recipe>/<run>/`, and the files written into it."""

    def __init__(self, out_dir: Path, recipe_name: str, run_id: str) -> None:
        self.path = out_dir / safe_name(recipe_name) / safe_name(run_id)

    def remove_partial_files(self) -> None:
        """Delete temporary files a killed earlier run left behind (SIGKILL skips all cleanup)."""
        for leftover in self.path.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)

    def remove_previous_outputs(self, *, requests_only: bool = False) -> None:
        """Delete the files an earlier run (or dry run) wrote here, and nothing else.

        Only this folder's own entries whose names wisdomgate writes are removed: not
        subfolders, not files with other names. requests_only: just dry-run request bodies.
        """
        if not self.path.is_dir():
            return
        names = _REQUEST_NAMES if requests_only else _OUTPUT_NAMES
        for entry in self.path.iterdir():
            if names.fullmatch(entry.name) and not entry.is_dir():
                entry.unlink(missing_ok=True)  # a symbolic link is removed, never its target

    def write(self, name: str, data: bytes) -> FileRef:
        """Write one file atomically and return its reference."""
        atomic_write_bytes(self.path / name, data)
        return FileRef(name, hashlib.sha256(data).hexdigest(), len(data))

    def write_image(self, turn: int, index: int, mime_type: str, data: bytes) -> FileRef:
        """Write `turn-<N>-<index>.<ext>` (index 1-based)."""
        return self.write(f"turn-{turn}-{index}.{image_extension(mime_type)}", data)

    def write_thought_image(self, turn: int, index: int, mime_type: str, data: bytes) -> FileRef:
        """Write an interim "thought" image as `turn-<N>-thought-<index>.<ext>`."""
        return self.write(f"turn-{turn}-thought-{index}.{image_extension(mime_type)}", data)

    def write_text(self, turn: int, text: str) -> FileRef:
        """Write the answer's text as `turn-<N>.txt`."""
        return self.write(f"turn-{turn}.txt", text.encode("utf-8"))

    def write_request(self, turn: int, body: bytes, *, preview: bool = False) -> FileRef:
        """Write a request body: `turn-<N>.request.json`, or `.request.preview.json`."""
        suffix = "request.preview.json" if preview else "request.json"
        return self.write(f"turn-{turn}.{suffix}", body)

    def reference(self, path: Path) -> str:
        """A path relative to this folder (for reference images that live elsewhere)."""
        try:
            return Path(os.path.relpath(path.resolve(), self.path.resolve())).as_posix()
        except ValueError:  # another drive (Windows): no relative path exists
            return path.resolve().as_posix()
