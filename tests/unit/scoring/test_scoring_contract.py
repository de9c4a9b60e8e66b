"""Periods, rulesets (validation, JSON), the registry with a third-party rule, and display format."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scoring_factories import act, at, facts, ruleset

from scoring import (
    RulesetInvalid,
    all_rules,
    default_ruleset,
    evaluate,
    format_points,
    get_rule,
    parse_period,
    parse_ruleset,
    ruleset_to_dict,
    ruleset_to_json,
)


@pytest.mark.parametrize(
    "text", ["season", "week:2024-W07", "week:2020-W53", "month:2024-02", "month:2024-12"]
)
def test_periods_round_trip(text: str) -> None:
    assert str(parse_period(text)) == text
    assert parse_period(text) == parse_period(str(parse_period(text)))


@pytest.mark.parametrize(
    "text",
    ["", "week", "week:2024-07", "week:2023-W53", "week:2024-W00", "month:2024-13", "month:2024-2", "Season"],
)
def test_bad_periods_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_period(text)


def test_period_dates() -> None:
    from datetime import date

    assert parse_period("week:2024-W07").local_dates() == (date(2024, 2, 12), date(2024, 2, 19))
    assert parse_period("month:2024-12").local_dates() == (date(2024, 12, 1), date(2025, 1, 1))
    assert parse_period("season").local_dates() is None


def test_default_ruleset_uses_every_built_in_rule_and_round_trips() -> None:
    rules = default_ruleset()
    builtin = [rule.id for rule in all_rules() if rule.__module__.startswith("scoring.")]
    assert [ref.rule for ref in rules.rules] == builtin
    assert parse_ruleset(ruleset_to_json(rules)) == rules
    assert parse_ruleset(ruleset_to_dict(rules)) == rules
    assert b'"factor":1.5' in ruleset_to_json(rules)


def test_parameters_get_their_defaults() -> None:
    (ref,) = ruleset(("reach_bonus", {"step": 10})).rules
    assert ref.params == {"step": 10, "per": Decimal(1), "max": Decimal(4)}


def test_every_invalid_parameter_gets_its_own_message() -> None:
    data = {
        "rules": [
            {"rule": "joint_only"},
            {"rule": "cap_per_period", "params": {"max": 0, "period": "day", "scope": "type", "extra": 1}},
            {"rule": "no_such_rule"},
            {
                "rule": "points_per_activity",
                "params": {"points": {"dds": 1, "FKPM": "0.0001"}, "default": 2000},
            },
            {"rule": "judge_quality", "params": {"floor": "1.5", "trim": "2"}},
        ],
        "tie_break": ["score", "luck", "score"],
    }
    with pytest.raises(RulesetInvalid) as caught:
        parse_ruleset(data)
    paths = [error.path for error in caught.value.errors]
    assert paths == [
        "rules[1].params.max",
        "rules[1].params.period",
        "rules[1].params.extra",
        "rules[2].rule",
        "rules[3].params.points.dds",
        "rules[3].params.points.FKPM",
        "rules[3].params.default",
        "rules[4].params.floor",
        "rules[4].params.trim",
        "tie_break[1]",
        "tie_break[2]",
    ]
    messages = {error.path: (error.message_id, error.message_en) for error in caught.value.errors}
    assert messages["rules[1].params.max"] == (
        "Harus bilangan bulat paling sedikit 1.",
        "Must be an integer at least 1.",
    )
    assert messages["rules[1].params.period"] == (
        "Harus salah satu dari: week, month.",
        "Must be one of: week, month.",
    )
    assert messages["rules[3].params.points.FKPM"][1] == "At most 3 decimal places."
    assert messages["rules[3].params.default"] == ("Harus antara 0 dan 1000.", "Must be between 0 and 1000.")
    assert messages["rules[2].rule"][0] == "Aturan tidak dikenal: no_such_rule."


@pytest.mark.parametrize(
    "data",
    [
        b"{not json",
        "[]",
        {"rules": "x"},
        {"rules": [], "tie_break": []},
        {"rules": [], "colour": 1},
        {"rules": [3]},
    ],
)
def test_malformed_rulesets_are_rejected(data: object) -> None:
    with pytest.raises(RulesetInvalid):
        parse_ruleset(data)  # type: ignore[arg-type]


def test_json_numbers_stay_exact() -> None:
    rules = parse_ruleset(b'{"rules": [{"rule": "preemptive_multiplier", "params": {"factor": 1.1}}]}')
    assert rules.rules[0].params["factor"] == Decimal("1.1")


def test_registry_lists_built_ins_with_schema_and_docs() -> None:
    ids = [rule.id for rule in all_rules()]
    assert ids[:9] == [
        "joint_only",
        "cap_per_period",
        "points_per_activity",
        "reach_bonus",
        "preemptive_multiplier",
        "judge_quality",
        "consistency_bonus",
        "coverage",
        "cluster_balance",
    ]
    schema = get_rule("cap_per_period").params_schema()
    assert schema["properties"]["max"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10000,
        "description": "Most activities counted per period",
        "default": 5,
    }
    assert get_rule("coverage").params_schema()["properties"]["points"]["maximum"] == 100000
    with pytest.raises(KeyError):
        get_rule("nope")


def test_an_installed_package_adds_a_rule_through_the_entry_point() -> None:
    pytest.importorskip(
        "sinergi_testrule", reason="install the fixture: pip install -e tests/fixtures/sinergi_testrule"
    )
    rule = get_rule("night_patrol_bonus")
    assert rule in all_rules()
    assert rule.kind == "activity"
    assert rule.params_schema()["properties"]["from_hour"]["maximum"] == 23
    with pytest.raises(RulesetInvalid) as caught:
        ruleset(("night_patrol_bonus", {"points": 101, "from_hour": 24}))
    assert [e.path for e in caught.value.errors] == ["rules[0].params.points", "rules[0].params.from_hour"]
    rules = ruleset(("night_patrol_bonus", {"points": 3}))
    row = evaluate(rules, facts(act(1, when=at(13, 22)), act(2, when=at(13, 10)))).rows[0]
    assert row.score == Decimal(3)
    assert row.lines[0].reason_en == "Night-time activity"


@pytest.mark.parametrize(
    ("value", "id_text", "en_text"),
    [
        (Decimal("1234.5"), "1.234,5", "1,234.5"),
        (Decimal("1234567.125"), "1.234.567,13", "1,234,567.13"),
        (Decimal("10.000"), "10", "10"),
        (Decimal("0.005"), "0,01", "0.01"),
        (Decimal("-0.004"), "0", "0"),
        (Decimal("-1500.25"), "-1.500,25", "-1,500.25"),
        (Decimal("999.999"), "1.000", "1,000"),
        (7, "7", "7"),
    ],
)
def test_format_points(value: Decimal, id_text: str, en_text: str) -> None:
    assert format_points(value) == id_text
    assert format_points(value, "en") == en_text
