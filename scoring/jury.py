"""The jury's pure arithmetic: who judges what, how a panel decides, and how judges' scores combine.

Nothing here reads a database, a clock or a random source: the web app gathers the facts (judges and
their open assignments, reviews, stage scores) and stores what these functions return. Every result is
deterministic and independent of the order of its inputs; arithmetic is exact (int, Fraction) and
rounded once, at the end, half to even. The semantics are described in ``docs/jury.md``.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal, TypeVar

from scoring.fixedpoint import div_round

__all__ = [
    "DECISIONS",
    "JudgeSlot",
    "JudgeStats",
    "ReviewFact",
    "Verdict",
    "assign_many",
    "choose_judges",
    "combine_stages",
    "eligible",
    "exceeds_tolerance",
    "judge_stats",
    "krippendorff_alpha",
    "normalise_judges",
    "panel_verdict",
    "region_key",
    "spread",
]

K = TypeVar("K", bound=Hashable)
U = TypeVar("U", bound=Hashable)
C = TypeVar("C", bound=Hashable)

Verdict = Literal["pending", "verified", "rejected", "tie"]
#: The two decisions a judge can give.
DECISIONS = ("verified", "rejected")

_PLACES = 4
#: The fixed context of normalise_judges' square root: 28 significant digits, half to even.
_SQRT_CONTEXT = Context(prec=28)


# --- Assignment ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JudgeSlot:
    """A judge as the assignment sees them: home regency, current load, declared conflicts."""

    judge_id: int
    region_code: str | None
    open_count: int
    conflicts: frozenset[str] = frozenset()


_IGNORED_IN_CODES = str.maketrans("", "", ". \t\n-")


@lru_cache(maxsize=4096)
def region_key(code: str) -> str:
    """A regency/team code compared loosely: ``"35.78"``, ``"3578"`` and ``" 35.78 "`` are the same."""
    return code.translate(_IGNORED_IN_CODES).casefold()


def eligible(judge: JudgeSlot, team_code: str) -> bool:
    """True when ``judge`` may judge ``team_code``: not their own regency and no declared conflict.

    Codes are compared with :func:`region_key` (dots, spaces and hyphens ignored, case-insensitive), so a
    conflict is never missed because one side is written ``35.78`` and the other ``3578``.
    """
    team = region_key(team_code)
    if judge.region_code is not None and region_key(judge.region_code) == team:
        return False
    return all(region_key(code) != team for code in judge.conflicts)


class _Pool:
    """The judges of one assignment run: ids checked unique, eligibility computed once per team."""

    __slots__ = ("_by_team", "judges", "loads")

    def __init__(self, judges: Sequence[JudgeSlot]) -> None:
        self.loads: dict[int, int] = {}
        for judge in judges:
            if judge.judge_id in self.loads:
                raise ValueError(f"judge {judge.judge_id} appears twice")
            self.loads[judge.judge_id] = judge.open_count
        self.judges = judges
        self._by_team: dict[str, list[int]] = {}

    def eligible_ids(self, team_code: str) -> list[int]:
        key = region_key(team_code)
        ids = self._by_team.get(key)
        if ids is None:
            ids = [judge.judge_id for judge in self.judges if eligible(judge, team_code)]
            self._by_team[key] = ids
        return ids

    def pick(self, team_code: str, needed: int, exclude: Collection[int]) -> list[int]:
        if needed <= 0:
            return []
        loads = self.loads
        barred = exclude if isinstance(exclude, set | frozenset) else set(exclude)
        candidates = ((loads[j], j) for j in self.eligible_ids(team_code) if j not in barred)
        return [judge_id for _, judge_id in heapq.nsmallest(needed, candidates)]


def choose_judges(
    team_code: str, judges: Sequence[JudgeSlot], needed: int, exclude: Collection[int] = ()
) -> list[int]:
    """Up to ``needed`` eligible judges for a team's activity, fewest open assignments first.

    Judges in ``exclude`` (already assigned to or already reviewed this activity) are never chosen; ties
    in load are broken by the lower ``judge_id``. Returns fewer ids when not enough judges are eligible
    (the app reports the shortfall). Raises ValueError when a judge id appears twice in ``judges``.
    """
    return _Pool(judges).pick(team_code, needed, exclude)


def assign_many(
    items: Sequence[tuple[K, str]],
    judges: Sequence[JudgeSlot],
    needed: int,
    *,
    exclude: Mapping[K, Collection[int]] | None = None,
) -> dict[K, list[int]]:
    """Assign each (item key, team code) in turn, counting every choice into the judges' loads.

    Items are handled in the order given (the app passes them oldest first); each gets
    :func:`choose_judges` with the loads as they stand after the items before it. ``exclude`` optionally
    maps an item key to judges who must not get it (e.g. those who already reviewed it when a disabled
    judge's assignments are moved). Raises ValueError on a repeated item key or judge id.
    """
    pool = _Pool(judges)
    barred = exclude or {}
    result: dict[K, list[int]] = {}
    for key, team_code in items:
        if key in result:
            raise ValueError(f"item {key!r} appears twice")
        chosen = pool.pick(team_code, needed, barred.get(key, ()))
        for judge_id in chosen:
            pool.loads[judge_id] += 1
        result[key] = chosen
    return result


# --- Decision -----------------------------------------------------------------------------------


def panel_verdict(votes: Sequence[str], required: int) -> Verdict:
    """The panel's decision from its judges' votes (each ``"verified"`` or ``"rejected"``).

    Fewer than ``required`` votes: ``"pending"``. Otherwise the majority decides; an equal split is a
    ``"tie"`` (the app then assigns one more judge, whose vote breaks it). Raises ValueError on an
    unknown vote or ``required < 1``.
    """
    if required < 1:
        raise ValueError("required must be at least 1")
    verified = rejected = 0
    for vote in votes:
        if vote == "verified":
            verified += 1
        elif vote == "rejected":
            rejected += 1
        else:
            raise ValueError(f"unknown vote {vote!r}")
    if verified + rejected < required:
        return "pending"
    if verified > rejected:
        return "verified"
    if rejected > verified:
        return "rejected"
    return "tie"


def spread(qs: Sequence[int]) -> int:
    """The judges' disagreement on quality: max − min of their q (millionths); 0 with fewer than 2."""
    if len(qs) < 2:
        return 0
    return max(qs) - min(qs)


def exceeds_tolerance(qs: Sequence[int], tolerance: int) -> bool:
    """True exactly when the spread of the judges' q is strictly greater than ``tolerance``."""
    return spread(qs) > tolerance


# --- Agreement ----------------------------------------------------------------------------------


def krippendorff_alpha(
    units: Mapping[U, Mapping[C, Fraction | int | str]],
    level: Literal["nominal", "interval"],
) -> Fraction | None:
    """Krippendorff's alpha of the coders' values, exactly.

    ``units`` maps each unit (activity) to ``{coder: value}``; a coder who did not code a unit is simply
    absent. Units with fewer than two values cannot be paired and are ignored. ``level="nominal"``
    counts any two different values as full disagreement (values may be any hashable, e.g. decisions);
    ``"interval"`` uses the squared difference (values must be numbers). Returns ``1 − D_o / D_e``, or
    None when no unit is pairable or no disagreement is possible (all pairable values equal, D_e = 0).
    """
    if level not in ("nominal", "interval"):
        raise ValueError(f"unknown level {level!r}")
    # Σ over units of (δ² summed over ordered pairs of values in the unit), grouped by the unit's number
    # of values m (each group is divided by m − 1 once): integers stay integers until the last step.
    pair_sums: dict[int, Fraction | int] = defaultdict(int)
    counts: dict[Any, int] = defaultdict(int)
    for coded in units.values():
        m = len(coded)
        if m < 2:
            continue
        if level == "nominal":
            per_value: dict[Any, int] = defaultdict(int)
            for value in coded.values():
                per_value[value] += 1
                counts[value] += 1
            # Ordered pairs of different values within the unit.
            pair_sums[m] += m * m - sum(c * c for c in per_value.values())
        else:
            numbers = [_number(v) for v in coded.values()]
            total: Fraction | int = sum(numbers)
            squares: Fraction | int = sum(x * x for x in numbers)
            pair_sums[m] += 2 * (m * squares - total * total)
            for number in numbers:
                counts[number] += 1
    n = sum(counts.values())
    if n == 0:
        return None
    observed = sum((Fraction(pairs) / (m - 1) for m, pairs in pair_sums.items()), Fraction(0))
    if level == "nominal":
        expected = Fraction(n * n - sum(c * c for c in counts.values()))
    else:
        first = sum(c * v for v, c in counts.items())
        second = sum(c * v * v for v, c in counts.items())
        expected = Fraction(2 * (n * second - first * first))
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def nominal_alpha_of_tallies(tallies: Mapping[tuple[int, ...], int]) -> Fraction | None:
    """Nominal Krippendorff's alpha from the units' tallies alone, as a database counts them: each key is
    one unit's count of each value (in a fixed order of the values, e.g. (verified, rejected)), each
    value how many units have that tally. Equal to ``krippendorff_alpha(units, "nominal")`` over those
    units (the alpha depends on nothing else); units with fewer than two values are ignored."""
    pair_sums: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    for tally, units in tallies.items():
        m = sum(tally)
        if m < 2 or units <= 0:
            continue
        pair_sums[m] += units * (m * m - sum(c * c for c in tally))
        for position, c in enumerate(tally):
            counts[position] += units * c
    n = sum(counts.values())
    if n == 0:
        return None
    observed = sum((Fraction(pairs, m - 1) for m, pairs in pair_sums.items()), Fraction(0))
    expected = Fraction(n * n - sum(c * c for c in counts.values()))
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def _number(value: Fraction | int | str) -> Fraction | int:
    if isinstance(value, str | bool):
        raise TypeError(f"interval alpha needs numbers, got {value!r}")
    if isinstance(value, int | Fraction):
        return value
    return Fraction(value)


# --- Judge quality ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewFact:
    """One judge's current review of one unit (activity)."""

    judge_id: int
    unit: Hashable
    decision: str
    q: int | None


@dataclass(frozen=True, slots=True)
class JudgeStats:
    """What the organisers see of one judge's work."""

    judge_id: int
    reviews: int
    mean_q: int | None
    rejection_rate: Fraction | None
    disagreement_rate: Fraction | None


def judge_stats(reviews: Sequence[ReviewFact], final_status: Mapping[Any, str]) -> list[JudgeStats]:
    """Per judge (sorted by id): reviews done, mean q given, rejection rate, disagreement with the panel.

    ``mean_q`` is the mean of the judge's non-None q in millionths (rounded half to even), None without
    any. ``rejection_rate`` is rejected ÷ reviews. ``disagreement_rate`` is, among the judge's reviews
    of units in ``final_status`` (decided units: unit → ``"verified"``/``"rejected"``), the share whose
    decision differs from the panel's; None when none of their units is decided. Pass one fact per
    (judge, unit) — the current version of each review; a repeat raises ValueError, as does an unknown
    decision.
    """
    seen: set[tuple[int, Hashable]] = set()
    by_judge: dict[int, list[ReviewFact]] = defaultdict(list)
    for review in reviews:
        if review.decision not in DECISIONS:
            raise ValueError(f"unknown decision {review.decision!r}")
        pair = (review.judge_id, review.unit)
        if pair in seen:
            raise ValueError(f"judge {review.judge_id} reviewed {review.unit!r} twice")
        seen.add(pair)
        by_judge[review.judge_id].append(review)
    stats: list[JudgeStats] = []
    for judge_id in sorted(by_judge):
        own = by_judge[judge_id]
        qs = [r.q for r in own if r.q is not None]
        rejected = sum(1 for r in own if r.decision == "rejected")
        decided = [r for r in own if r.unit in final_status]
        differing = sum(1 for r in decided if r.decision != final_status[r.unit])
        stats.append(
            JudgeStats(
                judge_id=judge_id,
                reviews=len(own),
                mean_q=div_round(sum(qs), len(qs)) if qs else None,
                rejection_rate=Fraction(rejected, len(own)),
                disagreement_rate=Fraction(differing, len(decided)) if decided else None,
            )
        )
    return stats


# --- Normalisation and stages -------------------------------------------------------------------


def _exact(value: Decimal | int, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or an int, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value}")
    return Fraction(value)


def _from_units(units: int) -> Decimal:
    """``units`` ten-thousandths as a Decimal with exactly 4 decimal places."""
    digits = tuple(int(d) for d in str(abs(units)))
    return Decimal((1 if units < 0 else 0, digits, -_PLACES))


def _quantised(value: Fraction) -> Decimal:
    """``value`` rounded half to even to 4 decimals, as a Decimal with exactly 4 decimal places."""
    return _from_units(round(value * 10**_PLACES))


def _scaled(value: Decimal, scale: int) -> int:
    """``value × 10**scale`` as an int; ``scale`` is at least the number of decimals of ``value``."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite: checked by _exact
    units: int = int("".join(map(str, digits))) * 10 ** (exponent + scale)
    return -units if sign else units


def _sqrt_ratio(numerator: int, denominator: int) -> Fraction:
    """√(numerator / denominator) to 28 significant digits (fixed context), as an exact Fraction."""
    with localcontext(_SQRT_CONTEXT) as ctx:
        root = (Decimal(numerator) / Decimal(denominator)).sqrt(ctx)
    return Fraction(root)


def normalise_judges(
    scores: Sequence[tuple[int, K, Decimal]], low: Decimal, high: Decimal
) -> dict[tuple[int, K], Decimal]:
    """Each judge's scores mapped through their own mean and spread onto everyone's.

    For a score ``s`` by a judge whose scores have mean ``m_j`` and (population) standard deviation
    ``sd_j``, with ``m`` and ``sd`` those of all the scores pooled: ``m + (s − m_j) × sd / sd_j``, or
    ``m + (s − m_j)`` (only shifted) when ``sd_j = 0`` (a single score, or all equal). Means and
    variances are exact; ``sd / sd_j`` is one square root of the exact variance ratio in a fixed
    28-digit context. The result is rounded half to even to 4 decimals and clamped to ``[low, high]``
    (a clamped value is ``low`` or ``high`` as given). Keyed by ``(judge_id, key)``; a repeated pair
    raises ValueError. With one judge every score maps to itself (rounded to 4 decimals, clamped).
    """
    low_exact, high_exact = _exact(low, "low"), _exact(high, "high")
    if low_exact > high_exact:
        raise ValueError("low must not exceed high")
    seen: set[tuple[int, K]] = set()
    for judge_id, key, score in scores:
        if (judge_id, key) in seen:
            raise ValueError(f"judge {judge_id} scored {key!r} twice")
        seen.add((judge_id, key))
        _exact(score, "score")
    if not scores:
        return {}
    # Every score as an integer number of 10^-scale: sums and sums of squares are then exact integers.
    scale = max(0, *(-int(Decimal(score).as_tuple().exponent) for _, _, score in scores))
    units = [(judge_id, key, _scaled(Decimal(score), scale)) for judge_id, key, score in scores]
    count = len(units)
    total = sum(x for _, _, x in units)
    pooled_spread = count * sum(x * x for _, _, x in units) - total * total  # = count² × variance
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for judge_id, _, x in units:
        acc = sums[judge_id]
        acc[0] += 1
        acc[1] += x
        acc[2] += x * x
    # Per judge: n_j, Σx_j and the factor sd / sd_j as a fraction fn / fd (1 without spread).
    factors: dict[int, tuple[int, int, int, int]] = {}
    for judge_id, (n_j, s_j, q_j) in sums.items():
        own_spread = n_j * q_j - s_j * s_j  # = n_j² × the judge's variance
        if own_spread == 0:
            fn, fd = 1, 1
        else:
            # Equal variances (e.g. a single judge) give √1 = 1 exactly.
            root = _sqrt_ratio(pooled_spread * n_j * n_j, count * count * own_spread)
            fn, fd = root.numerator, root.denominator
        factors[judge_id] = (n_j, s_j, fn, fd)
    # m + (x − m_j)·f in 10^-4: 10^4 · (Σx·n_j·fd + (x·n_j − Σx_j)·fn·count) / (count·n_j·fd·10^scale).
    places = 10**_PLACES
    result: dict[tuple[int, K], Decimal] = {}
    for judge_id, key, x in units:
        n_j, s_j, fn, fd = factors[judge_id]
        numerator = places * (total * n_j * fd + (x * n_j - s_j) * fn * count)
        mapped = _from_units(div_round(numerator, count * n_j * fd * 10**scale))
        if mapped < low:
            mapped = low
        elif mapped > high:
            mapped = high
        result[(judge_id, key)] = mapped
    return result


def combine_stages(
    stage_scores: Mapping[str, Mapping[str, Decimal]], weights: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """The final score per team: Σ over weighted stages of weight × (score ÷ the stage's best × 100).

    Each stage is scaled so that its best team has 100; a stage whose best score is ≤ 0 contributes 0;
    a team absent from a stage gets 0 there; stages without a weight (or weights without a stage) are
    ignored. Every team of any stage appears in the result. Exact, rounded half to even to 0.0001.
    """
    teams: set[str] = set()
    for scores in stage_scores.values():
        teams.update(scores)
    totals: dict[str, Fraction] = dict.fromkeys(teams, Fraction(0))
    for stage, scores in stage_scores.items():
        weight = weights.get(stage)
        if weight is None or not scores:
            continue
        exact = {team: _exact(score, f"score of {team} in {stage}") for team, score in scores.items()}
        best = max(exact.values())
        if best <= 0:
            continue
        scale = _exact(weight, f"weight of {stage}") * 100 / best
        for team, value in exact.items():
            totals[team] += value * scale
    return {team: _quantised(total) for team, total in sorted(totals.items())}
