"""Property: whatever arrives, the simulator answers a status openapi.json documents, 200 or 4xx,
with a body that validates against the spec (a google.rpc.Status envelope for every error).

Most examples run in-process (httpx.ASGITransport, milliseconds each); a few go through a real
uvicorn server, where only what HTTP/1.1 can carry is sent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.simulator_strategies import (
    MODELS,
    SEEDS,
    TEXT_MODELS,
    deep_json,
    encode,
    inert_fault_header,
    near_valid_request,
    odd_headers,
    odd_json,
    odd_model,
    odd_query,
    wire_header_value,
)
from tests.spec_errors import assert_error_envelope, documented_statuses, validate_schema
from wisdomgate.simulator import (
    FAULT_HEADER,
    SIMULATOR_KEY,
    SimulatorConfig,
    create_app,
    run_simulator,
)

Headers = list[tuple[bytes, bytes]]

# (HTTP method, path template as in openapi.json, schema of a 200 body or chunk)
GENERATE = ("POST", "/v1beta/models/{model}:generateContent", "GenerateContentResponse")
STREAM = ("POST", "/v1beta/models/{model}:streamGenerateContent", "GenerateContentResponse")
COUNT = ("POST", "/v1beta/models/{model}:countTokens", "CountTokensResponse")
GET_MODEL = ("GET", "/v1beta/models/{model}", "Model")
LIST = ("GET", "/v1beta/models", "ListModelsResponse")
POSTS = st.sampled_from([GENERATE, STREAM, COUNT])
ROUTES = st.sampled_from([GENERATE, STREAM, COUNT, GET_MODEL, LIST])
KEY: Headers = [(b"x-goog-api-key", SIMULATOR_KEY.encode())]

IN_PROCESS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REAL_SERVER = settings(IN_PROCESS, max_examples=20)


class InProcess:
    """One simulator app behind httpx.ASGITransport, driven from sync tests on one event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=create_app(SimulatorConfig()))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://simulator")

    def send(self, method: str, url: str, body: bytes, headers: Headers) -> httpx.Response:
        """The answer; a server error inside the app is raised here, with its traceback."""
        request = self.client.build_request(method, url, content=body or None, headers=headers)
        return self.loop.run_until_complete(self.client.send(request))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def app() -> Iterator[InProcess]:
    sender = InProcess()
    yield sender
    sender.close()


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with run_simulator(SimulatorConfig()) as url:
        yield url


def _url(route: tuple[str, str, str], model: str, query: str = "") -> str:
    path = route[1].replace("{model}", model)
    return f"{path}?{query}" if query else path


def check_answer(route: tuple[str, str, str], response: httpx.Response) -> None:
    """A documented 200 or 4xx, whose body validates against the spec."""
    method, path, schema = route
    status = response.status_code
    event(f"HTTP {status}")  # --hypothesis-show-statistics: how the answers spread
    assert status == 200 or 400 <= status < 500, (status, response.text[:300])
    assert status in documented_statuses(path, method), status
    if status != 200:
        assert response.headers["content-type"].startswith("application/json")
        assert_error_envelope(response.json(), status)
        return
    for body in _bodies(route, response):
        validate_schema(body, schema)


def _bodies(route: tuple[str, str, str], response: httpx.Response) -> list[Any]:
    if route is not STREAM:
        return [response.json()]
    if response.headers["content-type"].startswith("text/event-stream"):
        events = response.text.split("\r\n\r\n")
        return [json.loads(event.removeprefix("data: ")) for event in events if event]
    chunks: list[Any] = response.json()
    return chunks


# ---------------------------------------------------------------- in-process


@IN_PROCESS
@given(route=POSTS, model=st.sampled_from(MODELS), body=odd_json.map(encode) | deep_json())
def test_arbitrary_json_gets_a_documented_answer(
    app: InProcess, route: tuple[str, str, str], model: str, body: bytes
) -> None:
    check_answer(route, app.send(route[0], _url(route, model), body, KEY))


@IN_PROCESS
@given(route=POSTS, model=st.sampled_from(TEXT_MODELS), body=near_valid_request())
def test_near_valid_request_gets_a_documented_answer(
    app: InProcess, route: tuple[str, str, str], model: str, body: Any
) -> None:
    check_answer(route, app.send(route[0], _url(route, model), encode(body), KEY))


@IN_PROCESS
@given(
    route=ROUTES,
    model=odd_model,
    query=odd_query,
    headers=odd_headers,
    body=st.sampled_from(SEEDS).map(encode) | st.binary(max_size=64),
)
def test_odd_headers_and_queries_get_a_documented_answer(
    app: InProcess,
    route: tuple[str, str, str],
    model: str,
    query: str,
    headers: Headers,
    body: bytes,
) -> None:
    # A header drawn with the key's name replaces the key: the answer is then 400 or 403.
    names = {name.lower() for name, _ in headers}
    sent = [header for header in KEY if header[0] not in names] + headers
    body = body if route[0] == "POST" else b""
    check_answer(route, app.send(route[0], _url(route, model, query), body, sent))


# ---------------------------------------------------------------- a real server

# Names that would change HTTP framing (a lying Content-Length) cannot travel on a real socket.
_WIRE_NAMES = [b"x-goog-api-key", b"authorization", b"content-type", FAULT_HEADER.encode()]
_WIRE_HEADERS = st.lists(
    st.tuples(st.sampled_from(_WIRE_NAMES), wire_header_value), max_size=3
).filter(lambda headers: all(inert_fault_header(value) for _, value in headers))


@pytest.mark.slow
@REAL_SERVER
@given(
    route=ROUTES,
    model=st.sampled_from(MODELS),
    query=odd_query,
    headers=_WIRE_HEADERS,
    body=odd_json | near_valid_request(),
)
def test_real_server_gives_documented_answers(
    server_url: str,
    route: tuple[str, str, str],
    model: str,
    query: str,
    headers: Headers,
    body: Any,
) -> None:
    method = route[0]
    content = encode(body) if method == "POST" else None
    with httpx.Client(base_url=server_url, timeout=30) as client:
        request = client.build_request(
            method, _url(route, model, query), content=content, headers=KEY + headers
        )
        check_answer(route, client.send(request))
