"""Random input never escapes as anything but RecipeErrors: random bytes and characters, YAML
made of random pieces (tags, anchors, escapes, nesting), mutated example recipes, and recipe-
shaped documents with the real keys and random values."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from wisdomgate.catalog import load_catalog
from wisdomgate.errors import RecipeError, RecipeErrors
from wisdomgate.recipe.loader import load_plans, validate_paths

EXAMPLES = Path(__file__).resolve().parent.parent / "recipes"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


def check(data: bytes, cli_vars: dict[str, str] | None = None) -> None:
    """validate_paths reports, load_plans plans or raises RecipeErrors; nothing else."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "ref.png").write_bytes(PNG)
        (root / "cut.png").write_bytes(PNG[:40])
        shutil.copytree(EXAMPLES / "refs", root / "refs")
        path = root / "r.yaml"
        path.write_bytes(data)
        report = validate_paths([path], cli_vars=cli_vars or {})
        for error in (*report.errors, *report.warnings):
            assert isinstance(error, RecipeError) and error.message
            str(error).encode("utf-8")  # always printable
        try:
            load_plans([path], cli_vars=cli_vars or {})
        except RecipeErrors as errors:
            assert errors.errors and not report.ok
            str(errors).encode("utf-8")
        else:
            assert report.ok


PIECES = [
    *("{", "}", "[", "]", ", ", ": ", "- ", "? ", "\n", "  ", "    ", "\t", "#", "|", ">-"),
    *("'", '"', "\\ud800", "\\udfff", "\\ud83d\\ude00", "\\0", "\\x01", "\x01", "\x7f"),
    *("!!int ", "!!float ", "!!bool ", "!!null ", "!!str ", "!!map ", "!!seq ", "!!binary "),
    *("!!timestamp ", "!!omap ", "!!set ", "!foo ", "!!python/object:os.system "),
    *("&a ", "&b ", "*a", "*b", "<<: ", "---\n", "...\n", "%YAML 1.2\n---\n"),
    *(".nan", ".inf", "-.inf", "1e999", "0x", "0o9", "0x1F", "many", "maybe", "~", "null"),
    *("9" * 5000, "16:9", "true", "{{ x }}", "{{ name }}", "{% if %}", '{{ "\\ud800" }}'),
    *("version: 1\n", "version: 2\n", "model: gemini-2.5-flash\n", "turns:\n", "prompt: hi"),
    *("images: ", "ref.png", "cut.png", "refs/*.png", "{path: '**/*'}", "config: ", "vars: "),
    *("matrix: ", "expect: ", "safety: ", "tools: ", "system: ", "temperature: ", "x: "),
    *("imageConfig: ", "aspectRatio: ", "google_search", "a\0b.png", "../" * 3, "n" * 300),
]
yaml_pieces = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


def _mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    for position, cut, piece in edits:
        at = position % (len(text) + 1)
        text = text[:at] + piece + text[at + cut % 8 :]
    return text


EXAMPLE_TEXTS = sorted(p.read_text(encoding="utf-8") for p in EXAMPLES.glob("*.yaml"))
mutated = st.builds(
    _mutate,
    st.sampled_from(EXAMPLE_TEXTS),
    st.lists(
        st.tuples(st.integers(0, 5000), st.integers(0, 7), st.sampled_from(PIECES)), max_size=6
    ),
)

