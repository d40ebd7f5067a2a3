"""Exit codes are explicit and no error reaches the user as a traceback without --debug."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wisdomgate import cli
from wisdomgate.cli import commands

KEY = "sk-test-0123456789abcdef"
RECIPE = """\
version: 1
name: kite
model: gemini-2.5-flash
turns:
  - prompt: a red kite over the sea {slow}
"""

# The console script does exactly this: import wisdomgate.cli, then call main().
INTERRUPTED_IMPORT = """
import sys

class InterruptOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == sys.argv[1]:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, InterruptOnImport())
from wisdomgate.cli import main
sys.exit(main(sys.argv[2:]))
"""


def write(folder: Path, slow: str = "") -> Path:
    path = folder / "kite.yaml"
    path.write_text(RECIPE.format(slow=slow), encoding="utf-8")
    return path


@pytest.mark.parametrize("module", ["wisdomgate_api", "httpx", "wisdomgate.cli.commands", "yaml"])
def test_ctrl_c_while_importing_exits_130_without_a_traceback(tmp_path: Path, module: str) -> None:
    command = [sys.executable, "-c", INTERRUPTED_IMPORT, module, "validate", str(write(tmp_path))]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == cli.EXIT_INTERRUPTED
    assert done.stderr == "wisdomgate: interrupted\n"


@pytest.mark.slow
def test_ctrl_c_during_a_run_exits_130_without_a_traceback(tmp_path: Path) -> None:
    out = tmp_path / "out"
    recipe = write(tmp_path, slow="[[slow:60]]")
    command = [sys.executable, "-m", "wisdomgate", "run", str(recipe), "--simulate"]
    process = subprocess.Popen(
        [*command, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        manifest = out / "kite" / "default" / "manifest.json"
        deadline = time.monotonic() + 120
        while not manifest.exists():  # written just before the request is sent
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == cli.EXIT_INTERRUPTED
    assert "Traceback" not in err
    assert err.endswith("wisdomgate: interrupted\n")
    json.loads(manifest.read_text(encoding="utf-8"))  # whole, never half-written


def broken_dispatch(message: str) -> None:
    raise LookupError(message)


def test_an_unexpected_error_exits_1_with_one_line_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(commands, "_dispatch", lambda args: broken_dispatch("a bug"))
    assert cli.main(["validate", str(write(tmp_path))]) == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert err == (
        "wisdomgate: internal error: LookupError: a bug (run again with --debug to see where)\n"
    )


@pytest.mark.parametrize("where", [["--debug", "validate"], ["validate", "--debug"]])
def test_debug_shows_the_traceback(
    tmp_path: Path,
    where: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(commands, "_dispatch", lambda args: broken_dispatch("a bug"))
    assert cli.main([*where, str(write(tmp_path))]) == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in broken_dispatch" in err
    assert err.endswith("wisdomgate: internal error: LookupError: a bug\n")


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_the_key_is_masked_in_error_messages_and_tracebacks(
    tmp_path: Path,
    debug: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WISDOM_GATE_KEY", KEY)
    monkeypatch.setattr(commands, "_dispatch", lambda args: broken_dispatch(f"key={KEY}"))
    assert cli.main([*debug, "validate", str(write(tmp_path))]) == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert "key=***" in err
    assert KEY not in err


def test_a_disk_error_exits_1_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(args: object) -> int:
        raise OSError(28, "No space left on device", str(tmp_path / "out" / "manifest.json"))

    monkeypatch.setattr(commands, "_dispatch", full)
    assert cli.main(["validate", str(write(tmp_path))]) == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert "No space left on device" in err and "manifest.json" in err
    assert "Traceback" not in err


def test_the_entry_module_imports_nothing_heavy() -> None:
    # Ctrl-C can only be caught once main() runs: wisdomgate.cli must load in an instant.
    code = "import sys, wisdomgate.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in {'httpx', 'pydantic', 'yaml', 'jinja2', 'wisdomgate_api'}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
