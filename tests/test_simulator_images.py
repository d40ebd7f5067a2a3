"""Image answers: pixel sizes from the catalog, determinism, and visible edits."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from wisdomgate.catalog import load_catalog
from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, run_simulator
from wisdomgate.simulator.images import render_png

pytestmark = pytest.mark.slow

PRO_IMAGE = "gemini-3-pro-image-preview"
FLASH_25_IMAGE = "gemini-2.5-flash-image"
IMAGE_CASES = [
    (model.name, ratio, size)
    for model in load_catalog().models()
    if model.kind == "image"
    for ratio in model.aspect_ratios
    for size in model.image_sizes
]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with run_simulator(SimulatorConfig()) as url:
        headers = {"x-goog-api-key": SIMULATOR_KEY}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            yield http


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def _image_request(prompt: str, *, images: tuple[bytes, ...] = (), **config: Any) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": prompt}]
    parts += [
        {"inline_data": {"mime_type": "image/png", "data": base64.b64encode(i).decode()}}
        for i in images
    ]
    generation: dict[str, Any] = {"responseModalities": ["IMAGE"]}
    if config:
        generation["imageConfig"] = config
    return {"contents": [{"role": "user", "parts": parts}], "generationConfig": generation}


def _generate_image(client: httpx.Client, model: str, body: dict[str, Any]) -> bytes:
    response = client.post(f"/v1beta/models/{model}:generateContent", json=body)
    assert response.status_code == 200, response.text
    parts = response.json()["candidates"][0]["content"]["parts"]
    [image] = [part["inlineData"] for part in parts if "inlineData" in part]
    assert image["mimeType"] == "image/png"
    return base64.b64decode(image["data"])


def _size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


@pytest.mark.parametrize(("model", "ratio", "size"), IMAGE_CASES)
def test_image_size_follows_catalog(
    client: httpx.Client, model: str, ratio: str, size: str
) -> None:
    body = _image_request("a lighthouse", aspectRatio=ratio, imageSize=size)
    png = _generate_image(client, model, body)
    assert _size(png) == load_catalog().require(model).image_dimensions(ratio, size)


def test_unset_ratio_and_size_give_square_default(client: httpx.Client) -> None:
    assert _size(_generate_image(client, PRO_IMAGE, _image_request("a boat"))) == (1024, 1024)


def test_unset_ratio_follows_reference_image(client: httpx.Client) -> None:
    wide = _png((320, 180), (10, 20, 30))
    png = _generate_image(client, PRO_IMAGE, _image_request("edit", images=(wide,)))
    assert _size(png) == (1376, 768)


def test_flash_25_image_16_9(client: httpx.Client) -> None:
    png = _generate_image(client, FLASH_25_IMAGE, _image_request("sunset", aspectRatio="16:9"))
    assert _size(png) == (1344, 768)


def test_same_request_same_bytes(client: httpx.Client) -> None:
    body = _image_request("a red bicycle", aspectRatio="3:2")
    assert _generate_image(client, PRO_IMAGE, body) == _generate_image(client, PRO_IMAGE, body)


def test_same_request_same_bytes_across_servers() -> None:
    body = _image_request("a red bicycle", aspectRatio="3:2")
    results = []
    for _ in range(2):
        with run_simulator() as url:
            headers = {"x-goog-api-key": SIMULATOR_KEY}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
                results.append(_generate_image(http, PRO_IMAGE, body))
    assert results[0] == results[1]


def test_different_prompt_different_bytes(client: httpx.Client) -> None:
    first = _generate_image(client, PRO_IMAGE, _image_request("a red bicycle"))
    second = _generate_image(client, PRO_IMAGE, _image_request("a blue bicycle"))
    assert first != second


def test_different_reference_image_different_bytes(client: httpx.Client) -> None:
    red, blue = _png((64, 64), (255, 0, 0)), _png((64, 64), (0, 0, 255))
    first = _generate_image(client, PRO_IMAGE, _image_request("edit", images=(red,)))
    second = _generate_image(client, PRO_IMAGE, _image_request("edit", images=(blue,)))
    assert first != second


def test_reference_image_is_visible_in_output(client: httpx.Client) -> None:
    red = _png((64, 64), (255, 0, 0))
    image = Image.open(
        io.BytesIO(_generate_image(client, PRO_IMAGE, _image_request("x", images=(red,))))
    )
    # The thumbnail strip starts at the bottom-left corner.
    r, g, b = image.convert("RGB").getpixel((5, image.height - 5))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60


def test_unreadable_reference_still_renders() -> None:
    png = render_png(64, 32, prompt="x", references=[b"not an image"])
    assert _size(png) == (64, 32)


def test_render_png_is_deterministic() -> None:
    assert render_png(100, 50, prompt="p", references=[]) == render_png(
        100, 50, prompt="p", references=[]
    )
