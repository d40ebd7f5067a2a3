"""Recipes that are valid: what load_plans makes of them (config merge, matrix, images, ...)."""

from __future__ import annotations

import io
import logging
import textwrap
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from wisdomgate.errors import RecipeError, RecipeErrors
from wisdomgate.recipe.loader import find_recipe_files, load_plans, validate_paths
from wisdomgate.recipe.plan import PlannedRun


def write(folder: Path, name: str, text: str) -> Path:
    """Write a recipe (dedented) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def image(path: Path, kind: str = "PNG", color: tuple[int, int, int] = (10, 20, 30)) -> bytes:
    """Write a tiny image of the given Pillow format to path; returns its bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buffer, format=kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def one(paths: list[Path], **kwargs: Any) -> PlannedRun:
    plans = load_plans(paths, **kwargs)
    assert len(plans) == 1
    return plans[0]


CAMEL = """
    version: 1
    model: gemini-3-pro-image-preview
    config:
      responseModalities: [TEXT, IMAGE]
      imageConfig: {aspectRatio: "16:9", imageSize: 2K}
      thinkingConfig: {includeThoughts: true}
      maxOutputTokens: 2048
    turns:
      - prompt: a red apple
"""
SNAKE = """
    version: 1
    model: gemini-3-pro-image-preview
    config:
      response_modalities: [TEXT, IMAGE]
      image_config: {aspect_ratio: 16:9, image_size: 2K}
      thinking_config: {include_thoughts: true}
      max_output_tokens: 2048
    turns:
      - prompt: a red apple
"""


def test_snake_case_and_camel_case_config_give_the_same_request(tmp_path: Path) -> None:
    camel = one([write(tmp_path / "a", "r.yaml", CAMEL)]).turns[0].generation_config
    snake = one([write(tmp_path / "b", "r.yaml", SNAKE)]).turns[0].generation_config
    assert camel is not None and snake is not None
    assert camel.to_wire() == snake.to_wire()
    assert camel.to_wire() == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
        "thinkingConfig": {"includeThoughts": True},
        "maxOutputTokens": 2048,
    }


