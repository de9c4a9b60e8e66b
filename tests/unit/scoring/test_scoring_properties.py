"""Hypothesis properties of the engine: what must hold for any facts and any valid ruleset."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring_factories import WIB
from scoring_strategies import (
    ADDITIVE,
    PARAMS,
    TEAMS,
    activity_fields,
    facts,
    numbered,
    periods,
    rulesets,
    views,
)

from scoring import (
    Facts,
    Ruleset,
    Standings,
    TeamResult,
    evaluate,
    evaluate_team,
    parse_period,
    parse_ruleset,
    rank,
    ruleset_to_dict,
    ruleset_to_json,
)

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def standings(ruleset: Ruleset, data: Facts, period: str = "season", view: str = "overall") -> Standings:
    return evaluate(ruleset, data, parse_period(period), view)


@PROPERTY
@given(facts(), rulesets(), periods, views, st.randoms(use_true_random=False))
def test_order_of_facts_does_not_matter(
    data: Facts, ruleset: Ruleset, period: str, view: str, rnd: Any
) -> None:
    shuffled = [list(data.teams), list(data.activities), list(data.adjustments)]
    for items in shuffled:
        rnd.shuffle(items)
    other = Facts(data.competition, tuple(shuffled[0]), tuple(shuffled[1]), tuple(shuffled[2]))
    assert standings(ruleset, data, period, view) == standings(ruleset, other, period, view)


@PROPERTY
@given(facts(), rulesets(), periods)
def test_evaluation_is_deterministic(data: Facts, ruleset: Ruleset, period: str) -> None:
    first = standings(ruleset, data, period)
    assert first == standings(ruleset, data, period)
    assert [row.team for row in first.rows] == [row.team for row in standings(ruleset, data, period).rows]


@PROPERTY
@given(facts(), rulesets(rule_ids=("joint_only",), max_rules=1), PARAMS["cap_per_period"])
def test_a_cap_is_never_exceeded_and_only_removes_the_excess(
    data: Facts, before: Ruleset, cap: dict[str, Any]
) -> None:
    earlier = [{"rule": r.rule, "params": r.params} for r in before.rules]
    counting = {"rule": "points_per_activity", "params": {"default": 1}}
    without = parse_ruleset({"rules": [*earlier, counting]})
    with_cap = parse_ruleset({"rules": [*earlier, {"rule": "cap_per_period", "params": cap}, counting]})
    by_id = {a.id: a for a in data.activities}

    def group(activity_id: int | None) -> tuple[Any, ...]:
        a = by_id[activity_id or 0]
        local = a.occurred_at.astimezone(WIB)
        when = local.isocalendar()[:2] if cap["period"] == "week" else (local.year, local.month)
        return (a.team, when, a.type if cap["scope"] == "type" else None)

    def counted(result: Standings) -> Counter[tuple[Any, ...]]:
        return Counter(
            group(line.activity_id)
            for row in result.rows
            for line in row.lines
            if line.rule == "points_per_activity"
        )

    uncapped, capped = counted(evaluate(without, data)), counted(evaluate(with_cap, data))
    assert capped == Counter({key: min(size, cap["max"]) for key, size in uncapped.items()})


@PROPERTY
@given(facts(), rulesets(rule_ids=ADDITIVE), activity_fields(status="verified"))
def test_adding_a_verified_activity_never_lowers_a_score_under_additive_rules(
    data: Facts, ruleset: Ruleset, fields: dict[str, Any]
) -> None:
    (extra,) = numbered([fields], first_id=len(data.activities) + 1)
    more = Facts(data.competition, data.teams, (*data.activities, extra), data.adjustments)
    before = {row.team: row.score for row in evaluate(ruleset, data).rows}
    after = {row.team: row.score for row in evaluate(ruleset, more).rows}
    assert all(after[team] >= before[team] for team in before)


@PROPERTY
@given(
    facts(),
    rulesets(),
    st.lists(activity_fields(status="submitted") | activity_fields(status="rejected"), max_size=8),
    periods,
)
def test_unverified_and_rejected_activities_change_nothing(
    data: Facts, ruleset: Ruleset, extra: list[dict[str, Any]], period: str
) -> None:
    more = Facts(
        data.competition,
        data.teams,
        data.activities + numbered(extra, first_id=len(data.activities) + 1),
        data.adjustments,
    )
    assert standings(ruleset, data, period) == standings(ruleset, more, period)


@PROPERTY
@given(facts(), rulesets(), st.sampled_from([t.code for t in TEAMS]), st.data(), periods, views)
def test_incremental_equals_full(
    data: Facts, ruleset: Ruleset, team: str, draw: st.DataObject, period: str, view: str
) -> None:
    p = parse_period(period)
    old = evaluate(ruleset, data, p, view)
    replacement = draw.draw(st.lists(activity_fields(team=team), max_size=12))
    others = tuple(a for a in data.activities if a.team != team)
    changed = numbered(replacement, first_id=1000)
    new = Facts(data.competition, data.teams, others + changed, data.adjustments)
    alone = Facts(data.competition, data.teams, changed, tuple(a for a in data.adjustments if a.team == team))
    result = evaluate_team(ruleset, alone, team, p, view)
    assert result == evaluate_team(ruleset, new, team, p, view)
    rows = [result if row.team == team else row for row in old.rows]
    assert rank(rows, ruleset.tie_break, str(p), view) == evaluate(ruleset, new, p, view)


@PROPERTY
@given(facts(), rulesets(), periods, views)
def test_explanation_lines_sum_to_subtotals_and_score(
    data: Facts, ruleset: Ruleset, period: str, view: str
) -> None:
    result = standings(ruleset, data, period, view)
    assert sorted(row.team for row in result.rows) == sorted(t.code for t in data.teams)
    for row in result.rows:
        assert sum((line.points for line in row.lines), Decimal(0)) == row.score
        assert sum(row.subtotals.values(), Decimal(0)) == row.score
        for rule_id, subtotal in row.subtotals.items():
            assert sum((line.points for line in row.lines if line.rule == rule_id), Decimal(0)) == subtotal
        assert row.counted >= len(
            {line.activity_id for line in row.lines if line.activity_id and line.points}
        )


def chain_key(row: TeamResult, chain: tuple[str, ...]) -> tuple[Any, ...]:
    """The tie-break chain written out independently: bigger is better for every element."""
    values: list[Any] = []
    for key in chain:
        if key == "score":
            values.append(row.score)
        elif key == "counted_activities":
            values.append(row.counted)
        elif key == "quality":
            values.append((row.quality is not None, row.quality or 0))
        elif key == "coverage":
            values.append(row.coverage)
        else:
            at = row.last_activity_at
            values.append((at is not None, -at.timestamp() if at else 0))
    return tuple(values)


@PROPERTY
@given(facts(), rulesets(), periods)
def test_ranking_follows_the_tie_break_chain(data: Facts, ruleset: Ruleset, period: str) -> None:
    rows = standings(ruleset, data, period).rows
    keys = [chain_key(row, ruleset.tie_break) for row in rows]
    for position, row in enumerate(rows):
        better = sum(1 for key in keys if key > keys[position])
        assert row.rank == better + 1
        if position:
            assert keys[position - 1] >= keys[position]
            assert (rows[position - 1].rank == row.rank) == (keys[position - 1] == keys[position])


@PROPERTY
@given(rulesets())
def test_rulesets_survive_a_json_round_trip(ruleset: Ruleset) -> None:
    assert parse_ruleset(ruleset_to_json(ruleset)) == ruleset
    assert parse_ruleset(ruleset_to_dict(ruleset)) == ruleset
    assert ruleset_to_json(parse_ruleset(ruleset_to_json(ruleset))) == ruleset_to_json(ruleset)
