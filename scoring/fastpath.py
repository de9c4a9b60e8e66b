"""The columnar fast path: a ruleset's kernels run over the facts' columns, for every team at once.

:func:`evaluate_columns` evaluates a ruleset whose every rule has a kernel (see
:attr:`scoring.compiled.CompiledRuleset.fast_path`) over the :class:`~scoring.columnar.Columns` of the
facts: the eligibility kernels narrow a :class:`~scoring.columnar.Stage`, the activity kernels give
each counted activity its thousandths, the team kernels each team's. Each kernel lives in its rule's
module, beside the reference method it must equal.

Explanation lines are not formatted during the evaluation: each team's lines are built when first
asked for, by the rules' own ``explain``/``explain_removed``/``team_points`` methods from what the
kernels kept (the positions each eligibility kernel kept, each activity kernel's points), so they are
the lines the reference engine writes. ``tests/unit/scoring/test_columnar.py`` proves with Hypothesis,
for every registered rule that has a kernel, that this path gives the reference engine's results —
totals, subtotals, ranking keys and every line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

import numpy as np

from scoring.arrays import Ints, Unsupported, check_sum
from scoring.columnar import NO_Q, Columns, Stage
from scoring.compiled import CompiledRuleset
from scoring.fixedpoint import div_round, from_milli, to_milli
from scoring.periods import Period
from scoring.results import ADJUSTMENT, Line, TeamResult, adjustment_line
from scoring.rules.base import ActivityRule, EligibilityRule, Rule, TeamContext

__all__ = ["evaluate_columns"]


def _kernel(rule: Rule) -> Callable[..., Any]:
    kernel = rule.kernel
    if kernel is None or not rule.has_kernel():
        raise Unsupported(f"rule {rule.id} has no columnar kernel")
    return kernel


def _sums(values: Ints, slices: Ints) -> list[int]:
    """Per team the sum of ``values`` over its slice, exactly."""
    check_sum(values)
    totals = np.concatenate(([0], np.cumsum(values)))
    result: list[int] = (totals[slices[1:]] - totals[slices[:-1]]).tolist()
    return result


def _period_stage(columns: Columns, period: Period | None, view: tuple[str, str] | None) -> Stage:
    lo, hi = columns.calendar.day_range(period)
    if lo >= hi:
        stage = Stage(columns, np.zeros(0, dtype=np.int64))
    elif lo == 0 and hi == columns.calendar.ndays:
        stage = Stage(columns, None)
    else:
        stage = Stage(columns, np.flatnonzero((columns.day >= lo) & (columns.day < hi)).astype(np.int64))
    if view is not None:
        attribute, value = view
        kinds = stage.kinds(attribute)
        code = kinds.index(value) if value in kinds else -2  # -2: no activity has it
        stage = stage.keep(stage.codes(attribute) == code)
    return stage


def evaluate_columns(
    compiled: CompiledRuleset,
    columns: Columns,
    period: Period | None,
    view: tuple[str, str] | None,
) -> list[TeamResult]:
    """Every team's result (rank 0). Raises :class:`~scoring.columnar.Unsupported` when a rule has no
    kernel or the numbers could leave int64."""
    if not compiled.fast_path.supported:
        raise Unsupported("; ".join(compiled.fast_path.reasons))
    stage = _period_stage(columns, period, view)
    removals: list[tuple[EligibilityRule, Any, Stage, Stage]] = []
    for _, eligibility, params in compiled.eligibility:
        kept = _kernel(eligibility)(params, stage)
        if kept is not None:
            removals.append((eligibility, params, stage, kept))
            stage = kept

    slices = stage.team_slices()
    nteams = len(columns.teams)
    subtotals: list[dict[str, int]] = [dict.fromkeys(compiled.rule_ids, 0) for _ in range(nteams)]
    running: Ints | None = None
    contributions: list[tuple[ActivityRule, Any, Ints]] = []
    for _, activity_rule, params in compiled.activity:
        points: Ints = _kernel(activity_rule)(params, stage, running)
        if points.any():
            contributions.append((activity_rule, params, points))
            for t, subtotal in enumerate(_sums(points, slices)):
                subtotals[t][activity_rule.id] += subtotal
            running = points if running is None else running + points
            check_sum(running)

    for _, team_rule, params in compiled.team:
        team_milli: Sequence[int] = _kernel(team_rule)(params, stage)
        for t, milli in enumerate(team_milli):
            subtotals[t][team_rule.id] += milli

    with_adjustments = view is None and (period is None or period.kind == "season")
    if with_adjustments:
        for t, adjustments in enumerate(columns.adjustments):
            if adjustments:
                subtotals[t][ADJUSTMENT] = sum(to_milli(adj.points) for adj in adjustments)

    method, trim = compiled.quality
    team_of = stage.team_of()
    scored = np.flatnonzero(stage.flags("judge_scores")).astype(np.int64)
    q = stage.qualities(scored, method, trim)
    known = q != NO_Q
    q_teams = team_of[scored][known]
    q_sum = np.zeros(nteams, dtype=np.int64)
    np.add.at(q_sum, q_teams, q[known])
    q_sums: list[int] = q_sum.tolist()
    q_counts: list[int] = np.bincount(q_teams, minlength=nteams).tolist()

    reached = stage.reached()
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
        compiled: CompiledRuleset,
        removals: list[tuple[EligibilityRule, Any, Stage, Stage]],
        final: Stage,
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
            lines.extend(map(adjustment_line, sorted(self.columns.adjustments[t], key=attrgetter("id"))))
        return tuple(lines)
