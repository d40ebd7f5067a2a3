# Hand-written in codegen/core/, copied verbatim into generated/wisdomgate_api/_core/ by `make regen`.
"""When to retry a failed call and how long to wait: a policy and small pure functions over it.

The money rule lives here, in should_retry: a request is re-sent only when the server cannot have
produced an answer, that is on a status that says so (`retry_statuses`: 408, 429, 500, 502-504,
within the quota and Retry-After rules) or on a transport failure before any status line arrived.
A 2xx whose body was then lost (AnswerLostError) has been worked on, and maybe billed: it is not
re-sent unless the policy opts in.
"""

from __future__ import annotations

import asyncio
import random as _random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .exceptions import (
    AnswerLostError,
    APIConnectionError,
    APIStatusError,
    WisdomGateError,
)

__all__ = [
    "RETRY_STATUSES",
    "TRANSIENT_CAUSES",
    "RetryPolicy",
    "quota_exhausted",
    "retry_delay",
    "server_delay",
    "should_retry",
]

RETRY_STATUSES = (408, 429, 500, 502, 503, 504)

# Transport failures before any status line that a second try can fix and that cannot have run
# the request twice: it never left (connect, pool, a write that broke off before the body was
# complete) or the connection was dropped before any answer (RemoteProtocolError, ReadError).
# The same failure after a 2xx status line is an AnswerLostError, which this set does not cover.
# A bad header, an unsupported URL scheme or an undecodable body fails the same way every time.
TRANSIENT_CAUSES = frozenset(
    {
        "ConnectError",
        "ConnectTimeout",
        "PoolTimeout",
        "WriteError",
        "WriteTimeout",
        "RemoteProtocolError",
        "ReadError",
    }
)

_PER_DAY = re.compile(r"per[_-]?day", re.IGNORECASE)
_ZERO_LIMIT = re.compile(r"\blimit:\s*0(?![\d.])")
_MAX_EXPONENT = 64  # beyond this the backoff is long past max_delay; avoids float overflow


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; max_attempts counts the first try (1 = never retry).

    A server that asks (Retry-After, RetryInfo) to wait longer than `max_delay` is not retried:
    its error is raised at once, the wait it asked for readable as `error.retry_after`.
    `retry_read_timeouts` and `retry_lost_answers` are off because neither is safe with money: a
    generation that timed out while the client waited for its status, or whose 2xx answer was cut
    off mid-body (AnswerLostError), may have run, and been billed, on the server. Neither applies
    to a stream once it has started: its chunks are the caller's, it is never re-sent.
    """

    max_attempts: int = 4
    initial_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0
    jitter: float = 0.25  # the fraction of each backoff delay that is taken off at random
    retry_statuses: tuple[int, ...] = RETRY_STATUSES
    retry_read_timeouts: bool = False
    retry_lost_answers: bool = False
    # Injectable so tests and 429-storm simulations neither wait nor depend on chance or the clock.
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    async_sleep: Callable[[float], Awaitable[Any]] = field(
        default=asyncio.sleep, compare=False, repr=False
    )
    random: Callable[[], float] = field(default=_random.random, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)
    # Told before each retry: the error of the attempt that failed, its number (1-based), and
    # the delay before the next one; for progress displays and retry counts (it cannot veto).
    on_retry: Callable[[WisdomGateError, int, float], None] | None = field(
        default=None, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.initial_delay, self.max_delay) < 0 or self.multiplier < 1:
            raise ValueError("delays must be >= 0 and multiplier >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")


def should_retry(policy: RetryPolicy, error: WisdomGateError, attempt: int) -> bool:
    """True when the failed attempt (1-based) may be sent again: the money rule, under policy."""
    if attempt >= policy.max_attempts:
        return False
    if isinstance(error, AnswerLostError):  # a 2xx came: the server produced an answer
        return policy.retry_lost_answers
    if isinstance(error, APIConnectionError):  # no status line came
        return _transient(policy, error)
    if isinstance(error, APIStatusError):  # the status says whether an answer was produced
        return (
            error.status_code in policy.retry_statuses
            and not quota_exhausted(error)
            and not _waits_too_long(policy, error)
        )
    return False


def retry_delay(policy: RetryPolicy, error: WisdomGateError, attempt: int) -> float:
    """Seconds to wait after the failed attempt: the server's hint if any, else backoff; capped."""
    hint = server_delay(error, now=policy.clock()) if isinstance(error, APIStatusError) else None
    if hint is not None:
        return min(hint, policy.max_delay)
    exponent = min(attempt - 1, _MAX_EXPONENT)
    backoff = min(policy.initial_delay * policy.multiplier**exponent, policy.max_delay)
    return backoff * (1.0 - policy.jitter * policy.random())


def server_delay(error: APIStatusError, *, now: float) -> float | None:
    """The larger of Retry-After and RetryInfo.retryDelay in seconds; None when neither is given."""
    return error.server_delay(now=now)


def quota_exhausted(error: APIStatusError) -> bool:
    """True when waiting cannot help: a daily quota, or a quota whose limit is zero."""
    if _ZERO_LIMIT.search(error.message):
        return True
    for violation in _violations(error):
        names = f"{violation.get('quotaId', '')} {violation.get('quotaMetric', '')}"
        if _PER_DAY.search(names) or str(violation.get("quotaValue", "")).strip() == "0":
            return True
    return False


def _transient(policy: RetryPolicy, error: APIConnectionError) -> bool:
    if error.cause == "ReadTimeout":
        return policy.retry_read_timeouts
    return error.cause in TRANSIENT_CAUSES


def _waits_too_long(policy: RetryPolicy, error: APIStatusError) -> bool:
    # waiting less than the server asked fails again; waiting longer than max_delay is not wanted
    hint = server_delay(error, now=policy.clock())
    return hint is not None and hint > policy.max_delay


def _violations(error: APIStatusError) -> list[dict[str, Any]]:
    failure = error.detail("QuotaFailure") or {}
    found = failure.get("violations")
    return [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []
