"""Hypothesis properties of the jury: assignment, verdicts, aggregation, tolerance, agreement,
normalisation and the combination of stages."""

from __future__ import annotations

from collections import Counter
from decimal import Context, Decimal, localcontext
from fractions import Fraction
from itertools import permutations
from random import Random
from typing import Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.aggregate import METHODS, combine
from scoring.jury import (
    JudgeSlot,
    ReviewFact,
    assign_many,
    choose_judges,
    combine_stages,
    eligible,
    exceeds_tolerance,
    judge_stats,
    krippendorff_alpha,
    nominal_alpha_of_tallies,
    normalise_judges,
    panel_verdict,
    region_key,
    spread,
)
from scoring.ruleset import parse_ruleset, ruleset_to_json

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEAM_CODES = ("35.01", "35.02", "35.03", "35.04")
# Judges' regions, spelt as the app may hold them: with or without the dot, or none at all.
REGIONS = (None, "35.01", "3502", "35.03", "73.71")


@st.composite
def judge_pools(draw: st.DrawFn, *, free: bool = False, equal_loads: bool = False) -> list[JudgeSlot]:
    """1–8 judges with distinct ids; ``free`` = no region matches and no conflicts with any team."""
    ids = draw(st.lists(st.integers(1, 60), min_size=1, max_size=8, unique=True))
    start = draw(st.integers(0, 4))
    judges = []
    for judge_id in ids:
        region = "99.99" if free else draw(st.sampled_from(REGIONS))
        conflicts = frozenset() if free else frozenset(draw(st.sets(st.sampled_from(TEAM_CODES), max_size=2)))
        load = start if equal_loads else draw(st.integers(0, 6))
        judges.append(JudgeSlot(judge_id, region, load, conflicts))
    return judges


items_strategy = st.lists(st.sampled_from(TEAM_CODES), max_size=25).map(lambda codes: list(enumerate(codes)))


def check_choice(
    team_code: str,
    judges: list[JudgeSlot],
    loads: dict[int, int],
    needed: int,
    excluded: set[int],
    chosen: list[int],
) -> None:
    """The invariants of one choice, against the loads as they stood just before it."""
    by_id = {judge.judge_id: judge for judge in judges}
    assert len(chosen) == len(set(chosen)), "the same judge twice for one item"
    for judge_id in chosen:
        judge = by_id[judge_id]
        assert eligible(judge, team_code)
        assert judge.region_code is None or region_key(judge.region_code) != region_key(team_code)
        assert region_key(team_code) not in {region_key(code) for code in judge.conflicts}
        assert judge_id not in excluded
    available = [j.judge_id for j in judges if eligible(j, team_code) and j.judge_id not in excluded]
    assert len(chosen) == min(max(needed, 0), len(available))
    unchosen = [judge_id for judge_id in available if judge_id not in chosen]
    if chosen and unchosen:
        # Local optimality: no unchosen eligible judge had a lower load than a chosen one.
        assert max(loads[j] for j in chosen) <= min(loads[j] for j in unchosen)


# --- Assignment ---------------------------------------------------------------------------------


@PROPERTY
@given(
    judge_pools(),
    st.sampled_from(TEAM_CODES),
    st.integers(-1, 9),
    st.sets(st.integers(1, 60), max_size=4),
    st.randoms(use_true_random=False),
)
def test_choose_judges_never_breaks_a_conflict_and_prefers_the_least_loaded(
    judges: list[JudgeSlot], team_code: str, needed: int, excluded: set[int], rnd: Random
) -> None:
    chosen = choose_judges(team_code, judges, needed, exclude=excluded)
    loads = {judge.judge_id: judge.open_count for judge in judges}
    check_choice(team_code, judges, loads, needed, excluded, chosen)
    shuffled = list(judges)
    rnd.shuffle(shuffled)
    assert choose_judges(team_code, shuffled, needed, exclude=excluded) == chosen, "order of the judges"


@PROPERTY
@given(judge_pools(), items_strategy, st.integers(1, 5), st.data())
def test_assign_many_keeps_every_choice_eligible_and_locally_optimal(
    judges: list[JudgeSlot], items: list[tuple[int, str]], needed: int, data: st.DataObject
) -> None:
    exclude = {key: set(data.draw(st.sets(st.integers(1, 60), max_size=3))) for key, _ in items}
    result = assign_many(items, judges, needed, exclude=exclude)
    assert list(result) == [key for key, _ in items]
    loads = {judge.judge_id: judge.open_count for judge in judges}
    for key, team_code in items:
        check_choice(team_code, judges, loads, needed, exclude[key], result[key])
        # Model: each item is choose_judges over the loads left by the items before it.
        now = [JudgeSlot(j.judge_id, j.region_code, loads[j.judge_id], j.conflicts) for j in judges]
        assert choose_judges(team_code, now, needed, exclude=exclude[key]) == result[key]
        for judge_id in result[key]:
            loads[judge_id] += 1


@PROPERTY
@given(judge_pools(free=True, equal_loads=True), items_strategy, st.integers(1, 9))
def test_assign_many_keeps_loads_within_one_when_every_judge_is_eligible(
    judges: list[JudgeSlot], items: list[tuple[int, str]], needed: int
) -> None:
    result = assign_many(items, judges, needed)
    loads = {judge.judge_id: judge.open_count for judge in judges}
    for key, _ in items:
        assert len(result[key]) == min(needed, len(judges))
        for judge_id in result[key]:
            loads[judge_id] += 1
        assert max(loads.values()) - min(loads.values()) <= 1, loads


# --- Decision -----------------------------------------------------------------------------------

votes_strategy = st.lists(st.sampled_from(("verified", "rejected")), max_size=9)


@PROPERTY
@given(votes_strategy, st.integers(1, 7), st.randoms(use_true_random=False))
def test_panel_verdict_is_the_majority_once_enough_votes(
    votes: list[str], required: int, rnd: Random
) -> None:
    verdict = panel_verdict(votes, required)
    counts = Counter(votes)
    if len(votes) < required:
        assert verdict == "pending"
    elif counts["verified"] > counts["rejected"]:
        assert verdict == "verified"
    elif counts["rejected"] > counts["verified"]:
        assert verdict == "rejected"
    else:
        assert verdict == "tie"
    assert (verdict == "tie") == (len(votes) >= required and counts["verified"] == counts["rejected"])
    shuffled = list(votes)
    rnd.shuffle(shuffled)
    assert panel_verdict(shuffled, required) == verdict
    if verdict == "tie":
        # The extra judge's vote decides.
        for extra in ("verified", "rejected"):
            assert panel_verdict([*votes, extra], required) == extra
    if verdict in ("verified", "rejected"):
        assert panel_verdict([*votes, verdict], required) == verdict, "one more agreeing vote changes nothing"


# --- Aggregation and tolerance ------------------------------------------------------------------

qs_strategy = st.lists(st.integers(0, 1_000_000), min_size=1, max_size=9)


@PROPERTY
@given(qs_strategy, st.sampled_from(METHODS), st.integers(0, 4), st.randoms(use_true_random=False))
def test_aggregation_stays_within_the_judges_and_ignores_their_order(
    qs: list[int], method: str, trim: int, rnd: Random
) -> None:
    combined = combine(qs, method, trim)
    assert min(qs) <= combined <= max(qs)
    shuffled = list(qs)
    rnd.shuffle(shuffled)
    assert combine(shuffled, method, trim) == combined
    assert combine([qs[0]] * len(qs), method, trim) == qs[0]


@PROPERTY
@given(st.lists(st.integers(0, 1_000_000), max_size=9), st.integers(-5, 1_000_005))
def test_tolerance_triggers_exactly_when_the_spread_exceeds_it(qs: list[int], tolerance: int) -> None:
    expected_spread = max(qs) - min(qs) if len(qs) >= 2 else 0
    assert spread(qs) == expected_spread
    assert exceeds_tolerance(qs, tolerance) == (expected_spread > tolerance)
    assert not exceeds_tolerance(qs, expected_spread), "a spread equal to the tolerance is within it"
    assert exceeds_tolerance(qs, expected_spread - 1) == (expected_spread > expected_spread - 1)
    assert exceeds_tolerance(list(reversed(qs)), tolerance) == exceeds_tolerance(qs, tolerance)


# --- Agreement ----------------------------------------------------------------------------------


