"""What happens to an activity that other contexts react to (wired in `app.subscribers`)."""

from __future__ import annotations

from dataclasses import dataclass

from app.competitions.services import CompetitionInfo
from app.events import Event


@dataclass(frozen=True, slots=True)
class ActivitySubmitted(Event):
    """A new activity waits for its judges (judging assigns them, in the transaction)."""

    competition_id: int
    activity_id: int
    team_code: str


@dataclass(frozen=True, slots=True)
class AttestationChanged(Event):
    """A verified activity's officer confirmation (`activity.officer_confirmed`) changed: a scoring fact, so
    its team's points may move (the leaderboard recomputes the team, in the transaction)."""

    competition: CompetitionInfo
    activity_id: int
    team_code: str
