"""The scale bench, small: the same build and the same run as `bench.scale` at a million activities, over a
few thousand, so that the benchmark cannot rot (SQLite and PostgreSQL)."""

from __future__ import annotations

from litestar import Litestar

from app.competitions.services import competition_by_id
from app.leaderboard.services import load_facts
from app.tables import Review, Standing
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
