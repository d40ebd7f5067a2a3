"""Requests and responses in their manifest form: image data as file references, earlier answers
as references to their turn's response file, thought signatures as hashes.

The manifest stays small however long the conversation: a turn's request refers to each earlier
answer (`{"role": "model", "fromTurn": N, "response": "turn-N.response.json"}`) instead of
repeating it, and a thought signature (real ones run to hundreds of kilobytes) is kept as its
sha256 and length. wisdomgate.artifacts.manifest.expand_request turns them back into the body sent.

Image data is never decoded or hashed again to find its file: `wire_objects` dumps a model without
copying its strings, so each `inlineData.data` is the very object the conversation holds, and
DataRefs finds its file by that object (a reference image's sha256 comes from the plan, an answer
image's from writing its file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from wisdomgate.run.store import FileRef, response_file_name
from wisdomgate_api import Base64Data, Base64File
from wisdomgate_api._core.base import ApiModel

__all__ = [
    "DataRefs",
    "compact_request",
    "hash_signatures",
    "iter_objects",
    "map_objects",
    "response_metadata",
    "strip_inline_data",
    "wire_objects",
]

Data = str | Base64File  # an inlineData.data as model_dump() gives it: text, or bytes in a file


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


def wire_objects(model: ApiModel) -> dict[str, Any]:
    """model's wire JSON (camelCase, set fields only) holding the model's own string objects.

    Unlike `to_wire()` nothing is copied, so base64 data keeps its identity for DataRefs. Enum
    values stay enum members: they are `str`s, and json.dumps writes them as their text.
    """
    return model.model_dump(mode="python", by_alias=True, exclude_unset=True)


class DataRefs:
    """The files that hold the image data a run has seen, found without decoding the data again.

    `add` ties a base64 text object (the one the conversation holds) to its file; `reference`
    finds the file of such an object by identity. Data the run has not seen (a caller that
    built its own request) is decoded and hashed, and found by sha256 among the known files.
    """

    def __init__(self) -> None:
        # id -> (the object itself, kept alive so that its id is never reused, and its file)
        self._by_object: dict[int, tuple[Data, FileRef]] = {}
        self._by_sha256: dict[str, FileRef] = {}

    def add(self, data: Data, ref: FileRef) -> None:
        """Remember that the data object (base64 text, or a file of bytes) holds ref's bytes."""
        self._by_object[id(data)] = (data, ref)
        self.know(ref)

    def know(self, ref: FileRef) -> None:
        """Remember a file by its sha256 (for data that is not found by identity)."""
        self._by_sha256.setdefault(ref.sha256, ref)

    def reference(self, data: Data) -> dict[str, Any]:
        """The manifest form of data: its file's {"file", "sha256", "bytes"} ("file" null when
        no file holds those bytes)."""
        known = self._by_object.get(id(data))
        if known is not None and known[0] is data:
            return known[1].to_json()
        digest, size = _digest(data)
        ref = self._by_sha256.get(digest)
        return ref.to_json() if ref else {"file": None, "sha256": digest, "bytes": size}


def _digest(data: Data) -> tuple[str, int]:
    """sha256 and size of the bytes data holds; a file of bytes is read, never held whole."""
    if isinstance(data, Base64File):
        digest = hashlib.sha256()
        with data.open() as reader:
            while piece := reader.read(1 << 20):
                digest.update(piece)
        return digest.hexdigest(), data.size
    raw = Base64Data(data).to_bytes()
    return hashlib.sha256(raw).hexdigest(), len(raw)


def strip_inline_data(wire: Any, refs: DataRefs) -> Any:
    """A copy of a request/content JSON with every inlineData.data replaced by a file reference,
    so that image bytes never end up inside the manifest."""
    return map_objects(wire, lambda obj: _referenced(obj, refs))


def hash_signatures(wire: Any) -> Any:
    """A copy with every thoughtSignature text replaced by {"sha256", "chars"} of it."""
    return map_objects(wire, _hashed)


def _referenced(obj: dict[str, Any], refs: DataRefs) -> dict[str, Any]:
    blob = obj.get("inlineData")
    if isinstance(blob, dict) and isinstance(blob.get("data"), str | Base64File):
        return {**obj, "inlineData": {**blob, "data": refs.reference(blob["data"])}}
    return obj


def _hashed(obj: dict[str, Any]) -> dict[str, Any]:
    signature = obj.get("thoughtSignature")
    if not isinstance(signature, str):
        return obj
    digest = hashlib.sha256(signature.encode("utf-8")).hexdigest()
    return {**obj, "thoughtSignature": {"sha256": digest, "chars": len(signature)}}


def compact_request(
    wire: dict[str, Any], answered_turns: Iterable[int], refs: DataRefs
) -> dict[str, Any]:
    """The manifest form of a request: each earlier model answer in `contents` as a reference to
    its turn's response file (answered_turns: their turn numbers, in order), image data as file
    references, signatures hashed."""
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
    # one pass for both (strip_inline_data, then hash_signatures): a request is walked once
    return cast(dict[str, Any], map_objects(compacted, lambda obj: _hashed(_referenced(obj, refs))))


def _role(content: Any) -> Any:
    return content.get("role") if isinstance(content, dict) else None


def response_metadata(stored: dict[str, Any]) -> dict[str, Any]:
    """The parts of a response worth keeping in the manifest, from its stored form (the wire
    JSON with image data as file references, strip_inline_data)."""
    candidates = stored.get("candidates") or [{}]
    first = candidates[0]
    meta = {
        "responseId": stored.get("responseId"),
        "modelVersion": stored.get("modelVersion"),
        "finishReason": first.get("finishReason"),
        "finishMessage": first.get("finishMessage"),
        "promptFeedback": stored.get("promptFeedback"),
        "safetyRatings": first.get("safetyRatings"),
        "usageMetadata": stored.get("usageMetadata"),
        "grounded": "groundingMetadata" in first,
        "groundingMetadata": first.get("groundingMetadata"),
        "candidateCount": len(stored.get("candidates") or []),
        # the signatures are in turn-<N>.response.json; the manifest keeps their hashes
        "content": hash_signatures(first.get("content")),
    }
    return {key: value for key, value in meta.items() if value is not None}
