"""The season's facts as the engine reads them, loaded by plain SQL straight into its columns.

A full load reads the activities as rows of plain values (sqlite3 / asyncpg tuples, never ORM objects),
turns them into the `ActivityTable`'s arrays with a few whole-array operations (team and type ids coded
through a lookup array, times computed as integer microseconds by the database), and attaches the
judges' scores by row with one sorted search. Outside a transaction, on SQLite, the whole load runs in a
worker thread on its own connection; inside one (a recompute in the write transaction that changed the
facts) it reads through that transaction's connection, so it sees the uncommitted change.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import numpy as np
from piccolo.engine.postgres import PostgresEngine

from app import regions
from app.competitions.services import CompetitionInfo
from app.db import current_engine
from app.tables import ActivityType, Adjustment, Competition, RubricCriterion, Team
from scoring.facts import (
    CLUSTERS,
    STATUSES,
    ActivityTable,
    Criterion,
    Facts,
    JudgeScore,
    encode,
    microseconds,
)
from scoring.facts import Adjustment as FactAdjustment
from scoring.facts import Competition as FactCompetition
from scoring.facts import Team as FactTeam
from scoring.jury import normalise_judges

# SQLite keeps a timestamptz as Piccolo writes it, `str(datetime)` in UTC: "2024-02-12 03:00:00+00:00"
# (".ffffff" after the seconds when there are microseconds). The loader reads it without the offset and
# NumPy parses the whole column at once (`_micros`); PostgreSQL computes the microseconds itself.
_MICROS_SQLITE = "replace(a.occurred_at, '+00:00', '')"
_MICROS_POSTGRES = "CAST(EXTRACT(EPOCH FROM a.occurred_at) * 1000000 AS BIGINT)"

_ACTIVITIES = (
    "SELECT a.id, a.team, a.activity_type, {micros} AS at, a.village_code, a.senkom_count,"
    " a.officer_count, a.residents_reached, a.preemptive, a.officer_confirmed"
    " FROM activity a WHERE a.competition = {competition} AND a.status = 'verified'{team}"
    # The covering index activity_facts (competition, status, team, occurred_at, id, ...) hands the rows
    # over in the engine's (team, time, id) order without a sort and without reading the activity rows.
    " ORDER BY a.team, a.occurred_at, a.id"
)
_REVIEWS = (
    "SELECT r.activity, r.judge, r.scores FROM review r JOIN activity a ON a.id = r.activity"
    " WHERE a.competition = {competition} AND a.status = 'verified' AND r.is_current = {true}"
    " AND r.annulled_at IS NULL AND CAST(r.scores AS TEXT) <> '{{}}'{team}"
)


def _postgres() -> bool:
    return isinstance(current_engine(), PostgresEngine)


async def fetch(sql: str) -> list[Sequence[Any]]:
    """The rows of one query as plain tuples (no dict, no ORM object per row), through the current
    transaction's connection when there is one."""
    engine: Any = current_engine()
    transaction = engine.current_transaction.get()
    if isinstance(engine, PostgresEngine):
        if transaction is not None:
            return list(await transaction.connection.fetch(sql))
        if engine.pool is not None:
            async with engine.pool.acquire() as connection:
                return list(await connection.fetch(sql))
        connection = await engine.get_new_connection()
        try:
            return list(await connection.fetch(sql))
        finally:
            await connection.close()
    if transaction is not None:
        cursor = await transaction.connection.cursor()
        cursor.row_factory = None
        await cursor.execute(sql)
        rows = await cursor.fetchall()
        await cursor.close()
        return list(rows)
    return await asyncio.to_thread(_fetch_sqlite, str(engine.connection_kwargs["database"]), sql)


