"""The frames between the runner and its disk process: a 4-byte length, then a pickle.

Both ends are this package, started from the same interpreter, so pickle carries the calls'
arguments (file names and bytes, the stores, FileRefs) and the exceptions exactly.
"""

from __future__ import annotations

import pickle
import struct
from typing import BinaryIO

__all__ = ["FrameParser", "Frames", "encode_frame", "write_frame"]

_HEADER = struct.Struct("<I")


def encode_frame(value: object) -> bytes:
    """The frame that carries value."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def write_frame(out: BinaryIO, value: object) -> None:
    """Write value's frame to out (unbuffered), all of it."""
    pending = memoryview(encode_frame(value))
    while pending:
        pending = pending[out.write(pending) or 0 :]


class FrameParser:
    """Values out of a byte stream fed in arbitrary pieces."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[object]:
        """The values whose frames are complete once data is added."""
        buffer = self._buffer
        buffer += data
        values = []
        start = 0
        while len(buffer) - start >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer, start)
            end = start + _HEADER.size + size
            if len(buffer) < end:
                break
            values.append(pickle.loads(memoryview(buffer)[start + _HEADER.size : end]))
            start = end
        del buffer[:start]
        return values

    @property
    def partial(self) -> bool:
        """True when a frame has begun and not ended."""
        return bool(self._buffer)


class Frames:
    """The values read from a blocking binary reader, one at a time."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._parser = FrameParser()
        self._ready: list[object] = []

    def next(self) -> object | None:
        """The next value; None at the end of the stream."""
        while not self._ready:
            data = self._source.read(1 << 20)
            if not data:
                return None
            self._ready = self._parser.feed(data)
        return self._ready.pop(0)
