"""The live display of a batch on a terminal (rich): a bar and the counts, redrawn in place.

Drawn by rich's refresh thread from the Tally (wisdomgate.cli.progress), so the event loop only
updates counters. Each finished run's PASS or FAIL line is printed above the display, where it
stays; the display itself is transient: it is gone when the batch ends and the summary follows.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from wisdomgate.cli.console import Reporter
from wisdomgate.cli.progress import ProgressView, Tally
from wisdomgate.run import ProgressEvent, RunResult

__all__ = ["LiveProgress", "counts_text", "duration_text"]

_NONE = "—"  # shown for what is not known (yet)


def duration_text(seconds: float | None) -> str:
    """`45s`, `3m 05s`, `1h 02m`; the dash for None."""
    if seconds is None:
        return _NONE
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def counts_text(tally: Tally) -> tuple[str, str]:
    """The two lines of counts: `3/10 runs done · 1 failed · 4 in flight` and
    `2 retries · 7 images · cost — · ETA 1m 20s`."""
    cost = _NONE if tally.cost_usd is None else f"${tally.cost_usd:,.2f}"
    runs = (
        f"{tally.done}/{tally.runs} runs done · {tally.failed} failed · {tally.in_flight} in flight"
    )
    retries = f"{tally.retries} {'retry' if tally.retries == 1 else 'retries'}"
    images = f"{tally.images} {'image' if tally.images == 1 else 'images'}"
    return runs, f"{retries} · {images} · cost {cost} · ETA {duration_text(tally.eta_s)}"


class LiveProgress(ProgressView):
    """The live display; console: where to draw (the reporter's stream by default)."""

    def __init__(
        self, reporter: Reporter, console: Console | None = None, *, auto_refresh: bool = True
    ) -> None:
        super().__init__(reporter)
        self.console = console or Console(file=reporter.stream, highlight=False)
        self._auto = auto_refresh
        self._live = Live(
            console=self.console,
            get_renderable=self.render,
            auto_refresh=auto_refresh,
            transient=True,
            # the reporter holds the real stdout: its lines go through the console instead;
            # a warning on stderr is printed above the display rather than through it
            redirect_stdout=False,
            redirect_stderr=True,
        )

    def render(self) -> RenderableType:
        """The display: a bar of runs done and the counts, on two lines."""
        tally = self.tally
        runs, rest = counts_text(tally)
        grid = Table.grid(padding=(0, 1))
        grid.add_row(ProgressBar(total=max(1, tally.runs), completed=tally.done, width=20), runs)
        grid.add_row("", rest)
        return grid

    def notify(self, event: ProgressEvent) -> None:
        """Count the event; redraw now unless rich's thread redraws on its own."""
        super().notify(event)
        if not self._auto:
            self._live.refresh()

    def run_finished(self, result: RunResult) -> None:
        """The run's PASS or FAIL line, above the display (Text: no markup is read in it)."""
        self.console.print(Text(self.reporter.run_line(result)), soft_wrap=True)

    def __enter__(self) -> LiveProgress:
        self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._live.stop()
