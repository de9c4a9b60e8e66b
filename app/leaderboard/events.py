"""What happens to the leaderboard that other contexts react to (wired in `app.subscribers`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.competitions.services import CompetitionInfo
from app.events import Event


@dataclass(frozen=True, slots=True)
class Mover:
    team_code: str
    rank: int
    previous_rank: int | None  # None: the team had no stored standing before


@dataclass(frozen=True, slots=True)
class StandingsChanged(Event):
    """The stored standings were recomputed to `version` (in the recompute's transaction); `movers` are
    the teams whose rank changed."""

    competition: CompetitionInfo
    version: int
    movers: tuple[Mover, ...]


@dataclass(frozen=True, slots=True)
class BoardFrozen(Event):
    competition_id: int
    version: int
    frozen_at: datetime


@dataclass(frozen=True, slots=True)
class BoardUnfrozen(Event):
    competition_id: int
    version: int
