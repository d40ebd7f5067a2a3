"""(6) `make regen`: openapi.json -> generated/ and the recipe schema (target: under 10 s).

Timed as `make check-generated` does the same work (generate everything into a temporary folder,
format it with the pinned ruff, compare) without writing into the tree: `python -m codegen.regen
--check` plus `python -m codegen.recipe_schema --check`, each in a fresh process.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.registry import Case, Row

TARGET_S = 10.0
ROOT = Path(__file__).resolve().parents[2]


def rows(workdir: Path) -> list[Row]:
    """One row: the wall time of both steps."""
    started = time.perf_counter()
    for module in ("codegen.regen", "codegen.recipe_schema"):
        subprocess.run([sys.executable, "-m", module, "--check"], cwd=ROOT, check=True)
    wall = time.perf_counter() - started
    target = f"< {TARGET_S:g} s"
    return [Row("(6) make regen (as --check)", "wall s", wall, None, None, target, wall < TARGET_S)]


CASE = Case(6, "make regen", rows)
