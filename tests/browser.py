"""Headless Chromium (Debian's package) driven by Playwright: open a page, see what a person sees.

Playwright's own browser download cannot work here; its Python package drives the system's
chromium through `executable_path`. `python -m tests.browser DOCS_DIR` makes the screenshots the
README shows (`make screenshots`).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import chdir, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM_ENV = "WISDOMGATE_CHROMIUM"  # a chromium elsewhere than on PATH


def chromium_path() -> str | None:
    """The chromium binary: $WISDOMGATE_CHROMIUM, else chromium (or chromium-browser) on PATH."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser(executable: str) -> Iterator[Browser]:
    """A headless Chromium (no sandbox as root: Chromium refuses to start otherwise)."""
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Visit:
    """A page as loaded: its console errors, page errors and failed requests, and its images."""

    page: Page
    errors: list[str] = field(default_factory=list)
    images: list[tuple[str, int]] = field(default_factory=list)  # (src, naturalWidth)

    @property
    def broken_images(self) -> list[str]:
        """The src of every <img> that did not load."""
        return [src for src, width in self.images if width <= 0]


def visit(browser: Browser, path: Path, width: int = 1400, height: int = 1000) -> Visit:
    """Open the file at path and wait until it and its images have loaded."""
    page = browser.new_page(viewport={"width": width, "height": height})
    found = Visit(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            found.errors.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.errors.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: found.errors.append(f"failed: {request.url}"))
    page.goto(path.resolve().as_uri(), wait_until="load")
    found.images = [
        (str(src), int(width))
        for src, width in page.evaluate(
            "Array.from(document.images, (img) => [img.getAttribute('src'), img.naturalWidth])"
        )
    ]
    return found


def screenshot(found: Visit, path: Path, *, full_page: bool = False) -> Path:
    """Save what the page shows as a PNG."""
    found.page.screenshot(path=str(path), full_page=full_page)
    return path


def _shrink(path: Path) -> None:
    """Re-save a screenshot with a 256-colour palette: a third of the size in the repository."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main(docs: Path) -> int:
    """Run the example recipes twice on the simulator (the second with another subject) and
    save the gallery and the baseline page as docs/report-gallery.png, docs/report-baseline.png."""
    from wisdomgate import cli

    executable = chromium_path()
    if executable is None:
        print("no chromium: run `make setup-browser`", file=sys.stderr)
        return 2
    recipes = Path(__file__).resolve().parent.parent / "recipes"
    docs = docs.resolve()
    # in a scratch folder: the pages name the folders as given, and short relative names read well
    with tempfile.TemporaryDirectory() as scratch, chdir(scratch):
        old, new = Path("last-good"), Path("out")
        cli.main(["run", str(recipes), "--simulate", "--out", str(old)])
        changed = ["--var", "subject=a red lighthouse in a storm", "--baseline", str(old)]
        cli.main(["run", str(recipes), "--simulate", "--out", str(new), *changed])
        with browser(executable) as chromium:
            for name, page in (
                ("report-gallery", "report.html"),
                ("report-baseline", "baseline.html"),
            ):
                found = visit(chromium, new / page, width=1600, height=1200)
                if found.errors or found.broken_images:
                    print(f"{page}: {found.errors} {found.broken_images}", file=sys.stderr)
                    return 1
                shot = screenshot(found, docs / f"{name}.png", full_page=page == "report.html")
                _shrink(shot)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
