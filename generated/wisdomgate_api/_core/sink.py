# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Where one long base64 string of an answer goes while it arrives: decoded, in memory or a file.

`_Base64Sink` takes the string's JSON content piece by piece and decodes it with pybase64 as long
as it is canonical base64 (text that encodes back to itself byte for byte); the bytes stay in
memory up to `SPOOL_MEMORY` and go to an anonymous temporary file past it. Text that is not
canonical is kept as text instead, so the round trip stays exact.
"""

from __future__ import annotations

import binascii
import io
import json
import os
import shutil
import tempfile
import weakref
from typing import Any, BinaryIO

import pybase64

from .base import Base64Data
from .media import ENCODE_CHUNK, Base64File, TextShape, encode

__all__ = ["SPOOL_MEMORY", "Base64Sink"]

SPOOL_MEMORY = 8 << 20  # decoded bytes kept in memory; a bigger value goes to a temporary file
_ALTCHARS = b"-_"
_WINDOW = 1 << 20  # the most a sink copies at once


class _Bytes:
    """Spooled bytes in memory."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def reader(self) -> BinaryIO:
        return io.BytesIO(self.data)

    def describe(self) -> str:
        return "spooled in memory"


class _TempFile:
    """Spooled bytes in an anonymous temporary file, closed (so deleted) with its last user."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        self.size = 0
        weakref.finalize(self, self.file.close)

    def write(self, data: bytes | bytearray) -> None:
        self.file.write(data)
        self.size += len(data)

    def reader(self) -> BinaryIO:
        self.file.flush()  # pread sees only what reached the fd
        return io.BufferedReader(_PositionalReader(self.file.fileno(), self.size), 1 << 20)

    def copy_into(self, out: BinaryIO) -> int:
        """Copy the bytes into out in the kernel (copy_file_range), never through memory."""
        self.file.flush()
        out.flush()
        copied = 0
        try:
            while copied < self.size:
                sent = os.copy_file_range(
                    self.file.fileno(), out.fileno(), self.size - copied, copied
                )
                if sent == 0:
                    break
                copied += sent
        except OSError:
            pass  # not on this file system: the rest in user space below
        if copied < self.size:
            with self.reader() as reader:
                reader.seek(copied)
                shutil.copyfileobj(reader, out, 1 << 20)
        return self.size

    def describe(self) -> str:
        return "spooled to a temporary file"


class _PositionalReader(io.RawIOBase):
    """Reads fd with pread: every reader has its own position, the fd is shared and kept open."""

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._size = size
        self._offset = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._offset

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._offset, os.SEEK_END: self._size}[whence]
        self._offset = min(max(0, base + offset), self._size)
        return self._offset

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = os.preadv(self._fd, [view[: self._size - self._offset]], self._offset)
        self._offset += count
        return count


class Base64Sink:
    """One long JSON string's content: decoded as it comes when it is canonical base64."""

    def __init__(self) -> None:
        self._memory = bytearray()
        self._file: _TempFile | None = None
        self._carry = b""  # the last 1-4 characters: the final group is checked at the end
        self._url_safe: bool | None = None  # None until a character of either alphabet shows
        self._text: _TempFile | None = None  # the raw JSON text, once it is not canonical

    def write(self, piece: bytes | memoryview) -> None:
        """Take the next piece of the string's JSON content (between the quotes)."""
        if isinstance(piece, bytes) and len(piece) <= _WINDOW:
            self._write(piece)  # a network read: no copy
            return
        view = memoryview(piece)
        for start in range(0, len(view), _WINDOW):  # bounded copies, whatever the piece's size
            self._write(bytes(view[start : start + _WINDOW]))

    def _write(self, piece: bytes) -> None:
        if self._text is not None:
            self._text.write(piece)
            return
        data = self._carry + piece
        keep = len(data) - 1  # never the last character: `=` is only allowed at the very end
        whole = keep - keep % 4
        if not self._alphabet_ok(piece) or data.find(b"=", 0, whole) >= 0:
            self._to_text(data)
            return
        try:
            decoded = pybase64.b64decode(memoryview(data)[:whole], self._altchars, validate=True)
        except binascii.Error:
            self._to_text(data)
            return
        self._keep(decoded)
        self._carry = data[whole:]

    def finish(self) -> Base64Data | Base64File | bytes:
        """The value: a Base64File, or Base64Data when the text is not canonical base64.

        bytes: the content is no JSON string at all; it goes back into the text as it came, so
        that the parser reports the body as it would have without spooling.
        """
        if self._text is None:
            shape = TextShape(url_safe=bool(self._url_safe), padded=self._carry.endswith(b"="))
            tail = self._decode_tail(shape)
            if tail is not None:
                self._keep(tail)
                return Base64File(self._source(), shape)
            self._to_text(self._carry)
        assert self._text is not None
        with self._text.reader() as reader:
            content = reader.read()
        try:
            # rare (no server sends it): the exact text, as the JSON parser would give it
            return Base64Data(json.loads(b'"' + content + b'"'))
        except ValueError:
            return content

    @property
    def _altchars(self) -> bytes | None:
        return _ALTCHARS if self._url_safe else None

    def _alphabet_ok(self, piece: bytes) -> bool:
        if self._url_safe is False:
            return True  # decoding the standard alphabet refuses `-` and `_` by itself
        url = b"-" in piece or b"_" in piece
        standard = b"+" in piece or b"/" in piece
        if url and standard:
            return False
        if url or standard:
            if self._url_safe is None:
                self._url_safe = url
            return self._url_safe == url
        return True

    def _decode_tail(self, shape: TextShape) -> bytes | None:
        carry = self._carry
        if len(carry) % 4 == 1 or (shape.padded and len(carry) != 4):
            return None
        try:
            padded = carry + b"=" * (-len(carry) % 4)
            tail = pybase64.b64decode(padded, altchars=self._altchars, validate=True)
        except binascii.Error:
            return None
        # non-zero trailing bits decode too, but would not encode back to the same text
        return tail if encode(tail, shape) == carry else None

    def _keep(self, data: bytes) -> None:
        if self._file is not None:
            self._file.write(data)
            return
        self._memory += data
        if len(self._memory) > SPOOL_MEMORY:
            self._file = _TempFile()
            self._file.write(self._memory)
            self._memory = bytearray()

    def _source(self) -> _Bytes | _TempFile:
        return _Bytes(bytes(self._memory)) if self._file is None else self._file

    def _to_text(self, rest: bytes) -> None:
        # the canonical prefix decoded so far encodes back to exactly the text it came from
        text = _TempFile()
        with self._source().reader() as decoded:
            while chunk := decoded.read(ENCODE_CHUNK):
                text.write(encode(chunk, TextShape(url_safe=bool(self._url_safe)), last=False))
        text.write(rest)
        self._memory, self._file, self._carry = bytearray(), None, b""
        self._text = text
