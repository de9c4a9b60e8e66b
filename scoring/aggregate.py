"""How several judges' rubric scores become one quality q in [0, 1], exactly (in millionths)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from scoring.facts import Criterion, JudgeScore
from scoring.fixedpoint import div_round

__all__ = ["METHODS", "MICRO", "Rubric", "combine", "method_name"]

#: q is carried as an integer number of millionths.
MICRO = 1_000_000
METHODS = ("mean", "median", "trimmed_mean")
_ZERO = Decimal(0)


class Rubric:
    """The competition's criteria, prepared so that a judge's q costs a few exact Decimal additions.

    A judge's q is ``Σ w·(s − min)/(max − min) / Σ w`` over the criteria that judge scored (scores are
    clamped to ``min..max``; unknown criteria and criteria with an empty range or no weight are
    ignored). Multiplying every term by ``R``, the product of all ranges, makes each term an exact
    Decimal; terms are memoised per (criterion, score) pair, since judges give the same scores again
    and again. The one division per judge is rounded half to even to millionths; its operands are
    small enough that the 28-digit Decimal quotient rounds exactly as the true ratio would.
    """

    __slots__ = ("_memo", "_terms")

    def __init__(self, criteria: Sequence[Criterion]) -> None:
        usable = [c for c in criteria if c.max > c.min and c.weight > 0]
        product = Decimal(1)
        for c in usable:
            product *= c.max - c.min
        self._terms: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]] = {}
        for position, c in enumerate(usable):
            others = Decimal(1)
            for other in usable[:position] + usable[position + 1 :]:
                others *= other.max - other.min
            # (min, max, weight × R / range, weight × R): numerator and denominator terms.
            self._terms[c.code] = (c.min, c.max, c.weight * others, c.weight * product)
        self._memo: dict[tuple[str, Decimal], tuple[Decimal, Decimal] | None] = {}

    def _term(self, pair: tuple[str, Decimal]) -> tuple[Decimal, Decimal] | None:
        term = self._terms.get(pair[0])
        if term is None:
            result = None
        else:
            low, high, scale, weight = term
            score = min(max(pair[1], low), high)
            result = ((score - low) * scale, weight)
        self._memo[pair] = result
        return result

    def judge_q(self, judge: JudgeScore) -> int | None:
        """One judge's q in millionths, or None when the judge scored no known criterion."""
        memo = self._memo
        numerator = _ZERO
        denominator = _ZERO
        for pair in judge.scores:
            term = memo[pair] if pair in memo else self._term(pair)
            if term is not None:
                numerator += term[0]
                denominator += term[1]
        if not denominator:
            return None
        return int((numerator * MICRO / denominator).to_integral_value(ROUND_HALF_EVEN))

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
    ordered = sorted(values)
    count = len(ordered)
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
