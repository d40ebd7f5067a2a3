"""Fault injection: parse fault specs and decide, reproducibly, which fault hits a request.

Syntax (server flag `--fault SPEC`, config `faults=("SPEC",)`, or request header
`x-wisdomgate-fault: SPEC[, SPEC...]`)::

    KIND[;count=N|*][;rate=P][;delay=S][;retry=S][;model=NAME]

KIND is one of:

    429           RESOURCE_EXHAUSTED per-minute quota, RetryInfo detail + Retry-After header
    429-daily     RESOURCE_EXHAUSTED per-day quota (QuotaFailure quotaId ...PerDay...), no RetryInfo
    500 503 504   INTERNAL / UNAVAILABLE / DEADLINE_EXCEEDED
    slow          wait `delay` seconds (default 0.5), then answer normally
    reset         read the request, then close the connection before any status line: the
                  request arrived but nothing was answered (a client may safely retry)
    drop          HTTP 200, the headers and part of the body, then close the connection: the
                  answer is lost after the server acted on it
    truncate      streams: end cleanly after the first chunk, without the final chunk;
                  plain calls: cut the JSON body in half
    stream-error  streams: one good chunk, then an {"error": ...} chunk after HTTP 200
    malformed     HTTP 200 whose body (or first stream event) is not valid JSON

`count` bounds how often the fault fires for one request (default 1, `*` = always); the
count is kept per fault and per request hash, so a client retrying the same request sees
the fault `count` times and then succeeds. `rate` fires only for that fraction of attempts,
decided by a hash of the seed, the request and the attempt number (reproducible).
`retry` is the RetryInfo delay in seconds for 429 (default 1). `delay` and `retry` are finite
and at most 60 s, so a typo cannot hang a client. `model` limits the fault to one model.

`reset` closes the connection through its transport (wisdomgate.simulator.connection); an
in-process ASGI client has none and sees ConnectionResetError raised by the app instead.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from wisdomgate.simulator import errors
from wisdomgate.simulator.errors import ApiError, SimulatorConfigError

__all__ = [
    "ERROR_KINDS",
    "FAULT_HEADER",
    "MAX_FAULT_SECONDS",
    "STREAM_KINDS",
    "FaultPlan",
    "FaultSpec",
    "FaultState",
    "check_seconds",
    "header_faults",
    "parse_header",
]

FAULT_HEADER: Final = "x-wisdomgate-fault"
ERROR_KINDS: Final = frozenset({"429", "429-daily", "500", "503", "504"})
BODY_KINDS: Final = frozenset({"drop", "truncate", "stream-error", "malformed"})
STREAM_KINDS: Final = frozenset({"stream-error"})
KINDS: Final = ERROR_KINDS | BODY_KINDS | {"slow", "reset"}
MAX_FAULT_SECONDS: Final = 60.0
"""Upper bound of `delay` and `retry` (the same cap as the [[slow:S]] trigger)."""


@dataclass(frozen=True)
class FaultSpec:
    """One parsed fault: its kind and options."""

    kind: str
    count: int | None = 1
    rate: float = 1.0
    delay: float = 0.5
    retry: float = 1.0
    model: str | None = None

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Parse `KIND[;key=value...]`; SimulatorConfigError when malformed."""
        kind, *options = [piece.strip() for piece in text.strip().split(";")]
        if kind not in KINDS:
            raise SimulatorConfigError(
                f"unknown fault kind {kind!r} in {text!r}; known: {', '.join(sorted(KINDS))}"
            )
        values: dict[str, str] = {}
        for option in filter(None, options):
            key, sep, value = option.partition("=")
            if not sep or key not in {"count", "rate", "delay", "retry", "model"}:
                raise SimulatorConfigError(f"bad fault option {option!r} in {text!r}")
            values[key] = value
        try:
            return cls(
                kind=kind,
                count=_parse_count(values.get("count", "1")),
                rate=float(values.get("rate", "1")),
                delay=float(values.get("delay", "0.5")),
                retry=float(values.get("retry", "1")),
                model=values.get("model"),
            )
        except ValueError as exc:
            raise SimulatorConfigError(f"bad fault spec {text!r}: {exc}") from None

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:  # also false for nan
            raise SimulatorConfigError(
                f"fault {self.kind}: rate must be in [0, 1], not {self.rate}"
            )
        for name in ("delay", "retry"):
            check_seconds(f"fault {self.kind}: {name}", getattr(self, name))

    def error(self, model: str) -> ApiError:
        """The error answer of an error kind (429, 429-daily, 500, 503, 504)."""
        if self.kind in ("429", "429-daily"):
            return errors.rate_limited(model, retry_after=self.retry, daily=self.kind != "429")
        return {"500": errors.internal, "503": errors.unavailable}.get(
            self.kind, errors.deadline_exceeded
        )()


