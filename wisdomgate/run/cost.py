"""What an answer cost, from its usageMetadata and the price table; and the --max-cost budget.

The token counts of an answer's usageMetadata are priced by kind:

- input: promptTokenCount (plus toolUsePromptTokenCount), split by promptTokensDetails'
  modality (IMAGE at the image input rate, everything else at the text rate);
- output: candidatesTokenCount, split by candidatesTokensDetails (IMAGE at the image output
  rate, the rest, text, at the text output rate);
- thinking: thoughtsTokenCount, at the thinking rate (Google bills thoughts as output).

A reused (`--resume`) or replayed (`--replay`) answer keeps what it cost when it was first
paid for, but is not `charged` in this invocation: it counts in no total of money spent now.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from wisdomgate.run.prices import ModelPrices, PriceTable

__all__ = ["Budget", "Cost", "CostBasis", "answer_cost", "cost_of_usage", "total_usd"]

CostBasis = Literal["usage", "reused", "replayed"]
_BASES: tuple[CostBasis, ...] = ("usage", "reused", "replayed")


@dataclass(frozen=True)
class Cost:
    """The cost of one answer: USD, what it is based on, and the tokens priced by kind."""

    usd: float
    basis: CostBasis  # usage: paid now; reused / replayed: paid by an earlier invocation
    tokens: Mapping[str, int] = field(default_factory=dict)  # TOKEN_KINDS -> count
    prices: str = ""  # the price table used, with its date

    @property
    def charged(self) -> bool:
        """True when this invocation paid for it (neither reused nor replayed)."""
        return self.basis == "usage"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cost:
        """A Cost from its manifest form (to_json); ValueError when it is not one."""
        usd, basis, tokens = data.get("usd"), data.get("basis"), data.get("tokens", {})
        if not isinstance(usd, int | float) or isinstance(usd, bool) or basis not in _BASES:
            raise ValueError(f"not a manifest cost: {dict(data)!r}")
        if not isinstance(tokens, dict):
            raise ValueError(f"cost tokens must be an object, not {tokens!r}")
        return cls(float(usd), basis, dict(tokens), str(data.get("prices", "")))

    def to_json(self) -> dict[str, Any]:
        """The manifest form."""
        return {
            "usd": round(self.usd, 6),
            "basis": self.basis,
            "charged": self.charged,
            "tokens": dict(self.tokens),
            "prices": self.prices,
        }


def cost_of_usage(
    usage: Mapping[str, Any] | None,
    prices: ModelPrices,
    table: PriceTable,
    basis: CostBasis = "usage",
) -> Cost | None:
    """The cost of an answer's usageMetadata (wire JSON); None when it has none."""
    if not usage:
        return None
    prompt = _count(usage, "promptTokenCount") + _count(usage, "toolUsePromptTokenCount")
    prompt_image = _modality(usage.get("promptTokensDetails"), "IMAGE")
    prompt_image += _modality(usage.get("toolUsePromptTokensDetails"), "IMAGE")
    output = _count(usage, "candidatesTokenCount")
    output_image = min(_modality(usage.get("candidatesTokensDetails"), "IMAGE"), output)
    tokens = {
        "input_text": max(prompt - prompt_image, 0),
        "input_image": min(prompt_image, prompt),
        "output_text": output - output_image,
        "output_image": output_image,
        "thinking": _count(usage, "thoughtsTokenCount"),
    }
    usd = sum(prices.tokens(kind, count) for kind, count in tokens.items())
    return Cost(usd, basis, tokens, f"{table.source} ({table.checked})")


def answer_cost(
    response: Mapping[str, Any] | None, model: str, table: PriceTable, basis: CostBasis
) -> Cost | None:
    """The cost of a recorded answer (its manifest `response`); None when there is none, it has
    no usageMetadata, or the table has no price for the model."""
    prices = table.get(model)
    if response is None or prices is None:
        return None
    return cost_of_usage(response.get("usageMetadata"), prices, table, basis)


def total_usd(costs: Iterable[Cost | None], *, charged: bool) -> float:
    """The sum of the costs charged now (charged=True) or of all of them (False)."""
    return sum(c.usd for c in costs if c is not None and (c.charged or not charged))


def _count(usage: Mapping[str, Any], key: str) -> int:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _modality(details: Any, modality: str) -> int:
    if not isinstance(details, list):
        return 0
    return sum(
        _count(entry, "tokenCount")
        for entry in details
        if isinstance(entry, dict) and entry.get("modality") == modality
    )


class Budget:
    """--max-cost: money spent in this invocation against a limit (thread-safe)."""

    def __init__(self, max_usd: float) -> None:
        self.max_usd = max_usd
        self._spent = 0.0
        self._lock = threading.Lock()

    def spend(self, usd: float) -> None:
        """Add what an answer cost."""
        with self._lock:
            self._spent += usd

    @property
    def spent(self) -> float:
        """USD spent so far."""
        with self._lock:
            return self._spent

    @property
    def reached(self) -> bool:
        """True once the spend has reached the limit: no further run starts."""
        return self.spent >= self.max_usd
