"""Domain events: a context says what happened; higher contexts react, so that dependencies point one way.

A lower context (accounts, competitions, activities, judging) never imports a higher one (judging,
leaderboard). It emits an event inside its write transaction (`emit`); the handlers that higher contexts
subscribed run in one of two phases, chosen by the subscriber:

- **in the transaction** (`subscribe(..., in_transaction=True)`): at once, inside the emitter's write
  transaction, before `emit` returns. For what is stored beside the fact and must never disagree with it —
  the standings recomputed, the judges assigned: their writes commit or roll back with the action, and a
  handler that fails fails the action (as when the emitter called it directly).
- **after the commit** (the default): once the outermost write transaction commits (never if it rolls back;
  at once outside a transaction), still before the caller's `write_transaction` block returns and so
  before the response is sent. For telling the world — the live board announced to every process. A
  failing handler is logged and never undoes the committed action; the next announcement repairs it.

Both phases run synchronously in the caller's task: whoever calls a service sees every effect when it
returns (tests, the demo seed, the CLI rely on it). Events are defined by the context that emits them
(e.g. `app.activities.events`); `app.subscribers` is the one place that wires handlers to them, and every
entry point (the application, the CLI) wires it before doing anything.
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

# Static wiring, the same in every process: which handlers react to which event type, per phase.
_in_transaction: dict[type[Event], list[Handler]] = {}
_after_commit: dict[type[Event], list[Handler]] = {}


def subscribe(
    event_type: type[E], handler: Callable[[E], Awaitable[None]], *, in_transaction: bool = False
) -> None:
    """Registers `handler` for `event_type` (and its subclasses); registering twice is a no-op."""
    handlers = (_in_transaction if in_transaction else _after_commit).setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def handlers_of(event: Event, *, in_transaction: bool = False) -> list[Handler]:
    table = _in_transaction if in_transaction else _after_commit
    found: list[Handler] = []
    for kind in type(event).__mro__:
        found += table.get(kind, [])  # type: ignore[arg-type]
    return found


async def emit(event: Event) -> None:
    """Runs `event`'s in-transaction handlers now, then dispatches the others after the outermost write
    transaction commits (at once outside one)."""
    for handler in handlers_of(event, in_transaction=True):
        await handler(event)
    if handlers_of(event):

        async def dispatch() -> None:
            await publish(event)

        await db.after_commit(dispatch)


async def publish(event: Event) -> None:
    """Runs every after-commit handler of `event` now, each on its own: one failure never stops the next."""
    for handler in handlers_of(event):
        try:
            await handler(event)
        except Exception:
            log.exception("handler %s of %s failed", getattr(handler, "__qualname__", handler), event)
