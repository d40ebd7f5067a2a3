"""Reading a run folder's manifest back: the exact request bodies a run sent.

The manifest itself is `wisdomgate.run.records.RunRecord.to_json()`; its requests are in the
compact form of wisdomgate.run.wire. `expand_request` rebuilds the wire body from a manifest's
`request` and the run folder's response and image files.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, cast

from wisdomgate.run import map_objects

__all__ = ["expand_request", "restore_inline_data"]


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
