"""Fresh-process measurements for the cases: run a probe, repeat it, compare against targets."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

from bench.registry import Row

__all__ = ["CLIENTS", "REPEATS", "compare", "probe", "probe_all"]

CLIENTS = ("ours", "genai", "floor")
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))


def probe(module: str, client: str, args: dict[str, Any]) -> dict[str, Any]:
    """One measurement of MODULE's PROBES[client] in a new Python process (bench.probe)."""
    command = [sys.executable, "-m", "bench.probe", module, client, json.dumps(args)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{module} {client} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def probe_all(
    module: str, args: dict[str, Any], repeats: int = REPEATS
) -> dict[str, dict[str, float]]:
    """The median of each metric per client; the clients take turns, so drift hits all alike."""
    runs: dict[str, list[dict[str, Any]]] = {client: [] for client in CLIENTS}
    for _ in range(repeats):
        for client in CLIENTS:
            runs[client].append(probe(module, client, args))
    return {
        client: {
            key: statistics.median(float(run[key]) for run in results)
            for key in results[0]
            if isinstance(results[0][key], int | float)
        }
        for client, results in runs.items()
    }


def compare(
    case: str,
    metric: str,
    values: dict[str, float],
    *,
    max_vs_genai: float,
    max_vs_floor: float | None = None,
) -> Row:
    """A row with the three values and whether ours is within the ratios asked."""
    ours, genai, floor = values["ours"], values["genai"], values.get("floor")
    met = ours <= max_vs_genai * genai
    target = f"<= {max_vs_genai:g}x genai"
    if max_vs_floor is not None and floor is not None:
        met = met and ours <= max_vs_floor * floor
        target += f", <= {max_vs_floor:g}x floor"
    return Row(case, metric, ours, genai, floor, target, met)
