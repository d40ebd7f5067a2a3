"""The plan estimate: requests, images by size and a USD range, from the recipe and the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli_run import write_recipe
from wisdomgate.recipe import load_plans
from wisdomgate.run import Estimate, PriceError, estimate_run, estimate_runs
from wisdomgate.run.prices import builtin_prices, parse_prices

TABLE = builtin_prices()


def estimate(folder: Path, body: str) -> Estimate:
    plans = load_plans([write_recipe(folder, "r", body)])
    return estimate_runs(plans, TABLE)


def test_an_image_is_priced_at_its_recipes_image_size(tmp_path: Path) -> None:
    found = estimate(
        tmp_path,
        "model: gemini-3-pro-image-preview\nconfig: {imageConfig: {imageSize: 4K}}\n"
        "turns:\n  - prompt: a kite\n",
    )
    assert found.images == {"4K": 1} and found.usd.low >= 0.24


def test_without_an_image_size_the_catalogs_default_size_is_priced(tmp_path: Path) -> None:
    found = estimate(tmp_path, "model: gemini-2.5-flash-image\nturns:\n  - prompt: a kite\n")
    assert found.images == {"1K": 1}


def test_a_text_only_request_to_an_image_model_makes_no_image(tmp_path: Path) -> None:
    found = estimate(
        tmp_path,
        "model: gemini-3-pro-image-preview\nconfig: {responseModalities: [TEXT]}\n"
        "turns:\n  - prompt: describe a kite\n",
    )
    assert found.images == {}


def test_the_estimate_is_a_range_when_the_output_is_uncertain(tmp_path: Path) -> None:
    found = estimate(tmp_path, "model: gemini-2.5-flash\nturns:\n  - prompt: a haiku\n")
    assert 0 < found.usd.low < found.usd.high


def test_max_output_tokens_caps_the_high_end(tmp_path: Path) -> None:
    body = "model: gemini-2.5-flash\nconfig: {maxOutputTokens: %d}\nturns:\n  - prompt: a haiku\n"
    small = estimate_runs(load_plans([write_recipe(tmp_path, "a", body % 10)]), TABLE)
    large = estimate_runs(load_plans([write_recipe(tmp_path, "b", body % 1000)]), TABLE)
    assert small.usd.high < large.usd.high


def test_reference_images_add_the_catalogs_input_tokens_per_image(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cat = Path(__file__).resolve().parents[1] / "recipes" / "refs" / "cat.jpg"
    (tmp_path / "b" / "cat.jpg").write_bytes(cat.read_bytes())
    body = "model: gemini-3-pro-image-preview\nturns:\n  - prompt: a kite\n"
    plain = estimate(tmp_path / "a", body)
    with_ref = estimate(tmp_path / "b", body + "    images: [cat.jpg]\n")
    added = with_ref.input_tokens.low - plain.input_tokens.low
    assert added == 560  # gemini-3-pro-image-preview's input_image_tokens


def test_every_turn_is_a_request_and_later_turns_resend_the_history(tmp_path: Path) -> None:
    plans = load_plans(
        [
            write_recipe(
                tmp_path,
                "r",
                "model: gemini-2.5-flash\nturns:\n  - prompt: a haiku\n  - prompt: another\n",
            )
        ]
    )
    found = estimate_run(plans[0], TABLE)
    first = estimate_runs(
        load_plans(
            [write_recipe(tmp_path, "s", "model: gemini-2.5-flash\nturns:\n  - prompt: a haiku\n")]
        ),
        TABLE,
    )
    assert found.requests == 2
    assert found.input_tokens.high > 2 * first.input_tokens.high


def test_a_model_the_price_table_lacks_is_an_error(tmp_path: Path) -> None:
    table = parse_prices(
        {
            "models": {
                "other": {
                    "per_million": dict.fromkeys(
                        ["input_text", "input_image", "output_text", "output_image", "thinking"], 1
                    )
                }
            }
        },
        "mine.json",
    )
    plans = load_plans(
        [write_recipe(tmp_path, "r", "model: gemini-2.5-flash\nturns:\n  - prompt: x\n")]
    )
    with pytest.raises(PriceError, match=r"mine\.json: no price for model 'gemini-2\.5-flash'"):
        estimate_runs(plans, table)
