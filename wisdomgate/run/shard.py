"""`--shard K/N`: the K-th of N disjoint slices of the planned runs, for parallel CI jobs.

A run belongs to shard `1 + sha256("recipe_name/run_id") mod N`. The hash depends on that run
alone, never on the other runs or their order, so adding, removing or reordering recipes moves no
other run to another shard (a split by position would reshuffle them all). The price is that the
shards are not exactly equal in size; one may even be empty, which is not an error. Two runs that
would share an output folder share a name and a run id, so they land in the same shard and the
runner still reports the clash.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from wisdomgate.recipe import PlannedRun

__all__ = ["Shard", "shard_of"]

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def shard_of(recipe_name: str, run_id: str, count: int) -> int:
    """The 1-based shard (of `count`) that the run `recipe_name/run_id` belongs to."""
    digest = hashlib.sha256(f"{recipe_name}/{run_id}".encode()).digest()
    # sha256, not hash(): the built-in is salted per process, and every CI job must agree
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1 <= index <= count)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`K/N` -> Shard(K, N); ValueError with a message for the user otherwise."""
        match = _SPEC.fullmatch(text)
        if match is None:
            raise ValueError(f"expected K/N such as 2/3, got {text!r}")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 1 <= index <= count:
            raise ValueError(f"expected K/N with 1 <= K <= N, got {text!r}")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def select(self, plans: Sequence[PlannedRun]) -> list[PlannedRun]:
        """The plans of this shard, in their original order."""
        return [
            plan
            for plan in plans
            if shard_of(plan.recipe_name, plan.run_id, self.count) == self.index
        ]

    def summary(self, selected: int, total: int) -> str:
        """`shard 2/3: 4 of 10 runs`."""
        return f"shard {self}: {selected} of {total} run{'' if total == 1 else 's'}"
