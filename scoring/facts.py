"""Immutable inputs of the scoring engine: the competition, its teams, activities and adjustments.

The Structs are ``gc=False``: being frozen and holding only scalars and tuples they cannot form reference
cycles, and a million activities left out of the cycle collector make every collection cheaper. The one
exception is :class:`Facts`, which takes weak references instead (msgspec allows one or the other):
the engine keeps the facts' columns (``scoring.columnar``) for as long as the facts object lives.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, overload

import msgspec
import numpy as np
import numpy.typing as npt

__all__ = [
    "CLUSTERS",
    "STATUSES",
    "Activity",
    "ActivityTable",
    "Adjustment",
    "Competition",
    "Criterion",
    "Facts",
    "JudgeScore",
    "Team",
    "encode",
    "microseconds",
    "occurred_before",
]

#: Senkom's three clusters (klaster), as stored on activities.
CLUSTERS: tuple[str, ...] = ("kamtibmas", "bencana", "bela_negara")
#: The review states of an activity; only ``verified`` ones can count.
STATUSES: tuple[str, ...] = ("submitted", "verified", "rejected")


class Team(msgspec.Struct, frozen=True, gc=False):
    """One competing team: the Senkom board of a regency/city and its officers."""

    code: str
    name: str
    desa_count: int


class Criterion(msgspec.Struct, frozen=True, gc=False):
    """One rubric criterion: its weight (bobot) and the range of scores a judge may give."""

    code: str
    weight: Decimal
    min: Decimal
    max: Decimal


class JudgeScore(msgspec.Struct, frozen=True, gc=False):
    """One judge's rubric scores for one activity, as (criterion code, score) pairs."""

    judge: str
    scores: tuple[tuple[str, Decimal], ...]


class Activity(msgspec.Struct, frozen=True, gc=False):
    """One joint activity as recorded by a team, with its review status and the judges' scores;
    ``officer_confirmed``: an officer named on it has confirmed it (co-attestation)."""

    id: int
    team: str
    type: str
    cluster: str
    occurred_at: datetime
    desa_code: str | None
    senkom_count: int
    officer_count: int
    residents_reached: int
    preemptive: bool
    status: str
    judge_scores: tuple[JudgeScore, ...] = ()
    officer_confirmed: bool = False


class Adjustment(msgspec.Struct, frozen=True, gc=False):
    """An organisers' bonus (positive) or penalty (negative), with its reason."""

    id: int
    team: str
    points: Decimal
    reason: str


class Competition(msgspec.Struct, frozen=True, gc=False):
    """The season: its inclusive local dates, its time zone and its rubric."""

    starts_on: date
    ends_on: date
    timezone: str = "Asia/Jakarta"
    rubric: tuple[Criterion, ...] = ()


Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Coded = tuple[Sequence[int] | Ints, Sequence[str]]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def microseconds(moment: datetime) -> int:
    """An aware datetime as integer microseconds since 1970-01-01 UTC (exact)."""
    return (moment - _EPOCH) // _MICROSECOND


_EARLIEST = microseconds(datetime.min.replace(tzinfo=UTC))
_LATEST = microseconds(datetime.max.replace(tzinfo=UTC))


def encode(values: Iterable[str | None]) -> tuple[list[int], tuple[str, ...]]:
    """Strings as small codes: each value's index among the distinct values in order of first
    appearance, None as -1. The pair is what :class:`ActivityTable` takes for a string column."""
    index: dict[str | None, int] = {None: -1}
    codes = []
    for value in values:
        code = index.get(value)
        if code is None:
            code = index[value] = len(index) - 1
        codes.append(code)
    del index[None]
    return codes, tuple(index)  # type: ignore[arg-type]


