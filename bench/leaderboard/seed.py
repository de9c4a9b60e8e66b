"""Seeds a SQLite database for the leaderboard benchmark: the scoring bench's 514 teams, their season
standings evaluated from its 1,000,000 activities (stored as the app stores them, explanations left
out), a judge with a session and a few submitted activities for the review → SSE measurement.

    DATABASE_URL=sqlite:////tmp/lb-bench/db.sqlite3 SECRET_KEY=... python -m bench.leaderboard.seed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.scoring.gen import COMPETITION, generate


async def seed(teams: int, activities: int, reviews: int, out: Path) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app import db
    from app.accounts.services import open_session
    from app.competitions.services import create_competition, ruleset_in_force
    from app.judging.assignment import assign_activity
    from app.leaderboard.services import _standing_row
    from app.settings import Settings
    from app.tables import Account, Activity, ActivityType, Competition, Standing, Team
    from scoring.engine import evaluate

    settings = Settings.from_env()
    await db.start(settings)
    try:
        assert (await run_forwards(app_name="all")).success
        started = time.perf_counter()
        facts = generate(teams, activities)
        print(f"generated {len(facts.activities):,} activities in {time.perf_counter() - started:.1f} s")
        async with db.write_transaction():
            competition = await create_competition(
                slug="bench",
                name="Bench",
                starts_on=COMPETITION.starts_on,
                ends_on=COMPETITION.ends_on,
                jatim_teams=False,
                is_current=True,
            )
            await Team.insert(
                *[Team(competition=competition.id, code=t.code, name=t.name) for t in facts.teams]
            )
            ids = {
                t["code"]: t["id"]
                for t in await Team.select(Team.id, Team.code).where(Team.competition == competition.id)
            }
            version, ruleset = await ruleset_in_force(competition.id)
            started = time.perf_counter()
            standings = evaluate(ruleset, facts)
            print(f"evaluated the season in {time.perf_counter() - started:.1f} s")
            rows = []
            for r in standings.rows:
                row = _standing_row(competition.id, ids[r.team], r, version, 1)
                row.lines = "[]"  # 1.26 million explanation lines are not what this benchmark reads
                rows.append(row)
            await Standing.insert(*rows)
            await Competition.update({Competition.standings_version: 1}).where(
                Competition.id == competition.id
            )
            # No password: the bench signs in with a session made below.
            judge = Account(username="juri.bench", password_hash="!", full_name="Juri Bench", role="judge")  # noqa: S106
            await judge.save()
            dds = (
                await ActivityType.select(ActivityType.id)
                .where((ActivityType.competition == competition.id) & (ActivityType.code == "DDS"))
                .first()
            )
            first_team = facts.teams[0].code
            when = datetime.combine(COMPETITION.starts_on, datetime.min.time(), UTC) + timedelta(
                days=20, hours=3
            )
            activity_ids = []
            for i in range(reviews):
                activity = Activity(
                    competition=competition.id,
                    team=ids[first_team],
                    activity_type=dds["id"],
                    occurred_at=when + timedelta(hours=i),
                    village_code=None,
                    title=f"Bench review {i}",
                    senkom_count=2,
                    officer_count=1,
                    residents_reached=40,
                    preemptive=True,
                    status="submitted",
                )
                await activity.save()
                # Only an activity's assigned judges may review it: the bench judge is the one assigned.
                await assign_activity(competition, activity.id, first_team)
                activity_ids.append(activity.id)
        token, _ = await open_session(judge.id, "web", 1)
        out.write_text(json.dumps({"judge_session": token, "activities": activity_ids, "teams": len(ids)}))  # noqa: ASYNC240
        print(f"seeded {len(ids)} teams; {out}")
    finally:
        await db.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=514)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--reviews", type=int, default=12)
    parser.add_argument("--out", type=Path, default=Path("bench-leaderboard.json"))
    args = parser.parse_args()
    asyncio.run(seed(args.teams, args.activities, args.reviews, args.out))


if __name__ == "__main__":
    main()
