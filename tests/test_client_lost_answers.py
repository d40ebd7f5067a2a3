"""The money rule on real sockets: a 200 whose connection dies mid-body is never sent again.

The simulator's `drop` fault sends HTTP 200 with the full body's content-length, half the body,
then closes the connection: the server has done (and billed) the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, run_simulator
from wisdomgate_api import AnswerLostError, AsyncClient, Client, RetryPolicy

pytestmark = pytest.mark.slow

TEXT = "gemini-2.5-flash"


def _body(text: str) -> dict[str, object]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


@pytest.fixture(scope="module")
def dropping_url() -> Iterator[str]:
    """A simulator that cuts the first answer to each distinct request mid-body."""
    with run_simulator(SimulatorConfig(faults=("drop;count=1",))) as url:
        yield url


def test_the_sync_client_sends_a_dropped_answer_once(
    dropping_url: str, sent: list[httpx.Request], sleeps: list[float]
) -> None:
    policy = RetryPolicy(sleep=sleeps.append)
    hooks = {"request": [sent.append]}
    client = Client(api_key=SIMULATOR_KEY, base_url=dropping_url, retry=policy, event_hooks=hooks)
    with client, pytest.raises(AnswerLostError) as caught:
        client.generate_content(TEXT, _body("drop the sync answer"))
    assert (len(sent), sleeps) == (1, [])
    assert (caught.value.status_code, caught.value.cause) == (200, "RemoteProtocolError")


def test_the_async_client_sends_a_dropped_answer_once(
    dropping_url: str, sent: list[httpx.Request], sleeps: list[float]
) -> None:
    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def main() -> None:
        policy = RetryPolicy(async_sleep=no_sleep)
        hooks = {"request": [record]}
        async with AsyncClient(
            api_key=SIMULATOR_KEY, base_url=dropping_url, retry=policy, event_hooks=hooks
        ) as client:
            await client.generate_content(TEXT, _body("drop the async answer"))

    with pytest.raises(AnswerLostError) as caught:
        asyncio.run(main())
    assert (len(sent), sleeps) == (1, [])
    assert (caught.value.status_code, caught.value.cause) == (200, "RemoteProtocolError")
