"""The team page's data: the stored standing with its explanation in words (each verified activity with
its number and what it earned, zero included, and the team's own lines), the cumulative score week by
week (drawn as a server-side SVG) — frozen for the public."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from app import i18n
from app.competitions.services import ruleset_in_force
from app.leaderboard import caches, views
from app.leaderboard.freeze import FROZEN_PERIOD
from app.leaderboard.people import People, people
from app.leaderboard.services import load_facts, season_overall
from app.leaderboard.state import _aware
from app.tables import Activity, ActivityType, Standing, StandingSnapshot
from scoring.engine import evaluate_team
from scoring.facts import Facts, occurred_before

LISTED = 50  # verified activities listed with their points; the subtotals count them all
CHART_W, CHART_H = 400, 230
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 46, 14, 14, 34
CHART_LABELS = 5


@dataclass(slots=True)
class Chart:
    points: list[tuple[date, Decimal]] = field(default_factory=list)  # (Monday, cumulative score)
    path: str = ""
    dots: list[tuple[float, float, date, Decimal]] = field(default_factory=list)
    x_labels: list[tuple[float, date, str]] = field(default_factory=list)  # (x, Monday, text-anchor)
    y_labels: list[tuple[float, Decimal]] = field(default_factory=list)
    width: int = CHART_W
    height: int = CHART_H
    left: int = PAD_LEFT
    right: int = CHART_W - PAD_RIGHT
    top: int = PAD_TOP
    bottom: int = CHART_H - PAD_BOTTOM


@dataclass(frozen=True, slots=True)
class Line:
    """One explained contribution, in words."""

    points: Decimal
    rule: str
    text: str


@dataclass(slots=True)
class ActivityPoints:
    """A verified activity, its number, and what it earned (zero included) with the reasons."""

    id: int
    occurred_at: datetime
    day: date  # in the competition's time zone
    type_name: str
    title: str
    points: Decimal = Decimal(0)
    lines: list[Line] = field(default_factory=list)
    removed: bool = False  # an eligibility rule took it out (its line says why)


@dataclass(slots=True)
class Summary:
    version: int
    frozen: bool
    ruleset_version: int
    standing: dict[str, Any] | None
    rule_titles: dict[str, str]
    chart: Chart | None
    activities: list[ActivityPoints]
    verified: int  # every verified activity the audience may see (the list shows the latest LISTED)
    team_lines: list[Line]
    teams: int = 0  # how many teams are ranked
    shared: bool = False
    move: int | None = None
    people: People | None = None  # the Senkom members and officers of its verified activities


async def _standing(competition_id: int, team_id: int, frozen: bool) -> dict[str, Any] | None:
    if frozen:
        S = StandingSnapshot
        row = (
            await S.select()
            .where((S.competition == competition_id) & (S.team == team_id) & (S.label == FROZEN_PERIOD))
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


async def _ranks(competition_id: int, frozen: bool) -> list[int]:
    if frozen:
        S = StandingSnapshot
        rows = await S.select(S.rank).where((S.competition == competition_id) & (S.label == FROZEN_PERIOD))
    else:
        rows = await Standing.select(Standing.rank).where(season_overall(competition_id))
    return [r["rank"] for r in rows]


async def _chart(state: views.State, code: str) -> Chart:
    key = ("chart", state.stamp, state.version, code)
    charts = caches.current().charts
    cached = charts.get(key)
    if cached is not None:
        return cached
    _version, ruleset = await ruleset_in_force(state.id)
    facts = await load_facts(state.info, code)
    zone = ZoneInfo(state.info.timezone)
    last = views.local_today(state.info)
    points: list[tuple[date, Decimal]] = []
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
        points.append((day, evaluate_team(ruleset, cut, code).score))
        day = end
    chart = draw(points)
    charts.put(key, chart)
    return chart


def _nice_top(top: Decimal) -> Decimal:
    """The axis' top: the smallest of 1, 2, 2.5, 5 × 10^n at or above the highest score."""
    if top <= 0:
        return Decimal(10)
    magnitude = Decimal(10) ** (len(str(int(top))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if top <= magnitude * step:
            return magnitude * step
    return magnitude * 10


def draw(points: list[tuple[date, Decimal]]) -> Chart:
    """The line of cumulative scores, with dated ticks below and score ticks on the left."""
    chart = Chart(points=points)
    if not points:
        return chart
    top = _nice_top(max(p[1] for p in points))
    inner_w, inner_h = chart.right - chart.left, chart.bottom - chart.top
    step = inner_w / max(1, len(points) - 1)
    coords = []
    for i, (day, score) in enumerate(points):
        x = chart.left + i * step
        y = chart.bottom - float(max(score, Decimal(0)) / top) * inner_h
        coords.append((round(x, 1), round(y, 1), day, score))
    chart.dots = coords
    chart.path = "M" + " L".join(f"{x},{y}" for x, y, _, _ in coords)
    every = max(1, -(-len(points) // CHART_LABELS))
    chart.x_labels = [
        (x, day, "end" if x > chart.right - 20 else "middle")
        for i, (x, _, day, _) in enumerate(coords)
        if i % every == 0
    ]
    chart.y_labels = [(round(chart.bottom - inner_h * k / 2, 1), top * k / 2) for k in (0, 1, 2)]
    return chart


_PERIOD = re.compile(r"\b(?:(week|month):)?(\d{4})-(W\d{2}|\d{2})\b(?!-)")


def words(text: str, type_names: dict[str, str]) -> str:
    """A rule's explanation with activity types by name and periods as people say them
    ("Jenis DDS: 2 poin" -> "Jenis Sambang / kunjungan … (DDS): 2 poin"; "week:2026-W48" -> "pekan 23–29 Nov
    2026"). The rules write codes: the names live in the competition's catalogue."""

    def period(match: re.Match[str]) -> str:
        kind, year, rest = match.groups()
        if rest.startswith("W"):
            label = views.period_label(f"week:{year}-{rest}")
            return label[:1].lower() + label[1:]
        if kind == "month":
            return views.period_label(f"month:{year}-{rest}")
        return match.group(0)

    text = _PERIOD.sub(period, text)
    if type_names:
        codes = "|".join(sorted(map(re.escape, type_names), key=len, reverse=True))
        text = re.sub(rf"\b({codes})\b", lambda m: type_names[m.group(1)], text)
    return text


async def type_names(competition_id: int) -> dict[str, str]:
    english = i18n.get_locale() == "en"
    return {
        t["code"]: (t["name_en"] or t["name"]) if english else t["name"]
        for t in await ActivityType.select(ActivityType.code, ActivityType.name, ActivityType.name_en).where(
            ActivityType.competition == competition_id
        )
    }


async def _verified(competition_id: int, team_id: int, frozen: bool) -> tuple[list[dict[str, Any]], int]:
    """The latest verified activities and how many there are; for the public of a frozen board, the
    list copied at the freeze (nothing decided, revised or annulled since may show)."""
    if frozen:
        return await views.frozen_activities(competition_id, team_id, LISTED)
    A = Activity
    where = (A.team == team_id) & (A.status == "verified")
    rows = await (
        A.select(A.id, A.title, A.occurred_at, A.activity_type.code)
        .where(where)
        .order_by(A.occurred_at, ascending=False)
        .order_by(A.id, ascending=False)
        .limit(LISTED)
    )
    return rows, await A.count().where(where)


def _activity_points(
    rows: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    titles: dict[str, str],
    names: dict[str, str],
    zone: ZoneInfo,
) -> list[ActivityPoints]:
    english = i18n.get_locale() == "en"
    listed = {
        r["id"]: ActivityPoints(
            id=r["id"],
            occurred_at=r["occurred_at"],
            day=_aware(r["occurred_at"]).astimezone(zone).date(),
            type_name=names.get(r["activity_type.code"], r["activity_type.code"]),
            title=r["title"],
        )
        for r in rows
    }
    for line in lines:
        item = listed.get(line.get("activity_id") or 0)
        if item is None:
            continue
        reason = line["reason_en"] if english else line["reason_id"]
        item.lines.append(Line(line["points"], titles.get(line["rule"], line["rule"]), words(reason, names)))
        item.points += line["points"]
        # Only an eligibility rule writes a 0-point line: the activity was not counted, and the line says why.
        item.removed = item.removed or line["points"] == 0
    return list(listed.values())


async def summary(
    state: views.State, team: dict[str, Any], audience: str, locale: str, with_chart: bool = True
) -> Summary:
    """What the audience may see of a team: for the public of a frozen board, the snapshot only."""
    frozen = state.frozen_for(audience)
    standing = await _standing(state.id, team["id"], frozen)
    version, _ruleset = await ruleset_in_force(state.id)
    titles = views.rule_titles(locale)
    names = await type_names(state.id)
    rows, verified = await _verified(state.id, team["id"], frozen)
    lines = (standing or {}).get("lines") or []
    ranks = await _ranks(state.id, frozen)
    move = None
    if standing is not None and not frozen:
        today = views.local_today(state.info)
        previous = views._meaningful(await views._baseline_ranks(state.id, views.baseline_label(today)))
        if team["code"] in previous:
            move = previous[team["code"]] - standing["rank"]
    english = locale == "en"
    return Summary(
        version=state.version_for(audience),
        frozen=frozen,
        ruleset_version=standing["ruleset_version"] if standing else version,
        standing=standing,
        rule_titles=titles,
        # The weekly chart is computed from today's facts: the public of a frozen board does not get it.
        chart=None if frozen or not with_chart else await _chart(state, team["code"]),
        activities=_activity_points(rows, lines, titles, names, ZoneInfo(state.info.timezone)),
        verified=verified,
        team_lines=[
            Line(
                line["points"],
                titles.get(line["rule"], line["rule"]),
                words(line["reason_en"] if english else line["reason_id"], names),
            )
            for line in lines
            if not line.get("activity_id")
        ],
        teams=len(ranks),
        shared=standing is not None and ranks.count(standing["rank"]) > 1,
        move=move,
        people=await people(state, team, audience, (standing or {}).get("data_version")),
    )
