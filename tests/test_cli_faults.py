"""`wisdomgate run --simulate --simulate-fault`: retries recover, exhausted quotas fail fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wisdomgate import cli

pytestmark = pytest.mark.slow

RECIPE = """\
version: 1
name: kite
model: gemini-2.5-flash-image
config: {responseModalities: [IMAGE], imageConfig: {aspectRatio: "16:9"}}
turns:
  - prompt: a red kite over the sea
    expect: {images: 1, aspect_ratio: "16:9"}
"""


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    path = tmp_path / "kite.yaml"
    path.write_text(RECIPE, encoding="utf-8")
    return path


def run(recipe: Path, out: Path, *faults: str) -> int:
    args = ["run", str(recipe), "--simulate", "--out", str(out)]
    for fault in faults:
        args += ["--simulate-fault", fault]
    return cli.main(args)


def manifest(out: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        (out / "kite" / "default" / "manifest.json").read_text(encoding="utf-8")
    )
    return found


def test_a_429_storm_is_retried_until_it_passes(
    recipe: Path, tmp_path: Path, sent_bodies: list[bytes], sleeps: list[float]
) -> None:
    assert run(recipe, tmp_path / "out", "429;count=2;retry=3") == cli.EXIT_OK
    assert len(sent_bodies) == 3
    assert sleeps == [3.0, 3.0]  # the server's RetryInfo delay, not a guess
    assert manifest(tmp_path / "out")["status"] == "passed"


def test_the_manifest_counts_a_turns_retries(
    recipe: Path, tmp_path: Path, sent_bodies: list[bytes], sleeps: list[float]
) -> None:
    assert run(recipe, tmp_path / "out", "503;count=2") == cli.EXIT_OK
    assert len(sent_bodies) == 3
    assert manifest(tmp_path / "out")["turns"][0]["retries"] == 2


def test_a_turn_sent_once_has_no_retries(
    recipe: Path, tmp_path: Path, sent_bodies: list[bytes]
) -> None:
    assert run(recipe, tmp_path / "out") == cli.EXIT_OK
    assert len(sent_bodies) == 1
    assert manifest(tmp_path / "out")["turns"][0]["retries"] == 0


def test_an_answer_lost_after_http_200_is_sent_once_and_named(
    recipe: Path, tmp_path: Path, sent_bodies: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    # the server accepted the request and started answering: it may have billed it
    assert run(recipe, tmp_path / "out", "drop;count=1") == cli.EXIT_FAILED
    assert len(sent_bodies) == 1
    outcome = manifest(tmp_path / "out")["turns"][0]["outcome"]
    assert outcome["kind"] == "answer_lost"
    assert outcome["http_status"] == 200
    out = capsys.readouterr().out
    assert "1 answer lost after the server accepted the request" in out
    assert "`--resume` re-sends it" in out


def test_resume_re_sends_a_lost_answer_knowingly(
    recipe: Path, tmp_path: Path, sent_bodies: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run(recipe, out, "drop;count=1") == cli.EXIT_FAILED
    sent_bodies.clear()
    capsys.readouterr()
    assert cli.main(["run", str(recipe), "--simulate", "--out", str(out), "--resume"]) == 0
    assert len(sent_bodies) == 1
    assert manifest(out)["turns"][0]["resent_lost_answer"] is True
    assert (
        "sent again knowingly: 1 request whose earlier answer was lost" in capsys.readouterr().out
    )


def test_retry_lost_answers_opts_in_to_the_re_send(
    recipe: Path, tmp_path: Path, sent_bodies: list[bytes]
) -> None:
    args = ["run", str(recipe), "--simulate", "--simulate-fault", "drop;count=1"]
    assert cli.main([*args, "--retry-lost-answers", "--out", str(tmp_path / "out")]) == 0
    assert len(sent_bodies) == 2
    assert manifest(tmp_path / "out")["turns"][0]["resent_lost_answer"] is False


def test_a_daily_quota_fails_at_once_with_the_reason(
    recipe: Path, tmp_path: Path, sent_bodies: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(recipe, tmp_path / "out", "429-daily;count=*") == cli.EXIT_FAILED
    assert len(sent_bodies) == 1
    assert "daily or zero quota: not retried" in capsys.readouterr().out
    turn = manifest(tmp_path / "out")["turns"][0]
    assert turn["outcome"]["http_status"] == 429


def test_a_persistent_503_gives_up_after_max_attempts(
    recipe: Path, tmp_path: Path, sent_bodies: list[bytes]
) -> None:
    code = cli.main(
        [
            "run",
            str(recipe),
            "--simulate",
            "--simulate-fault",
            "503;count=*",
            "--max-attempts",
            "3",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == cli.EXIT_FAILED
    assert len(sent_bodies) == 3
    assert manifest(tmp_path / "out")["turns"][0]["outcome"]["http_status"] == 503


def test_simulate_fault_without_simulate_is_a_usage_error(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["run", str(recipe), "--simulate-fault", "500", "--out", str(tmp_path)])
    assert code == cli.EXIT_USAGE
    assert "--simulate-fault needs --simulate" in capsys.readouterr().err


def test_a_bad_fault_spec_is_a_usage_error_without_traceback(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(recipe, tmp_path / "out", "teapot") == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown fault kind 'teapot'" in err
    assert "Traceback" not in err
