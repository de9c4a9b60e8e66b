"""The season's facts kept current in this process, and the engine run off the event loop.

A change of one team's facts (a verdict, an edit of a verified activity) is recomputed by
`services.recompute` from that team's rows alone; once its transaction commits, the kept facts take
the team's new rows (`scoring.splice.replace_team`) and become the facts of the new standings version,
without reading the season again. A full recompute hands over the facts it loaded. When the kept facts
are not one version behind (another process committed the change, or this one just started), they are
loaded again at the version asked for — by plain SQL (`facts.load_facts`), in a worker thread.

The engine runs in worker threads, one computation at a time per side: `run_write` for the recompute
inside a write transaction, `run_read` for the views (so that a reader never delays a writer's lock).
A standings object kept in a cache holds no explanation lines and no reference to its facts (`slim`):
only the facts of the latest version stay alive.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.competitions.services import CompetitionInfo
from app.leaderboard import caches
from app.leaderboard.facts import load_facts
from scoring.engine import Standings, TeamResult
from scoring.facts import ActivityTable, Facts
from scoring.splice import replace_team

T = TypeVar("T")

_WRITE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sinergi-recompute")
_READ = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sinergi-views")
#: How many versions back the kept facts remember which teams changed (the views' incremental path).
HISTORY = 32


async def run_write(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_WRITE, functools.partial(fn, *args))


async def run_read(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_READ, functools.partial(fn, *args))


@dataclass
class Kept:
    """One competition's facts at one standings version, and which teams changed at each version
    since the full load (None: more than one team, or something beyond the teams' activities)."""

    stamp: Any
    version: int
    facts: Facts
    changed: dict[int, str | None] = field(default_factory=dict)
    # The rows of the teams that changed lately, as read for their change: equal to
    # `facts.activities.of_team(team)` without cutting them out of the season's table again.
    team_rows: dict[str, ActivityTable] = field(default_factory=dict)

    def rows_of(self, team: str) -> ActivityTable:
        found = self.team_rows.get(team)
        if found is not None:
            return found
        table = self.facts.activities
        assert isinstance(table, ActivityTable)
        return table.of_team(team)

    def teams_changed(self, since: int) -> set[str] | None:
        """The teams whose facts changed after version `since` up to this one; None when unknown."""
        if since >= self.version:
            return set()
        teams: set[str] = set()
        for version in range(since + 1, self.version + 1):
            team = self.changed.get(version)
            if team is None:
                return None
            teams.add(team)
        return teams


def _kept() -> dict[Any, Kept]:
    return caches.current().kept


async def facts_at(stamp: Any, info: CompetitionInfo, version: int) -> Kept:
    """The competition's facts at standings `version`: the kept ones, or loaded again (once for every
    concurrent asker)."""
    found = _kept().get(stamp)
    if found is not None and found.version == version:
        return found
    store = caches.current()

    async def load() -> Kept:
        again = _kept().get(stamp)
        if again is not None and again.version == version:
            return again
        kept = Kept(stamp, version, await load_facts(info))
        current = _kept().get(stamp)
        if current is None or current.version <= version:
            _remember(stamp, kept)
        return kept

    return await store.once(("kept", stamp, version), load)  # type: ignore[no-any-return]


def _remember(stamp: Any, kept: Kept) -> None:
    kept_facts = _kept()
    kept_facts[stamp] = kept
    while len(kept_facts) > 1:  # at a million activities one season's facts are hundreds of MB
        kept_facts.pop(next(iter(kept_facts)))


async def after_team_change(stamp: Any, version: int, team: str, rows: ActivityTable) -> None:
    """After the commit of standings `version`, which changed team `team`'s facts to `rows`: the kept
    facts one version behind take them (otherwise they are loaded again when next asked for)."""
    kept = _kept().get(stamp)
    if kept is None or kept.version != version - 1:
        _kept().pop(stamp, None)
        return
    facts = kept.facts
    table = facts.activities
    if not isinstance(table, ActivityTable):
        _kept().pop(stamp, None)
        return
    spliced = await run_write(replace_team, table, team, rows)
    changed = {v: t for v, t in kept.changed.items() if v > version - HISTORY}
    changed[version] = team
    team_rows = {t: r for t, r in kept.team_rows.items() if t != team}
    team_rows[team] = rows
    while len(team_rows) > 16:
        team_rows.pop(next(iter(team_rows)))
    _remember(
        stamp,
        Kept(
            stamp,
            version,
            Facts(
                competition=facts.competition,
                teams=facts.teams,
                activities=spliced,
                # Adjustments change through a full recompute (`after_full_load`), never here.
                adjustments=facts.adjustments,
            ),
            changed,
            team_rows,
        ),
    )


def after_full_load(stamp: Any, version: int, facts: Facts) -> None:
    """After the commit of standings `version`, computed from `facts` (a full recompute)."""
    _remember(stamp, Kept(stamp, version, facts))


def slim(standings: Standings) -> Standings:
    """The standings without their explanation lines (and so without the facts those are built from):
    what a cache keeps. `team_lines` builds one team's lines when somebody reads them."""
    return Standings(
        standings.period,
        standings.view,
        tuple(
            TeamResult(
                team=r.team,
                rank=r.rank,
                score=r.score,
                counted=r.counted,
                subtotals=r.subtotals,
                lines=(),
                quality=r.quality,
                coverage=r.coverage,
                last_activity_at=r.last_activity_at,
            )
            for r in standings.rows
        ),
    )
