"""Running the simulator: in a background thread for tests, blocking for `wisdomgate serve`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from wisdomgate.simulator.app import create_app
from wisdomgate.simulator.banner import render_banner
from wisdomgate.simulator.config import SIMULATOR_KEY, SimulatorConfig
from wisdomgate.simulator.counter import RequestCounter
from wisdomgate.simulator.errors import SimulatorError
from wisdomgate.simulator.faults import FaultSpec

__all__ = ["add_serve_arguments", "config_from_args", "run_simulator", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
_START_TIMEOUT = 10.0
_GRACEFUL_SHUTDOWN = 0.5
"""Seconds a stopping server gives the requests in flight; then uvicorn cancels them.

Requests waiting out a delay (--latency, `slow` faults, [[slow:S]], up to a minute) do not
count: the stop ends them at once with a 503 (Simulator._pause). This bounds the rest, such
as a client that never finishes sending its body."""


class _DroppedConnectionFilter(logging.Filter):
    """Hide uvicorn's complaints about the connections the drop and reset faults cut on purpose."""

    _MESSAGES = frozenset(
        {
            "ASGI callable returned without completing response.",  # drop: 200, then cut
            "ASGI callable returned without starting response.",  # reset: should uvicorn see it
        }
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self._MESSAGES


class _CancelledAtStopFilter(logging.Filter):
    """Hide the traceback of a request uvicorn cancels when a stop's grace period ends.

    uvicorn cancels requests only then, and says so in its own line ("Cancel N running
    task(s), timeout graceful shutdown exceeded"); the traceback would add nothing but noise.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, asyncio.CancelledError)


class _Server(uvicorn.Server):
    """uvicorn's server, stopping within a second: delays in flight end when it stops.

    In the main thread (`serve`) a SIGINT or SIGTERM stops it and it returns normally; it
    calls on_started with the port it is bound to once it listens.
    """

    def __init__(
        self,
        config: SimulatorConfig,
        counter: RequestCounter | None = None,
        on_started: Callable[[int], None] | None = None,
        **kwargs: object,
    ) -> None:
        uvicorn_log = logging.getLogger("uvicorn.error")
        for kind in (_DroppedConnectionFilter, _CancelledAtStopFilter):
            if not any(isinstance(f, kind) for f in uvicorn_log.filters):
                uvicorn_log.addFilter(kind())
        self._stopping = asyncio.Event()
        self._on_started = on_started
        # access_log stays off: uvicorn's access line includes the query string (?key=).
        app = create_app(config, counter=counter, stopping=self._stopping)
        super().__init__(
            uvicorn.Config(
                app,
                access_log=False,
                lifespan="off",
                log_config=None,
                # Typed int, but only passed to asyncio.wait_for: a fraction of a second works.
                timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,  # type: ignore[arg-type]
                **kwargs,  # type: ignore[arg-type]
            )
        )

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_started is not None:
            # The port actually bound: the one asked for, or the one picked for port 0.
            self._on_started(self.servers[0].sockets[0].getsockname()[1])

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._stopping.set()
        await super().shutdown(sockets)

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn's own version re-raises the signal once stopped: a KeyboardInterrupt (exit 130
        # with a message, a traceback under python -m) for SIGINT, death by signal for SIGTERM.
        # For a server, being told to stop is its normal end: exit 0.
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only; run_simulator stops with should_exit
            return
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in stops}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@contextmanager
def run_simulator(
    config: SimulatorConfig | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    counter: RequestCounter | None = None,
) -> Iterator[str]:
    """Serve the simulator in a background thread; yields its base URL, stops it on exit.

    `counter`, when given, counts every request the server reads (see RequestCounter).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = _Server(config or SimulatorConfig(), counter)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="wisdomgate-simulator", daemon=True
    )
    thread.start()
    try:
        _wait_started(server, thread)
        bound_host, bound_port = sock.getsockname()[:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=_START_TIMEOUT)
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SimulatorError("the simulator did not start")
        time.sleep(0.01)


class _UntilStarted(logging.Filter):
    """Hide uvicorn's INFO lines until the server listens: the banner says it better."""

    def __init__(self, server: uvicorn.Server) -> None:
        super().__init__()
        self._server = server

    def filter(self, record: logging.LogRecord) -> bool:
        return self._server.started or record.levelno >= logging.WARNING


def serve(host: str, port: int, config: SimulatorConfig, *, quiet: bool = False) -> None:
    """Serve the simulator in the foreground until SIGINT/SIGTERM (for `wisdomgate serve`).

    Prints the startup banner to stderr once listening, unless quiet (then uvicorn's own
    startup lines, as before the banner existed). Returns normally after a signal.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("wisdomgate.simulator").setLevel(logging.INFO)

    def announce(bound_port: int) -> None:
        if not quiet:
            print(render_banner(host, bound_port, config), end="", file=sys.stderr, flush=True)

    server = _Server(config, on_started=announce, host=host, port=port)
    startup_filter = _UntilStarted(server)
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not quiet:
        uvicorn_log.addFilter(startup_filter)
    try:
        server.run()
    finally:
        uvicorn_log.removeFilter(startup_filter)


def _port(text: str) -> int:
    """A TCP port number for argparse: a usage error (exit 2) instead of socket's OverflowError."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535, got {text!r}")
    return port


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's command-line options."""
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to listen on")
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help="TCP port 0..65535 (0 = any free)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault, e.g. '429;count=2' or '503;rate=0.2;count=*' (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for signatures, ids, fault rates")
    parser.add_argument("--latency", type=float, default=0.0, help="extra seconds per request")
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help=f"accept this key too (default accepts only {SIMULATOR_KEY!r})",
    )
    parser.add_argument(
        "--accept-any-key", action="store_true", help="accept any non-empty API key"
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print no startup banner (URL, keys, client lines); uvicorn's own lines instead",
    )


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """A SimulatorConfig from parsed add_serve_arguments options."""
    return SimulatorConfig(
        api_keys=frozenset({SIMULATOR_KEY, *args.api_key}),
        accept_any_key=args.accept_any_key,
        faults=tuple(FaultSpec.parse(spec) for spec in args.fault),
        seed=args.seed,
        latency=args.latency,
    )