def _frozen(values: Any, name: str, size: int | None, dtype: Any = np.int64, narrow: bool = False) -> Any:
    given = np.asarray(values)
    if given.ndim != 1 or (size is not None and len(given) != size):
        expected = "" if size is None else f"{size:,} "
        raise ValueError(f"column {name}: expected {expected}values in one dimension")
    kinds = "b" if dtype is np.bool_ else "iub"
    if len(given) and given.dtype.kind not in kinds:  # floats, strings, Python ints beyond 64 bits
        raise ValueError(f"column {name}: not {'booleans' if kinds == 'b' else 'integers within int64'}")
    if given.dtype.kind == "u" and len(given) and int(given.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"column {name}: not integers within int64")
    array = given.astype(dtype, copy=given is values)  # the caller's own array is copied, never frozen
    if narrow and len(array):
        # Counts and codes are stored in the narrowest integer type that holds them: the engine
        # gathers them in another order, and a small array stays in the CPU's caches.
        low, high = int(array.min()), int(array.max())
        for kind in (np.int8, np.int16, np.int32):
            if np.iinfo(kind).min <= low and high <= np.iinfo(kind).max:
                array = array.astype(kind)
                break
    array.flags.writeable = False
    return array


_COLUMNS = (
    "id",
    "team",
    "type",
    "cluster",
    "occurred_at",
    "desa_code",
    "senkom_count",
    "officer_count",
    "residents_reached",
    "preemptive",
    "status",
    "officer_confirmed",
)
#: The fields of :class:`Activity` a table holds as columns (judge_scores is kept apart).
_FIELDS = tuple(name for name in Activity.__struct_fields__ if name != "judge_scores")
_NAMES = ("team_names", "type_names", "cluster_names", "desa_names", "status_names")


def _kept(scored: Bools, picked: Ints) -> tuple[list[int], list[int]]:
    """The new and old row numbers of the scored rows among ``picked``."""
    new = np.flatnonzero(scored[picked])
    return new.tolist(), picked[new].tolist()


def _recoded(codes: Ints, names: tuple[Any, ...]) -> tuple[Ints, tuple[Any, ...]]:
    """``codes`` renumbered 0, 1, ... in order of first appearance, and the names they now index."""
    if not len(codes):
        return codes.astype(np.int64), ()
    used, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(used), dtype=np.int64)
    rank[order] = np.arange(len(used), dtype=np.int64)
    return rank[inverse], tuple(names[int(code)] for code in used[order])


