"""The cases of `make bench`: one module per case in bench/cases/, each exposing CASE.

A case module defines `CASE = Case(number, title, run)`; `run(workdir)` measures wisdomgate,
google-genai and the floor (httpx + json + stdlib base64) in the same run and returns the rows it
adds to the one table. Cases are found by listing bench/cases/, so adding one is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Case", "Row", "discover"]


@dataclass(frozen=True)
class Row:
    """One measurement of one case, side by side: the three values and whether the target is met."""

    case: str  # "(1) big answer -> file"
    metric: str  # "CPU ms", "peak RSS MB"
    ours: float
    genai: float | None
    floor: float | None
    target: str  # what the issue asks, in words: "<= 0.5x genai, <= 1.5x floor"
    met: bool


@dataclass(frozen=True)
class Case:
    """A benchmark case: its number in the table, its title and the function that measures it."""

    number: int
    title: str
    run: Callable[[Path], list[Row]]


def discover() -> list[Case]:
    """Every bench/cases/*.py module's CASE, in case-number order."""
    from bench import cases

    found = []
    for info in pkgutil.iter_modules(cases.__path__):
        module = importlib.import_module(f"bench.cases.{info.name}")
        case = getattr(module, "CASE", None)
        if isinstance(case, Case):
            found.append(case)
    return sorted(found, key=lambda case: case.number)
