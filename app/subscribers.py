"""The one place where higher contexts react to lower contexts' domain events (`app.events`).

Lower contexts emit events and import nothing above them; this module, above every context, wires the
reactions: the leaderboard recomputes its standings (in the emitter's transaction) and announces them
(after the commit). `wire()` is called by every entry point before anything happens: `create_app`, the
CLI and the demo seed. It is idempotent.
"""

from __future__ import annotations

from app import events
from app.competitions.events import ScoringInputChanged
from app.leaderboard import services as standings


async def recompute_standings(event: ScoringInputChanged) -> None:
    await standings.recompute(event.competition)


def wire() -> None:
    events.subscribe(ScoringInputChanged, recompute_standings, in_transaction=True)
