"""The commands behind `wisdomgate`: run, validate, plan, schema, serve, and their exit codes.

`run_command` parses the arguments, runs one command and maps every error to an exit code and
one line on stderr (wisdomgate.cli lists the codes). No exception reaches the user as a
traceback unless `--debug` is given, and no message shows the API key.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

from wisdomgate.artifacts import CassetteReader, CassetteWriter, OutputFolders, write_junit
from wisdomgate.catalog import load_catalog
from wisdomgate.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from wisdomgate.cli.arguments import build_parser
from wisdomgate.cli.client import DEFAULT_CONNECTIONS, open_client, retry_policy, timeout_of
from wisdomgate.cli.console import Reporter, terminal_text
from wisdomgate.cli.costs import check_budget, cost_lines, plan_json, plan_lines
from wisdomgate.cli.models import catalog_lines
from wisdomgate.cli.preflight import check_base_url, check_out_dir, check_report_file, read_key
from wisdomgate.cli.progress import progress_view, view_kind
from wisdomgate.cli.replay import REPLAY_KEY, RecordTransport, ReplayTransport, network
from wisdomgate.cli.report import check_report_options, command_report, report_after_run
from wisdomgate.errors import OutputError, RecipeErrors, ToolkitError, UsageError
from wisdomgate.recipe import PlannedRun, load_plans, render_schema, validate_paths
from wisdomgate.run import (
    DEFAULT_REQUESTS_PER_MINUTE,
    Budget,
    DryRunResult,
    Runner,
    RunnerOptions,
    RunResult,
    dry_run,
    load_prices,
)
from wisdomgate_api import (
    API_KEY_ENV,
    BASE_URL_ENV,
    Redactor,
    WisdomGateError,
)

__all__ = ["DEFAULT_CONNECTIONS", "open_client", "run_command"]

Cassette = CassetteWriter | CassetteReader


def _requests_per_minute(args: argparse.Namespace) -> float | None:
    """--rpm; unset means the default against the API, no limit on the simulator or a replay."""
    if args.rpm is None:
        local = args.simulate or args.replay is not None
        return None if local else DEFAULT_REQUESTS_PER_MINUTE
    return args.rpm or None


def _load(args: argparse.Namespace) -> list[PlannedRun]:
    return load_plans(
        args.paths,
        cli_vars=dict(args.var),
        only=args.only,
        allow_outside_root=args.allow_outside_root,
    )


@contextlib.contextmanager
def _endpoint(args: argparse.Namespace) -> Iterator[tuple[str, str | None]]:
    """(key, base URL): the simulator's when --simulate, else from the environment."""
    if args.replay is not None:  # nothing is sent: no key is read, none is needed
        yield REPLAY_KEY, _base_url(args)
        return
    if args.simulate:
        if args.base_url:
            raise UsageError("--simulate and --base-url exclude each other")
        from wisdomgate.simulator import (
            SIMULATOR_KEY,
            SimulatorConfig,
            SimulatorError,
            run_simulator,
        )

        try:
            config = SimulatorConfig(faults=tuple(args.simulate_fault))
        except SimulatorError as error:
            raise UsageError(f"--simulate-fault: {error}") from None
        with run_simulator(config) as base_url:
            yield SIMULATOR_KEY, base_url
        return
    if args.simulate_fault:
        raise UsageError("--simulate-fault needs --simulate")
    key = read_key(args.api_key_env)
    yield key, _base_url(args)


def _base_url(args: argparse.Namespace) -> str | None:
    if args.base_url:
        return check_base_url(args.base_url, "--base-url")
    from_env = os.environ.get(BASE_URL_ENV)
    return (
        check_base_url(from_env, f"the environment variable {BASE_URL_ENV}") if from_env else None
    )


def _check_cassette_options(args: argparse.Namespace) -> None:
    """--record and --replay with the options they exclude (argparse excludes each other)."""
    if args.record is None and args.replay is None:
        return
    option = "--record" if args.record is not None else "--replay"
    if args.dry_run:
        raise UsageError(f"{option} records or replays answers, and --dry-run sends nothing")
    if args.replay is not None and args.simulate:
        raise UsageError(
            "--replay answers from the cassette, --simulate from the simulator: use one"
        )
    if args.record is not None:
        check_out_dir(args.record, "--record")


