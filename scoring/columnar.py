"""The facts as columns: what the columnar kernels of the rules read.

:func:`columns_of` turns the facts once into :class:`Columns` — the season's candidate activities
(verified, of a known team, inside the competition's dates) grouped by team and, within a team, ordered
by (``occurred_at``, ``id``), with each field the rules read as one NumPy array of integers (strings as
small codes). The columns are kept for as long as the facts object lives, so that every evaluation of
the same facts (the overall standings, each cluster and type, each week and month, both sides of a
what-if comparison) shares them.

A rule's kernel (its ``kernel`` method, beside its reference method in ``scoring/rules/<rule>.py``)
reads a :class:`Stage`: the activities still counted at one step of an evaluation, for every team at
once, and computes with :mod:`scoring.arrays`, whose helpers keep the reference engine's arithmetic
exactly: integer thousandths (and millionths for q) in int64, the same half-to-even divisions; numbers
that could leave the range where int64 is exact raise :class:`~scoring.arrays.Unsupported`, and the
ruleset is evaluated by the reference path instead. :mod:`scoring.fastpath` runs a ruleset's kernels.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from itertools import chain, compress, repeat
from operator import attrgetter, eq, sub
from typing import Any

import numpy as np

from scoring.aggregate import MICRO, rubric_for
from scoring.arrays import (
    SAFE,
    Bools,
    Ints,
    Unsupported,
    distinct_per_team,
    div_round_array,
    in_order,
    radix_order,
)
from scoring.facts import Activity, ActivityTable, Adjustment, Facts, JudgeScore, Team, microseconds
from scoring.periods import Calendar, calendar_for

__all__ = ["NO_Q", "Columns", "Stage", "columns_of"]

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
_DAY = 86_400_000_000  # microseconds
_NOT_YET = -2  # a q not computed yet
#: The q of an activity without usable rubric scores.
NO_Q = -1


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
        order = radix_order(owner, instant, numbers[:, 0])
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
        if not in_order(owner, instant, ids):  # a loader ordering by (team, time, id) skips the sort
            order = radix_order(owner, instant, ids)
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
                memo[position] = NO_Q if q is None else q
            values = memo[positions]
        return values

    def _table_qualities(self, method: str, trim: int) -> Ints:
        """Every candidate's combined q (millionths; -1 without usable scores) from the table's score
        columns: :meth:`scoring.aggregate.Rubric.quality` and :func:`scoring.aggregate.combine` as
        whole-array arithmetic, to the same millionth. Raises :class:`Unsupported` when the rubric's
        weights are too large for int64."""
        table, rows = self._table, self._table_rows
        assert table is not None and rows is not None
        memo = np.full(len(self), NO_Q, dtype=np.int64)
        if not len(table.entry_row):
            return memo
        rubric = rubric_for(tuple(self.competition.rubric))
        pairs = [rubric.term_weight(pair) for pair in table.pair_values]
        pair_counts = np.diff(table.pair_start)
        largest = max((weight for _, weight in pairs), default=0)
        # A judge's term sum is at most its weight sum; q's long division multiplies remainders by 1,000.
        if largest * max(int(pair_counts.max()), 1) * 1000 >= SAFE:
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
            value = div_round_array(
                total_q - np.where(trimmed, extremes, 0), np.where(trimmed, count - 2, count)
            )
        elif method == "median" or (method == "trimmed_mean" and trim > 1):
            run = np.repeat(np.arange(len(starts), dtype=np.int64), count)
            q = q[np.lexsort((q, run))]  # each run's q in ascending order, runs in place
            if method == "median":
                middle = starts + count // 2
                value = np.where(count % 2 == 1, q[middle], div_round_array(q[middle - 1] + q[middle], 2))
            else:
                size = np.repeat(count, count)
                rank = np.arange(len(q), dtype=np.int64) - np.repeat(starts, count)
                keep = (size <= 2 * trim) | ((rank >= trim) & (rank < size - trim))
                kept = np.where(count > 2 * trim, count - 2 * trim, count)
                value = div_round_array(np.add.reduceat(np.where(keep, q, 0), starts), kept)
        else:  # the mean (and a trimmed mean that trims nothing)
            value = div_round_array(total_q, count)
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


class Stage:
    """The activities still counted at one step of an evaluation, for every team at once: what a rule's
    kernel reads.

    Index ``i`` (``0 <= i < len(stage)``) is one counted activity. Teams follow each other in the order
    of :attr:`Columns.teams` and, within a team, activities in (``occurred_at``, ``id``) order — the
    order in which the reference engine hands a team's activities to the rules. ``ints``, ``flags`` and
    ``codes`` give one field of every activity of the stage as an array, read from the columns when a
    kernel first asks and kept; :meth:`keep` gives the stage of the activities an eligibility kernel
    keeps. ``positions`` are the activities' positions in the columns (ascending; None: every
    candidate, read without a copy).
    """

    __slots__ = ("_taken", "columns", "positions")

    def __init__(self, columns: Columns, positions: Ints | None) -> None:
        self.columns = columns
        self.positions = positions
        self._taken: dict[Any, Any] = {}

    def __len__(self) -> int:
        return len(self.columns) if self.positions is None else len(self.positions)

    def _take(self, key: Any, full: Callable[[], Any]) -> Any:
        taken = self._taken.get(key)
        if taken is None:
            values = full()
            taken = self._taken[key] = values if self.positions is None else values[self.positions]
        return taken

    @property
    def calendar(self) -> Calendar:
        """The competition's calendar: local days, weeks and months."""
        return self.columns.calendar

    @property
    def team_count(self) -> int:
        """How many teams the evaluation ranks (a team kernel gives one value per team)."""
        return len(self.columns.teams)

    def ints(self, name: str) -> Ints:
        """An integer field (``senkom_count``, ``residents_reached``, …) of every activity."""
        result: Ints = self._take(("ints", name), lambda: self.columns.ints(name))
        return result

    def flags(self, name: str) -> Bools:
        """A field's truth value (``preemptive``; ``judge_scores``: scored at all) of every activity."""
        result: Bools = self._take(("flags", name), lambda: self.columns.flags(name))
        return result

    def codes(self, name: str) -> Ints:
        """A string field (``type``, ``cluster``, ``desa_code``) as small codes: -1 for None, else an
        index into :meth:`kinds`. Codes only name values: nothing is ordered by them."""
        result: Ints = self._take(("codes", name), lambda: self.columns.codes(name)[0])
        return result

    def kinds(self, name: str) -> list[Any]:
        """The value of each code of :meth:`codes`."""
        return self.columns.codes(name)[1]

    def team_of(self) -> Ints:
        """Each activity's team, as an index into the teams."""
        result: Ints = self._take("team_of", lambda: self.columns.team_of)
        return result

    def period_key(self, kind: str, scope: str | None) -> Ints:
        """Per activity one integer naming (team, its ``week`` or ``month``[, its type when ``scope`` is
        ``"type"``]): team ``t``'s period ``p`` (an index into ``calendar.period_index(kind)[1]``) is
        ``t * periods + p``, times the number of types plus the type's code with ``scope="type"``."""
        result: Ints = self._take(("period_key", kind, scope), lambda: self.columns.period_key(kind, scope))
        return result

    def qualities(self, indices: Ints, method: str, trim: int) -> Ints:
        """The judges' combined q (millionths; :data:`NO_Q` without usable rubric scores) of the scored
        activities at ``indices`` of this stage, as :func:`scoring.rules.judge_quality.activity_qualities`
        computes it; computed once per activity and method, and kept with the columns."""
        return self.columns.qualities(self.global_positions()[indices], method, trim)

    def reached(self) -> list[tuple[int, int]]:
        """Per team (distinct desa reached, capped at the regency's count; the regency's count), as
        :func:`scoring.rules.coverage.reached` counts them."""
        cached: list[tuple[int, int]] | None = self._taken.get("reached")
        if cached is None:
            kinds = self.kinds("desa_code")
            counts = distinct_per_team(self.codes("desa_code"), self.team_of(), self.team_count, len(kinds))
            cached = []
            for found, team in zip(counts.tolist(), self.columns.teams, strict=True):
                total = max(team.desa_count, 0)
                cached.append((min(found, total), total))
            self._taken["reached"] = cached
        return cached

    def keep(self, mask: Bools) -> Stage:
        """The stage of the activities where ``mask`` is true."""
        if self.positions is None:
            return Stage(self.columns, np.flatnonzero(mask).astype(np.int64))
        return Stage(self.columns, self.positions[mask])

    def global_positions(self) -> Ints:
        """Each activity's position in the columns."""
        if self.positions is None:
            return np.arange(len(self.columns), dtype=np.int64)
        return self.positions

    def team_slices(self) -> Ints:
        """Per team the first index of its activities in this stage (plus the end)."""
        bounds = np.array(self.columns.bounds, dtype=np.int64)
        if self.positions is None:
            return bounds
        result: Ints = np.searchsorted(self.positions, bounds).astype(np.int64)
        return result

    def team_positions(self, t: int) -> list[int]:
        """Team ``t``'s positions in the columns."""
        a, b = self.columns.bounds[t], self.columns.bounds[t + 1]
        if self.positions is None:
            return list(range(a, b))
        lo, hi = np.searchsorted(self.positions, (a, b)).tolist()
        result: list[int] = self.positions[lo:hi].tolist()
        return result
