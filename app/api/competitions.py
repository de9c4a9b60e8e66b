"""Competitions through the API: create one, list them, read one."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import (
    HTTPException,
)
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from app import i18n
from app.accounts.auth import CurrentUser, organiser_only, public
from app.api import schemas as s
from app.api import services as reads
from app.api.common import (
    BEARER,
    Cursor,
    Invalid,
    Limit,
    decode_cursor,
    iso,
    page_of,
    responses,
    visible_competition,
)
from app.competitions import services as competitions
from app.db import write_transaction
from app.leaderboard import policy

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def _competition_out(c: Any, standings_version: int | None = None) -> s.CompetitionOut:
    """`standings_version`: the one the viewer may know (the board policy's, frozen for the public)."""
    get_ = c.get if isinstance(c, dict) else lambda k: getattr(c, k, None)
    return s.CompetitionOut(
        slug=get_("slug"),
        name=get_("name"),
        starts_on=get_("starts_on"),
        ends_on=get_("ends_on"),
        timezone=get_("timezone"),
        is_private=bool(get_("is_private")),
        reviews_required=get_("reviews_required"),
        ruleset_version=get_("ruleset_version"),
        standings_version=get_("standings_version") if standings_version is None else standings_version,
        created_at=iso(get_("created_at")),
    )


class CompetitionController(Controller):
    path = "/competitions"
    tags = ["competitions"]

    @post(
        "/",
        guards=[organiser_only],
        status_code=HTTP_201_CREATED,
        operation_id="createCompetition",
        summary="Create a competition (with the 38 teams of Jawa Timur when teams is jatim)",
        security=BEARER,
        responses=responses(401, 403, 409),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.CompetitionIn],
        user: NamedDependency[CurrentUser],
    ) -> s.CompetitionOut:
        errors: dict[str, str] = {}
        slug = data.slug.strip()
        if not SLUG_RE.match(slug):
            errors["slug"] = i18n._("2–64 characters: lowercase letters, digits and dashes.")
        name = data.name.strip()
        if not name:
            errors["name"] = i18n._("This field is required.")
        errors.update(competitions.season_date_errors(data.starts_on, data.ends_on))
        try:
            ZoneInfo(data.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            errors["timezone"] = i18n._("Unknown time zone, e.g. Asia/Jakarta.")
        if errors:
            raise Invalid(errors)
        async with write_transaction(lock="competitions"):
            if await competitions.competition_by_slug(slug) is not None:
                raise HTTPException(status_code=409, detail=i18n._("That slug is already taken."))
            info = await competitions.create_competition(
                slug=slug,
                name=name,
                starts_on=data.starts_on,
                ends_on=data.ends_on,
                timezone=data.timezone,
                jatim_teams=data.teams == "jatim",
                actor_id=user.id,
                actor_name=user.username,
            )
            if data.is_private or data.reviews_required != 1:
                await competitions.configure_competition(
                    info.id,
                    is_private=data.is_private,
                    reviews_required=data.reviews_required,
                    actor_id=user.id,
                    actor_name=user.username,
                )
        created = await competitions.competition_by_slug(slug)
        return _competition_out(created)

    @get(
        "/",
        guards=[public],
        operation_id="listCompetitions",
        summary="Competitions (private ones only with a token)",
        responses=responses(),
    )
    async def list_all(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        limit: Limit = None,
        cursor: Cursor = None,
    ) -> s.CompetitionPage:
        size = limit or 50
        rows = await reads.competitions_page(decode_cursor(cursor), size, policy.sees_private_boards(viewer))
        rows, next_cursor = page_of(rows, size)
        return s.CompetitionPage(
            items=[_competition_out(r, policy.standings_version_of_row(viewer, r)) for r in rows],
            next_cursor=next_cursor,
        )

    @get(
        "/{slug:str}",
        guards=[public],
        operation_id="getCompetition",
        summary="One competition",
        responses=responses(401, 404),
    )
    async def detail(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        slug: FromPath[str],
    ) -> s.CompetitionOut:
        competition = await visible_competition(slug, viewer)
        state = await policy.board_of(viewer, competition)
        return _competition_out(competition, policy.standings_version(viewer, state))
