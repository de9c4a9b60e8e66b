"""One team's rows of a table replaced (scoring.splice.replace_team): the same activities as a table
built from scratch from the expected activities, judges' scores included, and the same standings."""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scoring_strategies import facts, periods, views
from test_columnar import PROPERTY, assert_same, fast, kernel_rulesets, reference

from scoring import Facts
from scoring.facts import ActivityTable
from scoring.splice import replace_team


def _team_order(data: Facts) -> list[Any]:
    codes = [t.code for t in data.teams]
    return sorted(data.activities, key=lambda a: (codes.index(a.team), a.occurred_at, a.id))


@PROPERTY
@given(facts(), facts(), st.booleans(), st.randoms(use_true_random=False), kernel_rulesets(), periods, views)
def test_replacing_a_team_equals_building_the_table_again(
    data: Facts, more: Facts, ordered: bool, rnd: Any, ruleset: Any, period: str, view: str
) -> None:
    activities = _team_order(data) if ordered else list(data.activities)
    table = ActivityTable.from_activities(activities)
    code = rnd.choice([t.code for t in data.teams])
    top = max([a.id for a in activities], default=0)
    fresh = sorted(
        (msgspec.structs.replace(a, team=code, id=top + 1 + i) for i, a in enumerate(more.activities)),
        key=lambda a: (a.occurred_at, a.id),
    )
    result = replace_team(table, code, ActivityTable.from_activities(fresh))

    others = [a for a in activities if a.team != code]
    got = list(result)
    assert [a for a in got if a.team != code] == others
    assert [a for a in got if a.team == code] == fresh
    if ordered:  # still in the engine's (team, time, id) order: it needs no sort
        assert bool(np.all(np.diff(result.team.astype(np.int64)) >= 0))
    # The score columns are those of the table built again from the same activities.
    again = ActivityTable.from_activities(got)
    assert dict(result.judge_scores) == dict(again.judge_scores)
    assert [result.judge_names[j] for j in result.entry_judge] == [
        again.judge_names[j] for j in again.entry_judge
    ]
    assert result.entry_row.tolist() == again.entry_row.tolist()
    assert result.pair_start.tolist() == again.pair_start.tolist()
    assert [result.pair_values[p] for p in result.pair_code] == [
        again.pair_values[p] for p in again.pair_code
    ]
    spliced = Facts(data.competition, data.teams, result, data.adjustments)
    structs = Facts(data.competition, data.teams, tuple(got), data.adjustments)
    assert_same(fast(ruleset, spliced, period, view), reference(ruleset, structs, period, view))


@PROPERTY
@given(facts(), st.randoms(use_true_random=False))
def test_a_team_emptied_or_new(data: Facts, rnd: Any) -> None:
    table = ActivityTable.from_activities(_team_order(data))
    code = rnd.choice([t.code for t in data.teams])
    emptied = replace_team(table, code, ActivityTable.from_activities([]))
    assert list(emptied) == [a for a in table if a.team != code]
    mine = [a for a in table if a.team == code]
    back = replace_team(emptied, code, ActivityTable.from_activities(mine))
    assert list(back) == list(table)


@PROPERTY
@given(facts(), st.randoms(use_true_random=False), st.booleans())
def test_taking_ascending_rows_slices_the_score_columns(data: Facts, rnd: Any, mask: bool) -> None:
    """`take` of ascending rows (a mask, a team, a cut in time) slices the score columns as arrays; they
    equal the columns of the table built from scratch from the same activities."""
    table = ActivityTable.from_activities(data.activities)
    rows = sorted(rnd.sample(range(len(table)), rnd.randint(0, len(table))))
    if mask:
        selector = np.zeros(len(table), dtype=np.bool_)
        selector[rows] = True
        taken = table.take(selector)
    else:
        taken = table.take(rows)
    again = ActivityTable.from_activities([data.activities[r] for r in rows])
    assert list(taken) == list(again)
    assert dict(taken.judge_scores) == dict(again.judge_scores)
    for name in ("entry_row", "entry_judge", "pair_start", "pair_code"):
        assert getattr(taken, name).tolist() == getattr(again, name).tolist(), name
    assert (taken.judge_names, taken.pair_values) == (again.judge_names, again.pair_values)
