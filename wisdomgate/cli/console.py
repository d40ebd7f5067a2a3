"""What the CLI prints: one line per run as it finishes, and a summary with the output folder."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from wisdomgate.errors import printable
from wisdomgate.run import DryRunResult, RunResult
from wisdomgate_api import Redactor

__all__ = ["Reporter", "terminal_text"]


# C0 and C1 controls: a model's text or a matrix value must not move the cursor, recolour the
# terminal or break the one-line-per-event output
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    """text as one printable line: control characters and undecodable bytes as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", printable(text))


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it, else as given."""
    here, resolved = Path.cwd().resolve(), path.resolve()
    return str(resolved.relative_to(here)) if resolved.is_relative_to(here) else str(path)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Reporter:
    """Prints run results to a stream, masking secrets."""

    def __init__(self, stream: TextIO, redactor: Redactor | None = None) -> None:
        self.stream = stream
        self.redact: Callable[[str], str] = redactor or Redactor()

    def line(self, text: str) -> None:
        """Print one line."""
        print(self.safe(text), file=self.stream, flush=True)

    def safe(self, text: str) -> str:
        """text as it may be shown: the key masked, on one printable line."""
        return terminal_text(self.redact(text))

    def run_finished(self, result: RunResult) -> None:
        """Print the run's line (run_line)."""
        print(self.run_line(result), file=self.stream, flush=True)

    def run_line(self, result: RunResult) -> str:
        """`PASS recipe [run id] 2 images -> folder` or `FAIL recipe [run id] reason`, safe."""
        plan = result.plan
        head = f"{'PASS' if result.passed else 'FAIL'} {plan.recipe_name} [{plan.run_id}]"
        images = _plural(len(result.images), "image")
        if result.passed:
            return self.safe(f"{head} {images} -> {_shown(result.folder)}")
        return self.safe(f"{head} {result.record.reason} ({images} -> {_shown(result.folder)})")

    def summary(self, results: Sequence[RunResult], out_dir: Path) -> None:
        """The totals and where the images are."""
        failed = sum(not result.passed for result in results)
        images = sum(len(result.images) for result in results)
        manifests = sum(not result.refused for result in results)  # a refused run writes none
        turns = [turn for result in results for turn in result.record.turns]
        reused = sum(turn.reused for turn in turns)
        again = f"; {_plural(reused, 'answer')} reused from disk, not sent again" if reused else ""
        self.line(
            f"{_plural(len(results), 'run')}: {len(results) - failed} passed, {failed} failed;"
            f" {_plural(images, 'image')} and {_plural(manifests, 'manifest')} in"
            f" {_shown(out_dir)}{again}"
        )
        resent = sum(turn.resent_lost_answer for turn in turns)
        if resent:
            self.line(
                f"sent again knowingly: {_plural(resent, 'request')} whose earlier answer was"
                " lost (it may be billed twice)"
            )
        lost = sum(bool(t.outcome and t.outcome.kind == "answer_lost") for t in turns)
        if lost:
            self.line(
                f"{_plural(lost, 'answer')} lost after the server accepted the request: it may"
                " have been billed, so it was not sent again; `--resume` re-sends it"
                " (or run with --retry-lost-answers)"
            )

    def dry_run(
        self, results: Sequence[DryRunResult], out_dir: Path, *, quiet: bool = False
    ) -> None:
        """Each request body written, then a reminder that nothing was sent; quiet: only the
        runs that could not be written (BUSY) and that reminder."""
        count = 0
        for result in results:
            plan = result.plan
            if result.busy is not None:
                self.line(f"BUSY {plan.recipe_name} [{plan.run_id}] {result.busy}")
            for request in result.requests:
                count += 1
                if quiet:
                    continue
                kind = "preview, earlier answers are placeholders" if request.preview else "exact"
                self.line(
                    f"DRY-RUN {plan.recipe_name} [{plan.run_id}] turn {request.turn}:"
                    f" {request.file.bytes} bytes ({kind}) -> "
                    f"{_shown(result.folder / request.file.file)}"
                )
        written = sum(not result.refused for result in results)
        self.line(
            f"dry run: nothing was sent; {count} request {'body' if count == 1 else 'bodies'} for"
            f" {_plural(written, 'run')} written in {_shown(out_dir)}"
        )
