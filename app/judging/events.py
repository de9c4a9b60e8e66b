"""What happens in judging that other contexts react to (wired in `app.subscribers`)."""

from __future__ import annotations

from dataclasses import dataclass

from app.competitions.services import CompetitionInfo
from app.events import Event


@dataclass(frozen=True, slots=True)
class VerificationChanged(Event):
    """An activity is or was verified and its verdict or scores changed: its team's points move (the
    leaderboard recomputes, in the transaction)."""

    competition: CompetitionInfo
    activity_id: int
    team_code: str


@dataclass(frozen=True, slots=True)
class StageRankingChanged(Event):
    """A stage's ranking changed without the standings changing (a team scored): after the commit the open
    stage pages are told to fetch it again."""

    competition_id: int


@dataclass(frozen=True, slots=True)
class StageClosed(StageRankingChanged):
    stage_id: int


@dataclass(frozen=True, slots=True)
class ActivityDecided(Event):
    """An activity's status became verified or rejected (in the transaction of the verdict, before the
    standings are recomputed): other systems are told (webhooks)."""

    competition: CompetitionInfo
    activity_id: int
    team_code: str
    status: str
    previous_status: str
