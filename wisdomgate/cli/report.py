"""`wisdomgate report OUT` and the report `run` writes: the gallery, the baseline, --fail-on-change.

Exit codes: 0 the pages were written (and no run changed more than --fail-on-change allows), 1 a
run pair's change score exceeds the threshold (each one is named), 2 OUT or --baseline is not a
wisdomgate output folder, or the options do not fit together.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from wisdomgate.artifacts import Report, ReportError, load_runs, write_report
from wisdomgate.cli import EXIT_FAILED, EXIT_OK
from wisdomgate.cli.console import terminal_text
from wisdomgate.errors import UsageError

__all__ = ["check_report_options", "command_report", "report_after_run"]


def check_report_options(args: argparse.Namespace, *, out_option: str = "--out") -> None:
    """--baseline and --fail-on-change checked before anything runs (UsageError, ReportError)."""
    if args.fail_on_change is not None and args.baseline is None:
        raise UsageError("--fail-on-change needs --baseline OLD_OUT, the folder to compare with")
    if args.baseline is None:
        return
    if getattr(args, "dry_run", False):
        raise UsageError("--baseline compares answers, and --dry-run gets none: use one")
    if args.baseline.resolve() == args.out.resolve() and args.command == "run":
        raise UsageError(
            f"--baseline {args.baseline} is the {out_option} folder: the run would overwrite"
            " what it is compared with; copy it aside or give another --out"
        )
    load_runs(args.baseline, option="--baseline")


def _publish(args: argparse.Namespace, redact: Callable[[str], str], stream: TextIO) -> Report:
    report = write_report(
        args.out, baseline=args.baseline, threshold=args.fail_on_change, redact=redact
    )
    comparison = report.comparison
    if comparison is not None and report.baseline_path is not None:
        counts = ", ".join(
            f"{comparison.count(badge)} {badge}"
            for badge in ("changed", "new", "removed", "unchanged")
        )
        print(f"baseline {args.baseline}: {counts} -> {report.baseline_path}", file=stream)
    print(f"report: {report.path}", file=stream, flush=True)
    return report


def _over_threshold(report: Report, threshold: float | None, stream: TextIO) -> bool:
    """True (and each pair named on stream) when a pair's change score exceeds threshold."""
    if report.comparison is None or threshold is None:
        return False
    over = report.comparison.over(threshold)
    for pair in over:
        line = f"changed over {threshold:g}: {pair.label} score {pair.score:.3f}"
        print(terminal_text(line), file=stream)
    return bool(over)


def command_report(args: argparse.Namespace, redact: Callable[[str], str], stream: TextIO) -> int:
    """`wisdomgate report OUT [--baseline OLD] [--fail-on-change T]`."""
    check_report_options(args, out_option="OUT")
    report = _publish(args, redact, stream)
    return EXIT_FAILED if _over_threshold(report, args.fail_on_change, stream) else EXIT_OK


def report_after_run(
    args: argparse.Namespace, redact: Callable[[str], str], stream: TextIO
) -> bool:
    """Write the pages of a finished `run`; True when --fail-on-change is exceeded."""
    try:
        report = _publish(args, redact, stream)
    except ReportError as error:  # every run was refused: no manifest to show
        print(terminal_text(redact(f"no report: {error}")), file=stream)
        return False
    return _over_threshold(report, args.fail_on_change, stream)
