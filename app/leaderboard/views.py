"""The board for pages and the API: which rows an audience sees of a view and a period, rendered once.

Read path rules:
- the overall season standings are read from the `standing` table (stored by `services.recompute`);
- other views and periods are evaluated by the engine from the facts, cached per
  (competition, standings version, ruleset version, view, period);
- a rendered fragment is kept per (competition, view, period, audience, version, locale) and served as
  bytes (with a gzipped copy);
- the public audience of a frozen leaderboard only ever sees the snapshot stored at the freeze.

The caches are the application's (`caches`); the competition's state and its audience are `state`'s;
views, periods and the clock `periods`'; the freeze and the week's baseline `freeze`'s. Their names are
also reachable here, where the doors have always found them.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from app import i18n
from app.competitions.services import CompetitionInfo, ruleset_in_force
from app.leaderboard import caches, kept, live
from app.leaderboard.freeze import (
    FROZEN_PERIOD,
    _baseline_ranks,
    _snapshot_rows,
    freeze,
    frozen_activities,
    keep_week_baseline,
    unfreeze,
)
from app.leaderboard.periods import (
    Choice,
    baseline_label,
    choose,
    clock,
    local_today,
    period_label,
    period_options,
    previous_period,
    week_start,
)
from app.leaderboard.services import stored_season
from app.leaderboard.state import (
    PUBLIC,
    STAFF,
    State,
    audience_of,
    competition_state,
    current_state,
    invalidate,
    state_of,
)
from app.tables import ActivityType, Review, StandingSnapshot, Team
from scoring.engine import Standings, evaluate, evaluate_team, rank
from scoring.facts import ActivityTable, Facts, occurred_before
from scoring.periods import Period, parse_period
from scoring.registry import all_rules, get_rule

__all__ = [
    "FROZEN_PERIOD",
    "PUBLIC",
    "STAFF",
    "Board",
    "BoardRow",
    "Choice",
    "Rendered",
    "State",
    "audience_of",
    "baseline_label",
    "build",
    "choose",
    "clock",
    "competition_state",
    "current_state",
    "evaluated",
    "fragment",
    "freeze",
    "frozen_activities",
    "invalidate",
    "keep_week_baseline",
    "local_today",
    "parse_period",
    "period_label",
    "period_options",
    "state_of",
    "unfreeze",
    "view_name",
    "week_start",
]

MAIN_RULES = 4


@dataclass(frozen=True, slots=True)
class BoardRow:
    rank: int
    shared: bool
    move: int | None  # places gained since the previous period (negative: lost), None: not known
    team_code: str
    team_name: str
    score: Decimal
    counted: int
    subtotals: dict[str, Decimal]


@dataclass(slots=True)
class Board:
    competition: CompetitionInfo
    choice: Choice
    audience: str
    version: int
    ruleset_version: int
    frozen: bool
    frozen_at: datetime | None
    restricted: bool  # a frozen public board shows only the overall season snapshot
    rows: list[BoardRow] = field(default_factory=list)
    # The ruleset's rules (id, title), and the first MAIN_RULES of them whose subtotals differ between
    # teams: the columns of a wide screen (a rule that gives every team the same says nothing there).
    all_rules: list[tuple[str, str]] = field(default_factory=list)
    rules: list[tuple[str, str]] = field(default_factory=list)
    # What the arrows compare with: "week" (the ranks when this week began), "previous" (the previous
    # week or month), "" (nothing to compare with yet).
    movement: str = ""
    view_name: str = ""  # "Overall", "Cluster Kamtibmas", an activity type's name
    # While a view's new version is computed the board shows the previous one: `stale_at` is when that
    # was computed (and `version` its version, so that the page asks again when told of the new one).
    stale_at: datetime | None = None

    @property
    def podium(self) -> list[BoardRow]:
        """The top three, once somebody has scored."""
        return self.rows[:3] if self.rows and self.rows[0].score > 0 and len(self.rows) >= 3 else []

    @property
    def period_label(self) -> str:
        return period_label(self.choice.period)


def _meaningful(previous: dict[str, int]) -> dict[str, int]:
    """No arrows against a board where every team shared one place (nobody had scored yet)."""
    return previous if len(set(previous.values())) > 1 else {}


def _shared(ranks: list[int]) -> set[int]:
    seen: set[int] = set()
    shared: set[int] = set()
    for r in ranks:
        (shared if r in seen else seen).add(r)
    return shared


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


#: How long a reader waits for a view's new version before it is given the previous one (marked with
#: its time) while the new one is computed; the pages hear of it when it is ready.
STALE_AFTER_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Evaluated:
    standings: Standings
    version: int  # the standings version they are of
    at: datetime  # when they were computed


def _team_local(ruleset: Any) -> bool:
    return all(get_rule(ref.rule).team_local for ref in ruleset.rules)


def _filtered(activities: Any, before: datetime | None, excluded: frozenset[int] | None) -> Any:
    if before is not None:
        activities = occurred_before(activities, before)
    if excluded is not None:
        activities = _without(activities, excluded)
    return activities


def _full(
    ruleset: Any,
    facts: Facts,
    period: Period | None,
    view: str,
    before: datetime | None,
    excluded: frozenset[int] | None,
) -> Standings:
    activities = _filtered(facts.activities, before, excluded)
    if activities is not facts.activities:
        facts = Facts(
            competition=facts.competition,
            teams=facts.teams,
            activities=activities,
            adjustments=facts.adjustments,
        )
    return evaluate(ruleset, facts, period, view)


def _incremental(
    ruleset: Any,
    kept_facts: kept.Kept,
    prior: Standings,
    teams: set[str],
    period: Period | None,
    before: datetime | None,
    excluded: frozenset[int] | None,
) -> Standings | None:
    """The view's standings from the previous version's, with only the changed teams evaluated again
    (every rule team-local: equal to a full evaluation); None when it cannot be done so."""
    facts = kept_facts.facts
    if not isinstance(facts.activities, ActivityTable) or {r.team for r in prior.rows} != {
        t.code for t in facts.teams
    }:
        return None
    fresh = [
        evaluate_team(
            ruleset,
            Facts(
                competition=facts.competition,
                teams=facts.teams,
                activities=_filtered(kept_facts.rows_of(team), before, excluded),
                adjustments=tuple(a for a in facts.adjustments if a.team == team),
            ),
            team,
            period,
            prior.view,
        )
        for team in sorted(teams)
    ]
    others = [r for r in prior.rows if r.team not in teams]
    return rank([*others, *fresh], ruleset.tie_break, prior.period, prior.view)


async def evaluated(
    state: State,
    view: str,
    period: Period | None,
    before: datetime | None = None,
    verified_before: datetime | None = None,
) -> Standings:
    """The engine's standings of a view and period (None: season), optionally of the activities that
    occurred before a moment, or of those verified before one; cached per standings and ruleset version
    (without explanation lines: `team_lines`)."""
    return (await evaluated_at(state, view, period, before, verified_before)).standings


async def evaluated_at(
    state: State,
    view: str,
    period: Period | None,
    before: datetime | None = None,
    verified_before: datetime | None = None,
    wait: float | None = None,
) -> Evaluated:
    """As `evaluated`, with the version and time of what is returned. With `wait`, a reader whose view
    is being computed for the new version gets the previous version's after that many seconds (the
    computation goes on in a worker thread, once for every asker; the pages are told when it is ready).
    After a change of one team's facts, a view is computed from its previous version with only that
    team evaluated again (when every rule is team-local)."""
    ruleset_version, ruleset = await ruleset_in_force(state.id)
    family = (state.stamp, ruleset_version, view, str(period), before, verified_before)
    store = caches.current()
    hit = store.standings.get((family, state.version))
    if hit is not None:
        return hit  # type: ignore[no-any-return]

    async def make() -> Evaluated:
        kept_facts = await kept.facts_at(state.stamp, state.info, state.version)
        prior: Evaluated | None = store.latest.get(family)
        standings: Standings | None = None
        excluded = None if verified_before is None else await _verified_since(state.id, verified_before)
        if prior is not None and prior.version < state.version:
            teams = kept_facts.teams_changed(prior.version)
            if teams is not None and len(teams) <= 16 and _team_local(ruleset):
                standings = await kept.run_read(
                    _incremental, ruleset, kept_facts, prior.standings, teams, period, before, excluded
                )
        if standings is None:
            standings = await kept.run_read(_full, ruleset, kept_facts.facts, period, view, before, excluded)
        result = Evaluated(kept.slim(standings), state.version, clock())
        store.standings.put((family, state.version), result)
        latest = store.latest.get(family)
        if latest is None or latest.version <= state.version:
            store.latest.put(family, result)
        return result

    running = store.start((family, state.version), make)
    previous: Evaluated | None = store.latest.get(family)
    if wait is None or previous is None or previous.version >= state.version:
        return await asyncio.shield(running)  # type: ignore[no-any-return]
    try:
        return await asyncio.wait_for(asyncio.shield(running), wait)  # type: ignore[no-any-return]
    except TimeoutError:
        competition_id, version = state.id, state.version

        def tell(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is None:
                live.publish(competition_id, version, (STAFF, PUBLIC))

        running.add_done_callback(tell)
        return previous


async def team_lines(state: State, view: str, period: Period | None, team: str) -> tuple[Any, ...]:
    """One team's explanation lines in a view and period, built when somebody reads them (the cached
    standings keep none)."""
    _version, ruleset = await ruleset_in_force(state.id)
    kept_facts = await kept.facts_at(state.stamp, state.info, state.version)
    facts = kept_facts.facts
    if not any(t.code == team for t in facts.teams):
        return ()
    mine = facts
    if isinstance(facts.activities, ActivityTable) and _team_local(ruleset):
        mine = Facts(
            competition=facts.competition,
            teams=facts.teams,
            activities=facts.activities.of_team(team),
            adjustments=tuple(a for a in facts.adjustments if a.team == team),
        )

    def lines() -> tuple[Any, ...]:
        return evaluate_team(ruleset, mine, team, period, view).lines

    return await kept.run_read(lines)


def rule_titles(locale: str) -> dict[str, str]:

    titles = {rule.id: rule.title.get(locale, rule.id) for rule in all_rules()}
    titles["adjustment"] = i18n._("Organisers' adjustments")
    return titles


async def build(state: State, choice: Choice, audience: str, locale: str) -> Board:
    """The rows one audience may see for a view and a period."""
    frozen = state.frozen_for(audience)
    ruleset_version, ruleset = await ruleset_in_force(state.id)
    titles = rule_titles(locale)
    board = Board(
        competition=state.info,
        choice=choice,
        audience=audience,
        version=state.version_for(audience),
        ruleset_version=ruleset_version,
        frozen=frozen,
        frozen_at=state.frozen_at,
        restricted=state.restricted_for(audience, choice.is_stored),
        all_rules=[(ref.rule, titles.get(ref.rule, ref.rule)) for ref in ruleset.rules],
        view_name=await view_name(state.id, choice.view),
    )
    if frozen:
        if board.restricted:
            return board
        stored, board.ruleset_version = await _snapshot_rows(state.id, FROZEN_PERIOD)
        board.rows = _rows_from_stored(stored, {})
    elif choice.is_stored:
        stored, stored_version = await stored_season(state.id)
        board.ruleset_version = stored_version or ruleset_version
        today = local_today(state.info)
        previous = _meaningful(await _baseline_ranks(state.id, baseline_label(today)))
        board.rows = _rows_from_stored(stored, previous)
        board.movement = "week" if previous else ""
    else:
        found = await evaluated_at(
            state,
            choice.view,
            None if choice.period.kind == "season" else choice.period,
            wait=STALE_AFTER_SECONDS,
        )
        standings = found.standings
        if found.version != state.version:
            board.version, board.stale_at = found.version, found.at
        board.movement, previous_ranks = await _previous_ranks(state, choice)
        names = {
            t["code"]: t["name"]
            for t in await Team.select(Team.code, Team.name).where(Team.competition == state.id)
        }
        shared = _shared([r.rank for r in standings.rows])
        board.rows = [
            BoardRow(
                rank=r.rank,
                shared=r.rank in shared,
                move=(previous_ranks[r.team] - r.rank) if r.team in previous_ranks else None,
                team_code=r.team,
                team_name=names.get(r.team, r.team),
                score=r.score,
                counted=r.counted,
                subtotals=dict(r.subtotals),
            )
            for r in standings.rows
            if r.team in names
        ]
    board.rules = [
        (rule, title)
        for rule, title in board.all_rules
        if len({row.subtotals.get(rule, Decimal(0)) for row in board.rows}) > 1
    ][:MAIN_RULES]
    return board


async def view_name(competition_id: int, view: str) -> str:
    """A view as the pages name it, in the reader's language."""

    if view.startswith("type:"):
        row = await (
            ActivityType.select(ActivityType.name, ActivityType.name_en)
            .where((ActivityType.competition == competition_id) & (ActivityType.code == view[5:]))
            .first()
        )
        if row is None:
            return view[5:]
        return (row["name_en"] or row["name"]) if i18n.get_locale() == "en" else row["name"]
    names = {
        "overall": i18n._("Overall"),
        "cluster:kamtibmas": i18n._("Cluster Kamtibmas"),
        "cluster:bencana": i18n._("Cluster Disaster response"),
        "cluster:bela_negara": i18n._("Cluster Defending the nation"),
    }
    return names.get(view, view)


