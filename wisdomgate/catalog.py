"""The model catalog: which models exist, their image sizes, token costs and limits, and the
safety categories the API accepts.

One data file, `wisdomgate/data/models.json`, is the single source of these values; the simulator
and the recipe runtime both read it through `load_catalog()`. Its `sources` and `unverified`
fields say where each value comes from and which ones could not be checked.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, cast

from wisdomgate.errors import ToolkitError

__all__ = [
    "ASPECT_TOLERANCE",
    "Catalog",
    "CatalogError",
    "ModelInfo",
    "UnknownModelError",
    "UnsupportedImageOptionError",
    "load_catalog",
    "parse_catalog",
    "parse_ratio",
]

DEFAULT_ASPECT_RATIO = "1:1"
ASPECT_TOLERANCE = 0.01  # the recipe contract: every image within 1% of the expected ratio
_RATIO = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*")


def parse_ratio(text: str) -> Fraction | None:
    """`16:9` -> Fraction(16, 9), `1.5:1` -> Fraction(3, 2); None unless W:H with W, H > 0.

    The one parser of aspect ratios: validation accepts exactly what the check can judge.
    """
    match = _RATIO.fullmatch(text)
    if match is None:
        return None
    # Fraction(str) is exact for decimals ("9.5" is 19/2); float would round.
    width, height = Fraction(match[1]), Fraction(match[2])
    if not width or not height:
        return None
    return width / height


class CatalogError(ToolkitError):
    """The catalog data file is malformed."""


class UnknownModelError(ToolkitError, KeyError):
    """A model name the catalog does not know."""

    def __str__(self) -> str:
        # KeyError quotes its argument; the message reads better unquoted.
        return str(self.args[0]) if self.args else ""


class UnsupportedImageOptionError(ToolkitError, ValueError):
    """An aspect ratio or image size the model does not support (or a text model)."""


@dataclass(frozen=True)
class ModelInfo:
    """One model's capabilities and limits, as the catalog records them."""

    name: str
    kind: Literal["image", "text"]
    display_name: str
    thought_signatures: bool
    aspect_ratios: tuple[str, ...]
    image_sizes: tuple[str, ...]
    default_image_size: str | None
    max_reference_images: int | None
    max_request_bytes: int
    input_token_limit: int
    output_token_limit: int
    description: str = ""
    thinking: bool = False
    input_image_tokens: int = 258
    sources: tuple[str, ...] = ()
    dimensions: Mapping[str, Mapping[str, tuple[int, int]]] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False, hash=False
    )
    output_image_tokens: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False, hash=False
    )

    @property
    def is_image(self) -> bool:
        """True for models that generate images."""
        return self.kind == "image"

    def resolve_image_size(self, image_size: str | None) -> str:
        """The size tier actually used: the given one (validated) or the model default."""
        if not self.is_image or self.default_image_size is None:
            raise UnsupportedImageOptionError(f"{self.name} does not generate images")
        if image_size is None:
            return self.default_image_size
        if image_size not in self.image_sizes:
            raise UnsupportedImageOptionError(
                f"{self.name} does not support imageSize {image_size!r};"
                f" supported: {', '.join(self.image_sizes)}"
            )
        return image_size

    def image_dimensions(self, aspect_ratio: str | None, image_size: str | None) -> tuple[int, int]:
        """(width, height) in pixels; None means 1:1 and the default size."""
        size = self.resolve_image_size(image_size)
        ratio = aspect_ratio or DEFAULT_ASPECT_RATIO
        if ratio not in self.dimensions:
            raise UnsupportedImageOptionError(
                f"{self.name} does not support aspectRatio {ratio!r};"
                f" supported: {', '.join(self.aspect_ratios)}"
            )
        return self.dimensions[ratio][size]

    def image_tokens(self, image_size: str | None) -> int:
        """Output tokens one generated image costs at this size (None: the default size)."""
        return self.output_image_tokens[self.resolve_image_size(image_size)]


