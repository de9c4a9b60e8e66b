"""What an evaluation returns — explained lines, team results, standings, comparisons — shared by the
reference engine and the columnar fast path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from scoring.facts import Adjustment
from scoring.fixedpoint import from_milli, to_milli

__all__ = ["ADJUSTMENT", "Comparison", "Line", "Standings", "TeamResult", "adjustment_line"]

#: The subtotal and line key of the organisers' adjustments.
ADJUSTMENT = "adjustment"


class Line(msgspec.Struct, frozen=True):
    """One explained contribution: which rule, which activity or period, how many points, and why.

    Eligibility rules write a 0-point line for each activity they removed; the lines of a team add up
    to its score.
    """

    rule: str
    activity_id: int | None
    period: str | None
    points: Decimal
    reason_id: str
    reason_en: str


def adjustment_line(adjustment: Adjustment) -> Line:
    """The line of one organisers' bonus or penalty."""
    return Line(
        ADJUSTMENT,
        None,
        None,
        from_milli(to_milli(adjustment.points)),
        f"Penyesuaian panitia #{adjustment.id}: {adjustment.reason}",
        f"Organisers' adjustment #{adjustment.id}: {adjustment.reason}",
    )


class TeamResult:
    """One team's standing. ``lines`` are built on first access (a full evaluation of a season can
    hold millions of them), from the contributions kept by the evaluation."""

    __slots__ = (
        "_build_lines",
        "_lines",
        "counted",
        "coverage",
        "last_activity_at",
        "quality",
        "rank",
        "score",
        "subtotals",
        "team",
    )

    def __init__(
        self,
        team: str,
        rank: int,
        score: Decimal,
        counted: int,
        subtotals: dict[str, Decimal],
        lines: tuple[Line, ...] | Callable[[], tuple[Line, ...]],
        quality: Decimal | None,
        coverage: Decimal,
        last_activity_at: datetime | None,
    ) -> None:
        self.team = team
        self.rank = rank
        self.score = score
        self.counted = counted
        self.subtotals = subtotals
        self.quality = quality
        self.coverage = coverage
        self.last_activity_at = last_activity_at
        if callable(lines):
            self._lines: tuple[Line, ...] | None = None
            self._build_lines: Callable[[], tuple[Line, ...]] | None = lines
        else:
            self._lines = lines
            self._build_lines = None

    @property
    def lines(self) -> tuple[Line, ...]:
        if self._lines is None:
            assert self._build_lines is not None
            self._lines = self._build_lines()
            self._build_lines = None
        return self._lines

    def with_rank(self, rank: int) -> TeamResult:
        """The same result at another rank (the explanation is shared, not rebuilt)."""
        other = TeamResult.__new__(TeamResult)
        for name in TeamResult.__slots__:
            setattr(other, name, getattr(self, name))
        other.rank = rank
        return other

    def _fields(self) -> tuple[Any, ...]:
        return (
            self.team,
            self.rank,
            self.score,
            self.counted,
            self.subtotals,
            self.lines,
            self.quality,
            self.coverage,
            self.last_activity_at,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TeamResult) and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"TeamResult(team={self.team!r}, rank={self.rank}, score={self.score}, counted={self.counted}, "
            f"subtotals={self.subtotals!r}, quality={self.quality}, coverage={self.coverage}, "
            f"last_activity_at={self.last_activity_at!r})"
        )

    def to_builtins(self) -> dict[str, Any]:
        """Plain data for storage or JSON (Decimals and datetimes kept as such; lines as dicts)."""
        return {
            "team": self.team,
            "rank": self.rank,
            "score": self.score,
            "counted": self.counted,
            "subtotals": dict(self.subtotals),
            "lines": msgspec.to_builtins(self.lines, builtin_types=(Decimal,)),
            "quality": self.quality,
            "coverage": self.coverage,
            "last_activity_at": self.last_activity_at,
        }


@dataclass(frozen=True, slots=True)
class Standings:
    """The ranked results of one period and view, best first."""

    period: str
    view: str
    rows: tuple[TeamResult, ...]

    def row(self, team: str) -> TeamResult:
        for result in self.rows:
            if result.team == team:
                return result
        raise KeyError(team)


class Comparison(msgspec.Struct, frozen=True):
    """One team under two rulesets: the what-if preview."""

    team_code: str
    rank_a: int
    score_a: Decimal
    rank_b: int
    score_b: Decimal