def alpha_by_coincidence_matrix(units: dict[int, dict[int, int]], level: str) -> Fraction | None:
    """Krippendorff's alpha straight from the textbook: coincidence matrix, then D_o and D_e."""
    pairable = [list(coded.values()) for coded in units.values() if len(coded) >= 2]
    coincidences: Counter[tuple[int, int]] = Counter()
    matrix: dict[tuple[int, int], Fraction] = {}
    for values in pairable:
        m = len(values)
        for i, j in permutations(range(m), 2):
            pair = (values[i], values[j])
            coincidences[pair] += 1
            matrix[pair] = matrix.get(pair, Fraction(0)) + Fraction(1, m - 1)
    if not matrix:
        return None
    marginals: dict[int, Fraction] = {}
    for (c, _), value in matrix.items():
        marginals[c] = marginals.get(c, Fraction(0)) + value
    n = sum(marginals.values())

    def delta(c: int, k: int) -> int:
        return (0 if c == k else 1) if level == "nominal" else (c - k) ** 2

    observed = sum((value * delta(c, k) for (c, k), value in matrix.items()), Fraction(0)) / n
    expected = sum(
        (marginals[c] * marginals[k] * delta(c, k) for c in marginals for k in marginals), Fraction(0)
    ) / (n * (n - 1))
    if expected == 0:
        return None
    return 1 - observed / expected


units_strategy = st.dictionaries(
    st.integers(0, 30),
    st.dictionaries(st.integers(0, 5), st.integers(-3, 6), max_size=5),
    max_size=12,
)
Level = Literal["nominal", "interval"]
levels: st.SearchStrategy[Level] = st.sampled_from(("nominal", "interval"))


@PROPERTY
@given(units_strategy, levels, st.randoms(use_true_random=False))
def test_alpha_agrees_with_the_coincidence_matrix_and_ignores_order(
    units: dict[int, dict[int, int]], level: Level, rnd: Random
) -> None:
    alpha = krippendorff_alpha(units, level)
    assert alpha == alpha_by_coincidence_matrix(units, level)
    if alpha is not None:
        assert alpha <= 1
    unit_order = list(units.items())
    rnd.shuffle(unit_order)
    reordered = {}
    for unit, coded in unit_order:
        coders = list(coded.items())
        rnd.shuffle(coders)
        reordered[unit] = dict(coders)
    assert krippendorff_alpha(reordered, level) == alpha


@PROPERTY
@given(units_strategy, st.integers(1, 5).flatmap(lambda a: st.sampled_from((a, -a))), st.integers(-9, 9))
def test_alpha_is_invariant_under_relabelling(
    units: dict[int, dict[int, int]], scale: int, shift: int
) -> None:
    moved = {u: {c: scale * v + shift for c, v in coded.items()} for u, coded in units.items()}
    # Interval alpha ignores any affine change of scale; nominal alpha any one-to-one relabelling.
    assert krippendorff_alpha(moved, "interval") == krippendorff_alpha(units, "interval")
    assert krippendorff_alpha(moved, "nominal") == krippendorff_alpha(units, "nominal")


@PROPERTY
@given(
    st.lists(
        st.tuples(st.integers(-3, 6), st.sets(st.integers(0, 5), min_size=2, max_size=5)),
        min_size=2,
        max_size=10,
    ),
    levels,
)
def test_alpha_is_one_under_perfect_agreement(rows: list[tuple[int, set[int]]], level: Level) -> None:
    units = {unit: dict.fromkeys(coders, value) for unit, (value, coders) in enumerate(rows)}
    alpha = krippendorff_alpha(units, level)
    if len({value for value, _ in rows}) >= 2:
        assert alpha == 1
    else:
        assert alpha is None, "no disagreement possible"


# --- Judge quality ------------------------------------------------------------------------------


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.integers(1, 5),
            st.integers(1, 8),
            st.sampled_from(("verified", "rejected")),
            st.none() | st.integers(0, 1_000_000),
        ),
        max_size=30,
        unique_by=lambda row: (row[0], row[1]),
    ),
    st.dictionaries(st.integers(1, 8), st.sampled_from(("verified", "rejected"))),
    st.randoms(use_true_random=False),
)
def test_judge_stats_are_rates_and_ignore_order(
    rows: list[tuple[int, int, str, int | None]], final: dict[int, str], rnd: Random
) -> None:
    reviews = [ReviewFact(*row) for row in rows]
    stats = judge_stats(reviews, final)
    assert [s.judge_id for s in stats] == sorted({r.judge_id for r in reviews})
    assert sum(s.reviews for s in stats) == len(reviews)
    for s in stats:
        own = [r for r in reviews if r.judge_id == s.judge_id]
        qs = [r.q for r in own if r.q is not None]
        if qs:
            assert s.mean_q is not None and min(qs) <= s.mean_q <= max(qs)
        else:
            assert s.mean_q is None
        assert s.rejection_rate == Fraction(sum(r.decision == "rejected" for r in own), len(own))
        decided = [r for r in own if r.unit in final]
        if decided:
            assert s.disagreement_rate == Fraction(
                sum(r.decision != final[r.unit] for r in decided), len(decided)
            )
        else:
            assert s.disagreement_rate is None
    rnd.shuffle(reviews)
    assert judge_stats(reviews, final) == stats


