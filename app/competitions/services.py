"""Competitions: seasons, their teams and activity catalogue, and their versioned rulesets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from app import regions
from app.audit import services as audit
from app.competitions.catalogue import DEFAULT_CATALOGUE
from app.competitions.events import (
    AdjustmentChanged,
    CompetitionCreated,
    RubricReplaced,
    RulesetPublished,
    TeamAdded,
)
from app.competitions.stages import ensure_default_stages
from app.db import write_transaction
from app.errors import Conflict, Invalid
from app.events import emit
from app.i18n import _, parse_number
from app.tables import (
    ActivityType,
    Adjustment,
    Competition,
    FinalResult,
    RubricCriterion,
    RulesetVersion,
    Team,
)
from scoring.aggregate import Rubric
from scoring.facts import Criterion
from scoring.periods import FIRST_YEAR, LAST_YEAR
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


def season_date_errors(starts_on: date | None, ends_on: date | None) -> dict[str, str]:
    """A season's first and last day, for every door that sets them: within the years the periods can
    name (the board is scored day by day; the first or last day a date can name has no day beyond it),
    and not ending before it starts. An absent date (already refused as unreadable) is not judged."""
    errors: dict[str, str] = {}
    for key, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors[key] = _("Choose a year from %(first)s to %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
    if not errors and starts_on is not None and ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The season cannot end before it starts.")
    return errors


async def results_published(competition_id: int) -> bool:
    return await FinalResult.exists().where(FinalResult.competition == competition_id)


async def ensure_results_open(competition_id: int) -> None:
    """The final-results lock, the one copy of it: once the organisers have published the final results,
    nothing that changes the scores may change (rules and their versions, stage weights, the rubric,
    bonuses and penalties). Every service that changes them calls this inside its write transaction, so
    the console, the API and any later door get the same Conflict."""
    if await results_published(competition_id):
        raise Conflict(_("The final results are published: this can no longer be changed."))


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
    await ensure_default_stages(competition.id)
    info = await competition_by_id(competition.id)
    assert info is not None
    await emit(CompetitionCreated(info))
    return await competition_by_id(competition.id) or info


async def save_ruleset(
    competition_id: int,
    ruleset: Ruleset,
    *,
    actor_id: int | None,
    actor_name: str,
    note: str = "",
) -> int:
    """Stores the next immutable ruleset version and puts it in force; runs inside a write transaction.
    Every new version comes through here (the console, the API, stage weights): the final-results lock
    is checked here once."""
    await ensure_results_open(competition_id)
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


async def team_count(competition_id: int) -> int:
    return await Team.count().where(Team.competition == competition_id)


class CompetitionConflict(Exception):
    """The change clashes with what is stored (a code or slug already taken)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


async def configure_competition(
    competition_id: int, *, is_private: bool, reviews_required: int, actor_id: int | None, actor_name: str
) -> None:
    """Sets who may watch and how many reviews decide an activity; runs inside a write transaction."""
    await Competition.update(
        {Competition.is_private: is_private, Competition.reviews_required: reviews_required}
    ).where(Competition.id == competition_id)
    await audit.record(
        actor_id=actor_id,
        actor_name=actor_name,
        action="competition.configure",
        object_type="competition",
        object_id=competition_id,
        after={"is_private": is_private, "reviews_required": reviews_required},
        competition_id=competition_id,
    )


async def add_team(
    competition: CompetitionInfo, code: str, name: str, *, actor_id: int | None, actor_name: str
) -> int:
    """Registers a team and lists it on the leaderboard at once."""
    async with write_transaction(lock=f"competition:{competition.id}"):
        if await team_by_code(competition.id, code) is not None:
            raise CompetitionConflict("code", _("That team is already registered."))
        team = Team(competition=competition.id, code=code, name=name)
        await team.save()
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="team.create",
            object_type="team",
            object_id=team.id,
            after={"code": code, "name": name},
            competition_id=competition.id,
        )
        await emit(TeamAdded(competition, code))
    return int(team.id)


async def add_activity_type(
    competition_id: int,
    *,
    code: str,
    name: str,
    name_en: str,
    cluster: str,
    actor_id: int | None,
    actor_name: str,
) -> int:
    async with write_transaction(lock=f"competition:{competition_id}"):
        if await ActivityType.exists().where(
            (ActivityType.competition == competition_id) & (ActivityType.code == code)
        ):
            raise CompetitionConflict("code", _("That activity type already exists."))
        row = ActivityType(competition=competition_id, code=code, name=name, name_en=name_en, cluster=cluster)
        await row.save()
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="activity_type.create",
            object_type="activity_type",
            object_id=row.id,
            after={"code": code, "name": name, "name_en": name_en, "cluster": cluster},
            competition_id=competition_id,
        )
    return int(row.id)


