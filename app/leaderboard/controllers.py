"""Public pages: the live leaderboard, its self-refreshing fragment, the team page; and the probes."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from litestar.status_codes import HTTP_204_NO_CONTENT

from app import db, i18n
from app.accounts.auth import public
from app.competitions.services import current_competition, ruleset_in_force, team_by_code
from app.leaderboard import services
from app.web import page
from scoring.registry import all_rules

POLL_SECONDS = 5


class LeaderboardController(Controller):
    path = "/"
    guards = [public]

    async def _board(self) -> dict[str, Any]:
        competition = await current_competition()
        if competition is None:
            return {"competition": None, "rows": [], "version": 0, "ruleset_version": 0}
        rows, ruleset_version = await services.leaderboard(competition.id)
        return {
            "competition": competition,
            "rows": rows,
            "version": competition.standings_version,
            "ruleset_version": ruleset_version or competition.ruleset_version,
            "poll_seconds": POLL_SECONDS,
        }

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "leaderboard/index.html", **await self._board())

    @get("/papan/baris")
    async def rows(
        self, request: Request[Any, Any, Any], versi: FromQuery[int | None] = None
    ) -> Template | Response[None]:
        competition = await current_competition()
        current = competition.standings_version if competition else 0
        if versi is not None and versi == current:
            # htmx swaps nothing on 204: the poll costs a few bytes while nothing changes.
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        return page(request, "leaderboard/rows.html", **await self._board())

    @get("/tim/{code:str}")
    async def team(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        competition = await current_competition()
        if competition is None:
            raise NotFoundException()
        team = await team_by_code(competition.id, code)
        if team is None:
            raise NotFoundException(detail=i18n._("Team not found."))
        standing = await services.team_standing(competition.id, team["id"])
        version, _ruleset = await ruleset_in_force(competition.id)
        locale = i18n.get_locale()
        titles = {rule.id: rule.title.get(locale, rule.id) for rule in all_rules()}
        titles["adjustment"] = i18n._("Organisers' adjustments")
        return page(
            request,
            "leaderboard/team.html",
            competition=competition,
            team=team,
            standing=standing,
            ruleset_version=standing["ruleset_version"] if standing else version,
            rule_titles=titles,
        )


class ProbeController(Controller):
    path = "/"
    guards = [public]
    include_in_schema = False

    @get("/healthz", media_type=MediaType.TEXT)
    async def healthz(self) -> str:
        return "ok"

    @get("/readyz", media_type=MediaType.TEXT)
    async def readyz(self) -> Response[str]:
        if await db.ping():
            return Response("ok", media_type=MediaType.TEXT)
        return Response("database unavailable", status_code=503, media_type=MediaType.TEXT)
