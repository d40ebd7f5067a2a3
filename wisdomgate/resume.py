"""`run --resume`: answers already paid for, read back from an earlier run's folder.

Each answered turn leaves `turn-<N>.response.json` (the whole response, image data replaced by
references to the image files) next to `manifest.json`, which holds the sha256 of the exact
request body that was sent. A resumed run rebuilds each turn's request; when its hash matches the
one on disk and every referenced file is intact, the stored answer is used instead of sending the
request again. Anything else (a turn that failed with an API error, was in flight when the process
died, or whose request changed) is sent as usual.

A turn whose answer was lost after the server accepted it (`answer_lost`: it may have been
billed) is sent again too, knowingly: `load_lost_answers` finds those turns so that the new
manifest records the re-send (`resent_lost_answer`) and the summary says it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wisdomgate.manifest import iter_objects, restore_inline_data
from wisdomgate.outputs import response_file_name

__all__ = ["PaidAnswer", "load_lost_answers", "load_paid_answers", "response_file_name"]


@dataclass(frozen=True)
class PaidAnswer:
    """An answer on disk and the hash of the request body it answered."""

    turn: int
    request_sha256: str
    response: dict[str, Any]  # wire JSON, inline data restored


def _manifest_turns(run_dir: Path) -> list[Any]:
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    turns = manifest.get("turns") if isinstance(manifest, dict) else None
    return turns if isinstance(turns, list) else []


def load_lost_answers(run_dir: Path) -> dict[int, str]:
    """Turns of an earlier run whose answer was lost: turn number -> its request's sha256."""
    lost: dict[int, str] = {}
    for turn in _manifest_turns(run_dir):
        if not isinstance(turn, dict) or not isinstance(turn.get("outcome"), dict):
            continue
        number, digest = turn.get("number"), turn.get("request_sha256")
        if turn["outcome"].get("kind") == "answer_lost" and isinstance(number, int):
            lost[number] = digest if isinstance(digest, str) else ""
    return lost


def load_paid_answers(run_dir: Path) -> dict[int, PaidAnswer]:
    """The answers in run_dir that can be reused, by turn number (empty when there are none)."""
    found: dict[int, PaidAnswer] = {}
    for turn in _manifest_turns(run_dir):
        answer = _paid_answer(run_dir, turn)
        if answer is not None:
            found[answer.turn] = answer
    return found


def _paid_answer(run_dir: Path, turn: Any) -> PaidAnswer | None:
    if not isinstance(turn, dict):
        return None
    number, digest = turn.get("number"), turn.get("request_sha256")
    if not isinstance(number, int) or not isinstance(digest, str):
        return None
    try:
        stored = json.loads((run_dir / response_file_name(number)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # never answered (or the file is damaged): the turn is sent again
    if not isinstance(stored, dict) or stored.get("request_sha256") != digest:
        return None
    if not _files_intact(run_dir, stored.get("response")):
        return None
    return PaidAnswer(number, digest, restore_inline_data(stored["response"], run_dir))


def _files_intact(run_dir: Path, wire: Any) -> bool:
    """Every file reference in wire exists and still has the recorded sha256."""
    for obj in iter_objects(wire):
        blob = obj.get("inlineData")
        ref = blob.get("data") if isinstance(blob, dict) else None
        if isinstance(ref, dict) and not _intact(run_dir, ref):
            return False
    return True


def _intact(run_dir: Path, ref: dict[str, Any]) -> bool:
    # Answer images live in the run folder; a reference elsewhere is refused so that a tampered
    # file can never make a resumed run send some other file's bytes to the API.
    if not isinstance(ref.get("file"), str):
        return False
    path = (run_dir / ref["file"]).resolve()
    if not path.is_relative_to(run_dir.resolve()):
        return False
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == ref.get("sha256")
    except OSError:
        return False
