"""manifest.json: what a run sent, got, wrote and concluded, with image data as file references.

The manifest is rewritten (atomically) after every turn, so a run killed midway leaves the turns
it paid for on disk, each with its request hash: enough for a later `--resume` to skip them and to
rebuild the history (`restore_inline_data` turns the file references back into inline data).

It stays small however long the conversation: a turn's request refers to each earlier answer
(`{"role": "model", "fromTurn": N, "response": "turn-N.response.json"}`) instead of repeating it,
and a thought signature (real ones run to hundreds of kilobytes) is kept as its sha256 and
length. The whole answers, signatures included, are in `turn-<N>.response.json`;
`expand_request` puts them back.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from wisdomgate import __version__
from wisdomgate.artifacts.folders import FileRef, response_file_name
from wisdomgate.recipe.plan import PlannedRun
from wisdomgate.run.expectations import ExpectationResult
from wisdomgate.run.outcomes import TurnOutcome
from wisdomgate_api import Base64Data
from wisdomgate_api.models import GenerateContentResponse

__all__ = [
    "MANIFEST_VERSION",
    "GitInfo",
    "RunRecord",
    "TurnRecord",
    "compact_request",
    "expand_request",
    "git_info",
    "hash_signatures",
    "response_metadata",
    "restore_inline_data",
    "strip_inline_data",
]

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


def map_objects(wire: Any, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """A copy of a JSON value in which every object, innermost first, went through change."""
    if isinstance(wire, list):
        return [map_objects(item, change) for item in wire]
    if isinstance(wire, dict):
        return change({key: map_objects(value, change) for key, value in wire.items()})
    return wire


def iter_objects(wire: Any) -> Iterator[dict[str, Any]]:
    """Every object inside a JSON value, outermost first."""
    if isinstance(wire, list):
        for item in wire:
            yield from iter_objects(item)
    elif isinstance(wire, dict):
        yield wire
        for value in wire.values():
            yield from iter_objects(value)


def strip_inline_data(wire: Any, refs: Mapping[str, FileRef]) -> Any:
    """A copy of a request/content JSON with every inlineData.data replaced by a file reference.

    refs maps the sha256 of the decoded bytes to the file that holds them; data with no file gets
    {"file": null, ...} so that image bytes never end up inside the manifest.
    """

    def change(obj: dict[str, Any]) -> dict[str, Any]:
        blob = obj.get("inlineData")
        if isinstance(blob, dict) and isinstance(blob.get("data"), str):
            return {**obj, "inlineData": {**blob, "data": _reference(blob["data"], refs)}}
        return obj

    return map_objects(wire, change)


def _reference(data: str, refs: Mapping[str, FileRef]) -> dict[str, Any]:
    raw = Base64Data(data).to_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    ref = refs.get(digest)
    return ref.to_json() if ref else {"file": None, "sha256": digest, "bytes": len(raw)}


def restore_inline_data(wire: Any, run_dir: Path) -> Any:
    """The inverse of strip_inline_data: read each referenced file back as base64 (for resume)."""

    def change(obj: dict[str, Any]) -> dict[str, Any]:
        blob = obj.get("inlineData")
        if isinstance(blob, dict) and isinstance(blob.get("data"), dict):
            raw = (run_dir / blob["data"]["file"]).read_bytes()
            data = base64.b64encode(raw).decode("ascii")
            return {**obj, "inlineData": {**blob, "data": data}}
        return obj

    return map_objects(wire, change)


def hash_signatures(wire: Any) -> Any:
    """A copy with every thoughtSignature text replaced by {"sha256", "chars"} of it."""

    def change(obj: dict[str, Any]) -> dict[str, Any]:
        signature = obj.get("thoughtSignature")
        if not isinstance(signature, str):
            return obj
        digest = hashlib.sha256(signature.encode("utf-8")).hexdigest()
        return {**obj, "thoughtSignature": {"sha256": digest, "chars": len(signature)}}

    return map_objects(wire, change)


def compact_request(wire: dict[str, Any], answered_turns: Iterable[int]) -> dict[str, Any]:
    """The manifest form of a request: each earlier model answer in `contents` as a reference to
    its turn's response file (answered_turns: their turn numbers, in order), signatures hashed."""
    turns = iter(answered_turns)
    contents = []
    for content in wire.get("contents") or []:
        number = next(turns, None) if _role(content) == "model" else None
        if number is None:
            contents.append(content)
        else:
            ref = {"role": "model", "fromTurn": number, "response": response_file_name(number)}
            contents.append(ref)
    compacted = {**wire, "contents": contents} if "contents" in wire else wire
    return cast(dict[str, Any], hash_signatures(compacted))


def _role(content: Any) -> Any:
    return content.get("role") if isinstance(content, dict) else None


def expand_request(request: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """The inverse of compact_request and strip_inline_data: the wire request, as sent, from a
    manifest's `request` and the run folder's response and image files."""
    contents = []
    for content in request.get("contents") or []:
        if isinstance(content, dict) and "fromTurn" in content:
            stored = json.loads((run_dir / content["response"]).read_text(encoding="utf-8"))
            content = stored["response"]["candidates"][0]["content"]
        contents.append(content)
    expanded = {**request, "contents": contents} if "contents" in request else request
    return cast(dict[str, Any], restore_inline_data(expanded, run_dir))


def response_metadata(
    response: GenerateContentResponse, refs: Mapping[str, FileRef]
) -> dict[str, Any]:
    """The parts of a response worth keeping, with the model content's images as references."""
    wire = response.to_wire()
    candidates = wire.get("candidates") or [{}]
    first = candidates[0]
    meta = {
        "responseId": wire.get("responseId"),
        "modelVersion": wire.get("modelVersion"),
        "finishReason": first.get("finishReason"),
        "finishMessage": first.get("finishMessage"),
        "promptFeedback": wire.get("promptFeedback"),
        "safetyRatings": first.get("safetyRatings"),
        "usageMetadata": wire.get("usageMetadata"),
        "grounded": "groundingMetadata" in first,
        "groundingMetadata": first.get("groundingMetadata"),
        "candidateCount": len(wire.get("candidates") or []),
        # the signatures are in turn-<N>.response.json; the manifest keeps their hashes
        "content": hash_signatures(strip_inline_data(first.get("content"), refs)),
    }
    return {key: value for key, value in meta.items() if value is not None}


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
