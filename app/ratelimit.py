"""A fixed-window counter of sign-in attempts that counts before it answers: shared through Redis when
several processes serve, kept in the process (bounded) otherwise or while Redis is unreachable.

An attempt is counted first, atomically, and only then allowed or refused: a burst of concurrent guesses
can never be checked more often than the limit, whichever process or door each one reaches."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger("sinergi.ratelimit")
T = TypeVar("T")
# While Redis is unreachable it is asked again at most this often; the in-process limiter answers between.
REDIS_RETRY_SECONDS = 2.0
REDIS_TIMEOUT_S = 1.0
# Keys the in-process limiter keeps at most: an address and username each, about 200 bytes; 100,000
# of them is some 20 MB. When full, the keys whose window started first go, never the recent ones.
MEMORY_MAX_KEYS = 100_000
REDIS_PREFIX = "sinergi:login:"

# INCR and the window's expiry in one step: the first attempt of a window sets the expiry; a key left
# without one (an expiry lost to an earlier crash between two commands) gets it back.
_COUNT_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return n
"""


class Limiter:
    """Counts attempts per key within a fixed window; an attempt beyond `limit` is refused."""

    limit: int
    window: int

    async def attempt(self, key: str) -> bool:
        """Counts one attempt for `key` and says whether it may go ahead (the count is within the limit)."""
        raise NotImplementedError

    async def reset(self, key: str) -> None:
        raise NotImplementedError


class MemoryLimiter(Limiter):
    """One process only: the embedded deployment, and the fallback while Redis is unreachable.

    Keys are kept in the order their window started; expired ones are dropped from the front as they are
    met, and when `max_keys` is reached the oldest windows are dropped to make room (so a flood of new
    keys costs the oldest counters, never every counter at once)."""

    def __init__(
        self,
        limit: int,
        window: int,
        max_keys: int = MEMORY_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._counts: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def __len__(self) -> int:
        """How many keys are kept (expired ones included until they are met)."""
        return len(self._counts)

    def _forget_expired(self, now: float) -> None:
        while self._counts:
            started, _count = next(iter(self._counts.values()))
            if now - started < self.window:
                return
            self._counts.popitem(last=False)

    async def attempt(self, key: str) -> bool:
        # No await between reading and writing: within one event loop this is atomic.
        now = self._clock()
        self._forget_expired(now)
        entry = self._counts.get(key)
        if entry is None or now - entry[0] >= self.window:
            self._counts.pop(key, None)
            while len(self._counts) >= self.max_keys:
                self._counts.popitem(last=False)
            entry = (now, 0)
        count = entry[1] + 1
        self._counts[key] = (entry[0], count)
        return count <= self.limit

    async def reset(self, key: str) -> None:
        self._counts.pop(key, None)


class RedisLimiter(Limiter):
    """Shared by every process: one Lua script increments the key and sets its expiry atomically. When
    Redis cannot be reached, sign-ins are not refused for that: this process counts on its own (a warning
    is logged) until Redis answers again."""

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
        self._count = self.redis.register_script(_COUNT_SCRIPT)
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
                # The script either ran or did not (a lost answer may count one attempt twice: the safe side).
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

    async def attempt(self, key: str) -> bool:
        async def shared() -> bool:
            count = await self._count(keys=[REDIS_PREFIX + key], args=[self.window])
            return int(count) <= self.limit

        return await self._shared(shared, lambda: self.fallback.attempt(key))

    async def reset(self, key: str) -> None:
        await self.fallback.reset(key)

        async def shared() -> None:
            await self.redis.delete(REDIS_PREFIX + key)

        await self._shared(shared, lambda: self.fallback.reset(key))
