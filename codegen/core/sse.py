# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""A WHATWG text/event-stream decoder whose `data` lines go through a JsonSpooler as they arrive.

An answer streamed with `?alt=sse` carries each chunk on one `data:` line, and a chunk with an
image is one line of tens of megabytes: the line is never held whole, its long `"data"` strings
are decoded to spooled bytes while it comes in (see spool.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from .spool import JsonSpooler, SpooledJson

__all__ = ["SSEDecoder"]

_SSE_FIELDS = frozenset({"event", "id", "retry"})  # carry nothing for this API
_DATA = b"data:"
_BOM = b"\xef\xbb\xbf"


def _line_ends(chunk: bytes) -> Iterator[tuple[int, int]]:
    """(end, start of the next line) for each \\r\\n, \\r or \\n in chunk, found with memchr.

    Each of the two finds looks further only once the line end it found was passed, so a chunk
    of many short lines, or one of a long line, is scanned once (a regex alternation is slow).
    """
    lf = cr = -2  # not looked for yet; -1: there is none further
    start = 0
    while True:
        if -1 < lf < start or lf == -2:
            lf = chunk.find(b"\n", start)
        if -1 < cr < start or cr == -2:
            cr = chunk.find(b"\r", start)
        if lf < 0 and cr < 0:
            return
        end = cr if lf < 0 or -1 < cr < lf else lf
        start = end + 2 if end == cr and chunk[end + 1 : end + 2] == b"\n" else end + 1
        yield end, start


class SSEDecoder:
    """Incremental text/event-stream parser over raw bytes; yields each event's data, spooled.

    Lines that are neither SSE fields nor comments (a JSON error body sent without `data:`,
    one line or pretty-printed) are kept too, and given as one more text at the next blank line
    or at the end of the body, as python-genai does, so that an error there is not lost.
    """

    def __init__(self, threshold: int | None = None) -> None:
        self._threshold = threshold
        self._line = bytearray()  # the current line, until it shows itself a data line
        self._streaming = False  # the current line is a data line, fed to self._event
        self._skip_space = False  # the data line's first byte may be the one space to drop
        self._trailing_cr = False
        self._first_line = True
        self._event: JsonSpooler | None = None  # the data of the current event
        self._other: list[str] = []

    def feed(self, chunk: bytes) -> list[SpooledJson]:
        """The data of every event that chunk completes."""
        if self._trailing_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the \n of a \r\n split across two chunks
        if not chunk:
            return []
        self._trailing_cr = chunk.endswith(b"\r")
        found: list[SpooledJson] = []
        start = 0
        for end, after in _line_ends(chunk):
            self._take(chunk[start:end])
            found.extend(self._end_line())
            start = after
        self._take(chunk[start:])
        return found

    def flush(self) -> list[SpooledJson]:
        """The data of an event left at the end of the body."""
        # WHATWG drops an event without its blank line; keeping it makes a truncated body fail
        # loudly as invalid JSON instead of silently losing the last chunk.
        found = self._end_line() if (self._streaming or self._line) else []
        return found + self._dispatch()

    def _take(self, piece: bytes) -> None:
        if self._streaming:
            self._feed_data(piece)
            return
        self._line += piece
        if self._first_line and len(self._line) >= len(_BOM):
            if self._line.startswith(_BOM):
                del self._line[: len(_BOM)]
            self._first_line = False
        if self._line.startswith(_DATA):
            value = bytes(self._line[len(_DATA) :])
            self._line.clear()
            self._start_data()
            self._feed_data(value)

    def _start_data(self) -> None:
        self._streaming, self._skip_space = True, True
        if self._event is None:
            self._event = JsonSpooler(*(() if self._threshold is None else (self._threshold,)))
        else:
            self._event.feed(b"\n")  # WHATWG joins an event's data lines with a newline

    def _feed_data(self, piece: bytes) -> None:
        if self._skip_space and piece:
            piece = piece.removeprefix(b" ")
            self._skip_space = False
        if piece:
            assert self._event is not None
            self._event.feed(piece)

    def _end_line(self) -> list[SpooledJson]:
        self._first_line = False
        if self._streaming:
            self._streaming = False
            return []
        line = self._line.decode("utf-8", errors="replace")
        self._line.clear()
        if not line:
            return self._dispatch()
        name, _, _ = line.partition(":")
        if name == "data":  # `data` alone: a data line with an empty value
            self._start_data()
            self._streaming = False
        elif name and name not in _SSE_FIELDS:  # an empty name is a ":" comment
            self._other.append(line)
        return []

    def _dispatch(self) -> list[SpooledJson]:
        # WHATWG: an event whose data buffer is empty (no data line) is not dispatched
        found = [self._event.finish()] if self._event is not None else []
        if self._other:
            found.append(SpooledJson("\n".join(self._other).encode("utf-8"), {}))
        self._event, self._other = None, []
        return found
