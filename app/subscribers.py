"""The one place where higher contexts react to lower contexts' domain events (`app.events`).

Lower contexts emit events and import nothing above them; this module, above every context, wires the
reactions: judging assigns judges and moves a disabled judge's work, the leaderboard recomputes its
standings (all in the emitter's transaction, as if the emitter had called them) and announces them (after
the commit); webhooks write their outbox rows (in the transaction). `wire()` is called by every entry point
before anything happens: `create_app`, the demo seed and the CLI commands that change data. It is
idempotent.
"""

from __future__ import annotations

from app import events
from app.accounts.events import AccountDisabled, OfficerAccountCreated
from app.activities import attestation
from app.activities.events import ActivitySubmitted, AttestationChanged
from app.competitions.events import ResultsPublished, ScoringInputChanged
from app.competitions.services import competition_by_id
from app.judging import assignment
from app.judging.events import ActivityDecided, StageClosed, StageRankingChanged, VerificationChanged
from app.leaderboard import live
from app.leaderboard import services as standings
from app.leaderboard.events import BoardFrozen, BoardUnfrozen, StandingsChanged
from app.webhooks import outbox


async def assign_judges(event: ActivitySubmitted) -> None:
    competition = await competition_by_id(event.competition_id)
    if competition is not None:
        await assignment.assign_activity(competition, event.activity_id, event.team_code)


async def hand_over_assignments(event: AccountDisabled) -> None:
    await assignment.hand_over_everywhere(event.account_id, event.actor_id, event.actor_name)


async def ask_named_officer(event: OfficerAccountCreated) -> None:
    await attestation.ask_existing(event.account_id, event.nrp)


async def recompute_standings(event: ScoringInputChanged) -> None:
    await standings.recompute(event.competition)


async def recompute_team(event: VerificationChanged | AttestationChanged) -> None:
    # Only the team's facts changed: with team-local rules only that team is evaluated again.
    await standings.recompute(event.competition, event.team_code)


async def announce_stage(event: StageRankingChanged) -> None:
    await live.announce(event.competition_id)


def wire() -> None:
    events.subscribe(ActivitySubmitted, assign_judges, in_transaction=True)
    events.subscribe(AccountDisabled, hand_over_assignments, in_transaction=True)
    events.subscribe(ScoringInputChanged, recompute_standings, in_transaction=True)
    events.subscribe(VerificationChanged, recompute_team, in_transaction=True)
    events.subscribe(AttestationChanged, recompute_team, in_transaction=True)
    events.subscribe(OfficerAccountCreated, ask_named_officer, in_transaction=True)
    events.subscribe(StageRankingChanged, announce_stage)
    # Webhooks: the outbox rows are written in the transaction of the change (never lost, never for a
    # rolled-back change); the sender picks them up after the commit.
    events.subscribe(ActivitySubmitted, outbox.on_activity_submitted, in_transaction=True)
    events.subscribe(ActivityDecided, outbox.on_activity_decided, in_transaction=True)
    events.subscribe(StandingsChanged, outbox.on_standings_changed, in_transaction=True)
    events.subscribe(StageClosed, outbox.on_stage_closed, in_transaction=True)
    events.subscribe(ResultsPublished, outbox.on_results_published, in_transaction=True)
    events.subscribe(BoardFrozen, outbox.on_board_frozen, in_transaction=True)
    events.subscribe(BoardUnfrozen, outbox.on_board_unfrozen, in_transaction=True)