def test_turn_config_is_deep_merged_over_the_recipe_config(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: gemini-3-pro-image-preview
        config:
          temperature: 0.5
          responseModalities: [TEXT, IMAGE]
          imageConfig: {aspectRatio: "16:9", imageSize: 1K}
        turns:
          - prompt: first
          - prompt: second
            config:
              image_config: {image_size: 4K}
              responseModalities: [IMAGE]
          - prompt: third
        """,
    )
    turns = one([recipe]).turns
    wires = [t.generation_config.to_wire() for t in turns if t.generation_config]
    assert (
        wires[0]
        == wires[2]
        == {
            "temperature": 0.5,
            "responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": "16:9", "imageSize": "1K"},
        }
    )
    assert wires[1] == {
        "temperature": 0.5,
        "responseModalities": ["IMAGE"],  # lists are replaced, not merged
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "4K"},
    }


MATRIX = """
    version: 1
    name: lighthouse
    model: gemini-2.5-flash-image
    vars: {subject: a lighthouse, style: ignored, mood: calm}
    matrix:
      style: [pencil sketch, watercolour]
      aspect: ["1:1", 16:9]
    config:
      imageConfig: {aspectRatio: "{{ aspect }}"}
    turns:
      - prompt: "{{ subject }} as a {{ style }}, {{ mood }} ({{ name }} {{ run }} turn {{ turn }})"
        expect: {aspect_ratio: "{{ aspect }}"}
      - prompt: "turn {{ turn }}"
"""


def test_matrix_runs_in_declared_order_with_stable_ids(tmp_path: Path) -> None:
    plans = load_plans([write(tmp_path, "m.yaml", MATRIX)])
    assert [p.run_id for p in plans] == [
        "style=pencil sketch,aspect=1:1",
        "style=pencil sketch,aspect=16:9",
        "style=watercolour,aspect=1:1",
        "style=watercolour,aspect=16:9",
    ]
    last = plans[-1]
    assert last.recipe_name == "lighthouse"
    assert last.turns[0].prompt == (
        "a lighthouse as a watercolour, calm (lighthouse style=watercolour,aspect=16:9 turn 1)"
    )
    assert last.turns[1].prompt == "turn 2"
    assert last.turns[0].expect.aspect_ratio == "16:9"
    config = last.turns[0].generation_config
    assert config is not None and config.to_wire() == {"imageConfig": {"aspectRatio": "16:9"}}
    assert dict(last.variables) == {
        "subject": "a lighthouse",
        "style": "watercolour",  # the matrix beats vars
        "mood": "calm",
        "aspect": "16:9",
        "name": "lighthouse",
        "run": "style=watercolour,aspect=16:9",
    }


def test_cli_vars_beat_matrix_and_vars_and_pin_a_matrix_axis(tmp_path: Path) -> None:
    cli = {"mood": "stormy", "aspect": "16:9"}
    plans = load_plans([write(tmp_path, "m.yaml", MATRIX)], cli_vars=cli)
    assert [p.run_id for p in plans] == [
        "style=pencil sketch,aspect=16:9",
        "style=watercolour,aspect=16:9",
    ]
    assert all(p.variables["mood"] == "stormy" for p in plans)


def test_a_recipe_without_matrix_has_one_default_run_named_after_the_file(tmp_path: Path) -> None:
    plan = one([write(tmp_path, "apple-still-life.yaml", CAMEL)])
    assert (plan.run_id, plan.recipe_name, plan.model) == (
        "default",
        "apple-still-life",
        "gemini-3-pro-image-preview",
    )
    assert plan.recipe_path == tmp_path / "apple-still-life.yaml"
    assert len(plan.recipe_sha256) == 64
    assert (plan.system_instruction, plan.safety_settings, plan.tools) == (None, None, None)


def test_system_safety_and_tools_in_both_forms(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: gemini-2.5-flash
        vars: {tone: dry}
        system: "Answer in a {{ tone }} tone."
        safety:
          HARM_CATEGORY_HARASSMENT: BLOCK_ONLY_HIGH
          HARM_CATEGORY_DANGEROUS_CONTENT: OFF
        tools: [google_search, urlContext, {code_execution: {}}]
        turns:
          - prompt: hi
        """,
    )
    plan = one([recipe])
    assert plan.system_instruction is not None
    assert plan.system_instruction.to_wire() == {"parts": [{"text": "Answer in a dry tone."}]}
    assert [s.to_wire() for s in plan.safety_settings or ()] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"},
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "OFF"},
    ]
    assert [t.to_wire() for t in plan.tools or ()] == [
        {"googleSearch": {}},
        {"urlContext": {}},
        {"codeExecution": {}},
    ]
    listed = write(
        tmp_path / "b",
        "r.yaml",
        """
        version: 1
        model: gemini-2.5-flash
        system: {parts: [{text: be brief}]}
        safety: [{category: HARM_CATEGORY_HARASSMENT, threshold: BLOCK_NONE}]
        turns: [{prompt: hi}]
        """,
    )
    plan = one([listed])
    assert plan.system_instruction is not None
    assert plan.system_instruction.to_wire() == {"parts": [{"text": "be brief"}]}
    assert [s.to_wire() for s in plan.safety_settings or ()] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}
    ]


