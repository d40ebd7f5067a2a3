"""Bad input on the command line: `validate` and `run --simulate` exit 2, print the problem
without a traceback, and write nothing under --out."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test_recipe_broken import CORPUS, make_case
from wisdomgate import cli

HEAD = "version: 1\nmodel: gemini-2.5-flash\n"
UNDECODABLE = os.fsdecode(b"\xff\xfe")

# Each builds the bad input in a folder and returns (recipe paths, extra arguments, message).
Case = Callable[[Path], tuple[list[str], list[str], str]]


def _corpus(name: str) -> Case:
    def build(folder: Path) -> tuple[list[str], list[str], str]:
        root = make_case(CORPUS / f"{name}.yaml", folder)
        return [str(root)], [], ""

    return build


def _file(body: bytes, name: str = "r.yaml", says: str = "") -> Case:
    def build(folder: Path) -> tuple[list[str], list[str], str]:
        (folder / name).write_bytes(HEAD.encode() + body)
        return [str(folder / name)], [], says

    return build


def _symlink_loop(folder: Path) -> tuple[list[str], list[str], str]:
    (folder / "loop.yaml").symlink_to("loop.yaml")
    return [str(folder)], [], "loop of symbolic links"


def _long_name(folder: Path) -> tuple[list[str], list[str], str]:
    return [str(folder / ("n" * 300 + ".yaml"))], [], "longer than the file system allows"


def _undecodable_var(folder: Path) -> tuple[list[str], list[str], str]:
    (folder / "r.yaml").write_text(HEAD + "turns: [{prompt: '{{ x }}'}]\n")
    return [str(folder / "r.yaml")], ["--var", f"x={UNDECODABLE}"], "--var x: the value"


CASES: dict[str, Case] = {
    "tag that does not convert": _corpus("tag_int_not_a_number"),
    "nan": _corpus("nan_temperature"),
    "too deep": _corpus("too_deep_list"),
    "lone surrogate": _corpus("lone_surrogate_prompt"),
    "truncated png": _corpus("truncated_png"),
    "image symlink loop": _corpus("image_symlink_loop"),
    "image name too long": _corpus("image_name_too_long"),
    "image nul byte": _corpus("image_nul_byte"),
    "10k deep": _file(b"turns: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", says="levels deep"),
    "control character": _file(b"turns: [{prompt: a\x01b}]\n", says="U+0001"),
    "undecodable file name": _file(
        b"turns: [{prompt: hi}]\n", name=f"{UNDECODABLE}.yaml", says="not UTF-8"
    ),
    "recipe symlink loop": _symlink_loop,
    "recipe name too long": _long_name,
    "undecodable --var": _undecodable_var,
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_bad_input_exits_2_without_a_traceback_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], build: Case, command: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    paths, extra, says = build(folder)
    out = tmp_path / "out"
    argv = [command, *paths, *extra]
    if command == "run":
        argv += ["--simulate", "--out", str(out)]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "Traceback" not in printed
    assert "problem(s) found, nothing was sent" in captured.err
    assert says in captured.err
    printed.encode("utf-8")  # undecodable names are shown escaped, never as surrogates
    assert not out.exists() or not any(out.iterdir())
