"""Run ids keep the matrix values as written, and `--only` finds runs by exact id first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_recipe_loader import write
from wisdomgate.errors import RecipeErrors
from wisdomgate.recipe.loader import load_plans, validate_paths

SLASHES = """
    version: 1
    name: paths
    model: gemini-2.5-flash
    matrix: {a: [x/y, x_y]}
    turns: [{prompt: "{{ a }}"}]
"""
BRACKETS = """
    version: 1
    name: globs
    model: gemini-2.5-flash
    matrix: {a: ["[x]", x]}
    turns: [{prompt: "{{ a }}"}]
"""


def test_matrix_values_are_kept_verbatim_in_run_ids(tmp_path: Path) -> None:
    plans = load_plans([write(tmp_path, "r.yaml", SLASHES)])
    assert [p.run_id for p in plans] == ["a=x/y", "a=x_y"]


def test_a_repeated_matrix_value_is_reported_once_as_a_repeat(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: gemini-2.5-flash
        matrix: {a: [x, x]}
        turns: [{prompt: "{{ a }}"}]
        """,
    )
    [error] = validate_paths([recipe]).errors
    assert error.message == "'x' appears twice in matrix axis 'a'"


def test_values_that_join_into_one_run_id_are_refused(tmp_path: Path) -> None:
    recipe = write(
        tmp_path,
        "r.yaml",
        """
        version: 1
        model: gemini-2.5-flash
        matrix: {a: ["x,b=y", x], b: [z, "y,b=z"]}
        turns: [{prompt: "{{ a }} {{ b }}"}]
        """,
    )
    [error] = validate_paths([recipe]).errors
    assert error.message == "two matrix cells get the same run id 'a=x,b=y,b=z'"
    assert error.fix == "take ',' and '=' out of the matrix values"


def test_only_selects_a_run_by_its_exact_id_before_reading_wildcards(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", BRACKETS)
    # as a wildcard, [x] is the class of one letter and would select the run a=x
    assert [p.run_id for p in load_plans([tmp_path], only="globs/a=[x]")] == ["a=[x]"]


def test_only_still_takes_wildcards(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", SLASHES)
    assert [p.run_id for p in load_plans([tmp_path], only="paths/a=x?y")] == ["a=x/y", "a=x_y"]


def test_only_with_a_run_that_does_not_exist_names_the_runs_there_are(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", SLASHES)
    with pytest.raises(RecipeErrors) as caught:
        load_plans([tmp_path], only="paths/a=z")
    [error] = caught.value.errors
    assert (
        error.message
        == "no run matches --only 'paths/a=z'; the runs are 'paths/a=x/y', 'paths/a=x_y'"
    )


def ratio_recipe(folder: Path, ratio: str) -> Path:
    """A one-turn image recipe whose only expectation is aspect_ratio: ratio."""
    return write(
        folder,
        "r.yaml",
        f"""
        version: 1
        model: gemini-3-pro-image-preview
        turns: [{{prompt: apple, expect: {{aspect_ratio: "{ratio}"}}}}]
        """,
    )


@pytest.mark.parametrize("ratio", ["16:9.5", "1.5:1", "4:3"])
def test_an_aspect_ratio_expectation_may_have_decimals(tmp_path: Path, ratio: str) -> None:
    recipe = ratio_recipe(tmp_path, ratio)
    assert validate_paths([recipe]).ok


@pytest.mark.parametrize("ratio", ["16:0", "16/9", "-1:2", "1e3:1"])
def test_an_aspect_ratio_expectation_must_be_positive_w_h(tmp_path: Path, ratio: str) -> None:
    recipe = ratio_recipe(tmp_path, ratio)
    [error] = validate_paths([recipe]).errors
    assert error.message == f"aspect_ratio '{ratio}' is not W:H"
