"""Measures the app at scale against the season `bench.scale.build` stored, in one process, through the
app's own services (no HTTP: what a request would wait for, and how long the event loop stood still
meanwhile — a `/healthz` on the same loop could not have answered sooner).

It first reads back the row counts and refuses to report when the season is not in the database.

    DATABASE_URL=... python -m bench.scale.run --activities 100000 [--changes 5]

Figures (wall clock, ms): the full facts load; the first request of each watched view (overall,
a cluster, a type, this week, this month) cold; a judge's review (`reviews.decide`, with the standings
recomputed inside it); the first request of each watched view after that change; a submission's judge
assignment; the longest stall of the event loop during each; the process's RSS after each change
followed by every view.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench.scale.build import SLUG, check, competition_id, counts

VIEWS = (
    ("overall", "season"),
    ("cluster:kamtibmas", "season"),
    ("type:DDS", "season"),
    ("overall", "week:2024-W12"),
    ("overall", "month:2024-03"),
)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Stall:
    """The longest time the event loop went without running a 1 ms ticker."""

    longest: float = 0.0
    _task: Any = field(default=None, repr=False)

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    async def __aenter__(self) -> Stall:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._task.cancel()


async def timed(figures: dict[str, Any], name: str, action: Callable[[], Awaitable[Any]]) -> Any:
    async with Stall() as stall:
        started = time.perf_counter()
        result = await action()
        elapsed = time.perf_counter() - started
    figures[name] = {"ms": round(elapsed * 1000, 1), "loop_stall_ms": round(stall.longest * 1000, 1)}
    return result


async def _views(figures: dict[str, Any], label: str, competition: int) -> None:
    from app import i18n
    from app.leaderboard import views

    i18n.set_locale("id")

    state = await views.competition_state(competition, max_age=0)
    assert state is not None
    for view, period in VIEWS:
        choice = views.Choice(view=view, period=views.parse_period(period))

        async def board(choice: Any = choice) -> Any:
            return await views.build(state, choice, views.STAFF, "id")

        built = await timed(figures, f"{label} {view} {period}", board)
        if getattr(built, "stale_at", None) is not None:  # the previous version, while the new one is made
            figures[f"{label} {view} {period}"]["stale"] = True


async def _open_assignment(competition: int) -> tuple[int, Any]:
    from app.accounts.auth import CurrentUser
    from app.tables import Account, Activity, Assignment

    row = await (
        Assignment.select(Assignment.activity, Assignment.judge)
        .where(
            (Assignment.competition == competition)
            & (Assignment.status == "open")
            & (Assignment.activity.status == "submitted")
        )
        .order_by(Assignment.id, ascending=False)
        .first()
    )
    judge = await Account.select().where(Account.id == row["judge"]).first()
    team = (
        await Activity.select(Activity.team.id, Activity.team.code)
        .where(Activity.id == row["activity"])
        .first()
    )
    user = CurrentUser(
        id=judge["id"],
        username=judge["username"],
        full_name=judge["full_name"],
        role="judge",
        team_id=None,
        team_code=None,
        team_name=None,
        region_code=judge["region_code"],
        locale=None,
        session_kind="web",
    )
    assert team is not None
    return row["activity"], user


async def organiser_pages(figures: dict[str, Any], competition: int) -> None:
    """What the organiser's pages wait for: the jury console (judges' statistics, the panel's agreement,
    the attestation counts), the open assignments' first page with the flagged activities, the audit
    trail's first page, and the what-if preview of the ruleset in force against itself."""
    from app import i18n
    from app.activities import attestation
    from app.audit import services as audit
    from app.competitions.services import competition_by_id, ruleset_in_force, teams
    from app.organiser import jury_reads, rulesets

    i18n.set_locale("id")
    info = await competition_by_id(competition)
    assert info is not None

    async def console() -> None:
        await jury_reads.console(competition)
        await attestation.counts(competition)

    async def assignments() -> None:
        await jury_reads.open_assignment_list(competition, judge_id=None, team_code="", flag="", number=1)
        await jury_reads.flagged_activities(competition)
        await teams(competition)

    from app.tables import Assignment

    open_count = await Assignment.count().where(
        (Assignment.competition == competition) & (Assignment.status == "open")
    )
    last = max(1, -(-open_count // jury_reads.PAGE_SIZE))
    rows, _ = await jury_reads.open_assignment_list(
        competition, judge_id=None, team_code="", flag="", number=max(1, last - 1)
    )
    cursor = rows[-1]["id"] if rows else None

    async def deep_offset() -> None:
        await jury_reads.open_assignment_list(competition, judge_id=None, team_code="", flag="", number=last)

    async def deep_cursor() -> None:
        await jury_reads.open_assignment_list(
            competition, judge_id=None, team_code="", flag="", number=last, after=cursor
        )

    async def trail() -> None:
        await audit.events(audit.EventFilter(), 0, 50)

    async def preview() -> None:
        _, ruleset = await ruleset_in_force(competition)
        await rulesets.preview(info, ruleset)

    for name, action in (
        ("organiser: jury console", console),
        ("organiser: open assignments, page 1", assignments),
        ("organiser: open assignments, last page by offset", deep_offset),
        ("organiser: open assignments, last page from the cursor", deep_cursor),
        ("organiser: audit trail, page 1", trail),
        ("organiser: what-if preview", preview),
        ("organiser: what-if preview again", preview),
    ):
        await timed(figures, name, action)


async def measure(competition: int, changes: int = 3) -> dict[str, Any]:
    """Every figure of the run, against the season stored for `competition`."""
    from app import db
    from app.competitions.services import competition_by_id
    from app.judging import reviews
    from app.judging.assignment import assign_activity
    from app.leaderboard import caches
    from app.leaderboard.services import load_facts
    from app.tables import Activity

    figures: dict[str, Any] = {"rss_start_mb": round(rss_mb())}
    info = await competition_by_id(competition)
    assert info is not None
    caches.current().__init__()  # type: ignore[misc]  # cold: nothing kept from an earlier run
    facts = await timed(figures, "full facts load", lambda: load_facts(info))
    figures["facts activities"] = len(facts.activities)
    del facts
    await _views(figures, "cold", competition)
    figures["rss_after_views_mb"] = round(rss_mb())
    rss: list[float] = []
    for change in range(changes):
        activity_id, judge = await _open_assignment(competition)
        await timed(
            figures,
            f"review {change + 1} (decide, standings recomputed)",
            lambda activity_id=activity_id, judge=judge: reviews.decide(
                info, judge, activity_id, "verified", ""
            ),
        )
        await _views(figures, f"after review {change + 1}:", competition)
        rss.append(round(rss_mb()))
    figures["rss_after_each_change_mb"] = rss

    sample = await Activity.select().where(Activity.competition == competition).first()

    async def submission() -> None:
        async with db.write_transaction():
            fresh = Activity(**{k: v for k, v in sample.items() if k != "id"})
            fresh.status = "submitted"
            fresh.idempotency_key = None
            await fresh.save()
            team = await Activity.select(Activity.team.code).where(Activity.id == fresh.id).first()
            await assign_activity(info, fresh.id, team["team.code"])

    await timed(figures, "submission's insert + judge assignment", submission)
    await organiser_pages(figures, competition)
    return figures


async def _main(activities: int, teams: int, changes: int) -> None:
    import os

    from app import db, subscribers
    from app.settings import Settings

    subscribers.wire()
    await db.start(Settings.from_env())
    try:
        found_id = await competition_id(SLUG)
        if found_id is None:
            raise SystemExit(f"no competition {SLUG!r}: build the season first (python -m bench.scale.build)")
        found = await counts(found_id)
        print("rows measured against:", json.dumps(found))
        missing = check(found, activities, teams)
        if missing:
            raise SystemExit("refusing to report, the season is not in the database:\n" + "\n".join(missing))
        print("load average:", os.getloadavg())
        figures = await measure(found_id, changes)
        for name, value in figures.items():
            print(f"{name}: {value}")
        print("load average:", os.getloadavg())
    finally:
        await db.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--teams", type=int, default=514)
    parser.add_argument("--changes", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(_main(args.activities, args.teams, args.changes))


if __name__ == "__main__":
    main()
