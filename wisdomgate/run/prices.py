"""The price table: what a model charges per 1M tokens of each kind and per generated image.

One data file, `wisdomgate/data/prices.json`, holds the prices (model identity and the tokens an
image costs stay in the catalog, models.json); `--prices FILE` replaces it with a file of the
same shape. Every problem in a file is a PriceError naming the file, the place and the fix.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from wisdomgate.errors import UsageError

__all__ = [
    "BUILTIN_PRICES",
    "TOKEN_KINDS",
    "ModelPrices",
    "PriceError",
    "PriceTable",
    "builtin_prices",
    "load_prices",
    "parse_prices",
]

FORMAT = "wisdomgate-prices"
BUILTIN_PRICES = "wisdomgate/data/prices.json"  # how the built-in table is named in messages
TOKEN_KINDS = ("input_text", "input_image", "output_text", "output_image", "thinking")
_MILLION = 1_000_000


class PriceError(UsageError):
    """A price table that cannot be used (exit 2, nothing sent)."""


@dataclass(frozen=True)
class ModelPrices:
    """One model's prices: USD per 1M tokens by kind (TOKEN_KINDS) and per image by size."""

    model: str
    per_million: Mapping[str, float]
    per_image: Mapping[str, float]

    def tokens(self, kind: str, count: float) -> float:
        """USD for count tokens of kind."""
        return self.per_million[kind] * count / _MILLION


@dataclass(frozen=True)
class PriceTable:
    """Prices by model, and where they come from."""

    source: str  # the file, as shown in messages
    checked: str  # the date the prices were checked
    models: Mapping[str, ModelPrices]

    def get(self, model: str) -> ModelPrices | None:
        """The model's prices (with or without the `models/` prefix), or None."""
        return self.models.get(model.removeprefix("models/"))

    def require(self, model: str) -> ModelPrices:
        """The model's prices; PriceError naming the file and the fix otherwise."""
        found = self.get(model)
        if found is None:
            raise PriceError(
                f'{self.source}: no price for model {model!r}; add it under "models"'
                f" (priced: {', '.join(self.models) or 'none'})"
            )
        return found


@functools.cache
def builtin_prices() -> PriceTable:
    """The built-in table (read once)."""
    text = resources.files("wisdomgate").joinpath("data/prices.json").read_text("utf-8")
    return parse_prices(json.loads(text), BUILTIN_PRICES)


def load_prices(path: Path | None) -> PriceTable:
    """The table of --prices FILE, or the built-in one when path is None."""
    if path is None:
        return builtin_prices()
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PriceError(f"--prices {path}: cannot read the file: {reason}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise PriceError(f"--prices {path}: not JSON: {error}") from None
    return parse_prices(data, str(path))


def parse_prices(data: Any, source: str) -> PriceTable:
    """A PriceTable from a price file's JSON; PriceError naming source and the place."""
    if not isinstance(data, dict):
        raise PriceError(f'{source}: expected a JSON object with "models", got {_kind(data)}')
    if data.get("format", FORMAT) != FORMAT:
        raise PriceError(f"{source}: format: expected {FORMAT!r}, got {data['format']!r}")
    checked = data.get("checked", "")
    if not isinstance(checked, str):
        raise PriceError(f"{source}: checked: expected a date as text, got {_kind(checked)}")
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise PriceError(f"{source}: models: expected an object of model name -> prices")
    parsed = {name: _model(source, name, entry) for name, entry in models.items()}
    return PriceTable(source, checked, MappingProxyType(parsed))


def _model(source: str, name: str, entry: Any) -> ModelPrices:
    where = f"{source}: models.{name}"
    if not isinstance(entry, dict):
        raise PriceError(f"{where}: expected an object with per_million and per_image")
    unknown = sorted(set(entry) - {"per_million", "per_image", "sources", "note"})
    if unknown:
        raise PriceError(f"{where}: unknown field {unknown[0]!r} (per_million, per_image)")
    per_million = _numbers(f"{where}.per_million", entry.get("per_million"))
    missing = [kind for kind in TOKEN_KINDS if kind not in per_million]
    extra = sorted(set(per_million) - set(TOKEN_KINDS))
    if missing or extra:
        wrong = f"missing {missing[0]!r}" if missing else f"unknown kind {extra[0]!r}"
        raise PriceError(f"{where}.per_million: {wrong}; give each of {', '.join(TOKEN_KINDS)}")
    per_image = _numbers(f"{where}.per_image", entry.get("per_image", {}))
    return ModelPrices(name, MappingProxyType(per_million), MappingProxyType(per_image))


def _numbers(where: str, value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise PriceError(f"{where}: expected an object of name -> USD, got {_kind(value)}")
    numbers: dict[str, float] = {}
    for key, number in value.items():
        is_number = isinstance(number, int | float) and not isinstance(number, bool)
        if not is_number or not math.isfinite(number) or number < 0:
            raise PriceError(f"{where}.{key}: expected a number of USD >= 0, got {number!r}")
        numbers[key] = float(number)
    return numbers


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
