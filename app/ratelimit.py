"""A fixed-window counter of failed sign-ins, kept in Redis when several processes share the load."""

from __future__ import annotations

import time


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
    def __init__(self, url: str, limit: int, window: int) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url)
        self.limit = limit
        self.window = window

    async def blocked(self, key: str) -> bool:
        value = await self.redis.get(f"sinergi:login:{key}")
        return value is not None and int(value) >= self.limit

    async def hit(self, key: str) -> None:
        full = f"sinergi:login:{key}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(full)
            pipe.expire(full, self.window, nx=True)
            await pipe.execute()

    async def reset(self, key: str) -> None:
        await self.redis.delete(f"sinergi:login:{key}")
