"""Parse and serialise a 4K-image response with wisdomgate_api and with google-genai, same run.

Prints each measurement and the ratio (peer / ours: above 1 means wisdomgate is faster or leaner).
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from google.genai import types as genai_types

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


def report(name: str, ours: Callable[[], Any], peer: Callable[[], Any]) -> None:
    """One line per measurement with the ratio against google-genai."""
    our_time, our_mem = measure(ours)
    peer_time, peer_mem = measure(peer)
    print(
        f"{name:<34} wisdomgate {our_time * 1000:8.1f} ms {our_mem:7.1f} MiB | "
        f"google-genai {peer_time * 1000:8.1f} ms {peer_mem:7.1f} MiB | "
        f"speed x{peer_time / our_time:5.2f}  memory x{peer_mem / max(our_mem, 0.01):5.2f}"
    )


def main() -> None:
    """Run every benchmark once and print the table."""
    text = response_json()
    ours = models.GenerateContentResponse.model_validate_json(text)
    peer = genai_types.GenerateContentResponse.model_validate_json(text)
    print(f"payload: {len(text) / 2**20:.1f} MiB JSON (one 4K image + thought signature)")
    report(
        "parse response JSON",
        lambda: models.GenerateContentResponse.model_validate_json(text),
        lambda: genai_types.GenerateContentResponse.model_validate_json(text),
    )
    report(
        "serialise back to wire JSON",
        lambda: ours.to_json(),
        lambda: peer.model_dump_json(by_alias=True, exclude_none=True),
    )


def simulator_benchmarks() -> None:
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
        report(
            "generate a 4K image (simulator)",
            lambda: ours.generate_content("gemini-3-pro-image-preview", body),
            lambda: peer.models.generate_content(
                model="gemini-3-pro-image-preview",
                contents="a lighthouse at dawn",
                config=peer_config,
            ),
        )


if __name__ == "__main__":
    main()
    simulator_benchmarks()
