# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Big answers to disk while they arrive: JSON whose long `"data"` strings are decoded on the fly.

`JsonSpooler` is fed the body (or one SSE event) chunk by chunk. It copies the JSON through,
except each `"data": "..."` string longer than `SPOOL_THRESHOLD` characters: that text goes to
a `_Base64Sink`, which decodes it (pybase64) into memory up to `SPOOL_MEMORY` bytes and into an
anonymous temporary file past it, and the JSON gets a placeholder in its place. Validating the
small JSON that is left with `SpooledJson.validate` binds each placeholder to a `Base64File`.

It needs no tokenizer: in valid JSON an unescaped `"data"` followed by `:` is a key (a quote
preceded by an even number of backslashes always opens or closes a string), so `bytes.find`
does the scanning. Text that does not decode back to itself byte for byte (URL-safe and standard
mixed, line breaks, escapes, non-zero trailing bits) is kept as text: the round trip stays exact.
"""

from __future__ import annotations

import binascii
import io
import json
import os
import secrets
import shutil
import tempfile
import weakref
from typing import Any, BinaryIO, TypeVar

import pybase64
from pydantic import BaseModel

from .base import Base64Data
from .media import ENCODE_CHUNK, SPOOLED_KEY, Base64File, TextShape, encode

__all__ = ["SPOOL_MEMORY", "SPOOL_THRESHOLD", "JsonSpooler", "SpooledJson"]

M = TypeVar("M", bound=BaseModel)

SPOOL_THRESHOLD = 1 << 20  # characters: shorter data strings stay in the JSON text
SPOOL_MEMORY = 8 << 20  # decoded bytes kept in memory; a bigger value goes to a temporary file
_KEY = b'"data"'
_SPACE = b" \t\r\n"
_ALTCHARS = b"-_"
_WINDOW = 1 << 20  # the most a sink copies at once


def _escaped(buffer: bytes | bytearray, index: int, floor: int = 0) -> bool:
    """True when the quote at index is preceded by an odd number of backslashes."""
    start = index
    while start > floor and buffer[start - 1] == 0x5C:
        start -= 1
    return (index - start) % 2 == 1


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


class _Base64Sink:
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


class _Claims:
    """The spooled values of one JSON text, by placeholder; which ones a validator took."""

    def __init__(self, values: dict[str, Base64Data | Base64File]) -> None:
        self._values = values
        self._claimed: set[str] = set()

    def claim(self, token: str) -> Base64Data | Base64File | None:
        value = self._values.get(token)
        if value is not None:
            self._claimed.add(token)
        return value

    @property
    def complete(self) -> bool:
        return len(self._claimed) == len(self._values)


class SpooledJson:
    """JSON text with placeholders, and the values they stand for."""

    def __init__(self, text: bytes, values: dict[str, Base64Data | Base64File]) -> None:
        self.text = text
        self.values = values

    def validate(self, model: type[M]) -> M:
        """model from the JSON text, each placeholder bound to its value."""
        if not self.values:
            return model.model_validate_json(self.text)
        claims = _Claims(self.values)
        parsed = model.model_validate_json(self.text, context={SPOOLED_KEY: claims})
        if claims.complete:
            return parsed
        # a "data" key where no Base64 field is (a function's arguments): the text it had
        return model.model_validate_json(self.restored())

    def validate_python(self, payload: Any, model: type[M]) -> M:
        """model from payload (json.loads of the text), each placeholder bound to its value."""
        if not self.values:
            return model.model_validate(payload)
        claims = _Claims(self.values)
        parsed = model.model_validate(payload, context={SPOOLED_KEY: claims})
        if claims.complete:
            return parsed
        return model.model_validate(_restore(payload, self.values))

    def restored(self) -> bytes:
        """The JSON text as received (every spooled text back in memory)."""
        text = self.text
        for token, value in self.values.items():
            text = text.replace(token.encode("ascii"), str(value).encode("ascii"), 1)
        return text


def _restore(payload: Any, values: dict[str, Base64Data | Base64File]) -> Any:
    if isinstance(payload, dict):
        return {key: _restore(item, values) for key, item in payload.items()}
    if isinstance(payload, list):
        return [_restore(item, values) for item in payload]
    if isinstance(payload, str) and payload in values:
        return str(values[payload])
    return payload


class JsonSpooler:
    """Feed it JSON bytes in any pieces; `finish()` gives the SpooledJson."""

    def __init__(self, threshold: int = SPOOL_THRESHOLD) -> None:
        self._threshold = threshold
        self._out = bytearray()
        self._scan = 0  # where to look for the next "data" key
        self._value: int | None = None  # where the current data string's content starts
        self._search = 0  # where to look for its closing quote
        self._sink: _Base64Sink | None = None  # the current string, once it is long
        self._backslashes = 0  # trailing backslashes of the sink's last piece
        self._values: dict[str, Base64Data | Base64File] = {}
        self._nonce = ""  # made with the first placeholder: no server text can forge one

    def feed(self, chunk: bytes) -> None:
        """Take the next piece of JSON."""
        if self._sink is not None:
            rest = self._feed_sink(chunk)
            if rest is None:
                return
            chunk = rest
        self._out += chunk
        self._advance()

    def finish(self) -> SpooledJson:
        """The JSON text with placeholders (a body cut inside a long string stays cut)."""
        if self._sink is not None:
            self._sink = None  # invalid JSON either way: the parser reports it
        return SpooledJson(bytes(self._out), self._values)

    def _advance(self) -> None:
        out = self._out
        while True:
            if self._value is None:
                start = self._find_value()
                if start is None:
                    return
                self._value = self._search = start
            end = out.find(b'"', self._search)
            while end >= 0 and _escaped(out, end, self._value):
                end = out.find(b'"', end + 1)
            if end >= 0 and end - self._value > self._threshold:
                self._spool_whole(end)  # a long string that came in one piece
                continue
            if end >= 0:
                self._scan, self._value = end + 1, None  # a short string: it stays as it is
                continue
            if len(out) - self._value > self._threshold:
                self._start_sink()
            else:
                self._search = max(self._value, len(out) - 1)
            return

    def _find_value(self) -> int | None:
        """Where the content of the next `"data": "` string starts (None: not in _out yet)."""
        out = self._out
        while True:
            key = out.find(_KEY, self._scan)
            if key < 0:
                self._scan = max(self._scan, len(out) - len(_KEY) + 1)
                return None
            if _escaped(out, key):
                self._scan = key + 1  # `\"data\"` inside some string
                continue
            colon = self._skip_space(key + len(_KEY))
            quote = self._skip_space(colon + 1) if colon < len(out) else colon
            if quote >= len(out):
                self._scan = key  # the rest has not come yet
                return None
            if out[colon] != 0x3A or out[quote] != 0x22:  # not `:` then `"`: not a string value
                self._scan = key + 1
                continue
            return quote + 1

    def _skip_space(self, index: int) -> int:
        out = self._out
        while index < len(out) and out[index] in _SPACE:
            index += 1
        return index

    def _spool_whole(self, end: int) -> None:
        assert self._value is not None
        rest = bytes(self._out[end:])
        self._sink = _Base64Sink()
        self._sink.write(memoryview(self._out)[self._value : end])
        del self._out[self._value :]
        self._close_sink()
        self._out += rest

    def _close_sink(self) -> None:
        assert self._sink is not None
        value = self._sink.finish()
        self._sink, self._value = None, None
        if isinstance(value, bytes):
            self._out += value
        else:
            self._nonce = self._nonce or secrets.token_hex(8)
            token = f"wisdomgate-spooled:{self._nonce}:{len(self._values)}"
            self._values[token] = value
            self._out += token.encode("ascii")
        self._scan = len(self._out)

    def _start_sink(self) -> None:
        assert self._value is not None
        self._sink = _Base64Sink()
        content = bytes(self._out[self._value :])
        del self._out[self._value :]
        self._backslashes = 0
        rest = self._feed_sink(content)
        assert rest is None  # _advance found no closing quote in it

    def _feed_sink(self, chunk: bytes) -> bytes | None:
        """Give the sink chunk up to the string's end; the rest after it, or None."""
        assert self._sink is not None
        end = chunk.find(b'"')
        while end >= 0 and self._odd_before(chunk, end):
            end = chunk.find(b'"', end + 1)
        if end < 0:
            self._sink.write(chunk)
            stripped = len(chunk) - len(chunk.rstrip(b"\\"))
            self._backslashes = stripped + (self._backslashes if stripped == len(chunk) else 0)
            return None
        self._sink.write(memoryview(chunk)[:end])
        self._close_sink()
        return chunk[end:]

    def _odd_before(self, chunk: bytes, index: int) -> bool:
        count = index - len(chunk[:index].rstrip(b"\\"))
        if count == index:
            count += self._backslashes  # the run of backslashes began in an earlier piece
        return count % 2 == 1
