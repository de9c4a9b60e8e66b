"""The in-process login limiter: it counts before it answers, forgets a key when its window ends, and when
full drops the oldest windows, keeping every recent counter (it never forgets all of them at once)."""

from __future__ import annotations

import asyncio

from app.ratelimit import MemoryLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_attempts_are_allowed_at_most_limit_times() -> None:
    limiter = MemoryLimiter(limit=5, window=60)
    answers = await asyncio.gather(*(limiter.attempt("10.0.0.1:juri") for _ in range(30)))
    assert answers.count(True) == 5 and answers[:5] == [True] * 5
    await limiter.reset("10.0.0.1:juri")
    assert await limiter.attempt("10.0.0.1:juri")


async def test_a_window_ends_and_its_key_is_forgotten() -> None:
    clock = Clock()
    limiter = MemoryLimiter(limit=2, window=60, clock=clock)
    assert [await limiter.attempt("a") for _ in range(3)] == [True, True, False]
    clock.now += 59
    assert not await limiter.attempt("a")
    clock.now += 1
    assert await limiter.attempt("a")
    # Expired keys go as soon as a later attempt meets them, whatever key that attempt is for.
    clock.now += 61
    assert await limiter.attempt("b")
    assert len(limiter) == 1


async def test_when_full_the_oldest_keys_go_and_recent_counters_stay() -> None:
    clock = Clock()
    limiter = MemoryLimiter(limit=2, window=300, max_keys=4, clock=clock)
    for key in ("a", "b", "c", "d"):
        assert [await limiter.attempt(key) for _ in range(2)] == [True, True]
        clock.now += 1
    assert len(limiter) == 4
    # A fifth key makes room by dropping the oldest window ("a") only.
    assert await limiter.attempt("e")
    assert len(limiter) == 4
    for key in ("b", "c", "d"):
        assert not await limiter.attempt(key), f"{key}'s counter was forgotten"
    assert await limiter.attempt("a"), "the oldest key was kept"
    # Each new key evicts the one oldest window: "b" went for "a", now "c", "d", "e" go for three more.
    for i in range(3):
        assert await limiter.attempt(f"flood-{i}")
        assert len(limiter) == 4
    # "a" (one attempt counted) is among the recent keys and still counted: one more, then refused.
    assert [await limiter.attempt("a") for _ in range(2)] == [True, False]
    assert [await limiter.attempt("b") for _ in range(2)] == [True, True], "b was evicted, so it starts over"
