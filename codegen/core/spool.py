# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""Big answers to disk while they arrive: JSON whose long `"data"` strings are decoded on the fly.

`JsonSpooler` is fed the body (or one SSE event) chunk by chunk. It copies the JSON through,
except each `"data": "..."` string longer than `SPOOL_THRESHOLD` characters: that text goes to
a `Base64Sink`, which decodes it (pybase64) into memory up to `SPOOL_MEMORY` bytes and into an
anonymous temporary file past it, and the JSON gets a placeholder in its place. Validating the
small JSON that is left with `SpooledJson.validate` binds each placeholder to a `Base64File`.

It needs no tokenizer: in valid JSON an unescaped `"data"` followed by `:` is a key (a quote
preceded by an even number of backslashes always opens or closes a string), so `bytes.find`
does the scanning. Text that does not decode back to itself byte for byte (URL-safe and standard
mixed, line breaks, escapes, non-zero trailing bits) is kept as text: the round trip stays exact.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, TypeVar

from pydantic import BaseModel

from .base import Base64Data
from .media import SPOOLED_KEY, Base64File
from .sink import SPOOL_MEMORY, Base64Sink

__all__ = ["SPOOL_MEMORY", "SPOOL_THRESHOLD", "JsonSpooler", "SpooledJson"]

M = TypeVar("M", bound=BaseModel)

SPOOL_THRESHOLD = 1 << 20  # characters: shorter data strings stay in the JSON text
_KEY = b'"data"'
_SPACE = b" \t\r\n"


def _escaped(buffer: bytes | bytearray, index: int, floor: int = 0) -> bool:
    """True when the quote at index is preceded by an odd number of backslashes."""
    start = index
    while start > floor and buffer[start - 1] == 0x5C:
        start -= 1
    return (index - start) % 2 == 1


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
            escaped = json.dumps(str(value), ensure_ascii=False)[1:-1]  # as inside the quotes
            text = text.replace(token.encode("ascii"), escaped.encode("utf-8"), 1)
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
        self._sink: Base64Sink | None = None  # the current string, once it is long
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
        self._sink = Base64Sink()
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
        self._sink = Base64Sink()
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
