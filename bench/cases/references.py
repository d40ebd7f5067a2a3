"""(2) 14 reference PNGs (random bytes, ~19 MB of base64) from their files to the request sent.

Each client runs in a fresh process, after a small warm-up call: CPU time and peak RSS growth of
the one call that reads the files, builds the request and sends it to a local server that reads
and counts every byte (the answer is small). Ours is the README's way: `Part.from_path(path)`.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import compare, probe_all
from bench.registry import Case, Row
from bench.server import SMALL_ANSWER, serve

MODEL = "gemini-3-pro-image-preview"
REFERENCES = 14
REFERENCE_BYTES = 1_000_000  # 14 x 1 MB: 18.7 MB of base64
PROMPT = "put these fourteen people in one group photo"
TITLE = "(2) 14 references -> request"
Action = Callable[[], Any]


def write_references(folder: Path) -> list[str]:
    """REFERENCES files of random bytes behind a PNG signature."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(REFERENCES):
        path = folder / f"person-{n + 1}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(REFERENCE_BYTES - 8))
        paths.append(str(path))
    return paths


def _ours(args: dict[str, Any]) -> Action:
    from wisdomgate_api import Client, models

    client = Client(api_key="bench", base_url=args["url"])
    client.generate_content("warmup", {"contents": [{"parts": [{"text": PROMPT}]}]})

    def act() -> dict[str, Any]:
        parts = [models.Part(text=PROMPT)]
        parts += [models.Part.from_path(path) for path in args["paths"]]
        raw = client.with_raw_response.generate_content(
            MODEL, {"contents": [{"role": "user", "parts": parts}]}
        )
        return {"sent_bytes": int(raw.headers["x-received-bytes"])}

    return act


def _genai(args: dict[str, Any]) -> Action:
    from google import genai
    from google.genai import types

    options = types.HttpOptions(base_url=args["url"], api_version="v1beta")
    client = genai.Client(api_key="bench", http_options=options)
    client.models.generate_content(model="warmup", contents=PROMPT)

    def act() -> None:
        parts = [types.Part.from_text(text=PROMPT)]
        parts += [
            types.Part.from_bytes(data=Path(path).read_bytes(), mime_type="image/png")
            for path in args["paths"]
        ]
        client.models.generate_content(
            model=MODEL, contents=[types.Content(role="user", parts=parts)]
        )

    return act


def _floor(args: dict[str, Any]) -> Action:
    import httpx

    http = httpx.Client(timeout=600)
    headers = {"x-goog-api-key": "bench", "content-type": "application/json"}
    url = f"{args['url']}/v1beta/models/{{}}:generateContent"
    warmup = {"contents": [{"parts": [{"text": PROMPT}]}]}
    http.post(url.format("warmup"), content=json.dumps(warmup), headers=headers)

    def act() -> dict[str, Any]:
        parts: list[dict[str, Any]] = [{"text": PROMPT}]
        for path in args["paths"]:
            data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
            parts.append({"inlineData": {"mimeType": "image/png", "data": data}})
        body = json.dumps({"contents": [{"role": "user", "parts": parts}]}).encode()
        response = http.post(url.format(MODEL), content=body, headers=headers)
        return {"sent_bytes": int(response.headers["x-received-bytes"])}

    return act


PROBES = {"ours": _ours, "genai": _genai, "floor": _floor}


def run(workdir: Path) -> list[Row]:
    """Serve a small answer locally and measure the three clients sending the references."""
    paths = write_references(workdir / "references")
    answer = workdir / "small-answer.json"
    answer.write_bytes(SMALL_ANSWER)
    with serve(answer) as url:
        values = probe_all(__name__, {"url": url, "paths": paths})
    sent = values["ours"]["sent_bytes"] / 1e6
    title = f"{TITLE} ({sent:.1f} MB sent)"
    cpu = {client: v["cpu_s"] * 1000 for client, v in values.items()}
    rss = {client: v["peak_mb"] for client, v in values.items()}
    return [
        compare(title, "CPU ms", cpu, max_vs_genai=0.5, max_vs_floor=1.5),
        compare(title, "peak RSS +MB", rss, max_vs_genai=0.6),
    ]


CASE = Case(2, TITLE, run)
