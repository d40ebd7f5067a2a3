"""`make bench`: every case in bench/cases/, measured in the same run, printed as one table.

python -m bench              every case
python -m bench 1 4          only cases 1 and 4
BENCH_REPEATS=3 python -m bench   fewer fresh-process repetitions (median; default 5)
"""

from __future__ import annotations

import platform
import sys
import tempfile
from pathlib import Path

from bench.registry import Row, discover

__all__ = ["main"]


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _ratio(ours: float, other: float | None) -> str:
    return "-" if not other else f"{ours / other:.2f}x"


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table: values, ours as a ratio of each peer, target, met."""
    lines = [
        "| case | metric | wisdomgate | google-genai | floor | ours/genai | ours/floor | target | met |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        cells = [
            row.case,
            row.metric,
            _value(row.ours),
            _value(row.genai),
            _value(row.floor),
            _ratio(row.ours, row.genai),
            _ratio(row.ours, row.floor),
            row.target,
            "yes" if row.met else "**no**",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    """What the table was measured on."""
    import os

    return (
        f"{os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()},"
        f" Python {platform.python_version()}"
    )


def main() -> None:
    """Run the chosen cases (all by default) and print the table."""
    chosen = {int(arg) for arg in sys.argv[1:]}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="wisdomgate-bench-") as workdir:
        for case in discover():
            if chosen and case.number not in chosen:
                continue
            print(f"running {case.title} ...", file=sys.stderr, flush=True)
            rows.extend(case.run(Path(workdir)))
    print(f"machine: {machine()}")
    print(table(rows))


if __name__ == "__main__":
    main()
