"""The runner's progress events: what an observer is told, in what order, and that it cannot
fail a run; retries as the client's retry policy reports them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.conftest import PngMaker, ResponseMaker
from tests.test_runner_run import ScriptedClient, plan, turn
from wisdomgate.artifacts.folders import OutputFolders
from wisdomgate.recipe.plan import PlannedRun
from wisdomgate.run import (
    BatchStarted,
    ProgressEvent,
    ProgressObserver,
    RetryScheduled,
    RunFinished,
    RunKey,
    RunStarted,
    TurnAnswered,
    TurnSent,
    observed_retries,
)
from wisdomgate.run.progress import sending
from wisdomgate.run.runner import Runner, RunnerOptions, RunResult
from wisdomgate_api import APIStatusError, AsyncClient, BadRequestError, RetryPolicy


class Recorder:
    """An observer that keeps every event."""

    def __init__(self) -> None:
        self.events: list[ProgressEvent] = []

    def notify(self, event: ProgressEvent) -> None:
        self.events.append(event)


class Broken:
    """An observer with a bug."""

    def __init__(self) -> None:
        self.calls = 0

    def notify(self, event: ProgressEvent) -> None:
        self.calls += 1
        raise RuntimeError("a bug in the display")


def run_observed(
    client: ScriptedClient, plans: list[PlannedRun], out: Path, observer: ProgressObserver
) -> list[RunResult]:
    options = RunnerOptions(requests_per_minute=None, concurrency=1)
    runner = Runner(client, options, stores=OutputFolders(out), observer=observer)
    return asyncio.run(runner.run_all(plans))


def test_a_two_turn_run_reports_its_events_in_order(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    client = ScriptedClient(
        [
            make_response(images=[make_png()]),
            make_response(text="Two.", images=[make_png(), make_png()]),
        ]
    )
    observer = Recorder()
    run_observed(client, [plan(tmp_path, turn(1, "a"), turn(2, "b"))], tmp_path / "out", observer)
    key = RunKey("demo", "default")
    finished = observer.events[-1]
    assert isinstance(finished, RunFinished)
    costs = [event.cost_usd for event in observer.events if isinstance(event, TurnAnswered)]
    assert all(cost is not None and cost > 0 for cost in costs)  # priced from usageMetadata
    assert observer.events[:-1] == [
        BatchStarted(runs=1, concurrency=1),
        RunStarted(key, turns=2),
        TurnSent(key, 1),
        TurnAnswered(key, 1, images=1, cost_usd=costs[0]),
        TurnSent(key, 2),
        TurnAnswered(key, 2, images=2, cost_usd=costs[1]),
    ]
    assert (finished.run, finished.status, finished.images) == (key, "passed", 3)


def test_a_failed_request_is_sent_but_not_answered_and_its_run_finishes_failed(
    tmp_path: Path,
) -> None:
    client = ScriptedClient([BadRequestError("bad", status_code=400, status="INVALID_ARGUMENT")])
    observer = Recorder()
    run_observed(client, [plan(tmp_path, turn(1, "a"))], tmp_path / "out", observer)
    kinds = [type(event).__name__ for event in observer.events]
    assert kinds == ["BatchStarted", "RunStarted", "TurnSent", "RunFinished"]
    assert isinstance(observer.events[-1], RunFinished)
    assert observer.events[-1].status == "failed"


def test_an_observer_that_raises_is_dropped_and_the_runs_pass(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    client = ScriptedClient(lambda index: make_response(images=[make_png()]))
    observer = Broken()
    plans = [plan(tmp_path, turn(1, "a"), name=name) for name in ("one", "two")]
    results = run_observed(client, plans, tmp_path / "out", observer)
    assert [result.passed for result in results] == [True, True]
    assert observer.calls == 1  # told once, then no more


def test_each_retry_of_a_marked_request_is_reported_as_its_turns(
    make_response: ResponseMaker,
) -> None:
    replies = iter([httpx.Response(503), httpx.Response(503)])
    answer = make_response(images=[]).to_wire()

    def handler(request: httpx.Request) -> httpx.Response:
        return next(replies, None) or httpx.Response(200, json=answer)

    async def no_sleep(delay: float) -> None:
        return None

    observer = Recorder()
    policy = observed_retries(RetryPolicy(async_sleep=no_sleep, jitter=0), observer)
    key = RunKey("kite", "default")

    async def send() -> None:
        async with AsyncClient(
            api_key="k", transport=httpx.MockTransport(handler), retry=policy
        ) as client:
            with sending(key, 3):
                await client.generate_content("gemini-2.5-flash-image", {"contents": []})

    asyncio.run(send())
    assert observer.events == [
        RetryScheduled(key, 3, retry=1, delay_s=1.0, reason="HTTP 503 UNAVAILABLE"),
        RetryScheduled(key, 3, retry=2, delay_s=2.0, reason="HTTP 503 UNAVAILABLE"),
    ]


def test_a_retry_outside_any_run_is_not_reported() -> None:
    observer = Recorder()
    told: list[float] = []
    policy = observed_retries(
        RetryPolicy(on_retry=lambda _e, _n, delay: told.append(delay)), observer
    )
    assert policy.on_retry is not None
    policy.on_retry(APIStatusError("busy", status_code=503), 1, 0.5)
    assert told == [0.5] and observer.events == []  # the policy's own on_retry is still told
