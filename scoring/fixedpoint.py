"""Exact fixed-point arithmetic (thousandths of a point) and the display format of points."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

__all__ = ["MILLI", "div_round", "format_points", "from_milli", "to_milli"]

#: Internal resolution: one point is 1,000 units. Every contribution is an integer number of units, so
#: sums are exact and independent of the order in which they are added.
MILLI = 1000
_THOUSANDTH = Decimal("0.001")
_HUNDREDTH = Decimal("0.01")


def div_round(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half to even (banker's rounding); ``denominator > 0``."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient & 1):
        return quotient + 1
    return quotient


def to_milli(value: Decimal | int) -> int:
    """An exact number of thousandths; raises ValueError if ``value`` has finer precision."""
    if isinstance(value, int):
        return value * MILLI
    scaled = value * MILLI
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than 3 decimal places")
    return int(scaled)


@lru_cache(maxsize=65536)
def from_milli(units: int) -> Decimal:
    """The Decimal value of ``units`` thousandths, always with three decimal places.

    Memoised (Decimals are immutable): explanation lines repeat the same few values many times.
    """
    return Decimal(units).scaleb(-3).quantize(_THOUSANDTH)


def format_points(value: Decimal | int, locale: str = "id") -> str:
    """Points for display: rounded half up to at most 2 decimals, without trailing zeros.

    ``locale="id"`` writes ``1.234,5`` (Indonesian), anything else ``1,234.5``.
    """
    return _format_points(value, locale)


@lru_cache(maxsize=65536)
def _format_points(value: Decimal | int, locale: str) -> str:
    rounded = Decimal(value).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = Decimal(0).quantize(_HUNDREDTH)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    fraction = fraction.rstrip("0")
    group, point = (".", ",") if locale == "id" else (",", ".")
    groups = []
    while len(whole) > 3:
        groups.append(whole[-3:])
        whole = whole[:-3]
    groups.append(whole)
    text = group.join(reversed(groups))
    return f"{sign}{text}{point}{fraction}" if fraction else f"{sign}{text}"