class ActivityTable(Sequence[Activity]):
    """Activities as columns: the same facts as a tuple of :class:`Activity`, in the form a loader
    produces most cheaply (one NumPy array per field) and the columnar kernels read without touching
    a Python object per activity.

    String fields are coded (``codes[i]`` indexes ``names``; -1 is None, allowed for ``desa_code``
    only), ``occurred_at`` is integer microseconds since 1970-01-01 UTC (see :func:`microseconds`);
    counts and codes are kept in the narrowest integer type that holds them (read them as int64
    before arithmetic).
    The judges' scores are kept by row and also as columns: one entry per (activity, judge) and, per
    entry, its (criterion, score) pairs coded against the distinct pairs, so that every judge's q is
    computed with whole-array arithmetic.

    The table is a read-only ``Sequence[Activity]``: indexing or iterating it builds the equal
    :class:`Activity` structs (times in UTC), so any code written for a tuple of activities — the
    reference engine, plugin rules — works on it unchanged. Arrays are copied and frozen.
    """

    __slots__ = (
        "_sealed",
        "cluster",
        "cluster_names",
        "desa_code",
        "desa_names",
        "entry_judge",
        "entry_row",
        "id",
        "judge_names",
        "judge_scores",
        "occurred_at",
        "officer_confirmed",
        "officer_count",
        "pair_code",
        "pair_start",
        "pair_values",
        "preemptive",
        "residents_reached",
        "senkom_count",
        "status",
        "status_names",
        "team",
        "team_names",
        "type",
        "type_names",
    )

    def __init__(
        self,
        *,
        id: Sequence[int] | Ints,
        team: Coded,
        type: Coded,
        cluster: Coded,
        occurred_at: Sequence[int] | Ints,
        desa_code: Coded,
        senkom_count: Sequence[int] | Ints,
        officer_count: Sequence[int] | Ints,
        residents_reached: Sequence[int] | Ints,
        preemptive: Sequence[bool] | Bools,
        status: Coded,
        judge_scores: Mapping[int, Sequence[JudgeScore]] | None = None,
        officer_confirmed: Sequence[bool] | Bools | None = None,
    ) -> None:
        self.id: Ints = _frozen(id, "id", None)
        size = len(self.id)
        self.occurred_at: Ints = _frozen(occurred_at, "occurred_at", size)
        if size and not (int(self.occurred_at.min()) >= _EARLIEST and int(self.occurred_at.max()) <= _LATEST):
            raise ValueError("column occurred_at: a time outside the years 1 to 9999")
        self.senkom_count: Ints = _frozen(senkom_count, "senkom_count", size, narrow=True)
        self.officer_count: Ints = _frozen(officer_count, "officer_count", size, narrow=True)
        self.residents_reached: Ints = _frozen(residents_reached, "residents_reached", size, narrow=True)
        self.preemptive: Bools = _frozen(preemptive, "preemptive", size, np.bool_)
        self.officer_confirmed: Bools = _frozen(
            np.zeros(size, dtype=np.bool_) if officer_confirmed is None else officer_confirmed,
            "officer_confirmed",
            size,
            np.bool_,
        )
        self.team, self.team_names = self._coded(team, "team", size)
        self.type, self.type_names = self._coded(type, "type", size)
        self.cluster, self.cluster_names = self._coded(cluster, "cluster", size)
        self.desa_code, self.desa_names = self._coded(desa_code, "desa_code", size)
        self.status, self.status_names = self._coded(status, "status", size)
        scores: dict[int, tuple[JudgeScore, ...]] = {}
        for row, judges in sorted((judge_scores or {}).items()):
            if not 0 <= row < size:
                raise ValueError(f"judge_scores: row {row} outside the table")
            if judges:
                scores[row] = tuple(judges)
        self._index_scores(scores)

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_sealed", False):
            raise AttributeError("an ActivityTable cannot be changed: build a new one")
        object.__setattr__(self, name, value)

    def _index_scores(self, scores: dict[int, tuple[JudgeScore, ...]]) -> None:
        """Keep the judges' scores by row (ascending) and as columns: entries, then their pairs; then
        seal the table (the engine keeps what it derives from a table for as long as it lives)."""
        self.judge_scores: Mapping[int, tuple[JudgeScore, ...]] = MappingProxyType(scores)
        judge_index: dict[str, int] = {}
        pair_index: dict[tuple[str, Decimal], int] = {}
        entry_row: list[int] = []
        entry_judge: list[int] = []
        pair_start: list[int] = [0]
        pair_code: list[int] = []
        for row, judges in scores.items():
            for judge in judges:
                entry_row.append(row)
                entry_judge.append(judge_index.setdefault(judge.judge, len(judge_index)))
                for pair in judge.scores:
                    pair_code.append(pair_index.setdefault(pair, len(pair_index)))
                pair_start.append(len(pair_code))
        self.entry_row: Ints = _frozen(entry_row, "judge_scores", None)
        self.entry_judge: Ints = _frozen(entry_judge, "judge_scores", None)
        self.pair_start: Ints = _frozen(pair_start, "judge_scores", None)
        self.pair_code: Ints = _frozen(pair_code, "judge_scores", None)
        self.judge_names: tuple[str, ...] = tuple(judge_index)
        self.pair_values: tuple[tuple[str, Decimal], ...] = tuple(pair_index)
        self._sealed = True

    @staticmethod
    def _coded(value: Coded, name: str, size: int) -> tuple[Ints, tuple[str, ...]]:
        codes, names = value
        array: Ints = _frozen(codes, name, size, narrow=True)
        labels = tuple(names)
        if len(set(labels)) != len(labels):
            raise ValueError(f"column {name}: names repeat")
        if size and (int(array.min()) < -1 or int(array.max()) >= len(labels)):
            raise ValueError(f"column {name}: a code outside its names")
        return array, labels

    @classmethod
    def from_values(
        cls,
        fields: Mapping[str, Sequence[Any]],
        judge_scores: Mapping[int, Sequence[JudgeScore]] | None = None,
    ) -> ActivityTable:
        """A table from plain Python values, one sequence per :class:`Activity` field (strings,
        aware datetimes, ints, bools), as a loader reads them; ``judge_scores`` by row.
        ``officer_confirmed`` may be left out: then no activity is confirmed."""
        return cls(
            id=fields["id"],
            team=encode(fields["team"]),
            type=encode(fields["type"]),
            cluster=encode(fields["cluster"]),
            occurred_at=[microseconds(moment) for moment in fields["occurred_at"]],
            desa_code=encode(fields["desa_code"]),
            senkom_count=fields["senkom_count"],
            officer_count=fields["officer_count"],
            residents_reached=fields["residents_reached"],
            preemptive=fields["preemptive"],
            status=encode(fields["status"]),
            judge_scores=judge_scores,
            officer_confirmed=fields.get("officer_confirmed"),
        )

    @classmethod
    def from_activities(cls, activities: Iterable[Activity]) -> ActivityTable:
        """The table of these activities, in their order."""
        items = list(activities)
        return cls.from_values(
            {name: [getattr(a, name) for a in items] for name in _FIELDS},
            {row: a.judge_scores for row, a in enumerate(items) if a.judge_scores},
        )

    def take(self, rows: Sequence[int] | Ints | Bools) -> ActivityTable:
        """A new table of these rows (indices, or a mask), in that order."""
        selector = np.asarray(rows)
        if selector.dtype != np.bool_:
            selector = selector.astype(np.int64)  # an empty list reads as floats
        picked: Ints = np.arange(len(self), dtype=np.int64)[selector]
        table = ActivityTable.__new__(ActivityTable)
        for name in _COLUMNS:
            column = getattr(self, name)[picked]
            column.flags.writeable = False
            setattr(table, name, column)
        for name in _NAMES:
            setattr(table, name, getattr(self, name))
        if len(picked) > 1 and not bool(np.all(picked[1:] > picked[:-1])):
            scored = np.zeros(len(self), dtype=np.bool_)
            scored[list(self.judge_scores)] = True
            table._index_scores(
                {new: self.judge_scores[old] for new, old in zip(*_kept(scored, picked), strict=True)}
            )
            return table
        self._take_scores(table, picked)
        return table

    def _take_scores(self, table: ActivityTable, picked: Ints) -> None:
        """The score columns of ascending rows ``picked`` as whole-array slices, equal to what
        ``_index_scores`` builds from the kept rows' scores (codes in order of first appearance)."""
        new_of_old = np.full(len(self) + 1, -1, dtype=np.int64)
        new_of_old[picked] = np.arange(len(picked), dtype=np.int64)
        entry_kept = new_of_old[self.entry_row] >= 0
        lengths = np.diff(self.pair_start)
        judges, judge_names = _recoded(self.entry_judge[entry_kept], self.judge_names)
        pairs, pair_values = _recoded(self.pair_code[np.repeat(entry_kept, lengths)], self.pair_values)
        rows = new_of_old[self.entry_row[entry_kept]]
        old_rows = np.fromiter(self.judge_scores, dtype=np.int64, count=len(self.judge_scores))
        kept_rows = old_rows[new_of_old[old_rows] >= 0] if len(old_rows) else old_rows
        scores = self.judge_scores
        table.judge_scores = MappingProxyType(
            dict(
                zip(new_of_old[kept_rows].tolist(), map(scores.__getitem__, kept_rows.tolist()), strict=True)
            )
        )
        table.entry_row = _frozen(rows, "judge_scores", None)
        table.entry_judge = _frozen(judges, "judge_scores", None)
        table.pair_start = _frozen(
            np.concatenate(([0], np.cumsum(lengths[entry_kept]))), "judge_scores", None
        )
        table.pair_code = _frozen(pairs, "judge_scores", None)
        table.judge_names = judge_names
        table.pair_values = pair_values
        table._sealed = True

    def of_team(self, code: str) -> ActivityTable:
        """The rows of one team (an empty table when no activity has that team)."""
        if code not in self.team_names:
            return self.take(np.zeros(len(self), dtype=np.bool_))
        mine = self.team == self.team_names.index(code)
        return self if mine.all() else self.take(mine)

    def before(self, moment: datetime) -> ActivityTable:
        """The rows that occurred strictly before ``moment`` (an aware datetime)."""
        return self.take(self.occurred_at < microseconds(moment))

    def moment(self, row: int) -> datetime:
        """``self[row].occurred_at`` without building the activity."""
        return _EPOCH + timedelta(microseconds=int(self.occurred_at[row]))

    def activities(self, rows: Sequence[int] | Ints | None = None) -> list[Activity]:
        """The :class:`Activity` structs of these rows (all by default), in that order."""
        picked = slice(None) if rows is None else np.asarray(rows, dtype=np.int64)
        row_numbers: list[int] = np.arange(len(self), dtype=np.int64)[picked].tolist()
        scores = self.judge_scores
        no_scores: tuple[JudgeScore, ...] = ()
        names = {
            "team": self.team_names,
            "type": self.type_names,
            "cluster": self.cluster_names,
            "status": self.status_names,
        }
        names["desa_code"] = self.desa_names
        lookups = {key: (*labels, None) for key, labels in names.items()}  # code -1 reads None
        labelled = {
            key: list(map(lookup.__getitem__, getattr(self, key)[picked].tolist()))
            for key, lookup in lookups.items()
        }
        moments = [_EPOCH + timedelta(microseconds=at) for at in self.occurred_at[picked].tolist()]
        fields = zip(
            self.id[picked].tolist(),
            labelled["team"],
            labelled["type"],
            labelled["cluster"],
            moments,
            labelled["desa_code"],
            self.senkom_count[picked].tolist(),
            self.officer_count[picked].tolist(),
            self.residents_reached[picked].tolist(),
            self.preemptive[picked].tolist(),
            labelled["status"],
            [scores.get(row, no_scores) for row in row_numbers],
            self.officer_confirmed[picked].tolist(),
            strict=True,
        )
        return [Activity(*values) for values in fields]

    def __len__(self) -> int:
        return len(self.id)

    @overload
    def __getitem__(self, index: int) -> Activity: ...

    @overload
    def __getitem__(self, index: slice) -> list[Activity]: ...

    def __getitem__(self, index: int | slice) -> Activity | list[Activity]:
        if isinstance(index, slice):
            return self.activities(range(len(self))[index])
        if not -len(self) <= index < len(self):
            raise IndexError("activity table index out of range")
        return self.activities([index % len(self)])[0]

    def __iter__(self) -> Iterator[Activity]:
        # In blocks: the structs of a block are built at C speed, without holding a million at once.
        for start in range(0, len(self), 8192):
            yield from self.activities(range(start, min(start + 8192, len(self))))

    def __repr__(self) -> str:
        return f"<ActivityTable of {len(self):,} activities>"


def occurred_before(
    activities: tuple[Activity, ...] | ActivityTable, moment: datetime
) -> tuple[Activity, ...] | ActivityTable:
    """The activities that occurred strictly before ``moment``, in the same form."""
    if isinstance(activities, ActivityTable):
        return activities.before(moment)
    return tuple(a for a in activities if a.occurred_at < moment)


class Facts(msgspec.Struct, frozen=True, weakref=True):
    """Everything the engine needs to know; the web app builds it from its rows.

    ``activities`` is a tuple of :class:`Activity` or, for large seasons, an :class:`ActivityTable`
    (the same facts as columns, which the columnar kernels read directly). Build a new Facts when the
    data changes rather than reusing one: its columns are cached by identity (the Struct is frozen,
    and so are the tuples and tables it holds).
    """

    competition: Competition
    teams: tuple[Team, ...]
    activities: tuple[Activity, ...] | ActivityTable
    adjustments: tuple[Adjustment, ...] = ()
