"""Runs are isolated: an unexpected exception (a bug) fails its own run, never the others."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import PngMaker, ResponseMaker
from tests.test_runner_run import Reply, ScriptedClient, manifest, plan, run, turn
from wisdomgate.artifacts import folders as outputs
from wisdomgate_api import Redactor
from wisdomgate_api._core.encoding import encode_body
from wisdomgate_api.models import GenerateContentRequest, GenerateContentResponse


class BuggyClient(ScriptedClient):
    """A scripted client that raises an unexpected (non-API) exception for prompts with "bug"."""

    def __init__(self, answer: Reply, error: Exception) -> None:
        super().__init__(lambda index: answer)
        self.error = error

    async def generate_content(
        self, model: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        if "bug" in encode_body(request).decode():
            raise self.error
        return await super().generate_content(model, request)


def test_an_unexpected_exception_fails_only_its_own_run(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    client = BuggyClient(make_response(images=[make_png()]), RuntimeError("boom"))
    plans = [
        plan(tmp_path, turn(1, "fine"), run_id="a"),
        plan(tmp_path, turn(1, "bug"), run_id="b"),
        plan(tmp_path, turn(1, "fine too"), run_id="c"),
    ]
    results = run(client, plans, tmp_path / "out")
    assert [r.passed for r in results] == [True, False, True]
    broken = manifest(results[1])
    assert broken["status"] == "failed"
    assert broken["reason"] == "turn 1: internal error: RuntimeError: boom"
    outcome = broken["turns"][0]["outcome"]
    assert outcome["kind"] == "internal_error"
    assert "RuntimeError: boom" in outcome["traceback"]


def test_turns_after_an_internal_error_are_not_run(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    client = BuggyClient(make_response(images=[make_png()]), KeyError("oops"))
    [result] = run(client, [plan(tmp_path, turn(1, "bug"), turn(2, "b"))], tmp_path / "out")
    turns = manifest(result)["turns"]
    assert [t["status"] for t in turns] == ["failed", "not_run"]
    assert turns[1]["outcome"]["reason"] == "not run: turn 1 failed"


def test_an_internal_error_never_shows_the_key(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    key = "secret-key-0123456789"
    client = BuggyClient(make_response(images=[make_png()]), ValueError(f"bad url ?key={key}"))
    [result] = run(
        client, [plan(tmp_path, turn(1, "bug"))], tmp_path / "out", redactor=Redactor(key)
    )
    assert result.record.reason == "turn 1: internal error: ValueError: bad url ?key=***"
    assert key not in (result.folder / "manifest.json").read_text(encoding="utf-8")


def test_a_network_error_the_client_did_not_wrap_fails_only_its_run(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    # ConnectionError is an OSError, but of one request, not of the local disk
    client = BuggyClient(make_response(images=[make_png()]), ConnectionResetError("reset"))
    plans = [plan(tmp_path, turn(1, "bug"), run_id="a"), plan(tmp_path, turn(1, "ok"), run_id="b")]
    results = run(client, plans, tmp_path / "out")
    assert [r.passed for r in results] == [False, True]
    assert results[0].record.reason == "turn 1: internal error: ConnectionResetError: reset"


def test_a_local_disk_error_still_stops_every_run(
    tmp_path: Path,
    make_png: PngMaker,
    make_response: ResponseMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def disk_full(dir_fd: int, name: str, data: bytes, **options: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs, "write_at", disk_full)
    client = ScriptedClient(lambda index: make_response(images=[make_png()]))
    plans = [plan(tmp_path, turn(1, "a"), run_id=rid) for rid in ("a", "b")]
    with pytest.raises(OSError, match="No space left on device") as raised:
        run(client, plans, tmp_path / "out")
    assert Path(raised.value.filename).parent.parent == tmp_path / "out" / "demo"  # the file


@pytest.mark.parametrize(
    "spell", [str, lambda key: quote(key, safe=""), lambda key: repr(key)[1:-1]]
)
def test_every_spelling_of_the_key_is_masked_in_what_a_run_writes(
    tmp_path: Path, make_response: ResponseMaker, spell: Callable[[str], str]
) -> None:
    key = "sk/with+odd=chars'0123"  # URL-encoding and repr() both change it
    client = ScriptedClient([make_response(text=f"the key is {spell(key)}")])
    [result] = run(
        client,
        [plan(tmp_path, turn(1, "say the key", images=0))],
        tmp_path / "out",
        redactor=Redactor(key),
    )
    for file in result.folder.iterdir():
        text = file.read_text(encoding="utf-8")
        assert spell(key) not in text and key not in text
    assert "the key is ***" in (result.folder / "turn-1.txt").read_text(encoding="utf-8")
