"""The jury's pure arithmetic: who judges what, how a panel decides, and how judges' scores combine.

Nothing here reads a database, a clock or a random source: the web app gathers the facts (judges and
their open assignments, reviews, stage scores) and stores what these functions return. Every result is
deterministic and independent of the order of its inputs; arithmetic is exact (int, Fraction) and
rounded once, at the end, half to even. The semantics are described in ``docs/jury.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from fractions import Fraction
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


def region_key(code: str) -> str:
    """A regency/team code compared loosely: ``"35.78"``, ``"3578"`` and ``" 35.78 "`` are the same."""
    return "".join(ch for ch in code if ch not in ". \t\n-").casefold()


def eligible(judge: JudgeSlot, team_code: str) -> bool:
    """True when ``judge`` may judge ``team_code``: not their own regency and no declared conflict.

    Codes are compared with :func:`region_key` (dots, spaces and hyphens ignored, case-insensitive), so a
    conflict is never missed because one side is written ``35.78`` and the other ``3578``.
    """
    team = region_key(team_code)
    if judge.region_code is not None and region_key(judge.region_code) == team:
        return False
    return all(region_key(code) != team for code in judge.conflicts)


def _check_unique(judges: Sequence[JudgeSlot]) -> None:
    seen: set[int] = set()
    for judge in judges:
        if judge.judge_id in seen:
            raise ValueError(f"judge {judge.judge_id} appears twice")
        seen.add(judge.judge_id)


def _pick(
    team_code: str,
    judges: Iterable[JudgeSlot],
    loads: Mapping[int, int],
    needed: int,
    exclude: Collection[int],
) -> list[int]:
    if needed <= 0:
        return []
    barred = set(exclude)
    candidates = [
        (loads[judge.judge_id], judge.judge_id)
        for judge in judges
        if judge.judge_id not in barred and eligible(judge, team_code)
    ]
    candidates.sort()
    return [judge_id for _, judge_id in candidates[:needed]]


def choose_judges(
    team_code: str, judges: Sequence[JudgeSlot], needed: int, exclude: Collection[int] = ()
) -> list[int]:
    """Up to ``needed`` eligible judges for a team's activity, fewest open assignments first.

    Judges in ``exclude`` (already assigned to or already reviewed this activity) are never chosen; ties
    in load are broken by the lower ``judge_id``. Returns fewer ids when not enough judges are eligible
    (the app reports the shortfall). Raises ValueError when a judge id appears twice in ``judges``.
    """
    _check_unique(judges)
    loads = {judge.judge_id: judge.open_count for judge in judges}
    return _pick(team_code, judges, loads, needed, exclude)


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
    _check_unique(judges)
    loads = {judge.judge_id: judge.open_count for judge in judges}
    barred = exclude or {}
    result: dict[K, list[int]] = {}
    for key, team_code in items:
        if key in result:
            raise ValueError(f"item {key!r} appears twice")
        chosen = _pick(team_code, judges, loads, needed, barred.get(key, ()))
        for judge_id in chosen:
            loads[judge_id] += 1
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
    observed = Fraction(0)
    counts: dict[Any, int] = defaultdict(int)
    for coded in units.values():
        values = list(coded.values())
        m = len(values)
        if m < 2:
            continue
        if level == "nominal":
            per_value: dict[Any, int] = defaultdict(int)
            for value in values:
                per_value[value] += 1
            # Ordered pairs of different values within the unit.
            pairs: Fraction | int = m * m - sum(c * c for c in per_value.values())
        else:
            numbers = [_number(v) for v in values]
            total = sum(numbers, Fraction(0))
            pairs = 2 * (m * sum((x * x for x in numbers), Fraction(0)) - total * total)
        observed += Fraction(pairs) / (m - 1)
        for value in values:
            counts[value if level == "nominal" else _number(value)] += 1
    n = sum(counts.values())
    if n == 0:
        return None
    if level == "nominal":
        expected = Fraction(n * n - sum(c * c for c in counts.values()))
    else:
        first = sum((c * v for v, c in counts.items()), Fraction(0))
        second = sum((c * v * v for v, c in counts.items()), Fraction(0))
        expected = 2 * (n * second - first * first)
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def _number(value: Fraction | int | str) -> Fraction:
    if isinstance(value, str | bool):
        raise TypeError(f"interval alpha needs numbers, got {value!r}")
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


def _quantised(value: Fraction) -> Decimal:
    """``value`` rounded half to even to 4 decimals, as a Decimal with exactly 4 decimal places."""
    units = round(value * 10**_PLACES)
    digits = tuple(int(d) for d in str(abs(units)))
    return Decimal((1 if units < 0 else 0, digits, -_PLACES))


def _moments(values: Sequence[Fraction]) -> tuple[Fraction, Fraction]:
    """Mean and population variance, exactly."""
    count = len(values)
    mean = sum(values, Fraction(0)) / count
    variance = sum(((v - mean) ** 2 for v in values), Fraction(0)) / count
    return mean, variance


def _sqrt_ratio(numerator: Fraction, denominator: Fraction) -> Fraction:
    """√(numerator / denominator) to 28 significant digits (fixed context), as an exact Fraction."""
    ratio = numerator / denominator
    with localcontext(_SQRT_CONTEXT) as ctx:
        root = (Decimal(ratio.numerator) / Decimal(ratio.denominator)).sqrt(ctx)
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
    by_judge: dict[int, list[Fraction]] = defaultdict(list)
    exact: dict[tuple[int, K], Fraction] = {}
    for judge_id, key, score in scores:
        if (judge_id, key) in exact:
            raise ValueError(f"judge {judge_id} scored {key!r} twice")
        value = _exact(score, "score")
        exact[(judge_id, key)] = value
        by_judge[judge_id].append(value)
    if not exact:
        return {}
    pooled_mean, pooled_variance = _moments(list(exact.values()))
    factors: dict[int, tuple[Fraction, Fraction]] = {}
    for judge_id, values in by_judge.items():
        mean, variance = _moments(values)
        # Zero spread: only shifted. Equal spread (e.g. a single judge): √1 = 1 exactly.
        factor = Fraction(1) if variance == 0 else _sqrt_ratio(pooled_variance, variance)
        factors[judge_id] = (mean, factor)
    result: dict[tuple[int, K], Decimal] = {}
    for (judge_id, key), value in exact.items():
        mean, factor = factors[judge_id]
        mapped = _quantised(pooled_mean + (value - mean) * factor)
        if mapped < low_exact:
            mapped = low
        elif mapped > high_exact:
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
