"""The columnar fast path (each rule's kernel, run by scoring.fastpath) equals the reference per-team
engine: same totals to the last digit, same subtotals and ranking keys, same ranking, same explanation
lines. The rules come from the registry: every registered rule with a kernel (a plugin's included) is
covered without being named here."""

from __future__ import annotations

import gc
import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring_factories import COMPETITION
from scoring_strategies import (
    START,
    TEAMS,
    ZONES,
    activity_fields,
    facts,
    numbered,
    periods,
    rulesets,
    views,
)

from scoring import (
    Facts,
    FastPath,
    Ruleset,
    Standings,
    compare,
    default_ruleset,
    engine,
    evaluate,
    fast_path,
    get_rule,
    parse_period,
    parse_ruleset,
    rank,
)
from scoring.arrays import Unsupported
from scoring.columnar import Columns, Stage, columns_of
from scoring.compiled import CompiledRuleset
from scoring.engine import evaluate_reference, parse_view
from scoring.fastpath import evaluate_columns
from scoring.registry import TeamContext, kernel_rules
from scoring.rules import BUILTIN_RULES
from scoring.rules.cap_per_period import CapPerPeriod

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Every registered rule that has a kernel, in registry order.
KERNEL_RULES = tuple(rule.id for rule in kernel_rules())


def kernel_rulesets(max_rules: int = 9, including: str | None = None) -> st.SearchStrategy[Ruleset]:
    """Rulesets of rules with a kernel: any of them, in any order, with repeats."""
    return rulesets(KERNEL_RULES, max_rules=max_rules, including=including)


def fast(ruleset: Ruleset, data: Facts, period: str = "season", view: str = "overall") -> Standings:
    """The kernels alone (no fallback), ranked as evaluate() ranks them."""
    compiled = CompiledRuleset(ruleset)
    assert compiled.fast_path.supported
    parsed = None if period == "season" else parse_period(period)
    results = evaluate_columns(compiled, Columns(data), parsed, parse_view(view))
    return rank(results, ruleset.tie_break, period, view)


def reference(ruleset: Ruleset, data: Facts, period: str = "season", view: str = "overall") -> Standings:
    return evaluate_reference(ruleset, data, None if period == "season" else parse_period(period), view)


def assert_same(a: Standings, b: Standings) -> None:
    assert (a.period, a.view) == (b.period, b.view)
    assert [r.team for r in a.rows] == [r.team for r in b.rows]
    for x, y in zip(a.rows, b.rows, strict=True):
        assert (x.rank, x.score, x.counted) == (y.rank, y.score, y.counted), x.team
        assert str(x.score) == str(y.score)  # to the last digit, exponent included
        assert x.subtotals == y.subtotals and list(x.subtotals) == list(y.subtotals)
        assert (x.quality, x.coverage, x.last_activity_at) == (y.quality, y.coverage, y.last_activity_at)
        assert x.lines == y.lines, x.team
        assert sum(line.points for line in x.lines) == x.score
    assert a.rows == b.rows


@st.composite
def crowded_facts(draw: st.DrawFn, max_activities: int = 60) -> Facts:
    """More activities per team, on few distinct instants (written in several time zones), so that
    caps bite and ties on ``occurred_at`` must be broken by id."""
    instants = draw(st.lists(st.integers(-2 * 24 * 60, 52 * 24 * 60), min_size=1, max_size=8, unique=True))
    fields = draw(st.lists(activity_fields(status="verified"), min_size=10, max_size=max_activities))
    fields += draw(st.lists(activity_fields(), max_size=10))
    for f in fields:
        minutes = draw(st.sampled_from(instants))
        f["occurred_at"] = (START + timedelta(minutes=minutes)).astimezone(draw(st.sampled_from(ZONES)))
    ids = draw(st.permutations(range(1, len(fields) + 1)))
    activities = tuple(
        a.__class__(**{**{k: getattr(a, k) for k in a.__struct_fields__}, "id": i})
        for a, i in zip(numbered(fields), ids, strict=True)
    )
    return Facts(COMPETITION, TEAMS, activities)


@pytest.mark.parametrize("rule_id", KERNEL_RULES)
@settings(PROPERTY, max_examples=40)
@given(data=st.data(), period=periods, view=views)
def test_each_rule_with_a_kernel_equals_its_reference(
    rule_id: str, data: st.DataObject, period: str, view: str
) -> None:
    # Every rule with a kernel in the ruleset, whatever the draw: among a few others, anywhere.
    facts_ = data.draw(facts() | crowded_facts())
    ruleset = data.draw(kernel_rulesets(max_rules=4, including=rule_id))
    assert_same(fast(ruleset, facts_, period, view), reference(ruleset, facts_, period, view))


@PROPERTY
@given(facts(), kernel_rulesets(), periods, views)
def test_fast_path_equals_reference(data: Facts, ruleset: Ruleset, period: str, view: str) -> None:
    assert_same(fast(ruleset, data, period, view), reference(ruleset, data, period, view))


@PROPERTY
@given(crowded_facts(), kernel_rulesets(), periods, views)
def test_fast_path_equals_reference_with_caps_and_ties(
    data: Facts, ruleset: Ruleset, period: str, view: str
) -> None:
    assert_same(fast(ruleset, data, period, view), reference(ruleset, data, period, view))


