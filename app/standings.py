"""The stored season standings, as any context reads them.

The leaderboard computes and stores them (`app.leaderboard.services.recompute`, on the events of the
contexts below it); judging reads them too (an activity stage ranks them, a judge sees a team's standing),
and reading the board must not mean importing the context above. Only reads live here.
"""

from __future__ import annotations

from typing import Any

from app.tables import Standing


def season_overall(competition_id: int) -> Any:
    """Where the stored overall season standings of a competition are: the rows every GET reads."""
    return (
        (Standing.competition == competition_id)
        & (Standing.period == "season")
        & (Standing.view == "overall")
    )


async def stored_season(competition_id: int) -> tuple[list[dict[str, Any]], int]:
    """The stored overall season rows, best first, and the ruleset version that produced them."""
    rows = await (
        Standing.select(
            Standing.rank,
            Standing.team.code,
            Standing.team.name,
            Standing.score,
            Standing.counted,
            Standing.subtotals,
            Standing.ruleset_version,
        )
        .where(season_overall(competition_id))
        .order_by(Standing.rank)
        .order_by(Standing.team.code)
    )
    return rows, (rows[0]["ruleset_version"] if rows else 0)
