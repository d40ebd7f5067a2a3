"""`wisdomgate serve` in a subprocess, for the tests that need the real command: its banner,
its signals, its exit code. Loopback only; the process is always killed at the end."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

START_TIMEOUT = 60.0  # generous: importing the project on a slow, busy CI machine
URL = re.compile(r"http://127\.0\.0\.1:\d+")


@dataclass
class ServeProcess:
    """A running `wisdomgate serve`: its process, and its stderr lines as they arrive."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _reader: threading.Thread | None = None

    def start_reading(self) -> None:
        """Read stderr in a thread, so that a silent process fails a test instead of hanging it."""
        assert self.process.stderr is not None
        stream = self.process.stderr

        def read() -> None:
            for line in stream:
                self._queue.put(line)
            self._queue.put(None)

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()

    def read_until(self, done: Callable[[str], bool], timeout: float = START_TIMEOUT) -> str:
        """The stderr lines up to and including the first for which done() is true."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no such line within {timeout}s; got {seen!r}") from None
            if line is None:
                raise AssertionError(f"serve ended (rc={self.process.poll()}); got {seen!r}")
            seen.append(line)
            self.lines.append(line)
            if done(line):
                return "".join(seen)

    def banner(self) -> str:
        """The startup banner: the lines up to the curl line, its last."""
        return self.read_until(lambda line: line.startswith("curl "))

    def url(self, text: str) -> str:
        """The base URL in text (a banner, or uvicorn's line under --quiet)."""
        found = URL.search(text)
        assert found, text
        return found.group(0)

    def stop(self, sig: signal.Signals, timeout: float = 10.0) -> tuple[int, float]:
        """Send sig; (exit code, seconds until the process exited)."""
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        return code, time.monotonic() - started

    def stderr(self) -> str:
        """All stderr, once the process has exited."""
        self.join_reader()
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
        return "".join(self.lines)

    def join_reader(self) -> None:
        """Wait for the reader thread to see the end of stderr (the process has exited)."""
        if self._reader is not None:
            self._reader.join(timeout=10)


@contextmanager
def serve_process(*args: str) -> Iterator[ServeProcess]:
    """`wisdomgate serve --port 0 ARGS`; killed on exit if it still runs."""
    command = [sys.executable, "-m", "wisdomgate", "serve", "--port", "0", *args]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = ServeProcess(process)
    served.start_reading()
    try:
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        served.join_reader()  # before closing the pipe it reads
        if process.stderr is not None:
            process.stderr.close()
