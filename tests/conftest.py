"""Shared fixtures: the built-in simulator on loopback, and small image/response builders."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from wisdomgate_api.models import GenerateContentResponse

PngMaker = Callable[..., bytes]
ResponseMaker = Callable[..., GenerateContentResponse]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's key or base URL: behaviour never depends on the shell."""
    monkeypatch.delenv("WISDOM_GATE_KEY", raising=False)
    monkeypatch.delenv("WISDOM_GATE_BASE_URL", raising=False)


@pytest.fixture(autouse=True)
def _generous_template_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The template deadline is a backstop behind deterministic counters: on a loaded machine a
    legitimate render must not hit it in a test (its own test sets it back and fakes the clock)."""
    monkeypatch.setattr("wisdomgate.recipe.template_budget.MAX_SECONDS", 600.0)


@pytest.fixture
def sleeps() -> list[float]:
    """Delays a RetryPolicy asked to sleep (pass `sleep=sleeps.append`): retries never wait."""
    return []


@pytest.fixture
def fsynced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path os.fsync is called on during the test (a folder's path for a folder)."""
    seen: list[str] = []
    real = os.fsync

    def recording(fd: int) -> None:
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return seen


@pytest.fixture
def sent() -> list[httpx.Request]:
    """Requests a MockTransport handler recorded."""
    return []


@pytest.fixture
def sent_bodies(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> list[bytes]:
    """Every request body `wisdomgate run` sends in this process, retries included.

    Captured below the client with an httpx event hook; the client's backoff waits are
    recorded in `sleeps` instead of slept.
    """
    import dataclasses

    from wisdomgate.cli import commands
    from wisdomgate_api import AsyncClient, RetryPolicy

    bodies: list[bytes] = []

    async def record(request: httpx.Request) -> None:
        # a body with reference images streams from their files: read it (httpx keeps the bytes)
        bodies.append(await request.aread())

    async def no_sleep(delay: float) -> None:
        sleeps.append(delay)

    real = commands.open_client

    def open_client(
        key: str,
        base_url: str | None,
        timeout: httpx.Timeout,
        retry: RetryPolicy,
        **options: Any,
    ) -> AsyncClient:
        policy = dataclasses.replace(retry, async_sleep=no_sleep)
        return real(key, base_url, timeout, policy, event_hooks={"request": [record]}, **options)

    monkeypatch.setattr(commands, "open_client", open_client)
    return bodies


@pytest.fixture(scope="session")
def simulator_url() -> Iterator[str]:
    """Base URL of one simulator (default config: accepts SIMULATOR_KEY) for the whole session."""
    from wisdomgate.simulator import SimulatorConfig, run_simulator

    with run_simulator(SimulatorConfig()) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def sim_client() -> Iterator[httpx.Client]:
    """httpx on a simulator of the test module's own (fault counters never leak across modules)."""
    from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, run_simulator

    with (
        run_simulator(SimulatorConfig()) as url,
        httpx.Client(base_url=url, headers={"x-goog-api-key": SIMULATOR_KEY}, timeout=60) as http,
    ):
        yield http


def _png(width: int = 16, height: int = 16, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def make_png() -> PngMaker:
    """make_png(width, height, color) -> PNG bytes."""
    return _png


def _response(
    *,
    images: list[bytes] | None = None,
    text: str | None = None,
    finish: str | None = "STOP",
    finish_message: str | None = None,
    block: str | None = None,
    grounded: bool = False,
    total_tokens: int | None = 100,
    mime_type: str = "image/png",
    signature: str | None = None,
) -> GenerateContentResponse:
    parts: list[dict[str, Any]] = []
    if text is not None:
        parts.append({"text": text})
    for data in images or []:
        parts.append(
            {"inlineData": {"mimeType": mime_type, "data": base64.b64encode(data).decode()}}
        )
    if signature is not None and parts:
        parts[-1]["thoughtSignature"] = signature
    wire: dict[str, Any] = {"modelVersion": "test-model", "responseId": "resp-1"}
    if block is not None:
        wire["promptFeedback"] = {"blockReason": block}
    else:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish is not None:
            candidate["finishReason"] = finish
        if finish_message is not None:
            candidate["finishMessage"] = finish_message
        if grounded:
            candidate["groundingMetadata"] = {"webSearchQueries": ["q"]}
        wire["candidates"] = [candidate]
    if total_tokens is not None:
        wire["usageMetadata"] = {"promptTokenCount": 10, "totalTokenCount": total_tokens}
    return GenerateContentResponse.model_validate(wire)


@pytest.fixture
def make_response() -> ResponseMaker:
    """make_response(images=[png], text=..., finish=..., block=...) -> a parsed response."""
    return _response
