"""What `run` shows while a batch runs: a live display, plain lines, or (--quiet) failures only.

`progress_view` chooses: the live `rich` display (wisdomgate.cli.live) when stdout and stderr
are both terminals and the environment is not CI (`CI` set to anything but "", "0" or "false");
plain lines otherwise, one per finished run (as before) and one per retry, with no carriage
return or colour, so logs stay readable; with --quiet only failed runs' lines. The final summary
is printed after the view has closed, whatever the view. Progress goes to the terminal only:
never into a manifest, the JUnit report or any other file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, TextIO

from wisdomgate.cli.console import Reporter
from wisdomgate.run import (
    BatchStarted,
    ProgressEvent,
    RetryScheduled,
    RunFinished,
    RunKey,
    RunResult,
    RunStarted,
    TurnAnswered,
)

__all__ = [
    "PlainProgress",
    "ProgressView",
    "QuietProgress",
    "Tally",
    "ViewKind",
    "estimate_remaining",
    "progress_view",
    "retry_line",
    "view_kind",
]

ViewKind = Literal["live", "plain", "quiet"]

_NOT_CI = {"", "0", "false", "no"}


def view_kind(
    *, quiet: bool, stdout: TextIO, stderr: TextIO, environ: Mapping[str, str] | None = None
) -> ViewKind:
    """quiet with --quiet; live on a terminal (both streams) outside CI; plain otherwise."""
    env = os.environ if environ is None else environ
    if quiet:
        return "quiet"
    in_ci = env.get("CI", "").strip().lower() not in _NOT_CI
    dumb = env.get("TERM", "") == "dumb"
    if in_ci or dumb or not (_is_terminal(stdout) and _is_terminal(stderr)):
        return "plain"
    return "live"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


def estimate_remaining(durations: list[float], remaining: int, concurrency: int) -> float | None:
    """Seconds left: the mean finished run's duration times the runs left, over the slots they
    fill; None before any run has finished."""
    if remaining <= 0:
        return 0.0
    if not durations:
        return None
    mean = sum(durations) / len(durations)
    return mean * remaining / max(1, min(concurrency, remaining))


@dataclass
class Tally:
    """The batch so far, counted from the progress events."""

    runs: int = 0
    concurrency: int = 1
    passed: int = 0
    failed: int = 0
    retries: int = 0
    images: int = 0
    cost_usd: float | None = None  # None until a turn with a known cost is answered
    durations: list[float] = field(default_factory=list)
    # a run is in flight from its RunStarted to its RunFinished; a refused run (folder busy)
    # or one not started (--max-cost) finishes without having started
    started: set[RunKey] = field(default_factory=set)

    @property
    def in_flight(self) -> int:
        """Runs started and not finished."""
        return len(self.started)

    def count(self, event: ProgressEvent) -> None:
        """Take one event into the counts."""
        if isinstance(event, BatchStarted):
            self.runs, self.concurrency = event.runs, event.concurrency
        elif isinstance(event, RunStarted):
            self.started.add(event.run)
        elif isinstance(event, RetryScheduled):
            self.retries += 1
        elif isinstance(event, TurnAnswered):
            self.images += event.images
            if event.cost_usd is not None:
                self.cost_usd = (self.cost_usd or 0.0) + event.cost_usd
        elif isinstance(event, RunFinished):
            self._finished(event)

    def _finished(self, event: RunFinished) -> None:
        if event.status == "passed":
            self.passed += 1
        else:
            self.failed += 1
        self.started.discard(event.run)
        if event.duration_s > 0:  # a refused run (folder busy) did nothing: not a duration
            self.durations.append(event.duration_s)

    @property
    def done(self) -> int:
        """Runs finished, passed or failed."""
        return self.passed + self.failed

    @property
    def eta_s(self) -> float | None:
        """Seconds until the batch is done (estimate_remaining)."""
        return estimate_remaining(self.durations, self.runs - self.done, self.concurrency)


def retry_line(event: RetryScheduled) -> str:
    """`RETRY recipe [run id] turn 1: retry 2 in 4.0s (HTTP 503 UNAVAILABLE)`."""
    run, wait = event.run, f"{event.delay_s:.1f}s"
    where = f"{run.recipe} [{run.run_id}] turn {event.turn}"
    return f"RETRY {where}: retry {event.retry} in {wait} ({event.reason})"


class ProgressView:
    """A way of showing a batch: gets the events and each finished run; a context manager."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.tally = Tally()

    def notify(self, event: ProgressEvent) -> None:
        """Count the event (subclasses show it too)."""
        self.tally.count(event)

    def run_finished(self, result: RunResult) -> None:
        """A run's result, once it is final: its PASS or FAIL line."""
        self.reporter.run_finished(result)

    def __enter__(self) -> ProgressView:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class PlainProgress(ProgressView):
    """One line per finished run and one per retry: for logs, pipes and CI."""

    def notify(self, event: ProgressEvent) -> None:
        """Count the event; print a line for a retry."""
        super().notify(event)
        if isinstance(event, RetryScheduled):
            self.reporter.line(retry_line(event))


class QuietProgress(ProgressView):
    """--quiet: no progress, only the lines of the runs that failed."""

    def run_finished(self, result: RunResult) -> None:
        """Print the run's line if it failed."""
        if not result.passed:
            self.reporter.run_finished(result)


def progress_view(kind: ViewKind, reporter: Reporter) -> ProgressView:
    """The view of that kind, printing through reporter (its stream, its redaction)."""
    if kind == "quiet":
        return QuietProgress(reporter)
    if kind == "plain":
        return PlainProgress(reporter)
    from wisdomgate.cli.live import LiveProgress  # rich is imported only for a terminal

    return LiveProgress(reporter)