# --- Normalisation ------------------------------------------------------------------------------

score_strategy = st.integers(0, 500).map(lambda n: Decimal(n).scaleb(-2))  # 0.00 .. 5.00
judge_scores = st.lists(
    st.tuples(st.integers(1, 4), st.integers(1, 12), score_strategy),
    max_size=30,
    unique_by=lambda row: (row[0], row[1]),
)


@PROPERTY
@given(judge_scores, st.randoms(use_true_random=False))
def test_normalise_judges_ignores_order_and_stays_in_bounds(
    scores: list[tuple[int, int, Decimal]], rnd: Random
) -> None:
    low, high = Decimal(1), Decimal(5)
    result = normalise_judges(scores, low, high)
    assert set(result) == {(judge_id, key) for judge_id, key, _ in scores}
    assert all(low <= value <= high for value in result.values())
    assert all(value.as_tuple().exponent in (-4, 0) for value in result.values())
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    assert normalise_judges(shuffled, low, high) == result


@PROPERTY
@given(st.lists(st.tuples(st.integers(1, 12), score_strategy), max_size=15, unique_by=lambda row: row[0]))
def test_normalise_judges_is_the_identity_for_a_single_judge(rows: list[tuple[int, Decimal]]) -> None:
    scores = [(7, key, score) for key, score in rows]
    assert normalise_judges(scores, Decimal(0), Decimal(5)) == {(7, key): score for key, score in rows}


@PROPERTY
@given(judge_scores)
def test_normalise_judges_gives_every_judge_the_pooled_mean_and_spread(
    scores: list[tuple[int, int, Decimal]],
) -> None:
    # Without clamping, each judge's normalised scores have the pooled mean and, when the judge's own
    # scores vary, the pooled standard deviation; a judge whose scores do not vary is only shifted.
    # Each value is rounded by at most 0.00005, which moves a mean or a standard deviation by at most that.
    result = normalise_judges(scores, Decimal(-1000), Decimal(1000))
    if not scores:
        return

    def moments(values: list[Fraction]) -> tuple[Fraction, float]:
        mean = sum(values, Fraction(0)) / len(values)
        return mean, float(sum(((v - mean) ** 2 for v in values), Fraction(0)) / len(values)) ** 0.5

    pooled_mean, pooled_sd = moments([Fraction(s) for _, _, s in scores])
    for judge_id in {j for j, _, _ in scores}:
        _, own_sd = moments([Fraction(s) for j, _, s in scores if j == judge_id])
        mean, sd = moments([Fraction(v) for (j, _), v in result.items() if j == judge_id])
        assert abs(mean - pooled_mean) <= Fraction(1, 20000)
        assert abs(sd - (pooled_sd if own_sd > 0 else 0)) <= 0.00005 + 1e-9


# --- Stages -------------------------------------------------------------------------------------

stage_scores_strategy = st.dictionaries(
    st.sampled_from(("verifikasi", "lapangan", "penetapan")),
    st.dictionaries(st.sampled_from(TEAM_CODES), st.integers(0, 10_000).map(lambda n: Decimal(n).scaleb(-2))),
)
weights_strategy = st.dictionaries(
    st.sampled_from(("verifikasi", "lapangan", "penetapan", "lain")),
    st.integers(1, 10_000).map(lambda n: Decimal(n).scaleb(-3)),
)


@PROPERTY
@given(stage_scores_strategy, weights_strategy, st.randoms(use_true_random=False))
def test_combine_stages_ignores_order_and_stays_in_bounds(
    stages: dict[str, dict[str, Decimal]], weights: dict[str, Decimal], rnd: Random
) -> None:
    combined = combine_stages(stages, weights)
    assert set(combined) == {team for scores in stages.values() for team in scores}
    ceiling = 100 * sum((w for stage, w in weights.items() if stage in stages), Decimal(0))
    assert all(Decimal(0) <= value <= ceiling for value in combined.values())
    stage_items = list(stages.items())
    rnd.shuffle(stage_items)
    reordered = {}
    for stage, scores in stage_items:
        team_items = list(scores.items())
        rnd.shuffle(team_items)
        reordered[stage] = dict(team_items)
    weight_items = list(weights.items())
    rnd.shuffle(weight_items)
    assert combine_stages(reordered, dict(weight_items)) == combined
    # A team best in every stage that counts (weighted, best score > 0) gets 100 × their weights.
    counting = [
        stage for stage, scores in stages.items() if stage in weights and scores and max(scores.values()) > 0
    ]
    reach = 100 * sum((weights[stage] for stage in counting), Decimal(0))
    for team, value in combined.items():
        if all(stages[stage].get(team) == max(stages[stage].values()) for stage in counting):
            assert value == reach
        else:
            assert value <= reach


