"""Worked examples: one test per rule, the same example its documentation gives."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scoring_factories import TEAM, act, at, facts, judge, ruleset

from scoring import Adjustment, Team, evaluate, evaluate_team, get_rule


def only_row(standings):  # type: ignore[no-untyped-def]
    (row,) = standings.rows
    return row


def test_joint_only_counts_joint_activities_only() -> None:
    rules = ruleset(("joint_only", {}), ("points_per_activity", {"default": 1}))
    row = only_row(evaluate(rules, facts(act(1, senkom=3, officers=1), act(2, senkom=4, officers=0))))
    assert row.counted == 1
    assert row.score == Decimal(1)
    removed = [line for line in row.lines if line.rule == "joint_only"]
    assert [(line.activity_id, line.points) for line in removed] == [(2, 0)]
    assert removed[0].reason_id == "Bukan kegiatan bersama: 0 petugas (minimal 1)"
    assert removed[0].reason_en == "Not a joint activity: 0 officers (minimum 1)"


def test_cap_per_period_keeps_the_earliest_per_type_and_week() -> None:
    rules = ruleset(
        ("cap_per_period", {"period": "week", "max": 2, "scope": "type"}),
        ("points_per_activity", {"default": 1}),
    )
    data = facts(
        act(4, when=at(12)),
        act(9, when=at(13)),
        act(7, when=at(14)),
        act(8, type="BINLUH", when=at(15)),
    )
    row = only_row(evaluate(rules, data))
    counted = sorted(line.activity_id for line in row.lines if line.rule == "points_per_activity")
    assert counted == [4, 8, 9]
    (removed,) = [line for line in row.lines if line.rule == "cap_per_period"]
    assert removed.activity_id == 7
    assert removed.reason_id == "Melebihi batas 2 kegiatan DDS per minggu (week:2024-W07)"
    assert removed.reason_en == "Over the cap of 2 DDS activities per week (week:2024-W07)"


def test_cap_per_period_breaks_equal_times_by_lowest_id_and_scope_all() -> None:
    rules = ruleset(("cap_per_period", {"max": 1, "scope": "all"}), ("points_per_activity", {"default": 1}))
    row = only_row(evaluate(rules, facts(act(5, type="FKPM"), act(3, type="DDS"), act(4, when=at(20)))))
    counted = sorted(line.activity_id for line in row.lines if line.rule == "points_per_activity")
    assert counted == [3, 4]  # 3 and 5 share the time in W07: 3 wins; 4 is alone in W08


def test_cap_per_month() -> None:
    rules = ruleset(
        ("cap_per_period", {"period": "month", "max": 2}), ("points_per_activity", {"default": 1})
    )
    row = only_row(evaluate(rules, facts(act(1, when=at(13)), act(2, when=at(20)), act(3, when=at(27)))))
    assert row.counted == 2


def test_points_per_activity_by_type_with_default() -> None:
    rules = ruleset(("points_per_activity", {"points": {"DDS": 2, "PROBLEM_SOLVING": 5}, "default": 1}))
    row = only_row(evaluate(rules, facts(act(1), act(2, type="PROBLEM_SOLVING"), act(3, type="FKPM"))))
    assert row.score == Decimal(8)
    reasons = {line.activity_id: line.reason_id for line in row.lines}
    assert reasons == {
        1: "Jenis DDS: 2 poin",
        2: "Jenis PROBLEM_SOLVING: 5 poin",
        3: "Jenis FKPM (poin bawaan): 1 poin",
    }


@pytest.mark.parametrize(("reach", "bonus"), [(24, 0), (25, 1), (60, 2), (300, 4), (0, 0)])
def test_reach_bonus_per_full_step_capped(reach: int, bonus: int) -> None:
    rules = ruleset(("reach_bonus", {}))
    assert only_row(evaluate(rules, facts(act(1, reach=reach)))).score == Decimal(bonus)


def test_reach_bonus_max_caps_points_not_steps() -> None:
    rules = ruleset(("reach_bonus", {"step": 10, "per": "1.5", "max": 4}))
    assert only_row(evaluate(rules, facts(act(1, reach=25)))).score == Decimal(3)
    assert only_row(evaluate(rules, facts(act(1, reach=30)))).score == Decimal(4)


def test_reach_bonus_explains_in_words_with_the_right_plural() -> None:
    (line,) = only_row(evaluate(ruleset(("reach_bonus", {})), facts(act(1, reach=25)))).lines
    assert line.reason_id == "+1 poin: 25 warga terjangkau (1 poin per 25 warga, maksimal 4 poin)"
    assert line.reason_en == "+1 point: 25 residents reached (1 point per 25 residents, at most 4 points)"


def test_preemptive_multiplier_multiplies_the_rules_above_only() -> None:
    rules = ruleset(
        ("points_per_activity", {"points": {"DDS": 2}}),
        ("reach_bonus", {}),
        ("preemptive_multiplier", {"factor": "1.5"}),
        ("points_per_activity", {"default": 1}),
    )
    row = only_row(evaluate(rules, facts(act(1, reach=60, preemptive=True), act(2, reach=60))))
    assert row.score == Decimal(6 + 1) + Decimal(4 + 1)
    (line,) = [line for line in row.lines if line.rule == "preemptive_multiplier"]
    assert (line.activity_id, line.points) == (1, Decimal(2))
    assert line.reason_id == "+2 poin (pengali preemtif 1,5)"
    assert line.reason_en == "+2 points (preemptive multiplier 1.5)"


def test_preemptive_multiplier_rounds_half_to_even_in_thousandths() -> None:
    rules = ruleset(
        ("points_per_activity", {"default": "0.001"}), ("preemptive_multiplier", {"factor": "1.5"})
    )
    # 0.001 × 1.5 = 0.0015 → 0.002 (half to even); 0.003 × 1.5 = 0.0045 → 0.004
    assert only_row(evaluate(rules, facts(act(1, preemptive=True)))).score == Decimal("0.002")
    rules = ruleset(
        ("points_per_activity", {"default": "0.003"}), ("preemptive_multiplier", {"factor": "1.5"})
    )
    assert only_row(evaluate(rules, facts(act(1, preemptive=True)))).score == Decimal("0.004")


def test_judge_quality_worked_example() -> None:
    rules = ruleset(
        ("points_per_activity", {"default": 6}),
        ("judge_quality", {"method": "trimmed_mean", "trim": 1, "floor": "0.5"}),
    )
    judges = (judge("A", 80, 5), judge("B", 100, 10), judge("C", 50, 5))
    row = only_row(evaluate(rules, facts(act(1, judges=judges), act(2))))
    assert row.subtotals["judge_quality"] == Decimal("-0.96")
    assert row.score == Decimal("5.04") + Decimal(6)
    assert row.quality == Decimal("0.68")
    (line,) = [line for line in row.lines if line.rule == "judge_quality"]
    assert line.reason_en == "-0.96 points (quality q = 0.68, trimmed mean of 3 judges: factor 0.84)"


@pytest.mark.parametrize(
    ("method", "quality"),
    [("mean", Decimal("0.726667")), ("median", Decimal("0.68")), ("trimmed_mean", Decimal("0.68"))],
)
def test_judge_quality_methods(method: str, quality: Decimal) -> None:
    rules = ruleset(("points_per_activity", {"default": 1}), ("judge_quality", {"method": method}))
    judges = (judge("A", 80, 5), judge("B", 100, 10), judge("C", 50, 5))
    assert only_row(evaluate(rules, facts(act(1, judges=judges)))).quality == quality


def test_judge_quality_trimmed_mean_falls_back_to_mean_with_few_judges() -> None:
    rules = ruleset(("points_per_activity", {"default": 1}), ("judge_quality", {"method": "trimmed_mean"}))
    row = only_row(evaluate(rules, facts(act(1, judges=(judge("A", 100, 10), judge("B", 0, 0))))))
    assert row.quality == Decimal("0.5")
    assert row.score == Decimal("0.75")


def test_judge_quality_without_scores_is_factor_one_and_clamps_scores() -> None:
    rules = ruleset(("points_per_activity", {"default": 2}), ("judge_quality", {"floor": 0}))
    row = only_row(evaluate(rules, facts(act(1), act(2, judges=(judge("A", 150, -3),)))))
    # Activity 1 keeps 2; activity 2: kemitraan clamped to 100 (q 1 × 0.6), dampak to 0 → q = 0.6.
    assert row.score == Decimal(2) + Decimal("1.2")


def test_consistency_bonus_per_qualifying_week() -> None:
    rules = ruleset(("consistency_bonus", {}))
    week7 = [act(i, when=at(12 + i)) for i in range(4)]
    week8 = [act(10 + i, when=at(19 + i)) for i in range(2)]
    week9 = [act(20 + i, when=at(26 + i)) for i in range(3)]
    row = only_row(evaluate(rules, facts(*week7, *week8, *week9)))
    assert row.score == Decimal(20)
    assert [line.period for line in row.lines] == ["week:2024-W07", "week:2024-W09"]
    assert row.lines[1].reason_id == "3 kegiatan pada week:2024-W09 (minimal 3): 10 poin"


def test_coverage_share_of_desa_reached() -> None:
    rules = ruleset(("coverage", {}))
    data = facts(*[act(i, desa=f"d{i % 30}") for i in range(45)], act(99, desa=None))
    row = only_row(evaluate(rules, data))
    assert row.score == Decimal(25)
    assert row.coverage == Decimal("0.25")
    assert row.lines[0].reason_id == "30 dari 120 desa/kelurahan terjangkau: 25 poin"


def test_coverage_rounds_to_thousandths_and_handles_no_desa() -> None:
    rules = ruleset(("coverage", {}))
    row = only_row(evaluate(rules, facts(act(1), teams=(Team(TEAM.code, "X", 3),))))
    assert row.score == Decimal("33.333")
    row = only_row(evaluate(rules, facts(act(1), teams=(Team(TEAM.code, "X", 0),))))
    assert row.score == 0


def test_cluster_balance_needs_all_three_clusters() -> None:
    rules = ruleset(("cluster_balance", {}))
    three = [act(1), act(2, cluster="bencana"), act(3, cluster="bela_negara")]
    assert only_row(evaluate(rules, facts(*three, act(4), act(5)))).score == Decimal(20)
    assert only_row(evaluate(rules, facts(*three[:2]))).score == 0


def test_adjustments_add_with_their_reason_in_the_season_overall_only() -> None:
    rules = ruleset(("points_per_activity", {"default": 3}))
    data = facts(act(1), adjustments=(Adjustment(1, TEAM.code, Decimal("-1.5"), "Laporan terlambat"),))
    row = only_row(evaluate(rules, data))
    assert row.score == Decimal("1.5")
    assert row.subtotals["adjustment"] == Decimal("-1.5")
    assert row.lines[-1].reason_id == "Penyesuaian panitia #1: Laporan terlambat"
    from scoring import parse_period

    assert only_row(evaluate(rules, data, parse_period("week:2024-W07"))).score == 3


def test_only_verified_activities_inside_the_competition_are_candidates() -> None:
    rules = ruleset(("points_per_activity", {"default": 1}))
    data = facts(
        act(1),
        act(2, status="submitted"),
        act(3, status="rejected"),
        act(4, when=at(11)),  # the day before the competition
        act(5, when=at(31, 23, month=3)),  # its last evening
        act(6, when=at(1, 0, month=4)),  # after it
    )
    assert only_row(evaluate(rules, data)).counted == 2


def test_periods_are_local_weeks_and_views_filter() -> None:
    from datetime import UTC, datetime

    from scoring import parse_period

    rules = ruleset(("points_per_activity", {"default": 1}))
    # Sunday 18 Feb 17:30 UTC is Monday 19 Feb 00:30 WIB: week 8 in Jakarta.
    late = act(1, when=datetime(2024, 2, 18, 17, 30, tzinfo=UTC), cluster="bencana", type="BENCANA")
    data = facts(late, act(2))
    assert only_row(evaluate(rules, data, parse_period("week:2024-W07"))).counted == 1
    assert only_row(evaluate(rules, data, parse_period("week:2024-W08"))).counted == 1
    assert only_row(evaluate(rules, data, parse_period("month:2024-02"))).counted == 2
    assert only_row(evaluate(rules, data, parse_period("month:2024-04"))).counted == 0
    assert only_row(evaluate(rules, data, view="cluster:bencana")).counted == 1
    assert only_row(evaluate(rules, data, view="type:DDS")).counted == 1
    standings = evaluate(rules, data, parse_period("week:2024-W08"), "type:BENCANA")
    assert (standings.period, standings.view) == ("week:2024-W08", "type:BENCANA")
    with pytest.raises(ValueError):
        evaluate(rules, data, view="desa:1")


def test_every_team_appears_and_ranks_skip_after_ties() -> None:
    teams = tuple(Team(f"35.0{i}", f"T{i}", 10) for i in range(1, 6))
    rules = ruleset(("points_per_activity", {"default": 1}), tie_break=("score",))
    data = facts(
        act(1, team="35.02"),
        act(2, team="35.02"),
        act(3, team="35.03"),
        act(4, team="35.04"),
        teams=teams,
    )
    rows = evaluate(rules, data).rows
    assert [(r.team, r.rank) for r in rows] == [
        ("35.02", 1),
        ("35.03", 2),
        ("35.04", 2),
        ("35.01", 4),
        ("35.05", 4),
    ]


def test_tie_break_chain_decides_before_sharing() -> None:
    teams = (Team("35.01", "A", 10), Team("35.02", "B", 10))
    rules = ruleset(("points_per_activity", {"default": 1}))
    data = facts(act(1, team="35.01", when=at(20)), act(2, team="35.02", when=at(14)), teams=teams)
    rows = evaluate(rules, data).rows  # same score, count, quality, coverage: earlier last activity wins
    assert [(r.team, r.rank) for r in rows] == [("35.02", 1), ("35.01", 2)]


def test_evaluate_team_matches_full_evaluation() -> None:
    from scoring import default_ruleset, rank

    teams = (Team("35.01", "A", 10), Team("35.02", "B", 10))
    rules = default_ruleset()
    data = facts(act(1, team="35.01", reach=80, preemptive=True), act(2, team="35.02"), teams=teams)
    full = evaluate(rules, data)
    alone = facts(act(1, team="35.01", reach=80, preemptive=True), teams=teams)
    result = evaluate_team(rules, alone, "35.01")
    assert result.rank == 0
    assert rank([result if r.team == "35.01" else r for r in full.rows], rules.tie_break) == full
    with pytest.raises(KeyError):
        evaluate_team(rules, data, "99.99")


def test_every_rule_documents_itself_with_an_example() -> None:
    for rule_id in (
        "joint_only",
        "cap_per_period",
        "points_per_activity",
        "reach_bonus",
        "preemptive_multiplier",
        "judge_quality",
        "consistency_bonus",
        "coverage",
        "cluster_balance",
    ):
        rule = get_rule(rule_id)
        assert rule.title["id"] and rule.title["en"]
        assert "**Contoh.**" in rule.doc["id"] and "**Worked example.**" in rule.doc["en"]
        assert rule.params_schema()["type"] == "object"
