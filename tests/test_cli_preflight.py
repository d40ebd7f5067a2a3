"""`wisdomgate run` checks the key, the base URL, --out, --junit and its numbers before sending."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wisdomgate import cli

KEY_ENV = "WISDOM_GATE_KEY"
RECIPE = """\
version: 1
name: kite
model: gemini-2.5-flash
turns:
  - prompt: a red kite over the sea
"""


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    path = tmp_path / "kite.yaml"
    path.write_text(RECIPE, encoding="utf-8")
    return path


def refused(
    capsys: pytest.CaptureFixture[str], sent_bodies: list[bytes], *args: str
) -> tuple[int, str]:
    """Run `wisdomgate run ARGS`; the exit code and stderr, after checking nothing was sent."""
    code = cli.main(["run", *args])
    captured = capsys.readouterr()
    assert sent_bodies == []
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err


@pytest.mark.parametrize("key", ["abc", "1234567", "  k3y\r\n"])
def test_a_key_shorter_than_8_characters_is_refused_without_showing_it(
    recipe: Path,
    tmp_path: Path,
    key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sent_bodies: list[bytes],
) -> None:
    monkeypatch.setenv(KEY_ENV, key)
    code, err = refused(capsys, sent_bodies, str(recipe), "--out", str(tmp_path / "out"))
    assert code == cli.EXIT_USAGE
    assert f"{KEY_ENV} is shorter than 8 characters" in err
    assert key.strip() not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "key", ["sk-live-çlé-12345", "sk-live\x07bell-12345", "sk-live\udcff-12345"]
)
def test_a_key_that_is_not_printable_ascii_is_refused_without_showing_it(
    recipe: Path,
    tmp_path: Path,
    key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sent_bodies: list[bytes],
) -> None:
    monkeypatch.setenv(KEY_ENV, key)
    code, err = refused(capsys, sent_bodies, str(recipe), "--out", str(tmp_path / "out"))
    assert code == cli.EXIT_USAGE
    assert f"{KEY_ENV} holds characters that are not printable ASCII" in err
    assert "sk-live" not in err


def test_the_key_variable_named_by_api_key_env_is_the_one_checked(
    recipe: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sent_bodies: list[bytes],
) -> None:
    monkeypatch.setenv("MY_KEY", "tiny")
    out = str(tmp_path / "out")
    code, err = refused(capsys, sent_bodies, str(recipe), "--api-key-env", "MY_KEY", "--out", out)
    assert code == cli.EXIT_USAGE
    assert "MY_KEY is shorter than 8 characters" in err


@pytest.mark.parametrize("url", ["http://[::1", "ftp://example.com", "not a url", "https://"])
def test_a_malformed_base_url_is_a_usage_error(
    recipe: Path,
    tmp_path: Path,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sent_bodies: list[bytes],
) -> None:
    monkeypatch.setenv(KEY_ENV, "a-long-enough-key")
    out = str(tmp_path / "out")
    code, err = refused(capsys, sent_bodies, str(recipe), "--base-url", url, "--out", out)
    assert code == cli.EXIT_USAGE
    assert "--base-url" in err


def test_a_malformed_base_url_from_the_environment_names_the_variable(
    recipe: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sent_bodies: list[bytes],
) -> None:
    monkeypatch.setenv(KEY_ENV, "a-long-enough-key")
    monkeypatch.setenv("WISDOM_GATE_BASE_URL", "http://[::1")
    code, err = refused(capsys, sent_bodies, str(recipe), "--out", str(tmp_path / "out"))
    assert code == cli.EXIT_USAGE
    assert "WISDOM_GATE_BASE_URL is not a valid URL" in err


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
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sent_bodies: list[bytes]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    args = [str(recipe), "--simulate", "--out", str(tmp_path / "out"), "--junit", str(folder)]
    code, err = refused(capsys, sent_bodies, *args)
    assert code == cli.EXIT_USAGE
    assert f"--junit {folder} is a folder" in err
    assert not (tmp_path / "out").exists()


def test_junit_under_a_file_is_refused_before_anything_is_sent(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sent_bodies: list[bytes]
) -> None:
    junit = recipe / "junit.xml"  # the recipe is a file, not a folder
    args = [str(recipe), "--simulate", "--out", str(tmp_path / "out"), "--junit", str(junit)]
    code, err = refused(capsys, sent_bodies, *args)
    assert code == cli.EXIT_USAGE
    assert f"{recipe} is a file, not a folder" in err


def test_an_out_path_that_is_not_utf8_is_refused(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sent_bodies: list[bytes]
) -> None:
    out = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9")  # latin-1 bytes: not UTF-8
    code, err = refused(capsys, sent_bodies, str(recipe), "--simulate", "--out", out)
    assert code == cli.EXIT_USAGE
    assert "caf\\xe9: the path holds bytes that are not UTF-8" in err


def test_an_out_path_with_a_name_too_long_is_refused(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sent_bodies: list[bytes]
) -> None:
    out = str(tmp_path / ("x" * 300) / "out")
    code, err = refused(capsys, sent_bodies, str(recipe), "--simulate", "--out", out)
    assert code == cli.EXIT_USAGE
    assert "File name too long" in err
