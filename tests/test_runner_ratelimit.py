"""The per-model token bucket."""

from __future__ import annotations

import asyncio

import pytest

from wisdomgate.run.ratelimit import RateLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_asks_to_wait() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, burst=2, clock=clock)
    assert bucket.delay() == 0
    bucket._tokens -= 2
    assert bucket.delay() == pytest.approx(1.0)


def test_bucket_refills_at_the_configured_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(120, burst=1, clock=clock)
    bucket._tokens = 0
    clock.now = 0.5
    assert bucket.delay() == 0


def test_acquire_sleeps_until_a_token_is_free() -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    bucket = TokenBucket(60, burst=1, clock=clock, sleep=fake_sleep)

    async def twice() -> float:
        await bucket.acquire()
        return await bucket.acquire()

    assert asyncio.run(twice()) == pytest.approx(1.0)
    assert slept == [pytest.approx(1.0)]


def test_limiter_keeps_one_bucket_per_model() -> None:
    limiter = RateLimiter(60)

    async def take() -> None:
        await limiter.acquire("a")
        await limiter.acquire("b")

    asyncio.run(take())
    assert sorted(limiter._buckets) == ["a", "b"]


def test_limiter_without_a_rate_never_waits() -> None:
    assert asyncio.run(RateLimiter(None).acquire("model")) == 0.0
