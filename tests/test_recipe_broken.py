"""The broken-recipe corpus: every file in tests/recipes_broken/ must fail validation with the
promised message, at the promised line:column and field, with the promised fix.

Each corpus file starts with comment lines:
    # expect: <part of the message>
    # at: <line>:<column> <field path>
    # fix: <part of the fix>           (optional)
The file is copied into a fresh folder next to generated reference images (refs/), which is the
root it is validated in; `../outside.png` exists just outside that root.
"""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image

from wisdomgate.errors import RecipeError, RecipeErrors
from wisdomgate.recipe.loader import load_plans, validate_paths

CORPUS = Path(__file__).parent / "recipes_broken"
CASES = sorted(CORPUS.glob("*.yaml"))


@dataclass(frozen=True)
class Promise:
    """What a corpus file says its validation must report."""

    message: str
    line: int | None
    column: int | None
    field: str | None
    fix: str | None


def read_promise(path: Path) -> Promise:
    """The `# expect:`, `# at:` and `# fix:` header of a corpus file."""
    header = dict(re.findall(r"^# (expect|at|fix): (.*)$", path.read_text(), re.MULTILINE))
    line = column = None
    field = None
    if "at" in header:
        position, _, field = header["at"].partition(" ")
        line, column = (int(n) for n in position.split(":"))
    return Promise(header["expect"], line, column, field or None, header.get("fix"))


def image_bytes(kind: str, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A tiny image of the given Pillow format."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buffer, format=kind)
    return buffer.getvalue()


def heic_bytes(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A tiny HEIC image (pillow-heif encodes it)."""
    buffer = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (16, 16), color)).save(buffer, format="HEIF")
    return buffer.getvalue()


def make_case(recipe: Path, tmp_path: Path) -> Path:
    """A root folder with the recipe and the reference images the corpus refers to."""
    (tmp_path / "outside.png").write_bytes(image_bytes("PNG"))
    root = tmp_path / "case"
    refs = root / "refs"
    (refs / "people").mkdir(parents=True)
    shutil.copy(recipe, root / recipe.name)
    (refs / "one.png").write_bytes(image_bytes("PNG"))
    (refs / "two.jpg").write_bytes(image_bytes("JPEG"))
    (refs / "anim.gif").write_bytes(image_bytes("GIF"))
    (refs / "notes.png").write_text("these are notes, not a picture\n")
    for n in range(1, 16):
        (refs / "people" / f"p{n:02}.png").write_bytes(image_bytes("PNG", (n * 10, 0, 0)))
    broken = refs / "broken"  # files that sniff right but do not decode, and a symlink loop
    broken.mkdir()
    png, webp = image_bytes("PNG"), image_bytes("WEBP")
    (broken / "truncated.png").write_bytes(png[: len(png) // 2])
    (broken / "truncated.webp").write_bytes(webp[: len(webp) // 2])
    (broken / "garbage.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (broken / "broken.heic").write_bytes(heic_bytes()[:-40])
    (broken / "loop.png").symlink_to("loop.png")
    if "big.png" in recipe.read_text():
        # 16 MiB is under the per-file limit, but its base64 (21.3 MiB) is over the request limit
        (refs / "big.png").write_bytes(image_bytes("PNG") + bytes(16 * 2**20))
    return root


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("recipe", CASES, ids=[p.stem for p in CASES])
def test_broken_recipe_reports_the_promised_error(recipe: Path, tmp_path: Path) -> None:
    promise = read_promise(recipe)
    root = make_case(recipe, tmp_path)
    report = validate_paths([root])
    assert not report.ok
    errors = report.errors
    matching = [e for e in errors if promise.message in e.message]
    assert matching, f"no error says {promise.message!r}; got:\n" + "\n".join(map(str, errors))
    error = matching[0]
    if promise.line is not None:
        assert (error.line, error.column) == (promise.line, promise.column), str(error)
    if promise.field is not None:
        assert error.field == promise.field, str(error)
    if promise.fix is not None:
        assert error.fix is not None and promise.fix in error.fix, str(error)
    assert error.path == root / recipe.name
    assert str(error).startswith(f"{root / recipe.name}:")


@pytest.mark.parametrize("recipe", CASES, ids=[p.stem for p in CASES])
def test_broken_recipe_raises_recipe_errors_from_load_plans(recipe: Path, tmp_path: Path) -> None:
    root = make_case(recipe, tmp_path)
    with pytest.raises(RecipeErrors) as caught:
        load_plans([root])
    assert caught.value.errors
    assert all(isinstance(error, RecipeError) for error in caught.value.errors)
    assert read_promise(recipe).message in str(caught.value)
