"""How several judges' rubric scores become one quality q in [0, 1], exactly (in millionths)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from scoring.facts import Criterion, JudgeScore
from scoring.fixedpoint import div_round

__all__ = ["METHODS", "MICRO", "Rubric", "combine", "method_name"]

#: q is carried as an integer number of millionths.
MICRO = 1_000_000
METHODS = ("mean", "median", "trimmed_mean")
_PICO = 10**12
_MISSING = object()


class Rubric:
    """The competition's criteria, prepared so that a judge's q costs a few integer additions.

    A judge's q is ``Σ w·(s − min)/(max − min) / Σ w`` over the criteria that judge scored (scores are
    clamped to ``min..max``; unknown criteria and criteria with an empty range or no weight are
    ignored). Each term ``w·(s − min)/(max − min)`` and each weight is computed exactly once per
    distinct (criterion, score) pair and kept as an integer number of 10⁻¹² (rounded half to even), so
    a judge's q is a sum of integers and one integer division, rounded half to even to millionths.
    Every step is deterministic and independent of the order of the facts.
    """

    __slots__ = ("_criteria", "_memo")

    def __init__(self, criteria: Sequence[Criterion]) -> None:
        self._criteria = {c.code: c for c in criteria if c.max > c.min and c.weight > 0}
        self._memo: dict[tuple[str, Decimal], tuple[int, int] | None] = {}

    def _term(self, pair: tuple[str, Decimal]) -> tuple[int, int] | None:
        criterion = self._criteria.get(pair[0])
        result = None
        if criterion is not None:
            score = min(max(pair[1], criterion.min), criterion.max)
            weight = Fraction(criterion.weight)
            share = weight * Fraction(score - criterion.min) / Fraction(criterion.max - criterion.min)
            result = (round(share * _PICO), round(weight * _PICO))
        self._memo[pair] = result
        return result

    def judge_q(self, judge: JudgeScore) -> int | None:
        """One judge's q in millionths, or None when the judge scored no known criterion."""
        memo = self._memo
        numerator = denominator = 0
        for pair in judge.scores:
            term = memo.get(pair, _MISSING)
            if term is _MISSING:
                term = self._term(pair)
            if term is not None:
                numerator += term[0]  # type: ignore[index]
                denominator += term[1]  # type: ignore[index]
        if not denominator:
            return None
        return div_round(numerator * MICRO, denominator)

    def quality(self, judges: Sequence[JudgeScore], method: str, trim: int) -> tuple[int | None, int]:
        """The activity's q in millionths (None without usable scores) and how many judges counted."""
        values = [q for q in map(self.judge_q, judges) if q is not None]
        if not values:
            return None, 0
        return combine(values, method, trim), len(values)


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