def check_seconds(what: str, seconds: float) -> None:
    """SimulatorConfigError unless seconds is finite and within [0, MAX_FAULT_SECONDS]."""
    if not 0.0 <= seconds <= MAX_FAULT_SECONDS:  # also false for nan (and inf is > 60)
        raise SimulatorConfigError(
            f"{what} must be a finite number of seconds from 0 to {MAX_FAULT_SECONDS:g},"
            f" not {seconds!r}"
        )


def parse_header(value: str | None) -> tuple[FaultSpec, ...]:
    """The faults named in an `x-wisdomgate-fault` header (comma separated)."""
    if not value:
        return ()
    return tuple(FaultSpec.parse(part) for part in value.split(",") if part.strip())


def header_faults(value: str | None) -> tuple[FaultSpec, ...]:
    """parse_header for a request: a malformed header is the client's error (400), not ours."""
    try:
        return parse_header(value)
    except SimulatorConfigError as exc:
        raise errors.bad_header(FAULT_HEADER, str(exc)) from None


@dataclass(frozen=True)
class FaultPlan:
    """The faults that hit one request: a delay, a reset connection, an error answer, a body fault."""

    delay: float = 0.0
    error: FaultSpec | None = None
    body: FaultSpec | None = None
    reset: FaultSpec | None = None  # wins over error and body: nothing is answered at all


class FaultState:
    """Per-server fault counters, keyed by fault and request hash (thread-safe, bounded LRU)."""

    def __init__(self, seed: int, *, max_keys: int = 4096) -> None:
        self._seed = seed
        self._max_keys = max_keys
        # (attempts, fired) per key. Every distinct request adds a key, so a long-running server
        # forgets the least recently used ones; a forgotten request just starts counting again.
        self._counts: OrderedDict[tuple[str, str], tuple[int, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many (fault, request) counters are kept."""
        return len(self._counts)

    def plan(
        self, specs: tuple[FaultSpec, ...], *, request_hash: str, model: str, streaming: bool
    ) -> FaultPlan:
        """Decide which of specs fire for this request (each consumes one attempt)."""
        delay, error, body, reset = 0.0, None, None, None
        for spec in specs:
            if spec.model and spec.model != model:
                continue
            if spec.kind in STREAM_KINDS and not streaming:
                continue  # an error chunk only exists inside a stream
            if not self._fires(spec, request_hash):
                continue
            if spec.kind == "slow":
                delay += spec.delay
            elif spec.kind == "reset" and reset is None:
                reset = spec
            elif spec.kind in ERROR_KINDS and error is None:
                error = spec
            elif spec.kind in BODY_KINDS and body is None:
                body = spec
        return FaultPlan(delay=delay, error=error, body=body, reset=reset)

    def _fires(self, spec: FaultSpec, request_hash: str) -> bool:
        key = (repr(spec), request_hash)
        with self._lock:
            attempt, fired = self._counts.pop(key, (0, 0))
            fires = (spec.count is None or fired < spec.count) and (
                spec.rate >= 1.0 or self._draw(key, attempt) < spec.rate
            )
            self._counts[key] = (attempt + 1, fired + int(fires))  # re-inserted: most recently used
            if len(self._counts) > self._max_keys:
                self._counts.popitem(last=False)
            return fires

    def _draw(self, key: tuple[str, str], attempt: int) -> float:
        digest = hashlib.sha256(f"{self._seed}|{key[0]}|{key[1]}|{attempt}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64


def _parse_count(text: str) -> int | None:
    if text in ("*", "always", "inf"):
        return None
    count = int(text)
    if count < 0:
        raise ValueError("count must be >= 0")
    return count
