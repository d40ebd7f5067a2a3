"""Simulated runs for the report tests: small recipes run on the built-in simulator."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from wisdomgate import cli

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert('prompt')</script><img src=x onerror=alert(1)>"

MATRIX = """\
version: 1
name: kites
model: gemini-2.5-flash-image
vars: {subject: a kite over the sea}
matrix:
  style: [pencil sketch, watercolour]
  aspect: ["1:1", "16:9"]
config:
  responseModalities: [IMAGE]
  imageConfig: {aspectRatio: "{{ aspect }}"}
turns:
  - prompt: "{{ subject }}, as a {{ style }}."
    expect: {images: 1, aspect_ratio: "{{ aspect }}"}
"""

CAT = """\
version: 1
name: cat
model: gemini-3-pro-image-preview
config: {responseModalities: [TEXT, IMAGE]}
turns:
  - prompt: Give this cat a tiny purple wizard hat.
    images: [refs/cat.jpg]
    expect: {images: 1}
"""

HOSTILE_RECIPE = f"""\
version: 1
name: hostile
model: gemini-2.5-flash-image
config: {{responseModalities: [TEXT, IMAGE]}}
turns:
  - prompt: "{HOSTILE}"
    expect: {{images: 2}}
"""


def write_recipes(folder: Path, *, cat_prompt: str | None = None) -> Path:
    """A folder of recipes: a 2x2 matrix, an edit with a reference, a failing hostile prompt."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refs").mkdir(exist_ok=True)
    shutil.copy(ROOT / "recipes" / "refs" / "cat.jpg", folder / "refs" / "cat.jpg")
    (folder / "kites.yaml").write_text(MATRIX, encoding="utf-8")
    cat = CAT if cat_prompt is None else CAT.replace("a tiny purple wizard hat", cat_prompt)
    (folder / "cat.yaml").write_text(cat, encoding="utf-8")
    (folder / "hostile.yaml").write_text(HOSTILE_RECIPE, encoding="utf-8")
    return folder


def simulate(recipes: Path, out: Path, *extra: str) -> int:
    """`wisdomgate run RECIPES --simulate --out OUT`, in this process; the exit code."""
    return cli.main(["run", str(recipes), "--simulate", "--out", str(out), "--rpm", "0", *extra])


def image_sources(html: str) -> list[str]:
    """The src of every <img> of a page."""
    return re.findall(r'<img src="([^"]*)"', html)
