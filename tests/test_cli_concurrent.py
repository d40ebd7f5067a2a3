"""Two `wisdomgate run` processes on one recipe and one --out: neither corrupts the folder."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from wisdomgate import cli
from wisdomgate.artifacts.folders import RunFolder

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="flock and dir_fd: POSIX"),
]

# Two slow turns, so that the second process starts while the first is still writing. The
# processes send different prompts (other images) at a different pace (who writes a file last
# changes between turns): without one writer per folder, the last manifest would name images
# the other process wrote.
RECIPE = """\
version: 1
name: fox
model: gemini-3-pro-image-preview
config: {responseModalities: [TEXT, IMAGE]}
vars: {colour: red, first: "0.1", second: "0.5"}
turns:
  - prompt: "a {{ colour }} fox in the snow [[slow:{{ first }}]]"
    expect: {images: 1}
  - prompt: "now give it a {{ colour }} hat [[slow:{{ second }}]]"
    expect: {images: 1}
"""
OTHER = ("--var", "colour=blue", "--var", "first=0.5", "--var", "second=0.1")
BUSY = "is being written by another wisdomgate process"


def start(recipe: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "wisdomgate", "run", str(recipe), "--simulate"]
    return subprocess.Popen(
        [*command, "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_manifest_matches_its_files(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "passed"
    images = [image for turn in manifest["turns"] for image in turn["outputs"]["images"]]
    assert len(images) == 2
    for image in images:
        data = (folder / image["file"]).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (image["sha256"], image["bytes"])


def test_two_processes_on_one_folder_run_or_refuse_cleanly(tmp_path: Path) -> None:
    recipe, out = tmp_path / "fox.yaml", tmp_path / "out"
    recipe.write_text(RECIPE, encoding="utf-8")
    processes = [start(recipe, out), start(recipe, out, *OTHER)]
    finished = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    for code, stdout, stderr in finished:
        assert "Traceback" not in stderr and "Errno" not in stderr, stderr
        if code != 0:  # refused: nothing ran, a usage-level outcome
            assert code == 2 and BUSY in stdout, (code, stdout, stderr)
    assert any(code == 0 for code, _, _ in finished)
    folder = out / "fox" / "default"
    assert_manifest_matches_its_files(folder)
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no temp, no lock


def hold(out: Path, recipe: str, run: str) -> RunFolder:
    """The run folder, to be held open and locked (`with`) as another process would."""
    return RunFolder(out, recipe, run)


def test_run_exits_2_when_every_run_folder_is_held(
    tmp_path: Path, sent_bodies: list[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    recipe, out = tmp_path / "fox.yaml", tmp_path / "out"
    recipe.write_text(
        RECIPE.replace("[[slow:{{ first }}]]", "").replace("[[slow:{{ second }}]]", "")
    )
    with hold(out, "fox", "default"):
        code = cli.main(["run", str(recipe), "--simulate", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_USAGE
    assert sent_bodies == []
    assert BUSY in captured.out
    assert "nothing ran: another process is writing every run folder" in captured.err


def test_a_dry_run_exits_2_when_every_run_folder_is_held(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe, out = tmp_path / "fox.yaml", tmp_path / "out"
    recipe.write_text(RECIPE, encoding="utf-8")
    with hold(out, "fox", "default"):
        code = cli.main(["run", str(recipe), "--dry-run", "--out", str(out)])
    assert code == cli.EXIT_USAGE
    assert f"BUSY fox [default] {out / 'fox' / 'default'} {BUSY}" in capsys.readouterr().out
    assert not (out / "fox" / "default" / "turn-1.request.json").exists()
