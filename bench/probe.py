"""One measurement in a fresh process: `python -m bench.probe MODULE CLIENT ARGS_JSON`.

MODULE's `PROBES[CLIENT](args)` does the imports and setup (not measured) and returns the action;
the action runs once, and this prints {"cpu_s", "peak_mb", "wall_s", **what it returned} as
JSON: CPU is user + system time of this process, the peak is the highest resident set size
during the action above the one it started at (VmHWM, reset just before through clear_refs).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "measure"]


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(action: Any) -> dict[str, Any]:
    """Run action once: its CPU seconds, wall seconds and peak RSS growth in MB."""
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := the current RSS
    start_rss = _rss_kb("VmRSS")
    cpu, wall = _cpu(), time.perf_counter()
    extra = action() or {}
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    peak = max(0, _rss_kb("VmHWM") - start_rss) / 1024
    return {"cpu_s": cpu, "wall_s": wall, "peak_mb": peak, **extra}


def main() -> None:
    """The command line: module, client, JSON arguments."""
    module_name, client, raw_args = sys.argv[1:4]
    module = importlib.import_module(module_name)
    action = module.PROBES[client](json.loads(raw_args))
    print(json.dumps(measure(action)))


if __name__ == "__main__":
    main()
