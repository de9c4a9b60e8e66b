"""What happens to a competition that other contexts react to (wired in `app.subscribers`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.events import Event

if TYPE_CHECKING:
    from app.competitions.services import CompetitionInfo


@dataclass(frozen=True, slots=True)
class ScoringInputChanged(Event):
    """Something the standings are computed from changed (the leaderboard recomputes, in the transaction)."""

    competition: CompetitionInfo


@dataclass(frozen=True, slots=True)
class CompetitionCreated(ScoringInputChanged):
    pass


@dataclass(frozen=True, slots=True)
class TeamAdded(ScoringInputChanged):
    team_code: str


@dataclass(frozen=True, slots=True)
class RubricReplaced(ScoringInputChanged):
    pass


@dataclass(frozen=True, slots=True)
class AdjustmentChanged(ScoringInputChanged):
    """A bonus or penalty was given (or withdrawn)."""

    team_id: int


@dataclass(frozen=True, slots=True)
class RulesetPublished(ScoringInputChanged):
    version: int


@dataclass(frozen=True, slots=True)
class ResultsPublished(Event):
    """The final results were published (in their transaction): other systems are told (webhooks)."""

    competition_id: int
    ruleset_version: int
