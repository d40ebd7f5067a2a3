"""`wisdomgate run`'s progress: plain lines off a terminal, the live display on one, --quiet,
the choice between them, and that progress never reaches a file or shows the key."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from tests.test_cli_run import IMAGE_RECIPE, write_recipe
from wisdomgate import cli
from wisdomgate.cli import commands
from wisdomgate.cli.console import Reporter
from wisdomgate.cli.live import LiveProgress, counts_text, duration_text
from wisdomgate.cli.progress import Tally, estimate_remaining, view_kind
from wisdomgate.run import (
    BatchStarted,
    ProgressEvent,
    RetryScheduled,
    RunFinished,
    RunKey,
    RunStarted,
    TurnAnswered,
)
from wisdomgate.simulator import SIMULATOR_KEY

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FAILING = IMAGE_RECIPE.replace("images: 1", "images: 2")  # the simulator draws one


class Stream(io.StringIO):
    """A text stream that says whether it is a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def batch(folder: Path, *recipes: tuple[str, str]) -> list[str]:
    return [str(write_recipe(folder, name, body)) for name, body in recipes]


def run(paths: list[str], out: Path, *options: str) -> int:
    args = ["run", *paths, "--simulate", "--out", str(out), "--concurrency", "1"]
    return cli.main([*args, *options])


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> None:
    """`run` chooses the live display, as on a terminal."""
    monkeypatch.setattr(commands, "view_kind", lambda **_: "live")


