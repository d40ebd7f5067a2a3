"""`--var` mistakes are never silent: bad names are errors, unused ones warnings, and a bad value
says it came from --var."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.test_recipe_loader import write
from wisdomgate.errors import RecipeErrors
from wisdomgate.recipe.loader import load_plans, validate_paths

RECIPE = """
    version: 1
    model: gemini-2.5-flash-image
    vars: {subject: apple, aspect: "1:1"}
    matrix: {style: [pencil, ink]}
    config: {imageConfig: {aspectRatio: "{{ aspect }}"}}
    turns: [{prompt: "{{ subject }}"}]
"""


@pytest.mark.parametrize("name", ["a b", "1st", "sub-ject", ""])
def test_a_var_name_templates_cannot_use_is_an_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(RecipeErrors) as caught:
        load_plans([write(tmp_path, "r.yaml", RECIPE)], cli_vars={name: "1"})
    [error] = caught.value.errors
    assert error.message == f"--var {name}: '{name}' is not a variable name templates can use"


def test_an_unused_var_is_a_warning_with_the_closest_variable(tmp_path: Path) -> None:
    report = validate_paths([write(tmp_path, "r.yaml", RECIPE)], cli_vars={"subjet": "pear"})
    assert report.ok
    [warning] = report.warnings
    assert str(warning) == (
        "warning: --var subjet=pear is used by no template and no matrix axis"
        " (fix: did you mean 'subject'?)"
    )


def test_an_unused_var_without_a_close_name_lists_the_variables(tmp_path: Path) -> None:
    report = validate_paths([write(tmp_path, "r.yaml", RECIPE)], cli_vars={"zzz": "1"})
    [warning] = report.warnings
    assert warning.fix == "the recipes' variables are aspect, style, subject"


def test_run_logs_the_unused_var_warning_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        plans = load_plans([write(tmp_path, "r.yaml", RECIPE)], cli_vars={"subjet": "pear"})
    assert len(plans) == 2
    assert "--var subjet=pear is used by no template" in caplog.text


@pytest.mark.parametrize("name", ["subject", "style"])
def test_a_var_used_by_a_template_or_pinning_an_axis_is_no_warning(
    tmp_path: Path, name: str
) -> None:
    report = validate_paths([write(tmp_path, "r.yaml", RECIPE)], cli_vars={name: "x"})
    assert report.warnings == ()


def test_a_bad_value_from_a_var_says_it_came_from_the_var(tmp_path: Path) -> None:
    report = validate_paths([write(tmp_path, "r.yaml", RECIPE)], cli_vars={"aspect": "7:3"})
    [error] = report.errors
    assert error.field == "config.imageConfig.aspectRatio"
    assert error.message.startswith("aspectRatio '7:3' is not one of 1:1, ")
    assert error.message.endswith(" (the value comes from --var aspect=7:3)")


def test_a_bad_value_written_in_the_recipe_does_not_blame_a_var(tmp_path: Path) -> None:
    recipe = write(tmp_path, "r.yaml", RECIPE.replace('"1:1"', '"7:3"'))
    [error] = validate_paths([recipe], cli_vars={"subject": "pear"}).errors
    assert "--var" not in error.message
