"""Leaderboard views for pages and the API: who sees what (live or frozen), which rows, rendered once.

Read path rules:
- the overall season standings are read from the `standing` table (stored by `services.recompute`);
- other views and periods are evaluated by the engine from the facts, cached per
  (competition, standings version, ruleset version, view, period);
- a rendered fragment is kept per (competition, view, period, audience, version, locale) and served as
  bytes (with a gzipped copy);
- the public audience of a frozen leaderboard only ever sees the snapshot stored at the freeze.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from app import i18n
from app.competitions.services import CompetitionInfo, _info, ruleset_in_force
from app.errors import Invalid
from app.leaderboard.services import stored_season
from app.tables import CLUSTERS, Competition, FrozenActivity, Review, StandingSnapshot, Team
from scoring.engine import Standings, evaluate, parse_view
from scoring.facts import ActivityTable, Facts, occurred_before
from scoring.periods import FIRST_YEAR, LAST_YEAR, Period, parse_period
from scoring.registry import all_rules

PUBLIC = "public"
STAFF = "staff"
FROZEN_PERIOD = "frozen"
STATE_TTL_SECONDS = 1.0
MAIN_RULES = 4


def clock() -> datetime:
    """Now, in UTC; tests replace it."""
    return datetime.now(UTC)


# --- competition state (version, freeze), cached briefly per process ------------------------------


@dataclass(frozen=True, slots=True)
class State:
    info: CompetitionInfo
    version: int
    frozen_at: datetime | None
    frozen_version: int

    created_at: datetime | None = None
    movement_since: datetime | None = None  # when this week's movement baseline was taken

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def stamp(self) -> tuple[int, Any]:
        """Names this competition in cache keys even if a database reuses its id (tests wipe tables)."""
        return (self.info.id, self.created_at)

    def version_for(self, audience: str) -> int:
        if audience == PUBLIC and self.frozen_at is not None:
            return self.frozen_version
        return self.version

    def frozen_for(self, audience: str) -> bool:
        return audience == PUBLIC and self.frozen_at is not None


def state_of(row: dict[str, Any]) -> State:
    """The state of a competition row already read (lists of competitions)."""
    return _state(row)


_states: dict[Any, tuple[float, State | None]] = {}


def invalidate() -> None:
    """Forgets the cached states; `live.announce` calls it after every commit that changed standings.
    Other processes see a change within STATE_TTL_SECONDS."""
    _states.clear()


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they are stored in UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _state(row: dict[str, Any]) -> State:
    return State(
        info=_info(row),
        version=row["standings_version"],
        frozen_at=_aware(row.get("frozen_at")),
        frozen_version=row.get("frozen_version") or 0,
        created_at=row.get("created_at"),
        movement_since=_aware(row.get("movement_since")),
    )


async def _cached_state(
    key: Any, load: Callable[[], Awaitable[dict[str, Any] | None]], max_age: float | None = None
) -> State | None:
    def fresh(since: float) -> State | bool | None:
        hit = _states.get(key)
        if hit is None:
            return False
        loaded = hit[0] - STATE_TTL_SECONDS
        if time.monotonic() - loaded < (
            STATE_TTL_SECONDS if max_age is None else min(max_age, STATE_TTL_SECONDS)
        ):
            return hit[1]
        # A load that started after this request arrived is as fresh as one of its own.
        return hit[1] if max_age is not None and loaded >= since else False

    arrived = time.monotonic()
    found = fresh(arrived)
    if found is not False:
        return found  # type: ignore[return-value]
    # One query at a time per key: when the entry expires under load, the others wait for it.
    async with _state_locks.setdefault(key, asyncio.Lock()):
        found = fresh(arrived)
        if found is not False:
            return found  # type: ignore[return-value]
        started = time.monotonic()
        row = await load()
        state = _state(row) if row else None
        _states[key] = (started + STATE_TTL_SECONDS, state)
        return state


_state_locks: dict[Any, asyncio.Lock] = {}


async def current_state(max_age: float | None = None) -> State | None:
    """The current competition's state, cached for STATE_TTL_SECONDS; `max_age` asks for a fresher one
    (a "nothing changed" answer must not come from a state another process has already moved past)."""

    async def load() -> dict[str, Any] | None:
        row = (
            await Competition.select().where(Competition.is_current.eq(True)).order_by(Competition.id).first()
        )
        if row is None:
            row = await Competition.select().order_by(Competition.id, ascending=False).first()
        return row

    return await _cached_state("current", load, max_age)


async def competition_state(competition_id: int, max_age: float | None = None) -> State | None:
    async def load() -> dict[str, Any] | None:
        return await Competition.select().where(Competition.id == competition_id).first()

    return await _cached_state(competition_id, load, max_age)


def audience_of(user: Any) -> str:
    """Organisers and judges see the live standings; everyone else sees what the public sees."""
    return STAFF if user is not None and getattr(user, "role", None) in ("organiser", "judge") else PUBLIC


# --- choosing a view and a period ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    view: str
    period: Period

    @property
    def is_stored(self) -> bool:
        return self.view == "overall" and self.period.kind == "season"


def choose(view: str | None, period: str | None, type_codes: set[str]) -> Choice:
    """The requested view and period, read the same way by every door (pages, fragments, exports, the
    API); raises Invalid naming each one we do not know, a period outside FIRST_YEAR..LAST_YEAR included."""
    view = view or "overall"
    errors: dict[str, str] = {}
    try:
        parsed = parse_period(period or "season")
    except ValueError:
        errors["period"] = i18n._(
            "Use season, week:YYYY-Www or month:YYYY-MM, of a year from %(first)s to %(last)s.",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    try:
        kind = parse_view(view)
    except ValueError:
        kind = ("", "")
    if kind is not None:
        attribute, value = kind
        if not (
            (attribute == "cluster" and value in CLUSTERS) or (attribute == "type" and value in type_codes)
        ):
            errors["view"] = i18n._("Use overall, cluster:<cluster> or type:<activity type code>.")
    if errors:
        raise Invalid(errors)
    return Choice(view, parsed)


def local_today(info: CompetitionInfo) -> date:
    today = clock().astimezone(ZoneInfo(info.timezone)).date()
    return min(max(today, info.starts_on), info.ends_on)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_label(period: Period | str) -> str:
    """A period as people say it: "Pekan 25 Nov – 1 Des 2026", "Desember 2026", "Seluruh musim"."""
    from babel.dates import format_date

    from app import i18n

    if isinstance(period, str):
        period = parse_period(period)
    locale = i18n.get_locale()
    dates = period.local_dates()
    if dates is None:
        return i18n._("Whole season")
    first, last = dates[0], dates[1] - timedelta(days=1)
    if period.kind == "month":
        return format_date(first, "LLLL y", locale=locale).capitalize()
    if first.year != last.year:
        span = (
            f"{format_date(first, 'd MMM y', locale=locale)} – {format_date(last, 'd MMM y', locale=locale)}"
        )
    elif first.month != last.month:
        span = f"{format_date(first, 'd MMM', locale=locale)} – {format_date(last, 'd MMM y', locale=locale)}"
    else:
        span = f"{first.day}–{format_date(last, 'd MMM y', locale=locale)}"
    return i18n._("Week %(dates)s", dates=span)


def period_options(info: CompetitionInfo) -> dict[str, list[tuple[str, str]]]:
    """Weeks (Monday first) and months of the season up to today, newest first: (value, label)."""
    last = local_today(info)
    weeks: list[tuple[str, str]] = []
    day = week_start(info.starts_on)
    while day <= last:
        year, number, _ = day.isocalendar()
        period = Period("week", year, number)
        weeks.append((str(period), period_label(period)))
        day += timedelta(days=7)
    months: list[tuple[str, str]] = []
    month = date(info.starts_on.year, info.starts_on.month, 1)
    while month <= last:
        period = Period("month", month.year, month.month)
        months.append((str(period), period_label(period)))
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return {"weeks": weeks[::-1], "months": months[::-1]}


def previous_period(period: Period) -> Period | None:
    if period.kind == "week":
        first = date.fromisocalendar(period.year, period.number, 1) - timedelta(days=7)
        year, number, _ = first.isocalendar()
        return Period("week", year, number)
    if period.kind == "month":
        if period.number == 1:
            return Period("month", period.year - 1, 12)
        return Period("month", period.year, period.number - 1)
    return None


# --- rows -----------------------------------------------------------------------------------------


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


def baseline_label(day: date) -> str:
    """The stored "rank when this week began" snapshot of the week containing `day` (period column)."""
    year, number, _ = day.isocalendar()
    return f"mv:{year:04d}-W{number:02d}"


# Facts and evaluated standings for the computed views, per process; small and keyed by version.
class _Lru:
    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        value = self.entries.get(key)
        if value is not None:
            self.entries.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self.entries[key] = value
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


_facts = _Lru(1)  # at a million activities one set of facts is hundreds of MB
_standings = _Lru(64)
_locks: dict[Any, asyncio.Lock] = {}


async def _single_flight(key: Any, cache: _Lru, make: Callable[[], Awaitable[Any]]) -> Any:
    value = cache.get(key)
    if value is not None:
        return value
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        value = cache.get(key)
        if value is None:
            value = await make()
            cache.put(key, value)
    _locks.pop(key, None)
    return value


async def _facts_of(state: State) -> Facts:
    from app.leaderboard.services import load_facts

    return await _single_flight((state.stamp, state.version), _facts, lambda: load_facts(state.info))


async def evaluated(
    state: State,
    view: str,
    period: Period | None,
    before: datetime | None = None,
    verified_before: datetime | None = None,
) -> Standings:
    """The engine's standings of a view and period (None: season), optionally of the activities that
    occurred before a moment, or of those verified before one; cached per standings and ruleset version."""
    ruleset_version, ruleset = await ruleset_in_force(state.id)
    key = (state.stamp, state.version, ruleset_version, view, str(period), before, verified_before)

    async def make() -> Standings:
        facts = await _facts_of(state)
        activities = facts.activities
        if before is not None:
            activities = occurred_before(activities, before)
        if verified_before is not None:
            activities = _without(activities, await _verified_since(state.id, verified_before))
        if activities is not facts.activities:
            facts = Facts(
                competition=facts.competition,
                teams=facts.teams,
                activities=activities,
                adjustments=facts.adjustments,
            )
        return evaluate(ruleset, facts, period, view)

    return await _single_flight(key, _standings, make)


def _rule_titles(locale: str) -> dict[str, str]:
    from app import i18n

    titles = {rule.id: rule.title.get(locale, rule.id) for rule in all_rules()}
    titles["adjustment"] = i18n._("Organisers' adjustments")
    return titles


async def build(state: State, choice: Choice, audience: str, locale: str) -> Board:
    """The rows one audience may see for a view and a period."""
    frozen = state.frozen_for(audience)
    ruleset_version, ruleset = await ruleset_in_force(state.id)
    titles = _rule_titles(locale)
    board = Board(
        competition=state.info,
        choice=choice,
        audience=audience,
        version=state.version_for(audience),
        ruleset_version=ruleset_version,
        frozen=frozen,
        frozen_at=state.frozen_at,
        restricted=frozen and not choice.is_stored,
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
        standings = await evaluated(
            state, choice.view, None if choice.period.kind == "season" else choice.period
        )
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
    from app import i18n
    from app.tables import ActivityType

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
            ranks = {r.team: r.rank for r in (await evaluated(state, choice.view, prior)).rows}
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
    earlier = await evaluated(
        state, choice.view, None if period.kind == "season" else period, verified_before=since
    )
    ranks = _meaningful({r.team: r.rank for r in earlier.rows})
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


_fragments = _Lru(256)


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

    async def make() -> Rendered:
        board = await build(state, choice, audience, locale)
        body = render(board).encode()
        return Rendered(body, gzip.compress(body, 6), version)

    return await _single_flight(key, _fragments, make)


# --- write side: the week's movement baseline and the freeze --------------------------------------


async def keep_week_baseline(competition: CompetitionInfo) -> None:
    """Inside a recompute, before the season standings change: the first change of a week stores the
    standings as they were (their ranks are what the week's movement arrows compare with), and when.
    A baseline where every team shared one place compares with nothing: the next change takes it again,
    so the arrows work from the season's first week on."""
    label = baseline_label(local_today(competition))
    S = StandingSnapshot
    kept = await S.select(S.rank).where((S.competition == competition.id) & (S.label == label)).distinct()
    if len(kept) > 1:
        return
    # None yet this week, or one taken while every team shared one place (the season's first changes):
    # the standings as they are now are the first that can show who moved.
    await S.delete().where((S.competition == competition.id) & (S.label.like("mv:%")))
    await _copy_season(competition.id, label)
    row = await Competition.select(Competition.standings_at).where(Competition.id == competition.id).first()
    since = (row or {}).get("standings_at") or clock()
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
    """The team pages' lists at the freeze: every activity verified now, as it reads now."""
    await FrozenActivity.raw(
        "INSERT INTO frozen_activity (competition, team, activity, title, occurred_at, type_code) "
        "SELECT a.competition, a.team, a.id, a.title, a.occurred_at, t.code "
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
    from app.audit.services import record
    from app.db import after_commit, write_transaction
    from app.leaderboard.live import announce

    async with write_transaction(lock=f"competition:{competition_id}"):
        row = (
            await Competition.select(Competition.frozen_at, Competition.standings_version)
            .where(Competition.id == competition_id)
            .first()
        )
        if row is None or row["frozen_at"] is not None:
            return False
        now = clock()
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
        # The public channel hears the freeze itself (its version is the snapshot's): open pages show
        # the frozen notice at once, then nothing until the unfreeze.
        await after_commit(lambda: announce(competition_id, tell_public=True))
    return True


async def unfreeze(competition_id: int, actor: Any) -> bool:
    """Shows the live standings to everyone again (the snapshot stays for the reveal); False if not frozen."""
    from app.audit.services import record
    from app.db import after_commit, write_transaction
    from app.leaderboard.live import announce

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
        await after_commit(lambda: announce(competition_id))
    return True


async def frozen_api_board(competition_id: int, lines_for: str | None = None) -> Any:
    """The frozen snapshot in the JSON API's board shape (app.api.services.Board)."""
    from app.api.services import Board as ApiBoard
    from app.api.services import BoardRow as ApiRow

    S = StandingSnapshot
    rows = await (
        S.select(
            S.rank, S.team.code, S.team.name, S.score, S.counted, S.subtotals, S.lines, S.ruleset_version
        )
        .where((S.competition == competition_id) & (S.label == FROZEN_PERIOD))
        .order_by(S.rank)
        .order_by(S.team.code)
    )
    return ApiBoard(
        rows[0]["ruleset_version"] if rows else 0,
        [
            ApiRow(
                rank=r["rank"],
                team_code=r["team.code"],
                team_name=r["team.name"],
                score=Decimal(r["score"]),
                counted=r["counted"],
                breakdown={k: Decimal(v) for k, v in (_json(r["subtotals"]) or {}).items()},
                lines=(_json(r["lines"]) or []) if r["team.code"] == lines_for else [],
            )
            for r in rows
        ],
    )
