"""Leaderboards through the API: every team for a view and a period, and a team's explanation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import (
    NotFoundException,
)
from litestar.params import FromPath, QueryParameter
from litestar.serialization import encode_json

from app import i18n
from app.accounts.auth import CurrentUser, public
from app.api import schemas as s
from app.api import services as reads
from app.api.common import (
    decimal_text,
    responses,
    visible_competition,
)
from app.competitions import services as competitions
from app.leaderboard import caches, policy
from app.leaderboard import views as leaderboard_views


class LeaderboardController(Controller):
    path = "/competitions/{slug:str}"
    tags = ["leaderboard"]

    async def _board(
        self,
        competition: Any,
        viewer: CurrentUser | None,
        view: str,
        period: str,
        lines_for: str | None = None,
    ) -> tuple[Any, bool]:
        """The board the viewer may see, and whether it is the freeze's (then only its overall season:
        other views and periods have no rows). The view and period are checked either way."""
        types = (
            {t["code"] for t in await competitions.activity_types(competition.id)}
            if view.startswith("type:")
            else set()
        )
        choice = leaderboard_views.choose(view, period, types)
        state = await policy.board_of(viewer, competition)
        if policy.frozen_for(viewer, state):
            board = await reads.frozen_board(competition.id, lines_for=lines_for)
            if policy.restricted(viewer, state, choice.is_stored):
                board.rows.clear()
            return board, True
        return await reads.board(competition, choice.view, choice.period, lines_for), False

    @get(
        "/leaderboard",
        guards=[public],
        operation_id="getLeaderboard",
        summary="Every team, best first, for a view and a period (no token needed unless private)",
        responses=responses(401, 404),
    )
    async def leaderboard(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        slug: FromPath[str],
        view: Annotated[
            str, QueryParameter(max_length=48, description="overall, cluster:<cluster> or type:<CODE>")
        ] = "overall",
        period: Annotated[
            str, QueryParameter(max_length=16, description="season, week:YYYY-Www or month:YYYY-MM")
        ] = "season",
    ) -> Response[s.LeaderboardOut]:
        competition = await visible_competition(slug, viewer)
        # The board policy decides first (a private board, the frozen public view); the bytes are then
        # made once per (competition, view, period, audience, the version that audience may know, the
        # freeze, locale) and served as they are, as the board's fragment is.
        state = await policy.board_of(viewer, competition)
        frozen_at = state.frozen_at if policy.frozen_for(viewer, state) else None
        key = (
            "api-leaderboard",
            state.stamp,
            view,
            period,
            policy.audience(viewer),
            policy.standings_version(viewer, state),
            frozen_at,
            i18n.get_locale(),
        )
        store = caches.current()
        body = store.fragments.get(key)
        if body is None:

            async def make() -> bytes:
                board, frozen = await self._board(competition, viewer, view, period)
                made = encode_json(_leaderboard_out(competition, view, period, board, frozen))
                store.fragments.put(key, made)
                return made

            body = await store.once(key, make)
        return Response(body, media_type=MediaType.JSON)

    @get(
        "/teams/{code:str}/explanation",
        guards=[public],
        operation_id="getExplanation",
        summary="Why a team has its score: every line (rule, activity or period, points, reason)",
        responses=responses(401, 404),
    )
    async def explanation(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        slug: FromPath[str],
        code: FromPath[str],
        period: Annotated[
            str, QueryParameter(max_length=16, description="season, week:YYYY-Www or month:YYYY-MM")
        ] = "season",
    ) -> Response[s.ExplanationOut]:
        competition = await visible_competition(slug, viewer)
        team = await competitions.team_by_code(competition.id, code)
        if team is None:
            raise NotFoundException(detail=i18n._("Team not found."))
        # As the leaderboard: the board policy decides first, then the bytes are made once per (team,
        # period, audience, the version that audience may know, the freeze, locale).
        state = await policy.board_of(viewer, competition)
        leaderboard_views.choose("overall", period, set())  # a bad period: 422 here, not in the making
        key = (
            "api-explanation",
            state.stamp,
            code,
            team["name"],
            period,
            policy.audience(viewer),
            policy.standings_version(viewer, state),
            state.frozen_at if policy.frozen_for(viewer, state) else None,
            i18n.get_locale(),
        )
        store = caches.current()
        body = store.fragments.get(key)
        if body is None:

            async def make() -> bytes:
                made = encode_json(await self._explanation(competition, viewer, team, code, period))
                store.fragments.put(key, made)
                return made

            body = await store.once(key, make)
        return Response(body, media_type=MediaType.JSON)

    async def _explanation(
        self, competition: Any, viewer: CurrentUser | None, team: Any, code: str, period: str
    ) -> s.ExplanationOut:
        board, _frozen = await self._board(competition, viewer, "overall", period, lines_for=code)
        row = next((r for r in board.rows if r.team_code == code), None)
        english = i18n.get_locale() == "en"
        return s.ExplanationOut(
            competition=competition.slug,
            team_code=code,
            team_name=team["name"],
            period=period,
            ruleset_version=board.ruleset_version or competition.ruleset_version,
            rank=row.rank if row else 0,
            score=decimal_text(row.score) if row else "0",
            lines=[
                s.LineOut(
                    rule=line["rule"],
                    activity_id=line.get("activity_id"),
                    period=line.get("period"),
                    points=decimal_text(line["points"]),
                    reason=line["reason_en"] if english else line["reason_id"],
                )
                for line in (row.lines if row else [])
            ],
        )


def _leaderboard_out(competition: Any, view: str, period: str, board: Any, frozen: bool) -> s.LeaderboardOut:
    return s.LeaderboardOut(
        competition=competition.slug,
        view=view,
        period=period,
        ruleset_version=board.ruleset_version or competition.ruleset_version,
        frozen=frozen,
        generated_at=datetime.now(UTC).isoformat(),
        rows=[
            s.LeaderboardRow(
                rank=r.rank,
                team_code=r.team_code,
                team_name=r.team_name,
                score=decimal_text(r.score),
                counted_activities=r.counted,
                breakdown={k: decimal_text(v) for k, v in r.breakdown.items()},
            )
            for r in board.rows
        ],
    )
