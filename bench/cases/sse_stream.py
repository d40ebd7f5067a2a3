"""(4) A streamed answer (`?alt=sse`) of small text chunks and one 4 MB line (an image chunk).

Each client, in a fresh process after a small warm-up stream, reads the whole stream from a
local server: the wall time from the call to the last typed chunk (best of 3 in the process,
the least disturbed by the server sharing the two cores; median of 3 processes). It is measured
at 200 chunks, and at 1,600 and 6,400 to see how it grows: linear growth means the client's CPU
time per extra chunk stays the same (within 1.5x) from 200->1,600 to 1,600->6,400 (CPU time:
wall time on two shared cores is too noisy for a difference of differences).
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import REPEATS, compare, probe_all
from bench.registry import Case, Row
from bench.server import serve

MODEL = "gemini-3-pro-image-preview"
CHUNKS = (200, 1600, 6400)
IMAGE_BYTES = 3 * 1024 * 1024  # a 4 MB line of base64
PROMPT = "tell a story and draw it"
TITLE = "(4) SSE answer, one 4 MB line"
Action = Callable[[], Any]


def write_stream(path: Path, chunks: int) -> None:
    """chunks SSE events: words of text, and in the middle one image chunk on a 4 MB line."""
    image = base64.b64encode(b"\x89PNG\r\n\x1a\n" + os.urandom(IMAGE_BYTES)).decode()
    with path.open("w", encoding="ascii") as out:
        for n in range(chunks):
            if n == chunks // 2:
                part: dict[str, Any] = {"inlineData": {"mimeType": "image/png", "data": image}}
            else:
                part = {"text": f"word {n} "}
            chunk = {"candidates": [{"content": {"role": "model", "parts": [part]}, "index": 0}]}
            out.write(f"data: {json.dumps(chunk)}\r\n\r\n")


def _timed(stream_once: Callable[[], int]) -> Action:
    def act() -> dict[str, Any]:
        walls, cpus = [], []
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            count = stream_once()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        return {"last_chunk_s": min(walls), "cpu_s": min(cpus), "chunks": count}

    return act


def _ours(args: dict[str, Any]) -> Action:
    from wisdomgate_api import Client

    client = Client(api_key="bench", base_url=args["url"])
    body = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
    list(client.stream_generate_content("warmup", body))
    return _timed(lambda: sum(1 for _ in client.stream_generate_content(MODEL, body)))


def _genai(args: dict[str, Any]) -> Action:
    from google import genai

    options = genai.types.HttpOptions(base_url=args["url"], api_version="v1beta")
    client = genai.Client(api_key="bench", http_options=options)
    list(client.models.generate_content_stream(model="warmup", contents=PROMPT))

    def once() -> int:
        stream = client.models.generate_content_stream(model=MODEL, contents=PROMPT)
        return sum(1 for _ in stream)

    return _timed(once)


def _floor(args: dict[str, Any]) -> Action:
    import httpx

    http = httpx.Client(timeout=600)
    body = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
    headers = {"x-goog-api-key": "bench"}
    url = f"{args['url']}/v1beta/models/{{}}:streamGenerateContent?alt=sse"

    def once(model: str = MODEL) -> int:
        count = 0
        with http.stream("POST", url.format(model), json=body, headers=headers) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    json.loads(line[5:])
                    count += 1
        return count

    once("warmup")
    return _timed(once)


PROBES = {"ours": _ours, "genai": _genai, "floor": _floor}


def run(workdir: Path) -> list[Row]:
    """Measure the three clients at each chunk count; rows for 200 chunks and for the growth."""
    seconds: dict[int, dict[str, float]] = {}
    cpu: dict[int, dict[str, float]] = {}
    for chunks in CHUNKS:
        body = workdir / f"stream-{chunks}.sse"
        write_stream(body, chunks)
        with serve(body, "text/event-stream") as url:
            values = probe_all(__name__, {"url": url}, repeats=min(REPEATS, 3))
        seconds[chunks] = {client: v["last_chunk_s"] for client, v in values.items()}
        cpu[chunks] = {client: v["cpu_s"] for client, v in values.items()}
    first = {client: v * 1000 for client, v in seconds[CHUNKS[0]].items()}
    # growth from the client's CPU time, which the server and other processes do not disturb
    growth = {client: _growth(cpu, client) for client in first}
    late = {client: g[1] * 1e6 for client, g in growth.items()}
    early, later = growth["ours"]
    low, middle, high = CHUNKS
    return [
        compare(f"{TITLE}, {low} chunks", "ms to last chunk", first, max_vs_genai=1.0),
        Row(
            f"{TITLE}, growth {low}->{middle}->{high}",
            f"CPU µs per extra chunk, {middle}->{high}",
            late["ours"],
            late["genai"],
            late["floor"],
            f"linear: {later / early:.2f}x the per-chunk cost of {low}->{middle} (<= 1.5x)",
            later <= 1.5 * early,
        ),
    ]


def _growth(seconds: dict[int, dict[str, float]], client: str) -> tuple[float, float]:
    """The time per extra chunk from the first to the middle count, and middle to last."""
    low, middle, high = CHUNKS
    early = (seconds[middle][client] - seconds[low][client]) / (middle - low)
    late = (seconds[high][client] - seconds[middle][client]) / (high - middle)
    return early, late


CASE = Case(4, TITLE, run)
