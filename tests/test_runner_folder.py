"""What a run leaves in its folder: exactly the files its manifest refers to, and a manifest
that stays small (earlier answers and thought signatures by reference)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from tests.conftest import PngMaker, ResponseMaker
from tests.test_runner_run import Reply, ScriptedClient, manifest, plan, run, turn
from wisdomgate.run.runner import RunResult
from wisdomgate_api import BadRequestError


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_rerun_removes_the_files_the_new_manifest_does_not_refer_to(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    out = tmp_path / "out"
    run(
        ScriptedClient([make_response(images=[make_png(), make_png()], text="two")]),
        [plan(tmp_path, turn(1, "a"))],
        out,
    )
    error = BadRequestError("bad", status_code=400, status="INVALID_ARGUMENT")
    [result] = run(ScriptedClient([error]), [plan(tmp_path, turn(1, "a"))], out)
    assert sorted(p.name for p in result.folder.iterdir()) == ["manifest.json"]


def test_files_wisdomgate_does_not_write_survive_a_rerun(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    folder = tmp_path / "out" / "demo" / "default"
    folder.mkdir(parents=True)
    for name in ("notes.md", "turn-1-1.png.orig", "turn-one.txt"):
        (folder / name).write_text("mine", encoding="utf-8")
    (folder / "refs").mkdir()
    client = ScriptedClient([make_response(images=[make_png()])])
    run(client, [plan(tmp_path, turn(1, "a"))], tmp_path / "out")
    assert {"notes.md", "turn-1-1.png.orig", "turn-one.txt", "refs"} <= {
        p.name for p in folder.iterdir()
    }


def three_turns_with_signatures(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker, signature: str
) -> tuple[ScriptedClient, RunResult]:
    answers: list[Reply] = [make_response(images=[make_png()], text="t", signature=signature)] * 3
    client = ScriptedClient(answers)
    turns = (turn(1, "a"), turn(2, "b"), turn(3, "c"))
    [result] = run(client, [plan(tmp_path, *turns)], tmp_path / "out")
    assert result.passed
    return client, result


def test_the_manifest_refers_to_earlier_answers_instead_of_repeating_them(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    _, result = three_turns_with_signatures(tmp_path, make_png, make_response, "c2ln")
    contents = manifest(result)["turns"][2]["request"]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user", "model", "user"]
    assert contents[1] == {"role": "model", "fromTurn": 1, "response": "turn-1.response.json"}
    assert contents[3] == {"role": "model", "fromTurn": 2, "response": "turn-2.response.json"}


def test_the_manifest_keeps_thought_signatures_as_hash_and_length(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    signature = base64.b64encode(b"s" * 30_000).decode()
    _, result = three_turns_with_signatures(tmp_path, make_png, make_response, signature)
    text = (result.folder / "manifest.json").read_text(encoding="utf-8")
    assert signature[:100] not in text
    part = json.loads(text)["turns"][0]["response"]["content"]["parts"][-1]
    assert part["thoughtSignature"] == {"sha256": _sha256(signature.encode()), "chars": 40_000}


def test_the_response_file_and_the_request_keep_the_whole_signature(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    signature = base64.b64encode(b"s" * 30_000).decode()
    client, result = three_turns_with_signatures(tmp_path, make_png, make_response, signature)
    stored = json.loads((result.folder / "turn-1.response.json").read_text(encoding="utf-8"))
    parts = stored["response"]["candidates"][0]["content"]["parts"]
    assert parts[-1]["thoughtSignature"] == signature
    assert json.loads(client.bodies[1])["contents"][1]["parts"][-1]["thoughtSignature"] == signature
    assert manifest(result)["turns"][1]["request_sha256"] == _sha256(client.bodies[1])
