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
