"""KeepAliveTransport (the CLI's HTTP transport) against real sockets on loopback: the answers
httpx's own transport gives, connections kept and reused, and the httpx errors the client's
retry rule reads, each at the moment httpcore would raise it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from wisdomgate.run import KeepAliveTransport
from wisdomgate.simulator import FAULT_HEADER, SIMULATOR_KEY
from wisdomgate_api import AnswerLostError, AsyncClient, RetryPolicy

pytestmark = pytest.mark.slow

MODEL = "gemini-2.5-flash"
BODY = {"contents": [{"parts": [{"text": "hello"}]}]}
HEADERS = {"x-goog-api-key": SIMULATOR_KEY}


def generate(url: str) -> str:
    return f"{url}/v1beta/models/{MODEL}:generateContent"


async def post_both(url: str, **options: Any) -> tuple[httpx.Response, httpx.Response]:
    """The same request through httpx's transport and through KeepAliveTransport."""
    async with (
        httpx.AsyncClient() as plain,
        httpx.AsyncClient(transport=KeepAliveTransport()) as ours,
    ):
        expected = await plain.post(generate(url), headers=HEADERS, **options)
        got = await ours.post(generate(url), headers=HEADERS, **options)
    return expected, got


def test_an_answer_is_what_httpx_own_transport_reads(simulator_url: str) -> None:
    expected, got = asyncio.run(post_both(simulator_url, json=BODY))
    assert got.status_code == expected.status_code == 200
    assert got.json() == expected.json()
    assert got.headers["content-type"] == expected.headers["content-type"]
    assert got.extensions["http_version"] == b"HTTP/1.1"


def test_a_chunked_stream_is_read_whole(simulator_url: str) -> None:
    url = f"{simulator_url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"

    async def both() -> tuple[bytes, bytes, str]:
        async with (
            httpx.AsyncClient() as plain,
            httpx.AsyncClient(transport=KeepAliveTransport()) as ours,
        ):
            expected = await plain.post(url, headers=HEADERS, json=BODY)
            got = await ours.post(url, headers=HEADERS, json=BODY)
        return expected.content, got.content, got.headers.get("transfer-encoding", "")

    expected, got, encoding = asyncio.run(both())
    assert encoding == "chunked"
    assert got == expected and got.count(b"data: ") >= 1


def test_an_error_status_and_its_body_come_through(simulator_url: str) -> None:
    expected, got = asyncio.run(post_both(simulator_url, content=b"{not json"))
    assert got.status_code == expected.status_code == 400
    assert got.json() == expected.json()


def test_a_connection_is_kept_and_used_again(simulator_url: str) -> None:
    connects = 0
    real_open = asyncio.open_connection

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal connects
        connects += 1
        return await real_open(*args, **kwargs)

    async def three() -> None:
        async with httpx.AsyncClient(transport=KeepAliveTransport()) as client:
            for _ in range(3):
                (await client.post(generate(simulator_url), headers=HEADERS, json=BODY)).json()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asyncio, "open_connection", counting)
        asyncio.run(three())
    assert connects == 1


def test_concurrent_requests_get_a_connection_each_up_to_the_limit(simulator_url: str) -> None:
    async def many() -> tuple[list[int], int]:
        transport = KeepAliveTransport(max_connections=4)
        async with httpx.AsyncClient(transport=transport) as client:
            calls = [
                client.post(generate(simulator_url), headers=HEADERS, json=BODY) for _ in range(12)
            ]
            responses = await asyncio.gather(*calls)
            idle = sum(len(stack) for stack in transport._idle.values())
        return [response.status_code for response in responses], idle

    statuses, idle = asyncio.run(many())
    assert statuses == [200] * 12
    assert idle <= 4


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raises(call: Callable[[httpx.AsyncClient], Awaitable[object]], **options: Any) -> Exception:
    async def go() -> Exception:
        async with httpx.AsyncClient(transport=KeepAliveTransport(**options)) as client:
            try:
                await call(client)
            except Exception as error:
                return error
        raise AssertionError("no error")

    return asyncio.run(go())


def test_a_refused_connection_is_a_connect_error() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    error = raises(lambda client: client.post(generate(url), json=BODY))
    assert isinstance(error, httpx.ConnectError)


def test_no_answer_in_time_is_a_read_timeout(simulator_url: str) -> None:
    headers = {**HEADERS, FAULT_HEADER: "slow;delay=2"}
    error = raises(
        lambda client: client.post(generate(simulator_url), headers=headers, json=BODY, timeout=0.3)
    )
    assert isinstance(error, httpx.ReadTimeout)


def test_no_free_connection_in_time_is_a_pool_timeout(simulator_url: str) -> None:
    headers = {**HEADERS, FAULT_HEADER: "slow;delay=1"}
    timeout = httpx.Timeout(10, pool=0.2)

    async def two(client: httpx.AsyncClient) -> object:
        first = client.post(generate(simulator_url), headers=headers, json=BODY, timeout=timeout)
        second = client.post(generate(simulator_url), headers=headers, json=BODY, timeout=timeout)
        return await asyncio.gather(first, second)

    assert isinstance(raises(two, max_connections=1), httpx.PoolTimeout)


def sim_client(url: str, **retry: Any) -> AsyncClient:
    policy = RetryPolicy(async_sleep=_no_sleep, **retry)
    return AsyncClient(
        api_key=SIMULATOR_KEY, base_url=url, transport=KeepAliveTransport(), retry=policy
    )


async def _no_sleep(delay: float) -> None:
    return None


def test_a_reset_before_the_status_line_is_retried(simulator_url: str) -> None:
    async def reset_then_answer() -> int:
        async with sim_client(simulator_url) as client:
            # per request hash: the first attempt is reset, the retry is answered
            client._http.headers[FAULT_HEADER] = "reset;count=1"
            answer = await client.generate_content(MODEL, BODY)
            return len(answer.candidates or [])

    assert asyncio.run(reset_then_answer()) == 1


def test_a_200_cut_mid_body_is_an_answer_lost(simulator_url: str) -> None:
    async def dropped() -> Exception:
        async with sim_client(simulator_url) as client:
            client._http.headers[FAULT_HEADER] = "drop;count=*"
            try:
                await client.generate_content(MODEL, BODY)
            except Exception as error:
                return error
        raise AssertionError("no error")

    assert isinstance(asyncio.run(dropped()), AnswerLostError)
