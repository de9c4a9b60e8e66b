"""The scale bench, small: the same build and the same run as `bench.scale` at a million activities, over a
few thousand, so that the benchmark cannot rot (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from litestar import Litestar

from app.competitions.services import competition_by_id
from app.db import write_transaction
from app.leaderboard.services import load_facts
from app.tables import Activity, Review, Standing
from bench.scale import build as bench
from bench.scale.run import VIEWS, measure
from tests.integration.conftest import wipe

ACTIVITIES = 3000
TEAMS = 12


async def test_the_small_season_is_in_the_database_and_measured(app: Litestar) -> None:
    await wipe()
    built = await bench.build(ACTIVITIES, TEAMS)
    found = await bench.counts(built.competition_id)
    assert bench.check(found, ACTIVITIES, TEAMS) == [], found
    assert found["activity"] == ACTIVITIES and found["team"] == TEAMS and found["standing"] == TEAMS

    # The bulk-inserted rows are the app's rows: its loader reads every verified activity, with the
    # judges' scores of the scored ones, and its recompute stored every explanation line.
    info = await competition_by_id(built.competition_id)
    assert info is not None
    facts = await load_facts(info)
    assert len(facts.activities) == found["verified"]
    scored = sum(
        row["scores"] not in ("{}", {})
        for row in await Review.select(Review.scores).where(
            (Review.activity.competition == built.competition_id) & (Review.activity.status == "verified")
        )
    )
    assert sum(len(judges) for judges in facts.activities.judge_scores.values()) == scored > 0
    lines = await Standing.select(Standing.lines).where(Standing.competition == built.competition_id)
    assert all(row["lines"] not in ("[]", []) for row in lines)

    figures = await measure(built.competition_id, changes=1)
    for view, period in VIEWS:
        assert figures[f"cold {view} {period}"]["ms"] >= 0
        assert figures[f"after review 1: {view} {period}"]["ms"] >= 0
    assert figures["facts activities"] == found["verified"]
    assert len(figures["rss_after_each_change_mb"]) == 1
    # The review went through: one more verified activity, the standings recomputed.
    after = await bench.counts(built.competition_id)
    assert after["verified"] == found["verified"] + 1


async def test_the_bench_refuses_a_season_that_is_not_there(app: Litestar) -> None:
    await wipe()
    built = await bench.build(2500, 4)
    found = await bench.counts(built.competition_id)
    assert bench.check(found, 2500, 4) == []
    missing = bench.check(found, 1_000_000, 514)
    assert any(m.startswith("activity: 2,500 in the database") for m in missing)
    assert any(m.startswith("team: 4 in the database") for m in missing)


async def test_the_sql_loader_reads_what_the_orm_reads(app: Litestar) -> None:
    """The plain-SQL loader against the ORM's reading of the same rows: every field of every activity
    (times to the microsecond, a missing desa), the judges' scores, one team alone."""
    await wipe()
    built = await bench.build(2500, 5)
    competition = built.competition_id
    first = await Activity.select().where(Activity.competition == competition).first()
    async with write_transaction():
        for i, at in enumerate(
            (
                datetime(2024, 3, 1, 3, 0, 0, 1, tzinfo=UTC),
                datetime(2024, 3, 1, 10, 0, 0, 999999, tzinfo=timezone(timedelta(hours=7))),
                datetime(2024, 3, 1, 3, 0, 0, tzinfo=UTC),
            )
        ):
            extra = Activity(**{k: v for k, v in first.items() if k != "id"})
            extra.occurred_at = at
            extra.status = "verified"
            extra.village_code = None if i == 0 else extra.village_code
            extra.officer_confirmed = i == 1
            await extra.save()
    info = await competition_by_id(competition)
    assert info is not None
    rows = await (
        Activity.select(
            Activity.id,
            Activity.team.code,
            Activity.activity_type.code,
            Activity.activity_type.cluster,
            Activity.occurred_at,
            Activity.village_code,
            Activity.senkom_count,
            Activity.officer_count,
            Activity.residents_reached,
            Activity.preemptive,
            Activity.officer_confirmed,
        )
        .where((Activity.competition == competition) & (Activity.status == "verified"))
        .order_by(Activity.team, Activity.occurred_at, Activity.id)
    )
    facts = await load_facts(info)
    loaded = {a.id: a for a in facts.activities}
    assert len(loaded) == len(rows)
    for row in rows:
        a = loaded[row["id"]]
        at = row["occurred_at"] if row["occurred_at"].tzinfo else row["occurred_at"].replace(tzinfo=UTC)
        assert (
            a.team,
            a.type,
            a.cluster,
            a.occurred_at,
            a.desa_code,
            a.senkom_count,
            a.officer_count,
            a.residents_reached,
            a.preemptive,
            a.status,
            a.officer_confirmed,
        ) == (
            row["team.code"],
            row["activity_type.code"],
            row["activity_type.cluster"],
            at,
            row["village_code"],
            row["senkom_count"],
            row["officer_count"],
            row["residents_reached"],
            bool(row["preemptive"]),
            "verified",
            bool(row["officer_confirmed"]),
        )
    scored = {a.id: a.judge_scores for a in facts.activities if a.judge_scores}
    reviews = await Review.select(Review.activity, Review.judge, Review.scores).where(
        (Review.activity.competition == competition) & (Review.activity.status == "verified")
    )
    expected: dict[int, set[tuple[str, tuple[tuple[str, Decimal], ...]]]] = {}
    for r in reviews:
        raw = json.loads(r["scores"]) if isinstance(r["scores"], str) else r["scores"]
        if raw:
            expected.setdefault(r["activity"], set()).add(
                (str(r["judge"]), tuple(sorted((k, Decimal(v)) for k, v in raw.items())))
            )
    assert {k: {(j.judge, j.scores) for j in v} for k, v in scored.items()} == expected
    # The engine needs no sort: the rows come in its (team, time, id) order.
    keys = [(facts.activities.team[i], a.occurred_at, a.id) for i, a in enumerate(facts.activities)]
    assert keys == sorted(keys)
    # One team alone: its rows, and only its rows, inside a transaction as well as outside.
    team = facts.activities[0].team
    alone = await load_facts(info, team)
    assert [a.id for a in alone.activities] == [a.id for a in facts.activities if a.team == team]
    async with write_transaction():
        inside = await load_facts(info, team)
    assert list(inside.activities) == list(alone.activities)
