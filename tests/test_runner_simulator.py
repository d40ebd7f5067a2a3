"""The runner against the built-in simulator, through the generated AsyncClient."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from wisdomgate.artifacts.folders import OutputFolders
from wisdomgate.recipe.plan import Expectations, PlannedRun, PlannedTurn
from wisdomgate.run.outcomes import OutcomeKind
from wisdomgate.run.runner import Runner, RunnerOptions, RunResult
from wisdomgate.simulator import SIMULATOR_KEY
from wisdomgate_api import AsyncClient, RetryPolicy
from wisdomgate_api.models import GenerationConfig

MODEL = "gemini-3-pro-image-preview"


class Recorder:
    """httpx event hooks keeping every request body sent and every response body received."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.received: list[bytes] = []

    async def on_request(self, request: httpx.Request) -> None:
        self.sent.append(request.content)

    async def on_response(self, response: httpx.Response) -> None:
        self.received.append(await response.aread())


def image_turn(number: int, prompt: str, **expect: Any) -> PlannedTurn:
    config = GenerationConfig.model_validate({"responseModalities": ["TEXT", "IMAGE"]})
    return PlannedTurn(number, prompt, (), config, Expectations(**expect))


def make_plan(*turns: PlannedTurn, model: str = MODEL) -> PlannedRun:
    return PlannedRun(
        recipe_name="sim",
        recipe_path=Path(__file__),
        recipe_sha256="0" * 64,
        run_id="default",
        model=model,
        system_instruction=None,
        safety_settings=None,
        tools=None,
        turns=turns,
        variables={},
    )


def run_on_simulator(
    plan: PlannedRun, base_url: str, out: Path, recorder: Recorder | None = None
) -> RunResult:
    recorder = recorder or Recorder()
    hooks: dict[str, list[Callable[..., Any]]] = {
        "request": [recorder.on_request],
        "response": [recorder.on_response],
    }

    async def go() -> RunResult:
        async with AsyncClient(
            api_key=SIMULATOR_KEY,
            base_url=base_url,
            retry=RetryPolicy(max_attempts=1),
            event_hooks=hooks,
        ) as client:
            runner = Runner(
                client, RunnerOptions(requests_per_minute=None), stores=OutputFolders(out)
            )
            [result] = await runner.run_all([plan])
            return result

    return asyncio.run(go())


def test_a_two_turn_edit_sends_turn_ones_parts_and_signatures_back(
    simulator_url: str, tmp_path: Path
) -> None:
    recorder = Recorder()
    plan = make_plan(image_turn(1, "a red kite", images=1), image_turn(2, "make it blue", images=1))
    result = run_on_simulator(plan, simulator_url, tmp_path, recorder)
    assert result.passed, result.record.reason
    first_answer = json.loads(recorder.received[0])["candidates"][0]["content"]
    assert any("thoughtSignature" in part for part in first_answer["parts"])
    second_request = json.loads(recorder.sent[1])
    assert second_request["contents"][1] == first_answer
    # Byte for byte: the signatures and image data appear in the body exactly as received.
    for part in first_answer["parts"]:
        if "thoughtSignature" in part:
            assert json.dumps(part["thoughtSignature"]).encode() in recorder.sent[1]


@pytest.mark.parametrize(
    ("prompt", "kind", "reason"),
    [
        (
            "x [[block:PROHIBITED_CONTENT]]",
            OutcomeKind.BLOCKED,
            "prompt blocked: PROHIBITED_CONTENT",
        ),
        ("x [[finish:IMAGE_SAFETY]]", OutcomeKind.IMAGE_SAFETY, "finishReason IMAGE_SAFETY"),
        ("x [[finish:NO_IMAGE]]", OutcomeKind.NO_IMAGE, "finishReason NO_IMAGE"),
        ("x [[finish:MAX_TOKENS]]", OutcomeKind.MAX_TOKENS, "finishReason MAX_TOKENS"),
        ("x [[text-only]]", OutcomeKind.TEXT_ONLY, "text-only answer where an image was expected"),
    ],
)
def test_each_refusal_is_reported_with_its_reason(
    simulator_url: str, tmp_path: Path, prompt: str, kind: OutcomeKind, reason: str
) -> None:
    result = run_on_simulator(make_plan(image_turn(1, prompt)), simulator_url, tmp_path)
    outcome = result.record.turns[0].outcome
    assert outcome is not None and not result.passed
    assert outcome.kind is kind
    assert outcome.reason.startswith(reason)
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["turns"][0]["outcome"]["kind"] == kind.value


def test_text_only_reports_the_models_own_text(simulator_url: str, tmp_path: Path) -> None:
    result = run_on_simulator(
        make_plan(image_turn(1, "a fox [[text-only]]")), simulator_url, tmp_path
    )
    outcome = result.record.turns[0].outcome
    assert outcome is not None and outcome.model_text
    assert outcome.model_text in outcome.reason


def test_an_api_error_reports_status_and_message(simulator_url: str, tmp_path: Path) -> None:
    result = run_on_simulator(
        make_plan(image_turn(1, "hi"), model="no-such-model"), simulator_url, tmp_path
    )
    outcome = result.record.turns[0].outcome
    assert outcome is not None and outcome.kind is OutcomeKind.API_ERROR
    assert (outcome.http_status, outcome.error_status) == (404, "NOT_FOUND")
    assert "no-such-model" in (outcome.error_message or "")
