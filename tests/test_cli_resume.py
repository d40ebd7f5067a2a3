"""`run --resume`: after a crash or SIGKILL, answers already paid for are never requested again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from wisdomgate import cli

pytestmark = pytest.mark.slow

TWO_TURNS = """\
version: 1
name: fox
model: gemini-3-pro-image-preview
config: {{responseModalities: [TEXT, IMAGE]}}
turns:
  - prompt: a red fox in the snow
    expect: {{images: 1}}
  - prompt: "now make it blue {slow}"
    expect: {{images: 1}}
"""


def write(folder: Path, slow: str = "") -> Path:
    path = folder / "fox.yaml"
    path.write_text(TWO_TURNS.format(slow=slow), encoding="utf-8")
    return path


def manifest(out: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        (out / "fox" / "default" / "manifest.json").read_text(encoding="utf-8")
    )
    return found


def run(recipe: Path, out: Path, *extra: str) -> int:
    return cli.main(["run", str(recipe), "--simulate", "--out", str(out), *extra])


def test_resume_after_a_complete_run_sends_nothing(
    tmp_path: Path, sent_bodies: list[bytes]
) -> None:
    recipe, out = write(tmp_path), tmp_path / "out"
    assert run(recipe, out) == cli.EXIT_OK
    first = manifest(out)
    sent_bodies.clear()
    assert run(recipe, out, "--resume") == cli.EXIT_OK
    assert sent_bodies == []
    again = manifest(out)
    assert [turn["reused"] for turn in again["turns"]] == [True, True]
    assert [t["response"]["responseId"] for t in again["turns"]] == [
        t["response"]["responseId"] for t in first["turns"]
    ]


def test_resume_sends_only_the_turns_whose_request_changed(
    tmp_path: Path, sent_bodies: list[bytes]
) -> None:
    out = tmp_path / "out"
    assert run(write(tmp_path), out) == cli.EXIT_OK
    sent_bodies.clear()
    assert run(write(tmp_path, slow="with white spots"), out, "--resume") == cli.EXIT_OK
    assert len(sent_bodies) == 1
    assert b"with white spots" in sent_bodies[0]
    assert [turn["reused"] for turn in manifest(out)["turns"]] == [True, False]


def test_without_resume_everything_is_sent_again(tmp_path: Path, sent_bodies: list[bytes]) -> None:
    recipe, out = write(tmp_path), tmp_path / "out"
    assert run(recipe, out) == cli.EXIT_OK
    sent_bodies.clear()
    assert run(recipe, out) == cli.EXIT_OK
    assert len(sent_bodies) == 2


def test_a_tampered_answer_image_is_requested_again(
    tmp_path: Path, sent_bodies: list[bytes]
) -> None:
    recipe, out = write(tmp_path), tmp_path / "out"
    assert run(recipe, out) == cli.EXIT_OK
    (out / "fox" / "default" / "turn-2-1.png").write_bytes(b"not the image that was paid for")
    sent_bodies.clear()
    assert run(recipe, out, "--resume") == cli.EXIT_OK
    assert len(sent_bodies) == 1  # turn 1 reused, turn 2 sent again


def wait_for_turn_one(out: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be killed"
        try:
            if manifest(out)["turns"][0]["status"] == "passed":
                return
        except (OSError, ValueError, KeyError, IndexError):
            pass
        time.sleep(0.05)
    raise AssertionError("turn 1 never finished")


def test_sigkill_mid_run_then_resume_pays_only_for_the_unanswered_turn(
    tmp_path: Path, sent_bodies: list[bytes]
) -> None:
    out = tmp_path / "out"
    slow_recipe = write(tmp_path, slow="[[slow:60]]")  # turn 2 stays in flight until killed
    command = [sys.executable, "-m", "wisdomgate", "run", str(slow_recipe), "--simulate"]
    process = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL)
    try:
        wait_for_turn_one(out, process)
        time.sleep(0.3)  # turn 2's request is on the wire now
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    killed = manifest(out)
    assert killed["status"] == "running"
    assert killed["turns"][1]["status"] == "pending"
    assert killed["turns"][1]["request_sha256"]  # on disk before it was paid for
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*tmp*"))

    assert run(write(tmp_path), out, "--resume") == cli.EXIT_OK
    assert len(sent_bodies) == 1  # turn 2 only: turn 1 was paid for by the killed run
    assert [turn["reused"] for turn in manifest(out)["turns"]] == [True, False]


def folder_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "fox" / "default").iterdir()}


def test_a_failed_rerun_leaves_no_file_of_the_earlier_run(tmp_path: Path) -> None:
    recipe, out = write(tmp_path), tmp_path / "out"
    assert run(recipe, out) == cli.EXIT_OK
    failing = ("--simulate-fault", "503;count=*", "--max-attempts", "1")
    assert run(recipe, out, *failing) == cli.EXIT_FAILED
    assert list(folder_files(out)) == ["manifest.json"]
    assert [turn["status"] for turn in manifest(out)["turns"]] == ["failed", "not_run"]


def test_resume_writes_the_reused_answers_again_and_drops_stale_files(
    tmp_path: Path, sent_bodies: list[bytes]
) -> None:
    recipe, out = write(tmp_path), tmp_path / "out"
    assert run(recipe, out) == cli.EXIT_OK
    before = folder_files(out)
    folder = out / "fox" / "default"
    (folder / "turn-1.request.json").write_bytes(b"{}")  # left by a dry run into the same folder
    (folder / "turn-3.txt").write_bytes(b"a turn the recipe no longer has")
    (folder / "notes.md").write_bytes(b"the user's own file")
    sent_bodies.clear()
    assert run(recipe, out, "--resume") == cli.EXIT_OK
    assert sent_bodies == []
    after = folder_files(out)
    assert set(after) == {*before, "notes.md"}
    images = [name for name in before if name.endswith(".png")]
    assert images and all(after[name] == before[name] for name in images)
