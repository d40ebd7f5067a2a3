"""`wisdomgate plan` and `run --max-cost`: the estimate printed, and the budget checked first.

Both send nothing and need no key: the estimate comes from the planned requests, the catalog
and the price table (wisdomgate.run.estimate).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from wisdomgate.errors import UsageError
from wisdomgate.recipe import PlannedRun
from wisdomgate.run import Estimate, PriceTable, Range, RunResult, estimate_run, total_usd

__all__ = [
    "BudgetExceededError",
    "check_budget",
    "cost_lines",
    "plan_json",
    "plan_lines",
    "usd",
    "usd_range",
]


class BudgetExceededError(UsageError):
    """`run --max-cost` below the estimate's high end: refused before anything is sent."""


def usd(amount: float) -> str:
    """$0.134, $1.27, $0.0012: enough digits to see a cent's fraction."""
    return (
        f"${amount:.4f}" if amount < 0.01 else f"${amount:.3f}" if amount < 1 else f"${amount:.2f}"
    )


def usd_range(amount: Range) -> str:
    """One amount when certain, else `low - high`."""
    if usd(amount.low) == usd(amount.high):
        return usd(amount.low)
    return f"{usd(amount.low)} - {usd(amount.high)}"


def by_recipe(plans: Sequence[PlannedRun], table: PriceTable) -> dict[str, Estimate]:
    """The estimate of each recipe's runs, in the plans' order (PriceError: unpriced model)."""
    found: dict[str, Estimate] = {}
    for plan in plans:
        key = f"{plan.recipe_name} ({plan.recipe_path})"
        found.setdefault(key, Estimate()).add(estimate_run(plan, table))
    return found


def _images(estimate: Estimate) -> str:
    count = sum(estimate.images.values())
    if not count:
        return "no image"
    sizes = ", ".join(f"{n} x {size}" for size, n in sorted(estimate.images.items()))
    return f"{count} image{'' if count == 1 else 's'} ({sizes})"


def _line(name: str, estimate: Estimate) -> str:
    runs = f"{estimate.runs} run{'' if estimate.runs == 1 else 's'}"
    requests = f"{estimate.requests} request{'' if estimate.requests == 1 else 's'}"
    return f"{name}: {runs}, {requests}, {_images(estimate)}: {usd_range(estimate.usd)}"


def plan_lines(plans: Sequence[PlannedRun], table: PriceTable) -> Iterator[str]:
    """One line per recipe, then the total and the prices used."""
    total = Estimate()
    for name, estimate in by_recipe(plans, table).items():
        total.add(estimate)
        yield _line(name, estimate)
    yield _line("total", total)
    yield (
        f"estimate only, nothing was sent; prices from {table.source} (checked {table.checked});"
        " how it is estimated: docs/cost.md"
    )


def plan_json(plans: Sequence[PlannedRun], table: PriceTable) -> str:
    """The estimate as JSON: per recipe, the total, and the price table used."""
    recipes = by_recipe(plans, table)
    total = Estimate()
    for estimate in recipes.values():
        total.add(estimate)
    data = {
        "recipes": [{"recipe": name, **e.to_json()} for name, e in recipes.items()],
        "total": total.to_json(),
        "prices": {"source": table.source, "checked": table.checked},
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def check_budget(plans: Sequence[PlannedRun], table: PriceTable, max_usd: float) -> None:
    """BudgetExceededError when the estimate's high end is over --max-cost."""
    total = Estimate()
    for plan in plans:
        total.add(estimate_run(plan, table))
    if total.usd.high > max_usd:
        raise BudgetExceededError(
            f"--max-cost {usd(max_usd)}: the estimate for {total.runs} runs"
            f" ({total.requests} requests) is {usd_range(total.usd)}, over the limit;"
            f" nothing was sent. Raise --max-cost to at least {usd(total.usd.high)}, or run"
            " fewer recipes (--only, --shard); `wisdomgate plan` shows the estimate per recipe"
        )


def cost_lines(results: Sequence[RunResult], max_usd: float | None) -> Iterator[str]:
    """The summary's cost line, and the runs the budget stopped."""
    costs = [turn.cost for result in results for turn in result.record.turns]
    spent = total_usd(costs, charged=True)
    earlier = total_usd(costs, charged=False) - spent
    again = f" (and {usd(earlier)} paid earlier: reused or replayed answers)" if earlier else ""
    limit = f" of --max-cost {usd(max_usd)}" if max_usd is not None else ""
    yield f"cost: {usd(spent)}{limit} spent in this run, from usageMetadata{again}"
    stopped = sum(_budget_stopped(result) for result in results)
    if stopped:
        yield (
            f"{stopped} run{' was' if stopped == 1 else 's were'} not run: the --max-cost budget"
            " was reached; run again with --resume (and a higher --max-cost) to continue them"
        )


def _budget_stopped(result: RunResult) -> bool:
    turns = result.record.turns
    return bool(turns) and all(t.outcome is not None and t.outcome.kind == "budget" for t in turns)
