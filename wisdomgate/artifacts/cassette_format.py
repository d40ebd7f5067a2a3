"""What a cassette stores for one exchange: the request's key, the answer, images split out.

A request is identified by its key: the sha256 of its method, path (which names the model),
query (without `key`, the query auth style's parameter) and exact body. Headers are not part of
it: the header and bearer styles put the key there, and nothing else in them changes an answer.

An answer is kept in the form of `turn-<N>.response.json`: the JSON with every inline image's
`data` replaced by a reference `{"file", "sha256", "bytes"}` to an image file of the cassette,
plus what replay needs to answer again (status, content type, whether it was a server-sent
event stream). This module is pure: the files are wisdomgate.artifacts.cassette's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from wisdomgate.run import image_extension, iter_objects, map_objects
from wisdomgate_api._core.sse import SSEDecoder

__all__ = [
    "IMAGES_DIR",
    "CassetteAnswer",
    "CassetteRequest",
    "ImageFile",
    "answer_body",
    "entry_for",
    "image_refs",
]

IMAGES_DIR = "images"
KEY_FORMAT = 1  # part of every key: a change to what a key covers must change every key
_MODEL = re.compile(r"/models/([^/:?]+)")
_SSE = "text/event-stream"
_BLOB_KEYS = ("inlineData", "inline_data")  # proto JSON accepts both spellings


@dataclass(frozen=True)
class CassetteRequest:
    """What identifies an exchange: method, path, query without the key, and the exact body."""

    method: str
    path: str  # as sent (percent-encoding kept), without the query
    query: tuple[tuple[str, str], ...]  # sorted; the query auth style's `key` taken out
    body: bytes

    @classmethod
    def from_target(cls, method: str, target: str, body: bytes) -> CassetteRequest:
        """The request to `target` ("/path?query" as sent): never keeping a `key` parameter."""
        path, _, query = target.partition("?")
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = tuple(sorted((name, value) for name, value in pairs if name != "key"))
        return cls(method.upper(), path, kept, body)

    @cached_property
    def body_sha256(self) -> str:
        """sha256 of the exact body (the manifest's `request_sha256`)."""
        return hashlib.sha256(self.body).hexdigest()

    @cached_property
    def key(self) -> str:
        """The exchange's name in the cassette: sha256 over method, path, query and body."""
        head = {"format": KEY_FORMAT, "method": self.method, "path": self.path}
        head["query"] = [list(pair) for pair in self.query]
        line = json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(line.encode("ascii") + b"\n" + self.body).hexdigest()

    @property
    def model(self) -> str | None:
        """The model the path names, if any (for people reading the cassette)."""
        found = _MODEL.search(self.path)
        return found.group(1) if found else None

    def describe(self) -> dict[str, Any]:
        """The stored form: everything the key covers, the body compacted (no image data)."""
        return {
            "method": self.method,
            "path": self.path,
            "query": [list(pair) for pair in self.query],
            "model": self.model,
            "body_sha256": self.body_sha256,
            "body_bytes": len(self.body),
            "body": _compact_body(self.body),
        }

    def shown(self) -> str:
        """`POST /v1beta/models/x:generateContent` (with its query, never a key)."""
        query = "&".join(f"{name}={value}" for name, value in self.query)
        return f"{self.method} {self.path}{'?' + query if query else ''}"


@dataclass(frozen=True)
class CassetteAnswer:
    """An answer as replay gives it: status, content type and the (decoded) body."""

    status: int
    content_type: str
    body: bytes

    @property
    def sse(self) -> bool:
        """True for a server-sent event stream (streamGenerateContent with alt=sse)."""
        return self.content_type.split(";")[0].strip().lower() == _SSE


@dataclass(frozen=True)
class ImageFile:
    """An image split out of an answer: its name in the cassette and its bytes."""

    file: str  # "images/<sha256>.<ext>", relative to the cassette folder
    sha256: str
    data: bytes

    def to_json(self) -> dict[str, Any]:
        """The reference that replaces the image's base64 data: {"file", "sha256", "bytes"}."""
        return {"file": self.file, "sha256": self.sha256, "bytes": len(self.data)}


def entry_for(
    request: CassetteRequest, answer: CassetteAnswer
) -> tuple[dict[str, Any], list[ImageFile]] | str:
    """The stored exchange and the images it refers to; or why the answer is not kept."""
    if not 200 <= answer.status < 300:
        return f"HTTP {answer.status}"  # a 429 or 5xx is a flake to retry, never an answer
    try:
        payloads = _sse_payloads(answer.body) if answer.sse else _json_payload(answer.body)
    except _NotKept as why:
        return str(why)
    if any(isinstance(obj.get("error"), dict) for obj in _tops(payloads)):
        return "an error object in a 2xx answer"
    images: dict[str, ImageFile] = {}
    stripped = _strip_images(payloads, images)
    entry: dict[str, Any] = {
        "key": request.key,
        "request_sha256": request.body_sha256,
        "request": request.describe(),
        "answer": {"status": answer.status, "content_type": answer.content_type, "sse": answer.sse},
    }
    entry["chunks" if answer.sse else "response"] = stripped
    return entry, sorted(images.values(), key=lambda image: image.file)


def answer_body(entry: dict[str, Any], image: Callable[[dict[str, Any]], bytes]) -> CassetteAnswer:
    """The answer an entry stores, each image reference read back through image(reference)."""
    meta = entry["answer"]
    if meta["sse"]:
        chunks = [_restore_images(chunk, image) for chunk in entry["chunks"]]
        events = [b"data: " + _json_bytes(chunk) + b"\r\n\r\n" for chunk in chunks]
        body = b"".join(events)
    else:
        body = _json_bytes(_restore_images(entry["response"], image))
    return CassetteAnswer(meta["status"], meta["content_type"], body)


def image_refs(entry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every image reference in an entry's answer."""
    answer = entry.get("chunks") if entry.get("answer", {}).get("sse") else entry.get("response")
    for obj in iter_objects(answer):
        blob = _blob(obj)
        if blob is not None and isinstance(blob.get("data"), dict):
            yield blob["data"]


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _NotKept(Exception):
    """An answer that is not recorded; the message says why."""


def _json_payload(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise _NotKept("a 2xx answer that is not JSON") from None


def _sse_payloads(body: bytes) -> list[Any]:
    decoder = SSEDecoder()
    texts = [*decoder.feed(body), *decoder.flush()]
    try:
        return [json.loads(text.restored()) for text in texts]
    except ValueError:
        raise _NotKept("a stream event that is not JSON") from None


def _tops(payloads: Any) -> Iterator[dict[str, Any]]:
    """The answer objects (a stream's chunks; a JSON array's items) that an error would be."""
    items = payloads if isinstance(payloads, list) else [payloads]
    for item in items:
        if isinstance(item, dict):
            yield item


def _blob(obj: dict[str, Any]) -> dict[str, Any] | None:
    for name in _BLOB_KEYS:
        blob = obj.get(name)
        if isinstance(blob, dict):
            return blob
    return None


def _strip_images(value: Any, images: dict[str, ImageFile]) -> Any:
    def change(obj: dict[str, Any]) -> dict[str, Any]:
        for name in _BLOB_KEYS:
            blob = obj.get(name)
            if isinstance(blob, dict) and isinstance(blob.get("data"), str):
                image = _image_file(blob, images)
                if image is not None:
                    return {**obj, name: {**blob, "data": image.to_json()}}
        return obj

    return map_objects(value, change)


def _image_file(blob: dict[str, Any], images: dict[str, ImageFile]) -> ImageFile | None:
    """The file for a blob's data; None (kept inline) when base64 would not give it back as sent."""
    data = blob["data"]
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != data:  # unpadded, line breaks: keep it exact
        return None
    digest = hashlib.sha256(raw).hexdigest()
    mime = str(blob.get("mimeType") or blob.get("mime_type") or "application/octet-stream")
    file = f"{IMAGES_DIR}/{digest}.{image_extension(mime)}"
    return images.setdefault(file, ImageFile(file, digest, raw))


def _restore_images(value: Any, image: Callable[[dict[str, Any]], bytes]) -> Any:
    def change(obj: dict[str, Any]) -> dict[str, Any]:
        for name in _BLOB_KEYS:
            blob = obj.get(name)
            if isinstance(blob, dict) and isinstance(blob.get("data"), dict):
                data = base64.b64encode(image(blob["data"])).decode("ascii")
                return {**obj, name: {**blob, "data": data}}
        return obj

    return map_objects(value, change)


def _compact_body(body: bytes) -> Any:
    """The request body for reading and diffing: image data and thought signatures as hashes."""
    try:
        wire = json.loads(body)
    except ValueError:
        return None

    def change(obj: dict[str, Any]) -> dict[str, Any]:
        for name in _BLOB_KEYS:
            blob = obj.get(name)
            if isinstance(blob, dict) and isinstance(blob.get("data"), str):
                obj = {**obj, name: {**blob, "data": _data_digest(blob["data"])}}
        signature = obj.get("thoughtSignature")
        if isinstance(signature, str):
            obj = {**obj, "thoughtSignature": _digest(signature.encode("utf-8"), "chars")}
        return obj

    return map_objects(wire, change)


def _data_digest(data: str) -> dict[str, Any]:
    """{"sha256", "bytes"} of the decoded image, as the manifest has it; of the text if no base64."""
    try:
        return _digest(base64.b64decode(data, validate=True), "bytes")
    except (binascii.Error, ValueError):
        return _digest(data.encode("utf-8"), "chars")


def _digest(raw: bytes, unit: str) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(raw).hexdigest(), unit: len(raw)}