@PROPERTY
@given(crowded_facts(), kernel_rulesets(), st.randoms(use_true_random=False))
def test_fast_path_ignores_the_order_of_facts(data: Facts, ruleset: Ruleset, rnd: Any) -> None:
    shuffled = [list(data.teams), list(data.activities)]
    for items in shuffled:
        rnd.shuffle(items)
    other = Facts(data.competition, tuple(shuffled[0]), tuple(shuffled[1]), data.adjustments)
    assert fast(ruleset, data) == fast(ruleset, other)


@PROPERTY
@given(facts(), kernel_rulesets(), periods, views)
def test_evaluate_uses_the_fast_path_and_agrees(
    data: Facts, ruleset: Ruleset, period: str, view: str
) -> None:
    parsed = None if period == "season" else parse_period(period)
    assert_same(evaluate(ruleset, data, parsed, view), reference(ruleset, data, period, view))
    assert columns_of(data) is columns_of(data)  # built once for this facts object


def test_default_ruleset_on_generated_season() -> None:
    from bench.scoring.gen import generate

    data = generate(teams=12, activities=12_000, seed=7)
    ruleset = default_ruleset()
    for period, view in [
        ("season", "overall"),
        ("week:2024-W09", "overall"),
        ("month:2024-04", "cluster:bencana"),
        ("season", "type:DDS"),
    ]:
        assert_same(fast(ruleset, data, period, view), reference(ruleset, data, period, view))


def test_numbers_beyond_int64_fall_back_to_the_reference_path() -> None:
    from scoring_factories import act, at
    from scoring_factories import facts as build_facts

    ruleset = parse_ruleset(
        {
            "rules": [
                {"rule": "points_per_activity", "params": {"default": 1000}},
                *[{"rule": "preemptive_multiplier", "params": {"factor": 10}}] * 12,
            ]
        }
    )
    data = build_facts(act(1, preemptive=True), act(2, preemptive=True, when=at(13)))
    with pytest.raises(Unsupported):
        fast(ruleset, data)
    standings = evaluate(ruleset, data)
    assert standings.rows == reference(ruleset, data).rows
    assert standings.rows[0].score == Decimal(1000) * 10**12 * 2


def test_the_registry_finds_each_rule_with_its_kernel() -> None:
    assert {rule.id for rule in BUILTIN_RULES} <= set(KERNEL_RULES)
    # The test package's rules: one brings a kernel (so the properties above cover it), one does not.
    assert get_rule("senkom_bonus").has_kernel() and "senkom_bonus" in KERNEL_RULES
    assert get_rule("night_patrol_bonus").kernel is None and "night_patrol_bonus" not in KERNEL_RULES


def test_a_subclass_that_changes_the_reference_method_loses_the_inherited_kernel() -> None:
    class Renamed(CapPerPeriod):
        id: ClassVar[str] = "renamed_cap"

    class Stricter(CapPerPeriod):
        id: ClassVar[str] = "stricter_cap"

        def select(self, params: Any, ctx: TeamContext) -> list[int] | None:
            return [] if ctx.activities else None

    class StricterAndFast(Stricter):
        id: ClassVar[str] = "stricter_fast_cap"

        def kernel(self, params: Any, stage: Stage) -> Stage | None:
            return stage.keep(np.zeros(len(stage), dtype=np.bool_))

    assert Renamed().has_kernel()  # the same semantics under another id
    assert not Stricter().has_kernel()  # CapPerPeriod's kernel would compute CapPerPeriod's rule
    assert StricterAndFast().has_kernel()


def test_a_rule_without_a_kernel_costs_the_fast_path_and_is_logged_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scoring_factories import act, at
    from scoring_factories import facts as build_facts

    monkeypatch.setattr(engine, "_logged", {})
    night = {"rule": "night_patrol_bonus", "params": {}}
    slow = parse_ruleset({"rules": [night, {"rule": "points_per_activity", "params": {}}, night]})
    assert fast_path(slow) == FastPath(("night_patrol_bonus",))
    assert not fast_path(slow).supported
    assert fast_path(slow).reasons == ("rule night_patrol_bonus has no columnar kernel",)
    assert fast_path(default_ruleset()).supported and fast_path(default_ruleset()).reasons == ()
    data = build_facts(act(1, when=at(13, 22)), act(2, when=at(14, 10)))
    with pytest.raises(Unsupported):
        evaluate_columns(CompiledRuleset(slow), Columns(data), None, None)
    with caplog.at_level(logging.WARNING, logger="scoring.engine"):
        for _ in range(3):
            assert evaluate(slow, data).rows == reference(slow, data).rows
        compare(default_ruleset(), slow, data)
        evaluate(default_ruleset(), data)
        assert len(caplog.records) == 1  # once for this ruleset, however often it is evaluated
        assert "night_patrol_bonus has no columnar kernel" in caplog.records[0].getMessage()
        evaluate(parse_ruleset({"rules": [{"rule": "night_patrol_bonus", "params": {"points": 3}}]}), data)
        assert len(caplog.records) == 2  # another ruleset: logged too


def test_columns_are_dropped_with_their_facts() -> None:
    from scoring_factories import act
    from scoring_factories import facts as build_facts

    from scoring import columnar

    data = build_facts(act(1))
    key = id(data)
    columns_of(data)
    assert key in columnar._columns
    del data
    gc.collect()
    assert key not in columnar._columns
