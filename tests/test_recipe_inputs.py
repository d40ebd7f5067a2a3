"""Input hardening, by class: inputs a corpus file cannot hold (odd bytes, symlinks, long or
undecodable names, very deep nesting, argv) are recipe errors with their place and fix."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tests.test_recipe_broken import heic_bytes, image_bytes
from wisdomgate.errors import RecipeError, RecipeErrors
from wisdomgate.recipe import image_decode
from wisdomgate.recipe.loader import load_plans, validate_paths

HEAD = "version: 1\nmodel: gemini-3-pro-image-preview\n"
UNDECODABLE = os.fsdecode(b"caf\xe9")  # Latin-1 bytes: not UTF-8, so surrogateescape


def write(folder: Path, body: str, name: str = "r.yaml") -> Path:
    path = folder / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def only_error(path: Path) -> RecipeError:
    report = validate_paths([path])
    assert len(report.errors) == 1, "\n".join(map(str, report.errors))
    return report.errors[0]


def assert_refused(paths: list[Path], text: str) -> None:
    """validate reports it and load_plans raises it: RecipeErrors, nothing else."""
    assert any(text in str(e) for e in validate_paths(paths).errors)
    with pytest.raises(RecipeErrors, match=text):
        load_plans(paths)


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f", "\ufffe"])
def test_a_control_character_is_reported_at_its_line_column_and_field(
    tmp_path: Path, char: str
) -> None:
    path = write(tmp_path, f"turns:\n  - prompt: a red{char} apple\n")
    error = only_error(path)
    assert (error.line, error.column, error.field) == (4, 18, "turns[0].prompt")
    assert f"U+{ord(char):04X}" in error.message and "position" not in error.message
    assert error.fix is not None and "escape" in error.fix


def test_a_control_character_in_a_comment_has_a_place_but_no_field(tmp_path: Path) -> None:
    path = write(tmp_path, "# note\x02\nturns: [{prompt: hi}]\n")
    error = only_error(path)
    assert (error.line, error.column, error.field) == (3, 7, "")


def test_bytes_that_are_not_utf8_get_a_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"version: 1\nmodel: caf\xe9\n")
    error = only_error(path)
    assert (error.line, error.column) == (2, 11)


DEEP = {
    "flow list": "vars:\n  v: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "flow mapping": "config: " + "{a: " * 10_000 + "x" + "}" * 10_000 + "\n",
    "block lists": "turns:\n" + "- " * 10_000 + "x\n",
    "block mapping": "config:\n" + "".join(" " * i + "a:\n" for i in range(1, 1200)),
    "key": "vars: {" + "[" * 5_000 + "]" * 5_000 + ": x}\n",
    "anchor": "turns: [{prompt: hi}]\nvars: &a {x: [*a, *a]}\n",
}


@pytest.mark.parametrize("body", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_is_refused_early_with_the_line_of_the_deep_node(
    tmp_path: Path, body: str
) -> None:
    error = only_error(write(tmp_path, body))
    assert "levels deep" in error.message
    assert error.line is not None and error.line >= 3 and error.fix
    with pytest.raises(RecipeErrors):
        load_plans([tmp_path / "r.yaml"])


def test_nesting_up_to_the_limit_is_checked_by_every_walker_without_recursion_trouble(
    tmp_path: Path,
) -> None:
    schema = "{type: STRING}"
    for _ in range(25):  # a function's parameters nested ~55 levels deep, as a schema may be
        schema = f"{{type: OBJECT, properties: {{a: {schema}}}}}"
    tools = (
        f"tools: [{{functionDeclarations: [{{name: f, description: d, parameters: {schema}}}]}}]\n"
    )
    config = "config: " + "{a: " * 55 + "x" + "}" * 55 + "\n"
    body = "model: gemini-2.5-flash\n" + tools + config + "turns:\n  - prompt: hi\n"
    path = tmp_path / "r.yaml"
    path.write_text("version: 1\n" + body)
    errors = validate_paths([path]).errors
    assert [e.field for e in errors] == ["config.a"], errors  # only the unknown key


# X becomes a double-quoted YAML text holding the escape of a lone surrogate.
FIELDS = {
    "prompt": ("turns:\n  - prompt: X\n", "turns[0].prompt"),
    "vars": ("vars: {v: X}\nturns: [{prompt: hi}]\n", "vars.v"),
    "matrix": ("matrix: {v: [a, X]}\nturns: [{prompt: hi}]\n", "matrix.v[1]"),
    "image": ("turns:\n  - {prompt: hi, images: [X]}\n", "turns[0].images[0]"),
    "config": ("config: {imageConfig: {aspectRatio: X}}\nturns: [{prompt: hi}]\n", "config"),
    "system": ("system: X\nturns: [{prompt: hi}]\n", "system"),
    "safety": ("safety: {X: BLOCK_NONE}\nturns: [{prompt: hi}]\n", "safety"),
    "tools": ("tools: [X]\nturns: [{prompt: hi}]\n", "tools[0]"),
    "expect": ("turns:\n  - {prompt: hi, expect: {text_contains: [X]}}\n", "turns[0].expect"),
    "name": ("name: X\nturns: [{prompt: hi}]\n", "name"),
}


@pytest.mark.parametrize(("body", "field"), FIELDS.values(), ids=FIELDS.keys())
def test_a_lone_surrogate_is_refused_in_any_field(tmp_path: Path, body: str, field: str) -> None:
    path = write(tmp_path, body.replace("X", '"a\\ud800b"'))
    error = only_error(path)
    assert "lone surrogate" in error.message
    assert error.field.startswith(field) and error.line is not None
    str(error).encode("utf-8")  # printable, whatever it quotes


def test_a_lone_surrogate_in_the_model_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text('version: 1\nmodel: "gemini\\udcff"\nturns: [{prompt: hi}]\n')
    error = only_error(path)
    assert (error.field, error.line) == ("model", 2)


def test_a_pair_of_surrogate_escapes_is_one_character(tmp_path: Path) -> None:
    path = write(tmp_path, 'turns:\n  - prompt: "smile \\ud83d\\ude00"\n')
    (plan,) = load_plans([path])
    assert plan.turns[0].prompt == "smile \U0001f600"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [("subject", UNDECODABLE, "--var subject: the value"), (UNDECODABLE, "x", "the name")],
)
def test_a_cli_var_with_undecodable_bytes_is_an_error_naming_it(
    tmp_path: Path, name: str, value: str, says: str
) -> None:
    path = write(tmp_path, "turns:\n  - prompt: '{{ subject }}'\n")
    cli_vars = {"subject": "x", name: value}
    report = validate_paths([path], cli_vars=cli_vars)
    assert any(says in e.message and "not UTF-8" in e.message for e in report.errors)
    with pytest.raises(RecipeErrors) as caught:
        load_plans([path], cli_vars=cli_vars)
    str(caught.value).encode("utf-8")


def test_a_recipe_with_an_undecodable_name_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "turns: [{prompt: hi}]\n", name=f"{UNDECODABLE}.yaml")
    error = only_error(path)
    assert "not UTF-8" in error.message and "\\xe9" in str(error)
    assert_refused([tmp_path], "not UTF-8")


def test_a_folder_with_an_undecodable_name_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / UNDECODABLE
    folder.mkdir()
    write(folder, "turns: [{prompt: hi}]\n")
    assert_refused([folder], "not UTF-8")


def test_an_image_with_an_undecodable_name_found_by_a_glob_is_refused(tmp_path: Path) -> None:
    (tmp_path / f"{UNDECODABLE}.png").write_bytes(image_bytes("PNG"))
    path = write(tmp_path, "turns:\n  - {prompt: hi, images: [{path: '*.png'}]}\n")
    error = only_error(path)
    assert error.field == "turns[0].images[0].path" and "not UTF-8" in error.message


def test_a_recipe_symlink_loop_is_an_error_given_or_found(tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    assert_refused([tmp_path / "loop.yaml"], "loop of symbolic links")
    assert_refused([tmp_path], "loop of symbolic links")


def test_a_folder_symlink_loop_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    assert_refused([tmp_path / "a"], "loop of symbolic links")


def test_a_name_longer_than_the_system_allows_is_an_error(tmp_path: Path) -> None:
    assert_refused([tmp_path / ("n" * 300 + ".yaml")], "longer than the file system allows")


def test_a_valid_heic_reference_decodes(tmp_path: Path) -> None:
    (tmp_path / "ref.heic").write_bytes(heic_bytes())
    path = write(tmp_path, "turns:\n  - {prompt: hi, images: [ref.heic]}\n")
    (plan,) = load_plans([path])
    assert plan.turns[0].images[0].mime_type == "image/heic"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")


def test_a_decompression_bomb_is_refused_without_decoding_it() -> None:
    header = (40_000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])  # 40000x40000 RGB
    png = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IEND", b"")
    problem = image_decode.decode_problem(png, "image/png", "bomb")
    assert problem is not None and "too many pixels" in problem


def test_heif_without_a_decoder_gets_its_container_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_decode, "HEIF_DECODER", None)
    data = heic_bytes()
    assert image_decode.decode_problem(data, "image/heic", "no-decoder-ok") is None
    problem = image_decode.decode_problem(data[:-40], "image/heic", "no-decoder-cut")
    assert problem is not None and "truncated" in problem


def test_each_reference_is_decoded_once_per_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = image_decode._pillow_problem

    def counting(data: bytes, mime_type: str) -> str | None:
        calls.append(mime_type)
        return real(data, mime_type)

    monkeypatch.setattr(image_decode, "_pillow_problem", counting)
    monkeypatch.setattr(image_decode, "_decoded", type(image_decode._decoded)())
    Image.new("RGB", (8, 8), (1, 2, 3)).save(tmp_path / "ref.png")
    for name in ("a", "b"):  # two recipes, two models each (two size limits), one file twice
        (tmp_path / f"{name}.yaml").write_text(
            f"version: 1\nname: {name}\nmodel: '{{{{ m }}}}'\n"
            "matrix: {m: [gemini-3-pro-image-preview, gemini-2.5-flash-image]}\n"
            "turns:\n  - {prompt: hi, images: [ref.png, ref.png]}\n"
        )
    assert len(load_plans([tmp_path])) == 4
    assert calls == ["image/png"]


def test_a_recursive_glob_into_a_symlink_loop_is_an_error_not_a_long_walk(tmp_path: Path) -> None:
    # glob's ** follows links to folders; with two links to a parent it would walk 2**40 paths
    # (one here, so that a regression gives duplicates rather than a hang).
    (tmp_path / "refs" / "a").mkdir(parents=True)
    (tmp_path / "refs" / "a" / "x.png").write_bytes(image_bytes("PNG"))
    (tmp_path / "refs" / "a" / "up").symlink_to("..")
    body = "turns:\n  - {prompt: hi, images: [{path: 'refs/**/*.png'}, {path: 'refs/*/*.png'}]}\n"
    error = only_error(write(tmp_path, body))
    assert error.field == "turns[0].images[0].path"
    assert "loop of symbolic links at 'refs/a/up'" in error.message
