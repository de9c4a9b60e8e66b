"""Domain events: a context says what happened; higher contexts react after the commit.

A lower context (activities, judging, competitions) never imports a higher one (leaderboard). It emits an
event inside its write transaction; the event is dispatched once the outermost transaction commits (never
if it rolls back), and the handlers that higher contexts subscribed run then, in order, before the
caller's response is sent — so the caller sees their effect (standings recomputed, judges assigned) while
the dependency points one way. Events are defined by the context that emits them (e.g.
`app.activities.events`); `app.subscribers` is the one place that wires handlers to them.

A failing handler is logged and never undoes the committed action; what it should have done is repaired
by the sweep it belongs to (standings recomputed, the unassigned assigned).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from app import db

log = logging.getLogger("sinergi")


class Event:
    """Base of every domain event: an immutable record of something that happened (a frozen dataclass)."""


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None]]

# Static wiring, the same in every process: which handlers react to which event type.
_handlers: dict[type[Event], list[Handler]] = {}


def subscribe(event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
    """Registers `handler` for `event_type` (and its subclasses); registering twice is a no-op."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def handlers_of(event: Event) -> list[Handler]:
    found: list[Handler] = []
    for kind in type(event).__mro__:
        found += _handlers.get(kind, [])  # type: ignore[arg-type]
    return found


async def emit(event: Event) -> None:
    """Dispatches `event` after the outermost write transaction commits (at once outside one)."""

    async def dispatch() -> None:
        await publish(event)

    await db.after_commit(dispatch)


async def publish(event: Event) -> None:
    """Runs every handler of `event` now, each on its own: one handler's failure never stops the next."""
    for handler in handlers_of(event):
        try:
            await handler(event)
        except Exception:
            log.exception("handler %s of %s failed", getattr(handler, "__qualname__", handler), event)
