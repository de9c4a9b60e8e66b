"""What the API reads: pages of rows by cursor, and leaderboards (stored, or evaluated once per version)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.accounts.auth import CurrentUser
from app.activities import policy
from app.activities.services import ACTIVITY_COLUMNS, _decode
from app.competitions.services import CompetitionInfo, ruleset_in_force
from app.leaderboard import views
from app.leaderboard.freeze import FROZEN_PERIOD
from app.leaderboard.services import load_facts, season_overall, stored_season
from app.tables import Activity, Competition, Standing, StandingSnapshot, Team
from scoring.engine import evaluate
from scoring.periods import Period


async def competitions_page(after_id: int, limit: int, include_private: bool) -> list[dict[str, Any]]:
    where = Competition.id > after_id
    if not include_private:
        where &= Competition.is_private.eq(False)
    return await Competition.select().where(where).order_by(Competition.id).limit(limit + 1)


async def teams_page(competition_id: int, after_id: int, limit: int) -> list[dict[str, Any]]:
    return await (
        Team.select()
        .where((Team.competition == competition_id) & (Team.id > after_id))
        .order_by(Team.id)
        .limit(limit + 1)
    )


async def activities_page(
    competition_id: int,
    user: CurrentUser,
    *,
    after_id: int,
    limit: int,
    status: str | None,
    team: str | None,
    type_code: str | None,
) -> list[dict[str, Any]]:
    """A page of activities, oldest first; a participant sees their own team's only and a judge never
    sees their own regency's nor a team's they declared a conflict with (app.activities.policy)."""
    where = (Activity.competition == competition_id) & (Activity.id > after_id)
    if user.role == "participant":
        where &= Activity.team == (user.team_id or 0)
    officer_ids = await policy.officer_activity_ids(user)
    if officer_ids is not None:
        where &= Activity.id.is_in(officer_ids or [0])
    hidden = await policy.hidden_team_ids(user, competition_id)
    if hidden:
        where &= Activity.team.not_in(hidden)
    if status:
        where &= Activity.status == status
    if team:
        where &= Activity.team.code == team
    if type_code:
        where &= Activity.activity_type.code == type_code
    rows = await (
        Activity.select(*ACTIVITY_COLUMNS, Activity.submitted_by.username)
        .where(where)
        .order_by(Activity.id)
        .limit(limit + 1)
    )
    return [_decode(r) for r in rows]


async def activity(activity_id: int) -> dict[str, Any] | None:
    row = await (
        Activity.select(*ACTIVITY_COLUMNS, Activity.competition, Activity.submitted_by.username)
        .where(Activity.id == activity_id)
        .first()
    )
    return _decode(row) if row else None


@dataclass(frozen=True, slots=True)
class BoardRow:
    rank: int
    team_code: str
    team_name: str
    score: Decimal
    counted: int
    breakdown: dict[str, Decimal]
    lines: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Board:
    ruleset_version: int
    rows: list[BoardRow]


async def stored_board(competition_id: int, lines_for: str | None = None) -> Board:
    """The season's overall standings as the last recompute stored them (lines of `lines_for` only)."""
    where = season_overall(competition_id)
    rows, _version = await stored_season(competition_id)
    lines: list[dict[str, Any]] = []
    if lines_for is not None:
        found = await Standing.select(Standing.lines).where(where & (Standing.team.code == lines_for)).first()
        lines = (_decoded(found["lines"]) if found else None) or []
    return Board(rows[0]["ruleset_version"] if rows else 0, [_row(r, lines, lines_for) for r in rows])


async def computed_board(
    competition: CompetitionInfo, view: str, period: Period, lines_for: str | None = None
) -> Board:
    """Lines are built only for the team `lines_for` (a season holds far more lines than anyone reads)."""
    # One cache of facts and evaluated views for the pages and the API (app.leaderboard.views).
    state = await views.competition_state(competition.id, max_age=0)
    version, ruleset = await ruleset_in_force(competition.id)
    if state is None:
        standings = evaluate(
            ruleset, await load_facts(competition), None if period.kind == "season" else period, view
        )
    else:
        standings = await views.evaluated(state, view, None if period.kind == "season" else period)
    lines: tuple[Any, ...] = ()
    if lines_for is not None:
        # The cached standings keep no lines: the one team's are built when asked for.
        lines = (
            next((r.lines for r in standings.rows if r.team == lines_for), ())
            if state is None
            else await views.team_lines(state, view, None if period.kind == "season" else period, lines_for)
        )
    names = {
        t["code"]: t["name"]
        for t in await Team.select(Team.code, Team.name).where(Team.competition == competition.id)
    }
    return Board(
        version,
        [
            BoardRow(
                rank=r.rank,
                team_code=r.team,
                team_name=names.get(r.team, r.team),
                score=r.score,
                counted=r.counted,
                breakdown=dict(r.subtotals),
                lines=[
                    {
                        "rule": line.rule,
                        "activity_id": line.activity_id,
                        "period": line.period,
                        "points": str(line.points),
                        "reason_id": line.reason_id,
                        "reason_en": line.reason_en,
                    }
                    for line in (lines if r.team == lines_for else ())
                ],
            )
            for r in standings.rows
        ],
    )


async def board(
    competition: CompetitionInfo, view: str, period: Period, lines_for: str | None = None
) -> Board:
    if view == "overall" and period.kind == "season":
        return await stored_board(competition.id, lines_for)
    return await computed_board(competition, view, period, lines_for)


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def frozen_board(competition_id: int, lines_for: str | None = None) -> Board:
    """The frozen snapshot (app.leaderboard.views) in the JSON API's board shape (lines of `lines_for`
    only, as `stored_board`)."""
    S = StandingSnapshot
    where = (S.competition == competition_id) & (S.label == FROZEN_PERIOD)
    rows = await (
        S.select(S.rank, S.team.code, S.team.name, S.score, S.counted, S.subtotals, S.ruleset_version)
        .where(where)
        .order_by(S.rank)
        .order_by(S.team.code)
    )
    lines: list[dict[str, Any]] = []
    if lines_for is not None:
        found = await S.select(S.lines).where(where & (S.team.code == lines_for)).first()
        lines = (_decoded(found["lines"]) if found else None) or []
    return Board(rows[0]["ruleset_version"] if rows else 0, [_row(r, lines, lines_for) for r in rows])


def _row(r: dict[str, Any], lines: list[dict[str, Any]], lines_for: str | None) -> BoardRow:
    """A stored standing (live or frozen) as a board row; only `lines_for`'s row carries its lines."""
    return BoardRow(
        rank=r["rank"],
        team_code=r["team.code"],
        team_name=r["team.name"],
        score=Decimal(r["score"]),
        counted=r["counted"],
        breakdown={k: Decimal(v) for k, v in (_decoded(r["subtotals"]) or {}).items()},
        lines=lines if r["team.code"] == lines_for else [],
    )
