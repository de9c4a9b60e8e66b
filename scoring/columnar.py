"""The columnar fast path: the built-in rules as fused kernels over columns of the facts.

:func:`columns_of` turns the facts once into columns — the season's candidate activities (verified, of a
known team, inside the competition's dates) grouped by team and, within a team, ordered by
(``occurred_at``, ``id``), with each field the rules read as one NumPy array of integers (strings as
small codes). The columns are kept for as long as the facts object lives, so that every evaluation of
the same facts (the overall standings, each cluster and type, each week and month, both sides of a
what-if comparison) shares them.

:func:`evaluate_columns` evaluates a ruleset made only of built-in rules over those columns, for all
teams at once: each rule is a few whole-array operations. The arithmetic is the reference engine's,
exactly: integer thousandths (and millionths for q) in int64, the same half-to-even divisions; a
ruleset whose numbers could leave the range where int64 is exact raises :class:`Unsupported` and is
evaluated by the reference path instead.

Explanation lines are not formatted during the evaluation: each team's lines are built when first
asked for, by the rules' own ``explain``/``explain_removed``/``team_points`` methods from what the
kernels kept (the positions each eligibility rule kept, each activity rule's points), so they are the
lines the reference engine writes. ``tests/unit/scoring/test_columnar.py`` proves with Hypothesis that
this path gives the reference engine's results — totals, subtotals, ranking keys and every line.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import chain, compress, repeat
from operator import attrgetter, eq, sub
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from scoring.aggregate import MICRO, rubric_for
from scoring.facts import CLUSTERS, Activity, ActivityTable, Adjustment, Facts, JudgeScore, Team, microseconds
from scoring.fixedpoint import MILLI, div_round, from_milli, to_milli
from scoring.periods import Calendar, Period, calendar_for
from scoring.rules import (
    cap_per_period,
    cluster_balance,
    consistency_bonus,
    coverage,
    joint_only,
    judge_quality,
    points_per_activity,
    preemptive_multiplier,
    reach_bonus,
)
from scoring.rules.base import ActivityRule, EligibilityRule, Rule, TeamContext, TeamRule

if TYPE_CHECKING:
    from scoring.engine import Line, TeamResult, _Compiled

__all__ = ["Columns", "Unsupported", "columns_of", "evaluate_columns", "supports"]

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_occurred_at = attrgetter("occurred_at")
_status = attrgetter("status")
_team = attrgetter("team")
_judge_scores = attrgetter("judge_scores")
#: The integer fields read into arrays when the columns are built (``id`` first: the last sort key).
_NUMBERS = ("id", "senkom_count", "officer_count", "residents_reached", "preemptive")
_numbers = attrgetter(*_NUMBERS)
#: The string fields read as small codes when the columns are built.
_CODED = ("type", "cluster", "desa_code")
#: The coded string fields of an ActivityTable, and where the table keeps their names.
_TABLE_NAMES = {
    "type": "type_names",
    "cluster": "cluster_names",
    "desa_code": "desa_names",
}
_days = attrgetter("days")
_seconds = attrgetter("seconds")
_microseconds = attrgetter("microseconds")
#: Every int64 the kernels form stays below this in absolute value (products are checked first).
_SAFE = 1 << 60
_DAY = 86_400_000_000  # microseconds
_NOT_YET = -2  # a q not computed yet
_NO_Q = -1  # an activity without usable rubric scores

#: The rule objects this module has a kernel for (by identity: a plugin reusing an id is not one).
KERNEL_RULES: frozenset[int] = frozenset(
    id(module.RULE)
    for module in (
        joint_only,
        cap_per_period,
        points_per_activity,
        reach_bonus,
        preemptive_multiplier,
        judge_quality,
        consistency_bonus,
        coverage,
        cluster_balance,
    )
)


class Unsupported(Exception):
    """These facts or parameters are outside what the kernels compute exactly (say, a head count
    beyond int64, or points that could overflow it): use the reference path."""


def supports(rules: Iterable[Rule]) -> bool:
    """True when every rule is a built-in one with a kernel here."""
    return all(id(rule) in KERNEL_RULES for rule in rules)


def _ints(values: Iterable[int], size: int) -> Ints:
    try:
        return np.fromiter(values, dtype=np.int64, count=size)
    except OverflowError:
        raise Unsupported("an integer field does not fit in int64") from None


def _codes(values: list[Any]) -> tuple[Ints, list[Any]]:
    """Each value as the index of its kind among the distinct values (in order of first appearance:
    the codes only name values, nothing is ordered by them); None as -1."""
    kinds = list(dict.fromkeys(values))
    if None in kinds:
        kinds.remove(None)
    index: dict[Any, int] = dict(zip(kinds, range(len(kinds)), strict=True))
    index[None] = -1
    return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values)), kinds


def _in_order(owner: Ints, instant: Ints, ids: Ints) -> bool:
    """The rows are already sorted by (team, instant, id), ids strictly increasing on equal times."""
    if len(owner) < 2:
        return True
    # Compared, not subtracted: a difference of two int64 can wrap around.
    same_team, same_time = owner[1:] == owner[:-1], instant[1:] == instant[:-1]
    later = (instant[1:] > instant[:-1]) | (same_time & (ids[1:] > ids[:-1]))
    return bool(np.all((owner[1:] > owner[:-1]) | (same_team & later)))


def _radix_order(owner: Ints, instant: Ints, ids: Ints) -> Ints:
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
        order = _stable_argsort(key, order)
    return order


def _stable_argsort(key: Ints, order: Ints | None = None) -> Ints:
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


def _div_round(numerator: Ints, denominator: int | Ints) -> Ints:
    """:func:`scoring.fixedpoint.div_round` element-wise (floor division, then half to even)."""
    quotient, remainder = np.divmod(numerator, denominator)
    twice = 2 * remainder
    up = (twice > denominator) | ((twice == denominator) & ((quotient & 1) == 1))
    result: Ints = quotient + up
    return result


def _largest(values: Ints) -> int:
    return int(np.abs(values).max()) if len(values) else 0


def _check_product(values: Ints, factor: int) -> None:
    """``values * factor`` stays exact in int64."""
    if _largest(values) * abs(factor) >= _SAFE:
        raise Unsupported("points too large for exact int64 arithmetic")


def _check_sum(values: Ints) -> None:
    """Any sum of ``values`` (and adding one such array to another) stays exact in int64."""
    if _largest(values) * (len(values) + 1) >= _SAFE:
        raise Unsupported("points too large for exact int64 arithmetic")


class Columns:
    """The facts as columns, built once (see the module's docstring).

    Position ``p`` is one candidate activity: ``activities[p]``, on local day ``day[p]``, of team
    ``team_of[p]`` (an index into ``teams``); team ``t`` holds positions ``bounds[t]:bounds[t + 1]``,
    in (``occurred_at``, ``id``) order. Other columns are read when a rule first needs them and kept.

    From a tuple of :class:`Activity` the fields are read attribute by attribute (C-level passes over
    a million objects: the costly part). From an :class:`ActivityTable` they are array selections,
    and the judges' q are computed with whole-array arithmetic too.
    """

    __slots__ = (
        "_activities",
        "_activity_list",
        "_cache",
        "_codes",
        "_moment",
        "_scores",
        "_table",
        "_table_rows",
        "adjustments",
        "bounds",
        "calendar",
        "competition",
        "day",
        "quality",
        "team_of",
        "teams",
    )
    _activity_list: Callable[[], list[Activity]]
    _moment: Callable[[int], datetime]

    def __init__(self, facts: Facts) -> None:
        competition = facts.competition
        calendar = calendar_for(competition.starts_on, competition.ends_on, competition.timezone)
        self.competition = competition
        self.calendar: Calendar = calendar
        index: dict[str, int] = {}
        teams: list[Team] = []
        for team in facts.teams:
            at = index.get(team.code)
            if at is None:
                index[team.code] = len(teams)
                teams.append(team)
            else:
                teams[at] = team  # as the reference engine: the last team listed with a code wins
        self.teams = teams
        self._cache: dict[Any, Any] = {}
        self._codes: dict[str, list[Any]] = {}
        self._activities: list[Activity] | None = None
        self._scores: dict[int, tuple[JudgeScore, ...]] | None = None
        self._table: ActivityTable | None = None
        self._table_rows: Ints | None = None
        if isinstance(facts.activities, ActivityTable):
            self._from_table(facts.activities, index)
        else:
            self._from_structs(facts.activities, index)
        self.bounds: list[int] = np.searchsorted(
            self.team_of, np.arange(len(teams) + 1, dtype=np.int64)
        ).tolist()
        by_team: list[list[Adjustment]] = [[] for _ in teams]
        get = index.get
        for adjustment in facts.adjustments:
            if (t := get(adjustment.team)) is not None:
                by_team[t].append(adjustment)
        self.adjustments = by_team
        self.quality: dict[tuple[str, int], Ints] = {}

    def _from_structs(self, everything: Sequence[Activity], index: dict[str, int]) -> None:
        calendar = self.calendar
        get = index.get
        # C-level passes: the verified activities, their team, their local day; then one sort by
        # (team, instant, id) in NumPy, the instant as exact integer microseconds since the origin.
        verified = list(compress(everything, map(eq, map(_status, everything), repeat("verified"))))
        size = len(verified)
        owner = np.fromiter(map(get, map(_team, verified), repeat(-1, size)), dtype=np.int64, count=size)
        moments = list(map(_occurred_at, verified))
        offsets = list(map(sub, moments, repeat(calendar.origin, size)))
        if calendar.uniform:
            local = np.fromiter(map(_days, offsets), dtype=np.int64, count=size)
        else:
            local = np.array(calendar.days_of(moments), dtype=np.int64)
        inside = np.flatnonzero((owner >= 0) & (local >= 0) & (local < calendar.ndays))
        chosen: list[int] = inside.tolist()
        count = len(chosen)
        offsets = list(map(offsets.__getitem__, chosen))
        instant = (
            np.fromiter(map(_days, offsets), dtype=np.int64, count=count) * 86_400_000_000
            + np.fromiter(map(_seconds, offsets), dtype=np.int64, count=count) * 1_000_000
            + np.fromiter(map(_microseconds, offsets), dtype=np.int64, count=count)
        )
        picked = list(map(verified.__getitem__, chosen))
        owner, local = owner[inside], local[inside]
        # Every field the kernels read, read now in the facts' own order (the order the activities
        # lie in memory: reading them in team order later would miss the CPU cache on each one).
        numbers = _ints(chain.from_iterable(map(_numbers, picked)), count * len(_NUMBERS))
        numbers = numbers.reshape(count, len(_NUMBERS))
        order = _radix_order(owner, instant, numbers[:, 0])
        ordered: list[int] = order.tolist()
        self._activity_list = lambda: list(map(picked.__getitem__, ordered))
        self._moment = lambda position: moments[chosen[ordered[position]]]
        self.day: Ints = local[order]
        self.team_of: Ints = owner[order]
        for column, name in enumerate(_NUMBERS):
            self._cache[("ints", name)] = numbers[order, column]
        for name in _CODED:
            codes, self._codes[name] = _codes(list(map(attrgetter(name), picked)))
            self._cache[("codes", name)] = codes[order]
        scores = list(map(_judge_scores, picked))
        scored = np.fromiter(map(bool, scores), dtype=np.bool_, count=count)
        self._cache[("flags", "judge_scores")] = scored[order]
        self._cache[("flags", "preemptive")] = self._cache[("ints", "preemptive")] != 0
        #: The judges' scores of the scored activities, by position.
        self._scores = dict(
            zip(
                np.flatnonzero(scored[order]).tolist(),
                compress(map(scores.__getitem__, ordered), scored[order].tolist()),
                strict=True,
            )
        )

    def _from_table(self, table: ActivityTable, index: dict[str, int]) -> None:
        calendar = self.calendar
        owner_of = np.array([index.get(name, -1) for name in table.team_names] + [-1], dtype=np.int64)
        verified = table.status_names.index("verified") if "verified" in table.status_names else -2
        rows = np.flatnonzero(table.status == verified)
        owner = owner_of[table.team[rows]]
        moments = table.occurred_at[rows]
        instant = moments - microseconds(calendar.origin)
        if calendar.uniform:
            local = instant // _DAY
        else:
            midnights = np.array([microseconds(m) for m in calendar.midnights], dtype=np.int64)
            local = np.searchsorted(midnights, moments, side="right").astype(np.int64) - 1
        inside = (owner >= 0) & (local >= 0) & (local < calendar.ndays)
        rows, owner, instant, local = rows[inside], owner[inside], instant[inside], local[inside]
        ids = table.id[rows]
        if not _in_order(owner, instant, ids):  # a loader ordering by (team, time, id) skips the sort
            order = _radix_order(owner, instant, ids)
            rows, owner, local = rows[order], owner[order], local[order]
        self._table, self._table_rows = table, rows
        self._activity_list = lambda: table.activities(rows)
        self._moment = lambda position: table.moment(int(rows[position]))
        self.day = local
        self.team_of = owner

    def __len__(self) -> int:
        return len(self.day)

    @property
    def activities(self) -> list[Activity]:
        """The candidate activities in position order (built when first needed: for explanations)."""
        if self._activities is None:
            self._activities = self._activity_list()
        return self._activities

    @property
    def scores(self) -> dict[int, tuple[JudgeScore, ...]]:
        """The judges' scores of the scored activities, by position."""
        if self._scores is None:
            table, rows = self._table, self._table_rows
            assert table is not None and rows is not None
            self._scores = {
                position: table.judge_scores[row]
                for position, row in enumerate(rows.tolist())
                if row in table.judge_scores
            }
        return self._scores

    def occurred_at(self, position: int) -> datetime:
        """``activities[position].occurred_at`` without building ``activities``."""
        moment: datetime = self._moment(position)
        return moment

    def column(self, name: str) -> list[Any]:
        """``[a.<name> for a in activities]``, read once."""
        values: list[Any] | None = self._cache.get(name)
        if values is None:
            values = self._cache[name] = list(map(attrgetter(name), self.activities))
        return values

    def ints(self, name: str) -> Ints:
        """An integer field as an array."""
        key = ("ints", name)
        values: Ints | None = self._cache.get(key)
        if values is None:
            if self._table is not None:  # read when a rule first needs it: one gather
                values = getattr(self._table, name)[self._table_rows].astype(np.int64, copy=False)
            else:
                values = _ints(map(attrgetter(name), self.activities), len(self))
            self._cache[key] = values
        return values

    def flags(self, name: str) -> Bools:
        """A field's truth value as an array (``judge_scores``: scored at all)."""
        key = ("flags", name)
        values: Bools | None = self._cache.get(key)
        if values is None:
            if self._table is not None:
                values = self._table_flags(name)
            else:
                values = np.fromiter(
                    map(bool, map(attrgetter(name), self.activities)), dtype=np.bool_, count=len(self)
                )
            self._cache[key] = values
        return values

    def _entry_positions(self) -> Ints:
        """The position of each judge's entry of the table (-1: not a candidate), computed once."""
        values: Ints | None = self._cache.get("entry_positions")
        if values is None:
            table, rows = self._table, self._table_rows
            assert table is not None and rows is not None
            position_of = np.full(len(table), -1, dtype=np.int64)
            position_of[rows] = np.arange(len(rows), dtype=np.int64)
            values = self._cache["entry_positions"] = position_of[table.entry_row]
        return values

    def _table_flags(self, name: str) -> Bools:
        table, rows = self._table, self._table_rows
        assert table is not None and rows is not None
        if name != "judge_scores":
            flags: Bools = getattr(table, name)[rows].astype(np.bool_, copy=False)
            return flags
        scored = np.zeros(len(rows), dtype=np.bool_)
        positions = self._entry_positions()
        scored[positions[positions >= 0]] = True
        return scored

    def codes(self, name: str) -> tuple[Ints, list[Any]]:
        """A string field as small codes, and the value of each code."""
        key = ("codes", name)
        values: Ints | None = self._cache.get(key)
        if values is None:
            if self._table is not None and name in _TABLE_NAMES:
                values = getattr(self._table, name)[self._table_rows].astype(np.int64)
                self._codes[name] = list(getattr(self._table, _TABLE_NAMES[name]))
            else:
                values, self._codes[name] = _codes(self.column(name))
            self._cache[key] = values
        return values, self._codes[name]

    def period_key(self, kind: str, scope: str | None) -> Ints:
        """Per activity one integer naming (team, its week or month[, its type]): the cells that
        ``cap_per_period`` and ``consistency_bonus`` count."""
        key = ("period_key", kind, scope)
        values: Ints | None = self._cache.get(key)
        if values is None:
            of_day, labels = self.calendar.period_index(kind)
            periods = np.array(of_day, dtype=np.int64)[self.day] if len(self) else self.day
            values = self.team_of * len(labels) + periods
            if scope == "type":
                types, kinds = self.codes("type")
                values = values * max(len(kinds), 1) + types
            self._cache[key] = values
        return values

    def qualities(self, positions: Ints, method: str, trim: int) -> Ints:
        """The combined q (millionths; -1 without usable scores) of the scored activities at
        ``positions``, computed once per activity and method."""
        memo = self.quality.get((method, trim))
        if memo is None and self._table is not None:
            try:
                memo = self.quality[(method, trim)] = self._table_qualities(method, trim)
            except Unsupported:
                memo = None  # weights beyond exact int64: computed one activity at a time below
        if memo is None:
            memo = self.quality[(method, trim)] = np.full(len(self), _NOT_YET, dtype=np.int64)
        values = memo[positions]
        missing = positions[values == _NOT_YET]
        if len(missing):
            quality = rubric_for(tuple(self.competition.rubric)).quality
            scores = self.scores
            for position in missing.tolist():
                q = quality(scores[position], method, trim)[0]
                memo[position] = _NO_Q if q is None else q
            values = memo[positions]
        return values

    def _table_qualities(self, method: str, trim: int) -> Ints:
        """Every candidate's combined q (millionths; -1 without usable scores) from the table's score
        columns: :meth:`scoring.aggregate.Rubric.quality` and :func:`scoring.aggregate.combine` as
        whole-array arithmetic, to the same millionth. Raises :class:`Unsupported` when the rubric's
        weights are too large for int64."""
        table, rows = self._table, self._table_rows
        assert table is not None and rows is not None
        memo = np.full(len(self), _NO_Q, dtype=np.int64)
        if not len(table.entry_row):
            return memo
        rubric = rubric_for(tuple(self.competition.rubric))
        pairs = [rubric.term_weight(pair) for pair in table.pair_values]
        pair_counts = np.diff(table.pair_start)
        largest = max((weight for _, weight in pairs), default=0)
        # A judge's term sum is at most its weight sum; q's long division multiplies remainders by 1,000.
        if largest * max(int(pair_counts.max()), 1) * 1000 >= _SAFE:
            raise Unsupported("rubric weights too large for exact int64 arithmetic")
        terms = np.array([term for term, _ in pairs] + [0], dtype=np.int64)[table.pair_code]
        weights = np.array([weight for _, weight in pairs] + [0], dtype=np.int64)[table.pair_code]
        entries = len(table.entry_row)
        term_sum = np.zeros(entries, dtype=np.int64)
        weight_sum = np.zeros(entries, dtype=np.int64)
        scored = pair_counts > 0
        if scored.any():
            starts = table.pair_start[:-1][scored]
            term_sum[scored] = np.add.reduceat(terms, starts)
            weight_sum[scored] = np.add.reduceat(weights, starts)
        position = self._entry_positions()
        usable = (weight_sum > 0) & (position >= 0)
        total, denominator, position = term_sum[usable], weight_sum[usable], position[usable]
        if not len(position):
            return memo
        # Each judge: round(total × 10⁶ / denominator) half to even, as long division in three steps
        # (total <= denominator, so no product leaves int64).
        whole = total // denominator
        first, rest = np.divmod((total - whole * denominator) * 1000, denominator)
        second, remainder = np.divmod(rest * 1000, denominator)
        q = whole * MICRO + first * 1000 + second
        twice = 2 * remainder
        q = q + ((twice > denominator) | ((twice == denominator) & ((q & 1) == 1)))
        # Then each activity's judges combined by the method. A table keeps an activity's judges
        # together (its entries are ordered by row), so each activity is one run of entries.
        starts = np.flatnonzero(np.concatenate(([True], position[1:] != position[:-1])))
        count = np.diff(np.append(starts, len(position)))
        total_q = np.add.reduceat(q, starts)
        if method == "trimmed_mean" and trim == 1:
            # Dropping the highest and lowest is the sum less the run's maximum and minimum.
            trimmed = count > 2
            extremes = np.maximum.reduceat(q, starts) + np.minimum.reduceat(q, starts)
            value = _div_round(total_q - np.where(trimmed, extremes, 0), np.where(trimmed, count - 2, count))
        elif method == "median" or (method == "trimmed_mean" and trim > 1):
            run = np.repeat(np.arange(len(starts), dtype=np.int64), count)
            q = q[np.lexsort((q, run))]  # each run's q in ascending order, runs in place
            if method == "median":
                middle = starts + count // 2
                value = np.where(count % 2 == 1, q[middle], _div_round(q[middle - 1] + q[middle], 2))
            else:
                size = np.repeat(count, count)
                rank = np.arange(len(q), dtype=np.int64) - np.repeat(starts, count)
                keep = (size <= 2 * trim) | ((rank >= trim) & (rank < size - trim))
                kept = np.where(count > 2 * trim, count - 2 * trim, count)
                value = _div_round(np.add.reduceat(np.where(keep, q, 0), starts), kept)
        else:  # the mean (and a trimmed mean that trims nothing)
            value = _div_round(total_q, count)
        memo[position[starts]] = value
        return memo


_columns: dict[int, tuple[weakref.ref[Facts], Columns]] = {}


def columns_of(facts: Facts) -> Columns:
    """The columns of ``facts``, built on first use and kept while the facts object lives."""
    key = id(facts)
    entry = _columns.get(key)
    if entry is not None and entry[0]() is facts:
        return entry[1]
    columns = Columns(facts)
    _columns[key] = (weakref.ref(facts), columns)
    weakref.finalize(facts, _columns.pop, key, None)
    return columns


class _Stage:
    """The positions still counted at one step of an evaluation (ascending), with the columns read at
    those positions (``positions`` None: every candidate, read without a copy)."""

    __slots__ = ("_taken", "columns", "positions")

    def __init__(self, columns: Columns, positions: Ints | None) -> None:
        self.columns = columns
        self.positions = positions
        self._taken: dict[Any, Any] = {}

    def __len__(self) -> int:
        return len(self.columns) if self.positions is None else len(self.positions)

    def take(self, key: Any, full: Callable[[], Any]) -> Any:
        taken = self._taken.get(key)
        if taken is None:
            values = full()
            taken = self._taken[key] = values if self.positions is None else values[self.positions]
        return taken

    def ints(self, name: str) -> Ints:
        result: Ints = self.take(("ints", name), lambda: self.columns.ints(name))
        return result

    def flags(self, name: str) -> Bools:
        result: Bools = self.take(("flags", name), lambda: self.columns.flags(name))
        return result

    def codes(self, name: str) -> Ints:
        result: Ints = self.take(("codes", name), lambda: self.columns.codes(name)[0])
        return result

    def period_key(self, kind: str, scope: str | None) -> Ints:
        result: Ints = self.take(("period_key", kind, scope), lambda: self.columns.period_key(kind, scope))
        return result

    def global_positions(self) -> Ints:
        if self.positions is None:
            return np.arange(len(self.columns), dtype=np.int64)
        return self.positions

    def keep(self, mask: Bools) -> _Stage:
        """The stage of the positions where ``mask`` is true."""
        if self.positions is None:
            return _Stage(self.columns, np.flatnonzero(mask).astype(np.int64))
        return _Stage(self.columns, self.positions[mask])

    def team_slices(self) -> Ints:
        """Per team the first index into this stage's positions (plus the end)."""
        bounds = np.array(self.columns.bounds, dtype=np.int64)
        if self.positions is None:
            return bounds
        result: Ints = np.searchsorted(self.positions, bounds).astype(np.int64)
        return result

    def team_positions(self, t: int) -> list[int]:
        a, b = self.columns.bounds[t], self.columns.bounds[t + 1]
        if self.positions is None:
            return list(range(a, b))
        lo, hi = np.searchsorted(self.positions, (a, b)).tolist()
        result: list[int] = self.positions[lo:hi].tolist()
        return result


def _joint(params: Any, stage: _Stage) -> _Stage | None:
    mask = (stage.ints("senkom_count") >= params.min_senkom) & (
        stage.ints("officer_count") >= params.min_officers
    )
    return None if mask.all() else stage.keep(mask)


def _cap(params: Any, stage: _Stage) -> _Stage | None:
    limit: int = params.max
    keys = stage.period_key(params.period, "type" if params.scope == "type" else None)
    if len(keys) <= limit:
        return None
    sizes = np.bincount(keys)
    over = sizes[keys] > limit
    if not over.any():
        return None
    # Positions are in (occurred_at, id) order within each team, so an activity's rank in its cell is
    # its place among that cell's activities in position order: a stable sort by cell gives it.
    crowded = np.flatnonzero(over)
    cells = keys[crowded]
    order = _stable_argsort(cells)
    ordered = cells[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    first = np.repeat(starts, np.diff(np.append(starts, len(ordered))))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order), dtype=np.int64) - first
    mask = np.ones(len(keys), dtype=np.bool_)
    mask[crowded[ranks >= limit]] = False
    return stage.keep(mask)


