"""Live leaderboards: "competition C changed, version V" through Litestar Channels, and the SSE stream.

After a write transaction that changed the standings commits, `announce` publishes a small event on two
channels per competition: the staff one (organisers and judges, who always see the live standings) and
the public one, which stays silent while the leaderboard is frozen (its versions would tell that
something changed). Each open page listens on its audience's channel and re-fetches only the fragment
it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.response import ServerSentEvent, ServerSentEventMessage

from app.leaderboard.state import PUBLIC, STAFF, competition_state, invalidate
from app.settings import Settings

log = logging.getLogger("sinergi.live")

PING_SECONDS = 15.0
RETRY_MS = 3000

# The started plugins of this process (normally one app; tests build several).
_started: list[ChannelsPlugin] = []


def channel(competition_id: int, audience: str) -> str:
    return f"sinergi.lb.{competition_id}.{audience}"


def make_channels(settings: Settings) -> ChannelsPlugin:
    """The channels plugin for the settings: memory by default, Redis or PostgreSQL across processes."""
    choice = settings.channels_backend
    if choice == "auto":
        choice = "redis" if settings.redis_url else "memory"
    backend: Any
    if choice == "redis":
        if not settings.redis_url:
            raise RuntimeError("SINERGI_CHANNELS=redis needs REDIS_URL")
        backend = ResilientRedisBackend(settings.redis_url)
    elif choice == "postgres":
        if settings.is_sqlite:
            raise RuntimeError("SINERGI_CHANNELS=postgres needs a PostgreSQL DATABASE_URL")
        dsn = settings.database_url.replace("postgres://", "postgresql://", 1)
        backend = ResilientPgBackend(dsn)
    else:
        backend = MemoryChannelsBackend()
    plugin = ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=16,
        subscriber_backlog_strategy="dropleft",
    )
    return plugin


REDIS_ERRORS: tuple[type[BaseException], ...] = (OSError, asyncio.TimeoutError)
PROBE_SECONDS = 1.0
REDIS_TIMEOUT_S = 2.0


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisError

    return (RedisError, *REDIS_ERRORS)


class _Health:
    """Whether the shared channel is reachable, and an event for streams that wait for it to go."""

    _available = True
    _changed: asyncio.Event | None = None
    NAME = "the channel"

    @property
    def available(self) -> bool:
        return self._available

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    async def wait_unavailable(self) -> None:
        while self._available:
            await self._event().wait()

    def _mark_down(self, exc: BaseException | str) -> None:
        if self._available:
            log.warning(
                "%s is unreachable (%s): live updates pause, pages poll until it is back", self.NAME, exc
            )
        self._available = False
        event, self._changed = self._event(), asyncio.Event()
        event.set()

    def _mark_up(self) -> None:
        if not self._available:
            log.warning("%s is reachable again: live updates resume", self.NAME)
        self._available = True


class ResilientRedisBackend(_Health, ChannelsBackend):
    """Redis pub/sub that outlives Redis. One connection per process listens to every leaderboard
    channel (a pattern subscription held by the plugin's reading task alone); streams only register
    what they want. While Redis is unreachable a publish is dropped (the pages' polls cover it) instead
    of killing the plugin's publishing task, the SSE endpoint answers 204 so pages poll their fragments,
    and open streams end; the reading task reconnects every PROBE_SECONDS and, once Redis answers,
    everything resumes without a restart. (Litestar's own Redis backend stops publishing for good at the
    first error, and its reading task dies with the connection.)"""

    PATTERN = "sinergi.lb.*"
    NAME = "Redis"

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._redis = Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_S,
            socket_timeout=REDIS_TIMEOUT_S,
            retry=Retry(NoBackoff(), 0),
        )
        # The listening connection reads without a socket timeout (it waits for messages).
        self._sub_redis = Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_keepalive=True, retry=Retry(NoBackoff(), 0)
        )
        self._wanted: set[str] = set()
        self._errors = _redis_errors()

    async def on_startup(self) -> None:
        pass

    async def on_shutdown(self) -> None:
        for client in (self._redis, self._sub_redis):
            with contextlib.suppress(Exception):
                await client.aclose()

    async def publish(self, data: bytes, channels: Any) -> None:
        if not self._available:
            return  # dropped: pages poll until the reading task finds Redis again
        for name in set(channels):
            try:
                await self._redis.publish(name, data)
            except self._errors:
                # A pooled connection from before a Redis restart fails once and is dropped: try again.
                try:
                    await self._redis.publish(name, data)
                except self._errors as exc:
                    self._mark_down(exc)
                    return

    async def subscribe(self, channels: Any) -> None:
        self._wanted |= set(channels)

    async def unsubscribe(self, channels: Any) -> None:
        self._wanted -= set(channels)

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        while True:
            pubsub = self._sub_redis.pubsub()
            try:
                await pubsub.psubscribe(self.PATTERN)
                self._mark_up()
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=PING_SECONDS)
                    if message is None or message.get("type") != "pmessage":
                        continue
                    name = message["channel"].decode()
                    if name in self._wanted:
                        yield name, message["data"]
            except self._errors as exc:
                self._mark_down(exc)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(PROBE_SECONDS)

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError


PG_ERRORS: tuple[type[BaseException], ...] = (OSError, asyncio.TimeoutError)


class ResilientPgBackend(_Health, ChannelsBackend):
    """LISTEN/NOTIFY that outlives a PostgreSQL restart: one listening connection per process, watched
    for termination and opened again every PROBE_SECONDS until the server answers; LISTEN is re-issued
    for every wanted channel. A publish while it is down is dropped (pages poll); the SSE endpoint answers
    204 meanwhile. (Litestar's asyncpg backend keeps a dead listening connection for good, and its
    publishing task dies at the first failed NOTIFY.)"""

    NAME = "PostgreSQL LISTEN/NOTIFY"

    def __init__(self, dsn: str) -> None:
        import asyncpg

        self._dsn = dsn
        self._conn: Any = None
        self._wanted: set[str] = set()
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._lock: asyncio.Lock | None = None
        self._reconnect: asyncio.Future[None] | None = None
        self._errors = (asyncpg.PostgresError, asyncpg.InterfaceError, *PG_ERRORS)

    def _locked(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def _connect(self) -> bool:
        import asyncpg

        async with self._locked():
            if self._conn is not None and not self._conn.is_closed():
                return True
            try:
                conn = await asyncpg.connect(self._dsn, timeout=REDIS_TIMEOUT_S)
                conn.add_termination_listener(self._terminated)
                for name in sorted(self._wanted):
                    await conn.add_listener(name, self._listener)
            except self._errors as exc:
                self._down(exc)
                return False
            self._conn = conn
        self._mark_up()
        return True

    def _terminated(self, conn: Any) -> None:
        if conn is self._conn:
            self._conn = None
            self._down("the listening connection was closed")

    def _down(self, exc: BaseException | str) -> None:
        self._mark_down(exc)
        if self._reconnect is None or self._reconnect.done():
            self._reconnect = asyncio.ensure_future(self._reconnect_until_back())

    async def _reconnect_until_back(self) -> None:
        while not self._available:
            await asyncio.sleep(PROBE_SECONDS)
            await self._connect()

    def _listener(self, conn: Any, pid: int, channel: str, payload: object) -> None:
        if isinstance(payload, str):
            self._queue.put_nowait((channel, payload.encode()))

    async def on_startup(self) -> None:
        self._queue = asyncio.Queue()
        await self._connect()

    async def on_shutdown(self) -> None:
        if self._reconnect is not None:
            self._reconnect.cancel()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=REDIS_TIMEOUT_S)

    async def publish(self, data: bytes, channels: Any) -> None:
        if not self._available or self._conn is None:
            return  # dropped: pages poll until the listening connection is back
        try:
            async with self._locked():
                for name in set(channels):
                    await self._conn.execute("SELECT pg_notify($1, $2)", name, data.decode())
        except (*self._errors, AttributeError) as exc:
            self._conn = None
            self._down(exc)

    async def subscribe(self, channels: Any) -> None:
        new = set(channels) - self._wanted
        self._wanted |= new
        if not self._available or self._conn is None:
            return
        try:
            async with self._locked():
                for name in sorted(new):
                    await self._conn.add_listener(name, self._listener)
        except (*self._errors, AttributeError) as exc:
            self._conn = None
            self._down(exc)

    async def unsubscribe(self, channels: Any) -> None:
        gone = set(channels) & self._wanted
        self._wanted -= gone
        if self._conn is None:
            return
        with contextlib.suppress(Exception):
            async with self._locked():
                for name in sorted(gone):
                    await self._conn.remove_listener(name, self._listener)

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        while True:
            name, payload = await self._queue.get()
            if name in self._wanted:
                yield name, payload

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError


def backend_available(plugin: ChannelsPlugin) -> bool:
    backend = plugin._backend
    return not isinstance(backend, _Health) or backend.available


def on_startup_hook(plugin: ChannelsPlugin) -> Any:
    async def started() -> None:
        _started.append(plugin)

    return started


def on_shutdown_hook(plugin: ChannelsPlugin) -> Any:
    async def stopped() -> None:
        if plugin in _started:
            _started.remove(plugin)

    return stopped


def publish(competition_id: int, version: int, audiences: tuple[str, ...]) -> None:
    """Publishes on every started plugin of this process; a failure is logged, never raised."""
    data = str(version)
    for plugin in list(_started):
        try:
            plugin.publish(data, [channel(competition_id, a) for a in audiences])
        except Exception:  # the standings are committed; a lost signal is covered by the poll
            log.exception("could not publish the leaderboard change")


async def announce(competition_id: int, tell_public: bool = False) -> None:
    """After a commit: forget this process's cached state and tell the open pages. The public channel
    stays silent while the leaderboard is frozen, except for the freeze itself (`tell_public`)."""
    invalidate()
    state = await competition_state(competition_id)
    if state is None:
        return
    publish(competition_id, state.version, (STAFF,))
    if state.frozen_at is None or tell_public:
        publish(competition_id, state.version_for(PUBLIC), (PUBLIC,))


async def stream(
    plugin: ChannelsPlugin, competition_id: int, audience: str, seconds: float, first: int
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """`changed` events with the new version, a comment ping every PING_SECONDS; ends after `seconds`.

    The first event carries the version at connection time, so a page that missed events while it
    was disconnected re-fetches (and gets 204 when it had not missed any)."""
    deadline = time.monotonic() + seconds
    yield ServerSentEventMessage(event="changed", data=str(first), retry=RETRY_MS)
    backend = plugin._backend
    async with plugin.start_subscription([channel(competition_id, audience)]) as subscriber:
        events = subscriber.iter_events().__aiter__()
        pending: asyncio.Future[bytes] | None = None
        down: asyncio.Future[None] | None = None
        if isinstance(backend, _Health):
            down = asyncio.ensure_future(backend.wait_unavailable())
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                if pending is None:
                    pending = asyncio.ensure_future(events.__anext__())
                waiting: set[asyncio.Future[Any]] = {pending} if down is None else {pending, down}
                done, _ = await asyncio.wait(
                    waiting, timeout=min(PING_SECONDS, remaining), return_when=asyncio.FIRST_COMPLETED
                )
                if down is not None and down in done:
                    return  # Redis is gone: the browser reconnects, gets 204 and polls meanwhile
                if not done:
                    yield ServerSentEventMessage(comment="ping", data=None)
                    continue
                try:
                    payload = pending.result()
                except StopAsyncIteration:
                    return
                pending = None
                # Another worker may have committed: this one must not answer "unchanged" from its cache.
                invalidate()
                yield ServerSentEventMessage(event="changed", data=payload.decode())
        finally:
            for future in (pending, down):
                if future is not None and not future.done():
                    future.cancel()


def sse_response(
    plugin: ChannelsPlugin | None, competition_id: int, audience: str, seconds: float, first: int
) -> ServerSentEvent:
    if plugin is None or plugin not in _started:
        # The app's lifespan did not start channels (an in-process test client): say so and end.
        async def closed() -> AsyncGenerator[ServerSentEventMessage, None]:
            yield ServerSentEventMessage(comment="no live channel", data=None, retry=RETRY_MS)

        return ServerSentEvent(closed(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    if not backend_available(plugin):
        # The shared channel is down: "no content" tells EventSource not to reconnect at once (htmx's
        # extension retries with a growing delay); the page's fragments poll every few seconds.
        async def nothing() -> AsyncGenerator[ServerSentEventMessage, None]:
            return
            yield  # pragma: no cover

        return ServerSentEvent(
            nothing(), status_code=204, headers={"Cache-Control": "no-store", "Retry-After": "5"}
        )
    return ServerSentEvent(
        stream(plugin, competition_id, audience, seconds, first),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
