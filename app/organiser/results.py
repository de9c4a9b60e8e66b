"""Final results: the organisers publish the standings once, as a copy that never changes afterwards.

After that nothing that changes the scores can change, through any door: the lock is
`app.competitions.services.ensure_results_open`, called by every service that changes them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app import i18n
from app.audit import services as audit
from app.competitions.events import ResultsPublished
from app.competitions.services import CompetitionInfo, ensure_results_open, results_published
from app.db import write_transaction
from app.errors import Conflict
from app.events import emit
from app.leaderboard.services import leaderboard
from app.tables import Activity, FinalResult


class ActivitiesWaiting(Conflict):
    """Activities still wait for the judges: the final results are published only once the organiser has
    seen how many (their count, as shown, comes back with the confirmation)."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(
            i18n.ngettext(
                "%(num)s activity is still waiting for the judges: it will not count in the final results.",
                "%(num)s activities are still waiting for the judges:"
                " they will not count in the final results.",
                count,
            )
        )


async def waiting_activities(competition_id: int) -> int:
    """Activities sent and not yet decided: what publishing the final results now would leave out."""
    return await Activity.count().where(
        (Activity.competition == competition_id) & (Activity.status == "submitted")
    )


async def final_result(competition_id: int) -> dict[str, Any] | None:
    row = await (
        FinalResult.select(
            FinalResult.standings,
            FinalResult.ruleset_version,
            FinalResult.note,
            FinalResult.published_at,
            FinalResult.published_by.username,
        )
        .where(FinalResult.competition == competition_id)
        .first()
    )
    if row is None:
        return None
    row["standings"] = [{**r, "score": Decimal(r["score"])} for r in json.loads(row["standings"])]
    return row


async def final_lock(competition_id: int) -> str | None:
    """Why nothing that changes the scores can change any more (the final results are published), or None
    while it still can: pages show the locked actions as locked before anyone tries them."""
    if await results_published(competition_id):
        return i18n._("The final results are published: this can no longer be changed.")
    return None


async def publish_final(
    competition: CompetitionInfo, *, actor_id: int, actor_name: str, note: str, waiting_seen: int = 0
) -> None:
    """Copies the stored standings as the final results, with their audit event, in one transaction.
    While activities still wait for the judges, `waiting_seen` must be the count the organiser was warned
    of (a different count, say one more sent since, warns again)."""
    async with write_transaction(lock=f"competition:{competition.id}"):
        await ensure_results_open(competition.id)
        waiting = await waiting_activities(competition.id)
        if waiting and waiting != waiting_seen:
            raise ActivitiesWaiting(waiting)
        rows, version = await leaderboard(competition.id)
        standings = [
            {
                "rank": r.rank,
                "team_code": r.team_code,
                "team_name": r.team_name,
                "score": str(r.score),
                "counted": r.counted,
                "shared": r.shared,
            }
            for r in rows
        ]
        await FinalResult.insert(
            FinalResult(
                competition=competition.id,
                standings=json.dumps(standings, ensure_ascii=False),
                ruleset_version=version,
                note=note,
                published_by=actor_id,
                published_at=datetime.now(UTC),
            )
        )
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="results.publish_final",
            object_type="competition",
            object_id=competition.id,
            after={"ruleset_version": version, "note": note, "standings": standings},
            competition_id=competition.id,
        )
        await emit(ResultsPublished(competition.id, version))
