"""The engine: a ruleset and immutable facts in, standings out, with an explanation for every point."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from operator import add, attrgetter
from typing import Any

from scoring.arrays import Unsupported
from scoring.columnar import columns_of
from scoring.compiled import CompiledRuleset, FastPath
from scoring.facts import Activity, ActivityTable, Adjustment, Facts, Team
from scoring.fastpath import evaluate_columns
from scoring.fixedpoint import div_round, format_points, from_milli, to_milli
from scoring.periods import Calendar, Period, calendar_for
from scoring.ranking import competition_ranks
from scoring.results import ADJUSTMENT, Comparison, Line, Standings, TeamResult, adjustment_line
from scoring.rules.base import ActivityRule, EligibilityRule, TeamContext, TeamPoints, TeamRule
from scoring.rules.coverage import reached
from scoring.rules.judge_quality import activity_qualities
from scoring.ruleset import Ruleset, ruleset_to_json

__all__ = [
    "Comparison",
    "FastPath",
    "Line",
    "Standings",
    "TeamResult",
    "compare",
    "evaluate",
    "evaluate_reference",
    "evaluate_team",
    "fast_path",
    "format_points",
    "parse_view",
    "rank",
]

logger = logging.getLogger(__name__)
_occurred_at = attrgetter("occurred_at")


def parse_view(view: str) -> tuple[str, str] | None:
    """``"overall"`` → None; ``"cluster:<c>"`` / ``"type:<CODE>"`` → (attribute, value)."""
    if view == "overall":
        return None
    kind, _, value = view.partition(":")
    if kind == "cluster" and value:
        return "cluster", value
    if kind == "type" and value:
        return "type", value
    raise ValueError(f"invalid view {view!r}: expected overall, cluster:<cluster> or type:<TYPE>")


def _buckets(
    facts: Facts,
    calendar: Calendar,
    period: Period | None,
    view: tuple[str, str] | None,
    only: str | None = None,
) -> Iterator[tuple[str, list[Activity], list[int] | None, list[datetime]]]:
    """Step 1, candidates: each team's verified activities inside the competition, the period and the
    view, with their local day numbers when they had to be computed here (else None: computed later,
    only if a rule asks) and their times (read here anyway, and kept as the context's column).

    One Python-level pass groups verified activities by team. Then, team by team and just before the
    team is evaluated (so its activities are still in the CPU's cache for the rules), a team whose
    earliest and latest activity both lie inside the period is taken whole; otherwise its day numbers
    are computed and the activities outside dropped.
    """
    lo, hi = calendar.day_range(period)
    grouped: dict[str, list[Activity]] = {
        team.code: [] for team in facts.teams if only is None or team.code == only
    }
    if lo < hi:
        activities: Iterable[Activity] = facts.activities
        if isinstance(activities, ActivityTable) and only is not None:
            activities = activities.of_team(only)  # one comparison per row instead of a struct each
        elif only is not None:
            activities = [a for a in activities if a.team == only]
        if view is not None:
            attribute, value = view
            activities = [a for a in activities if getattr(a, attribute) == value]
        get = grouped.get
        for a in activities:
            if a.status == "verified" and (members := get(a.team)) is not None:
                members.append(a)
    start, end = calendar.midnights[lo], calendar.midnights[hi]
    for code, members in grouped.items():
        if not members or lo >= hi:
            yield code, [], [], []
            continue
        moments = list(map(_occurred_at, members))
        if start <= min(moments) and max(moments) < end:
            yield code, members, None, moments
            continue
        days = calendar.days_of(moments)
        inside = [i for i, day in enumerate(days) if lo <= day < hi]
        yield code, [members[i] for i in inside], [days[i] for i in inside], [moments[i] for i in inside]


def _adjustments_by_team(facts: Facts) -> dict[str, list[Adjustment]]:
    grouped: dict[str, list[Adjustment]] = {}
    for adjustment in facts.adjustments:
        grouped.setdefault(adjustment.team, []).append(adjustment)
    return grouped


def _evaluate_team(
    compiled: CompiledRuleset,
    team: Team,
    activities: list[Activity],
    days: list[int] | None,
    moments: list[datetime],
    calendar: Calendar,
    facts: Facts,
    adjustments: Sequence[Adjustment],
    shared: dict[str, Any],
) -> TeamResult:
    """Steps 2–5 for one team; rank 0 until ranked.

    Only what the explanation needs is kept for :attr:`TeamResult.lines`: the candidates, the positions
    each eligibility rule kept (as arrays, which the cycle collector never scans) and each activity
    rule's contributions; the contexts and their columns are dropped when this returns.
    """
    competition = facts.competition
    ctx = TeamContext(team, activities, days, calendar, competition, shared, {"occurred_at": moments})
    subtotals_milli: dict[str, int] = dict.fromkeys(compiled.rule_ids, 0)

    removals: list[tuple[EligibilityRule, Any, array[int]]] = []
    for _, eligibility, params in compiled.eligibility:
        kept = eligibility.select(params, ctx)
        if kept is None:
            continue
        removals.append((eligibility, params, array("q", kept)))
        ctx = ctx.subset(kept)

    running = [0] * len(ctx.activities)
    contributions: list[tuple[ActivityRule, Any, array[int]]] = []
    for _, activity_rule, params in compiled.activity:
        points = activity_rule.points(params, ctx, running)
        subtotal = sum(points)
        if subtotal or any(points):
            contributions.append((activity_rule, params, array("q", points)))
            subtotals_milli[activity_rule.id] += subtotal
            running = list(map(add, running, points))

    team_points: list[tuple[TeamRule, TeamPoints]] = []
    for _, team_rule, params in compiled.team:
        for item in team_rule.team_points(params, ctx):
            team_points.append((team_rule, item))
            subtotals_milli[team_rule.id] += item.milli

    if adjustments:
        subtotals_milli[ADJUSTMENT] = sum(to_milli(adj.points) for adj in adjustments)
    total = sum(subtotals_milli.values())

    counted = len(ctx.activities)
    qualities = [q for q in activity_qualities(ctx, *compiled.quality) if q is not None]
    quality = Decimal(div_round(sum(qualities), len(qualities))).scaleb(-6) if qualities else None
    count, desa_total = reached(ctx)
    coverage = Decimal(count) / Decimal(desa_total) if desa_total else Decimal(0)
    last = max(ctx.column("occurred_at")) if counted else None
    final = ctx.activities
    del ctx, running

    def build_lines() -> tuple[Line, ...]:
        lines: list[Line] = []
        order = attrgetter("occurred_at", "id")
        stage = TeamContext(team, activities, days, calendar, competition, shared)
        for eligibility, params, kept in removals:
            keep = set(kept)
            removed = [a for i, a in enumerate(stage.activities) if i not in keep]
            for a in sorted(removed, key=order):
                reason_id, reason_en = eligibility.explain_removed(params, stage, a)
                lines.append(Line(eligibility.id, a.id, None, from_milli(0), reason_id, reason_en))
            stage = stage.subset(kept)
        for i in sorted(range(len(final)), key=lambda i: order(final[i])):
            activity = final[i]
            before = 0
            for activity_rule, params, points in contributions:
                milli = points[i]
                if milli:
                    reason_id, reason_en = activity_rule.explain(params, stage, activity, before, milli)
                    lines.append(
                        Line(activity_rule.id, activity.id, None, from_milli(milli), reason_id, reason_en)
                    )
                before += milli
        for team_rule, item in team_points:
            lines.append(
                Line(team_rule.id, None, item.period, from_milli(item.milli), item.reason_id, item.reason_en)
            )
        lines.extend(map(adjustment_line, sorted(adjustments, key=attrgetter("id"))))
        return tuple(lines)

    return TeamResult(
        team.code,
        0,
        from_milli(total),
        counted,
        {rule_id: from_milli(milli) for rule_id, milli in subtotals_milli.items()},
        build_lines,
        quality,
        coverage,
        last,
    )


def _period_text(period: Period | None) -> str:
    return "season" if period is None else str(period)


def _results(
    compiled: CompiledRuleset, facts: Facts, period: Period | None, view: str, only: str | None = None
) -> list[TeamResult]:
    view_filter = parse_view(view)
    competition = facts.competition
    calendar = calendar_for(competition.starts_on, competition.ends_on, competition.timezone)
    candidates = _buckets(facts, calendar, period, view_filter, only)
    with_adjustments = view_filter is None and (period is None or period.kind == "season")
    adjustments = _adjustments_by_team(facts) if with_adjustments else {}
    teams = {team.code: team for team in facts.teams}
    shared: dict[str, Any] = {}
    return [
        _evaluate_team(
            compiled, teams[code], acts, days, moments, calendar, facts, adjustments.get(code, ()), shared
        )
        for code, acts, days, moments in candidates
    ]


def rank(
    results: Iterable[TeamResult],
    tie_break: Sequence[str],
    period: str = "season",
    view: str = "overall",
) -> Standings:
    """Rank results by the tie-break chain (competition ranking: 1, 2, 2, 4), best first."""
    ranked = competition_ranks(list(results), tie_break)
    return Standings(period, view, tuple(result.with_rank(position) for position, result in ranked))


def fast_path(ruleset: Ruleset) -> FastPath:
    """Whether :func:`evaluate` runs ``ruleset`` through the columnar kernels, and if not, which of its
    rules have no kernel (the what-if preview tells the organiser)."""
    return CompiledRuleset(ruleset).fast_path


#: The rulesets already logged as lacking the fast path (their JSON), oldest first; bounded.
_logged: dict[bytes, None] = {}
_LOGGED_MAX = 256


def _log_slow_path(ruleset: Ruleset, path: FastPath) -> None:
    """Logs once per ruleset that it is evaluated team by team, and why."""
    key = ruleset_to_json(ruleset)
    if key in _logged:
        return
    if len(_logged) >= _LOGGED_MAX:
        del _logged[next(iter(_logged))]
    _logged[key] = None
    logger.warning(
        "ruleset evaluated team by team, without the columnar fast path (%s): %s",
        "; ".join(path.reasons),
        key.decode(),
    )


def evaluate(
    ruleset: Ruleset, facts: Facts, period: Period | None = None, view: str = "overall"
) -> Standings:
    """Standings of every team in ``facts.teams`` for the period (None: the season) and view.

    Organisers' adjustments count in the season's overall standings only (they carry no date, type or
    cluster).

    A ruleset whose every rule has a kernel is evaluated by the kernels (:mod:`scoring.fastpath`) over
    the facts' columns (built on the first evaluation of this facts object and shared by the next
    ones); any other ruleset — one with a plugin rule without a kernel, say: logged once, see
    :func:`fast_path` — team by team as :func:`evaluate_reference` does. Both give the same standings,
    explanations included.
    """
    compiled = CompiledRuleset(ruleset)
    results: list[TeamResult] | None = None
    if compiled.fast_path.supported:
        try:
            results = evaluate_columns(compiled, columns_of(facts), period, parse_view(view))
        except Unsupported:
            results = None  # numbers beyond exact int64: the reference path computes them
    else:
        _log_slow_path(ruleset, compiled.fast_path)
    if results is None:
        results = _results(compiled, facts, period, view)
    return rank(results, compiled.tie_break, _period_text(period), view)


def evaluate_reference(
    ruleset: Ruleset, facts: Facts, period: Period | None = None, view: str = "overall"
) -> Standings:
    """:func:`evaluate` team by team through each rule's own ``select``/``points``/``team_points``:
    the reference the columnar kernels are proven equal to, and the path of any plugin rule."""
    compiled = CompiledRuleset(ruleset)
    results = _results(compiled, facts, period, view)
    return rank(results, compiled.tie_break, _period_text(period), view)


def evaluate_team(
    ruleset: Ruleset,
    facts: Facts,
    team_code: str,
    period: Period | None = None,
    view: str = "overall",
) -> TeamResult:
    """One team's result (rank 0), equal to its row of a full evaluation once re-ranked with
    :func:`rank`. When every rule is team-local only that team's activities are looked at, so
    ``facts`` may hold just that team's activities (and the teams); otherwise the whole ruleset is
    evaluated and that team's row returned."""
    compiled = CompiledRuleset(ruleset)
    if not any(team.code == team_code for team in facts.teams):
        raise KeyError(team_code)
    if not compiled.team_local:
        return evaluate(ruleset, facts, period, view).row(team_code).with_rank(0)
    (result,) = _results(compiled, facts, period, view, only=team_code)
    return result


def compare(
    ruleset_a: Ruleset, ruleset_b: Ruleset, facts: Facts, period: Period | None = None
) -> list[Comparison]:
    """Every team's rank and score under both rulesets, ordered by the rank under ``ruleset_b``."""
    a = {row.team: row for row in evaluate(ruleset_a, facts, period).rows}
    b = evaluate(ruleset_b, facts, period).rows
    return [Comparison(row.team, a[row.team].rank, a[row.team].score, row.rank, row.score) for row in b]