def _points_per_activity(params: Any, stage: _Stage, running: Ints | None) -> Ints:
    _, kinds = stage.columns.codes("type")
    table = {code: to_milli(value) for code, value in params.points.items()}
    default = to_milli(params.default)
    values = np.array([table.get(kind, default) for kind in kinds] + [default], dtype=np.int64)
    result: Ints = values[stage.codes("type")]  # (code -1, no type at all, reads the last entry)
    return result


def _reach(params: Any, stage: _Stage, running: Ints | None) -> Ints:
    step: int = params.step
    per = to_milli(params.per)
    cap = to_milli(params.max)
    residents = stage.ints("residents_reached")
    if not per or not cap:
        return np.zeros(len(residents), dtype=np.int64)
    # From this many residents on the bonus is capped; clipping there keeps the product small.
    saturation = step * -(-cap // per)
    steps = np.minimum(residents, saturation) // step
    result: Ints = np.where(residents < step, 0, np.minimum(steps * per, cap))
    return result


def _preemptive(params: Any, stage: _Stage, running: Ints | None) -> Ints:
    if running is None:
        return np.zeros(len(stage), dtype=np.int64)
    factor = to_milli(params.factor)
    _check_product(running, factor)
    result: Ints = np.where(stage.flags("preemptive"), _div_round(running * factor, MILLI) - running, 0)
    return result


def _scored(stage: _Stage) -> Ints:
    """Indices into the stage of the activities that carry judges' scores."""
    return np.flatnonzero(stage.flags("judge_scores")).astype(np.int64)


def _judge(params: Any, stage: _Stage, running: Ints | None) -> Ints:
    result = np.zeros(len(stage), dtype=np.int64)
    if running is None:
        return result
    floor = to_milli(params.floor) * (MICRO // MILLI)
    scored = _scored(stage)
    scored = scored[running[scored] != 0]
    q = stage.columns.qualities(stage.global_positions()[scored], params.method, params.trim)
    known = q != _NO_Q
    scored, q = scored[known], q[known]
    before = running[scored]
    _check_product(before, MICRO)
    factor = floor + _div_round((MICRO - floor) * q, MICRO)
    result[scored] = _div_round(before * factor, MICRO) - before
    return result


_ELIGIBILITY: dict[str, Callable[[Any, _Stage], _Stage | None]] = {
    joint_only.RULE.id: _joint,
    cap_per_period.RULE.id: _cap,
}
_ACTIVITY: dict[str, Callable[[Any, _Stage, Ints | None], Ints]] = {
    points_per_activity.RULE.id: _points_per_activity,
    reach_bonus.RULE.id: _reach,
    preemptive_multiplier.RULE.id: _preemptive,
    judge_quality.RULE.id: _judge,
}


def _sums(values: Ints, slices: Ints) -> list[int]:
    """Per team the sum of ``values`` over its slice, exactly."""
    _check_sum(values)
    totals = np.concatenate(([0], np.cumsum(values)))
    result: list[int] = (totals[slices[1:]] - totals[slices[:-1]]).tolist()
    return result


def _distinct_per_team(codes: Ints, team_of: Ints, teams: int, kinds: int) -> Ints:
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


def _period_stage(columns: Columns, period: Period | None, view: tuple[str, str] | None) -> _Stage:
    lo, hi = columns.calendar.day_range(period)
    if lo >= hi:
        stage = _Stage(columns, np.zeros(0, dtype=np.int64))
    elif lo == 0 and hi == columns.calendar.ndays:
        stage = _Stage(columns, None)
    else:
        stage = _Stage(columns, np.flatnonzero((columns.day >= lo) & (columns.day < hi)).astype(np.int64))
    if view is not None:
        attribute, value = view
        _, kinds = columns.codes(attribute)
        code = kinds.index(value) if value in kinds else -2  # -2: no activity has it
        stage = stage.keep(stage.codes(attribute) == code)
    return stage


def evaluate_columns(
    compiled: _Compiled,
    columns: Columns,
    period: Period | None,
    view: tuple[str, str] | None,
) -> list[TeamResult]:
    """Every team's result (rank 0) for a ruleset of built-in rules (see :func:`supports`); raises
    :class:`Unsupported` when the numbers could leave int64."""
    from scoring.engine import ADJUSTMENT, TeamResult

    stage = _period_stage(columns, period, view)
    removals: list[tuple[EligibilityRule, Any, _Stage, _Stage]] = []
    for _, eligibility, params in compiled.eligibility:
        kept = _ELIGIBILITY[eligibility.id](params, stage)
        if kept is not None:
            removals.append((eligibility, params, stage, kept))
            stage = kept

    slices = stage.team_slices()
    nteams = len(columns.teams)
    subtotals: list[dict[str, int]] = [dict.fromkeys(compiled.rule_ids, 0) for _ in range(nteams)]
    running: Ints | None = None
    contributions: list[tuple[ActivityRule, Any, Ints]] = []
    for _, activity_rule, params in compiled.activity:
        points = _ACTIVITY[activity_rule.id](params, stage, running)
        if points.any():
            contributions.append((activity_rule, params, points))
            for t, subtotal in enumerate(_sums(points, slices)):
                subtotals[t][activity_rule.id] += subtotal
            running = points if running is None else running + points
            _check_sum(running)

    team_of: Ints = stage.take("team_of", lambda: columns.team_of)
    _, desa_kinds = columns.codes("desa_code")
    reached_counts = _distinct_per_team(stage.codes("desa_code"), team_of, nteams, len(desa_kinds)).tolist()
    reached: list[tuple[int, int]] = []
    for t, team in enumerate(columns.teams):
        total = max(team.desa_count, 0)
        reached.append((min(reached_counts[t], total), total))

    for _, team_rule, params in compiled.team:
        milli = to_milli(params.points)
        if team_rule.id == consistency_bonus.RULE.id:
            periods = len(columns.calendar.period_index(params.period)[1])
            sizes = np.bincount(stage.period_key(params.period, None), minlength=nteams * periods)
            qualifying = (sizes >= params.min_activities).reshape(nteams, periods).sum(axis=1).tolist()
            for t, many in enumerate(qualifying):
                subtotals[t][team_rule.id] += many * milli
        elif team_rule.id == coverage.RULE.id:
            for t, (found, total) in enumerate(reached):
                if found:
                    subtotals[t][team_rule.id] += div_round(milli * found, total)
        elif team_rule.id == cluster_balance.RULE.id:
            _, kinds = columns.codes("cluster")
            # The last entry maps code -1 (no cluster) to -1, which is not counted.
            mapping = np.array([CLUSTERS.index(k) if k in CLUSTERS else -1 for k in kinds] + [-1])
            clusters = mapping[stage.codes("cluster")]
            covered = _distinct_per_team(clusters, team_of, nteams, len(CLUSTERS)).tolist()
            for t, many in enumerate(covered):
                if many == len(CLUSTERS):
                    subtotals[t][team_rule.id] += milli
        else:  # pragma: no cover - supports() admits only the rules above
            raise TypeError(f"no kernel for {team_rule.id}")

    with_adjustments = view is None and (period is None or period.kind == "season")
    if with_adjustments:
        for t, adjustments in enumerate(columns.adjustments):
            if adjustments:
                subtotals[t][ADJUSTMENT] = sum(to_milli(adj.points) for adj in adjustments)

    method, trim = compiled.quality
    scored = _scored(stage)
    q = columns.qualities(stage.global_positions()[scored], method, trim)
    known = q != _NO_Q
    q_teams = team_of[scored][known]
    q_sum = np.zeros(nteams, dtype=np.int64)
    np.add.at(q_sum, q_teams, q[known])
    q_sums: list[int] = q_sum.tolist()
    q_counts: list[int] = np.bincount(q_teams, minlength=nteams).tolist()

    ends: list[int] = slices.tolist()
    last_positions = stage.global_positions()
    record = _Record(columns, compiled, removals, stage, ends, contributions, with_adjustments)
    results: list[TeamResult] = []
    for t, team in enumerate(columns.teams):
        found, total = reached[t]
        start, end = ends[t], ends[t + 1]
        last = columns.occurred_at(int(last_positions[end - 1])) if end > start else None
        team_subtotals = subtotals[t]
        results.append(
            TeamResult(
                team.code,
                0,
                from_milli(sum(team_subtotals.values())),
                end - start,
                {rule_id: from_milli(milli) for rule_id, milli in team_subtotals.items()},
                record.lines_of(t),
                Decimal(div_round(q_sums[t], q_counts[t])).scaleb(-6) if q_counts[t] else None,
                Decimal(found) / Decimal(total) if total else Decimal(0),
                last,
            )
        )
    return results


class _Record:
    """What an evaluation keeps to write each team's explanation on demand."""

    __slots__ = ("columns", "compiled", "contributions", "final", "removals", "slices", "with_adjustments")

    def __init__(
        self,
        columns: Columns,
        compiled: _Compiled,
        removals: list[tuple[EligibilityRule, Any, _Stage, _Stage]],
        final: _Stage,
        slices: list[int],
        contributions: list[tuple[ActivityRule, Any, Ints]],
        with_adjustments: bool,
    ) -> None:
        self.columns = columns
        self.compiled = compiled
        self.removals = removals
        self.final = final
        self.slices = slices
        self.contributions = contributions
        self.with_adjustments = with_adjustments

    def lines_of(self, t: int) -> Callable[[], tuple[Line, ...]]:
        return lambda: self.build(t)

    def _context(self, t: int, positions: Sequence[int]) -> TeamContext:
        columns = self.columns
        activities = list(map(columns.activities.__getitem__, positions))
        days: list[int] = columns.day[list(positions)].tolist() if positions else []
        return TeamContext(columns.teams[t], activities, days, columns.calendar, columns.competition, {})

    def build(self, t: int) -> tuple[Line, ...]:
        """Team ``t``'s lines in the reference engine's order, written by the rules themselves."""
        from scoring.engine import ADJUSTMENT, Line

        lines: list[Line] = []
        zero = from_milli(0)
        for eligibility, params, before, after in self.removals:
            positions = before.team_positions(t)
            ctx = self._context(t, positions)
            kept = set(after.team_positions(t))
            for position, activity in zip(positions, ctx.activities, strict=True):
                if position not in kept:
                    reason_id, reason_en = eligibility.explain_removed(params, ctx, activity)
                    lines.append(Line(eligibility.id, activity.id, None, zero, reason_id, reason_en))
        final = self._context(t, self.final.team_positions(t))
        start, end = self.slices[t], self.slices[t + 1]
        points = [(rule, params, values[start:end].tolist()) for rule, params, values in self.contributions]
        for offset, activity in enumerate(final.activities):
            before_milli = 0
            for activity_rule, params, values in points:
                milli: int = values[offset]
                if milli:
                    reason_id, reason_en = activity_rule.explain(params, final, activity, before_milli, milli)
                    lines.append(
                        Line(activity_rule.id, activity.id, None, from_milli(milli), reason_id, reason_en)
                    )
                before_milli += milli
        for _, team_rule, params in self.compiled.team:
            assert isinstance(team_rule, TeamRule)
            for item in team_rule.team_points(params, final):
                lines.append(
                    Line(
                        team_rule.id,
                        None,
                        item.period,
                        from_milli(item.milli),
                        item.reason_id,
                        item.reason_en,
                    )
                )
        if self.with_adjustments:
            for adj in sorted(self.columns.adjustments[t], key=attrgetter("id")):
                lines.append(
                    Line(
                        ADJUSTMENT,
                        None,
                        None,
                        from_milli(to_milli(adj.points)),
                        f"Penyesuaian panitia #{adj.id}: {adj.reason}",
                        f"Organisers' adjustment #{adj.id}: {adj.reason}",
                    )
                )
        return tuple(lines)
