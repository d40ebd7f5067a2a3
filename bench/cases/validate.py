"""(5) `wisdomgate validate` on 1,000 recipes: the time per recipe (target: under 2 ms).

The recipes are generated into a temporary folder: plain ones, templated ones with variables, and
small matrices, with expectations, so that validation does its whole work (YAML, schema,
templates, plans, checks). Measured in process (validate_paths, what the command calls) after one
warm-up pass, and as the command in a fresh process, import time included.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.registry import Case, Row

RECIPES = 1000
TARGET_MS = 2.0

_KINDS = (
    """version: 1
name: plain-{n}
model: gemini-2.5-flash-image
config: {{responseModalities: [IMAGE], imageConfig: {{aspectRatio: "16:9"}}}}
turns:
  - prompt: A lighthouse number {n} at dawn
    expect: {{images: 1, aspect_ratio: "16:9"}}
""",
    """version: 1
name: templated-{n}
model: gemini-3-pro-image-preview
vars: {{subject: a red fox, style: watercolour}}
config: {{responseModalities: [TEXT, IMAGE]}}
turns:
  - prompt: "{{{{ subject | capitalize }}}} in {{{{ style }}}}, take {n}."
    expect: {{images: 1, finish_reason: STOP}}
  - prompt: Now the same fox at night.
    expect: {{images: 1}}
""",
    """version: 1
name: matrix-{n}
model: gemini-2.5-flash-image
matrix:
  aspect: ["1:1", "16:9"]
config: {{responseModalities: [IMAGE], imageConfig: {{aspectRatio: "{{{{ aspect }}}}"}}}}
turns:
  - prompt: A teapot, study {n}
    expect: {{images: 1, aspect_ratio: "{{{{ aspect }}}}"}}
""",
)


def write_recipes(folder: Path) -> None:
    """RECIPES recipe files of the three kinds, in turn."""
    for n in range(RECIPES):
        text = _KINDS[n % len(_KINDS)].format(n=n)
        (folder / f"recipe-{n:04}.yaml").write_text(text, encoding="utf-8")


def rows(workdir: Path) -> list[Row]:
    """In process (warm) and as the command (a fresh process)."""
    from wisdomgate.recipe import validate_paths

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        write_recipes(folder)
        report = validate_paths([folder])  # warm-up; also checks that they are all valid
        if not report.ok or len(report.files) != RECIPES:
            raise RuntimeError(f"the generated recipes do not validate: {report.errors[:1]}")
        started = time.perf_counter()
        validate_paths([folder])
        warm = (time.perf_counter() - started) * 1000 / RECIPES
        command = [sys.executable, "-m", "wisdomgate", "validate", str(folder)]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        cold = (time.perf_counter() - started) * 1000 / RECIPES
    target = f"< {TARGET_MS:g} ms per recipe"
    return [
        Row(
            f"(5) validate {RECIPES} recipes, in process",
            "ms per recipe",
            warm,
            None,
            None,
            target,
            warm < TARGET_MS,
        ),
        Row(
            f"(5) `wisdomgate validate` {RECIPES} recipes, fresh process",
            "ms per recipe",
            cold,
            None,
            None,
            target,
            cold < TARGET_MS,
        ),
    ]


CASE = Case(5, "validate", rows)
