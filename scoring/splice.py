"""One team's rows of an :class:`~scoring.facts.ActivityTable` replaced by new ones, with whole-array
operations: how the app keeps a season's facts current when one team's facts change, instead of
reading the season again.

The result equals the table built from the same activities in the same order (the other teams' rows
as they were, the team's new rows where its old rows stood in a table ordered by team, at the end
otherwise), judges' scores included; its columns are new arrays, so evaluating it never reuses what
the engine derived from the old table.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import numpy as np

from scoring.facts import _COLUMNS, ActivityTable, JudgeScore

#: Each coded column and the attribute holding its names.
_CODED = {
    "team": "team_names",
    "type": "type_names",
    "cluster": "cluster_names",
    "desa_code": "desa_names",
    "status": "status_names",
}


def _merged(names: tuple[Any, ...], more: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:
    """``names`` extended by those of ``more`` it lacks, and the codes of ``more`` in the result
    (one extra entry at the end maps code -1 to -1)."""
    index = {name: i for i, name in enumerate(names)}
    extended = list(names)
    codes = []
    for name in more:
        if name not in index:
            index[name] = len(extended)
            extended.append(name)
        codes.append(index[name])
    return tuple(extended), np.array([*codes, -1], dtype=np.int64)


def _freeze(array: Any) -> Any:
    array.flags.writeable = False
    return array


def replace_team(table: ActivityTable, code: str, rows: ActivityTable) -> ActivityTable:
    """``table`` with the rows of team ``code`` replaced by ``rows`` (every row of which must be of
    that team)."""
    if len(rows) and not all(rows.team_names[c] == code for c in np.unique(rows.team).tolist()):
        raise ValueError(f"replace_team: every new row must be of team {code}")
    size = len(table)
    names: dict[str, tuple[Any, ...]] = {}
    maps: dict[str, Any] = {}
    for column, attribute in _CODED.items():
        names[attribute], maps[column] = _merged(getattr(table, attribute), getattr(rows, attribute))
    team_code = names["team_names"].index(code) if code in names["team_names"] else len(names["team_names"])
    if team_code == len(names["team_names"]):
        names["team_names"] = (*names["team_names"], code)
    keep = table.team != team_code if code in table.team_names else np.ones(size, dtype=np.bool_)
    kept = np.flatnonzero(keep)
    teams = table.team[kept]
    ordered = bool(np.all(teams[1:] >= teams[:-1])) if len(teams) > 1 else True
    # Where the team's rows go: where its old rows stood (the table is ordered by team), else the end.
    at = int(np.searchsorted(teams, team_code)) if ordered else len(kept)
    added = len(rows)
    new_of_old = np.full(size + 1, -1, dtype=np.int64)  # the last entry: "no row"
    new_of_old[kept] = np.arange(len(kept), dtype=np.int64) + np.where(np.arange(len(kept)) < at, 0, added)

    result = ActivityTable.__new__(ActivityTable)
    for column in _COLUMNS:
        old = getattr(table, column)[kept]
        new = getattr(rows, column)
        if column in maps:
            new = maps[column][new]
        merged = np.concatenate((old[:at], new, old[at:])) if len(new) else old
        object.__setattr__(result, column, _freeze(merged))
    for attribute, labels in names.items():
        object.__setattr__(result, attribute, labels)

    # The judges' scores: the old entries of the kept rows (renumbered), the new rows' entries between.
    lengths = np.diff(table.pair_start)
    entry_kept = keep[table.entry_row] if len(table.entry_row) else np.zeros(0, dtype=np.bool_)
    entry_rows = new_of_old[table.entry_row[entry_kept]]
    pair_kept = np.repeat(entry_kept, lengths)
    old_pairs = table.pair_code[pair_kept]
    old_lengths = lengths[entry_kept]
    old_judges = table.entry_judge[entry_kept]
    judge_names, judge_map = _merged(table.judge_names, rows.judge_names)
    pair_values, pair_map = _merged(table.pair_values, rows.pair_values)
    split = int(np.searchsorted(entry_rows, at))
    pair_split = int(old_lengths[:split].sum())
    new_lengths = np.diff(rows.pair_start)
    entry_row = np.concatenate((entry_rows[:split], rows.entry_row + at, entry_rows[split:]))
    entry_judge = np.concatenate((old_judges[:split], judge_map[rows.entry_judge], old_judges[split:]))
    pair_code = np.concatenate((old_pairs[:pair_split], pair_map[rows.pair_code], old_pairs[pair_split:]))
    all_lengths = np.concatenate((old_lengths[:split], new_lengths, old_lengths[split:]))
    pair_start = np.concatenate(([0], np.cumsum(all_lengths))).astype(np.int64)
    scores: dict[int, tuple[JudgeScore, ...]] = {}
    old_rows = [row for row in table.judge_scores if keep[row]]
    renumbered = new_of_old[np.array(old_rows, dtype=np.int64)].tolist() if old_rows else []
    before = {new: table.judge_scores[old] for new, old in zip(renumbered, old_rows, strict=True) if new < at}
    after = {new: table.judge_scores[old] for new, old in zip(renumbered, old_rows, strict=True) if new >= at}
    scores.update(before)
    scores.update({row + at: judges for row, judges in rows.judge_scores.items()})
    scores.update(after)
    object.__setattr__(result, "judge_scores", MappingProxyType(scores))
    for name, array in (
        ("entry_row", entry_row),
        ("entry_judge", entry_judge),
        ("pair_start", pair_start),
        ("pair_code", pair_code),
    ):
        object.__setattr__(result, name, _freeze(np.asarray(array, dtype=np.int64)))
    object.__setattr__(result, "judge_names", judge_names)
    object.__setattr__(result, "pair_values", pair_values)
    object.__setattr__(result, "_sealed", True)
    return result
