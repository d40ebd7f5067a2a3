"""Requests and responses in their manifest form: image data as file references, earlier answers
as references to their turn's response file, thought signatures as hashes.

The manifest stays small however long the conversation: a turn's request refers to each earlier
answer (`{"role": "model", "fromTurn": N, "response": "turn-N.response.json"}`) instead of
repeating it, and a thought signature (real ones run to hundreds of kilobytes) is kept as its
sha256 and length. wisdomgate.artifacts.manifest.expand_request turns them back into the body sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast

from wisdomgate.run.store import FileRef, response_file_name
from wisdomgate_api import Base64Data
from wisdomgate_api.models import GenerateContentResponse

__all__ = [
    "compact_request",
    "hash_signatures",
    "iter_objects",
    "map_objects",
    "response_metadata",
    "strip_inline_data",
]


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
