"""The simulator's delays (latency, slow faults, [[slow:S]]), cut short when the server stops.

A stopping server must not wait out every delay in flight: `serve` ends within a second of a
signal. One timer per delay and one task per event loop that ends them all when `stopping` is
set: cheaper than an `asyncio.wait_for` (a task and a timeout) for each request.
"""

from __future__ import annotations

import asyncio

__all__ = ["Pauses"]


class Pauses:
    """Delays that all end at once, early, when `stopping` is set (None: never early)."""

    def __init__(self, stopping: asyncio.Event | None) -> None:
        self._stopping = stopping
        self._waiting: set[asyncio.Future[bool]] = set()
        self._watcher: asyncio.Task[None] | None = None

    async def pause(self, seconds: float) -> bool:
        """Wait `seconds`: True, or False as soon as the server is stopping."""
        if self._stopping is None:
            await asyncio.sleep(seconds)
            return True
        if self._stopping.is_set():
            return False
        loop = asyncio.get_running_loop()
        self._watch(loop)
        ended: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_later(seconds, _end, ended, True)
        self._waiting.add(ended)
        try:
            return await ended
        finally:
            timer.cancel()
            self._waiting.discard(ended)

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        watcher = self._watcher
        if watcher is None or watcher.done() or watcher.get_loop() is not loop:
            self._watcher = loop.create_task(self._end_all_when_stopping())

    async def _end_all_when_stopping(self) -> None:
        assert self._stopping is not None  # only watched when there is one
        await self._stopping.wait()
        for ended in list(self._waiting):
            _end(ended, False)


def _end(ended: asyncio.Future[bool], value: bool) -> None:
    if not ended.done():
        ended.set_result(value)
