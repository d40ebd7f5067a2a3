"""The reset fault: the request is read, then the connection closes before any status line.

`drop` is the other cut: HTTP 200 first, then the body stops (the answer is lost after the
server acted). A reset is the case a client may safely retry: nothing was answered.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from wisdomgate.simulator import FAULT_HEADER, SIMULATOR_KEY, create_app

pytestmark = pytest.mark.slow

TEXT = "gemini-2.5-flash"
CUT = (httpx.RemoteProtocolError, httpx.ReadError)  # EOF or RST before any status line
NO_RESPONSE = "Server disconnected without sending a response."
_START_TIMEOUT = 30.0  # only a guard against a hung subprocess, never a timing assertion


def _body(text: str) -> dict[str, Any]:
    return {"contents": [{"parts": [{"text": text}]}]}


def _post(client: httpx.Client, text: str, fault: str) -> httpx.Response:
    return client.post(
        f"/v1beta/models/{TEXT}:generateContent", json=_body(text), headers={FAULT_HEADER: fault}
    )


def test_reset_closes_the_connection_before_any_status(sim_client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match=NO_RESPONSE):
        _post(sim_client, "reset me", "reset")


def test_reset_request_succeeds_when_retried(sim_client: httpx.Client) -> None:
    with pytest.raises(CUT):
        _post(sim_client, "reset once", "reset;count=1")
    assert _post(sim_client, "reset once", "reset;count=1").status_code == 200


def test_reset_cuts_a_stream_before_its_status(sim_client: httpx.Client) -> None:
    with pytest.raises(CUT):
        sim_client.post(
            f"/v1beta/models/{TEXT}:streamGenerateContent?alt=sse",
            json=_body("reset stream"),
            headers={FAULT_HEADER: "reset"},
        )


def test_reset_wins_over_an_error_fault(sim_client: httpx.Client) -> None:
    with pytest.raises(CUT):
        _post(sim_client, "reset or 503", "503, reset")


def test_drop_answers_200_before_cutting_unlike_reset(sim_client: httpx.Client) -> None:
    url = f"/v1beta/models/{TEXT}:generateContent"
    headers = {FAULT_HEADER: "drop"}
    with sim_client.stream("POST", url, json=_body("drop, not reset"), headers=headers) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()


def test_reset_logs_fault_reset_without_uvicorn_noise(
    sim_client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with pytest.raises(CUT):
        _post(sim_client, "reset and log", "reset")
    line = _wait_for_log(caplog, "fault=reset")
    assert line.startswith(f"POST /v1beta/models/{TEXT}:generateContent model={TEXT} status=- ")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _wait_for_log(caplog: pytest.LogCaptureFixture, text: str) -> str:
    """The simulator's log line containing text (written just after the connection closed)."""
    for _ in range(500):
        lines = [r.getMessage() for r in caplog.records if r.name == "wisdomgate.simulator"]
        found = [line for line in lines if text in line]
        if found:
            return found[0]
        time.sleep(0.01)
    raise AssertionError(f"no log line with {text!r}")


def test_reset_in_process_raises_connection_reset_error() -> None:
    async def call() -> None:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as client:
            await client.post(
                f"/v1beta/models/{TEXT}:generateContent",
                json=_body("in process"),
                headers={"x-goog-api-key": SIMULATOR_KEY, FAULT_HEADER: "reset"},
            )

    with pytest.raises(ConnectionResetError):
        asyncio.run(call())


# ---------------------------------------------------------------- `wisdomgate serve`


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, queue.Queue[str]]]:
    """`wisdomgate serve --port 0 --fault reset;model=...` in a subprocess: URL and log lines."""
    command = Path(sys.executable).with_name("wisdomgate")
    process = subprocess.Popen(
        [str(command), "serve", "--quiet", "--port", "0", "--fault", f"reset;model={TEXT}"],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    reader = threading.Thread(target=_pump, args=(process.stderr, lines), daemon=True)
    reader.start()
    try:
        yield _served_url(lines), lines
    finally:
        process.terminate()
        process.wait(timeout=_START_TIMEOUT)
        reader.join(timeout=_START_TIMEOUT)  # the pipe is at its end once the process is gone
        process.stderr.close()


def _pump(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


def _served_url(lines: queue.Queue[str]) -> str:
    while True:
        line = lines.get(timeout=_START_TIMEOUT)
        match = re.search(r"Uvicorn running on (http://127\.0\.0\.1:\d+)", line)
        if match:
            return match.group(1)


def test_serve_resets_then_answers_the_retry(served: tuple[str, queue.Queue[str]]) -> None:
    url, _ = served
    with httpx.Client(base_url=url, headers={"x-goog-api-key": SIMULATOR_KEY}) as client:
        with pytest.raises(httpx.RemoteProtocolError, match=NO_RESPONSE):
            client.post(f"/v1beta/models/{TEXT}:generateContent", json=_body("served"))
        retry = client.post(f"/v1beta/models/{TEXT}:generateContent", json=_body("served"))
    assert retry.status_code == 200


def test_serve_logs_the_reset_and_nothing_else(served: tuple[str, queue.Queue[str]]) -> None:
    url, lines = served
    with httpx.Client(base_url=url, headers={"x-goog-api-key": SIMULATOR_KEY}) as client:
        with pytest.raises(CUT):
            client.post(f"/v1beta/models/{TEXT}:generateContent", json=_body("logged"))
        client.get("/v1beta/models")  # not reset (no model); its log line follows the reset's
    seen: list[str] = []
    while not seen or "GET /v1beta/models" not in seen[-1]:
        seen.append(lines.get(timeout=_START_TIMEOUT))
    assert any("status=- " in line and line.endswith("fault=reset") for line in seen)
    assert not [line for line in seen if "ASGI callable" in line or "Traceback" in line]
