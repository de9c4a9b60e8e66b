"""The board's read-path caches, one set per application (`app.state.board_caches`).

What they hold is keyed by version (facts and evaluated standings per standings and ruleset version,
rendered fragments per version, audience and locale), so a change never needs them cleared; only the
competition's state (its version, its freeze) is kept for a moment (`state.STATE_TTL_SECONDS`) and cleared
after every commit that changed the standings (`invalidate_states`, from `live.announce`).

A request works with the caches of the application that serves it (`current`, bound for each request by
`binding`). Code that runs outside any application — the CLI, the demo seed, a test calling the views
directly — shares one set for the process.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any
from weakref import WeakSet

from litestar.types import ASGIApp, Receive, Scope, Send


class Lru:
    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        value = self.entries.get(key)
        if value is not None:
            self.entries.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self.entries[key] = value
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


class BoardCaches:
    def __init__(self) -> None:
        self.states: dict[Any, tuple[float, Any]] = {}
        self.state_locks: dict[Any, asyncio.Lock] = {}
        # The season's facts kept current, per competition (`kept`): at most one season, at a million
        # activities hundreds of MB. Standings are kept without their lines (`kept.slim`).
        self.kept: dict[Any, Any] = {}
        self.standings = Lru(64)
        self.latest = Lru(64)  # per view family: the newest version computed (what a stale read gets)
        self.running: dict[Any, asyncio.Future[Any]] = {}
        self.fragments = Lru(256)
        self.cards = Lru(256)  # team cards' PNGs
        self.charts = Lru(128)  # teams' weekly charts
        self.people = Lru(128)  # teams' people lists (Senkom members and officers, with counts)
        self.locks: dict[Any, asyncio.Lock] = {}
        _every.add(self)

    async def single_flight(self, key: Any, cache: Lru, make: Callable[[], Awaitable[Any]]) -> Any:
        """The cached value, or one `make()` for every concurrent asker of the same key."""
        value = cache.get(key)
        if value is not None:
            return value
        lock = self.locks.setdefault(key, asyncio.Lock())
        async with lock:
            value = cache.get(key)
            if value is None:
                value = await make()
                cache.put(key, value)
        self.locks.pop(key, None)
        return value

    def start(self, key: Any, make: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        """The running computation of `key`, or `make()` started: one for every concurrent asker. It goes
        on when an asker stops waiting (a reader given a stale answer, a client gone)."""
        running = self.running.get(key)
        if running is None:
            running = asyncio.ensure_future(make())
            self.running[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        return running

    def _finished(self, key: Any, done: asyncio.Future[Any]) -> None:
        self.running.pop(key, None)
        if not done.cancelled() and done.exception() is not None:
            log.warning("board computation %r failed: %r", key, done.exception())

    async def once(self, key: Any, make: Callable[[], Awaitable[Any]]) -> Any:
        """`make()` run once for every concurrent asker of the same key, nothing kept afterwards."""
        return await asyncio.shield(self.start(key, make))


log = logging.getLogger("sinergi")
_every: WeakSet[BoardCaches] = WeakSet()
_bound: ContextVar[BoardCaches | None] = ContextVar("sinergi_board_caches", default=None)
_outside_any_app = BoardCaches()


def current() -> BoardCaches:
    return _bound.get() or _outside_any_app


def invalidate_states() -> None:
    """A commit of this process changed the standings: every application of the process forgets the
    competition states it keeps (other processes see the change within STATE_TTL_SECONDS)."""
    for caches in list(_every):
        caches.states.clear()


def binding(app: ASGIApp) -> ASGIApp:
    """Middleware: the request works with its application's caches."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        token = _bound.set(scope["litestar_app"].state["board_caches"])
        try:
            await app(scope, receive, send)
        finally:
            _bound.reset(token)

    return middleware
