"""Standings: computed by the pure engine when facts change, stored, and read by every leaderboard view."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.competitions.services import CompetitionInfo, ruleset_in_force
from app.db import after_commit
from app.events import emit
from app.leaderboard import kept, periods
from app.leaderboard.events import Mover, StandingsChanged
from app.leaderboard.facts import load_facts
from app.leaderboard.freeze import keep_week_baseline
from app.leaderboard.live import announce
from app.standings import season_overall, stored_season
from app.tables import Competition, Standing, Team
from scoring.engine import TeamResult, evaluate, evaluate_team, rank
from scoring.registry import get_rule


@dataclass(frozen=True, slots=True)
class Row:
    rank: int
    team_code: str
    team_name: str
    score: Decimal
    counted: int
    shared: bool


async def judge_normalisation(competition_id: int) -> bool:
    row = (
        await Competition.select(Competition.judge_normalisation)
        .where(Competition.id == competition_id)
        .first()
    )
    return bool(row and row["judge_normalisation"])


def _standing_row(
    competition_id: int, team_id: int, r: TeamResult, version: int, data_version: int
) -> Standing:
    return Standing(
        competition=competition_id,
        team=team_id,
        period="season",
        view="overall",
        rank=r.rank,
        score=str(r.score),
        counted=r.counted,
        subtotals=json.dumps({k: str(v) for k, v in r.subtotals.items()}),
        lines=json.dumps(
            [
                {
                    "rule": line.rule,
                    "activity_id": line.activity_id,
                    "period": line.period,
                    "points": str(line.points),
                    "reason_id": line.reason_id,
                    "reason_en": line.reason_en,
                }
                for line in r.lines
            ]
        ),
        quality=None if r.quality is None else str(r.quality),
        coverage=str(r.coverage),
        last_activity_at=r.last_activity_at,
        ruleset_version=version,
        data_version=data_version,
    )


def _standing_rows(
    competition_id: int, team_ids: dict[str, int], standings: Any, version: int, data_version: int
) -> list[Standing]:
    return [
        _standing_row(competition_id, team_ids[r.team], r, version, data_version)
        for r in standings.rows
        if r.team in team_ids
    ]


def _stored_result(row: dict[str, Any]) -> TeamResult:
    """Enough of a stored standing to rank it again: the tie-break keys, not the explanation."""
    return TeamResult(
        team=row["team.code"],
        rank=row["rank"],
        score=Decimal(row["score"]),
        counted=row["counted"],
        subtotals={},
        lines=(),
        quality=None if row["quality"] is None else Decimal(row["quality"]),
        coverage=Decimal(row["coverage"] or "0"),
        last_activity_at=row["last_activity_at"],
    )


async def recompute(competition: CompetitionInfo, team_code: str | None = None) -> int:
    """Re-evaluates and stores the season standings, inside the write transaction that changed the facts.

    With `team_code` (only that team's facts changed) and a ruleset of team-local rules, only that team is
    evaluated again and every team re-ranked from the stored keys; it equals a full evaluation.
    """
    version, ruleset = await ruleset_in_force(competition.id)
    team_ids = {
        t["code"]: t["id"]
        for t in await Team.select(Team.id, Team.code).where(Team.competition == competition.id)
    }
    row = (
        await Competition.select(Competition.standings_version, Competition.created_at)
        .where(Competition.id == competition.id)
        .first()
    )
    data_version = (row["standings_version"] if row else 0) + 1
    stamp = (competition.id, row["created_at"] if row else None)  # as `state.State.stamp` names it
    await keep_week_baseline(competition)
    season_rows = season_overall(competition.id)
    stored: list[dict[str, Any]] = []
    if team_code is not None and await judge_normalisation(competition.id):
        # Normalised scores depend on every judge's reviews of every team: one team's change can move
        # the others, so only a full evaluation is right.
        team_code = None
    if team_code is not None and all(get_rule(ref.rule).team_local for ref in ruleset.rules):
        stored = await Standing.select(
            Standing.id,
            Standing.team.code,
            Standing.rank,
            Standing.score,
            Standing.counted,
            Standing.quality,
            Standing.coverage,
            Standing.last_activity_at,
            Standing.ruleset_version,
        ).where(season_rows)
    complete = len(stored) == len(team_ids) and all(r["ruleset_version"] == version for r in stored)
    changed_team: str | None = None
    changed_rows: Any = None
    if team_code is not None and complete:
        team_facts = await load_facts(competition, team_code)
        fresh = await kept.run_write(evaluate_team, ruleset, team_facts, team_code)
        changed_team, changed_rows = team_code, team_facts.activities
        others = [_stored_result(r) for r in stored if r["team.code"] != team_code]
        standings = rank([*others, fresh], ruleset.tie_break)
        old_ranks = {r["team.code"]: r["rank"] for r in stored}
        await Standing.delete().where(season_rows & (Standing.team == team_ids[team_code]))
        await Standing.insert(
            _standing_row(
                competition.id, team_ids[team_code], standings.row(team_code), version, data_version
            )
        )
        moved: dict[int, list[int]] = {}
        for result in standings.rows:
            if result.team != team_code and old_ranks.get(result.team) != result.rank:
                moved.setdefault(result.rank, []).append(team_ids[result.team])
        for new_rank, ids in moved.items():
            await Standing.update({Standing.rank: new_rank}).where(season_rows & Standing.team.is_in(ids))
        movers = [Mover(team_code, standings.row(team_code).rank, old_ranks.get(team_code))]
        movers += [
            Mover(r.team, r.rank, old_ranks.get(r.team))
            for r in standings.rows
            if r.team != team_code and old_ranks.get(r.team) != r.rank
        ]
    else:
        facts = await load_facts(competition)
        standings = await kept.run_write(evaluate, ruleset, facts)
        previous = {
            r["team.code"]: r["rank"]
            for r in await Standing.select(Standing.team.code, Standing.rank).where(season_rows)
        }
        movers = [
            Mover(r.team, r.rank, previous.get(r.team))
            for r in standings.rows
            if previous.get(r.team) != r.rank
        ]
        await Standing.delete().where(season_rows)
        # Every explanation line is written out here (1.26 million at a million activities): in a worker
        # thread, so that the event loop goes on answering meanwhile.
        fresh_rows = await kept.run_write(
            _standing_rows, competition.id, team_ids, standings, version, data_version
        )
        if fresh_rows:  # a competition without teams yet has nothing to store
            await Standing.insert(*fresh_rows)
    await Competition.update(
        {Competition.standings_version: data_version, Competition.standings_at: periods.clock()}
    ).where(Competition.id == competition.id)
    competition_id = competition.id
    # Once committed, this process's kept facts are those of the new version (before the pages hear of it).
    if changed_team is not None:
        await after_commit(lambda: kept.after_team_change(stamp, data_version, changed_team, changed_rows))
    else:
        kept_facts = facts

        async def keep() -> None:
            kept.after_full_load(stamp, data_version, kept_facts)

        await after_commit(keep)
    await after_commit(lambda: announce(competition_id))
    # The recomputed team first, then those it moved (a team-local recompute keeps the others' ranks).
    await emit(
        StandingsChanged(competition, data_version, tuple(m for m in movers if m.rank != m.previous_rank))
    )
    return data_version


async def standings_version(competition_id: int) -> int:
    row = (
        await Competition.select(Competition.standings_version)
        .where(Competition.id == competition_id)
        .first()
    )
    return row["standings_version"] if row else 0


async def leaderboard(competition_id: int) -> tuple[list[Row], int]:
    """The stored overall season standings as leaderboard rows, and their ruleset version."""
    rows, ruleset_version = await stored_season(competition_id)
    ranks = Counter(r["rank"] for r in rows)
    result = [
        Row(
            rank=r["rank"],
            team_code=r["team.code"],
            team_name=r["team.name"],
            score=Decimal(r["score"]),
            counted=r["counted"],
            shared=ranks[r["rank"]] > 1,
        )
        for r in rows
    ]
    return result, ruleset_version
