"""Stopping: `wisdomgate serve` ends within a second of SIGTERM/SIGINT, exit 0, no traceback,
whatever its clients keep open; a request waiting out a delay is answered 503 at once.

The bounds below are generous (a slow CI machine must not fail them); the stop itself takes
a few tenths of a second, and without the fix a request in flight held it for 30 s.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time

import httpx
import pytest

from tests.serve_process import serve_process
from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, create_app, run_simulator

STOP_BOUND = 10.0
SLOW = 30  # seconds the request in flight would wait if the stop waited for it
GENERATE = "/v1beta/models/gemini-2.5-flash:generateContent"
HEADERS = {"x-goog-api-key": SIMULATOR_KEY}


def slow_request(port: int) -> bytes:
    body = json.dumps({"contents": [{"parts": [{"text": f"[[slow:{SLOW}]] take your time"}]}]})
    return (
        f"POST {GENERATE} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        f"x-goog-api-key: {SIMULATOR_KEY}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n{body}"
    ).encode()


def read_all(sock: socket.socket) -> bytes:
    sock.settimeout(STOP_BOUND)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_serve_with_a_keep_alive_connection_open(sig: signal.Signals) -> None:
    with serve_process() as served, httpx.Client(headers=HEADERS) as client:
        url = served.url(served.banner())
        assert client.get(f"{url}/v1beta/models").status_code == 200  # kept open (keep-alive)
        code, seconds = served.stop(sig, timeout=STOP_BOUND)
        stderr = served.stderr()
    assert code == 0
    assert seconds < STOP_BOUND
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_a_request_in_flight_gets_503_and_does_not_hold_up_the_stop() -> None:
    with serve_process() as served:
        url = served.url(served.banner())
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as in_flight:
            in_flight.sendall(slow_request(port))
            # Answered after the slow request was sent: the server has read that one too.
            assert httpx.get(f"{url}/v1beta/models", headers=HEADERS).status_code == 200
            code, seconds = served.stop(signal.SIGTERM, timeout=STOP_BOUND)
            answer = read_all(in_flight)
        stderr = served.stderr()
    assert (code, seconds < STOP_BOUND) == (0, True)
    assert answer.startswith(b"HTTP/1.1 503 ")
    assert b'"status":"UNAVAILABLE"' in answer and b"shutting down" in answer
    assert "Traceback" not in stderr


def test_a_delay_in_flight_ends_with_503_when_the_app_is_stopping() -> None:
    async def call() -> tuple[httpx.Response, float]:
        stopping = asyncio.Event()
        app = create_app(SimulatorConfig(latency=SLOW), stopping=stopping)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as client:
            started = time.monotonic()
            request = asyncio.ensure_future(client.get("/v1beta/models", headers=HEADERS))
            await asyncio.sleep(0.05)
            stopping.set()
            return await request, time.monotonic() - started

    response, seconds = asyncio.run(call())
    assert response.status_code == 503
    assert response.json()["error"]["status"] == "UNAVAILABLE"
    assert seconds < STOP_BOUND


@pytest.mark.slow
def test_run_simulator_stops_with_a_request_in_flight() -> None:
    started = time.monotonic()
    with run_simulator() as url:
        port = int(url.rsplit(":", 1)[1])
        in_flight = socket.create_connection(("127.0.0.1", port))
        in_flight.sendall(slow_request(port))
        assert httpx.get(f"{url}/v1beta/models", headers=HEADERS).status_code == 200
    try:
        assert read_all(in_flight).startswith(b"HTTP/1.1 503 ")
    finally:
        in_flight.close()
    assert time.monotonic() - started < STOP_BOUND
