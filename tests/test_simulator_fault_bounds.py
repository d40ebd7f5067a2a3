"""Fault injection is bounded: bad headers are 400s, times are capped, counters and bodies too."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import pytest

import wisdomgate.simulator as simulator_package
from wisdomgate.catalog import Catalog, load_catalog
from wisdomgate.cli import main as cli_main
from wisdomgate.simulator import (
    FAULT_HEADER,
    SIMULATOR_KEY,
    FaultSpec,
    SimulatorConfig,
    SimulatorError,
    create_app,
    run_simulator,
)
from wisdomgate.simulator import __main__ as simulator_module
from wisdomgate.simulator.faults import FaultState

TEXT = "gemini-2.5-flash"
BODY = {"contents": [{"parts": [{"text": "hello"}]}]}
SMALL_LIMIT = 1024


def _post(client: httpx.Client, fault: str) -> httpx.Response:
    # A short client timeout: if a fault ever slept again, the test fails instead of hanging.
    return client.post(
        f"/v1beta/models/{TEXT}:generateContent",
        json=BODY,
        headers={FAULT_HEADER: fault},
        timeout=10,
    )


# ---------------------------------------------------------------- malformed header


@pytest.mark.slow
def test_malformed_fault_header_is_invalid_argument(sim_client: httpx.Client) -> None:
    response = _post(sim_client, "bogus")
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.slow
def test_malformed_fault_header_names_header_and_problem(sim_client: httpx.Client) -> None:
    error = _post(sim_client, "bogus").json()["error"]
    assert error["message"].startswith(f"Invalid value in header '{FAULT_HEADER}':")
    assert "unknown fault kind 'bogus'" in error["message"]


@pytest.mark.slow
def test_malformed_fault_header_has_field_violation(sim_client: httpx.Client) -> None:
    [detail] = _post(sim_client, "slow;colour=red").json()["error"]["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert detail["fieldViolations"][0]["field"] == FAULT_HEADER
    assert "bad fault option 'colour=red'" in detail["fieldViolations"][0]["description"]


@pytest.mark.slow
def test_malformed_fault_header_logs_no_traceback(
    sim_client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="wisdomgate.simulator"):
        _post(sim_client, "bogus")
    assert not [record for record in caplog.records if record.exc_info]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.slow
def test_one_bad_spec_in_a_list_refuses_the_header(sim_client: httpx.Client) -> None:
    assert _post(sim_client, "slow;delay=0, bogus").status_code == 400


# ---------------------------------------------------------------- bounded times


@pytest.mark.parametrize(
    "text",
    ["slow;delay=inf", "slow;delay=1e9", "slow;delay=nan", "429;retry=inf", "429;retry=60.5"],
)
def test_parse_rejects_unbounded_times(text: str) -> None:
    with pytest.raises(SimulatorError, match="finite number of seconds from 0 to 60"):
        FaultSpec.parse(text)


def test_parse_accepts_sixty_seconds() -> None:
    assert FaultSpec.parse("429;retry=60").retry == 60.0


def test_config_rejects_infinite_latency() -> None:
    with pytest.raises(SimulatorError, match="latency"):
        SimulatorConfig(latency=float("inf"))


@pytest.mark.slow
def test_header_with_huge_delay_is_refused(sim_client: httpx.Client) -> None:
    response = _post(sim_client, "slow;delay=1e9")
    assert response.status_code == 400
    assert "delay must be a finite number of seconds" in response.json()["error"]["message"]


def test_cli_fault_flag_rejects_infinite_delay(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[object] = []
    # Should the flag ever be accepted again, record the call instead of serving forever.
    monkeypatch.setattr(simulator_module, "serve", lambda *args: served.append(args))
    with pytest.raises(SystemExit) as exit_info:
        simulator_module.main(["--fault", "slow;delay=inf", "--port", "0"])
    assert not served
    assert exit_info.value.code == 2
    assert "delay must be a finite number of seconds from 0 to 60" in capsys.readouterr().err


def test_serve_command_rejects_huge_delay(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[object] = []
    monkeypatch.setattr(simulator_package, "serve", lambda *args: served.append(args))
    assert cli_main(["serve", "--fault", "429;retry=1e9"]) == 2
    assert not served
    assert "retry must be a finite number of seconds from 0 to 60" in capsys.readouterr().err


# ---------------------------------------------------------------- bounded counters


def _fire(state: FaultState, request_hash: str) -> bool:
    spec = (FaultSpec.parse("500;count=1"),)
    plan = state.plan(spec, request_hash=request_hash, model="m", streaming=False)
    return plan.error is not None


def test_fault_state_keeps_at_most_max_keys() -> None:
    state = FaultState(seed=0, max_keys=8)
    for index in range(100):
        _fire(state, f"request-{index}")
    assert len(state) == 8


def test_fault_state_forgets_least_recently_used() -> None:
    state = FaultState(seed=0, max_keys=2)
    _fire(state, "a")
    _fire(state, "b")
    _fire(state, "c")  # evicts a
    assert _fire(state, "a")  # counted afresh: the fault fires again


def test_fault_state_keeps_recently_used() -> None:
    state = FaultState(seed=0, max_keys=2)
    _fire(state, "a")
    _fire(state, "b")
    _fire(state, "a")  # a is now the most recent
    _fire(state, "c")  # evicts b
    assert not _fire(state, "a")


# ---------------------------------------------------------------- bounded request body


def _small_catalog() -> Catalog:
    """The packaged catalog with a 1 KiB request limit for every model."""
    catalog = load_catalog()
    models = [dataclasses.replace(m, max_request_bytes=SMALL_LIMIT) for m in catalog.models()]
    return Catalog(models, sources=catalog.sources, harm_categories=catalog.harm_categories)


@pytest.fixture(scope="module")
def small_client() -> Iterator[httpx.Client]:
    with (
        run_simulator(SimulatorConfig(catalog=_small_catalog())) as url,
        httpx.Client(base_url=url, headers={"x-goog-api-key": SIMULATOR_KEY}, timeout=60) as http,
    ):
        yield http


def _chunks(count: int, size: int = 256) -> Iterator[bytes]:
    yield b'{"contents": [{"parts": [{"text": "'
    for _ in range(count):
        yield b"x" * size
    yield b'"}]}]}'


@pytest.mark.slow
def test_chunked_body_over_the_limit_is_refused(small_client: httpx.Client) -> None:
    response = small_client.post(f"/v1beta/models/{TEXT}:generateContent", content=_chunks(8))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"Request payload size exceeds the limit: {SMALL_LIMIT} bytes."
    )


@pytest.mark.slow
def test_chunked_body_within_the_limit_is_answered(small_client: httpx.Client) -> None:
    response = small_client.post(f"/v1beta/models/{TEXT}:generateContent", content=_chunks(2))
    assert response.status_code == 200, response.text


def _endless_body_call() -> tuple[int, int]:
    """(status, body messages read) for a chunked POST with a huge body, straight on ASGI."""
    app = create_app(SimulatorConfig(catalog=_small_catalog()))
    reads = 0
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        # "Endless" up to 1 MB, so a server that reads everything fails this test instead of hanging.
        return {"type": "http.request", "body": b"x" * 100, "more_body": reads < 10_000}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/v1beta/models/{TEXT}:generateContent",
        "raw_path": f"/v1beta/models/{TEXT}:generateContent".encode(),
        "query_string": b"",
        "headers": [(b"x-goog-api-key", SIMULATOR_KEY.encode())],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], reads


def test_huge_chunked_body_stops_being_read_at_the_limit() -> None:
    status, reads = _endless_body_call()
    assert status == 400
    assert reads <= SMALL_LIMIT // 100 + 1
