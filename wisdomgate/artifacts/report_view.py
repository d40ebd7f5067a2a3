"""What the gallery shows of each run: its turns' prompts, references, images, text and checks.

The view keeps the runner's TurnRecords (the template reads their outcome, expectations, timing
and, where a record has them, cost and retries) and adds what a page needs: image paths relative
to the page, the prompt of each turn, the answer's text, and the matrix grid of each recipe.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wisdomgate.artifacts.report_load import ReportRun
from wisdomgate.run import ImageRecord, TurnRecord

__all__ = ["CardView", "Grid", "RecipeView", "Summary", "Thumb", "TurnView", "build_recipes"]

TEXT_LIMIT = 4000  # characters of an answer's text on the page; the file has all of it
_RUN_NAMES = ("name", "run")  # variables every run has: never a matrix axis


@dataclass(frozen=True)
class Thumb:
    """An image on the page: its path relative to the page, a label, its pixel size."""

    src: str | None  # None when no file holds it (then only the label is shown)
    label: str
    size: str = ""


@dataclass(frozen=True)
class TurnView:
    """One turn of a card."""

    record: TurnRecord
    prompt: str
    references: list[Thumb]
    images: list[Thumb]
    thoughts: list[Thumb]
    text: str | None
    text_href: str | None
    text_cut: bool
    config: str  # generationConfig as indented JSON ("" when the turn sent none)
    usage: dict[str, Any]


@dataclass
class CardView:
    """One run's card."""

    run: ReportRun
    anchor: str
    axes: dict[str, str]  # the matrix variables that tell this run from its siblings
    turns: list[TurnView]
    badge: str | None = None  # new, changed, unchanged when a baseline was compared

    @property
    def cost_usd(self) -> float | None:
        """The run's cost when its turns carry one (a TurnRecord.cost with .usd), else None."""
        return _cost(turn.record for turn in self.turns)

    @property
    def images(self) -> int:
        """The final images of the run's answers."""
        return sum(len(turn.images) for turn in self.turns)


@dataclass(frozen=True)
class Grid:
    """A matrix recipe's runs laid out by their variables: rows by one axis, columns the rest."""

    row_axis: str
    column_axes: list[str]
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], CardView]


@dataclass
class RecipeView:
    """A recipe's cards, with their grid when the recipe is a matrix."""

    name: str
    cards: list[CardView]
    grid: Grid | None = None

    @property
    def failed(self) -> bool:
        """True when any of its runs did not pass."""
        return any(card.run.status != "passed" for card in self.cards)


@dataclass(frozen=True)
class Summary:
    """The summary bar: counts of runs by status, images, time and cost."""

    runs: int
    passed: int
    failed: int
    unfinished: int
    images: int
    duration_ms: int
    cost_usd: float | None
    unreadable: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, recipes: list[RecipeView], unreadable: list[str]) -> Summary:
        """The summary of every card."""
        cards = [card for recipe in recipes for card in recipe.cards]
        statuses = [card.run.status for card in cards]
        costs = [card.cost_usd for card in cards if card.cost_usd is not None]
        return cls(
            runs=len(cards),
            passed=statuses.count("passed"),
            failed=statuses.count("failed"),
            unfinished=len(cards) - statuses.count("passed") - statuses.count("failed"),
            images=sum(card.images for card in cards),
            duration_ms=sum(int(card.run.manifest.get("duration_ms") or 0) for card in cards),
            cost_usd=sum(costs) if costs else None,
            unreadable=unreadable,
        )


def _cost(records: Iterable[TurnRecord]) -> float | None:
    known = [record.cost.usd for record in records if record.cost is not None]
    return sum(known) if known else None


def page_path(target: Path, page_dir: Path) -> str:
    """target as a URL path relative to the page's folder (spaces, '#' and '?' escaped)."""
    relative = os.path.relpath(target, page_dir)
    return urllib.parse.quote(Path(relative).as_posix())


