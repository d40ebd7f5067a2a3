"""Parse and serialise a 4K-image response, and one 4K generation through the simulator, with
wisdomgate_api and with google-genai in the same run (the rows bench/ had from the start)."""

from __future__ import annotations

import base64
import json
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.genai import types as genai_types

from bench.registry import Case, Row
from wisdomgate_api import models

IMAGE_BYTES = 12 * 1024 * 1024  # the order of a 4K PNG
SIGNATURE_BYTES = 450 * 1024  # recorded signatures reach ~600 K characters
REPEATS = 5


def response_json() -> str:
    """A gemini-3-pro-image-preview answer with one 4K image and its thought signature."""
    image = base64.b64encode(os.urandom(IMAGE_BYTES)).decode("ascii")
    signature = base64.b64encode(os.urandom(SIGNATURE_BYTES)).decode("ascii")
    part = {"inlineData": {"mimeType": "image/png", "data": image}, "thoughtSignature": signature}
    body = {
        "candidates": [
            {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {
            "promptTokenCount": 12,
            "candidatesTokenCount": 2000,
            "totalTokenCount": 2012,
        },
        "modelVersion": "gemini-3-pro-image-preview",
        "responseId": "bench",
    }
    return json.dumps(body)


def measure(action: Callable[[], Any]) -> tuple[float, float]:
    """Median seconds over REPEATS and peak traced MiB of one call."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def report(name: str, ours: Callable[[], Any], peer: Callable[[], Any]) -> list[Row]:
    """Two rows: median time and peak traced memory of each (no target: for the record)."""
    our_time, our_mem = measure(ours)
    peer_time, peer_mem = measure(peer)
    return [
        Row(f"(7) {name}", "ms", our_time * 1000, peer_time * 1000, None, "-", True),
        Row(f"(7) {name}", "traced MiB", our_mem, peer_mem, None, "-", True),
    ]


def rows(workdir: Path) -> list[Row]:
    """The parse, serialise and simulator-generation rows."""
    return [*_parse_rows(), *_simulator_row()]


def _parse_rows() -> list[Row]:
    text = response_json()
    ours = models.GenerateContentResponse.model_validate_json(text)
    peer = genai_types.GenerateContentResponse.model_validate_json(text)
    size = f"{len(text) / 2**20:.1f} MiB"
    parse = report(
        f"parse a {size} response JSON (4K image + signature)",
        lambda: models.GenerateContentResponse.model_validate_json(text),
        lambda: genai_types.GenerateContentResponse.model_validate_json(text),
    )
    serialise = report(
        "serialise it back to wire JSON",
        lambda: ours.to_json(),
        lambda: peer.model_dump_json(by_alias=True, exclude_none=True),
    )
    return [*parse, *serialise]


def _simulator_row() -> list[Row]:
    """One 4K image generation through each client against the built-in simulator.

    The simulator's flat drawings compress to small PNGs, so this measures each client's own
    overhead per call (HTTP, parsing), not the cost of a photographic 4K payload: the first
    two rows cover that.
    """
    from google import genai

    from wisdomgate.simulator import SIMULATOR_KEY, SimulatorConfig, run_simulator
    from wisdomgate_api import Client

    config = {
        "responseModalities": ["IMAGE"],
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "4K"},
    }
    body = {"contents": [{"parts": [{"text": "a lighthouse at dawn"}]}], "generationConfig": config}
    with (
        run_simulator(SimulatorConfig()) as url,
        Client(api_key=SIMULATOR_KEY, base_url=url) as ours,
    ):
        options = genai.types.HttpOptions(base_url=url, api_version="v1beta")
        peer = genai.Client(api_key=SIMULATOR_KEY, http_options=options)
        peer_config = genai.types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=genai.types.ImageConfig(aspect_ratio="16:9", image_size="4K"),
        )
        return report(
            "generate a 4K image (simulator)",
            lambda: ours.generate_content("gemini-3-pro-image-preview", body),
            lambda: peer.models.generate_content(
                model="gemini-3-pro-image-preview",
                contents="a lighthouse at dawn",
                config=peer_config,
            ),
        )


CASE = Case(7, "parse, serialise, one call", rows)