def test_off_a_terminal_each_finished_run_and_each_retry_is_one_plain_line(
    tmp_path: Path, sent_bodies: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = batch(tmp_path, ("a-kite", IMAGE_RECIPE), ("b-kite", IMAGE_RECIPE))
    assert run(paths, tmp_path / "out", "--simulate-fault", "503;count=1") == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 6
    retry = r"RETRY a-kite \[default\] turn 1: retry 1 in \d+\.\ds \(HTTP 503 UNAVAILABLE\)"
    assert re.fullmatch(retry, lines[0])
    assert lines[1].startswith("PASS a-kite [default] 1 image -> ")
    assert lines[2].startswith("PASS b-kite [default] 1 image -> ")
    assert lines[3].startswith("cost: $")
    assert lines[4].startswith("2 runs: 2 passed, 0 failed; 2 images and 2 manifests in ")
    assert lines[5].startswith("report: ")


def test_quiet_prints_only_the_failed_runs_and_the_summary(
    tmp_path: Path, sent_bodies: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = batch(tmp_path, ("fine", IMAGE_RECIPE), ("wrong", FAILING))
    args = ["--simulate-fault", "503;count=1", "--quiet"]
    assert run(paths, tmp_path / "out", *args) == cli.EXIT_FAILED
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("FAIL wrong [default] turn 1: ")
    assert lines[1].startswith("cost: $")
    assert lines[2].startswith("2 runs: 1 passed, 1 failed;")
    assert lines[3].startswith("report: ")


def test_the_live_display_keeps_each_runs_line_and_the_summary(
    tmp_path: Path, live: None, sent_bodies: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = batch(tmp_path, ("a-kite", IMAGE_RECIPE), ("b-kite", FAILING))
    assert run(paths, tmp_path / "out") == cli.EXIT_FAILED
    lines = ANSI.sub("", capsys.readouterr().out).splitlines()
    assert lines[0].startswith("PASS a-kite [default] 1 image -> ")
    assert lines[1].startswith("FAIL b-kite [default] turn 1: ")
    assert lines[-2].startswith("2 runs: 1 passed, 1 failed;")
    assert lines[-1].startswith("report: ")


@pytest.mark.parametrize("kind", ["plain", "live", "quiet"])
def test_no_progress_reaches_the_manifests_or_the_junit_report(
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sent_bodies: list[bytes],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(commands, "view_kind", lambda **_: kind)
    paths = batch(tmp_path, ("kite", IMAGE_RECIPE))
    junit = tmp_path / "junit.xml"
    faults = ["--simulate-fault", "503;count=1", "--junit", str(junit)]
    assert run(paths, tmp_path / "out", *faults) == cli.EXIT_OK
    written = [junit, *sorted((tmp_path / "out").rglob("*.json"))]
    assert len(written) > 1
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "RETRY" not in text and "runs done" not in text and "\x1b" not in text, path


@pytest.mark.parametrize("kind", ["plain", "live"])
def test_the_key_is_never_printed(
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sent_bodies: list[bytes],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(commands, "view_kind", lambda **_: kind)
    paths = batch(tmp_path, ("kite", IMAGE_RECIPE), ("wrong", FAILING))
    run(paths, tmp_path / "out", "--simulate-fault", "503;count=2")
    printed = capsys.readouterr()
    assert "RETRY" in printed.out or kind == "live"
    assert SIMULATOR_KEY not in printed.out + printed.err


@pytest.mark.parametrize(
    ("quiet", "stdout_tty", "stderr_tty", "environ", "expected"),
    [
        (False, True, True, {}, "live"),
        (False, True, True, {"CI": "false"}, "live"),
        (False, True, True, {"CI": "true"}, "plain"),
        (False, True, True, {"TERM": "dumb"}, "plain"),
        (False, False, True, {}, "plain"),
        (False, True, False, {}, "plain"),
        (True, True, True, {}, "quiet"),
        (True, False, False, {"CI": "true"}, "quiet"),
    ],
)
def test_the_view_is_live_only_on_a_terminal_outside_ci_and_quiet_wins(
    quiet: bool, stdout_tty: bool, stderr_tty: bool, environ: dict[str, str], expected: str
) -> None:
    kind = view_kind(
        quiet=quiet, stdout=Stream(stdout_tty), stderr=Stream(stderr_tty), environ=environ
    )
    assert kind == expected


def test_the_live_display_draws_the_counts_on_a_terminal() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    view = LiveProgress(Reporter(io.StringIO()), console, auto_refresh=False)
    one, two = RunKey("kite", "default"), RunKey("sunset", "default")
    events: list[ProgressEvent] = [
        BatchStarted(runs=3, concurrency=2),
        RunStarted(one, turns=1),
        RunStarted(two, turns=1),
        RetryScheduled(two, 1, retry=1, delay_s=1.0, reason="HTTP 429 RESOURCE_EXHAUSTED"),
        TurnAnswered(one, 1, images=2, cost_usd=None),
        RunFinished(one, "passed", images=2, duration_s=30.0),
    ]
    with view:
        for event in events:
            view.notify(event)
    drawn = ANSI.sub("", screen.getvalue())
    assert "1/3 runs done · 0 failed · 1 in flight" in drawn
    assert "1 retry · 2 images · cost — · ETA 30s" in drawn


def test_the_cost_so_far_adds_up_the_turns_whose_cost_is_known() -> None:
    tally = Tally()
    key = RunKey("kite", "default")
    for cost in (0.04, None, 0.134):
        tally.count(TurnAnswered(key, 1, images=1, cost_usd=cost))
    assert counts_text(tally)[1] == "0 retries · 3 images · cost $0.17 · ETA 0s"


def test_a_run_that_never_started_does_not_lower_the_runs_in_flight() -> None:
    tally = Tally()
    flying, refused = RunKey("kite", "a"), RunKey("kite", "busy")
    tally.count(RunStarted(flying, 1))
    tally.count(RunFinished(refused, "failed", 0, 0.0))  # folder busy: refused, never started
    assert tally.in_flight == 1
    tally.count(RunFinished(flying, "passed", 1, 2.0))
    assert tally.in_flight == 0


def test_the_eta_is_the_mean_run_time_over_the_slots_the_remaining_runs_fill() -> None:
    assert estimate_remaining([10.0, 20.0], remaining=6, concurrency=3) == 30.0
    assert estimate_remaining([10.0], remaining=2, concurrency=8) == 10.0
    assert estimate_remaining([], remaining=5, concurrency=2) is None
    assert estimate_remaining([], remaining=0, concurrency=2) == 0.0


def test_durations_are_shown_in_seconds_minutes_or_hours() -> None:
    shown = [duration_text(s) for s in (None, 45, 185, 3725)]
    assert shown == ["—", "45s", "3m 05s", "1h 02m"]