def _open_cassette(args: argparse.Namespace, key: str) -> Cassette | None:
    """The cassette of --record or --replay, checked (CassetteError: exit 2, nothing sent)."""
    if args.record is not None:
        return CassetteWriter(args.record, Redactor(key))
    if args.replay is not None:
        return CassetteReader(args.replay)
    return None


def _transport(cassette: Cassette | None, base_url: str | None) -> dict[str, Any]:
    """open_client's transport argument for a cassette; none otherwise, so that wrappers of
    open_client with its four positional parameters (tests) keep working."""
    if isinstance(cassette, CassetteWriter):
        return {"transport": RecordTransport(network(base_url), cassette)}
    if isinstance(cassette, CassetteReader):
        return {"transport": ReplayTransport(cassette)}
    return {}


async def _run_all(
    plans: list[PlannedRun],
    args: argparse.Namespace,
    key: str,
    base_url: str | None,
    cassette: Cassette | None = None,
) -> list[RunResult]:
    redactor = Redactor(key)
    reporter = Reporter(sys.stdout, redactor)
    options = RunnerOptions(
        concurrency=args.concurrency,
        requests_per_minute=_requests_per_minute(args),
        redactor=redactor,
        resume=args.resume,
        prices=load_prices(args.prices),
        budget=Budget(args.max_cost) if args.max_cost is not None else None,
        replayed=args.replay is not None,
    )
    timeout = timeout_of(args.timeout)
    transport = _transport(cassette, base_url)
    connections = max(DEFAULT_CONNECTIONS, args.concurrency)
    kind = view_kind(quiet=args.quiet, stdout=sys.stdout, stderr=sys.stderr)
    with progress_view(kind, reporter) as view:
        async with open_client(
            key,
            base_url,
            timeout,
            retry_policy(args.max_attempts, args.retry_lost_answers),
            connections=connections,
            observer=view,
            **transport,
        ) as client:
            stores = OutputFolders(args.out)
            runner = Runner(
                client, options, stores=stores, on_result=view.run_finished, observer=view
            )
            results = await runner.run_all(plans)
    for line in cost_lines(results, args.max_cost):  # before the summary, which ends the output
        reporter.line(line)
    reporter.summary(results, args.out)
    for line in cassette.summary() if cassette is not None else []:
        reporter.line(line)
    if args.junit:
        write_junit(args.junit, results, redactor)
    return results


def _command_run(args: argparse.Namespace) -> int:
    if args.junit and args.dry_run:
        raise UsageError("--junit reports runs, and --dry-run runs nothing: use one or the other")
    _check_cassette_options(args)
    check_out_dir(args.out)
    check_report_options(args)
    if args.junit:
        check_report_file(args.junit, "--junit")
    plans = _load(args)
    if args.shard:
        chosen = args.shard.select(plans)
        print(args.shard.summary(len(chosen), len(plans)), flush=True)
        plans = chosen
    OutputFolders(args.out).check(plans)
    prices = load_prices(args.prices)  # a bad --prices file: exit 2 before anything is sent
    if args.max_cost is not None and args.replay is None:  # a replay pays nothing
        check_budget(plans, prices, args.max_cost)
    if args.dry_run:
        written = dry_run(plans, OutputFolders(args.out))
        Reporter(sys.stdout).dry_run(written, args.out, quiet=args.quiet)
        return EXIT_USAGE if _all_refused(written) else EXIT_OK
    with _endpoint(args) as (key, base_url):
        cassette = _open_cassette(args, key)
        try:
            results = asyncio.run(_run_all(plans, args, key, base_url, cassette))
        except OutputError as error:  # a link planted after the checks: requests were sent
            print(Redactor(key)(f"wisdomgate: error: {error}"), file=sys.stderr)
            return EXIT_FAILED
        changed = report_after_run(args, Redactor(key), sys.stdout)
    if _all_refused(results):
        print(
            "wisdomgate: nothing ran: another process is writing every run folder", file=sys.stderr
        )
        return EXIT_USAGE
    passed = all(result.passed for result in results) and not changed
    return EXIT_OK if passed else EXIT_FAILED


def _all_refused(results: Sequence[RunResult] | Sequence[DryRunResult]) -> bool:
    """True when there were runs and another process held every one of their folders."""
    return bool(results) and all(result.refused for result in results)


