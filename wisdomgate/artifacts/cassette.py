"""A cassette folder: the answers `run --record` received, by request key, for `run --replay`.

A plain folder, meant to be committed (names are deterministic, files pretty-printed JSON with
sorted keys and no timestamps, so recording the same answers again changes nothing):

    DIR/cassette.json              {"format": "wisdomgate-cassette", "version": 1}
    DIR/exchanges/<key>.json       one exchange (wisdomgate.artifacts.cassette_format)
    DIR/images/<sha256>.<ext>      every image of every answer, stored once per content

Only final 2xx answers are recorded; a 429 or 5xx is a flake to retry, not an answer to replay.
Every file is written atomically, images before the exchange that refers to them. Replay opens
the whole cassette first and checks every file (a damaged one is a CassetteError naming it, exit
2, before anything runs); the API key is never written: it is no part of a key or an entry, and
every entry is masked like any other output.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from wisdomgate.artifacts.cassette_format import (
    CassetteAnswer,
    CassetteRequest,
    ImageFile,
    answer_body,
    entry_for,
    image_refs,
)
from wisdomgate.artifacts.folders import atomic_write_bytes
from wisdomgate.errors import UsageError

__all__ = ["EXCHANGES_DIR", "MARKER", "CassetteError", "CassetteReader", "CassetteWriter"]

MARKER = "cassette.json"
EXCHANGES_DIR = "exchanges"
FORMAT_NAME = "wisdomgate-cassette"
FORMAT_VERSION = 1
_KEY = re.compile(r"[0-9a-f]{64}")
_IMAGE_FILE = re.compile(r"images/([0-9a-f]{64})\.[A-Za-z0-9_+-]+")
_REQUEST_FIELDS = ("method", "path")


class CassetteError(UsageError):
    """A cassette folder that cannot be used: missing, not a cassette, or damaged."""


def _keep(text: str) -> str:
    return text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _marker_text() -> bytes:
    return (
        json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION}, indent=2) + "\n"
    ).encode()


def _check_marker(path: Path) -> None:
    file = path / MARKER
    try:
        marker = json.loads(file.read_bytes())
    except FileNotFoundError:
        raise CassetteError(
            f"{path} is not a cassette (it has no {MARKER}); record one with"
            f" `wisdomgate run RECIPES --record {path}`"
        ) from None
    except (OSError, ValueError) as exc:
        raise CassetteError(f"cassette file {file} cannot be read: {exc}") from None
    if not isinstance(marker, dict) or marker.get("format") != FORMAT_NAME:
        raise CassetteError(f"cassette file {file} does not say format {FORMAT_NAME!r}")
    if marker.get("version") != FORMAT_VERSION:
        raise CassetteError(
            f"cassette file {file} is version {marker.get('version')!r}; this wisdomgate reads"
            f" version {FORMAT_VERSION} (record a new cassette into a new folder)"
        )


class CassetteWriter:
    """Records answers into a cassette folder (`run --record`): atomic files, each image once."""

    def __init__(self, path: Path, redact: Callable[[str], str] = _keep) -> None:
        self.path = path
        self._redact = redact
        self._recorded: dict[str, str] = {}  # key -> sha256 of its entry, as recorded this session
        self.new_images = 0
        self.skipped: Counter[str] = Counter()  # why answers were not recorded
        self.differing: set[str] = set()  # keys answered twice, differently, in this session
        self._check()

    def _check(self) -> None:
        """CassetteError unless path is a cassette, an empty folder, or nothing yet."""
        if self.path.is_dir():
            if (self.path / MARKER).exists():
                _check_marker(self.path)
            elif any(self.path.iterdir()):
                raise CassetteError(
                    f"--record {self.path} is a folder that is not a cassette (no {MARKER}) and"
                    " not empty; choose a new or empty folder, or an existing cassette"
                )
        elif self.path.exists():
            raise CassetteError(f"--record {self.path} is a file, not a folder")

    @property
    def recorded(self) -> int:
        """How many exchanges this session recorded."""
        return len(self._recorded)

    def record(self, request: CassetteRequest, answer: CassetteAnswer) -> None:
        """Store the exchange (a 2xx answer), or count why it is not stored."""
        found = entry_for(request, answer)
        if isinstance(found, str):
            self.skipped[found] += 1
            return
        entry, images = found
        text = self._redact(json.dumps(entry, indent=2, sort_keys=True, ensure_ascii=False))
        data = (text + "\n").encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        if self._recorded.setdefault(request.key, digest) != digest:
            self.differing.add(request.key)  # the same request, sent twice, answered differently
            self._recorded[request.key] = digest
        if not (self.path / MARKER).exists():
            atomic_write_bytes(self.path / MARKER, _marker_text())
        for image in images:  # before the exchange: an entry never refers to a missing file
            self._write_image(image)
        atomic_write_bytes(self.path / EXCHANGES_DIR / f"{request.key}.json", data)

    def skip(self, reason: str) -> None:
        """Count an answer that is not recorded (e.g. `HTTP 429`)."""
        self.skipped[reason] += 1

    def _write_image(self, image: ImageFile) -> None:
        target = self.path / image.file
        try:
            if hashlib.sha256(target.read_bytes()).hexdigest() == image.sha256:
                return  # content-addressed: the same image is stored once
        except FileNotFoundError:
            pass
        atomic_write_bytes(target, image.data)
        self.new_images += 1

    def summary(self) -> list[str]:
        """What the session recorded, and what it did not."""
        lines = [
            f"recorded {_plural(self.recorded, 'answer')} into the cassette {self.path}"
            f" ({_plural(self.new_images, 'new image file')})"
        ]
        if self.skipped:
            reasons = ", ".join(f"{n} x {why}" for why, n in sorted(self.skipped.items()))
            lines.append(f"not recorded (only final 2xx answers are): {reasons}")
        if self.differing:
            lines.append(
                f"{_plural(len(self.differing), 'request')} got different answers in one session;"
                " the cassette keeps the last, so replay gives it to each of them"
            )
        return lines


class CassetteReader:
    """Answers from a cassette folder (`run --replay`); every file is checked when it is opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.replayed = 0
        self.missing: set[str] = set()  # keys asked for that the cassette does not have
        self._entries = self._load()

    @property
    def exchanges(self) -> int:
        """How many exchanges the cassette holds."""
        return len(self._entries)

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.is_dir():
            what = "a file, not a folder" if self.path.exists() else "no such folder"
            raise CassetteError(
                f"--replay {self.path}: {what}; record a cassette first with"
                f" `wisdomgate run RECIPES --record {self.path}`"
            )
        _check_marker(self.path)
        folder = self.path / EXCHANGES_DIR
        try:
            files = sorted(folder.iterdir()) if folder.is_dir() else []
        except OSError as exc:
            raise CassetteError(f"cassette folder {folder} cannot be read: {exc}") from None
        verified: set[str] = set()
        entries = {}
        for file in files:
            if file.name.startswith("."):  # a temporary file of a killed recording, .gitkeep
                continue
            entry = self._read_entry(file)
            for ref in image_refs(entry):
                self._check_image(ref, file, verified)
            entries[file.stem] = entry
        return entries

    def _damaged(self, file: Path, problem: str) -> CassetteError:
        return CassetteError(
            f"cassette file {file} is damaged: {problem}; restore it (e.g. `git checkout`) or"
            f" delete it and record again with --record {self.path}"
        )

    def _read_entry(self, file: Path) -> dict[str, Any]:
        if file.suffix != ".json" or not _KEY.fullmatch(file.stem):
            raise self._damaged(file, "not an exchange name (<64 hex digits>.json)")
        try:
            entry = json.loads(file.read_bytes())
        except OSError as exc:
            raise self._damaged(file, f"it cannot be read ({exc.strerror or exc})") from None
        except ValueError as exc:
            raise self._damaged(file, f"not JSON ({exc})") from None
        problem = _shape_problem(entry, file.stem)
        if problem:
            raise self._damaged(file, problem)
        return cast(dict[str, Any], entry)

    def _check_image(self, ref: Any, entry_file: Path, verified: set[str]) -> None:
        found = _IMAGE_FILE.fullmatch(str(ref.get("file"))) if isinstance(ref, dict) else None
        if found is None or ref.get("sha256") != found.group(1):
            raise self._damaged(entry_file, f"an image reference is not images/<sha256>: {ref!r}")
        if ref["file"] in verified:
            return
        image = self.path / ref["file"]
        try:
            data = image.read_bytes()
        except OSError as exc:
            raise self._damaged(entry_file, f"its image {image} cannot be read ({exc})") from None
        if hashlib.sha256(data).hexdigest() != ref["sha256"] or len(data) != ref.get("bytes"):
            raise self._damaged(image, "its bytes do not match its sha256 name")
        verified.add(ref["file"])

    def answer(self, request: CassetteRequest) -> CassetteAnswer | None:
        """The recorded answer to request; None when it was never recorded."""
        entry = self._entries.get(request.key)
        if entry is None:
            self.missing.add(request.key)
            return None
        self.replayed += 1
        return answer_body(entry, self._image)

    def _image(self, ref: dict[str, Any]) -> bytes:
        image = self.path / str(ref["file"])
        data = image.read_bytes()
        if hashlib.sha256(data).hexdigest() != ref["sha256"]:  # changed since it was checked
            raise OSError(f"{image} changed while the cassette was replayed")
        return data

    def not_recorded(self, request: CassetteRequest) -> str:
        """Why request gets no answer, and how to record it."""
        return (
            f"request {request.key} ({request.shown()}) is not in the cassette {self.path}:"
            " its recipe (or an earlier answer) changed, or it was never recorded; record it"
            f" with `wisdomgate run RECIPES --record {self.path}` (this sends it, with the key)"
        )

    def summary(self) -> list[str]:
        """What was replayed; what was asked for and not found."""
        lines = [f"replayed {_plural(self.replayed, 'answer')} from the cassette {self.path}"]
        if self.missing:
            lines.append(
                f"{_plural(len(self.missing), 'request')} not in the cassette, so not answered"
                f" (nothing was sent): record with --record {self.path}"
            )
        return lines


def _shape_problem(entry: Any, key: str) -> str | None:
    """What is wrong with an entry's structure, or None."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    if entry.get("key") != key:
        return f"its key {entry.get('key')!r} is not its file name"
    request, answer = entry.get("request"), entry.get("answer")
    if not (
        isinstance(request, dict) and all(isinstance(request.get(k), str) for k in _REQUEST_FIELDS)
    ):
        return "no request method and path"
    if not isinstance(answer, dict):
        return "no answer"
    status, kind, sse = answer.get("status"), answer.get("content_type"), answer.get("sse")
    if not (isinstance(status, int) and 200 <= status < 300):
        return f"answer status {status!r} is not a 2xx"
    if not isinstance(kind, str) or not isinstance(sse, bool):
        return "no answer content_type or sse"
    if sse and not isinstance(entry.get("chunks"), list):
        return "a stream answer without chunks"
    if not sse and "response" not in entry:
        return "no response"
    return None