def test_globs_are_sorted_and_types_come_from_the_content(tmp_path: Path) -> None:
    image(tmp_path / "refs" / "b.png")
    image(tmp_path / "refs" / "a.png")
    jpeg = image(tmp_path / "refs" / "c.png", "JPEG")  # a JPEG with a .png name
    image(tmp_path / "refs" / "deep" / "d.webp", "WEBP")
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: gemini-3-pro-image-preview
        turns:
          - prompt: edit
            images:
              - {path: refs/*.png}
              - {path: "refs/**/*.webp"}
              - refs/a.png
        """,
    )
    images = one([recipe]).turns[0].images
    assert [i.path.name for i in images] == ["a.png", "b.png", "c.png", "d.webp", "a.png"]
    assert [i.mime_type for i in images] == [
        "image/png",
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/png",
    ]
    import hashlib

    assert images[2].sha256 == hashlib.sha256(jpeg).hexdigest()
    assert images[2].size_bytes == len(jpeg)


def test_image_paths_may_leave_the_root_only_when_allowed(tmp_path: Path) -> None:
    image(tmp_path / "shared" / "x.png")
    recipe = write(
        tmp_path / "recipes",
        "r.yaml",
        """
        version: 1
        model: gemini-3-pro-image-preview
        turns: [{prompt: edit, images: [../shared/x.png]}]
        """,
    )
    with pytest.raises(RecipeErrors, match="is outside the root folder"):
        load_plans([tmp_path / "recipes"])
    assert one([tmp_path / "recipes"], allow_outside_root=True).turns[0].images[0].path == (
        tmp_path / "shared" / "x.png"
    )
    assert one([tmp_path]).turns[0].images  # the root is the folder given: tmp_path holds both
    assert recipe.exists()


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    image(tmp_path / "secret.png")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link.png").symlink_to(tmp_path / "secret.png")
    write(tmp_path / "root", "r.yaml", "version: 1\nmodel: gemini-2.5-flash-image\n"
          "turns: [{prompt: edit, images: [link.png]}]\n")  # fmt: skip
    with pytest.raises(RecipeErrors, match="outside the root"):
        load_plans([tmp_path / "root"])


def test_only_selects_recipes_and_runs(tmp_path: Path) -> None:
    write(tmp_path, "m.yaml", MATRIX)
    write(tmp_path, "apple.yaml", CAMEL)
    assert [p.recipe_name for p in load_plans([tmp_path], only="apple")] == ["apple"]
    runs = load_plans([tmp_path], only="lighthouse/style=watercolour,*")
    assert [p.run_id for p in runs] == [
        "style=watercolour,aspect=1:1",
        "style=watercolour,aspect=16:9",
    ]
    assert len(load_plans([tmp_path], only="*")) == 5
    with pytest.raises(RecipeErrors, match="no recipe matches --only 'pear'"):
        load_plans([tmp_path], only="pear")


def test_only_ignores_broken_recipes_that_are_not_selected(tmp_path: Path) -> None:
    write(tmp_path, "apple.yaml", CAMEL)
    write(tmp_path, "broken.yaml", "version: 1\nmodel: nope nope\n")
    assert [p.recipe_name for p in load_plans([tmp_path], only="apple")] == ["apple"]
    with pytest.raises(RecipeErrors):
        load_plans([tmp_path])


def test_every_problem_of_a_file_is_reported_in_file_order(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: gemini-3-pro-image-preview
        colour: red
        config:
          imageConfig: {imageSize: 8K, aspectRatio: "7:3"}
        turns:
          - prompt: "{{ nothing }}"
            expect: {finish_reason: DONE, size: big}
        """,
    )
    with pytest.raises(RecipeErrors) as caught:
        load_plans([recipe])
    found = [(e.line, e.field) for e in caught.value.errors]
    assert found == [
        (3, "colour"),
        (5, "config.imageConfig.imageSize"),
        (5, "config.imageConfig.aspectRatio"),
        (7, "turns[0].prompt"),
        (8, "turns[0].expect.finish_reason"),
        (8, "turns[0].expect.size"),
    ]
    assert len(caught.value) == 6
    assert str(caught.value).count("\n") == 5


