"""The runner against a scripted client: history, stopping, manifest, outputs, concurrency."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PngMaker, ResponseMaker
from wisdomgate.artifacts.folders import OutputFolders
from wisdomgate.artifacts.manifest import expand_request
from wisdomgate.recipe.plan import Expectations, ImageInput, PlannedRun, PlannedTurn
from wisdomgate.run.runner import FolderClashError, Runner, RunnerOptions, RunResult
from wisdomgate_api import BadRequestError
from wisdomgate_api._core.encoding import encode_body
from wisdomgate_api.models import GenerateContentRequest, GenerateContentResponse, GenerationConfig

Reply = GenerateContentResponse | Exception


class ScriptedClient:
    """Answers each request with the next scripted reply and keeps the bodies it was sent."""

    def __init__(self, replies: list[Reply] | Callable[[int], Reply]) -> None:
        self.replies = replies
        self.bodies: list[bytes] = []

    async def generate_content(
        self, model: str, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        self.bodies.append(encode_body(request))
        index = len(self.bodies) - 1
        reply = self.replies(index) if callable(self.replies) else self.replies[index]
        if isinstance(reply, Exception):
            raise reply
        return reply


def turn(number: int, prompt: str, **expect: Any) -> PlannedTurn:
    config = GenerationConfig.model_validate({"responseModalities": ["TEXT", "IMAGE"]})
    return PlannedTurn(number, prompt, (), config, Expectations(**expect))


def plan(
    tmp_path: Path, *turns: PlannedTurn, name: str = "demo", run_id: str = "default"
) -> PlannedRun:
    recipe = tmp_path / "recipes" / f"{name}.yaml"
    return PlannedRun(
        recipe_name=name,
        recipe_path=recipe,
        recipe_sha256="ab" * 32,
        run_id=run_id,
        model="gemini-3-pro-image-preview",
        system_instruction=None,
        safety_settings=None,
        tools=None,
        turns=turns,
        variables={"subject": "cat"},
    )


def run(
    client: ScriptedClient, plans: list[PlannedRun], out: Path, **options: Any
) -> list[RunResult]:
    runner = Runner(
        client, RunnerOptions(requests_per_minute=None, **options), stores=OutputFolders(out)
    )
    return asyncio.run(runner.run_all(plans))


def manifest(result: RunResult) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        (result.folder / "manifest.json").read_text(encoding="utf-8")
    )
    return found


def test_turn_two_sends_turn_ones_model_parts_back_verbatim(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    first = make_response(images=[make_png()], text="Here it is.", signature="c2lnbmF0dXJlLTE=")
    client = ScriptedClient([first, make_response(images=[make_png()])])
    [result] = run(
        client, [plan(tmp_path, turn(1, "draw"), turn(2, "colour it"))], tmp_path / "out"
    )
    assert result.passed
    second = json.loads(client.bodies[1])
    assert [c["role"] for c in second["contents"]] == ["user", "model", "user"]
    assert second["contents"][1] == first.to_wire()["candidates"][0]["content"]
    assert second["contents"][1]["parts"][-1]["thoughtSignature"] == "c2lnbmF0dXJlLTE="


def test_a_failed_request_stops_the_run_and_later_turns_are_not_run(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    error = BadRequestError("bad", status_code=400, status="INVALID_ARGUMENT")
    client = ScriptedClient([error])
    [result] = run(client, [plan(tmp_path, turn(1, "a"), turn(2, "b"))], tmp_path / "out")
    assert not result.passed and len(client.bodies) == 1
    turns = manifest(result)["turns"]
    assert [t["status"] for t in turns] == ["failed", "not_run"]
    assert turns[0]["outcome"]["http_status"] == 400
    assert turns[1]["outcome"]["reason"] == "not run: turn 1 failed"
    assert result.record.reason == "turn 1: API error: HTTP 400 INVALID_ARGUMENT: bad"


def test_outputs_are_named_by_turn_and_index(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    client = ScriptedClient([make_response(images=[make_png(), make_png(8, 8)], text="two")])
    [result] = run(client, [plan(tmp_path, turn(1, "a"))], tmp_path / "out")
    assert result.folder == tmp_path / "out" / "demo" / "default"
    names = sorted(p.name for p in result.folder.iterdir())
    assert names == [
        "manifest.json",
        "turn-1-1.png",
        "turn-1-2.png",
        "turn-1.response.json",
        "turn-1.txt",
    ]
    assert (result.folder / "turn-1.txt").read_text(encoding="utf-8") == "two"
    assert (result.folder / "turn-1-2.png").read_bytes() == make_png(8, 8)


def test_the_manifest_records_recipe_run_request_response_and_verdicts(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    client = ScriptedClient([make_response(images=[make_png()], total_tokens=1300)])
    [result] = run(
        client, [plan(tmp_path, turn(1, "a", images=1, size=(16, 16)))], tmp_path / "out"
    )
    data = manifest(result)
    assert data["recipe"]["sha256"] == "ab" * 32
    assert data["recipe"]["path"].endswith("demo.yaml")
    assert "git_revision" in data["recipe"]
    assert (data["run"]["id"], data["model"], data["status"]) == (
        "default",
        "gemini-3-pro-image-preview",
        "passed",
    )
    assert data["run"]["variables"] == {"subject": "cat"}
    assert data["usage"]["totalTokenCount"] == 1300
    [first] = data["turns"]
    assert first["request_sha256"] and first["request_bytes"] == len(client.bodies[0])
    assert first["request"]["generationConfig"] == {"responseModalities": ["TEXT", "IMAGE"]}
    assert first["response"]["finishReason"] == "STOP"
    assert first["response"]["modelVersion"] == "test-model"
    assert set(first["timing_ms"]) == {"request", "rate_limit_wait"}
    assert [(e["name"], e["passed"]) for e in first["expectations"]] == [
        ("images", True),
        ("size", True),
    ]
    assert first["outputs"]["images"][0]["file"] == "turn-1-1.png"


def test_image_data_is_never_inline_in_the_manifest(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    png = make_png(40, 40, (1, 2, 3))
    reference = tmp_path / "refs" / "ref.png"
    reference.parent.mkdir()
    reference.write_bytes(make_png(30, 30, (9, 9, 9)))
    ref_input = ImageInput(reference, "image/png", _sha256(reference.read_bytes()), 0)
    first = PlannedTurn(1, "a", (ref_input,), None, Expectations())
    client = ScriptedClient([make_response(images=[png]), make_response(images=[png])])
    [result] = run(client, [plan(tmp_path, first, turn(2, "b"))], tmp_path / "out")
    text = (result.folder / "manifest.json").read_text(encoding="utf-8")
    for data in (png, reference.read_bytes()):
        assert base64.b64encode(data).decode()[:40] not in text
    turns = json.loads(text)["turns"]
    user_image = turns[1]["request"]["contents"][0]["parts"][1]["inlineData"]["data"]
    model_image = turns[0]["response"]["content"]["parts"][0]["inlineData"]["data"]
    assert (result.folder / user_image["file"]).resolve() == reference.resolve()
    assert model_image["file"] == "turn-1-1.png"


def test_the_run_folder_holds_enough_to_rebuild_each_request_exactly(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    # The manifest's request, with the answers and images it refers to, hashes to the bytes sent.
    first = make_response(images=[make_png()], text="t", signature="c2lnLTE=")
    client = ScriptedClient([first, make_response(images=[make_png()])])
    [result] = run(client, [plan(tmp_path, turn(1, "a"), turn(2, "b"))], tmp_path / "out")
    for number, body in enumerate(client.bodies):
        saved = manifest(result)["turns"][number]
        restored = expand_request(saved["request"], result.folder)
        rebuilt = encode_body(GenerateContentRequest.model_validate(restored))
        assert rebuilt == body
        assert hashlib.sha256(rebuilt).hexdigest() == saved["request_sha256"]


def test_the_manifest_is_on_disk_after_each_turn(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    seen: list[dict[str, Any]] = []
    folder = tmp_path / "out" / "demo" / "default"

    def reply(index: int) -> Reply:
        seen.append(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
        return make_response(images=[make_png()])

    run(ScriptedClient(reply), [plan(tmp_path, turn(1, "a"), turn(2, "b"))], tmp_path / "out")
    # While turn 2 is in flight, turn 1 is complete and turn 2's request hash is recorded.
    turns = seen[1]["turns"]
    assert turns[0]["status"] == "passed" and turns[0]["outputs"]["images"]
    assert turns[1]["status"] == "pending" and turns[1]["request_sha256"]
    assert seen[1]["status"] == "running"


def test_no_temporary_files_are_left(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    client = ScriptedClient([make_response(images=[make_png()], text="t")])
    run(client, [plan(tmp_path, turn(1, "a"))], tmp_path / "out")
    assert not [p for p in (tmp_path / "out").rglob("*") if p.name.endswith(".tmp")]


def test_a_failed_expectation_fails_the_run_not_the_runner(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    client = ScriptedClient([make_response(images=[make_png()])])
    [result] = run(client, [plan(tmp_path, turn(1, "a", images=2))], tmp_path / "out")
    assert not result.passed
    assert result.record.reason == "turn 1: images: expected 2, got 1"


def test_runs_proceed_concurrently_up_to_the_limit(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    in_flight = 0
    peak = 0
    two_in_flight = asyncio.Event()

    class GatedClient:
        async def generate_content(
            self, model: str, request: GenerateContentRequest
        ) -> GenerateContentResponse:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            if in_flight == 2:
                two_in_flight.set()
            await two_in_flight.wait()  # only returns once two runs overlap
            in_flight -= 1
            return make_response(images=[make_png()])

    plans = [plan(tmp_path, turn(1, "a"), run_id=f"cell-{i}") for i in range(5)]
    runner = Runner(GatedClient(), RunnerOptions(2, None), stores=OutputFolders(tmp_path / "out"))
    results = asyncio.run(asyncio.wait_for(runner.run_all(plans), timeout=30))
    assert all(result.passed for result in results)
    assert peak == 2


def test_two_runs_writing_to_one_folder_are_refused(tmp_path: Path) -> None:
    plans = [plan(tmp_path / "a", turn(1, "x")), plan(tmp_path / "b", turn(1, "x"))]
    with pytest.raises(FolderClashError, match="would both write to"):
        run(ScriptedClient([]), plans, tmp_path / "out")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_local_failure_surfaces_as_itself(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    (tmp_path / "out").write_text("a file where the output folder should be", encoding="utf-8")
    client = ScriptedClient([make_response(images=[make_png()])])
    with pytest.raises(OSError):
        run(client, [plan(tmp_path, turn(1, "a"))], tmp_path / "out")


def test_a_reference_image_changed_since_validation_is_not_sent(
    tmp_path: Path, make_png: PngMaker
) -> None:
    reference = tmp_path / "ref.png"
    reference.write_bytes(make_png())
    stale = ImageInput(reference, "image/png", "0" * 64, 10)
    client = ScriptedClient([])
    [result] = run(
        client,
        [plan(tmp_path, PlannedTurn(1, "a", (stale,), None, Expectations()))],
        tmp_path / "out",
    )
    assert client.bodies == []
    assert result.record.reason.startswith("turn 1: cannot build request:")
    assert "changed since the recipe was validated" in result.record.reason


def test_a_reference_image_deleted_since_validation_is_named_with_a_fix(
    tmp_path: Path, make_png: PngMaker
) -> None:
    reference = tmp_path / "ref.png"
    image = ImageInput(reference, "image/png", _sha256(make_png()), 10)  # validated, then deleted
    client = ScriptedClient([])
    [result] = run(
        client,
        [plan(tmp_path, PlannedTurn(1, "a", (image,), None, Expectations()))],
        tmp_path / "out",
    )
    assert client.bodies == []
    reason = result.record.reason
    assert reason.startswith(f"turn 1: cannot build request: reference image {reference} ")
    assert "put the file back, or change the recipe's images" in reason
    assert "[Errno" not in reason


def test_images_0_accepts_a_text_only_answer(tmp_path: Path, make_response: ResponseMaker) -> None:
    # responseModalities [TEXT, IMAGE] alone would expect an image; `images: 0` says none is due
    client = ScriptedClient([make_response(text="no picture needed")])
    [result] = run(client, [plan(tmp_path, turn(1, "a", images=0))], tmp_path / "out")
    assert result.passed


def test_without_an_images_expectation_the_image_modality_expects_an_image(
    tmp_path: Path, make_response: ResponseMaker
) -> None:
    client = ScriptedClient([make_response(text="only words")])
    [result] = run(client, [plan(tmp_path, turn(1, "a"))], tmp_path / "out")
    assert manifest(result)["turns"][0]["outcome"]["kind"] == "text_only"


@pytest.mark.parametrize(
    "data",
    [b"this is text, not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40],
    ids=["text", "header"],
)
def test_an_answer_image_that_does_not_decode_is_an_invalid_response(
    tmp_path: Path, make_response: ResponseMaker, data: bytes
) -> None:
    client = ScriptedClient([make_response(images=[data])])
    [result] = run(client, [plan(tmp_path, turn(1, "a", images=1))], tmp_path / "out")
    outcome = manifest(result)["turns"][0]["outcome"]
    assert outcome["kind"] == "invalid_response"
    assert f"image #1 (image/png, {len(data)} bytes) does not decode" in outcome["reason"]
    assert (result.folder / "turn-1-1.png").read_bytes() == data  # paid for: kept to look at


def test_a_truncated_answer_png_is_an_invalid_response(
    tmp_path: Path, make_png: PngMaker, make_response: ResponseMaker
) -> None:
    whole = make_png(64, 64)
    client = ScriptedClient([make_response(images=[whole[: len(whole) // 2]])])
    [result] = run(client, [plan(tmp_path, turn(1, "a", images=1))], tmp_path / "out")
    assert result.record.turns[0].outcome is not None
    assert result.record.turns[0].outcome.kind == "invalid_response"