@PROPERTY
@given(stage_scores_strategy, weights_strategy, st.integers(1, 20))
def test_combine_stages_scales_with_the_weights(
    stages: dict[str, dict[str, Decimal]], weights: dict[str, Decimal], factor: int
) -> None:
    base = combine_stages(stages, weights)
    scaled = combine_stages(stages, {stage: w * factor for stage, w in weights.items()})
    for team in base:
        # Each result is rounded once, to 0.0001: the scaled one is within factor × half a unit of the base.
        assert abs(scaled[team] - factor * base[team]) <= Decimal("0.00005") * (factor + 1)


# --- Ruleset stage weights ----------------------------------------------------------------------

stage_weights = st.dictionaries(
    st.text("abcdefghijklmnopqrstuvwxyzABC0123456789_-", min_size=1, max_size=40),
    st.integers(1, 10_000_000).map(lambda n: Decimal(n).scaleb(-4)),
    max_size=5,
)


@PROPERTY
@given(stage_weights, st.booleans())
def test_ruleset_stage_weights_survive_a_json_round_trip(weights: dict[str, Decimal], as_text: bool) -> None:
    body = {"rules": [], "stages": {code: str(w) if as_text else w for code, w in weights.items()}}
    ruleset = parse_ruleset(body)
    assert ruleset.stages == weights
    encoded = ruleset_to_json(ruleset)
    assert (b'"stages"' in encoded) == bool(weights)
    assert parse_ruleset(encoded) == ruleset
    assert ruleset_to_json(parse_ruleset(encoded)) == encoded


def normalise_by_fractions(
    scores: list[tuple[int, int, Decimal]], low: Decimal, high: Decimal
) -> dict[tuple[int, int], Decimal]:
    """The normalisation written out plainly with Fractions: the model the fast integer version must match."""

    def moments(values: list[Fraction]) -> tuple[Fraction, Fraction]:
        mean = sum(values, Fraction(0)) / len(values)
        return mean, sum(((v - mean) ** 2 for v in values), Fraction(0)) / len(values)

    if not scores:
        return {}
    pooled_mean, pooled_variance = moments([Fraction(s) for _, _, s in scores])
    result = {}
    for judge_id, key, score in scores:
        mean, variance = moments([Fraction(s) for j, _, s in scores if j == judge_id])
        factor = Fraction(1)
        if variance:
            ratio = pooled_variance / variance
            with localcontext(Context(prec=28)) as ctx:
                factor = Fraction((Decimal(ratio.numerator) / Decimal(ratio.denominator)).sqrt(ctx))
        mapped = Decimal(round((pooled_mean + (Fraction(score) - mean) * factor) * 10_000)).scaleb(-4)
        result[(judge_id, key)] = min(max(mapped, low), high)
    return result


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),
            st.integers(1, 12),
            st.builds(lambda n, e: Decimal(n).scaleb(-e), st.integers(-900, 900), st.integers(0, 6)),
        ),
        max_size=30,
        unique_by=lambda row: (row[0], row[1]),
    ),
    st.sampled_from((Decimal(-10), Decimal(0), Decimal("1.5"))),
    st.sampled_from((Decimal("2.5"), Decimal(5), Decimal(1000))),
)
def test_normalise_judges_matches_the_plain_fraction_model(
    scores: list[tuple[int, int, Decimal]], low: Decimal, high: Decimal
) -> None:
    assert normalise_judges(scores, low, high) == normalise_by_fractions(scores, low, high)


@PROPERTY
@given(
    st.dictionaries(
        st.integers(0, 30),
        st.lists(st.sampled_from(("verified", "rejected")), min_size=0, max_size=5),
        max_size=25,
    )
)
def test_nominal_alpha_of_tallies_is_the_alpha_of_the_units(coded: dict[int, list[str]]) -> None:
    """What the jury console counts with GROUP BY (each unit's tally of decisions) gives exactly the
    alpha of the units themselves."""
    units = {u: dict(enumerate(values)) for u, values in coded.items()}
    tallies: Counter[tuple[int, ...]] = Counter(
        (values.count("verified"), values.count("rejected")) for values in coded.values()
    )
    assert nominal_alpha_of_tallies(tallies) == krippendorff_alpha(units, "nominal")
