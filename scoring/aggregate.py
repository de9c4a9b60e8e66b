"""How several judges' rubric scores become one quality q in [0, 1], exactly (in millionths)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from scoring.facts import Criterion, JudgeScore
from scoring.fixedpoint import div_round

__all__ = ["METHODS", "MICRO", "Rubric", "combine", "method_name", "rubric_for"]

#: q is carried as an integer number of millionths.
MICRO = 1_000_000
METHODS = ("mean", "median", "trimmed_mean")
_PICO = 10**12
# Weights in 10⁻¹² stay far below 2⁶⁴ even summed over a whole rubric.
_SHIFT = 64
_MASK = (1 << _SHIFT) - 1
_WEIGHT_LIMIT = (1 << _SHIFT) // _PICO


class Rubric:
    """The competition's criteria, prepared so that a judge's q costs one integer addition per score.

    A judge's q is ``Σ w·(s − min)/(max − min) / Σ w`` over the criteria that judge scored (scores are
    clamped to ``min..max``; unknown criteria and criteria with an empty range or no weight are
    ignored). Each term ``w·(s − min)/(max − min)`` and each weight is computed exactly once per
    distinct (criterion, score) pair as an integer number of 10⁻¹² (rounded half to even), and the two
    are packed into one integer (term above bit 64, weight below), so summing a judge's scores is one
    integer addition per score. q is then one integer division, rounded half to even to millionths.
    Every step is deterministic and independent of the order of the facts.
    """

    __slots__ = ("_criteria", "_memo")

    def __init__(self, criteria: Sequence[Criterion]) -> None:
        self._criteria = {c.code: c for c in criteria if c.max > c.min and c.weight > 0}
        if sum(c.weight for c in self._criteria.values()) * 16 > _WEIGHT_LIMIT:
            # A judge may repeat a criterion; 16 repeats of every weight must still fit below bit 64.
            raise ValueError(f"rubric weights must sum to at most {_WEIGHT_LIMIT // 16:,}")
        self._memo: dict[tuple[str, Decimal], int] = {}

    def _term(self, pair: tuple[str, Decimal]) -> int:
        criterion = self._criteria.get(pair[0])
        packed = 0
        if criterion is not None:
            score = min(max(pair[1], criterion.min), criterion.max)
            weight = Fraction(criterion.weight)
            share = weight * Fraction(score - criterion.min) / Fraction(criterion.max - criterion.min)
            packed = (round(share * _PICO) << _SHIFT) | round(weight * _PICO)
        self._memo[pair] = packed
        return packed

    def term_weight(self, pair: tuple[str, Decimal]) -> tuple[int, int]:
        """One (criterion, score) pair's term and weight in 10⁻¹² (both 0 for an unknown criterion)."""
        packed = self._memo.get(pair)
        if packed is None:
            packed = self._term(pair)
        return packed >> _SHIFT, packed & _MASK

    def judge_q(self, judge: JudgeScore) -> int | None:
        """One judge's q in millionths, or None when the judge scored no known criterion."""
        q, _ = self.quality((judge,), "mean", 0)
        return q

    def quality(self, judges: Sequence[JudgeScore], method: str, trim: int) -> tuple[int | None, int]:
        """The activity's q in millionths (None without usable scores) and how many judges counted."""
        memo = self._memo
        values: list[int] = []
        for judge in judges:
            total = 0
            for pair in judge.scores:
                try:
                    total += memo[pair]
                except KeyError:
                    total += self._term(pair)
            denominator = total & _MASK
            if denominator:
                q, remainder = divmod((total >> _SHIFT) * MICRO, denominator)
                twice = 2 * remainder
                if twice > denominator or (twice == denominator and q & 1):
                    q += 1
                values.append(q)
        if not values:
            return None, 0
        if len(values) == 1:
            return values[0], 1
        return combine(values, method, trim), len(values)


@lru_cache(maxsize=16)
def rubric_for(criteria: tuple[Criterion, ...]) -> Rubric:
    """The prepared rubric of these criteria, shared across evaluations: its memo of
    (criterion, score) terms only ever holds exact values derived from the criteria, and a season's
    judges use a few hundred distinct scores, so re-evaluating one team does not recompute them."""
    return Rubric(criteria)


def combine(values: Sequence[int], method: str, trim: int = 1) -> int:
    """Several judges' q (millionths) as one, rounded half to even.

    ``trimmed_mean`` drops the ``trim`` highest and lowest values when there are more than
    ``2 × trim`` of them, and otherwise takes the plain mean.
    """
    count = len(values)
    if method == "mean" or count == 1:
        return div_round(sum(values), count)
    ordered = sorted(values)
    if method == "median":
        middle = count // 2
        if count % 2:
            return ordered[middle]
        return div_round(ordered[middle - 1] + ordered[middle], 2)
    if method == "trimmed_mean" and trim > 0 and count > 2 * trim:
        ordered = ordered[trim : count - trim]
        count = len(ordered)
    return div_round(sum(ordered), count)


def method_name(method: str, locale: str) -> str:
    names = {
        "mean": ("rata-rata", "mean"),
        "median": ("median", "median"),
        "trimmed_mean": ("rata-rata terpangkas", "trimmed mean"),
    }[method]
    return names[0] if locale == "id" else names[1]