def build_recipes(runs: list[ReportRun], page_dir: Path) -> list[RecipeView]:
    """The recipes' cards in order, each matrix recipe with its grid."""
    recipes: dict[str, RecipeView] = {}
    for index, run in enumerate(runs):
        name = run.key[0]
        recipe = recipes.setdefault(name, RecipeView(name, []))
        turns = [_turn_view(run, turn, page_dir) for turn in run.turns]
        recipe.cards.append(CardView(run, f"run-{index + 1}", {}, turns))
    for recipe in recipes.values():
        recipe.grid = _grid(recipe.cards)
    return list(recipes.values())


def _grid(cards: list[CardView]) -> Grid | None:
    variables = [_variables(card.run) for card in cards]
    names = list(dict.fromkeys(name for values in variables for name in values))
    axes = [name for name in names if len({values.get(name, "") for values in variables}) > 1]
    for card, values in zip(cards, variables, strict=True):
        card.axes = {axis: values.get(axis, "") for axis in axes}
    if not axes:
        return None
    cells: dict[tuple[str, str], CardView] = {}
    for card in cards:
        row = card.axes[axes[0]]
        column = ", ".join(f"{axis}={card.axes[axis]}" for axis in axes[1:])
        cells.setdefault((row, column), card)
    rows = list(dict.fromkeys(row for row, _ in cells))
    columns = list(dict.fromkeys(column for _, column in cells))
    return Grid(axes[0], axes[1:], rows, columns, cells)


def _variables(run: ReportRun) -> dict[str, str]:
    values = run.manifest["run"].get("variables") or {}
    return {str(k): str(v) for k, v in values.items() if k not in _RUN_NAMES}


def _turn_view(run: ReportRun, turn: TurnRecord, page_dir: Path) -> TurnView:
    request = turn.request or {}
    own = _own_content(request)
    text, cut = _answer_text(run.folder, turn.text_file)
    config = request.get("generationConfig")
    return TurnView(
        record=turn,
        prompt="\n".join(part["text"] for part in own if isinstance(part.get("text"), str)),
        references=[_reference(run.folder, part, page_dir) for part in own if "inlineData" in part],
        images=[_output(run, image, page_dir) for image in turn.images if not image.thought],
        thoughts=[_output(run, image, page_dir) for image in turn.images if image.thought],
        text=text,
        text_href=page_path(run.folder / str(turn.text_file), page_dir) if text else None,
        text_cut=cut,
        config=json.dumps(config, indent=2, ensure_ascii=False) if config else "",
        usage=dict((turn.response or {}).get("usageMetadata") or {}),
    )


def _own_content(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The parts of the turn's own user content: the last of the request's contents."""
    contents = request.get("contents") or []
    last = contents[-1] if contents and isinstance(contents[-1], dict) else {}
    return [part for part in last.get("parts") or [] if isinstance(part, dict)]


def _reference(folder: Path, part: dict[str, Any], page_dir: Path) -> Thumb:
    blob = part["inlineData"] if isinstance(part["inlineData"], dict) else {}
    data = blob.get("data")
    mime = str(blob.get("mimeType", ""))
    if isinstance(data, dict) and isinstance(data.get("file"), str):
        target = Path(os.path.normpath(folder / data["file"]))
        return Thumb(page_path(target, page_dir), f"{Path(data['file']).name} ({mime})")
    return Thumb(None, f"an inline {mime or 'image'} with no file")


def _output(run: ReportRun, image: ImageRecord, page_dir: Path) -> Thumb:
    size = f"{image.width}x{image.height}" if image.width and image.height else "undecodable"
    src = page_path(run.folder / image.file.file, page_dir)
    return Thumb(src, image.file.file, size)


def _answer_text(folder: Path, name: str | None) -> tuple[str | None, bool]:
    if not name or Path(name).name != name:  # a tampered manifest must not point elsewhere
        return None, False
    try:
        with (folder / name).open(encoding="utf-8", errors="replace") as file:
            text = file.read(TEXT_LIMIT + 1)
    except OSError:
        return None, False
    return text[:TEXT_LIMIT], len(text) > TEXT_LIMIT