async def rubric(competition_id: int, scope: str | None = None) -> list[dict[str, Any]]:
    """The rubric's criteria in order (only those of `scope`, "activity" or "team", when given); weight,
    min and max as exact decimal text, levels as stored."""
    where = RubricCriterion.competition == competition_id
    if scope is not None:
        where &= RubricCriterion.scope == scope
    return (
        await RubricCriterion.select()
        .where(where)
        .order_by(RubricCriterion.position)
        .order_by(RubricCriterion.id)
    )


def criteria_of(rows: list[dict[str, Any]]) -> tuple[Criterion, ...]:
    """The criteria of rubric rows as the scoring library reads them (a row whose numbers do not read as
    numbers is left out)."""
    criteria = []
    for row in rows:
        weight, low, high = (parse_number(row[k], localised=False) for k in ("weight", "min", "max"))
        if weight is not None and low is not None and high is not None:
            criteria.append(Criterion(code=row["code"], weight=weight, min=low, max=high))
    return tuple(criteria)


async def scoring_rubric(competition_id: int, scope: str) -> Rubric:
    """The criteria of one scope, prepared to turn a judge's scores into q (`app.judging.scores.judge_q`)."""
    return Rubric(criteria_of(await rubric(competition_id, scope)))


async def replace_rubric(
    competition: CompetitionInfo, criteria: list[dict[str, Any]], *, actor_id: int | None, actor_name: str
) -> None:
    """Puts a new rubric in force (criteria: code, name, name_en, weight, min, max; optionally scope
    "activity"|"team", description, levels [{"score", "id", "en"}]) and rescores."""
    fields = ("code", "name", "name_en", "weight", "min", "max", "scope", "description", "levels")
    async with write_transaction(lock=f"competition:{competition.id}"):
        await ensure_results_open(competition.id)
        before = [{k: r[k] for k in fields} for r in await rubric(competition.id)]
        await RubricCriterion.delete().where(RubricCriterion.competition == competition.id)
        if criteria:
            await RubricCriterion.insert(
                *[
                    RubricCriterion(
                        competition=competition.id,
                        code=c["code"],
                        name=c["name"],
                        name_en=c.get("name_en") or "",
                        weight=str(c["weight"]),
                        min=str(c["min"]),
                        max=str(c["max"]),
                        position=i,
                        scope=c.get("scope") or "activity",
                        description=c.get("description") or "",
                        levels=json.dumps(c.get("levels") or [], ensure_ascii=False),
                    )
                    for i, c in enumerate(criteria)
                ]
            )
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="rubric.update",
            object_type="rubric",
            object_id=competition.id,
            before=before,
            after=[
                {k: json.dumps(v, ensure_ascii=False) if k == "levels" else str(v) for k, v in c.items()}
                for c in criteria
            ],
            competition_id=competition.id,
        )
        await emit(RubricReplaced(competition))


async def add_adjustment(
    competition: CompetitionInfo,
    team_id: int,
    points: Any,
    reason: str,
    *,
    actor_id: int | None,
    actor_name: str,
) -> int:
    """An organisers' bonus or penalty (points: an exact Decimal), counted in the standings at once. Zero
    points is neither (Invalid, at every door)."""
    if points == 0:
        zero = _("Enter the points: positive for a bonus, negative for a penalty (at most 3 decimals).")
        raise Invalid(fields={"points": zero})
    async with write_transaction(lock=f"competition:{competition.id}"):
        await ensure_results_open(competition.id)
        row = Adjustment(
            competition=competition.id, team=team_id, points=str(points), reason=reason, created_by=actor_id
        )
        await row.save()
        await audit.record(
            actor_id=actor_id,
            actor_name=actor_name,
            action="adjustment.create",
            object_type="adjustment",
            object_id=row.id,
            after={"team": team_id, "points": str(points), "reason": reason},
            competition_id=competition.id,
        )
        await emit(AdjustmentChanged(competition, team_id))
    return int(row.id)


async def publish_ruleset(
    competition: CompetitionInfo, ruleset: Ruleset, *, actor_id: int | None, actor_name: str, note: str = ""
) -> int:
    """Stores the next ruleset version and puts it in force; the standings are recomputed with it in the same
    transaction (`RulesetPublished`)."""
    async with write_transaction(lock=f"competition:{competition.id}"):
        version = await save_ruleset(
            competition.id, ruleset, actor_id=actor_id, actor_name=actor_name, note=note
        )
        await emit(RulesetPublished(competition, version))
    return version
