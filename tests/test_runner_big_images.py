"""The runner on the fast paths: references sent from their files, a big answer image written from its spool."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
from pathlib import Path

import httpx
from PIL import Image

from wisdomgate.artifacts import OutputFolders
from wisdomgate.recipe import Expectations, ImageInput, PlannedRun, PlannedTurn
from wisdomgate.run import Runner, RunnerOptions, RunResult
from wisdomgate_api import AsyncClient, RetryPolicy
from wisdomgate_api.models import GenerationConfig

KEY = "test-key-123"


def _noise_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def _reference(path: Path, data: bytes) -> ImageInput:
    path.write_bytes(data)
    return ImageInput(path, "image/png", hashlib.sha256(data).hexdigest(), len(data))


def _plan(images: tuple[ImageInput, ...]) -> PlannedRun:
    config = GenerationConfig.model_validate({"responseModalities": ["TEXT", "IMAGE"]})
    turn = PlannedTurn(1, "edit", images, config, Expectations(images=1))
    return PlannedRun(
        recipe_name="big",
        recipe_path=Path(__file__),
        recipe_sha256="0" * 64,
        run_id="default",
        model="gemini-3-pro-image-preview",
        system_instruction=None,
        safety_settings=None,
        tools=None,
        turns=(turn,),
        variables={},
    )


def _run(plan: PlannedRun, answer: bytes, out: Path, sent: list[bytes]) -> RunResult:
    async def pieces() -> object:
        for start in range(0, len(answer), 65536):
            yield answer[start : start + 65536]

    async def handler(request: httpx.Request) -> httpx.Response:
        sent.append(await request.aread())
        return httpx.Response(200, content=pieces())  # type: ignore[arg-type]

    async def go() -> RunResult:
        transport = httpx.MockTransport(handler)
        policy = RetryPolicy(max_attempts=1)
        async with AsyncClient(api_key=KEY, transport=transport, retry=policy) as client:
            runner = Runner(
                client, RunnerOptions(requests_per_minute=None), stores=OutputFolders(out)
            )
            [result] = await runner.run_all([plan])
            return result

    return asyncio.run(go())


def test_references_stream_and_the_big_answer_image_is_written_whole(tmp_path: Path) -> None:
    refs = tuple(_reference(tmp_path / f"ref-{n}.png", _noise_png(64, 64)) for n in range(3))
    image = _noise_png(900, 800)  # about 2 MB: over the spool threshold
    part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(image).decode()}}
    answer = {
        "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}]
    }
    sent: list[bytes] = []
    result = _run(_plan(refs), json.dumps(answer).encode(), tmp_path / "out", sent)
    assert result.passed, result.record.reason
    [written] = result.images
    assert written.read_bytes() == image
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    turn = manifest["turns"][0]
    assert turn["request_sha256"] == hashlib.sha256(sent[0]).hexdigest()
    assert turn["request_bytes"] == len(sent[0])
    [entry] = turn["outputs"]["images"]
    assert (entry["sha256"], entry["bytes"]) == (hashlib.sha256(image).hexdigest(), len(image))
    assert (entry["width"], entry["height"]) == (900, 800)
    request = json.loads(sent[0])
    parts = request["contents"][0]["parts"]
    assert [base64.b64decode(p["inlineData"]["data"]) for p in parts[1:]] == [
        ref.path.read_bytes() for ref in refs
    ]
