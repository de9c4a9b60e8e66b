"""Builds a national season *in the database*, through the app's own migrations and services where they
are the app's (the competition, its catalogue, ruleset and stages; the judges; the standings with every
explanation line, stored by the app's own `recompute`), and by plain SQL bulk inserts where only rows
are needed (activities, reviews, assignments, adjustments): `executemany` on SQLite, `COPY` on
PostgreSQL. The facts are the scoring bench's (`bench.scoring.gen`: deterministic).

What it stores for N activities (80 % verified, 12 % submitted, 8 % rejected): one review for every
decided activity, three with rubric scores for the 10 % the scoring bench scores (about 1.06 N reviews),
an assignment for every review (done) and one open assignment for every submitted activity (about
1.18 N), 200 adjustments, and the season's standings with all their explanation lines.

    DATABASE_URL=sqlite:////tmp/scale/db.sqlite3 python -m bench.scale.build --activities 100000

`counts()` reads back what the database holds; `check()` refuses a database that does not hold the
season it claims (the run prints the counts and stops when they are not there).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bench.scoring.gen import COMPETITION, JUDGES, RUBRIC, generate

SLUG = "nasional"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Built:
    competition_id: int
    activities: int
    teams: int
    seconds: dict[str, float]


def _sqlite_time(micros: np.ndarray) -> list[str]:
    """Times as Piccolo stores a UTC timestamptz on SQLite (`str(datetime)`: "2024-02-12 03:00:00+00:00")."""
    text = np.datetime_as_string(micros.astype("datetime64[us]").astype("datetime64[s]"), unit="s")
    return [t.replace("T", " ") + "+00:00" for t in text.tolist()]


def _pg_time(micros: np.ndarray) -> list[datetime]:
    return [_EPOCH + timedelta(microseconds=m) for m in micros.tolist()]


def _rows(
    facts: Any,
    competition_id: int,
    team_ids: dict[str, int],
    type_ids: dict[str, int],
    judge_ids: list[int],
    stage_id: int | None,
    first_id: int,
    postgres: bool,
) -> dict[str, Any]:
    """The rows of every bulk-inserted table, as tuples in the column order of `COLUMNS`."""
    table = facts.activities
    n = len(table)
    ids = np.arange(first_id, first_id + n, dtype=np.int64).tolist()
    team = [team_ids[code] for code in table.team_names]
    teams = [team[c] for c in table.team.tolist()]
    kinds = [type_ids[code] for code in table.type_names]
    types = [kinds[c] for c in table.type.tolist()]
    desa = [*table.desa_names, None]
    villages = [desa[c] for c in table.desa_code.tolist()]
    status = [table.status_names[c] for c in table.status.tolist()]
    when = (_pg_time if postgres else _sqlite_time)(table.occurred_at)
    stamp: Any = datetime(2024, 7, 1, tzinfo=UTC) if postgres else "2024-07-01 00:00:00+00:00"
    activity = list(
        zip(
            ids,
            [competition_id] * n,
            teams,
            types,
            when,
            villages,
            ["Kegiatan"] * n,
            table.senkom_count.tolist(),
            table.officer_count.tolist(),
            table.residents_reached.tolist(),
            table.preemptive.tolist(),
            status,
            [stamp] * n,
            [stamp] * n,
            strict=True,
        )
    )
    judge_of = {f"juri-{j}": judge_ids[j] for j in range(JUDGES)}
    reviews: list[tuple[Any, ...]] = []
    assignments: list[tuple[Any, ...]] = []
    scored = table.judge_scores
    for row in range(n):
        state = status[row]
        if state == "submitted":
            assignments.append(
                (competition_id, stage_id, ids[row], judge_ids[row % JUDGES], "open", "auto", stamp, None)
            )
            continue
        reason = "" if state == "verified" else "bench"
        panel = scored.get(row)
        if panel:
            for judge in panel:
                scores = json.dumps({code: str(value) for code, value in judge.scores})
                reviews.append(
                    (ids[row], judge_of[judge.judge], state, reason, scores, stamp, 1, True, False)
                )
                assignments.append(
                    (competition_id, stage_id, ids[row], judge_of[judge.judge], "done", "auto", stamp, stamp)
                )
        else:
            judge = judge_ids[row % JUDGES]
            reviews.append((ids[row], judge, state, reason, "{}", stamp, 1, True, False))
            assignments.append((competition_id, stage_id, ids[row], judge, "done", "auto", stamp, stamp))
    adjustments = [
        (competition_id, team_ids[a.team], str(a.points), a.reason, stamp) for a in facts.adjustments
    ]
    return {"activity": activity, "review": reviews, "assignment": assignments, "adjustment": adjustments}


COLUMNS = {
    "activity": [
        "id",
        "competition",
        "team",
        "activity_type",
        "occurred_at",
        "village_code",
        "title",
        "senkom_count",
        "officer_count",
        "residents_reached",
        "preemptive",
        "status",
        "submitted_at",
        "updated_at",
    ],
    "review": [
        "activity",
        "judge",
        "decision",
        "reason",
        "scores",
        "created_at",
        "version",
        "is_current",
        "is_head",
    ],
    "assignment": ["competition", "stage", "activity", "judge", "status", "origin", "created_at", "done_at"],
    "adjustment": ["competition", "team", "points", "reason", "created_at"],
}


def _insert_sqlite(path: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for name, values in rows.items():
            columns = COLUMNS[name]
            marks = ", ".join("?" * len(columns))
            conn.executemany(f'INSERT INTO "{name}" ({", ".join(columns)}) VALUES ({marks})', values)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def _insert_postgres(url: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            for name, values in rows.items():
                await conn.copy_records_to_table(name, records=values, columns=COLUMNS[name])
            for name in rows:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM \"{name}\"))"
                )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def build(activities: int, teams: int = 514, slug: str = SLUG) -> Built:
    """The season, in the database the app is configured with (`app.db` started, migrations run)."""
    from app import db
    from app.competitions.services import create_competition
    from app.competitions.stages import activity_stage
    from app.leaderboard.services import recompute
    from app.tables import Account, Activity, ActivityType, RubricCriterion, Stage, Team

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    facts = generate(teams, activities)
    seconds["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    async with db.write_transaction():
        competition = await create_competition(
            slug=slug,
            name="Musim nasional (bench)",
            starts_on=COMPETITION.starts_on,
            ends_on=COMPETITION.ends_on,
            jatim_teams=False,
            is_current=True,
        )
        await Team.insert(*[Team(competition=competition.id, code=t.code, name=t.name) for t in facts.teams])
        await RubricCriterion.insert(
            *[
                RubricCriterion(
                    competition=competition.id,
                    code=c.code,
                    name=c.code,
                    name_en=c.code,
                    weight=str(c.weight),
                    min=str(c.min),
                    max=str(c.max),
                    position=i,
                    scope="activity",
                )
                for i, c in enumerate(RUBRIC)
            ]
        )
        # The scoring bench has a tenth type, "other", that the default catalogue does not.
        await ActivityType.insert(
            ActivityType(
                competition=competition.id,
                code="LAINNYA",
                name="Lainnya",
                name_en="Other",
                cluster="kamtibmas",
            )
        )
        existing = {a["username"]: a["id"] for a in await Account.select(Account.id, Account.username)}
        fresh = [f"juri-{j}" for j in range(JUDGES) if f"juri-{j}" not in existing]
        if fresh:
            await Account.insert(
                *[Account(username=u, password_hash="!", full_name=u, role="judge") for u in fresh]  # noqa: S106
            )
        judges = {a["username"]: a["id"] for a in await Account.select(Account.id, Account.username)}
        stage = await activity_stage(competition.id)
        if stage is not None:
            await Stage.update({Stage.status: "open"}).where(Stage.id == stage["id"])
    team_ids = {
        t["code"]: t["id"]
        for t in await Team.select(Team.id, Team.code).where(Team.competition == competition.id)
    }
    type_ids = {
        t["code"]: t["id"]
        for t in await ActivityType.select(ActivityType.id, ActivityType.code).where(
            ActivityType.competition == competition.id
        )
    }
    top = await Activity.select(Activity.id).order_by(Activity.id, ascending=False).first()
    postgres = db.is_postgres()
    rows = _rows(
        facts,
        competition.id,
        team_ids,
        type_ids,
        [judges[f"juri-{j}"] for j in range(JUDGES)],
        stage["id"] if stage else None,
        (top["id"] + 1) if top else 1,
        postgres,
    )
    del facts
    seconds["rows"] = time.perf_counter() - started
    started = time.perf_counter()
    settings = db.current_settings()
    if postgres:
        await _insert_postgres(settings.database_url, rows)
    else:
        await asyncio.to_thread(_insert_sqlite, str(settings.sqlite_path), rows)
    seconds["insert"] = time.perf_counter() - started
    del rows
    started = time.perf_counter()
    async with db.write_transaction():
        await recompute(competition)  # the app's own full recompute: standings with every line
    seconds["recompute"] = time.perf_counter() - started
    return Built(competition.id, activities, teams, seconds)


COUNTS = {
    "activity": "SELECT count(*) FROM activity WHERE competition = {c}",
    "verified": "SELECT count(*) FROM activity WHERE competition = {c} AND status = 'verified'",
    "review": "SELECT count(*) FROM review JOIN activity ON activity.id = review.activity"
    " WHERE activity.competition = {c}",
    "assignment": "SELECT count(*) FROM assignment WHERE competition = {c}",
    "open assignment": "SELECT count(*) FROM assignment WHERE competition = {c} AND status = 'open'",
    "adjustment": "SELECT count(*) FROM adjustment WHERE competition = {c}",
    "team": "SELECT count(*) FROM team WHERE competition = {c}",
    "standing": "SELECT count(*) FROM standing WHERE competition = {c}",
    "explanation bytes": "SELECT sum(length(CAST(lines AS TEXT))) FROM standing WHERE competition = {c}",
}


async def counts(competition_id: int) -> dict[str, int]:
    from app.tables import Activity

    found = {}
    for name, sql in COUNTS.items():
        row = (await Activity.raw(sql.format(c=int(competition_id))))[0]
        found[name] = int(next(iter(row.values())) or 0)
    return found


def check(found: dict[str, int], activities: int, teams: int) -> list[str]:
    """What is missing for the database to hold the season it claims (empty: it does)."""
    wanted = {
        "activity": activities,
        "verified": int(activities * 0.78),
        "review": int(activities * 0.95),
        "assignment": int(activities * 1.05),
        "open assignment": int(activities * 0.10),
        "adjustment": 200,
        "team": teams,
        "standing": teams,
        # every verified activity leaves at least one stored explanation line of ~100 bytes
        "explanation bytes": int(activities * 0.78 * 60),
    }
    return [
        f"{name}: {found.get(name, 0):,} in the database, expected at least {least:,}"
        for name, least in wanted.items()
        if found.get(name, 0) < least
    ]


async def competition_id(slug: str = SLUG) -> int | None:
    from app.tables import Competition

    row = await Competition.select(Competition.id).where(Competition.slug == slug).first()
    return row["id"] if row else None


async def _main(activities: int, teams: int) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app import db, subscribers
    from app.settings import Settings

    subscribers.wire()
    await db.start(Settings.from_env())
    try:
        assert (await run_forwards(app_name="all")).success
        if await competition_id() is not None:
            raise SystemExit(f"the database already holds a competition {SLUG!r}: build into an empty one")
        built = await build(activities, teams)
        print("seconds:", {k: round(v, 1) for k, v in built.seconds.items()})
        found = await counts(built.competition_id)
        print("rows:", {k: f"{v:,}" for k, v in found.items()})
        missing = check(found, activities, teams)
        if missing:
            raise SystemExit("the season is not in the database:\n" + "\n".join(missing))
    finally:
        await db.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--teams", type=int, default=514)
    args = parser.parse_args()
    asyncio.run(_main(args.activities, args.teams))


if __name__ == "__main__":
    main()
