"""The tie-break chain and competition ranking (1, 2, 2, 4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

__all__ = ["Rankable", "competition_ranks", "sort_key"]


class Rankable(Protocol):
    @property
    def team(self) -> str: ...
    @property
    def score(self) -> Decimal: ...
    @property
    def counted(self) -> int: ...
    @property
    def quality(self) -> Decimal | None: ...
    @property
    def coverage(self) -> Decimal: ...
    @property
    def last_activity_at(self) -> datetime | None: ...


T = TypeVar("T", bound=Rankable)


def _none_last(value: Any) -> tuple[int, Any]:
    return (1, 0) if value is None else (0, value)


# Each key maps a result to something where smaller is better.
_KEYS: dict[str, Callable[[Rankable], Any]] = {
    "score": lambda r: -r.score,
    "counted_activities": lambda r: -r.counted,
    "quality": lambda r: _none_last(None if r.quality is None else -r.quality),
    "coverage": lambda r: -r.coverage,
    # Earlier wins; a team that never had a counted activity comes after every team that did.
    "earliest_last_activity": lambda r: _none_last(r.last_activity_at),
}


def sort_key(tie_break: Sequence[str]) -> Callable[[Rankable], tuple[Any, ...]]:
    """The key ordering results best first by the chain (higher score, more activities, better
    quality, wider coverage, earlier last activity)."""
    getters = [_KEYS[name] for name in tie_break]

    def key(result: Rankable) -> tuple[Any, ...]:
        return tuple(get(result) for get in getters)

    return key


def competition_ranks(results: Sequence[T], tie_break: Sequence[str]) -> list[tuple[int, T]]:
    """Results best first with their rank: equal on every key share a rank, the next rank skips.
    Teams sharing a rank are listed by team code."""
    key = sort_key(tie_break)
    keyed = sorted(((key(r), r.team, r) for r in results), key=lambda item: (item[0], item[1]))
    ranked: list[tuple[int, T]] = []
    previous: tuple[Any, ...] | None = None
    rank = 0
    for position, (k, _, result) in enumerate(keyed, start=1):
        if previous is None or k != previous:
            rank = position
            previous = k
        ranked.append((rank, result))
    return ranked
