"""`wisdomgate plan`: what running planned recipes would cost, estimated without sending anything.

Per request (turn) the estimate is a range, low to high, in USD:

- images: each image the turn asks for (responseModalities with IMAGE, or an image model
  without modalities) for its imageSize (the recipe's, else the catalog's default size), from
  the table's per-image price to the catalog's tokens for that size at the image token rate
  (the published price is the billed one, rounded); `candidateCount` images when asked for;
- input: the prompt and system text at about four characters a token (three to six: the
  range), every reference image at the catalog's input tokens per image, and the history a
  later turn resends: earlier prompts, earlier answers' text (their output range) and images;
- output text: TEXT_TOKENS (IMAGE_ONLY_TEXT_TOKENS when only IMAGE is asked for), capped by
  maxOutputTokens;
- tools (google_search): TOOL_TOKENS of input for the tool's own prompt;
- thinking, for thinking models: THINKING_TOKENS, or up to the thinkingBudget when it is set.

Every turn is counted as sent: a run that stops at a failed turn costs less than the high end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from wisdomgate.catalog import ModelInfo, load_catalog
from wisdomgate.recipe import PlannedRun, PlannedTurn
from wisdomgate.run.prices import ModelPrices, PriceError, PriceTable

__all__ = [
    "IMAGE_ONLY_TEXT_TOKENS",
    "TEXT_TOKENS",
    "THINKING_TOKENS",
    "Estimate",
    "Range",
    "estimate_run",
    "estimate_runs",
]

TEXT_TOKENS = (20, 1500)  # answer text when TEXT is asked for
IMAGE_ONLY_TEXT_TOKENS = (0, 100)  # image models say a few words even when only IMAGE is asked
THINKING_TOKENS = (0, 2000)  # thinking models; the recorded answers think 150-250 tokens
TOOL_TOKENS = (0, 300)  # a tool's own prompt (google_search), counted as input
CHARS_PER_TOKEN = (6, 3)  # low, high: prompt text is about four characters a token


@dataclass(frozen=True)
class Range:
    """A low and a high number (USD or tokens); equal when certain."""

    low: float
    high: float

    def __add__(self, other: Range) -> Range:
        return Range(self.low + other.low, self.high + other.high)

    def scaled(self, factor: float) -> Range:
        """Both ends times factor."""
        return Range(self.low * factor, self.high * factor)


ZERO = Range(0, 0)


@dataclass
class Estimate:
    """What some runs would cost: requests, images by size, tokens and USD, as ranges."""

    runs: int = 0
    requests: int = 0
    images: dict[str, int] = field(default_factory=dict)  # imageSize -> count
    input_tokens: Range = ZERO
    output_tokens: Range = ZERO  # text and thinking
    usd: Range = ZERO

    def add(self, other: Estimate) -> None:
        """Add other's counts to these."""
        self.runs += other.runs
        self.requests += other.requests
        for size, count in other.images.items():
            self.images[size] = self.images.get(size, 0) + count
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.usd += other.usd

    def to_json(self) -> dict[str, object]:
        """The --json form."""
        return {
            "runs": self.runs,
            "requests": self.requests,
            "images": dict(self.images),
            "input_tokens": [round(self.input_tokens.low), round(self.input_tokens.high)],
            "output_tokens": [round(self.output_tokens.low), round(self.output_tokens.high)],
            "usd": [round(self.usd.low, 6), round(self.usd.high, 6)],
        }


def estimate_runs(plans: Sequence[PlannedRun], table: PriceTable) -> Estimate:
    """The estimate of all the plans together (PriceError for a model the table lacks)."""
    total = Estimate()
    for plan in plans:
        total.add(estimate_run(plan, table))
    return total


