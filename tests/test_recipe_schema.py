"""The recipe JSON Schema: committed and current, and it agrees with the validator on examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from codegen.recipe_schema import main
from wisdomgate.recipe.loader import validate_paths
from wisdomgate.recipe.schema import EDITOR_COMMENT, SCHEMA_PATH, recipe_schema, render_schema
from wisdomgate.recipe.yaml_reader import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "recipes").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_the_committed_schema_is_current() -> None:
    assert SCHEMA_PATH == ROOT / "schemas" / "recipe.schema.json"
    assert SCHEMA_PATH.read_text() == render_schema(), "run: make regen"
    assert main(["--check"]) == 0


def test_rendering_is_deterministic() -> None:
    text = render_schema()
    assert text == render_schema() and text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    schema = recipe_schema()
    assert schema["$id"] == "urn:wisdomgate:recipe:v1"
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"  # what editors support
    assert schema["title"].startswith("wisdomgate recipe")


def test_check_fails_on_a_stale_file_and_write_fixes_it(tmp_path: Path) -> None:
    path = tmp_path / "recipe.schema.json"
    path.write_text("{}\n")
    assert main(["--check", "--path", str(path)]) == 1
    assert main(["--write", "--path", str(path)]) == 0
    assert main(["--check", "--path", str(path)]) == 0


def test_there_are_example_recipes() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("recipe", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_recipes_validate_and_match_the_schema(
    recipe: Path, validator: jsonschema.Draft7Validator
) -> None:
    assert recipe.read_text().splitlines()[0] == EDITOR_COMMENT
    errors = [e.message for e in validator.iter_errors(parse_yaml(recipe.read_text()).data)]
    assert errors == []
    report = validate_paths([recipe.parent])
    assert [str(e) for e in report.errors if e.path == recipe] == []


def _recipe(**extra: Any) -> dict[str, Any]:
    return {"version": 1, "model": "gemini-3-pro-image-preview", "turns": [{"prompt": "x"}]} | extra


@pytest.mark.parametrize(
    "recipe",
    [
        _recipe(config={"image_config": {"image_size": "2K"}, "response_modalities": ["IMAGE"]}),
        _recipe(config={"temperature": "{{ t }}", "thinkingConfig": {"thinkingLevel": "{{ l }}"}}),
        _recipe(safety={"HARM_CATEGORY_HARASSMENT": "OFF"}),
        _recipe(safety=[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]),
        _recipe(tools=["google_search", "urlContext", {"code_execution": {}}]),
        _recipe(system={"parts": [{"text": "be brief"}]}),
        _recipe(matrix={"aspect": ["1:1", "16:9"]}, vars={"n": 2, "flag": True}),
    ],
)
def test_the_schema_accepts_what_the_validator_accepts(
    recipe: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    assert [e.message for e in validator.iter_errors(recipe)] == []


@pytest.mark.parametrize(
    "recipe",
    [
        _recipe(colour="red"),
        _recipe(version=2),
        _recipe(config={"imageConfg": {}}),
        _recipe(config={"imageConfig": {"imageSze": "2K"}}),
        _recipe(config={"responseModalities": ["PICTURE"]}),
        _recipe(safety={"HARM_CATEGORY_DANGER": "OFF"}),
        _recipe(safety={"HARM_CATEGORY_HARASSMENT": "BLOCK_MOST"}),
        _recipe(tools=["google_serch"]),
        _recipe(turns=[]),
        _recipe(turns=[{"prompt": "x", "expect": {"sizee": "1x1"}}]),
        {"version": 1, "turns": [{"prompt": "x"}]},
    ],
)
def test_the_schema_refuses_what_the_validator_refuses(
    recipe: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    assert list(validator.iter_errors(recipe))
