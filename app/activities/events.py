"""What happens to an activity that other contexts react to (wired in `app.subscribers`)."""

from __future__ import annotations

from dataclasses import dataclass

from app.events import Event


@dataclass(frozen=True, slots=True)
class ActivitySubmitted(Event):
    """A new activity waits for its judges (judging assigns them, in the transaction)."""

    competition_id: int
    activity_id: int
    team_code: str
