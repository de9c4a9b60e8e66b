"""A season in its first week, for the browser tests of movement arrows (run as a script against the
DATABASE_URL of its environment, after `sinergi migrate`).

Kota Surabaya has one verified activity (it leads, the 37 others share second place); Kabupaten Malang
has two activities waiting for the judge `juri.baru`. Prints the two activity ids.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app import db
from app.accounts.services import create_account
from app.competitions.services import create_competition
from app.db import write_transaction
from app.judging.assignment import ensure_assignments
from app.leaderboard.services import recompute
from app.leaderboard.views import week_start
from app.settings import Settings
from app.tables import Activity, ActivityType, Review, Team

PASSWORD = "sinergi2024"
LEADER, CLIMBER = "35.78", "35.07"


async def main() -> None:
    settings = Settings.from_env()
    await db.start(settings)
    try:
        today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        async with write_transaction():
            competition = await create_competition(
                slug="pekan-pertama",
                name="Lomba Pekan Pertama",
                starts_on=week_start(today),
                ends_on=week_start(today) + timedelta(days=90),
                is_current=True,
            )
        await create_account(
            username="panitia.baru", password=PASSWORD, role="organiser", full_name="Panitia"
        )
        judge = await create_account(username="juri.baru", password=PASSWORD, role="judge", full_name="Juri")
        teams = {t["code"]: t["id"] for t in await Team.select(Team.id, Team.code)}
        dds = await ActivityType.select(ActivityType.id).where(ActivityType.code == "DDS").first()

        def activity(team: str, title: str, status: str) -> Activity:
            return Activity(
                competition=competition.id,
                team=teams[team],
                activity_type=dds["id"],
                occurred_at=datetime.now(UTC) - timedelta(minutes=5),
                village_code=f"{team}.01.1001" if team == LEADER else f"{team}.01.2001",
                title=title,
                senkom_count=2,
                officer_count=1,
                residents_reached=30,
                preemptive=True,
                status=status,
            )

        async with write_transaction(lock=f"competition:{competition.id}"):
            first = await Activity.insert(activity(LEADER, "Sambang pertama", "verified")).returning(
                Activity.id
            )
            await Review.insert(Review(activity=first[0]["id"], judge=judge, decision="verified"))
            await recompute(competition)
        async with write_transaction(lock=f"competition:{competition.id}"):
            waiting = await Activity.insert(
                activity(CLIMBER, "Sambang Malang satu", "submitted"),
                activity(CLIMBER, "Sambang Malang dua", "submitted"),
            ).returning(Activity.id)
        await ensure_assignments(competition)
        print(" ".join(str(r["id"]) for r in waiting))
    finally:
        await db.stop()


if __name__ == "__main__":
    asyncio.run(main())