def _fetch_sqlite(path: str, sql: str) -> list[Sequence[Any]]:
    connection = sqlite3.connect(path, timeout=30)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def _micros(values: list[Any]) -> Any:
    """Integer microseconds since 1970 UTC of a column of times (ints from PostgreSQL, UTC text from
    SQLite; a value with another offset, written by hand, is read one by one)."""
    if not values or not isinstance(values[0], str):
        return np.array(values, dtype=np.int64)
    try:
        return np.array(values, dtype="datetime64[us]").astype(np.int64)
    except ValueError:
        return np.array(
            [microseconds(_aware(datetime.fromisoformat(value))) for value in values], dtype=np.int64
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lookup(pairs: dict[int, int]) -> Any:
    """A dense array: `lookup[id]` is the code of that id (-1 for an id not in `pairs`)."""
    table = np.full(max(pairs, default=0) + 1, -1, dtype=np.int64)
    for key, code in pairs.items():
        table[key] = code
    return table


def activity_table(
    rows: list[Sequence[Any]],
    team_codes: dict[int, str],
    types: dict[int, tuple[str, str]],
    judge_scores: dict[int, list[JudgeScore]],
) -> ActivityTable:
    """The engine's table of these activity rows (id, team id, type id, micros, village, counts,
    preemptive, officer confirmed), with the judges'
    scores by activity id."""
    columns: list[Any] = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(10)]
    ids = np.array(columns[0], dtype=np.int64)
    team_names = tuple(team_codes.values())
    team_of = _lookup({team_id: i for i, team_id in enumerate(team_codes)})
    type_names = tuple(code for code, _ in types.values())
    type_of = _lookup({type_id: i for i, type_id in enumerate(types)})
    cluster_names = list(CLUSTERS)
    for _, cluster in types.values():
        if cluster not in cluster_names:
            cluster_names.append(cluster)
    cluster_of = np.array(
        [cluster_names.index(cluster) for _, cluster in types.values()] or [0], dtype=np.int64
    )
    team_ids = np.array(columns[1], dtype=np.int64)
    type_ids = np.array(columns[2], dtype=np.int64)
    kinds = type_of[type_ids] if len(type_ids) else type_ids
    scores: dict[int, tuple[JudgeScore, ...]] = {}
    if judge_scores and len(ids):
        order = np.argsort(ids, kind="stable")
        wanted = np.fromiter(judge_scores, dtype=np.int64, count=len(judge_scores))
        found = np.minimum(np.searchsorted(ids[order], wanted), len(ids) - 1)
        for activity_id, position, hit in zip(
            wanted.tolist(), order[found].tolist(), (ids[order][found] == wanted).tolist(), strict=True
        ):
            if hit:
                scores[position] = tuple(judge_scores[activity_id])
    return ActivityTable(
        id=ids,
        team=(team_of[team_ids] if len(team_ids) else team_ids, team_names),
        type=(kinds, type_names),
        cluster=(cluster_of[kinds] if len(kinds) else kinds, tuple(cluster_names)),
        occurred_at=_micros(columns[3]),
        desa_code=encode(columns[4]),
        senkom_count=np.array(columns[5], dtype=np.int64),
        officer_count=np.array(columns[6], dtype=np.int64),
        residents_reached=np.array(columns[7], dtype=np.int64),
        preemptive=np.array(columns[8], dtype=np.bool_),
        status=(np.full(len(ids), STATUSES.index("verified"), dtype=np.int64), STATUSES),
        officer_confirmed=np.array(columns[9], dtype=np.bool_),
        judge_scores=scores,
    )


_DECODE = msgspec.json.Decoder(dict[str, str | int | float])


def _review_scores(raw: Any, decimals: dict[Any, Decimal] | None = None) -> dict[str, Decimal]:
    scores = (_DECODE.decode(raw) if raw else {}) if isinstance(raw, (str, bytes)) else raw or {}
    if decimals is None:
        return {code: Decimal(value) for code, value in scores.items()}
    result = {}
    for code, value in scores.items():
        number = decimals.get(value)
        if number is None:
            number = decimals[value] = Decimal(value)
        result[code] = number
    return result


def _judge_scores(
    reviews: list[Sequence[Any]], normalised: dict[tuple[int, tuple[int, str]], Decimal] | None
) -> dict[int, list[JudgeScore]]:
    """The judges' scores by activity id; normalised when the competition asks for it."""
    found: dict[int, list[JudgeScore]] = {}
    decimals: dict[Any, Decimal] = {}
    for activity, judge, raw in reviews:
        scores = _review_scores(raw, decimals)
        if normalised is not None:
            scores = {
                code: normalised.get((judge, (activity, code)), value) for code, value in scores.items()
            }
        if scores:
            found.setdefault(activity, []).append(
                JudgeScore(judge=str(judge), scores=tuple(sorted(scores.items())))
            )
    return found


