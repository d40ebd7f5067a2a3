"""The gallery: OUT/report.html, and OUT/baseline.html when a baseline folder is compared.

Both pages are rendered from the runs' manifests alone (wisdomgate.artifacts.report_load), so
`wisdomgate report OUT` rebuilds them at any time with no network. The templates are package data,
autoescaped (prompts and model text are untrusted); the pages hold their CSS, load nothing from
elsewhere and run no script (their Content-Security-Policy allows none), and show images by a
path relative to the page, never inlined. Every text is masked with the redactor before it is
escaped: a key never reaches a page. Pages are written atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from wisdomgate import __version__
from wisdomgate.artifacts.folders import atomic_write_bytes
from wisdomgate.artifacts.report_baseline import Comparison, compare_runs
from wisdomgate.artifacts.report_load import LoadedRuns, load_runs
from wisdomgate.artifacts.report_view import RecipeView, Summary, build_recipes

__all__ = ["BASELINE_NAME", "REPORT_NAME", "Report", "write_report"]

REPORT_NAME = "report.html"
BASELINE_NAME = "baseline.html"


@dataclass(frozen=True)
class Report:
    """What write_report wrote: the page, the baseline page and its comparison, the summary."""

    path: Path
    summary: Summary
    baseline_path: Path | None = None
    comparison: Comparison | None = None


def _environment(redact: Callable[[str], str]) -> jinja2.Environment:
    def finalize(value: Any) -> Any:
        # runs on every {{ value }} before autoescaping: the key is masked in the raw text
        if isinstance(value, Markup):
            return Markup(redact(str(value)))
        return redact(value) if isinstance(value, str) else value

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("wisdomgate.artifacts", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["duration"] = _duration
    environment.filters["usd"] = lambda value: f"${value:,.4f}"
    return environment


def _duration(milliseconds: Any) -> str:
    if not isinstance(milliseconds, int | float):
        return "–"
    if milliseconds < 1000:
        return f"{milliseconds:.0f} ms"
    seconds = milliseconds / 1000
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def write_report(
    out: Path,
    *,
    baseline: Path | None = None,
    threshold: float | None = None,
    redact: Callable[[str], str] = str,
) -> Report:
    """Render OUT/report.html (and OUT/baseline.html against baseline) from the manifests.

    threshold: the --fail-on-change score, shown on the baseline page (pairs over it outlined).
    ReportError (exit 2) when out or baseline is not a wisdomgate output folder. Without a
    baseline, a baseline.html left by an earlier comparison is removed: it would be stale.
    """
    loaded = load_runs(out, option="OUT")
    old = load_runs(baseline, option="--baseline") if baseline is not None else None
    recipes = build_recipes(loaded.runs, out)
    comparison = compare_runs(baseline, old.runs, loaded.runs, out) if old and baseline else None
    if comparison is not None:
        for card in (card for recipe in recipes for card in recipe.cards):
            card.badge = comparison.badge_of(card.run)
    summary = Summary.of(recipes, loaded.unreadable)
    environment = _environment(redact)
    page = out / REPORT_NAME
    context = _context(loaded, recipes, summary, comparison)
    _write(page, environment.get_template("report.html.j2").render(context))
    baseline_page = out / BASELINE_NAME
    if comparison is None:
        baseline_page.unlink(missing_ok=True)
        return Report(page, summary)
    anchors = {id(card.run): card.anchor for recipe in recipes for card in recipe.cards}
    rendered = environment.get_template("baseline.html.j2").render(
        {
            **context,
            "anchors": {pair.key: anchors.get(id(pair.new)) for pair in comparison.pairs},
            "threshold": threshold,
            "baseline_label": str(baseline),
        }
    )
    _write(baseline_page, rendered)
    return Report(page, summary, baseline_page, comparison)


def _context(
    loaded: LoadedRuns,
    recipes: list[RecipeView],
    summary: Summary,
    comparison: Comparison | None,
) -> dict[str, Any]:
    return {
        "title": loaded.root.resolve().name or str(loaded.root),
        "recipes": recipes,
        "summary": summary,
        "comparison": comparison,
        "baseline_name": BASELINE_NAME,
        "report_name": REPORT_NAME,
        "version": __version__,
    }


def _write(path: Path, html: str) -> None:
    atomic_write_bytes(path, html.encode("utf-8"))