MODELS = load_catalog().names()
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),  # NaN and infinity included
    st.text(max_size=20),
    st.sampled_from(["{{ x }}", "{{ name }}", "16:9", "ref.png", "cut.png", "2K", "IMAGE"]),
    st.sampled_from(MODELS),
)
KEYS = [
    *("version", "name", "description", "model", "vars", "matrix", "system", "config"),
    *("safety", "tools", "turns", "prompt", "images", "expect", "path", "x"),
    *("imageConfig", "aspectRatio", "imageSize", "responseModalities", "temperature"),
    *("thinkingConfig", "thinkingBudget", "mime_type", "aspect_ratio", "size", "grounded"),
    *("HARM_CATEGORY_HARASSMENT", "googleSearch", "parts", "text", "inlineData", "data"),
]
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=12,
)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value of the right kind most of the time, anything now and then."""
    return st.integers(0, 19).flatmap(lambda n: bad if n == 0 else good)


names = st.sampled_from(["x", "y", "name", "1x"])
words = st.text("abc xyz{}%", min_size=1, max_size=8)
image_entries = st.sampled_from(
    ["ref.png", "cut.png", "refs/*.png", "missing.png", "a\0.png", "../ref.png"]
) | st.builds(lambda p: {"path": p}, st.sampled_from(["*.png", "**/*", "refs/*", "[", "x*"]))
config = st.fixed_dictionaries(
    {},
    optional={
        "temperature": mostly(st.floats(0, 2), scalars),
        "candidateCount": mostly(st.integers(1, 4), scalars),
        "responseModalities": mostly(st.lists(st.sampled_from(["TEXT", "IMAGE", "x"])), values),
        "imageConfig": mostly(
            st.fixed_dictionaries(
                {}, optional={"aspectRatio": st.sampled_from(["1:1", "16:9", "{{ x }}", "7:3"])}
            ),
            values,
        ),
        "thinking_config": values,
    },
)
expect = st.fixed_dictionaries(
    {},
    optional={
        "images": mostly(st.integers(0, 2), scalars),
        "aspect_ratio": mostly(st.sampled_from(["1:1", "16:9", "{{ x }}"]), scalars),
        "text_contains": mostly(st.lists(words, max_size=2), values),
        "text_matches": mostly(st.sampled_from(["a+", "(", "{{ y }}"]), scalars),
        "finish_reason": st.sampled_from(["STOP", "stop", "NOPE"]),
        "size": st.sampled_from(["1024x1024", "0x0", "big"]),
    },
)
turns = st.lists(
    st.fixed_dictionaries(
        {"prompt": mostly(words | st.sampled_from(["{{ x }}", "a {{ y }}", "{{ turn }}"]), values)},
        optional={
            "images": mostly(st.lists(image_entries, max_size=3), values),
            "config": mostly(config, values),
            "expect": mostly(expect, values),
        },
    ),
    min_size=1,
    max_size=3,
)
recipes = st.fixed_dictionaries(
    {
        "version": mostly(st.just(1), st.sampled_from([2, "1", None])),
        "model": mostly(st.sampled_from(MODELS), scalars),
        "turns": mostly(turns, values),
    },
    optional={
        "name": mostly(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), values),
        "vars": mostly(st.dictionaries(names, scalars, max_size=3), values),
        "matrix": mostly(
            st.dictionaries(
                names, st.lists(scalars, min_size=1, max_size=3), min_size=1, max_size=2
            ),
            values,
        ),
        "system": mostly(words, values),
        "config": mostly(config, values),
        "safety": mostly(st.just({"HARM_CATEGORY_HARASSMENT": "BLOCK_NONE"}), values),
        "tools": mostly(st.lists(st.sampled_from(["google_search", "url_context", "x"])), values),
    },
)


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(text=st.text(max_size=200))
def test_random_characters(text: str) -> None:
    check(text.encode("utf-8"))


@FUZZ
@given(text=yaml_pieces, depth=st.integers(0, 3))
def test_yaml_of_random_pieces(text: str, depth: int) -> None:
    nested = "[" * (40 * depth) + text + "]" * (40 * depth)
    check(nested.encode("utf-8", "surrogatepass"))


@FUZZ
@given(text=mutated)
def test_mutated_example_recipes(text: str) -> None:
    check(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    recipe=recipes,
    cli_vars=st.dictionaries(st.sampled_from(["x", "name", "1x"]), st.text(max_size=5)),
)
def test_recipe_shaped_documents(recipe: dict[str, Any], cli_vars: dict[str, str]) -> None:
    check(yaml.safe_dump(recipe, allow_unicode=True).encode("utf-8"), cli_vars)
