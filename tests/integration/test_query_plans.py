"""The queries a page or a write makes at scale are served by indexes, never by a scan of their table:
checked with the database's own EXPLAIN (SQLite's query plan; PostgreSQL's with sequential scans
switched off, which then shows whether an index can serve the query at all — on a small table the
planner would rightly prefer the scan)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from app.db import is_postgres, write_transaction
from app.judging.assignment import OPEN_LOADS
from app.leaderboard import facts
from app.organiser import jury_reads
from app.tables import Activity, Assignment
from bench.scale import build as bench
from tests.integration.conftest import wipe


def _queries(competition: int, activity: int, judge: int) -> dict[str, str]:
    postgres = is_postgres()
    true = "TRUE" if postgres else "1"
    return {
        "a submission's judge loads": OPEN_LOADS.format(competition),
        "the facts' activities": facts._ACTIVITIES.format(
            micros=facts._MICROS_POSTGRES if postgres else facts._MICROS_SQLITE,
            competition=competition,
            team="",
        ),
        "one team's activities": facts._ACTIVITIES.format(
            micros=facts._MICROS_POSTGRES if postgres else facts._MICROS_SQLITE,
            competition=competition,
            team=" AND a.team = 1",
        ),
        "the facts' judges' scores": facts._REVIEWS.format(competition=competition, true=true, team=""),
        "an activity's assignments (review, settle)": (
            f"SELECT * FROM assignment WHERE activity = {activity} AND status IN ('open', 'done') ORDER BY id"
        ),
        "an activity's current reviews": (
            f"SELECT * FROM review WHERE activity = {activity} AND is_current = {true}"
            " AND annulled_at IS NULL ORDER BY id"
        ),
        "a judge's next assignment": (
            f"SELECT id FROM assignment WHERE competition = {competition} AND judge = {judge}"
            " AND status = 'open' ORDER BY skipped, id LIMIT 1"
        ),
        "the jury console: each judge's counts": jury_reads._sql(jury_reads._PER_JUDGE, competition),
        "the jury console: each activity's tally": jury_reads._sql(jury_reads._TALLIES, competition),
        "the jury console: the scored reviews": jury_reads._sql(jury_reads._SCORED, competition).replace(
            "{}", "'{}'"
        ),
        "the jury console: open assignments per judge": jury_reads._sql(
            jury_reads._OPEN_PER_JUDGE, competition
        ),
        "the open assignments, a page from a cursor": (
            f"SELECT id FROM assignment WHERE competition = {competition} AND status = 'open'"
            " AND created_at >= '2024-01-01' AND (created_at > '2024-01-01' OR id > 5)"
            " ORDER BY created_at, id LIMIT 50"
        ),
        "the audit trail, a page from a cursor": (
            "SELECT * FROM audit_event WHERE id < 1000 ORDER BY id DESC LIMIT 50"
        ),
        "the stored season board": (
            f"SELECT * FROM standing WHERE competition = {competition} AND period = 'season'"
            " AND view = 'overall'"
        ),
    }


#: Where a competition-wide query must not settle for the competition's index (at national scale one
#: competition is the whole table): the index made for it.
EXPECTED = {
    "a submission's judge loads": "assignment_open",
    "the facts' activities": "activity_facts",
    "one team's activities": "activity_facts",
    "the jury console: each activity's tally": "review_jury",
    "the open assignments, a page from a cursor": "assignment_open_age",
}


SUBQUERIES = {"tally"}


async def _plan(sql: str) -> str:
    if is_postgres():
        async with write_transaction():
            await Activity.raw("SET LOCAL enable_seqscan = off")
            rows = await Activity.raw(f"EXPLAIN {sql}")
        return "\n".join(str(next(iter(r.values()))) for r in rows)
    rows = await Activity.raw(f"EXPLAIN QUERY PLAN {sql}")
    return "\n".join(str(r.get("detail", r)) for r in rows)


def _scans(plan: str) -> list[str]:
    if is_postgres():
        return [line for line in plan.splitlines() if "Seq Scan" in line]
    # SQLite: "SCAN t" reads the whole table; "SEARCH t USING INDEX" does not.
    # A subquery's own rows (the jury console's tallies, a handful) are no table.
    return [
        line
        for line in plan.splitlines()
        if line.startswith("SCAN ") and "USING" not in line and line.split()[1] not in SUBQUERIES
    ]


async def test_the_hot_queries_use_indexes(app: Litestar) -> None:
    await wipe()
    built = await bench.build(2500, 4)
    if is_postgres():
        await Activity.raw("ANALYZE")
    open_row: Any = (
        await Assignment.select(Assignment.activity, Assignment.judge)
        .where((Assignment.competition == built.competition_id) & (Assignment.status == "open"))
        .first()
    )
    found: dict[str, list[str]] = {}
    for name, sql in _queries(built.competition_id, open_row["activity"], open_row["judge"]).items():
        plan = await _plan(sql)
        scans = _scans(plan)
        if scans:
            found[name] = scans
        # PostgreSQL's planner picks among usable indexes by their cost on this small season: there only
        # the judges' loads are held to their own index.
        expected = EXPECTED.get(name) if not is_postgres() or name == "a submission's judge loads" else None
        if expected is not None and expected not in plan:
            found[name] = [f"not through {expected}: {plan}"]
    assert found == {}
    if not is_postgres():
        # The loader's read needs neither the activity rows nor a sort.
        plan = await _plan(_queries(built.competition_id, 0, 0)["the facts' activities"])
        assert "COVERING INDEX activity_facts" in plan and "ORDER BY" not in plan
