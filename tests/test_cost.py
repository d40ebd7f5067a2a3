"""What an answer cost, from its usageMetadata: each kind of token at its price."""

from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from wisdomgate.run import Budget, total_usd
from wisdomgate.run.cost import Cost, CostBasis, cost_of_usage
from wisdomgate.run.prices import builtin_prices, parse_prices

RECORDED = Path(__file__).resolve().parent / "data" / "recorded"
TABLE = builtin_prices()
PRO_IMAGE = TABLE.require("gemini-3-pro-image-preview")


def test_no_usage_metadata_is_no_cost() -> None:
    assert cost_of_usage(None, PRO_IMAGE, TABLE) is None


def test_image_output_tokens_are_priced_at_the_image_rate() -> None:
    usage = {
        "candidatesTokenCount": 1120,
        "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1120}],
    }
    cost = cost_of_usage(usage, PRO_IMAGE, TABLE)
    assert cost is not None and math.isclose(cost.usd, 1120 * 120 / 1e6)


def test_candidate_tokens_beyond_the_image_ones_are_text_output() -> None:
    # the recorded 3.1 Flash Image answer: 1392 candidates, 1120 of them IMAGE
    recorded = json.loads((RECORDED / "image-gemini-3.1-flash-image.json").read_text("utf-8"))
    prices = TABLE.require("gemini-3.1-flash-image-preview")
    cost = cost_of_usage(recorded["usageMetadata"], prices, TABLE)
    assert cost is not None and cost.tokens["output_text"] == 272
    assert math.isclose(cost.usd, (10 * 0.5 + 272 * 3.0 + 1120 * 60.0) / 1e6)


def test_thoughts_are_priced_at_the_thinking_rate() -> None:
    cost = cost_of_usage({"thoughtsTokenCount": 1000}, PRO_IMAGE, TABLE)
    assert cost is not None and math.isclose(cost.usd, 1000 * 12 / 1e6)


def test_image_input_tokens_are_priced_at_the_image_input_rate() -> None:
    table = parse_prices(
        {
            "models": {
                "m": {
                    "per_million": {
                        "input_text": 1,
                        "input_image": 100,
                        "output_text": 0,
                        "output_image": 0,
                        "thinking": 0,
                    }
                }
            }
        },
        "f",
    )
    usage = {
        "promptTokenCount": 570,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": 10},
            {"modality": "IMAGE", "tokenCount": 560},
        ],
    }
    cost = cost_of_usage(usage, table.require("m"), table)
    assert cost is not None and math.isclose(cost.usd, (10 * 1 + 560 * 100) / 1e6)


def test_a_tools_prompt_is_input() -> None:
    cost = cost_of_usage({"toolUsePromptTokenCount": 65}, PRO_IMAGE, TABLE)
    assert cost is not None and cost.tokens["input_text"] == 65


counts = st.integers(min_value=0, max_value=10**7)


@given(counts, counts, counts, counts, counts)
def test_the_cost_is_the_sum_of_each_kind_at_its_price(
    text_in: int, image_in: int, text_out: int, image_out: int, thinking: int
) -> None:
    usage = {
        "promptTokenCount": text_in + image_in,
        "promptTokensDetails": [{"modality": "IMAGE", "tokenCount": image_in}],
        "candidatesTokenCount": text_out + image_out,
        "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": image_out}],
        "thoughtsTokenCount": thinking,
    }
    cost = cost_of_usage(usage, PRO_IMAGE, TABLE)
    rates = PRO_IMAGE.per_million
    expected = (
        text_in * rates["input_text"]
        + image_in * rates["input_image"]
        + text_out * rates["output_text"]
        + image_out * rates["output_image"]
        + thinking * rates["thinking"]
    ) / 1e6
    assert cost is not None and math.isclose(cost.usd, expected, abs_tol=1e-12)


@given(
    st.dictionaries(
        st.sampled_from(["promptTokenCount", "thoughtsTokenCount"]),
        st.one_of(st.integers(max_value=-1), st.text(), st.booleans(), st.none()),
        min_size=1,
    )
)
def test_counts_that_are_not_positive_integers_cost_nothing(usage: dict[str, object]) -> None:
    cost = cost_of_usage(usage, PRO_IMAGE, TABLE)
    assert cost is not None and cost.usd == 0


def test_a_reused_answer_keeps_its_cost_but_is_not_charged() -> None:
    usage = {"thoughtsTokenCount": 1000}
    now, earlier = (
        cost_of_usage(usage, PRO_IMAGE, TABLE),
        cost_of_usage(usage, PRO_IMAGE, TABLE, "reused"),
    )
    assert now is not None and earlier is not None and earlier.usd == now.usd
    assert total_usd([now, earlier, None], charged=True) == now.usd
    assert total_usd([now, earlier, None], charged=False) == 2 * now.usd


def test_a_budget_is_reached_once_the_spend_reaches_the_limit() -> None:
    budget = Budget(0.10)
    budget.spend(0.05)
    assert not budget.reached
    budget.spend(0.05)
    assert budget.reached


@given(
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.sampled_from(["usage", "reused", "replayed"]),
    st.dictionaries(st.sampled_from(["input_text", "output_image", "thinking"]), counts),
)
def test_a_cost_reads_back_from_its_manifest_form(
    usd: float, basis: CostBasis, tokens: dict[str, int]
) -> None:
    cost = Cost(round(usd, 6), basis, tokens, "prices.json (2026-12-02)")
    assert Cost.from_json(cost.to_json()) == cost