async def _previous_ranks(state: State, choice: Choice) -> tuple[str, dict[str, int]]:
    """What a computed view's arrows compare with, and its ranks: the previous week or month when the
    season had one; otherwise (the season's views, the season's first week or month) the same view
    over the activities verified before this week's baseline was taken."""
    period = choice.period
    if period.kind != "season":
        prior = previous_period(period)
        dates = prior.local_dates() if prior else None
        if prior is not None and dates is not None and dates[1] > state.info.starts_on:
            found = await evaluated_at(state, choice.view, prior, wait=STALE_AFTER_SECONDS)
            ranks = {r.team: r.rank for r in found.standings.rows}
            return ("previous", _meaningful(ranks))
        current = period.local_dates()
        today = local_today(state.info)
        if current is None or not current[0] <= today < current[1]:
            return ("", {})
    since = state.movement_since
    S = StandingSnapshot
    label = baseline_label(local_today(state.info))
    if since is None or not await S.exists().where((S.competition == state.id) & (S.label == label)):
        return ("", {})  # no change yet this week: the stored overall board shows no arrows either
    earlier = await evaluated_at(
        state,
        choice.view,
        None if period.kind == "season" else period,
        verified_before=since,
        wait=STALE_AFTER_SECONDS,
    )
    ranks = _meaningful({r.team: r.rank for r in earlier.standings.rows})
    return ("week" if ranks else "", ranks)


