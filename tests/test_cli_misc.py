"""`wisdomgate validate`, `schema`, `serve` and the parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wisdomgate import cli
from wisdomgate.cli.arguments import build_parser

RECIPES = Path(__file__).resolve().parent.parent / "recipes"


def test_schema_prints_the_recipe_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "turns" in schema["properties"]


def test_validate_accepts_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(RECIPES)]) == 0
    assert "sunset" in capsys.readouterr().out


def test_validate_reports_problems_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = tmp_path / "typo.yaml"
    recipe.write_text("version: 1\nmodel: gemini-2.5-flash\nturns:\n  - promt: hi\n", "utf-8")
    assert cli.main(["validate", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert "typo.yaml" in err and "Traceback" not in err


def test_a_missing_path_exits_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_no_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([])
    assert exited.value.code == 2


def test_a_malformed_var_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "recipes", "--var", "novalue"])
    assert exited.value.code == 2


def test_serve_takes_the_simulators_options() -> None:
    args = build_parser().parse_args(["serve", "--port", "0", "--accept-any-key"])
    assert (args.command, args.port, args.accept_any_key) == ("serve", 0, True)


def test_schema_prints_exactly_the_committed_file(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    # `wisdomgate schema > schemas/recipe.schema.json` must leave the file unchanged
    assert cli.main(["schema"]) == 0
    committed = (RECIPES.parent / "schemas" / "recipe.schema.json").read_bytes()
    assert capsysbinary.readouterr().out == committed


@pytest.mark.parametrize("folder", ["empty", "looks-like.yaml"])
def test_validate_without_recipe_files_exits_2_as_run_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str
) -> None:
    (tmp_path / folder).mkdir()
    assert cli.main(["validate", str(tmp_path / folder)]) == 2
    assert capsys.readouterr().err.startswith(f"no recipe files (*.yaml, *.yml) in {tmp_path}")


def test_an_invalid_var_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(RECIPES), "--var", "a b=1"]) == 2
    assert "--var a b: 'a b' is not a variable name" in capsys.readouterr().err


def test_validate_prints_an_unused_var_warning_and_passes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["validate", str(RECIPES / "sunset.yaml"), "--var", "typo=1"]) == 0
    assert "warning: --var typo=1 is used by no template" in capsys.readouterr().err


def test_serve_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--port", "99999"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "expected a port number 0..65535, got '99999'" in err and "Traceback" not in err


def test_models_lists_every_catalog_model_with_its_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from wisdomgate.catalog import load_catalog

    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    for model in load_catalog().models():
        assert f"{model.name}  ({model.kind})" in out
    assert "aspect ratios: 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9" in out
    assert "reference images: at most 14" in out


def test_the_schema_points_at_a_command_that_exists() -> None:
    schema = json.loads((RECIPES.parent / "schemas" / "recipe.schema.json").read_text("utf-8"))
    assert "`wisdomgate models`" in schema["properties"]["model"]["description"]
    assert build_parser().parse_args(["models"]).command == "models"
