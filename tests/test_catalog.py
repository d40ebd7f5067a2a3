"""The model catalog: the data file loads, values match the published tables, lookups work."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from wisdomgate.catalog import (
    Catalog,
    CatalogError,
    ModelInfo,
    UnknownModelError,
    UnsupportedImageOptionError,
    load_catalog,
    parse_catalog,
)
from wisdomgate.errors import ToolkitError

PRO_IMAGE = "gemini-3-pro-image-preview"
FLASH_31_IMAGE = "gemini-3.1-flash-image-preview"
FLASH_25_IMAGE = "gemini-2.5-flash-image"
HARM_CATEGORIES = {"values": ["HARM_CATEGORY_HARASSMENT"], "sources": []}
TEN_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _ratio(text: str) -> float:
    width, height = text.split(":")
    return int(width) / int(height)


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


def test_catalog_names_image_and_text_models(catalog: Catalog) -> None:
    assert {PRO_IMAGE, FLASH_31_IMAGE, FLASH_25_IMAGE} <= set(catalog.names())
    assert {"gemini-3-pro-preview", "gemini-2.5-flash", "gemini-2.5-pro"} <= set(catalog.names())


def test_get_accepts_models_prefix(catalog: Catalog) -> None:
    assert catalog.get(f"models/{PRO_IMAGE}") is catalog.get(PRO_IMAGE)


def test_get_unknown_returns_none(catalog: Catalog) -> None:
    assert catalog.get("gemini-0-nope") is None


def test_require_unknown_lists_known_names(catalog: Catalog) -> None:
    with pytest.raises(KeyError) as info:
        catalog.require("gemini-0-nope")
    assert isinstance(info.value, ToolkitError)
    assert PRO_IMAGE in str(info.value)


def test_pro_image_values(catalog: Catalog) -> None:
    model = catalog.require(PRO_IMAGE)
    assert model.kind == "image" and model.thought_signatures
    assert model.aspect_ratios == TEN_RATIOS
    assert model.image_sizes == ("1K", "2K", "4K")
    assert model.default_image_size == "1K"
    assert model.max_reference_images == 14
    assert model.max_request_bytes == 20 * 1024 * 1024
    assert [model.image_tokens(s) for s in ("1K", "2K", "4K")] == [1120, 1120, 2000]


@pytest.mark.parametrize(
    ("ratio", "size", "expected"),
    [
        ("1:1", "1K", (1024, 1024)),
        ("16:9", "1K", (1376, 768)),
        ("9:16", "2K", (1536, 2752)),
        ("21:9", "4K", (6336, 2688)),
        ("4:5", "1K", (928, 1152)),
    ],
)
def test_pro_image_dimensions(
    catalog: Catalog, ratio: str, size: str, expected: tuple[int, int]
) -> None:
    assert catalog.require(PRO_IMAGE).image_dimensions(ratio, size) == expected


def test_flash_31_image_values(catalog: Catalog) -> None:
    model = catalog.require(FLASH_31_IMAGE)
    assert model.image_sizes == ("512", "1K", "2K", "4K")
    assert {"1:4", "4:1", "1:8", "8:1"} <= set(model.aspect_ratios)
    assert len(model.aspect_ratios) == 14
    assert model.image_dimensions("1:8", "512") == (192, 1536)
    assert model.image_dimensions("8:1", "4K") == (12288, 1536)
    assert [model.image_tokens(s) for s in model.image_sizes] == [747, 1120, 1680, 2520]


def test_flash_25_image_values(catalog: Catalog) -> None:
    model = catalog.require(FLASH_25_IMAGE)
    assert model.image_sizes == ("1K", "2K")
    assert model.aspect_ratios == TEN_RATIOS
    assert model.image_dimensions("16:9", "1K") == (1344, 768)
    assert model.image_tokens(None) == 1290
    assert model.max_reference_images == 3
    assert not model.thought_signatures


def test_defaults_are_square_and_default_size(catalog: Catalog) -> None:
    assert catalog.require(PRO_IMAGE).image_dimensions(None, None) == (1024, 1024)


def test_every_table_cell_matches_its_ratio(catalog: Catalog) -> None:
    for model in catalog.models():
        for ratio in model.aspect_ratios:
            for size in model.image_sizes:
                width, height = model.image_dimensions(ratio, size)
                assert abs(width / height / _ratio(ratio) - 1) < 0.06, (model.name, ratio, size)


def test_unsupported_ratio_raises_value_error(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="aspectRatio"):
        catalog.require(PRO_IMAGE).image_dimensions("8:1", "1K")


def test_unsupported_size_raises_value_error(catalog: Catalog) -> None:
    with pytest.raises(UnsupportedImageOptionError, match="imageSize"):
        catalog.require(PRO_IMAGE).image_dimensions("1:1", "512")


def test_text_model_has_no_image_options(catalog: Catalog) -> None:
    model = catalog.require("gemini-3-pro-preview")
    assert model.kind == "text" and model.image_sizes == () and model.aspect_ratios == ()
    with pytest.raises(UnsupportedImageOptionError):
        model.image_dimensions(None, None)


def test_model_info_is_hashable(catalog: Catalog) -> None:
    assert isinstance(hash(catalog.require(PRO_IMAGE)), int)
    assert isinstance(catalog.require(PRO_IMAGE), ModelInfo)


def test_data_file_names_sources_and_unverified_values() -> None:
    text = resources.files("wisdomgate").joinpath("data/models.json").read_text("utf-8")
    data = json.loads(text)
    assert any(url.startswith("https://ai.google.dev/") for url in data["sources"].values())
    assert data["unverified"]
    for model in data["models"]:
        assert set(model["sources"]) <= set(data["sources"]), model["name"]


def test_parse_catalog_rejects_mismatched_sizes() -> None:
    entry = {
        "name": "x",
        "kind": "image",
        "display_name": "X",
        "thought_signatures": False,
        "image_sizes": ["1K", "2K"],
        "dimensions": {"1:1": {"1K": "1x1"}},
        "max_request_bytes": 1,
        "input_token_limit": 1,
        "output_token_limit": 1,
    }
    with pytest.raises(CatalogError, match="sizes"):
        parse_catalog({"models": [entry], "harm_categories": HARM_CATEGORIES})


def test_harm_categories_are_the_gemini_ones(catalog: Catalog) -> None:
    assert set(catalog.harm_categories) == {
        "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_CIVIC_INTEGRITY",
    }


def test_harm_categories_are_a_tuple(catalog: Catalog) -> None:
    assert isinstance(catalog.harm_categories, tuple)


def test_harm_categories_name_their_sources() -> None:
    text = resources.files("wisdomgate").joinpath("data/models.json").read_text("utf-8")
    data = json.loads(text)
    assert data["harm_categories"]["sources"]
    assert set(data["harm_categories"]["sources"]) <= set(data["sources"])


def test_parse_catalog_requires_harm_categories() -> None:
    with pytest.raises(CatalogError, match="harm_categories"):
        parse_catalog({"models": []})


def test_parse_catalog_rejects_other_harm_category_values() -> None:
    with pytest.raises(CatalogError, match="HarmCategory"):
        parse_catalog({"models": [], "harm_categories": {"values": ["VIOLENCE"]}})


def test_unknown_model_error_message_is_unquoted() -> None:
    assert str(UnknownModelError("unknown model 'x'")) == "unknown model 'x'"
