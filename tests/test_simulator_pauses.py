"""The simulator's delays: they last as long as asked, and all end at once when it stops."""

from __future__ import annotations

import asyncio
import time

from wisdomgate.simulator.pauses import Pauses


def test_a_delay_lasts_as_long_as_asked() -> None:
    async def main() -> tuple[bool, float]:
        started = time.monotonic()
        ended = await Pauses(asyncio.Event()).pause(0.05)
        return ended, time.monotonic() - started

    ended, took = asyncio.run(main())
    assert ended is True
    assert took >= 0.05


def test_every_delay_in_flight_ends_early_when_the_server_stops() -> None:
    async def main() -> tuple[list[bool], float]:
        stopping = asyncio.Event()
        pauses = Pauses(stopping)
        started = time.monotonic()
        waiting = [asyncio.create_task(pauses.pause(30)) for _ in range(3)]
        await asyncio.sleep(0.01)
        stopping.set()
        return list(await asyncio.gather(*waiting)), time.monotonic() - started

    ended, took = asyncio.run(main())
    assert ended == [False, False, False]
    assert took < 5  # far below the 30 s asked


def test_a_delay_asked_once_the_server_stops_ends_at_once() -> None:
    async def main() -> bool:
        stopping = asyncio.Event()
        stopping.set()
        return await Pauses(stopping).pause(30)

    assert asyncio.run(main()) is False


def test_without_a_stop_event_a_delay_is_a_plain_sleep() -> None:
    assert asyncio.run(Pauses(None).pause(0.01)) is True
