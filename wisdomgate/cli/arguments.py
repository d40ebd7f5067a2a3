"""The `wisdomgate` command line: subcommands, options and their value types (parsing only)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from wisdomgate import __version__
from wisdomgate.run import DEFAULT_CONCURRENCY, DEFAULT_REQUESTS_PER_MINUTE, Shard
from wisdomgate_api import API_KEY_ENV, BASE_URL_ENV, DEFAULT_TIMEOUT, RetryPolicy

__all__ = ["build_parser"]


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key.strip(), value


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return number


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_float(text: str) -> float:
    number = _non_negative(text)
    if number == 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return number


def _non_negative(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = -1
    if not (math.isfinite(number) and number >= 0):  # nan and inf parse as floats
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return number


def _add_debug_argument(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # SUPPRESS in the subcommands: a subparser's default would overwrite `wisdomgate --debug run`
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="show the traceback of an error (for bug reports)",
    )


def _add_recipe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, help="recipe files or folders")
    parser.add_argument(
        "--var",
        action="append",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help="set a template variable (repeatable; wins over vars and matrix values)",
    )
    parser.add_argument(
        "--allow-outside-root",
        action="store_true",
        help="let reference images lie outside the folder given on the command line",
    )


def _add_baseline_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="OLD_OUT",
        help="also write baseline.html: runs paired with those of OLD_OUT, images scored",
    )
    parser.add_argument(
        "--fail-on-change",
        type=_non_negative,
        metavar="THRESHOLD",
        help="with --baseline: exit 1 when a run's change score (0-1) exceeds THRESHOLD",
    )


def _add_prices_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="price table to use instead of the built-in one (wisdomgate/data/prices.json)",
    )


def _plan_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = commands.add_parser("plan", help="estimate what running recipes costs; send nothing")
    _add_recipe_arguments(plan)
    _add_prices_argument(plan)
    plan.add_argument("--json", action="store_true", help="print the estimate as JSON")


def _run_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="run recipes and check their expectations")
    _add_recipe_arguments(run)
    run.add_argument("--out", type=Path, default=Path("out"), help="output folder (./out)")
    run.add_argument(
        "--simulate",
        action="store_true",
        help="use the built-in simulator on 127.0.0.1 (no key, no network)",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="reuse the answers already in --out for turns whose request is unchanged"
        " (after a crash or a kill: nothing is paid for twice)",
    )
    run.add_argument(
        "--simulate-fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="with --simulate: inject a fault, e.g. '429;count=2' or '503;rate=0.3'"
        " (repeatable; syntax in docs/simulator.md)",
    )
    run.add_argument(
        "--base-url", help=f"API base URL (default: ${BASE_URL_ENV} or the public one)"
    )
    run.add_argument(
        "--api-key-env",
        default=API_KEY_ENV,
        metavar="NAME",
        help=f"environment variable holding the API key ({API_KEY_ENV})",
    )
    run.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        help=f"runs at the same time ({DEFAULT_CONCURRENCY})",
    )
    run.add_argument(
        "--rpm",
        type=_non_negative,
        help="requests per minute per model, 0 = no limit"
        f" (default {DEFAULT_REQUESTS_PER_MINUTE:g}; no limit with --simulate)",
    )
    run.add_argument(
        "--timeout",
        type=_positive_float,
        help=f"seconds to wait for one answer (default {DEFAULT_TIMEOUT.read:g})",
    )
    run.add_argument(
        "--max-attempts",
        type=_positive_int,
        default=RetryPolicy().max_attempts,
        help="tries per request, retries on 408/429/5xx included",
    )
    run.add_argument(
        "--retry-lost-answers",
        action="store_true",
        help="re-send a request whose answer was lost after the server accepted it"
        " (not safe with money: the lost answer may have been billed)",
    )
    run.add_argument(
        "--only",
        metavar="NAME[/RUN]",
        help="run only this recipe, or one run of it (shell wildcards allowed)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="write the request bodies (turn-<N>.request.json) instead of sending them",
    )
    run.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="run only the K-th of N disjoint slices of the runs (one per CI job)",
    )
    run.add_argument(
        "--junit", type=Path, metavar="FILE", help="write a JUnit XML report of the runs"
    )
    run.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress: print only the runs that failed and the summary (with --dry-run: the"
        " busy runs and the summary)",
    )
    run.add_argument(
        "--max-cost",
        type=_non_negative,
        metavar="USD",
        help="refuse to start when the estimate may exceed USD (exit 2, nothing sent); start"
        " no further run once the answers cost USD (docs/cost.md)",
    )
    _add_prices_argument(run)
    cassette = run.add_mutually_exclusive_group()
    cassette.add_argument(
        "--record",
        type=Path,
        metavar="DIR",
        help="also store every final 2xx answer in the cassette DIR, by request hash"
        " (a folder to commit; never the key)",
    )
    cassette.add_argument(
        "--replay",
        type=Path,
        metavar="DIR",
        help="answer every request from the cassette DIR: no network, no key; a request it"
        " lacks fails its run (not_recorded)",
    )
    _add_baseline_arguments(run)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="wisdomgate", description="Run and check Gemini image recipes (YAML)."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_debug_argument(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _run_parser(commands)
    validate = commands.add_parser("validate", help="check recipes without sending anything")
    _add_recipe_arguments(validate)
    report = commands.add_parser(
        "report", help="rebuild OUT/report.html from the manifests (no network)"
    )
    report.add_argument("out", type=Path, metavar="OUT", help="the --out folder of a run")
    _add_baseline_arguments(report)
    _plan_parser(commands)
    commands.add_parser("schema", help="print the recipe JSON Schema")
    commands.add_parser("models", help="list the models recipes may use, with their options")
    serve = commands.add_parser("serve", help="run the simulator (an API look-alike)")
    from wisdomgate.simulator import add_serve_arguments

    add_serve_arguments(serve)
    for command in commands.choices.values():
        _add_debug_argument(command, top=False)
    return parser
