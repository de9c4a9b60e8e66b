"""Builders for scoring tests: a small competition, activities with sensible defaults, rulesets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from scoring import (
    Activity,
    Adjustment,
    Competition,
    Criterion,
    Facts,
    JudgeScore,
    Ruleset,
    Team,
    parse_ruleset,
)

WIB = ZoneInfo("Asia/Jakarta")
RUBRIC = (
    Criterion("kemitraan", Decimal(60), Decimal(0), Decimal(100)),
    Criterion("dampak", Decimal(40), Decimal(0), Decimal(10)),
)
# Monday 12 February 2024 (ISO week 2024-W07) to Sunday 31 March 2024 (2024-W13).
COMPETITION = Competition(date(2024, 2, 12), date(2024, 3, 31), "Asia/Jakarta", RUBRIC)
TEAM = Team("35.01", "Kabupaten Pacitan", 120)


def at(day: int, hour: int = 9, month: int = 2) -> datetime:
    """A WIB time in 2024."""
    return datetime(2024, month, day, hour, tzinfo=WIB)


def act(
    id: int,
    *,
    team: str = TEAM.code,
    type: str = "DDS",
    cluster: str = "kamtibmas",
    when: datetime | None = None,
    desa: str | None = "3501010001",
    senkom: int = 2,
    officers: int = 1,
    reach: int = 0,
    preemptive: bool = False,
    status: str = "verified",
    judges: tuple[JudgeScore, ...] = (),
    confirmed: bool = False,
) -> Activity:
    return Activity(
        id=id,
        team=team,
        type=type,
        cluster=cluster,
        occurred_at=when or at(13),
        desa_code=desa,
        senkom_count=senkom,
        officer_count=officers,
        residents_reached=reach,
        preemptive=preemptive,
        status=status,
        judge_scores=judges,
        officer_confirmed=confirmed,
    )


def judge(name: str, kemitraan: int | str, dampak: int | str) -> JudgeScore:
    return JudgeScore(name, (("kemitraan", Decimal(kemitraan)), ("dampak", Decimal(dampak))))


def facts(
    *activities: Activity,
    teams: tuple[Team, ...] = (TEAM,),
    adjustments: tuple[Adjustment, ...] = (),
    competition: Competition = COMPETITION,
) -> Facts:
    return Facts(competition, teams, tuple(activities), adjustments)


def ruleset(*rules: tuple[str, dict[str, Any]], tie_break: tuple[str, ...] | None = None) -> Ruleset:
    data: dict[str, Any] = {"rules": [{"rule": rule, "params": params} for rule, params in rules]}
    if tie_break is not None:
        data["tie_break"] = list(tie_break)
    return parse_ruleset(data)
