"""Fitted references in runs: 14 photo-sized references over the request limit, brought under it
by `fit: auto`, sent to the simulator, kept in the run folder and replayable."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.test_cli_replay import closed_port_url, no_sockets
from wisdomgate import cli
from wisdomgate.artifacts.manifest import expand_request
from wisdomgate.catalog import load_catalog
from wisdomgate.run import REFERENCE_NAMES
from wisdomgate_api._core.encoding import encode_body
from wisdomgate_api.models import GenerateContentRequest

pytestmark = pytest.mark.slow  # the 14-reference runs send about 10 MB each

PHOTOS = 14
RECIPE = """\
version: 1
name: collage
model: gemini-3-pro-image-preview
{fit}
config: {{responseModalities: [TEXT, IMAGE]}}
turns:
  - prompt: A collage of these fourteen photos.
    images: [{{path: photos/*.png}}]
    expect: {{images: 1}}
"""


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """14 references of 2-3 MB each (noise does not compress), made once for the module."""
    root = tmp_path_factory.mktemp("photos")
    (root / "photos").mkdir()
    for index in range(PHOTOS):
        size = (1000, 750 + 40 * index)  # 2.1 to 3.6 MiB each, stored uncompressed
        pixels = os.urandom(size[0] * size[1] * 3)
        Image.frombytes("RGB", size, pixels).save(
            root / f"photos/p{index:02}.png", compress_level=0
        )
    return root


def recipe(folder: Path, fit: str) -> Path:
    path = folder / "collage.yaml"
    path.write_text(RECIPE.format(fit=fit), encoding="utf-8")
    return path


def run(path: Path, out: Path, *extra: str) -> int:
    return cli.main(["run", str(path), "--simulate", "--out", str(out), "--rpm", "0", *extra])


def manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "collage/default/manifest.json").read_text("utf-8"))
    return data


def references(out: Path) -> list[dict[str, Any]]:
    parts = manifest(out)["turns"][0]["request"]["contents"][-1]["parts"]
    return [part["inlineData"]["data"] for part in parts if "inlineData" in part]


def test_fourteen_photos_are_over_the_limit_without_fit(
    photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sum(p.stat().st_size for p in (photos / "photos").iterdir()) > 28 * 2**20
    assert cli.main(["validate", str(recipe(photos, ""))]) == cli.EXIT_USAGE
    said = capsys.readouterr().err
    assert "accepts at most 20.0 MB: 34.0 MB (170%) over" in said and "add `fit: auto`" in said


def test_fit_auto_brings_them_under_the_limit_and_the_simulator_accepts_them(
    photos: Path, tmp_path: Path
) -> None:
    assert run(recipe(photos, "fit: auto"), tmp_path) == cli.EXIT_OK
    turn = manifest(tmp_path)["turns"][0]
    limit = load_catalog().require("gemini-3-pro-image-preview").max_request_bytes
    assert turn["status"] == "passed"
    assert len(references(tmp_path)) == PHOTOS
    assert turn["request_bytes"] <= limit  # the exact body sent, not an estimate


def test_the_manifest_records_the_original_and_the_fitted_file(
    photos: Path, tmp_path: Path
) -> None:
    assert run(recipe(photos, "fit: auto"), tmp_path) == cli.EXIT_OK
    first = references(tmp_path)[0]
    original = photos / "photos/p00.png"
    assert first["fitted_from"] == {
        "file": Path(os.path.relpath(original, tmp_path / "collage/default")).as_posix(),
        "sha256": hashlib.sha256(original.read_bytes()).hexdigest(),
        "bytes": original.stat().st_size,
    }
    sent = (tmp_path / "collage/default" / first["file"]).read_bytes()
    assert (hashlib.sha256(sent).hexdigest(), len(sent)) == (first["sha256"], first["bytes"])
    assert first["fit"]["auto"] is True and first["fit"]["mimeType"] == "image/jpeg"


def test_the_same_recipe_sends_the_same_request(photos: Path, tmp_path: Path) -> None:
    path = recipe(photos, "fit: auto")
    assert run(path, tmp_path / "a") == run(path, tmp_path / "b") == cli.EXIT_OK
    hashes = [manifest(tmp_path / out)["turns"][0]["request_sha256"] for out in ("a", "b")]
    assert hashes[0] == hashes[1]


def test_resume_reuses_the_answer_to_a_fitted_request(photos: Path, tmp_path: Path) -> None:
    path = recipe(photos, "fit: auto")
    assert run(path, tmp_path) == cli.EXIT_OK
    assert run(path, tmp_path, "--resume") == cli.EXIT_OK
    assert manifest(tmp_path)["turns"][0]["reused"] is True


def test_a_fitted_run_replays_from_its_cassette(
    photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, cassette = recipe(photos, "fit: 512"), tmp_path / "cassette"
    assert run(path, tmp_path / "first", "--record", str(cassette)) == cli.EXIT_OK
    no_sockets(monkeypatch)
    args = ["run", str(path), "--replay", str(cassette), "--out", str(tmp_path / "second")]
    assert cli.main([*args, "--base-url", closed_port_url()]) == cli.EXIT_OK
    answers = [(tmp_path / out / "collage/default/turn-1-1.png") for out in ("first", "second")]
    assert answers[0].read_bytes() == answers[1].read_bytes()


def test_the_run_folder_rebuilds_the_fitted_request_exactly(photos: Path, tmp_path: Path) -> None:
    assert run(recipe(photos, "fit: 256"), tmp_path) == cli.EXIT_OK
    turn = manifest(tmp_path)["turns"][0]
    restored = expand_request(turn["request"], tmp_path / "collage/default")
    body = encode_body(GenerateContentRequest.model_validate(restored))
    assert hashlib.sha256(body).hexdigest() == turn["request_sha256"]


def test_a_run_again_with_another_fit_leaves_no_stale_fitted_file(
    photos: Path, tmp_path: Path
) -> None:
    assert run(recipe(photos, "fit: 256"), tmp_path) == cli.EXIT_OK
    assert run(recipe(photos, "fit: 128"), tmp_path) == cli.EXIT_OK
    kept = {
        p.name
        for p in (tmp_path / "collage/default").iterdir()
        if REFERENCE_NAMES.fullmatch(p.name)
    }
    assert kept == {Path(ref["file"]).name for ref in references(tmp_path)}
    assert len(kept) == PHOTOS
