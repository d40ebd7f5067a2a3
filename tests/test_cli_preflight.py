"""`wisdomgate run` checks the key, the base URL, --out, --junit and its numbers before sending."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from wisdomgate import cli

KEY_ENV = "WISDOM_GATE_KEY"
GOOD_KEY = "a-long-enough-key"
RECIPE = """\
version: 1
name: kite
model: gemini-2.5-flash
turns:
  - prompt: a red kite over the sea
"""
Refused = Callable[..., str]


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    path = tmp_path / "kite.yaml"
    path.write_text(RECIPE, encoding="utf-8")
    return path


@pytest.fixture
def refused(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sent_bodies: list[bytes]
) -> Refused:
    """refused(*options) runs `wisdomgate run RECIPE --out OUT *options`, checks that it exited
    2 with nothing sent, nothing written and no traceback, and returns stderr."""

    def run(*options: str, out: str | None = None) -> str:
        out = out or str(tmp_path / "out")
        code = cli.main(["run", str(recipe), "--out", out, *options])
        captured = capsys.readouterr()
        assert code == cli.EXIT_USAGE, captured
        assert sent_bodies == []
        assert not (tmp_path / "out").exists()
        assert "Traceback" not in captured.err + captured.out
        return captured.err

    return run


@pytest.mark.parametrize("key", ["abc", "1234567", "  k3y\r\n"])
def test_a_key_shorter_than_8_characters_is_refused_without_showing_it(
    key: str, monkeypatch: pytest.MonkeyPatch, refused: Refused
) -> None:
    monkeypatch.setenv(KEY_ENV, key)
    err = refused()
    assert f"{KEY_ENV} is shorter than 8 characters" in err
    assert key.strip() not in err


@pytest.mark.parametrize(
    "key", ["sk-live-çlé-12345", "sk-live\x07bell-12345", "sk-live\udcff-12345"]
)
def test_a_key_that_is_not_printable_ascii_is_refused_without_showing_it(
    key: str, monkeypatch: pytest.MonkeyPatch, refused: Refused
) -> None:
    monkeypatch.setenv(KEY_ENV, key)
    err = refused()
    assert f"{KEY_ENV} holds characters that are not printable ASCII" in err
    assert "sk-live" not in err


def test_the_key_variable_named_by_api_key_env_is_the_one_checked(
    monkeypatch: pytest.MonkeyPatch, refused: Refused
) -> None:
    monkeypatch.setenv("MY_KEY", "tiny")
    assert "MY_KEY is shorter than 8 characters" in refused("--api-key-env", "MY_KEY")


@pytest.mark.parametrize("url", ["http://[::1", "ftp://example.com", "not a url", "https://"])
def test_a_malformed_base_url_is_a_usage_error(
    url: str, monkeypatch: pytest.MonkeyPatch, refused: Refused
) -> None:
    monkeypatch.setenv(KEY_ENV, GOOD_KEY)
    assert "--base-url" in refused("--base-url", url)


def test_a_malformed_base_url_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, refused: Refused
) -> None:
    monkeypatch.setenv(KEY_ENV, GOOD_KEY)
    monkeypatch.setenv("WISDOM_GATE_BASE_URL", "http://[::1")
    assert "WISDOM_GATE_BASE_URL is not a valid URL" in refused()


@pytest.mark.parametrize(
    "option", [["--timeout", "nan"], ["--timeout", "inf"], ["--rpm", "nan"], ["--rpm", "inf"]]
)
def test_numeric_options_must_be_finite(
    recipe: Path, option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", str(recipe), "--simulate", *option])
    assert exited.value.code == cli.EXIT_USAGE
    assert "expected a finite number" in capsys.readouterr().err


def test_junit_pointing_at_a_folder_is_refused_before_anything_is_sent(
    tmp_path: Path, refused: Refused
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    assert f"--junit {folder} is a folder" in refused("--simulate", "--junit", str(folder))


def test_junit_under_a_file_is_refused_before_anything_is_sent(
    recipe: Path, refused: Refused
) -> None:
    junit = recipe / "junit.xml"  # the recipe is a file, not a folder
    assert f"{recipe} is a file, not a folder" in refused("--simulate", "--junit", str(junit))


def test_an_out_path_that_is_not_utf8_is_refused(tmp_path: Path, refused: Refused) -> None:
    out = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9")  # latin-1 bytes: not UTF-8
    err = refused("--simulate", out=out)
    assert "caf\\xe9: the path holds bytes that are not UTF-8" in err


def test_an_out_path_with_a_name_too_long_is_refused(tmp_path: Path, refused: Refused) -> None:
    err = refused("--simulate", out=str(tmp_path / ("x" * 300) / "out"))
    assert "File name too long" in err
