"""A competition's board state (its standings version and its freeze), kept for a moment per application,
and who sees what of it (the audience: organisers and judges live, everyone else the public board)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.competitions.services import CompetitionInfo, _info
from app.leaderboard import caches
from app.tables import Competition

PUBLIC = "public"
STAFF = "staff"
STATE_TTL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class State:
    info: CompetitionInfo
    version: int
    frozen_at: datetime | None
    frozen_version: int

    created_at: datetime | None = None
    movement_since: datetime | None = None  # when this week's movement baseline was taken

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def stamp(self) -> tuple[int, Any]:
        """Names this competition in cache keys even if a database reuses its id (tests wipe tables)."""
        return (self.info.id, self.created_at)

    def version_for(self, audience: str) -> int:
        if audience == PUBLIC and self.frozen_at is not None:
            return self.frozen_version
        return self.version

    def frozen_for(self, audience: str) -> bool:
        return audience == PUBLIC and self.frozen_at is not None

    def restricted_for(self, audience: str, is_stored: bool) -> bool:
        """While frozen, the public has the freeze's overall season only: other views and periods show
        no rows (they would be computed from facts judged after the freeze)."""
        return self.frozen_for(audience) and not is_stored


def invalidate() -> None:
    """Forgets the cached states; `live.announce` calls it after every commit that changed standings.
    Other processes see a change within STATE_TTL_SECONDS."""
    caches.invalidate_states()


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they are stored in UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _state(row: dict[str, Any]) -> State:
    return State(
        info=_info(row),
        version=row["standings_version"],
        frozen_at=_aware(row.get("frozen_at")),
        frozen_version=row.get("frozen_version") or 0,
        created_at=row.get("created_at"),
        movement_since=_aware(row.get("movement_since")),
    )


def state_of(row: dict[str, Any]) -> State:
    """The state of a competition row already read (lists of competitions)."""
    return _state(row)


async def _cached_state(
    key: Any, load: Callable[[], Awaitable[dict[str, Any] | None]], max_age: float | None = None
) -> State | None:
    states = caches.current().states

    def fresh(since: float) -> State | bool | None:
        hit = states.get(key)
        if hit is None:
            return False
        loaded = hit[0] - STATE_TTL_SECONDS
        if time.monotonic() - loaded < (
            STATE_TTL_SECONDS if max_age is None else min(max_age, STATE_TTL_SECONDS)
        ):
            return hit[1]
        # A load that started after this request arrived is as fresh as one of its own.
        return hit[1] if max_age is not None and loaded >= since else False

    arrived = time.monotonic()
    found = fresh(arrived)
    if found is not False:
        return found  # type: ignore[return-value]
    # One query at a time per key: when the entry expires under load, the others wait for it.
    async with caches.current().state_locks.setdefault(key, asyncio.Lock()):
        found = fresh(arrived)
        if found is not False:
            return found  # type: ignore[return-value]
        started = time.monotonic()
        row = await load()
        state = _state(row) if row else None
        states[key] = (started + STATE_TTL_SECONDS, state)
        return state


async def current_state(max_age: float | None = None) -> State | None:
    """The current competition's state, cached for STATE_TTL_SECONDS; `max_age` asks for a fresher one
    (a "nothing changed" answer must not come from a state another process has already moved past)."""

    async def load() -> dict[str, Any] | None:
        row = (
            await Competition.select().where(Competition.is_current.eq(True)).order_by(Competition.id).first()
        )
        if row is None:
            row = await Competition.select().order_by(Competition.id, ascending=False).first()
        return row

    return await _cached_state("current", load, max_age)


async def competition_state(competition_id: int, max_age: float | None = None) -> State | None:
    async def load() -> dict[str, Any] | None:
        return await Competition.select().where(Competition.id == competition_id).first()

    return await _cached_state(competition_id, load, max_age)


def audience_of(user: Any) -> str:
    """Organisers and judges see the live standings; everyone else sees what the public sees."""
    return STAFF if user is not None and getattr(user, "role", None) in ("organiser", "judge") else PUBLIC
