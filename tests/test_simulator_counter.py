"""RequestCounter: how many times each request reached the simulator, to bound retries."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest

from wisdomgate.simulator import (
    FAULT_HEADER,
    SIMULATOR_KEY,
    RequestCounter,
    SimulatorConfig,
    create_app,
    run_simulator,
)
from wisdomgate.simulator.counter import request_key
from wisdomgate_api import Client, RetryPolicy, ServiceUnavailableError

TEXT = "gemini-2.5-flash"
URL = f"/v1beta/models/{TEXT}:generateContent"
KEY = {"x-goog-api-key": SIMULATOR_KEY}


def _body(text: str) -> dict[str, Any]:
    return {"contents": [{"parts": [{"text": text}]}]}


# ---------------------------------------------------------------- the counter itself


def test_new_counter_is_empty() -> None:
    counter = RequestCounter()
    assert (counter.max(), counter.total, counter.by_key()) == (0, 0, {})


def test_record_counts_per_key() -> None:
    counter = RequestCounter()
    for key in ("a", "b", "a", "a"):
        counter.record(key)
    assert counter.by_key() == {"a": 3, "b": 1}
    assert (counter.count("a"), counter.count("never")) == (3, 0)


def test_max_is_the_most_repeated_request() -> None:
    counter = RequestCounter()
    for key in ("a", "b", "b"):
        counter.record(key)
    assert counter.max() == 2


def test_total_includes_every_repeat() -> None:
    counter = RequestCounter()
    for key in ("a", "b", "b"):
        counter.record(key)
    assert counter.total == 3


def test_clear_forgets_every_count() -> None:
    counter = RequestCounter()
    counter.record("a")
    counter.clear()
    assert counter.total == 0


def test_counter_is_thread_safe() -> None:
    counter = RequestCounter()

    def hammer() -> None:
        for _ in range(2_000):
            counter.record("same")

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.count("same") == 8_000


def test_request_key_ignores_the_api_key_parameter() -> None:
    with_key = request_key("POST", URL, [("alt", "sse"), ("key", "secret")], b"{}")
    assert with_key == request_key("POST", URL, [("alt", "sse")], b"{}")


def test_request_key_differs_by_body() -> None:
    assert request_key("POST", URL, [], b'{"a": 1}') != request_key("POST", URL, [], b'{"a": 2}')


# ---------------------------------------------------------------- counting a server's requests


@pytest.mark.slow
def test_run_simulator_counts_each_retry_of_one_request() -> None:
    counter = RequestCounter()
    with (
        run_simulator(SimulatorConfig(faults=("503;count=2",)), counter=counter) as url,
        httpx.Client(base_url=url, headers=KEY) as client,
    ):
        statuses = [client.post(URL, json=_body("retry me")).status_code for _ in range(3)]
        client.post(URL, json=_body("another request"))
    assert statuses == [503, 503, 200]
    assert sorted(counter.by_key().values()) == [1, 3]


@pytest.mark.slow
def test_client_retries_are_bounded_by_its_policy() -> None:
    counter = RequestCounter()
    policy = RetryPolicy(max_attempts=3, sleep=lambda _: None)
    with (
        run_simulator(SimulatorConfig(faults=("503;count=*",)), counter=counter) as url,
        Client(api_key=SIMULATOR_KEY, base_url=url, retry=policy) as api,
        pytest.raises(ServiceUnavailableError),
    ):
        api.generate_content(TEXT, _body("always overloaded"))
    assert counter.max() == 3


@pytest.mark.slow
def test_reset_requests_are_counted() -> None:
    counter = RequestCounter()
    with (
        run_simulator(counter=counter) as url,
        httpx.Client(base_url=url, headers={**KEY, FAULT_HEADER: "reset"}) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(URL, json=_body("reset"))
        client.post(URL, json=_body("reset"))
    assert counter.max() == 2


@pytest.mark.slow
def test_the_key_parameter_does_not_split_counts() -> None:
    counter = RequestCounter()
    with run_simulator(counter=counter) as url:
        httpx.post(f"{url}{URL}", json=_body("same"), headers=KEY)
        httpx.post(f"{url}{URL}", json=_body("same"), params={"key": SIMULATOR_KEY})
    assert counter.by_key() == {
        request_key("POST", URL, [], httpx.Request("POST", "/", json=_body("same")).content): 2
    }


def test_refused_keys_are_not_counted() -> None:
    counter = RequestCounter()

    async def call() -> int:
        transport = httpx.ASGITransport(app=create_app(counter=counter))
        async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as client:
            response = await client.post(URL, json=_body("no key"))
            return response.status_code

    assert asyncio.run(call()) == 403
    assert counter.total == 0


def test_create_app_counts_in_process() -> None:
    counter = RequestCounter()

    async def call() -> None:
        transport = httpx.ASGITransport(app=create_app(counter=counter))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://simulator", headers=KEY
        ) as client:
            await client.get("/v1beta/models")
            await client.get("/v1beta/models")

    asyncio.run(call())
    assert (counter.max(), counter.total) == (2, 2)
