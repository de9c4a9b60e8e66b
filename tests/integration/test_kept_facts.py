"""The season's facts kept current per change, the views recomputed for the team that changed, and a
reader never waiting for a new version (stale-while-revalidate): each equal to reading and evaluating
the season from scratch."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Litestar

from app import i18n
from app.competitions.services import competition_by_id, ruleset_in_force
from app.leaderboard import caches, kept, views
from app.leaderboard.facts import load_facts
from bench.scale import build as bench
from bench.scale.run import VIEWS, _open_assignment
from scoring.engine import evaluate
from scoring.periods import parse_period
from tests.integration.conftest import wipe

MORE_VIEWS = (*VIEWS, ("cluster:bencana", "month:2024-04"), ("type:BENCANA", "week:2024-W15"))


async def _season() -> Any:
    await wipe()
    caches.current().__init__()  # type: ignore[misc]
    built = await bench.build(2500, 6)
    info = await competition_by_id(built.competition_id)
    assert info is not None
    return info


async def _review(info: Any, decision: str = "verified") -> None:
    from app.judging import reviews

    activity_id, judge = await _open_assignment(info.id)
    await reviews.decide(info, judge, activity_id, decision, "" if decision == "verified" else "bukan")


def _same(a: Any, b: Any) -> None:
    assert [(r.team, r.rank, r.score, r.counted, r.subtotals) for r in a.rows] == [
        (r.team, r.rank, r.score, r.counted, r.subtotals) for r in b.rows
    ]


async def _views_equal_scratch(info: Any) -> None:
    state = await views.competition_state(info.id, max_age=0)
    assert state is not None
    _version, ruleset = await ruleset_in_force(info.id)
    scratch = await load_facts(info)
    for view, period in MORE_VIEWS:
        parsed = None if period == "season" else parse_period(period)
        _same(await views.evaluated(state, view, parsed), evaluate(ruleset, scratch, parsed, view))


async def test_a_change_updates_the_kept_facts_and_the_views_of_its_team(app: Litestar) -> None:
    i18n.set_locale("id")
    info = await _season()
    await _views_equal_scratch(info)  # every view computed once, from a full load
    for decision in ("verified", "rejected", "verified"):
        await _review(info, decision)
        state = await views.competition_state(info.id, max_age=0)
        assert state is not None
        found = caches.current().kept[state.stamp]
        # The commit handed the team's rows over: the kept facts are the new version's, not reloaded.
        assert found.version == state.version and found.changed.get(state.version) is not None
        assert list(found.facts.activities) == list((await load_facts(info)).activities)
        await _views_equal_scratch(info)
    # What a cache keeps holds no lines and so no facts: one team's lines are built when asked for.
    state = await views.competition_state(info.id, max_age=0)
    assert state is not None
    kept_standings = await views.evaluated(state, "cluster:kamtibmas", None)
    assert all(r.lines == () for r in kept_standings.rows)
    _version, ruleset = await ruleset_in_force(info.id)
    team = kept_standings.rows[0].team
    lines = await views.team_lines(state, "cluster:kamtibmas", None, team)
    full = evaluate(ruleset, await load_facts(info), None, "cluster:kamtibmas").row(team).lines
    assert lines == full and lines


async def test_a_reader_gets_the_previous_version_while_the_new_one_is_computed(
    app: Litestar, monkeypatch: Any
) -> None:
    i18n.set_locale("id")
    info = await _season()
    choice = views.Choice(view="cluster:kamtibmas", period=parse_period("season"))
    # The week's first change sets the movement baseline (the arrows' own computation, once a week).
    await _review(info)
    state = await views.competition_state(info.id, max_age=0)
    assert state is not None
    before = await views.build(state, choice, views.STAFF, "id")
    assert before.stale_at is None and before.version == state.version
    await _review(info)
    new = await views.competition_state(info.id, max_age=0)
    assert new is not None and new.version == state.version + 1

    gate = asyncio.Event()
    original = kept.run_read

    async def slow(fn: Any, *args: Any) -> Any:
        await gate.wait()
        return await original(fn, *args)

    monkeypatch.setattr(kept, "run_read", slow)
    stale = await views.build(new, choice, views.STAFF, "id")
    # At once: the previous version, marked with its time and version (the page asks again when told).
    assert stale.stale_at is not None and stale.version == state.version
    assert [r.team_code for r in stale.rows] == [r.team_code for r in before.rows]
    rendered = await views.fragment(new, choice, views.STAFF, "id", lambda b: f"v{b.version}")
    assert rendered.version == state.version  # not kept as the new version's fragment
    gate.set()
    for _ in range(200):
        fresh = await views.build(new, choice, views.STAFF, "id")
        if fresh.stale_at is None:
            break
        await asyncio.sleep(0.01)
    assert fresh.stale_at is None and fresh.version == new.version
    await _views_equal_scratch(info)
