"""Live leaderboards: "competition C changed, version V" through Litestar Channels, and the SSE stream.

After a write transaction that changed the standings commits, `announce` publishes a small event on two
channels per competition: the staff one (organisers and judges, who always see the live standings) and
the public one, which stays silent while the leaderboard is frozen (its versions would tell that
something changed). Each open page listens on its audience's channel and re-fetches only the fragment
it shows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.response import ServerSentEvent, ServerSentEventMessage

from app.settings import Settings

log = logging.getLogger("sinergi.live")

PING_SECONDS = 15.0
RETRY_MS = 3000
PUBLIC = "public"
STAFF = "staff"

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
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        backend = RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url))
    elif choice == "postgres":
        if settings.is_sqlite:
            raise RuntimeError("SINERGI_CHANNELS=postgres needs a PostgreSQL DATABASE_URL")
        from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

        dsn = settings.database_url.replace("postgres://", "postgresql://", 1)
        backend = AsyncPgChannelsBackend(dsn=dsn)
    else:
        backend = MemoryChannelsBackend()
    plugin = ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=16,
        subscriber_backlog_strategy="dropleft",
    )
    return plugin


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


async def announce(competition_id: int) -> None:
    """After a commit: forget this process's cached state and tell the open pages."""
    from app.leaderboard import views

    views.invalidate()
    state = await views.competition_state(competition_id)
    if state is None:
        return
    publish(competition_id, state.version, (STAFF,))
    if state.frozen_at is None:
        publish(competition_id, state.version, (PUBLIC,))


async def stream(
    plugin: ChannelsPlugin, competition_id: int, audience: str, seconds: float, first: int
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """`changed` events with the new version, a comment ping every PING_SECONDS; ends after `seconds`.

    The first event carries the version at connection time, so a page that missed events while it
    was disconnected re-fetches (and gets 204 when it had not missed any)."""
    deadline = time.monotonic() + seconds
    yield ServerSentEventMessage(event="changed", data=str(first), retry=RETRY_MS)
    async with plugin.start_subscription([channel(competition_id, audience)]) as subscriber:
        events = subscriber.iter_events().__aiter__()
        pending: asyncio.Future[bytes] | None = None
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                if pending is None:
                    pending = asyncio.ensure_future(events.__anext__())
                done, _ = await asyncio.wait({pending}, timeout=min(PING_SECONDS, remaining))
                if not done:
                    yield ServerSentEventMessage(comment="ping", data=None)
                    continue
                try:
                    payload = pending.result()
                except StopAsyncIteration:
                    return
                pending = None
                # Another worker may have committed: this one must not answer "unchanged" from its cache.
                from app.leaderboard import views

                views.invalidate()
                yield ServerSentEventMessage(event="changed", data=payload.decode())
        finally:
            if pending is not None and not pending.done():
                pending.cancel()


def sse_response(
    plugin: ChannelsPlugin | None, competition_id: int, audience: str, seconds: float, first: int
) -> ServerSentEvent:
    if plugin is None or plugin not in _started:
        # The app's lifespan did not start channels (an in-process test client): say so and end.
        async def closed() -> AsyncGenerator[ServerSentEventMessage, None]:
            yield ServerSentEventMessage(comment="no live channel", data=None, retry=RETRY_MS)

        return ServerSentEvent(closed(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    return ServerSentEvent(
        stream(plugin, competition_id, audience, seconds, first),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
