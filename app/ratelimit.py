"""A fixed-window counter of failed sign-ins, kept in Redis when several processes share the load."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger("sinergi.ratelimit")
T = TypeVar("T")
# While Redis is unreachable it is asked again at most this often; the in-process limiter answers between.
REDIS_RETRY_SECONDS = 2.0
REDIS_TIMEOUT_S = 1.0


class Limiter:
    """Counts failures per key; a key is blocked once it reaches the limit within the window."""

    limit: int
    window: int

    async def blocked(self, key: str) -> bool:
        raise NotImplementedError

    async def hit(self, key: str) -> None:
        raise NotImplementedError

    async def reset(self, key: str) -> None:
        raise NotImplementedError


class MemoryLimiter(Limiter):
    """One process only: the embedded deployment."""

    def __init__(self, limit: int, window: int) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, tuple[float, int]] = {}

    def _current(self, key: str) -> int:
        started, count = self._hits.get(key, (0.0, 0))
        if time.monotonic() - started > self.window:
            self._hits.pop(key, None)
            return 0
        return count

    async def blocked(self, key: str) -> bool:
        return self._current(key) >= self.limit

    async def hit(self, key: str) -> None:
        count = self._current(key)
        started = self._hits.get(key, (time.monotonic(), 0))[0]
        self._hits[key] = (started, count + 1)
        if len(self._hits) > 100_000:
            self._hits.clear()

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)


class RedisLimiter(Limiter):
    """Shared by every process. When Redis cannot be reached, sign-ins are not refused: this process
    counts on its own (a warning is logged) until Redis answers again."""

    def __init__(self, url: str, limit: int, window: int) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import RedisError

        self.redis = Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_S,
            socket_timeout=REDIS_TIMEOUT_S,
            retry=Retry(NoBackoff(), 0),
        )
        self.limit = limit
        self.window = window
        self.fallback = MemoryLimiter(limit, window)
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
        self._down_since: float | None = None
        self._last_try = 0.0

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    async def _shared(self, action: Callable[[], Awaitable[T]], local: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        if self._down_since is not None and now - self._last_try < REDIS_RETRY_SECONDS:
            return await local()
        self._last_try = now
        try:
            try:
                result = await action()
            except self._errors:
                # A pooled connection from before a Redis restart fails once and is dropped: try again.
                result = await action()
        except self._errors as exc:
            if self._down_since is None:
                self._down_since = now
                log.warning(
                    "Redis is unreachable (%s): the login rate limit counts in this process only", exc
                )
            return await local()
        if self._down_since is not None:
            self._down_since = None
            log.warning("Redis is reachable again: the login rate limit is shared again")
        return result

    async def blocked(self, key: str) -> bool:
        async def shared() -> bool:
            value = await self.redis.get(f"sinergi:login:{key}")
            return value is not None and int(value) >= self.limit

        return await self._shared(shared, lambda: self.fallback.blocked(key))

    async def hit(self, key: str) -> None:
        async def shared() -> None:
            full = f"sinergi:login:{key}"
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(full)
                pipe.expire(full, self.window, nx=True)
                await pipe.execute()

        await self._shared(shared, lambda: self.fallback.hit(key))

    async def reset(self, key: str) -> None:
        await self.fallback.reset(key)
        await self._shared(
            lambda: self.redis.delete(f"sinergi:login:{key}"), lambda: self.fallback.reset(key)
        )
