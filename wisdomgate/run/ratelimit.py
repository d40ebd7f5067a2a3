"""A per-model request rate limit: one token bucket per model name, shared by all runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["DEFAULT_REQUESTS_PER_MINUTE", "RateLimiter", "TokenBucket"]

# Low enough for the image models' usual per-minute quotas, high enough not to slow a CI suite.
DEFAULT_REQUESTS_PER_MINUTE = 30.0


class TokenBucket:
    """Allows `rate` acquisitions per minute on average, with bursts up to `burst`."""

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self._per_second = per_minute / 60.0
        self._capacity = float(burst if burst is not None else max(1, int(per_minute // 6)))
        self._tokens = self._capacity
        self._clock = clock
        self._sleep = sleep  # injectable: a test's fake sleep must not replace the process's own
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._per_second)
        self._updated = now

    def delay(self) -> float:
        """Seconds until a token is available (0 when one is available now)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._per_second

    async def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        waited = 0.0
        # The lock makes waiters queue in order instead of all waking for the same token.
        async with self._lock:
            while (wait := self.delay()) > 0:
                await self._sleep(wait)
                waited += wait
            self._tokens -= 1
        return waited


class RateLimiter:
    """Token buckets keyed by model; `per_minute=None` disables limiting."""

    def __init__(self, per_minute: float | None = DEFAULT_REQUESTS_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, TokenBucket] = {}

    async def acquire(self, model: str) -> float:
        """Wait for the model's next request slot; returns the seconds waited."""
        if self.per_minute is None:
            return 0.0
        bucket = self._buckets.get(model)
        if bucket is None:
            bucket = self._buckets[model] = TokenBucket(self.per_minute)
        return await bucket.acquire()
