"""`run --resume`: answers already paid for, read back from an earlier run's folder.

Each answered turn leaves `turn-<N>.response.json`: the whole response (image data replaced by
references to the image files) and the sha256 of the exact request body it answered. A resumed
run rebuilds each turn's request; when its hash matches that one and every referenced file is
intact, the stored answer is used instead of sending the request again. The response file alone
decides: the manifest is not needed (after a power loss it may be older than the answers beside
it, see the durability policy in docs/running.md). Anything else (a turn that failed with an API error, was in flight when the process
died, or whose request changed) is sent as usual.

A turn whose answer was lost after the server accepted it (`answer_lost`: it may have been
billed) is sent again too, knowingly: `load_lost_answers` finds those turns so that the new
manifest records the re-send (`resent_lost_answer`) and the summary says it.

Everything is read through the open, locked RunStore: never through a symbolic link, and each
image is read once, so the bytes checked against the sha256 are the bytes reused.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from wisdomgate.run.store import RunStore, is_image_name, response_file_name
from wisdomgate.run.wire import iter_objects, map_objects

__all__ = ["PaidAnswer", "load_lost_answers", "load_paid_answers", "response_file_name"]


@dataclass(frozen=True)
class PaidAnswer:
    """An answer on disk and the hash of the request body it answered."""

    turn: int
    request_sha256: str
    response: dict[str, Any]  # wire JSON, inline data restored


def _manifest_turns(folder: RunStore) -> list[Any]:
    try:
        manifest = json.loads(folder.read("manifest.json"))
    except (OSError, ValueError):
        return []
    turns = manifest.get("turns") if isinstance(manifest, dict) else None
    return turns if isinstance(turns, list) else []


def load_lost_answers(folder: RunStore) -> dict[int, str]:
    """Turns of an earlier run whose answer was lost: turn number -> its request's sha256."""
    lost: dict[int, str] = {}
    for turn in _manifest_turns(folder):
        if not isinstance(turn, dict) or not isinstance(turn.get("outcome"), dict):
            continue
        number, digest = turn.get("number"), turn.get("request_sha256")
        if turn["outcome"].get("kind") == "answer_lost" and isinstance(number, int):
            lost[number] = digest if isinstance(digest, str) else ""
    return lost


def load_paid_answers(folder: RunStore, turns: Iterable[int]) -> dict[int, PaidAnswer]:
    """The answers in the (open) folder that can be reused, by turn number (maybe none)."""
    found: dict[int, PaidAnswer] = {}
    for number in turns:
        answer = _paid_answer(folder, number)
        if answer is not None:
            found[number] = answer
    return found


def _paid_answer(folder: RunStore, number: int) -> PaidAnswer | None:
    try:
        stored = json.loads(folder.read(response_file_name(number)))
    except (OSError, ValueError):
        return None  # never answered (or the file is damaged): the turn is sent again
    digest = stored.get("request_sha256") if isinstance(stored, dict) else None
    if not isinstance(digest, str):
        return None
    response = stored.get("response")
    images = _intact_images(folder, response) if isinstance(response, dict) else None
    if images is None:
        return None
    return PaidAnswer(number, digest, _restore(response, images))


def _intact_images(folder: RunStore, wire: Any) -> dict[str, bytes] | None:
    """The bytes of every file wire refers to, by name; None when one is gone or changed."""
    found: dict[str, bytes] = {}
    for obj in iter_objects(wire):
        blob = obj.get("inlineData")
        ref = blob.get("data") if isinstance(blob, dict) else None
        if isinstance(ref, dict):
            data = _intact(folder, ref)
            if data is None:
                return None
            found[ref["file"]] = data
    return found


def _intact(folder: RunStore, ref: dict[str, Any]) -> bytes | None:
    # Answer images are files of the run folder itself; any other reference is refused so that
    # a tampered file can never make a resumed run send some other file's bytes to the API.
    name = ref.get("file")
    if not isinstance(name, str) or not is_image_name(name):
        return None
    try:
        data = folder.read(name)
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == ref.get("sha256") else None


def _restore(wire: Any, images: dict[str, bytes]) -> Any:
    """wire with each file reference replaced by that file's bytes, base64 (as sent)."""

    def change(obj: dict[str, Any]) -> dict[str, Any]:
        blob = obj.get("inlineData")
        if isinstance(blob, dict) and isinstance(blob.get("data"), dict):
            data = base64.b64encode(images[blob["data"]["file"]]).decode("ascii")
            return {**obj, "inlineData": {**blob, "data": data}}
        return obj

    return map_objects(wire, change)
