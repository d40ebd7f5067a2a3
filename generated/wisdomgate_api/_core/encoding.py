# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Request bodies on the wire: the one serialisation the client, dry runs and tests share.

`RequestBody.of(model)` is what the client sends. Its bytes are `encode_body(model)`, exactly,
but each `Base64File` in it (a reference image given by path) is encoded while the body is
sent instead of before: the body is the compact JSON with a placeholder for each file, cut at
the placeholders, and the files' base64 text goes between the pieces. The encoded size of a
file is known from its size, so the body has an exact Content-Length before a byte is read.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Iterator, Mapping
from functools import cached_property
from typing import Any, TypeVar

from .base import ApiModel
from .media import STREAMED_KEY, Base64File

__all__ = ["RequestBody", "coerce_body", "encode_body"]

M = TypeVar("M", bound=ApiModel)
Piece = bytes | Base64File


def encode_body(body: ApiModel) -> bytes:
    """The exact JSON bytes the client sends for body: compact, camelCase, set fields only."""
    return body.to_json().encode("utf-8")


def coerce_body(model: type[M], body: M | Mapping[str, Any]) -> M:
    """body as a model instance: a plain mapping is validated into model (pydantic errors propagate)."""
    if isinstance(body, model):
        return body
    if isinstance(body, ApiModel):
        # a different model would serialise, but as the wrong request: refuse it loudly
        raise TypeError(f"expected {model.__name__} or a mapping, got {type(body).__name__}")
    return model.model_validate(body)


class _Placeholders:
    """Collects the Base64File values of one serialisation, each with a unique placeholder."""

    def __init__(self) -> None:
        self.files: list[Base64File] = []

    @cached_property
    def nonce(self) -> str:
        """No text of the caller's can contain it by chance; drawn only for a body with files
        (a text-only request, most of a wide batch, makes no getrandom call for it)."""
        return secrets.token_hex(8)

    def placeholder(self, value: Base64File) -> str:
        self.files.append(value)
        return f"wisdomgate-file:{self.nonce}:{len(self.files) - 1}"

    def pattern(self) -> re.Pattern[bytes]:
        return re.compile(rb'"wisdomgate-file:' + self.nonce.encode() + rb':([0-9]+)"')


class RequestBody:
    """A request's exact JSON bytes, its files' base64 encoded while it is sent (or hashed)."""

    def __init__(self, pieces: tuple[Piece, ...]) -> None:
        self.pieces = pieces
        self.content_length = sum(_length(piece) for piece in pieces)

    @classmethod
    def of(cls, body: ApiModel) -> RequestBody:
        """The body the client sends for the request model body."""
        found = _Placeholders()
        text = body.model_dump_json(
            by_alias=True, exclude_unset=True, context={STREAMED_KEY: found}
        ).encode("utf-8")
        if not found.files:
            return cls((text,))
        pieces: list[Piece] = []
        start = 0
        for match in found.pattern().finditer(text):
            # the placeholder's quotes stay: the file's text goes between them
            pieces += [text[start : match.start() + 1], found.files[int(match[1])]]
            start = match.end() - 1
        return cls((*pieces, text[start:]))

    @property
    def streamed(self) -> bool:
        """True when some of the body is encoded from a file while it is sent."""
        return any(isinstance(piece, Base64File) for piece in self.pieces)

    def __iter__(self) -> Iterator[bytes]:
        for piece in self.pieces:
            if isinstance(piece, Base64File):
                yield from piece.iter_text()
            elif piece:
                yield piece

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # each step reads and encodes at most 768 KiB of a local file: about a millisecond
        for chunk in self:
            yield chunk

    def httpx_content(self, headers: dict[str, str], is_async: bool) -> Any:
        """What httpx sends: bytes when all in memory, else the pieces with their exact length."""
        if not self.streamed:
            return self.read()
        # the length up front: no chunked encoding, which some gateways refuse
        headers["content-length"] = str(self.content_length)
        return self.__aiter__() if is_async else iter(self)

    def read(self) -> bytes:
        """The whole body in memory (what `encode_body` gives)."""
        return b"".join(self)

    def sha256(self) -> str:
        """The sha256 of the exact body, computed from a streaming pass (never held whole)."""
        digest = hashlib.sha256()
        for chunk in self:
            digest.update(chunk)
        return digest.hexdigest()


def _length(piece: Piece) -> int:
    return piece.encoded_length if isinstance(piece, Base64File) else len(piece)