async def _verified_since(competition_id: int, since: datetime) -> frozenset[int]:
    """The activities a judge decided on at or after `since` (their latest review is that recent)."""
    rows = await (
        Review.select(Review.activity)
        .where(
            (Review.created_at >= since)
            & (Review.activity.competition == competition_id)
            & Review.is_current.eq(True)
        )
        .distinct()
    )
    return frozenset(r["activity"] for r in rows)


def _without(activities: Any, excluded: frozenset[int]) -> Any:
    if not excluded:
        return activities
    if isinstance(activities, ActivityTable):
        return activities.take(~np.isin(activities.id, np.fromiter(excluded, dtype=np.int64)))
    return tuple(a for a in activities if a.id not in excluded)


def _rows_from_stored(stored: list[dict[str, Any]], previous: dict[str, int]) -> list[BoardRow]:
    shared = _shared([r["rank"] for r in stored])
    rows = []
    for r in stored:
        subtotals = _json(r["subtotals"]) or {}
        code = r["team.code"]
        rows.append(
            BoardRow(
                rank=r["rank"],
                shared=r["rank"] in shared,
                move=(previous[code] - r["rank"]) if code in previous else None,
                team_code=code,
                team_name=r["team.name"],
                score=Decimal(r["score"]),
                counted=r["counted"],
                subtotals={k: Decimal(v) for k, v in subtotals.items()},
            )
        )
    return rows


# --- rendered fragments ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    gzipped: bytes
    version: int


async def fragment(
    state: State,
    choice: Choice,
    audience: str,
    locale: str,
    render: Callable[[Board], str],
    kind: str = "rows",
) -> Rendered:
    """The fragment's bytes, rendered once per (kind, competition, view, period, audience, version,
    locale); `kind` names the template (the table, the map, the big screen)."""
    version = state.version_for(audience)
    frozen_at = state.frozen_at if state.frozen_for(audience) else None
    key = (state.stamp, choice.view, str(choice.period), audience, version, frozen_at, locale, kind)

    store = caches.current()
    hit = store.fragments.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]

    async def make() -> Rendered:
        board = await build(state, choice, audience, locale)
        body = render(board).encode()
        rendered = Rendered(body, gzip.compress(body, 6), board.version)
        if board.stale_at is None:  # a board of the previous version is never kept as this version's
            store.fragments.put(key, rendered)
        return rendered

    return await store.once(("fragment", key), make)  # type: ignore[no-any-return]
