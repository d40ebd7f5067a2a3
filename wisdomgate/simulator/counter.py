"""Counting the requests a simulator received, so a test can bound a client's retries.

    counter = RequestCounter()
    with run_simulator(SimulatorConfig(faults=("503;count=2",)), counter=counter) as url:
        ...  # run the client
    assert counter.max() <= 3  # no request was sent more than three times

Requests are keyed like the fault counters (`request_key`: method, path, query without the
key, body), so every retry of one request adds to the same count. A request is counted once its
body has been read: calls refused before that (no key, a wrong key, a body over the size
limit) are not.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable

__all__ = ["RequestCounter", "request_key"]


def request_key(method: str, path: str, query: Iterable[tuple[str, str]], body: bytes) -> str:
    """The identity of a request for counting and faults (the `key` query parameter left out)."""
    kept = sorted((name, value) for name, value in query if name != "key")
    text = f"{method.upper()}|{path}|{kept}|".encode()
    return hashlib.sha256(text + body).hexdigest()


class RequestCounter:
    """How many times each request reached the simulator (thread-safe; never forgets)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, key: str) -> int:
        """Count one more arrival of the request `key`; its count so far."""
        with self._lock:
            self._counts[key] += 1
            return self._counts[key]

    def count(self, key: str) -> int:
        """How many times the request `key` arrived (0 if never)."""
        with self._lock:
            return self._counts[key]

    def max(self) -> int:
        """The highest count of any one request (0 before the first)."""
        with self._lock:
            return max(self._counts.values(), default=0)

    @property
    def total(self) -> int:
        """Every request counted, retries included."""
        with self._lock:
            return sum(self._counts.values())

    def by_key(self) -> dict[str, int]:
        """A snapshot: request key -> count."""
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        """Forget every count (between the phases of one test)."""
        with self._lock:
            self._counts.clear()
