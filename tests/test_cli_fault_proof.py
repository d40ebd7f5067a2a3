"""Proof under faults: many runs through pre-answer faults all pass, and nothing is paid twice.

The simulator counts every request it reads (RequestCounter), so these tests see what reached
the server, not what the client believes it sent. Backoff waits are recorded, not slept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wisdomgate import cli
from wisdomgate.simulator import SIMULATOR_KEY, RequestCounter, SimulatorConfig, run_simulator

pytestmark = pytest.mark.slow

RUNS = 200
MAX_ATTEMPTS = 5
# Each fault fires for about 10% of the attempts and at most once per request, so a request
# meets at most four faults: with five attempts every run must pass, whatever the draw.
PRE_ANSWER_FAULTS = (
    "429;rate=0.1;count=1;retry=2",
    "500;rate=0.1;count=1",
    "503;rate=0.1;count=1",
    "reset;rate=0.1;count=1",
)


def matrix_recipe(folder: Path, runs: int) -> Path:
    values = ", ".join(str(n) for n in range(runs))
    path = folder / "many.yaml"
    path.write_text(
        "version: 1\nname: many\nmodel: gemini-2.5-flash\n"
        f"matrix: {{n: [{values}]}}\n"
        "turns:\n  - prompt: 'haiku number {{ n }} about the sea'\n",
        encoding="utf-8",
    )
    return path


def manifests(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.rglob("manifest.json"))]


def run_against(
    monkeypatch: pytest.MonkeyPatch, faults: tuple[str, ...], counter: RequestCounter, *args: str
) -> int:
    monkeypatch.setenv("WISDOM_GATE_KEY", SIMULATOR_KEY)
    with run_simulator(SimulatorConfig(faults=faults), counter=counter) as url:
        return cli.main(["run", *args, "--base-url", url, "--rpm", "0", "--concurrency", "16"])


def test_200_runs_through_30_percent_pre_answer_faults_all_pass_within_max_attempts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent_bodies: list[bytes], sleeps: list[float]
) -> None:
    counter = RequestCounter()
    recipe, out = matrix_recipe(tmp_path, RUNS), tmp_path / "out"
    args = [str(recipe), "--out", str(out), "--max-attempts", str(MAX_ATTEMPTS)]
    assert run_against(monkeypatch, PRE_ANSWER_FAULTS, counter, *args) == cli.EXIT_OK
    found = manifests(out)
    assert len(found) == RUNS and all(m["status"] == "passed" for m in found)
    assert counter.max() <= MAX_ATTEMPTS
    retries = counter.total - RUNS
    assert retries >= RUNS // 5  # the faults really fired: about a third of first attempts
    assert len(sleeps) == retries  # every retry waited first
    assert 2.0 in sleeps  # the 429s' RetryInfo was honoured


def test_lost_answers_are_sent_once_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent_bodies: list[bytes]
) -> None:
    counter = RequestCounter()
    recipe, out = matrix_recipe(tmp_path, 20), tmp_path / "out"
    args = [str(recipe), "--out", str(out), "--max-attempts", str(MAX_ATTEMPTS)]
    assert run_against(monkeypatch, ("drop;count=1",), counter, *args) == cli.EXIT_FAILED
    assert counter.total == 20 and counter.max() == 1
    kinds = {m["turns"][0]["outcome"]["kind"] for m in manifests(out)}
    assert kinds == {"answer_lost"}
