"""Worked examples of scoring.jury and of the ruleset's stage weights (properties: test_jury_properties)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from scoring.jury import (
    JudgeSlot,
    JudgeStats,
    ReviewFact,
    assign_many,
    choose_judges,
    combine_stages,
    eligible,
    exceeds_tolerance,
    judge_stats,
    krippendorff_alpha,
    normalise_judges,
    panel_verdict,
    spread,
)
from scoring.ruleset import RulesetInvalid, default_ruleset, parse_ruleset, ruleset_to_dict, ruleset_to_json

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers × 12 units,
# "." = missing. Published: nominal α = 0.743, interval α = 0.849.
KRIPPENDORFF_2011 = {
    "A": "1 2 3 3 2 1 4 1 2 . . .",
    "B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "D": "1 2 3 3 2 4 4 1 2 5 1 .",
}


def krippendorff_units() -> dict[int, dict[str, int]]:
    units: dict[int, dict[str, int]] = {}
    for coder, row in KRIPPENDORFF_2011.items():
        for unit, value in enumerate(row.split(), start=1):
            if value != ".":
                units.setdefault(unit, {})[coder] = int(value)
    return units


def slot(judge_id: int, region: str | None = None, load: int = 0, *conflicts: str) -> JudgeSlot:
    return JudgeSlot(judge_id, region, load, frozenset(conflicts))


# --- Assignment ---------------------------------------------------------------------------------


def test_eligible_excludes_own_regency_and_declared_conflicts() -> None:
    assert not eligible(slot(1, "35.78"), "35.78")
    assert not eligible(slot(1, "3578"), "35.78"), "the same regency written without the dot"
    assert not eligible(slot(1, None, 0, "35.01"), "35.01")
    assert not eligible(slot(1, "35.02", 0, "3501"), "35.01")
    assert eligible(slot(1, "35.02", 0, "35.03"), "35.01")
    assert eligible(slot(1, None), "35.01")


def test_choose_judges_takes_the_least_loaded_eligible_judges_ties_by_id() -> None:
    judges = [
        slot(4, None, 2),
        slot(3, "35.01", 0),
        slot(2, None, 1),
        slot(1, None, 1),
        slot(5, None, 0, "35.01"),
    ]
    # 3 is from the team's regency, 5 declared a conflict; then load 1 (ids 1, 2), then load 2.
    assert choose_judges("35.01", judges, 2) == [1, 2]
    assert choose_judges("35.01", judges, 3) == [1, 2, 4]
    assert choose_judges("35.01", judges, 3, exclude={1}) == [2, 4]
    assert choose_judges("35.01", judges, 9) == [1, 2, 4], "fewer when not enough are eligible"
    assert choose_judges("35.01", judges, 0) == []
    assert choose_judges("35.02", judges, 2) == [3, 5]


def test_choose_judges_refuses_a_judge_listed_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        choose_judges("35.01", [slot(1), slot(1, None, 3)], 1)


def test_assign_many_counts_each_choice_into_the_loads() -> None:
    judges = [slot(1, "35.01"), slot(2), slot(3, None, 1)]
    result = assign_many([("a", "35.02"), ("b", "35.02"), ("c", "35.01"), ("d", "35.02")], judges, 2)
    # a: loads 0,0,1 -> 1,2.  b: loads 1,1,1 -> 1,2 (ties by id).  c: 1 is from 35.01; loads of 2, 3
    # are 2, 1 -> 3 first, then 2.  d: loads 2,3,2 -> 1,3.
    assert result == {"a": [1, 2], "b": [1, 2], "c": [3, 2], "d": [1, 3]}
    assert list(result) == ["a", "b", "c", "d"]


def test_assign_many_honours_per_item_exclusions_and_refuses_repeated_items() -> None:
    judges = [slot(1), slot(2), slot(3)]
    assert assign_many([(10, "35.01")], judges, 2, exclude={10: [1]}) == {10: [2, 3]}
    with pytest.raises(ValueError, match="twice"):
        assign_many([(10, "35.01"), (10, "35.02")], judges, 1)


# --- Decision -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("votes", "required", "verdict"),
    [
        ([], 3, "pending"),
        (["verified", "verified"], 3, "pending"),
        (["verified", "verified", "rejected"], 3, "verified"),
        (["rejected", "verified", "rejected"], 3, "rejected"),
        (["rejected", "verified"], 2, "tie"),
        (["rejected", "verified", "verified"], 2, "verified"),
        (["verified"], 1, "verified"),
        (["rejected", "rejected", "verified", "verified"], 3, "tie"),
    ],
)
def test_panel_verdict(votes: list[str], required: int, verdict: str) -> None:
    assert panel_verdict(votes, required) == verdict


def test_panel_verdict_rejects_unknown_votes_and_a_zero_requirement() -> None:
    with pytest.raises(ValueError, match="unknown vote"):
        panel_verdict(["verified", "maybe"], 1)
    with pytest.raises(ValueError, match="at least 1"):
        panel_verdict([], 0)


def test_spread_and_tolerance() -> None:
    assert spread([]) == 0
    assert spread([700_000]) == 0
    assert spread([700_000, 400_000, 550_000]) == 300_000
    assert not exceeds_tolerance([700_000, 400_000], 300_000), "equal to the tolerance is within it"
    assert exceeds_tolerance([700_000, 400_000], 299_999)
    assert not exceeds_tolerance([1_000_000], 0)


# --- Agreement ----------------------------------------------------------------------------------


def test_krippendorff_alpha_matches_the_published_example() -> None:
    units = krippendorff_units()
    nominal = krippendorff_alpha(units, "nominal")
    interval = krippendorff_alpha(units, "interval")
    assert nominal is not None and interval is not None
    assert round(float(nominal), 3) == 0.743
    assert round(float(interval), 3) == 0.849
    # Exact values, from the coincidence matrix of the paper (n = 40 pairable values).
    assert nominal == Fraction(113, 152)
    assert interval == Fraction(951, 1120)


def test_krippendorff_alpha_edge_cases() -> None:
    assert krippendorff_alpha({}, "nominal") is None
    assert krippendorff_alpha({1: {"a": 1}, 2: {"b": 2}}, "interval") is None, "no pairable unit"
    assert krippendorff_alpha({1: {"a": 1, "b": 1}, 2: {"a": 1, "b": 1}}, "nominal") is None, "D_e = 0"
    assert krippendorff_alpha({1: {"a": 1, "b": 1}, 2: {"a": 2, "b": 2}}, "interval") == 1
    assert (
        krippendorff_alpha(
            {1: {"a": "verified", "b": "verified"}, 2: {"a": "rejected", "b": "rejected"}}, "nominal"
        )
        == 1
    )
    # Systematic disagreement goes below zero.
    assert krippendorff_alpha({1: {"a": 1, "b": 2}, 2: {"a": 1, "b": 2}}, "nominal") == Fraction(-1, 2)
    with pytest.raises(TypeError):
        krippendorff_alpha({1: {"a": "x", "b": "y"}}, "interval")


# --- Judge quality ------------------------------------------------------------------------------


def test_judge_stats() -> None:
    reviews = [
        ReviewFact(2, 100, "verified", 800_000),
        ReviewFact(1, 100, "verified", 500_000),
        ReviewFact(1, 101, "rejected", 250_001),
        ReviewFact(1, 102, "rejected", None),
        ReviewFact(2, 101, "verified", None),
        ReviewFact(3, 103, "rejected", None),
    ]
    final = {100: "verified", 101: "rejected"}  # 102 and 103 are not decided yet
    assert judge_stats(reviews, final) == [
        # mean of 500000 and 250001 is 375000.5 -> 375000 (half to even)
        JudgeStats(1, 3, 375_000, Fraction(2, 3), Fraction(0)),
        JudgeStats(2, 2, 800_000, Fraction(0), Fraction(1, 2)),
        JudgeStats(3, 1, None, Fraction(1), None),
    ]
    assert judge_stats([], final) == []


def test_judge_stats_refuses_repeats_and_unknown_decisions() -> None:
    with pytest.raises(ValueError, match="twice"):
        judge_stats([ReviewFact(1, 5, "verified", None), ReviewFact(1, 5, "rejected", None)], {})
    with pytest.raises(ValueError, match="unknown decision"):
        judge_stats([ReviewFact(1, 5, "skipped", None)], {})


# --- Normalisation and stages -------------------------------------------------------------------


def test_normalise_judges_worked_example() -> None:
    d = Decimal
    scores = [(1, "a", d(1)), (1, "b", d(3)), (2, "a", d(4)), (2, "b", d(5))]
    # Pooled: mean 13/4, variance 35/16. Judge 1: mean 2, variance 1; judge 2: mean 9/2, variance 1/4.
    # Judge 1: 13/4 ∓ 1 × √(35/16) = 3.25 ∓ 1.47902... ; judge 2: 13/4 ∓ 1/2 × √(35/4) = the same.
    result = normalise_judges(scores, d(0), d(10))
    assert result == {
        (1, "a"): d("1.7710"),
        (1, "b"): d("4.7290"),
        (2, "a"): d("1.7710"),
        (2, "b"): d("4.7290"),
    }
    clamped = normalise_judges(scores, d(2), d("4.5"))
    assert clamped[(1, "a")] == d(2) and clamped[(1, "b")] == d("4.5")


def test_normalise_judges_only_shifts_a_judge_without_spread() -> None:
    d = Decimal
    scores = [(1, "a", d(2)), (1, "b", d(4)), (2, "a", d(5)), (2, "b", d(5)), (3, "c", d(1))]
    result = normalise_judges(scores, d(0), d(10))
    # Pooled mean 17/5 = 3.4: judge 2 (all 5) and judge 3 (one score) land on it.
    assert result[(2, "a")] == result[(2, "b")] == d("3.4000")
    assert result[(3, "c")] == d("3.4000")
    assert normalise_judges([], d(0), d(1)) == {}
    with pytest.raises(ValueError, match="twice"):
        normalise_judges([(1, "a", d(1)), (1, "a", d(2))], d(0), d(5))
    with pytest.raises(ValueError, match="finite"):
        normalise_judges([(1, "a", d("NaN"))], d(0), d(5))
    with pytest.raises(ValueError, match="finite"):
        normalise_judges([(1, "a", d(1))], d("-Infinity"), d(5))
    with pytest.raises(ValueError, match="must not exceed"):
        normalise_judges([(1, "a", d(1))], d(5), d(1))
    with pytest.raises(TypeError, match="Decimal or an int"):
        normalise_judges([(1, "a", 1.5)], d(0), d(5))  # type: ignore[list-item]


def test_combine_stages_worked_example() -> None:
    d = Decimal
    stages = {
        "verifikasi": {"35.01": d(80), "35.02": d(40), "35.03": d(20)},
        "lapangan": {"35.01": d("3.5"), "35.02": d(7)},  # 35.03 did not reach the field stage
        "latihan": {"35.04": d(99)},  # no weight: ignored, but the team is listed with 0
        "kosong": {"35.01": d(0), "35.02": d(-3)},  # best ≤ 0: contributes nothing
    }
    weights = {"verifikasi": d("0.4"), "lapangan": d("0.6"), "kosong": d(5), "hilang": d(1)}
    assert combine_stages(stages, weights) == {
        "35.01": d("70.0000"),  # 0.4 × 100 + 0.6 × 50
        "35.02": d("80.0000"),  # 0.4 × 50 + 0.6 × 100
        "35.03": d("10.0000"),  # 0.4 × 25
        "35.04": d("0.0000"),
    }
    thirds = combine_stages({"s": {"a": d(1), "b": d(3)}}, {"s": d(1)})
    assert thirds == {"a": d("33.3333"), "b": d("100.0000")}


# --- Ruleset stage weights ----------------------------------------------------------------------


def test_ruleset_without_stages_keeps_its_json() -> None:
    ruleset = default_ruleset()
    assert ruleset.stages == {}
    assert b"stages" not in ruleset_to_json(ruleset)
    assert "stages" not in ruleset_to_dict(ruleset)
    assert parse_ruleset({"rules": [], "stages": {}}) == parse_ruleset({"rules": []})


def test_ruleset_stage_weights_round_trip() -> None:
    body = {
        **ruleset_to_dict(default_ruleset()),
        "stages": {"verifikasi": "0.4", "lapangan": 1, "penetapan": Decimal("2.25")},
    }
    ruleset = parse_ruleset(body)
    assert ruleset.stages == {
        "verifikasi": Decimal("0.4"),
        "lapangan": Decimal(1),
        "penetapan": Decimal("2.25"),
    }
    encoded = ruleset_to_json(ruleset)
    assert b'"stages":{"lapangan":1,"penetapan":2.25,"verifikasi":0.4}' in encoded
    assert parse_ruleset(encoded) == ruleset
    assert ruleset_to_json(parse_ruleset(encoded)) == encoded
    assert parse_ruleset({"rules": [], "stages": {"max": 1000}}).stages == {"max": Decimal(1000)}


def test_ruleset_stage_weights_are_validated_one_message_per_entry() -> None:
    with pytest.raises(RulesetInvalid) as caught:
        parse_ruleset(
            {
                "rules": [],
                "stages": {
                    "ok": "0.5",
                    "nol": 0,
                    "negatif": -1,
                    "besar": "1000.0001",
                    "teks": "abc",
                    "halus": "0.00001",
                    "benar": True,
                    "kosong": None,
                    "spasi di kode": 1,
                },
            }
        )
    paths = [error.path for error in caught.value.errors]
    assert paths == [
        "stages.nol",
        "stages.negatif",
        "stages.besar",
        "stages.teks",
        "stages.halus",
        "stages.benar",
        "stages.kosong",
        "stages.spasi di kode",
    ]
    assert all(error.message_id and error.message_en for error in caught.value.errors)
    with pytest.raises(RulesetInvalid, match="stages: Must be an object"):
        parse_ruleset({"rules": [], "stages": [["a", 1]]})
    with pytest.raises(RulesetInvalid, match=r"stages\.x: Weight must be greater than 0"):
        parse_ruleset(b'{"rules": [], "stages": {"x": 0.0}}')