def _normalise(
    reviews: list[Sequence[Any]], criteria: list[dict[str, Any]]
) -> dict[tuple[int, tuple[int, str]], Decimal]:
    """Per criterion, each judge's scores mapped through their own mean and spread onto everyone's
    (scoring.jury.normalise_judges; low/high the criterion's min/max). Keyed (judge, (activity, code))."""
    by_code: dict[str, list[tuple[int, tuple[int, str], Decimal]]] = {c["code"]: [] for c in criteria}
    for activity, judge, raw in reviews:
        for code, value in _review_scores(raw).items():
            if code in by_code:
                by_code[code].append((judge, (activity, code), value))
    result: dict[tuple[int, tuple[int, str]], Decimal] = {}
    for c in criteria:
        low, high = Decimal(c["min"]), Decimal(c["max"])
        if by_code[c["code"]] and low <= high:
            result.update(normalise_judges(by_code[c["code"]], low, high))
    return result


async def load_facts(competition: CompetitionInfo, team_code: str | None = None) -> Facts:
    """The competition's facts; with `team_code`, only that team's activities and adjustments."""
    teams = await (
        Team.select(Team.id, Team.code, Team.name).where(Team.competition == competition.id).order_by(Team.id)
    )
    team_codes = {t["id"]: t["code"] for t in teams}
    team_ids = {t["code"]: t["id"] for t in teams}
    types = {t["id"]: (t["code"], t["cluster"]) for t in await _activity_types(competition.id)}
    postgres = _postgres()
    only = ""
    if team_code is not None:
        only = f" AND a.team = {int(team_ids.get(team_code, -1))}"
    activity_rows = await fetch(
        _ACTIVITIES.format(
            micros=_MICROS_POSTGRES if postgres else _MICROS_SQLITE,
            competition=int(competition.id),
            team=only,
        )
    )
    adjustments = await Adjustment.select(
        Adjustment.id, Adjustment.team.code, Adjustment.points, Adjustment.reason
    ).where(
        (Adjustment.competition == competition.id)
        & (Adjustment.team.code == team_code if team_code else Adjustment.id.is_not_null())
    )
    criteria = await RubricCriterion.select().where(
        (RubricCriterion.competition == competition.id) & (RubricCriterion.scope == "activity")
    )
    reviews: list[Sequence[Any]] = []
    every_review: list[Sequence[Any]] | None = None
    if criteria:
        true = "TRUE" if postgres else "1"
        row = await (
            Competition.select(Competition.judge_normalisation)
            .where(Competition.id == competition.id)
            .first()
        )
        if row and row["judge_normalisation"]:
            # A judge's mean and spread span every team: computed over the whole competition's counted
            # reviews even when only one team's facts are asked for.
            every_review = await fetch(_REVIEWS.format(competition=int(competition.id), true=true, team=""))
        reviews = (
            every_review
            if every_review is not None and not only
            else await fetch(_REVIEWS.format(competition=int(competition.id), true=true, team=only))
        )

    def assemble() -> ActivityTable:
        normalised = None if every_review is None else _normalise(every_review, criteria)
        return activity_table(activity_rows, team_codes, types, _judge_scores(reviews, normalised))

    table = await asyncio.to_thread(assemble)  # off the event loop
    return Facts(
        competition=FactCompetition(
            starts_on=competition.starts_on,
            ends_on=competition.ends_on,
            timezone=competition.timezone,
            rubric=tuple(
                Criterion(
                    code=c["code"], weight=Decimal(c["weight"]), min=Decimal(c["min"]), max=Decimal(c["max"])
                )
                for c in criteria
            ),
        ),
        teams=tuple(
            FactTeam(code=t["code"], name=t["name"], desa_count=regions.village_count(t["code"]))
            for t in teams
        ),
        activities=table,
        adjustments=tuple(
            FactAdjustment(id=j["id"], team=j["team.code"], points=Decimal(j["points"]), reason=j["reason"])
            for j in adjustments
        ),
    )


async def _activity_types(competition_id: int) -> list[dict[str, Any]]:
    return await ActivityType.select(ActivityType.id, ActivityType.code, ActivityType.cluster).where(
        ActivityType.competition == competition_id
    )
