"""The board's write side besides the standings: the week's movement baseline (kept inside a recompute)
and the freeze (the public snapshot) with its undoing."""

from __future__ import annotations

from typing import Any

from app.audit.services import record
from app.competitions.services import CompetitionInfo
from app.db import after_commit, write_transaction
from app.events import emit
from app.leaderboard import periods
from app.leaderboard.events import BoardFrozen, BoardUnfrozen
from app.leaderboard.live import announce
from app.tables import Competition, FrozenActivity, StandingSnapshot

FROZEN_PERIOD = "frozen"


async def _snapshot_rows(competition_id: int, label: str) -> tuple[list[dict[str, Any]], int]:
    S = StandingSnapshot
    rows = await (
        S.select(S.rank, S.team.code, S.team.name, S.score, S.counted, S.subtotals, S.ruleset_version)
        .where((S.competition == competition_id) & (S.label == label))
        .order_by(S.rank)
        .order_by(S.team.code)
    )
    return rows, (rows[0]["ruleset_version"] if rows else 0)


async def _baseline_ranks(competition_id: int, label: str) -> dict[str, int]:
    S = StandingSnapshot
    rows = await S.select(S.team.code, S.rank).where((S.competition == competition_id) & (S.label == label))
    return {r["team.code"]: r["rank"] for r in rows}


async def keep_week_baseline(competition: CompetitionInfo) -> None:
    """Inside a recompute, before the season standings change: the first change of a week stores the
    standings as they were (their ranks are what the week's movement arrows compare with), and when.
    A baseline where every team shared one place compares with nothing: the next change takes it again,
    so the arrows work from the season's first week on."""
    label = periods.baseline_label(periods.local_today(competition))
    S = StandingSnapshot
    kept = await S.select(S.rank).where((S.competition == competition.id) & (S.label == label)).distinct()
    if len(kept) > 1:
        return
    # None yet this week, or one taken while every team shared one place (the season's first changes):
    # the standings as they are now are the first that can show who moved.
    await S.delete().where((S.competition == competition.id) & (S.label.like("mv:%")))
    await _copy_season(competition.id, label)
    row = await Competition.select(Competition.standings_at).where(Competition.id == competition.id).first()
    since = (row or {}).get("standings_at") or periods.clock()
    await Competition.update({Competition.movement_since: since}).where(Competition.id == competition.id)


async def _copy_season(competition_id: int, label: str) -> None:
    await StandingSnapshot.raw(
        "INSERT INTO standing_snapshot (competition, team, label, rank, score, counted, subtotals, lines, "
        "ruleset_version, data_version) "
        "SELECT competition, team, {}, rank, score, counted, CAST(subtotals AS TEXT), CAST(lines AS TEXT), "
        "ruleset_version, data_version "
        "FROM standing WHERE competition = {} AND period = 'season' AND view = 'overall'",
        label,
        competition_id,
    )


async def _copy_verified_activities(competition_id: int) -> None:
    """The team pages' lists at the freeze: every activity verified now, as it reads now (its people too)."""
    await FrozenActivity.raw(
        "INSERT INTO frozen_activity (competition, team, activity, title, occurred_at, type_code, "
        "senkom_members, officers, officer_confirmed) "
        "SELECT a.competition, a.team, a.id, a.title, a.occurred_at, t.code, "
        "a.senkom_members, a.officers, a.officer_confirmed "
        "FROM activity a JOIN activity_type t ON t.id = a.activity_type "
        "WHERE a.competition = {} AND a.status = 'verified'",
        competition_id,
    )


async def frozen_activities(
    competition_id: int, team_id: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The latest of a team's activities verified at the freeze (in the shape of the live list) and how
    many there were: the public's team page while frozen."""
    F = FrozenActivity
    where = (F.competition == competition_id) & (F.team == team_id)
    rows = await (
        F.select(F.activity, F.title, F.occurred_at, F.type_code)
        .where(where)
        .order_by(F.occurred_at, ascending=False)
        .order_by(F.activity, ascending=False)
        .limit(limit)
    )
    listed = [
        {
            "id": r["activity"],
            "title": r["title"],
            "occurred_at": r["occurred_at"],
            "activity_type.code": r["type_code"],
        }
        for r in rows
    ]
    return listed, await F.count().where(where)


async def freeze(competition_id: int, actor: Any) -> bool:
    """Stores the public snapshot and the freeze time; False when already frozen."""
    async with write_transaction(lock=f"competition:{competition_id}"):
        row = (
            await Competition.select(Competition.frozen_at, Competition.standings_version)
            .where(Competition.id == competition_id)
            .first()
        )
        if row is None or row["frozen_at"] is not None:
            return False
        now = periods.clock()
        await StandingSnapshot.delete().where(
            (StandingSnapshot.competition == competition_id) & (StandingSnapshot.label == FROZEN_PERIOD)
        )
        await _copy_season(competition_id, FROZEN_PERIOD)
        await FrozenActivity.delete().where(FrozenActivity.competition == competition_id)
        await _copy_verified_activities(competition_id)
        await Competition.update(
            # A new version: open pages re-fetch and show the notice (the rows are the same).
            {
                Competition.frozen_at: now,
                Competition.frozen_version: row["standings_version"] + 1,
                Competition.standings_version: row["standings_version"] + 1,
            }
        ).where(Competition.id == competition_id)
        await record(
            actor_id=actor.id,
            actor_name=actor.username,
            action="leaderboard.freeze",
            object_type="competition",
            object_id=competition_id,
            after={"frozen_at": now.isoformat(), "version": row["standings_version"] + 1},
            competition_id=competition_id,
        )
        await emit(BoardFrozen(competition_id, row["standings_version"] + 1, now))
        # The public channel hears the freeze itself (its version is the snapshot's): open pages show
        # the frozen notice at once, then nothing until the unfreeze.
        await after_commit(lambda: announce(competition_id, tell_public=True))
    return True


async def unfreeze(competition_id: int, actor: Any) -> bool:
    """Shows the live standings to everyone again (the snapshot stays for the reveal); False if not frozen."""
    async with write_transaction(lock=f"competition:{competition_id}"):
        row = await (
            Competition.select(Competition.frozen_at, Competition.standings_version)
            .where(Competition.id == competition_id)
            .first()
        )
        if row is None or row["frozen_at"] is None:
            return False
        # A new version even when nothing changed meanwhile: public pages drop the frozen notice.
        await Competition.update(
            {Competition.frozen_at: None, Competition.standings_version: row["standings_version"] + 1}
        ).where(Competition.id == competition_id)
        await FrozenActivity.delete().where(FrozenActivity.competition == competition_id)
        await record(
            actor_id=actor.id,
            actor_name=actor.username,
            action="leaderboard.unfreeze",
            object_type="competition",
            object_id=competition_id,
            competition_id=competition_id,
        )
        await emit(BoardUnfrozen(competition_id, row["standings_version"] + 1))
        await after_commit(lambda: announce(competition_id))
    return True
