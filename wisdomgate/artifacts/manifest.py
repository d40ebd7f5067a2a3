"""Reading a run folder's manifest back: its turns as records, the exact request bodies sent.

The manifest itself is `wisdomgate.run.records.RunRecord.to_json()`; its requests are in the
compact form of wisdomgate.run.wire. `read_manifest` loads one and checks its shape,
`turn_record` turns a manifest turn back into the runner's TurnRecord (the report reads runs
this way), and `expand_request` rebuilds the wire body from a manifest's `request` and the run
folder's response and image files.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, cast

from wisdomgate.errors import ToolkitError
from wisdomgate.run import (
    MANIFEST_NAME,
    Cost,
    ExpectationResult,
    FileRef,
    ImageRecord,
    OutcomeKind,
    Timing,
    TurnOutcome,
    TurnRecord,
    map_objects,
)

__all__ = [
    "ManifestError",
    "expand_request",
    "read_manifest",
    "restore_inline_data",
    "turn_record",
]


class ManifestError(ToolkitError):
    """A manifest.json that cannot be read back (not JSON, or not a wisdomgate manifest)."""


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest at path, checked to be a wisdomgate manifest (ManifestError otherwise)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ManifestError(f"{path}: cannot be read as JSON ({error})") from None
    tool = data.get("tool") if isinstance(data, dict) else None
    if not isinstance(tool, dict) or tool.get("name") != "wisdomgate":
        raise ManifestError(f"{path}: not a wisdomgate {MANIFEST_NAME} (no tool.name)")
    for key, kind in (("recipe", dict), ("run", dict), ("turns", list)):
        if not isinstance(data.get(key), kind):
            raise ManifestError(f"{path}: the field {key!r} is missing or not a {kind.__name__}")
    return cast(dict[str, Any], data)


def turn_record(turn: dict[str, Any]) -> TurnRecord:
    """The TurnRecord a manifest turn was written from (the inverse of TurnRecord.to_json)."""
    outputs = turn.get("outputs") or {}
    timing = turn.get("timing_ms") or {}
    return TurnRecord(
        number=int(turn["number"]),
        outcome=_outcome(turn.get("outcome")),
        request=turn.get("request"),
        request_sha256=turn.get("request_sha256"),
        request_bytes=turn.get("request_bytes"),
        response=turn.get("response"),
        images=[_image(image) for image in outputs.get("images") or []],
        text_file=outputs.get("text"),
        timing=Timing(timing["request"], timing["rate_limit_wait"]) if timing else None,
        expectations=[ExpectationResult(**result) for result in turn.get("expectations") or []],
        reused=bool(turn.get("reused")),
        resent_lost_answer=bool(turn.get("resent_lost_answer")),
        cost=Cost.from_json(turn["cost"]) if turn.get("cost") else None,
        retries=int(turn.get("retries") or 0),
    )


def _outcome(data: dict[str, Any] | None) -> TurnOutcome | None:
    if not data:
        return None
    fields = {key: value for key, value in data.items() if key not in ("kind", "passed")}
    return TurnOutcome(OutcomeKind(data["kind"]), bool(data["passed"]), **fields)


def _image(data: dict[str, Any]) -> ImageRecord:
    ref = FileRef(data["file"], data["sha256"], data["bytes"])
    return ImageRecord(ref, data["mimeType"], data["thought"], data["width"], data["height"])


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
