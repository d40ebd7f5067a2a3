"""A refused key: the answer keeps the real API's wording, the log line says why, never the key."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, create_app

WRONG = "zq9-wrong-key-0123456789"
MODELS = "/v1beta/models"


def get(
    headers: dict[str, str] | None = None, params: dict[str, str] | None = None
) -> httpx.Response:
    """GET /v1beta/models in-process (no socket), as a client sending these credentials."""

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(SimulatorConfig()))
        async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as client:
            return await client.get(MODELS, headers=headers, params=params)

    return asyncio.run(call())


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="wisdomgate.simulator")
    return caplog


def test_an_unknown_key_gets_the_real_api_answer() -> None:
    error = get({"x-goog-api-key": WRONG}).json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"] == "API key not valid. Please pass a valid API key."
    assert error["details"][0]["reason"] == "API_KEY_INVALID"


def test_the_log_says_an_unknown_key_was_refused_and_how_to_accept_it(
    log: pytest.LogCaptureFixture,
) -> None:
    get({"x-goog-api-key": WRONG})
    line = log.records[-1].getMessage()
    assert "status=400" in line
    assert "refused: unknown API key" in line
    assert "--api-key KEY" in line and "--accept-any-key" in line


def test_the_log_says_no_key_was_sent(log: pytest.LogCaptureFixture) -> None:
    assert get().status_code == 403
    line = log.records[-1].getMessage()
    assert "status=403" in line and "refused: no API key" in line


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"x-goog-api-key": WRONG}, None),
        ({"authorization": f"Bearer {WRONG}"}, None),
        (None, {"key": WRONG}),
    ],
    ids=["header", "bearer", "query"],
)
def test_the_log_never_shows_the_refused_key(
    log: pytest.LogCaptureFixture, headers: dict[str, str] | None, params: dict[str, str] | None
) -> None:
    assert get(headers, params).status_code == 400
    assert "refused: unknown API key" in log.text
    assert WRONG[:3] not in log.text  # not even its first characters


def test_an_accepted_key_logs_no_refusal(log: pytest.LogCaptureFixture) -> None:
    assert get({"x-goog-api-key": SIMULATOR_KEY}).status_code == 200
    assert "refused" not in log.records[-1].getMessage()