def estimate_run(plan: PlannedRun, table: PriceTable) -> Estimate:
    """The estimate of one run: every turn sent, each with the history before it."""
    model = load_catalog().require(plan.model)
    prices = table.require(plan.model)
    estimate = Estimate(runs=1)
    history = _text_tokens(_system_text(plan))
    for turn in plan.turns:
        images = _images(turn, model)
        size = _image_size(turn, model) if images else None
        for_images = _image_price(prices, model, size, table).scaled(images) if size else ZERO
        text_out, thinking = _text_out(turn, model), _thinking(turn, model)
        prompt = history + _text_tokens(turn.prompt)
        if plan.tools:
            prompt += Range(*TOOL_TOKENS)
        image_in = len(turn.images) * model.input_image_tokens
        usd = (
            _priced(prices, "input_text", prompt)
            + _priced(prices, "input_image", Range(image_in, image_in))
            + _priced(prices, "output_text", text_out)
            + _priced(prices, "thinking", thinking)
            + for_images
        )
        estimate.requests += 1
        if size is not None:
            estimate.images[size] = estimate.images.get(size, 0) + images
        estimate.input_tokens += prompt + Range(image_in, image_in)
        estimate.output_tokens += text_out + thinking
        estimate.usd += usd
        # the next turn resends this one: its prompt, images, answer text and answer images
        answer_images = images * model.input_image_tokens
        history = prompt + text_out + Range(image_in + answer_images, image_in + answer_images)
    return estimate


def _priced(prices: ModelPrices, kind: str, tokens: Range) -> Range:
    return Range(prices.tokens(kind, tokens.low), prices.tokens(kind, tokens.high))


def _system_text(plan: PlannedRun) -> str:
    content = plan.system_instruction
    return " ".join(part.text or "" for part in (content.parts or [])) if content else ""


def _text_tokens(text: str) -> Range:
    low, high = CHARS_PER_TOKEN
    return Range(math.ceil(len(text) / low), math.ceil(len(text) / high))


def _modalities(turn: PlannedTurn) -> set[str] | None:
    config = turn.generation_config
    found = config.response_modalities if config else None
    return {str(modality).upper() for modality in found} if found else None


def _candidates(turn: PlannedTurn) -> int:
    config = turn.generation_config
    count = getattr(config, "candidate_count", None) if config else None
    return count if isinstance(count, int) and count > 0 else 1


def _images(turn: PlannedTurn, model: ModelInfo) -> int:
    if not model.is_image:
        return 0
    modalities = _modalities(turn)
    wants = modalities is None or "IMAGE" in modalities
    return _candidates(turn) if wants else 0


def _image_size(turn: PlannedTurn, model: ModelInfo) -> str:
    config = turn.generation_config
    image_config = config.image_config if config else None
    return model.resolve_image_size(image_config.image_size if image_config else None)


def _image_price(prices: ModelPrices, model: ModelInfo, size: str, table: PriceTable) -> Range:
    """Between the published per-image price and the catalog's tokens for the size at the
    image token rate: what is billed (the published price is that, rounded)."""
    price = prices.per_image.get(size)
    if price is None:
        raise PriceError(
            f"{table.source}: models.{prices.model}.per_image has no price for imageSize"
            f" {size!r}; add it (priced sizes: {', '.join(prices.per_image) or 'none'})"
        )
    by_tokens = prices.tokens("output_image", model.image_tokens(size))
    return Range(min(price, by_tokens), max(price, by_tokens))


def _text_out(turn: PlannedTurn, model: ModelInfo) -> Range:
    modalities = _modalities(turn)
    image_only = model.is_image and modalities is not None and "TEXT" not in modalities
    low, high = IMAGE_ONLY_TEXT_TOKENS if image_only else TEXT_TOKENS
    config = turn.generation_config
    cap = config.max_output_tokens if config else None
    if cap is not None and cap >= 0:
        low, high = min(low, cap), min(high, cap)
    return Range(low, high).scaled(_candidates(turn))


def _thinking(turn: PlannedTurn, model: ModelInfo) -> Range:
    if not model.thinking:
        return ZERO
    config = turn.generation_config
    thinking = config.thinking_config if config else None
    budget = thinking.thinking_budget if thinking else None
    low, high = THINKING_TOKENS
    if budget is not None and budget >= 0:
        high = budget  # 0 turns thinking off where a model allows it
    return Range(low, high)