def test_problems_in_some_matrix_cells_name_those_runs(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: "{{ model }}"
        matrix:
          model: [gemini-3-pro-image-preview, gemini-2.5-flash-image]
        config:
          imageConfig: {imageSize: 4K}
        turns: [{prompt: apple}]
        """,
    )
    with pytest.raises(RecipeErrors) as caught:
        load_plans([recipe])
    (error,) = caught.value.errors
    assert error.message == (
        "imageSize '4K' is not one of 1K, 2K for gemini-2.5-flash-image"
        " [run model=gemini-2.5-flash-image]"
    )


def test_an_unknown_but_plausible_model_id_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    recipe = write(
        tmp_path, "r.yaml", "version: 1\nmodel: gemini-9-ultra-image\nturns: [{prompt: hi}]\n"
    )
    with caplog.at_level(logging.WARNING):
        assert one([recipe]).model == "gemini-9-ultra-image"
    assert "is not in the catalog" in caplog.text
    report = validate_paths([recipe])
    assert report.ok and len(report.warnings) == 1
    assert report.warnings[0].severity == "warning"
    assert ": warning: model: model 'gemini-9-ultra-image'" in str(report.warnings[0])


def test_two_recipes_with_one_name_collide(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        "version: 1\nname: same\nmodel: gemini-2.5-flash\nturns: [{prompt: a}]\n",
    )
    write(
        tmp_path,
        "b.yaml",
        "version: 1\nname: same\nmodel: gemini-2.5-flash\nturns: [{prompt: b}]\n",
    )
    with pytest.raises(RecipeErrors, match="recipe name 'same' is also used by") as caught:
        load_plans([tmp_path])
    assert caught.value.errors[0].path == tmp_path / "b.yaml"
    assert (caught.value.errors[0].line, caught.value.errors[0].column) == (2, 7)


def test_find_recipe_files_is_recursive_sorted_and_skips_hidden_folders(tmp_path: Path) -> None:
    for name in ["b.yaml", "a.yml", "sub/c.yaml", ".hidden/d.yaml", "notes.txt"]:
        write(tmp_path, name, CAMEL)
    assert find_recipe_files([tmp_path, tmp_path / "b.yaml"]) == [
        tmp_path / "a.yml",
        tmp_path / "b.yaml",
        tmp_path / "sub" / "c.yaml",
    ]
    with pytest.raises(RecipeErrors, match="no such file or folder"):
        find_recipe_files([tmp_path / "missing"])


def test_load_plans_without_recipe_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RecipeErrors, match="no recipe files"):
        load_plans([tmp_path])


def test_validate_paths_reports_each_file(tmp_path: Path) -> None:
    write(tmp_path, "m.yaml", MATRIX)
    write(tmp_path, "v2.yaml", "version: 2\nmodel: x\n")
    report = validate_paths([tmp_path, tmp_path / "missing.yaml"])
    by_name = {f.path.name: f for f in report.files}
    assert by_name["m.yaml"].ok and by_name["m.yaml"].runs == 4
    assert by_name["m.yaml"].version == 1 and by_name["m.yaml"].name == "lighthouse"
    assert by_name["m.yaml"].migration == "format version 1, the current one: nothing to migrate"
    assert not by_name["v2.yaml"].ok and by_name["v2.yaml"].version is None
    assert by_name["missing.yaml"].errors[0].message == "no such file or folder"
    assert not report.ok and len(report.errors) == 2


def test_reserved_names_cannot_be_given_on_the_command_line(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", CAMEL)
    with pytest.raises(RecipeErrors, match="--var turn: 'turn' is set by wisdomgate"):
        load_plans([tmp_path], cli_vars={"turn": "3"})


def test_templates_are_sandboxed(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: gemini-2.5-flash
        turns: [{prompt: "{{ ''.__class__.__mro__[1].__subclasses__() }}"}]
        """,
    )
    with pytest.raises(RecipeErrors, match="template error: access to attribute '__class__'"):
        load_plans([recipe])


def test_expectations_are_parsed(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: gemini-3-pro-image-preview
        tools: [google_search]
        config: {imageConfig: {aspectRatio: "1:1", imageSize: 1K}}
        turns:
          - prompt: apple
            expect:
              images: 2
              mime_type: image/png
              aspect_ratio: "1:1"
              size: 1024x1024
              text_contains: apple
              text_matches: "(?i)red"
              finish_reason: STOP
              grounded: true
              max_total_tokens: 5000
        """,
    )
    expect = one([recipe]).turns[0].expect
    assert expect.size == (1024, 1024)
    assert expect.text_contains == ("apple",)
    assert (expect.images, expect.grounded, expect.max_total_tokens) == (2, True, 5000)
    assert (expect.finish_reason, expect.text_matches) == ("STOP", "(?i)red")


def test_impossible_size_expectation_is_a_warning(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: gemini-3-pro-image-preview
        config: {imageConfig: {aspectRatio: "16:9", imageSize: 1K}}
        turns: [{prompt: apple, expect: {size: 1024x1024}}]
        """,
    )
    report = validate_paths([recipe])
    assert report.ok
    (warning,) = report.warnings
    assert warning.message.startswith("size 1024x1024 can never match")
    assert warning.fix is not None and warning.fix.startswith("expect ")


def test_recipe_error_text() -> None:
    error = RecipeError(
        "imageSize '8K' is not one of 1K, 2K, 4K for gemini-3-pro-image-preview",
        path=Path("recipes/butterfly.yaml"),
        line=14,
        column=18,
        field="turns[1].config.imageConfig.imageSize",
        fix="use one of 1K, 2K, 4K",
    )
    assert str(error) == (
        "recipes/butterfly.yaml:14:18: turns[1].config.imageConfig.imageSize: imageSize '8K' is"
        " not one of 1K, 2K, 4K for gemini-3-pro-image-preview (fix: use one of 1K, 2K, 4K)"
    )


def test_an_error_without_a_file_has_no_location() -> None:
    assert str(RecipeError("no recipe files", fix="check the path")) == (
        "no recipe files (fix: check the path)"
    )
