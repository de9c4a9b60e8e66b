"""Final results: the organisers publish the standings once, as a copy that never changes afterwards.

After that nothing that changes the scores can change, through any door: the lock is
`app.competitions.services.ensure_results_open`, called by every service that changes them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.audit import services as audit
from app.competitions.services import CompetitionInfo, ensure_results_open
from app.db import write_transaction
from app.tables import FinalResult


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


async def publish_final(competition: CompetitionInfo, *, actor_id: int, actor_name: str, note: str) -> None:
    """Copies the stored standings as the final results, with their audit event, in one transaction."""
    from app.leaderboard.services import leaderboard

    async with write_transaction(lock=f"competition:{competition.id}"):
        await ensure_results_open(competition.id)
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
