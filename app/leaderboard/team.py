"""The team page's data: the stored standing with its explanation, the cumulative score week by week
(drawn as a server-side SVG) and the team's recent verified activities — frozen for the public."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from app.competitions.services import ruleset_in_force
from app.leaderboard import views
from app.leaderboard.services import season_overall
from app.tables import Activity, Review, Standing, StandingSnapshot
from scoring.engine import evaluate_team
from scoring.facts import Facts, occurred_before

RECENT = 10
CHART_W, CHART_H, PAD = 640, 220, 36


@dataclass(slots=True)
class Chart:
    points: list[tuple[str, Decimal]] = field(default_factory=list)  # (week label, cumulative score)
    path: str = ""
    dots: list[tuple[float, float, str, Decimal]] = field(default_factory=list)
    top: Decimal = Decimal(0)
    width: int = CHART_W
    height: int = CHART_H
    pad: int = PAD


@dataclass(slots=True)
class Summary:
    version: int
    frozen: bool
    ruleset_version: int
    standing: dict[str, Any] | None
    rule_titles: dict[str, str]
    chart: Chart | None
    recent: list[dict[str, Any]]


async def _standing(competition_id: int, team_id: int, frozen: bool) -> dict[str, Any] | None:
    if frozen:
        S = StandingSnapshot
        row = (
            await S.select()
            .where((S.competition == competition_id) & (S.team == team_id) & (S.label == views.FROZEN_PERIOD))
            .first()
        )
    else:
        row = await (
            Standing.select().where(season_overall(competition_id) & (Standing.team == team_id)).first()
        )
    if row is None:
        return None
    for key in ("subtotals", "lines"):
        if isinstance(row[key], str):
            row[key] = json.loads(row[key])
    row["score"] = Decimal(row["score"])
    row["subtotals"] = {rule: Decimal(points) for rule, points in (row["subtotals"] or {}).items()}
    for line in row["lines"] or []:
        line["points"] = Decimal(line["points"])
    return row


_charts = views._Lru(128)


async def _chart(state: views.State, code: str) -> Chart:
    key = ("chart", state.stamp, state.version, code)
    cached = _charts.get(key)
    if cached is not None:
        return cached
    from app.leaderboard.services import load_facts

    _version, ruleset = await ruleset_in_force(state.id)
    facts = await load_facts(state.info, code)
    zone = ZoneInfo(state.info.timezone)
    last = views.local_today(state.info)
    points: list[tuple[str, Decimal]] = []
    day = views.week_start(state.info.starts_on)
    while day <= last:
        end = day + timedelta(days=7)
        cutoff = datetime(end.year, end.month, end.day, tzinfo=zone).astimezone(UTC)
        cut = Facts(
            competition=facts.competition,
            teams=facts.teams,
            activities=occurred_before(facts.activities, cutoff),
            adjustments=facts.adjustments if end > last else (),
        )
        year, number, _ = day.isocalendar()
        points.append((f"{year}-W{number:02d}", evaluate_team(ruleset, cut, code).score))
        day = end
    chart = _draw(points)
    _charts.put(key, chart)
    return chart


def _draw(points: list[tuple[str, Decimal]]) -> Chart:
    chart = Chart(points=points)
    if not points:
        return chart
    top = max([p[1] for p in points] + [Decimal(1)])
    chart.top = top
    inner_w, inner_h = CHART_W - 2 * PAD, CHART_H - 2 * PAD
    step = inner_w / max(1, len(points) - 1)
    coords = []
    for i, (label, score) in enumerate(points):
        x = PAD + i * step
        y = PAD + inner_h - float(max(score, Decimal(0)) / top) * inner_h
        coords.append((round(x, 1), round(y, 1), label, score))
    chart.dots = coords
    chart.path = "M" + " L".join(f"{x},{y}" for x, y, _, _ in coords)
    return chart


async def _recent(team_id: int, before: datetime | None) -> list[dict[str, Any]]:
    """The latest verified activities; with `before` (a freeze), only those decided by then."""
    rows = await (
        Activity.select(
            Activity.id,
            Activity.title,
            Activity.occurred_at,
            Activity.activity_type.name,
            Activity.village_code,
        )
        .where((Activity.team == team_id) & (Activity.status == "verified"))
        .order_by(Activity.occurred_at, ascending=False)
        .limit(RECENT * 5 if before is not None else RECENT)
    )
    if before is not None and rows:
        late = {
            r["activity"]
            for r in await Review.select(Review.activity).where(
                Review.activity.is_in([r["id"] for r in rows]) & (Review.created_at > before)
            )
        }
        rows = [r for r in rows if r["id"] not in late]
    return rows[:RECENT]


async def summary(state: views.State, team: dict[str, Any], audience: str, locale: str) -> Summary:
    """What the audience may see of a team: for the public of a frozen board, the snapshot only."""
    frozen = state.frozen_for(audience)
    standing = await _standing(state.id, team["id"], frozen)
    version, _ruleset = await ruleset_in_force(state.id)
    return Summary(
        version=state.version_for(audience),
        frozen=frozen,
        ruleset_version=standing["ruleset_version"] if standing else version,
        standing=standing,
        rule_titles=views._rule_titles(locale),
        # The weekly chart is computed from today's facts: the public of a frozen board does not get it.
        chart=None if frozen else await _chart(state, team["code"]),
        recent=await _recent(team["id"], state.frozen_at if frozen else None),
    )
