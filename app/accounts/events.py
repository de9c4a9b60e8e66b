"""What happens to an account that other contexts react to (wired in `app.subscribers`)."""

from __future__ import annotations

from dataclasses import dataclass

from app.events import Event


@dataclass(frozen=True, slots=True)
class AccountDisabled(Event):
    """An account can no longer sign in (a judge's open assignments move to others, in the transaction)."""

    account_id: int
    actor_id: int
    actor_name: str


@dataclass(frozen=True, slots=True)
class OfficerAccountCreated(Event):
    """An officer account exists for this NRP (the activities that already name it ask the officer to
    confirm them, in the transaction)."""

    account_id: int
    nrp: str
