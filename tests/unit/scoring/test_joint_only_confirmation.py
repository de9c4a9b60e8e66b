"""`joint_only`'s `require_confirmation`: an activity counts only once an officer named on it has confirmed
it (co-attestation). Off by default, so that published rulesets keep their meaning; the kernel equals the
reference with it on, on structs and on tables alike."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from scoring_factories import act, at, ruleset
from scoring_factories import facts as build_facts
from scoring_strategies import ADDITIVE, PARAMS, facts, periods, rulesets, views
from test_columnar import KERNEL_RULES, PROPERTY, assert_same, crowded_facts, fast, reference

from scoring import Facts, Ruleset, evaluate, parse_ruleset, ruleset_to_dict
from scoring.facts import Activity, ActivityTable
from scoring.registry import get_rule
from scoring.rules.joint_only import UNCONFIRMED

FEW = settings(PROPERTY, max_examples=60)


@st.composite
def with_joint_only(
    draw: st.DrawFn, rule_ids: tuple[str, ...], require: bool | None = None
) -> dict[str, Any]:
    """A ruleset (as a dict) of ``rule_ids`` with ``joint_only`` somewhere; its `require_confirmation` is
    ``require`` (drawn when None)."""
    base = ruleset_to_dict(draw(rulesets(rule_ids, max_rules=5, including="joint_only")))
    for rule in base["rules"]:
        if rule["rule"] == "joint_only":
            rule["params"]["require_confirmation"] = draw(st.booleans()) if require is None else require
    return base


def requiring(body: dict[str, Any], require: bool) -> Ruleset:
    """The same ruleset with every `joint_only` requiring a confirmation (or not)."""
    rules = [
        {**r, "params": {**r["params"], "require_confirmation": require}} if r["rule"] == "joint_only" else r
        for r in body["rules"]
    ]
    return parse_ruleset({**body, "rules": rules})


def confirmed_all(data: Facts) -> Facts:
    activities = tuple(
        Activity(**{**{k: getattr(a, k) for k in a.__struct_fields__}, "officer_confirmed": True})
        for a in data.activities
    )
    return Facts(data.competition, data.teams, activities, data.adjustments)


def scores(ruleset: Ruleset, data: Facts, period: str = "season") -> dict[str, Any]:
    from scoring import parse_period

    standings = evaluate(ruleset, data, None if period == "season" else parse_period(period))
    return {row.team: row.score for row in standings.rows}


@FEW
@given(facts(), with_joint_only(ADDITIVE), periods)
def test_requiring_a_confirmation_never_raises_a_teams_total(
    data: Facts, body: dict[str, Any], period: str
) -> None:
    # Under rules where one more counted activity never lowers the points, leaving some out never raises them.
    off, on = scores(requiring(body, False), data, period), scores(requiring(body, True), data, period)
    assert all(on[team] <= off[team] for team in off)


@FEW
@given(facts(), with_joint_only(tuple(PARAMS)), periods, views)
def test_with_every_activity_confirmed_requiring_it_changes_nothing(
    data: Facts, body: dict[str, Any], period: str, view: str
) -> None:
    from scoring import parse_period

    everything = confirmed_all(data)
    parsed = None if period == "season" else parse_period(period)
    on = evaluate(requiring(body, True), everything, parsed, view)
    off = evaluate(requiring(body, False), everything, parsed, view)
    assert on.rows == off.rows


@FEW
@given(facts(), with_joint_only(tuple(PARAMS), require=True))
def test_an_unconfirmed_activity_contributes_nothing(data: Facts, body: dict[str, Any]) -> None:
    # With joint_only first, an unconfirmed activity is gone before any other rule sees it: the totals
    # are those of the facts without it, and its one line says why, with no points.
    rules = body["rules"]
    rules.sort(key=lambda r: r["rule"] != "joint_only")
    chosen = parse_ruleset(body)
    kept = tuple(a for a in data.activities if a.officer_confirmed)
    without = Facts(data.competition, data.teams, kept, data.adjustments)
    assert scores(chosen, data) == scores(chosen, without)
    for row in evaluate(chosen, data).rows:
        for line in row.lines:
            if line.reason_id == UNCONFIRMED[0]:
                assert line.points == 0 and line.reason_en == UNCONFIRMED[1]
                (activity,) = [a for a in data.activities if a.id == line.activity_id]
                assert not activity.officer_confirmed


@PROPERTY
@given(facts() | crowded_facts(), st.data(), periods, views)
def test_the_kernel_equals_the_reference_with_confirmation_required(
    data: Facts, draw: st.DataObject, period: str, view: str
) -> None:
    chosen = requiring(draw.draw(with_joint_only(KERNEL_RULES, require=True)), True)
    expected = reference(chosen, data, period, view)
    assert_same(fast(chosen, data, period, view), expected)
    table = Facts(
        data.competition, data.teams, ActivityTable.from_activities(data.activities), data.adjustments
    )
    assert_same(fast(chosen, table, period, view), expected)


def test_the_explanation_says_the_officer_has_not_confirmed_yet() -> None:
    joint = ("joint_only", {"require_confirmation": True})
    points = ("points_per_activity", {"points": {}, "default": 2})
    data = build_facts(act(1, confirmed=True), act(2, when=at(14)), act(3, officers=0, when=at(15)))
    row = evaluate(ruleset(joint, points), data).rows[0]
    assert row.score == 2 and row.counted == 1
    reasons = {
        line.activity_id: (line.reason_id, line.reason_en) for line in row.lines if line.rule == "joint_only"
    }
    assert reasons[2] == ("Belum dikonfirmasi petugas", "Not yet confirmed by the officer")
    # Not a joint activity at all: that is the reason given, not the missing confirmation.
    assert reasons[3] == (
        "Bukan kegiatan bersama: 0 petugas (minimal 1)",
        "Not a joint activity: 0 officers (minimum 1)",
    )
    # Off (the default), the confirmation changes nothing.
    assert evaluate(ruleset(("joint_only", {}), points), data).rows[0].score == 4


def test_the_parameter_is_in_the_schema_off_by_default() -> None:
    schema = get_rule("joint_only").params_schema()
    assert schema["properties"]["require_confirmation"] == {
        "description": "Only activities an officer has confirmed",
        "type": "boolean",
        "default": False,
    }
    assert get_rule("joint_only").validate({}).require_confirmation is False
