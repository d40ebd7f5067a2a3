"""What a batch is doing while it runs: typed progress events and the observer that gets them.

The runner tells a ProgressObserver (the CLI's live display or its plain lines) when the batch
starts, when a run starts and finishes, when a turn is sent and answered, and when the client is
about to send a request again. Events are facts about the batch only: they never go into a
manifest, a JUnit report or any other file.

Observers are called on the event loop, so they must return at once (update counters, print a
line). An observer that raises is dropped with a logged warning: a progress display must never
fail a run that has been paid for.

Retries happen inside the client (wisdomgate_api's retry loop), which knows nothing of runs: the
runner marks which run and turn a request belongs to (`sending`, a context variable that each
run's task sees on its own), and `observed_retries` wraps the retry policy's sleep, called once
before every retry, to report it. Nothing about when or whether to retry changes.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from wisdomgate.recipe import PlannedRun
from wisdomgate.run.records import RunRecord, RunStatus, TurnRecord
from wisdomgate_api import APIConnectionError, APIStatusError, RetryPolicy, WisdomGateError

__all__ = [
    "BatchStarted",
    "ProgressEvent",
    "ProgressObserver",
    "RetryScheduled",
    "RunFinished",
    "RunKey",
    "RunStarted",
    "TurnAnswered",
    "TurnSent",
    "notify",
    "observed_retries",
    "run_finished",
    "sending",
    "turn_answered",
    "turn_cost_usd",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunKey:
    """Which run an event is about: its recipe's name and its run id."""

    recipe: str
    run_id: str

    @classmethod
    def of(cls, plan: PlannedRun) -> RunKey:
        """The key of a planned run."""
        return cls(plan.recipe_name, plan.run_id)


@dataclass(frozen=True)
class BatchStarted:
    """The batch begins: how many runs, how many at a time."""

    runs: int
    concurrency: int


@dataclass(frozen=True)
class RunStarted:
    """A run got its slot and is starting (a refused or budget-stopped run never does)."""

    run: RunKey
    turns: int


@dataclass(frozen=True)
class TurnSent:
    """A turn's request is about to go out (its first attempt)."""

    run: RunKey
    turn: int


@dataclass(frozen=True)
class RetryScheduled:
    """The client will send a turn's request again after delay_s (retry: 1 for the first)."""

    run: RunKey
    turn: int
    retry: int
    delay_s: float
    reason: str  # what failed: `HTTP 503 UNAVAILABLE`, `ConnectError`


@dataclass(frozen=True)
class TurnAnswered:
    """A turn got its answer: the images written, and its cost when it is known."""

    run: RunKey
    turn: int
    images: int
    cost_usd: float | None
    reused: bool = False  # answered from an earlier run's files (--resume): not paid again


@dataclass(frozen=True)
class RunFinished:
    """A run is over (its manifest final): passed or failed, how long it took."""

    run: RunKey
    status: RunStatus
    images: int
    duration_s: float


ProgressEvent = BatchStarted | RunStarted | TurnSent | RetryScheduled | TurnAnswered | RunFinished


class ProgressObserver(Protocol):
    """Gets every progress event of a batch, on the event loop: must return at once."""

    def notify(self, event: ProgressEvent) -> None:
        """Take one event."""
        ...


def notify(observer: ProgressObserver | None, event: ProgressEvent) -> ProgressObserver | None:
    """Give the event to the observer; the observer to keep using (None once it has raised)."""
    if observer is None:
        return None
    try:
        observer.notify(event)
    except Exception:  # a display bug must not fail runs that are paid for: stop showing it
        logger.warning("progress display stopped after an error", exc_info=True)
        return None
    return observer


def turn_answered(plan: PlannedRun, record: TurnRecord, *, reused: bool) -> TurnAnswered:
    """The event of a turn whose answer is written and judged (record complete)."""
    images = sum(not image.thought for image in record.images)
    cost = None if reused else turn_cost_usd(record)  # a reused answer is not paid again
    return TurnAnswered(RunKey.of(plan), record.number, images, cost, reused)


def run_finished(plan: PlannedRun, record: RunRecord, images: int) -> RunFinished:
    """The event of a run whose record is final."""
    seconds = (record.duration_ms or 0) / 1000
    return RunFinished(RunKey.of(plan), record.status, images, seconds)


def turn_cost_usd(record: TurnRecord) -> float | None:
    """What the turn cost this invocation in USD (0 when reused or replayed), None unpriced."""
    if record.cost is None:
        return None
    return record.cost.usd if record.cost.charged else 0.0


@dataclass
class _Sending:
    run: RunKey
    turn: int
    retries: int = 0


_SENDING: contextvars.ContextVar[_Sending | None] = contextvars.ContextVar(
    "wisdomgate_sending", default=None
)


@contextlib.contextmanager
def sending(run: RunKey, turn: int) -> Iterator[_Sending]:
    """Mark the requests sent in this block (in this task) as the turn's, for retry events;
    the marker yielded counts the retries (when the policy is observed_retries)."""
    marker = _Sending(run, turn)
    token = _SENDING.set(marker)
    try:
        yield marker
    finally:
        _SENDING.reset(token)


def observed_retries(policy: RetryPolicy, observer: ProgressObserver | None) -> RetryPolicy:
    """The policy, its on_retry counting each retry of a marked request (for the turn's record)
    and reporting it to the observer, if any; an on_retry it had is still called."""
    earlier = policy.on_retry
    kept: list[ProgressObserver | None] = [observer]

    def on_retry(error: WisdomGateError, attempt: int, delay: float) -> None:
        if earlier is not None:
            earlier(error, attempt, delay)
        current = _SENDING.get()
        if current is not None:
            current.retries += 1
            event = RetryScheduled(
                current.run, current.turn, current.retries, delay, retry_reason(error)
            )
            kept[0] = notify(kept[0], event)

    return dataclasses.replace(policy, on_retry=on_retry)


def retry_reason(error: WisdomGateError) -> str:
    """Why a request is sent again, in a few words: `HTTP 503 UNAVAILABLE`, `ConnectError`."""
    if isinstance(error, APIStatusError):
        return f"HTTP {error.status_code} {error.status or ''}".rstrip()
    if isinstance(error, APIConnectionError) and error.cause:
        return error.cause
    return type(error).__name__
