"""The price table: the built-in file agrees with the catalog, and a bad file is refused clearly."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wisdomgate.catalog import load_catalog
from wisdomgate.run import PriceError, load_prices
from wisdomgate.run.prices import TOKEN_KINDS, builtin_prices, parse_prices

BUILTIN = Path(__file__).resolve().parents[1] / "wisdomgate" / "data" / "prices.json"


def builtin_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BUILTIN.read_text("utf-8"))
    return data


def test_every_catalog_model_has_a_price() -> None:
    table = builtin_prices()
    assert [name for name in load_catalog().names() if table.get(name) is None] == []


@pytest.mark.parametrize("model", [m.name for m in load_catalog().models() if m.is_image])
def test_every_image_size_of_a_model_has_a_per_image_price(model: str) -> None:
    sizes = load_catalog().require(model).image_sizes
    assert set(builtin_prices().require(model).per_image) == set(sizes)


@pytest.mark.parametrize("model", [m.name for m in load_catalog().models() if m.is_image])
def test_per_image_prices_are_the_image_token_price_of_the_catalog_tokens(model: str) -> None:
    # $0.134 = 1120 tokens at $120 per 1M, rounded as Google rounds it: within half a cent
    info, prices = load_catalog().require(model), builtin_prices().require(model)
    for size in info.image_sizes:
        from_tokens = prices.tokens("output_image", info.image_tokens(size))
        assert math.isclose(prices.per_image[size], from_tokens, abs_tol=0.005), size


def test_the_seed_pages_2_5_flash_image_costs_0_039_per_image() -> None:
    assert builtin_prices().require("gemini-2.5-flash-image").per_image["1K"] == 0.039


def test_the_builtin_table_names_its_sources_and_date() -> None:
    data = builtin_data()
    assert data["checked"] and "https://ai.google.dev/gemini-api/docs/pricing" in str(data)
    cited = {source for entry in data["models"].values() for source in entry["sources"]}
    assert cited <= set(data["sources"])


def test_a_model_is_found_with_the_models_prefix() -> None:
    assert builtin_prices().get("models/gemini-2.5-flash") is not None


def test_an_unpriced_model_is_an_error_naming_the_file_and_the_fix() -> None:
    with pytest.raises(PriceError, match=r"prices\.json: no price for model .x.; add it under"):
        builtin_prices().require("x")


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PriceError, match=r"--prices .*nope\.json: cannot read the file"):
        load_prices(tmp_path / "nope.json")


def test_a_file_that_is_not_json_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(PriceError, match=r"p\.json: not JSON"):
        load_prices(path)


def test_a_missing_token_kind_is_an_error_naming_the_place() -> None:
    data = builtin_data()
    del data["models"]["gemini-2.5-flash"]["per_million"]["thinking"]
    with pytest.raises(PriceError, match=r"f: models\.gemini-2\.5-flash\.per_million: missing"):
        parse_prices(data, "f")


def test_an_unknown_field_is_an_error_naming_it() -> None:
    data = builtin_data()
    data["models"]["gemini-2.5-flash"]["per_millon"] = {}
    with pytest.raises(PriceError, match=r"unknown field 'per_millon'"):
        parse_prices(data, "f")


@given(st.one_of(st.floats(max_value=-1e-9), st.just(math.nan), st.text(), st.booleans()))
def test_a_price_that_is_not_a_non_negative_number_is_refused_at_its_place(bad: Any) -> None:
    data = builtin_data()
    data["models"]["gemini-2.5-flash"]["per_million"]["input_text"] = bad
    with pytest.raises(PriceError, match=r"models\.gemini-2\.5-flash\.per_million\.input_text"):
        parse_prices(data, "f")


prices = st.floats(min_value=0, max_value=1e4, allow_nan=False)


@given(
    st.fixed_dictionaries({kind: prices for kind in TOKEN_KINDS}),
    st.dictionaries(st.sampled_from(["512", "1K", "2K", "4K"]), prices),
)
def test_any_table_of_non_negative_prices_is_read_as_written(
    per_million: dict[str, float], per_image: dict[str, float]
) -> None:
    data = {"models": {"m": {"per_million": per_million, "per_image": per_image}}}
    model = parse_prices(copy.deepcopy(data), "f").require("m")
    assert dict(model.per_million) == per_million and dict(model.per_image) == per_image
