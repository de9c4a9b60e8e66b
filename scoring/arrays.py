"""Exact integer arithmetic and counting sorts over NumPy arrays: what the columnar kernels compute
with (see :mod:`scoring.columnar`).

Every helper keeps the reference engine's arithmetic exactly: int64 values are checked before a
product or a sum could leave the range where int64 is exact, and :class:`Unsupported` sends the
evaluation to the reference path instead.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "SAFE",
    "Bools",
    "Ints",
    "Unsupported",
    "check_product",
    "check_sum",
    "distinct_per_team",
    "div_round_array",
    "in_order",
    "radix_order",
    "stable_argsort",
]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: Every int64 the kernels form stays below this in absolute value (products are checked first).
SAFE = 1 << 60


class Unsupported(Exception):
    """These facts or parameters are outside what the kernels compute exactly (say, a head count
    beyond int64, or points that could overflow it): use the reference path."""


def in_order(owner: Ints, instant: Ints, ids: Ints) -> bool:
    """The rows are already sorted by (team, instant, id), ids strictly increasing on equal times."""
    if len(owner) < 2:
        return True
    # Compared, not subtracted: a difference of two int64 can wrap around.
    same_team, same_time = owner[1:] == owner[:-1], instant[1:] == instant[:-1]
    later = (instant[1:] > instant[:-1]) | (same_time & (ids[1:] > ids[:-1]))
    return bool(np.all((owner[1:] > owner[:-1]) | (same_team & later)))


def radix_order(owner: Ints, instant: Ints, ids: Ints) -> Ints:
    """``np.lexsort((ids, instant, owner))`` (non-negative owners) as least-significant-digit radix
    passes over 16-bit digits: NumPy sorts 16-bit integers stably by counting, in linear time, where
    a comparison sort of a million 64-bit keys costs three times as much. Times that are all whole
    minutes (or seconds, or milliseconds) are counted in that unit, and owner and time share one key
    when they fit in 62 bits: fewer digits, fewer passes."""
    size = len(owner)
    if not size:
        return np.zeros(0, dtype=np.int64)
    if bool(np.all(ids[1:] > ids[:-1])):
        order = np.arange(size, dtype=np.int64)  # ties on (owner, instant) keep the ids' order
    else:
        order = np.argsort(ids, kind="stable")
    offset = instant - int(instant.min())
    for unit in (60_000_000, 1_000_000, 1_000):
        if not np.any(offset % unit):
            offset = offset // unit
            break
    time_bits = int(offset.max()).bit_length()
    keys = [offset, owner]
    if time_bits + int(owner.max()).bit_length() <= 62:
        keys = [(owner << time_bits) | offset]
    for key in keys:
        order = stable_argsort(key, order)
    return order


def stable_argsort(key: Ints, order: Ints | None = None) -> Ints:
    """``order[np.argsort(key[order], kind="stable")]`` for non-negative keys, by counting passes
    over 16-bit digits (``order`` defaults to every index in turn). The digits are cut once, in the
    key's own order; each pass reads its digit through the order so far (a small array to gather
    from, where carrying the whole key along would move four times the bytes)."""
    if order is None:
        order = np.arange(len(key), dtype=np.int64)
    bits = int(key.max()).bit_length() if len(key) else 0
    for shift in range(0, bits, 16):
        digit = ((key >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit[order], kind="stable")]
    return order


def div_round_array(numerator: Ints, denominator: int | Ints) -> Ints:
    """:func:`scoring.fixedpoint.div_round` element-wise (floor division, then half to even)."""
    quotient, remainder = np.divmod(numerator, denominator)
    twice = 2 * remainder
    up = (twice > denominator) | ((twice == denominator) & ((quotient & 1) == 1))
    result: Ints = quotient + up
    return result


def _largest(values: Ints) -> int:
    return int(np.abs(values).max()) if len(values) else 0


def check_product(values: Ints, factor: int) -> None:
    """``values * factor`` stays exact in int64."""
    if _largest(values) * abs(factor) >= SAFE:
        raise Unsupported("points too large for exact int64 arithmetic")


def check_sum(values: Ints) -> None:
    """Any sum of ``values`` (and adding one such array to another) stays exact in int64."""
    if _largest(values) * (len(values) + 1) >= SAFE:
        raise Unsupported("points too large for exact int64 arithmetic")


def distinct_per_team(codes: Ints, team_of: Ints, teams: int, kinds: int) -> Ints:
    """Per team how many distinct codes (>= 0) it has."""
    valid = codes >= 0
    width = max(kinds, 1)
    pairs = team_of[valid] * width + codes[valid]
    if teams * width <= 1 << 22:  # few kinds (clusters, types): count every (team, kind) cell
        cells = np.bincount(pairs, minlength=teams * width).reshape(teams, width)
        counted: Ints = np.count_nonzero(cells, axis=1).astype(np.int64)
        return counted
    codes, team_of = codes[valid], team_of[valid]
    owner = np.full(width, -1, dtype=np.int64)
    owner[codes] = team_of  # among repeated codes one write wins: checked just below
    if np.array_equal(owner[codes], team_of):
        # Every code is seen with one team only (desa codes start with their regency's): the
        # distinct pairs are the distinct codes, each counted for its team.
        owned: Ints = np.bincount(owner[owner >= 0], minlength=teams).astype(np.int64)
        return owned
    result: Ints = np.bincount(np.unique(pairs) // width, minlength=teams).astype(np.int64)
    return result