class Catalog:
    """The known models, looked up by name (with or without the `models/` prefix)."""

    def __init__(
        self,
        models: list[ModelInfo],
        *,
        sources: Mapping[str, str] | None = None,
        harm_categories: Sequence[str] = (),
        rated_harm_categories: Sequence[str] = (),
    ):
        self._models = {model.name: model for model in models}
        self.sources: Mapping[str, str] = MappingProxyType(dict(sources or {}))
        self.harm_categories: tuple[str, ...] = tuple(harm_categories)
        """safetySettings categories the API accepts, in its order (empty: none is accepted)."""
        self.rated_harm_categories: tuple[str, ...] = tuple(rated_harm_categories)
        """The categories an answer's safetyRatings list, in the live API's order."""

    def get(self, name: str) -> ModelInfo | None:
        """The model, or None when unknown."""
        return self._models.get(name.removeprefix("models/"))

    def require(self, name: str) -> ModelInfo:
        """The model; UnknownModelError (a KeyError) naming the known models otherwise."""
        model = self.get(name)
        if model is None:
            raise UnknownModelError(
                f"unknown model {name!r}; known models: {', '.join(self.names())}"
            )
        return model

    def names(self) -> list[str]:
        """Every model name, in data-file order."""
        return list(self._models)

    def models(self) -> list[ModelInfo]:
        """Every model, in data-file order."""
        return list(self._models.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None


@functools.cache
def load_catalog() -> Catalog:
    """The catalog from the package data file (read once, then cached)."""
    text = resources.files("wisdomgate").joinpath("data/models.json").read_text("utf-8")
    return parse_catalog(json.loads(text))


def parse_catalog(data: Mapping[str, Any]) -> Catalog:
    """Build a Catalog from the data file's JSON object; CatalogError when malformed."""
    try:
        models = [_parse_model(entry) for entry in data["models"]]
        harm_categories = _parse_harm_categories(data["harm_categories"], "values")
        rated = _parse_harm_categories(data["harm_categories"], "rated")
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"malformed model catalog: {exc!r}") from exc
    return Catalog(
        models,
        sources=data.get("sources", {}),
        harm_categories=harm_categories,
        rated_harm_categories=rated,
    )


def _parse_harm_categories(entry: Mapping[str, Any], key: str) -> tuple[str, ...]:
    values = tuple(entry[key])
    if not values or not all(isinstance(v, str) and v.startswith("HARM_CATEGORY_") for v in values):
        raise ValueError(f"harm_categories.{key} must be HarmCategory names, not {values!r}")
    return values


def _parse_model(entry: Mapping[str, Any]) -> ModelInfo:
    kind = entry["kind"]
    if kind not in ("image", "text"):
        raise ValueError(f"{entry['name']}: kind must be image or text, not {kind!r}")
    dimensions = {
        ratio: MappingProxyType({size: _parse_pixels(px) for size, px in by_size.items()})
        for ratio, by_size in entry.get("dimensions", {}).items()
    }
    image_sizes = tuple(entry.get("image_sizes", ()))
    for ratio, by_size in dimensions.items():
        if set(by_size) != set(image_sizes):
            raise ValueError(f"{entry['name']} {ratio}: sizes {sorted(by_size)} != image_sizes")
    return ModelInfo(
        name=entry["name"],
        kind=cast(Literal["image", "text"], kind),
        display_name=entry["display_name"],
        thought_signatures=bool(entry["thought_signatures"]),
        aspect_ratios=tuple(dimensions),
        image_sizes=image_sizes,
        default_image_size=entry.get("default_image_size"),
        max_reference_images=entry.get("max_reference_images"),
        max_request_bytes=int(entry["max_request_bytes"]),
        input_token_limit=int(entry["input_token_limit"]),
        output_token_limit=int(entry["output_token_limit"]),
        description=entry.get("description", ""),
        thinking=bool(entry.get("thinking", False)),
        input_image_tokens=int(entry.get("input_image_tokens", 258)),
        sources=tuple(entry.get("sources", ())),
        dimensions=MappingProxyType(dimensions),
        output_image_tokens=MappingProxyType(dict(entry.get("image_tokens", {}))),
    )


def _parse_pixels(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)
