"""Competitions: seasons, their teams and activity catalogue, and their versioned rulesets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from app import regions
from app.audit import services as audit
from app.competitions.catalogue import DEFAULT_CATALOGUE
from app.tables import ActivityType, Competition, RulesetVersion, Team
from scoring.ruleset import Ruleset, default_ruleset, parse_ruleset, ruleset_to_json


@dataclass(frozen=True, slots=True)
class CompetitionInfo:
    id: int
    slug: str
    name: str
    starts_on: date
    ends_on: date
    timezone: str
    is_private: bool
    reviews_required: int
    ruleset_version: int
    standings_version: int


def _info(row: dict[str, Any]) -> CompetitionInfo:
    return CompetitionInfo(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        timezone=row["timezone"],
        is_private=row["is_private"],
        reviews_required=row["reviews_required"],
        ruleset_version=row["ruleset_version"],
        standings_version=row["standings_version"],
    )


async def current_competition() -> CompetitionInfo | None:
    row = await Competition.select().where(Competition.is_current.eq(True)).order_by(Competition.id).first()
    if row is None:
        row = await Competition.select().order_by(Competition.id, ascending=False).first()
    return _info(row) if row else None


async def competition_by_id(competition_id: int) -> CompetitionInfo | None:
    row = await Competition.select().where(Competition.id == competition_id).first()
    return _info(row) if row else None


async def competition_by_slug(slug: str) -> CompetitionInfo | None:
    row = await Competition.select().where(Competition.slug == slug).first()
    return _info(row) if row else None


async def create_competition(
    *,
    slug: str,
    name: str,
    starts_on: date,
    ends_on: date,
    timezone: str = "Asia/Jakarta",
    jatim_teams: bool = True,
    is_current: bool = False,
    actor_id: int | None = None,
    actor_name: str = "system",
) -> CompetitionInfo:
    """Must run inside a write transaction: the competition, its teams, catalogue and first ruleset."""
    competition = Competition(
        slug=slug,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        timezone=timezone,
        is_current=is_current,
    )
    await competition.save()
    if jatim_teams:
        await Team.insert(
            *[Team(competition=competition.id, code=r.code, name=r.name) for r in regions.regencies()]
        )
    await ActivityType.insert(
        *[
            ActivityType(
                competition=competition.id, code=e.code, name=e.name, name_en=e.name_en, cluster=e.cluster
            )
            for e in DEFAULT_CATALOGUE
        ]
    )
    await audit.record(
        actor_id=actor_id,
        actor_name=actor_name,
        action="competition.create",
        object_type="competition",
        object_id=competition.id,
        after={"slug": slug, "name": name, "starts_on": starts_on, "ends_on": ends_on, "timezone": timezone},
        competition_id=competition.id,
    )
    await save_ruleset(
        competition.id, default_ruleset(), actor_id=actor_id, actor_name=actor_name, note="default"
    )
    info = await competition_by_id(competition.id)
    assert info is not None
    return info


async def save_ruleset(
    competition_id: int,
    ruleset: Ruleset,
    *,
    actor_id: int | None,
    actor_name: str,
    note: str = "",
) -> int:
    """Stores the next immutable ruleset version and puts it in force; runs inside a write transaction."""
    last = (
        await RulesetVersion.select(RulesetVersion.version)
        .where(RulesetVersion.competition == competition_id)
        .order_by(RulesetVersion.version, ascending=False)
        .first()
    )
    version = (last["version"] if last else 0) + 1
    body = json.loads(ruleset_to_json(ruleset))
    await RulesetVersion.insert(
        RulesetVersion(
            competition=competition_id,
            version=version,
            body=json.dumps(body),
            note=note,
            created_by=actor_id,
        )
    )
    await Competition.update({Competition.ruleset_version: version}).where(Competition.id == competition_id)
    await audit.record(
        actor_id=actor_id,
        actor_name=actor_name,
        action="ruleset.publish",
        object_type="ruleset",
        object_id=f"{competition_id}:{version}",
        after=body,
        competition_id=competition_id,
    )
    return version


async def ruleset_in_force(competition_id: int) -> tuple[int, Ruleset]:
    row = await (
        RulesetVersion.select(RulesetVersion.version, RulesetVersion.body)
        .where(RulesetVersion.competition == competition_id)
        .order_by(RulesetVersion.version, ascending=False)
        .first()
    )
    if row is None:
        return 0, default_ruleset()
    body = row["body"]
    return row["version"], parse_ruleset(body if isinstance(body, str | bytes) else json.dumps(body))


async def activity_types(competition_id: int) -> list[dict[str, Any]]:
    return await (
        ActivityType.select().where(ActivityType.competition == competition_id).order_by(ActivityType.id)
    )


async def teams(competition_id: int) -> list[dict[str, Any]]:
    return await Team.select().where(Team.competition == competition_id).order_by(Team.code)


async def team_by_code(competition_id: int, code: str) -> dict[str, Any] | None:
    return await Team.select().where((Team.competition == competition_id) & (Team.code == code)).first()
