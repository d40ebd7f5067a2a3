"""The `wisdomgate` command's entry point: exit codes, and Ctrl-C caught from the first moment.

Exit codes: 0 every run passed (or nothing needed running), 1 a run failed, 2 invalid input or
usage (a recipe, an option, the environment, the output folder; argparse's own errors too),
130 interrupted. This module imports nothing heavy, so that an interrupt while the rest of the
program is still importing ends as cleanly as one during a run; the commands live in
wisdomgate.cli.commands.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `wisdomgate` command; returns the exit code."""
    _tolerant_streams()
    try:
        from wisdomgate.cli.commands import run_command

        return run_command(argv)
    except KeyboardInterrupt:
        print("wisdomgate: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # a broken installation: run_command maps everything else
        if _debug(argv):
            traceback.print_exc()
        print(f"wisdomgate: cannot start: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED


def _tolerant_streams() -> None:
    """A path or a model's text that the terminal cannot encode is escaped, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _debug(argv: Sequence[str] | None) -> bool:
    return "--debug" in (sys.argv[1:] if argv is None else argv)
