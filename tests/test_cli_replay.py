"""`run --record DIR` / `run --replay DIR`: a recorded demo run replayed byte for byte, offline."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_cli_run import RECIPES, manifests
from wisdomgate import cli
from wisdomgate.artifacts import CassetteReader
from wisdomgate.cli import commands
from wisdomgate.run import IMAGE_NAMES
from wisdomgate.simulator import SIMULATOR_KEY
from wisdomgate_api import AsyncClient, RetryPolicy

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's retries do not wait (the 429 test); the transport passes through."""

    async def no_sleep(delay: float) -> None:
        return None

    real = commands.open_client

    def open_client(
        key: str, base_url: str | None, timeout: httpx.Timeout, retry: RetryPolicy, **options: Any
    ) -> AsyncClient:
        return real(
            key, base_url, timeout, dataclasses.replace(retry, async_sleep=no_sleep), **options
        )

    monkeypatch.setattr(commands, "open_client", open_client)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a replay opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def images(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if IMAGE_NAMES.fullmatch(p.name)
    }


def request_hashes(out: Path) -> dict[str, list[str]]:
    return {m["run"]["folder"]: [t["request_sha256"] for t in m["turns"]] for m in manifests(out)}


def responses(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.response.json")}


def record(recipes: Path, cassette: Path, out: Path, *extra: str) -> int:
    args = ["run", str(recipes), "--simulate", "--record", str(cassette), "--out", str(out)]
    return cli.main([*args, *extra])


def replay(recipes: Path, cassette: Path, out: Path, *extra: str) -> int:
    args = ["run", str(recipes), "--replay", str(cassette), "--out", str(out)]
    return cli.main([*args, "--base-url", closed_port_url(), *extra])


def every_file(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_replay_of_a_recorded_demo_run_reproduces_its_image_files_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette, first, second = tmp_path / "cassette", tmp_path / "first", tmp_path / "second"
    assert record(RECIPES, cassette, first) == cli.EXIT_OK
    assert "recorded 12 answers into the cassette" in capsys.readouterr().out
    no_sockets(monkeypatch)  # and the base URL is a closed port: no network, and no key set
    assert replay(RECIPES, cassette, second) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "11 runs: 11 passed, 0 failed" in out
    assert "replayed 12 answers from the cassette" in out
    recorded = images(first)
    assert len(recorded) == 11
    assert images(second) == recorded
    assert request_hashes(second) == request_hashes(first)
    assert responses(second) == responses(first)  # the whole answers, signatures included


def test_the_cassette_holds_no_key_and_recording_again_changes_no_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "cassette"
    assert record(RECIPES / "photosynthesis.yaml", cassette, tmp_path / "a") == cli.EXIT_OK
    before = every_file(cassette)
    assert all(SIMULATOR_KEY.encode() not in data for data in before.values())
    assert record(RECIPES / "photosynthesis.yaml", cassette, tmp_path / "b") == cli.EXIT_OK
    assert every_file(cassette) == before
    assert "(0 new image files)" in capsys.readouterr().out


def test_an_edited_prompt_is_not_recorded_fails_its_run_and_is_never_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    recipes = tmp_path / "recipes"
    shutil.copytree(RECIPES, recipes)
    cassette = tmp_path / "cassette"
    assert record(recipes, cassette, tmp_path / "first") == cli.EXIT_OK
    sunset = recipes / "sunset.yaml"
    edited = sunset.read_text().replace("A beautiful sunset", "A beautiful sunrise")
    assert edited != sunset.read_text()
    sunset.write_text(edited)
    lookups: list[str] = []
    answer = CassetteReader.answer

    def counted(self: CassetteReader, request: Any) -> Any:
        lookups.append(request.key)
        return answer(self, request)

    monkeypatch.setattr(CassetteReader, "answer", counted)
    junit = tmp_path / "junit.xml"
    code = replay(recipes, cassette, tmp_path / "second", "--junit", str(junit))
    assert code == cli.EXIT_FAILED
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    failed = [line for line in captured.out.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1 and failed[0].startswith("FAIL sunset [default] turn 1: not recorded")
    key = re.search(r"request ([0-9a-f]{64}) \(POST /v1beta/models/", failed[0])
    assert key is not None
    assert lookups.count(key.group(1)) == 1  # --max-attempts is 4: not retried
    assert f"--record {cassette}" in failed[0]
    assert "10 passed, 1 failed" in captured.out
    [sunset_manifest] = [
        m for m in manifests(tmp_path / "second") if m["recipe"]["name"] == "sunset"
    ]
    assert sunset_manifest["turns"][0]["outcome"]["kind"] == "not_recorded"
    assert '<error message="turn 1: not recorded' in junit.read_text()
    assert 'type="not_recorded"' in junit.read_text()


def test_an_error_answer_is_retried_and_never_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "cassette"
    recipe = RECIPES / "sunset.yaml"
    code = record(recipe, cassette, tmp_path / "out", "--simulate-fault", "429;count=2")
    assert code == cli.EXIT_OK
    assert "not recorded (only final 2xx answers are): 2 x HTTP 429" in capsys.readouterr().out
    [entry] = (cassette / "exchanges").iterdir()
    assert json.loads(entry.read_bytes())["answer"]["status"] == 200
    assert replay(recipe, cassette, tmp_path / "again") == cli.EXIT_OK


def test_record_and_replay_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", str(RECIPES), "--record", "A", "--replay", "B"]
    with pytest.raises(SystemExit) as exited:
        cli.main(args)
    assert exited.value.code == cli.EXIT_USAGE
    assert "argument --replay: not allowed with argument --record" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--replay", "B", "--simulate"], "--replay answers from the cassette, --simulate"),
        (["--record", "A", "--dry-run"], "--record records or replays answers, and --dry-run"),
        (["--replay", "B", "--dry-run"], "--replay records or replays answers, and --dry-run"),
        (["--record", "A"], "no API key: set the environment variable WISDOM_GATE_KEY"),
        (["--record", "afile"], "--record afile: afile is a file, not a folder"),
    ],
)
def test_options_that_cannot_work_are_a_usage_error_before_anything_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "B").mkdir()
    (tmp_path / "afile").write_text("")
    args = ["run", str(RECIPES / "sunset.yaml"), "--out", "out", *options]
    assert cli.main(args) == cli.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "A").exists()


@pytest.mark.parametrize("damage", ["missing", "not a cassette", "damaged exchange"])
def test_a_cassette_that_cannot_be_replayed_is_exit_2_naming_it_before_any_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    cassette = tmp_path / "cassette"
    recipe = RECIPES / "sunset.yaml"
    named = cassette
    if damage == "not a cassette":
        cassette.mkdir()
    elif damage == "damaged exchange":
        assert record(recipe, cassette, tmp_path / "first") == cli.EXIT_OK
        [named] = (cassette / "exchanges").iterdir()
        named.write_text("{ cut off")
    capsys.readouterr()
    assert replay(recipe, cassette, tmp_path / "out") == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "wisdomgate: error: " in err and str(named) in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing ran