def _command_validate(args: argparse.Namespace) -> int:
    report = validate_paths(
        args.paths, cli_vars=dict(args.var), allow_outside_root=args.allow_outside_root
    )
    for file in report.files:
        for problem in (*file.errors, *file.warnings):
            print(problem, file=sys.stderr)
        if file.ok:
            runs = f"{file.runs} run{'' if file.runs == 1 else 's'}"
            print(f"OK {file.path} ({file.name}, {runs}; {file.migration})")
            for run_id, fit in file.auto_fits:  # the size a run's references are sent at
                print(terminal_text(f"  {file.name} [{run_id}] {fit.describe()}"))
    for warning in report.general_warnings:
        print(warning, file=sys.stderr)
    problems = len(report.errors)
    if problems:
        print(f"{problems} problem(s) found, nothing was sent", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_USAGE


def _command_plan(args: argparse.Namespace) -> int:
    prices = load_prices(args.prices)
    plans = load_plans(
        args.paths, cli_vars=dict(args.var), allow_outside_root=args.allow_outside_root
    )
    if args.json:
        print(plan_json(plans, prices))
    else:
        for line in plan_lines(plans, prices):
            print(terminal_text(line))
    return EXIT_OK


def _command_serve(args: argparse.Namespace) -> int:
    from wisdomgate.simulator import SimulatorError, config_from_args, serve

    try:
        config = config_from_args(args)
    except SimulatorError as error:
        raise UsageError(str(error)) from None
    serve(args.host, args.port, config, quiet=args.quiet)
    return EXIT_OK


def _write_exactly(text: str) -> None:
    """Print text as UTF-8 bytes, adding and translating no newline (`schema > file` must give
    the committed file byte for byte)."""
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # stdout replaced by a text-only stream
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    binary.write(text.encode("utf-8"))
    binary.flush()


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return _command_run(args)
    if args.command == "validate":
        return _command_validate(args)
    if args.command == "report":
        key = os.environ.get(API_KEY_ENV)
        return command_report(args, Redactor(key), sys.stdout)
    if args.command == "plan":
        return _command_plan(args)
    if args.command == "schema":
        _write_exactly(render_schema())
        return EXIT_OK
    if args.command == "models":
        for line in catalog_lines(load_catalog()):
            print(line)
        return EXIT_OK
    return _command_serve(args)


def run_command(argv: Sequence[str] | None = None) -> int:
    """Parse argv, run the command, and turn every error into its exit code."""
    args = build_parser().parse_args(argv)
    redact = Redactor(os.environ.get(getattr(args, "api_key_env", None) or API_KEY_ENV))
    try:
        return _dispatch(args)
    except RecipeErrors as errors:
        for error in errors.errors:
            print(redact(str(error)), file=sys.stderr)
        print(f"{len(errors.errors)} problem(s) found, nothing was sent", file=sys.stderr)
        return EXIT_USAGE
    except ToolkitError as error:
        return _fail(args, redact, EXIT_USAGE, f"wisdomgate: error: {error}")
    except BrokenPipeError:
        # The reader went away (`wisdomgate schema | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("wisdomgate: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as error:  # this machine's disk or files, met after the checks passed
        return _fail(args, redact, EXIT_FAILED, f"wisdomgate: error: {_disk_error(args, error)}")
    except WisdomGateError as error:  # an API error outside any run
        return _fail(args, redact, EXIT_FAILED, f"wisdomgate: API error: {error}")
    except Exception as error:
        message = f"wisdomgate: internal error: {type(error).__name__}: {error}"
        if not args.debug:
            message += " (run again with --debug to see where)"
        return _fail(args, redact, EXIT_FAILED, message)


def _disk_error(args: argparse.Namespace, error: OSError) -> str:
    """An OSError in words: the file, what went wrong, and for `run` how to go on."""
    where = f"{error.filename}: " if error.filename else ""
    text = f"{where}{error.strerror or error}"
    if args.command != "run":
        return text
    return (
        f"{text}; the runs stopped. Fix that (free space, another --out), then run again with"
        " --resume: the answers already written are not paid for again"
    )


def _fail(args: argparse.Namespace, redact: Redactor, code: int, message: str) -> int:
    """Print the message (and with --debug the traceback), both redacted; return code."""
    if args.debug:
        print(redact(traceback.format_exc()), file=sys.stderr, end="")
    print(terminal_text(redact(message)), file=sys.stderr)
    return code
