"""A run's place among the runner's `concurrency` runs: its slot, then its finishing place.

A slot bounds the runs sending requests; once a run has its last answer it hands the slot over
for a finishing place (which bounds the runs still writing), so the next run starts while this
one judges, writes and syncs its last answer.
"""

from __future__ import annotations

import asyncio

__all__ = ["RunSlot"]


class RunSlot:
    """A run's hold on one of the runner's slots, then on one of its finishing places.

    A run that has its last answer hands its slot over (`hand_over`) before it judges and
    records that answer, so the next run's request goes out first; `release` gives back
    whatever it still holds (idempotent).
    """

    def __init__(self, slots: asyncio.Semaphore, finishing: asyncio.Semaphore) -> None:
        self._slots = slots
        self._finishing = finishing
        self._held = False
        self._finishing_held = False

    async def acquire(self) -> None:
        if not self._held:
            await self._slots.acquire()
            self._held = True

    async def hand_over(self) -> None:
        """Take a finishing place, then free the slot (nothing when handed over already)."""
        if not self._held:
            return
        await self._finishing.acquire()
        self._finishing_held = True
        self._free_slot()

    def release(self) -> None:
        self._free_slot()
        if self._finishing_held:
            self._finishing_held = False
            self._finishing.release()

    def _free_slot(self) -> None:
        if self._held:
            self._held = False
            self._slots.release()
