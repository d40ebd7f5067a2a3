"""(1) A 38 MB answer holding a 28 MB PNG (random bytes: incompressible), from the socket to a file.

Each client runs in a fresh process, after a small warm-up call: CPU time (user + system) and
peak RSS growth of the one call that fetches the answer and writes the image file. Ours is the
README's way: `part.inline_data.data.save(path)`.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import probe_all
from bench.registry import Case, Row
from bench.server import serve

MODEL = "gemini-3-pro-image-preview"
IMAGE_BYTES = 28 * 1000 * 1000
SIGNATURE_BYTES = 450 * 1024  # a real image answer carries a thought signature too
PROMPT = "a lighthouse at dawn, photographic"
TITLE = "(1) 38 MB answer -> file"
Action = Callable[[], Any]


def write_answer(path: Path) -> int:
    """The answer body: one PNG-signed image of random bytes and its thought signature."""
    image = b"\x89PNG\r\n\x1a\n" + os.urandom(IMAGE_BYTES - 8)
    part = {
        "inlineData": {"mimeType": "image/png", "data": base64.b64encode(image).decode()},
        "thoughtSignature": base64.b64encode(os.urandom(SIGNATURE_BYTES)).decode(),
    }
    body = {
        "candidates": [
            {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 2012},
        "modelVersion": MODEL,
    }
    path.write_text(json.dumps(body), encoding="ascii")
    return path.stat().st_size


def _ours(args: dict[str, Any]) -> Action:
    from wisdomgate_api import Client

    client = Client(api_key="bench", base_url=args["url"])
    body = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
    client.generate_content("warmup", body)

    def act() -> None:
        response = client.generate_content(MODEL, body)
        for part in response.candidates[0].content.parts:  # type: ignore[index, union-attr]
            if part.inline_data and part.inline_data.data:
                part.inline_data.data.save(args["out"])

    return act


def _genai(args: dict[str, Any]) -> Action:
    from google import genai

    options = genai.types.HttpOptions(base_url=args["url"], api_version="v1beta")
    client = genai.Client(api_key="bench", http_options=options)
    client.models.generate_content(model="warmup", contents=PROMPT)

    def act() -> None:
        response = client.models.generate_content(model=MODEL, contents=PROMPT)
        for part in response.candidates[0].content.parts:  # type: ignore[index, union-attr]
            if part.inline_data and part.inline_data.data:
                Path(args["out"]).write_bytes(part.inline_data.data)

    return act


def _floor(args: dict[str, Any]) -> Action:
    import httpx

    http = httpx.Client(timeout=600)
    body = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
    headers = {"x-goog-api-key": "bench"}
    url = f"{args['url']}/v1beta/models/{{}}:generateContent"
    http.post(url.format("warmup"), json=body, headers=headers)

    def act() -> None:
        payload = json.loads(http.post(url.format(MODEL), json=body, headers=headers).content)
        for part in payload["candidates"][0]["content"]["parts"]:
            if "inlineData" in part:
                Path(args["out"]).write_bytes(base64.b64decode(part["inlineData"]["data"]))

    return act


PROBES = {"ours": _ours, "genai": _genai, "floor": _floor}


def run(workdir: Path) -> list[Row]:
    """Serve the answer locally and measure the three clients."""
    from bench.harness import compare

    body = workdir / "big-answer.json"
    size = write_answer(body)
    with serve(body) as url:
        values = probe_all(__name__, {"url": url, "out": str(workdir / "out.png")})
    title = f"{TITLE} ({size / 1e6:.0f} MB)"
    cpu = {client: v["cpu_s"] * 1000 for client, v in values.items()}
    rss = {client: v["peak_mb"] for client, v in values.items()}
    return [
        compare(title, "CPU ms", cpu, max_vs_genai=0.5, max_vs_floor=1.5),
        compare(title, "peak RSS +MB", rss, max_vs_genai=0.6),
    ]


CASE = Case(1, TITLE, run)
