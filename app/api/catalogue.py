"""A competition's teams, activity types and rubric through the API."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import (
    HTTPException,
)
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from app import i18n, regions
from app.accounts.auth import CurrentUser, organiser_only, public
from app.api import schemas as s
from app.api import services as reads
from app.api.common import (
    BEARER,
    Cursor,
    Invalid,
    Limit,
    decimal_text,
    decode_cursor,
    page_of,
    parse_decimal,
    responses,
    visible_competition,
)
from app.competitions import services as competitions
from app.competitions.catalogue import validate_activity_type

CRITERION_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")


MAX_WEIGHT = Decimal(1000)


MAX_SCORE = Decimal(1_000_000)


class CompetitionPartsController(Controller):
    """Teams, activity types and the rubric of one competition."""

    path = "/competitions/{slug:str}"
    tags = ["competitions"]

    @get(
        "/teams",
        guards=[public],
        operation_id="listTeams",
        summary="The competition's teams",
        responses=responses(401, 404),
    )
    async def teams(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        slug: FromPath[str],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> s.TeamPage:
        competition = await visible_competition(slug, viewer)
        size = limit or 50
        rows, next_cursor = page_of(await reads.teams_page(competition.id, decode_cursor(cursor), size), size)
        return s.TeamPage(
            items=[s.TeamOut(code=r["code"], name=r["name"]) for r in rows], next_cursor=next_cursor
        )

    @post(
        "/teams",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createTeam",
        summary="Register a team by its Kemendagri regency/city code",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def add_team(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.TeamIn],
        user: NamedDependency[CurrentUser],
    ) -> s.TeamOut:
        competition = await visible_competition(slug, user)
        code = data.code.strip()
        regency = regions.regency(code)
        if regency is None:
            raise Invalid({"code": i18n._("Unknown regency/city code.")})
        name = data.name.strip() or regency.name
        try:
            await competitions.add_team(competition, code, name, actor_id=user.id, actor_name=user.username)
        except competitions.CompetitionConflict as exc:
            raise HTTPException(status_code=409, detail=exc.message) from None
        return s.TeamOut(code=code, name=name)

    @get(
        "/activity-types",
        guards=[public],
        operation_id="listActivityTypes",
        summary="The competition's activity catalogue",
        responses=responses(401, 404),
    )
    async def activity_types(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        slug: FromPath[str],
    ) -> list[s.ActivityTypeOut]:
        competition = await visible_competition(slug, viewer)
        return [
            s.ActivityTypeOut(code=t["code"], name=t["name"], name_en=t["name_en"], cluster=t["cluster"])
            for t in await competitions.activity_types(competition.id)
        ]

    @post(
        "/activity-types",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createActivityType",
        summary="Add an activity type to the catalogue",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def add_activity_type(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.ActivityTypeIn],
        user: NamedDependency[CurrentUser],
    ) -> s.ActivityTypeOut:
        competition = await visible_competition(slug, user)
        values, errors = validate_activity_type(
            {"code": data.code, "name": data.name, "name_en": data.name_en, "cluster": data.cluster}
        )
        if errors:
            raise Invalid(errors)
        try:
            await competitions.add_activity_type(
                competition.id,
                code=values["code"],
                name=values["name"],
                name_en=values["name_en"],
                cluster=values["cluster"],
                actor_id=user.id,
                actor_name=user.username,
            )
        except competitions.CompetitionConflict as exc:
            raise HTTPException(status_code=409, detail=exc.message) from None
        return s.ActivityTypeOut(
            code=values["code"], name=values["name"], name_en=values["name_en"], cluster=values["cluster"]
        )

    @get(
        "/rubric",
        guards=[public],
        operation_id="getRubric",
        summary="The judges' rubric: weighted criteria and their score ranges",
        responses=responses(401, 404),
    )
    async def rubric(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        slug: FromPath[str],
    ) -> s.RubricOut:
        competition = await visible_competition(slug, viewer)
        return _rubric_out(await competitions.rubric(competition.id))

    @put(
        "/rubric",
        guards=[organiser_only],
        operation_id="putRubric",
        summary="Replace the rubric (judge quality is rescored at once)",
        security=BEARER,
        responses=responses(401, 403, 404, 409),
    )
    async def put_rubric(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[s.RubricIn],
        user: NamedDependency[CurrentUser],
    ) -> s.RubricOut:
        competition = await visible_competition(slug, user)
        errors: dict[str, str] = {}
        criteria: list[dict[str, Any]] = []
        seen: set[str] = set()
        for i, c in enumerate(data.criteria):
            where = f"criteria[{i}]"
            code = c.code.strip()
            if not CRITERION_RE.match(code):
                errors[f"{where}.code"] = i18n._(
                    "1–32 characters: lowercase letters, digits and underscores."
                )
            elif code in seen:
                errors[f"{where}.code"] = i18n._("Each criterion code may appear once.")
            seen.add(code)
            if not c.name.strip():
                errors[f"{where}.name"] = i18n._("This field is required.")
            weight = parse_decimal(c.weight, f"{where}.weight", errors, Decimal("0.001"), MAX_WEIGHT)
            low = parse_decimal(c.min, f"{where}.min", errors, -MAX_SCORE, MAX_SCORE)
            high = parse_decimal(c.max, f"{where}.max", errors, -MAX_SCORE, MAX_SCORE)
            if low is not None and high is not None and high <= low:
                errors[f"{where}.max"] = i18n._("The maximum must be greater than the minimum.")
            levels: list[dict[str, str]] = []
            scores_seen: set[Decimal] = set()
            for j, level in enumerate(c.levels):
                at = f"{where}.levels[{j}]"
                score = parse_decimal(
                    level.score, f"{at}.score", errors, low or -MAX_SCORE, high or MAX_SCORE
                )
                if score is not None and score in scores_seen:
                    errors[f"{at}.score"] = i18n._("Each score may have one description.")
                if not level.id.strip():
                    errors[f"{at}.id"] = i18n._("This field is required.")
                if score is not None:
                    scores_seen.add(score)
                    levels.append(
                        {"score": decimal_text(score), "id": level.id.strip(), "en": level.en.strip()}
                    )
            criteria.append(
                {
                    "code": code,
                    "name": c.name.strip(),
                    "name_en": c.name_en.strip(),
                    "weight": weight,
                    "min": low,
                    "max": high,
                    "scope": c.scope,
                    "description": c.description.strip(),
                    "levels": sorted(levels, key=lambda item: Decimal(item["score"])),
                }
            )
        if errors:
            raise Invalid(errors)
        await competitions.replace_rubric(competition, criteria, actor_id=user.id, actor_name=user.username)
        return _rubric_out(await competitions.rubric(competition.id))


def _levels(stored: Any) -> list[dict[str, Any]]:
    try:
        levels = json.loads(stored) if isinstance(stored, str) else stored
    except ValueError:
        return []
    return [v for v in levels or [] if isinstance(v, dict)]


def _rubric_out(rows: list[dict[str, Any]]) -> s.RubricOut:
    return s.RubricOut(
        criteria=[
            s.CriterionOut(
                code=r["code"],
                name=r["name"],
                name_en=r["name_en"],
                weight=decimal_text(r["weight"]),
                min=decimal_text(r["min"]),
                max=decimal_text(r["max"]),
                scope=r.get("scope") or "activity",
                description=r.get("description") or "",
                levels=[
                    s.LevelOut(
                        score=str(v.get("score", "")), id=str(v.get("id", "")), en=str(v.get("en", ""))
                    )
                    for v in _levels(r.get("levels"))
                ],
            )
            for r in rows
        ]
    )
