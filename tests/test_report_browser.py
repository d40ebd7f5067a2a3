"""A real browser opens the gallery and the baseline page of a simulated run: every image loads,
nothing goes wrong in the console, each run has its card, and a screenshot is kept.

Chromium is Debian's package. Without it the test is skipped, saying how to get it (`make
setup-browser`), except under CI=true, where `make test` installs it and a skip would hide a
broken setup: there the test fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser import Visit, browser, chromium_path, screenshot, visit
from tests.report_runs import simulate, write_recipes


@pytest.fixture(scope="module")
def chromium(out: Path) -> Iterator[Browser]:
    """The browser, started after the runs: Playwright's sync API holds an event loop while it
    is open, and `wisdomgate run` starts its own."""
    executable = chromium_path()
    if executable is None:
        message = "no chromium on PATH: run `make setup-browser` (Debian's chromium package)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; under CI=true the browser test must run, never skip")
        pytest.skip(message)
    with browser(executable) as launched:
        yield launched


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated run compared with an earlier one whose cat prompt was different."""
    root = tmp_path_factory.mktemp("browser")
    simulate(write_recipes(root / "old-recipes", cat_prompt="a crown"), root / "old")
    simulate(write_recipes(root / "recipes"), root / "out", "--baseline", str(root / "old"))
    return root / "out"


@pytest.fixture(scope="module")
def gallery(chromium: Browser, out: Path) -> Visit:
    return visit(chromium, out / "report.html")


@pytest.fixture(scope="module")
def baseline(chromium: Browser, out: Path) -> Visit:
    return visit(chromium, out / "baseline.html")


def test_every_image_of_the_gallery_loads(gallery: Visit) -> None:
    assert gallery.images and gallery.broken_images == []


def test_the_gallery_has_no_console_errors(gallery: Visit) -> None:
    assert gallery.errors == []


def test_the_gallery_has_one_card_per_run(gallery: Visit, out: Path) -> None:
    runs = {
        f"{path.parent.parent.name}/{path.parent.name}" for path in out.glob("*/*/manifest.json")
    }
    cards = gallery.page.eval_on_selector_all("article.card", "cards => cards.length")
    assert cards == len(runs) == 6


def test_the_failure_filter_hides_passed_runs(gallery: Visit) -> None:
    gallery.page.click("label[for=only-failures]")
    shown = gallery.page.eval_on_selector_all(
        "article.card", "cards => cards.filter((card) => card.offsetParent !== null).length"
    )
    gallery.page.click("label[for=only-failures]")
    assert shown == 1


def test_every_image_of_the_baseline_page_loads(baseline: Visit) -> None:
    assert baseline.images and baseline.broken_images == []


def test_the_baseline_page_has_no_console_errors(baseline: Visit) -> None:
    assert baseline.errors == []


def test_the_baseline_page_has_one_section_per_run(baseline: Visit) -> None:
    assert baseline.page.eval_on_selector_all("section.pair", "pairs => pairs.length") == 6


def test_a_screenshot_of_each_page_is_saved(
    gallery: Visit, baseline: Visit, tmp_path: Path
) -> None:
    shots = [
        screenshot(gallery, tmp_path / "report.png", full_page=True),
        screenshot(baseline, tmp_path / "baseline.png", full_page=True),
    ]
    assert all(shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for shot in shots)
