"""The public per-stage ranking: a leaderboard page like the others (a private competition only for
signed-in accounts; under a freeze the public sees nothing that changed after it). The rankings themselves
are judging's (`app.judging.stages.stage_ranking`)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from app import i18n
from app.accounts.auth import CurrentUser, public
from app.competitions.stages import stage_label
from app.competitions.stages import stages as all_stages_of
from app.judging import stages
from app.judging.berita_acara import place_title
from app.leaderboard import policy, views
from app.leaderboard.controllers import LIVE_POLL_SECONDS, POLL_SECONDS
from app.web import page


class StageBoardController(Controller):
    """The leaderboard per stage: public like the other leaderboard pages (a private competition only for
    signed-in accounts; under a freeze the public sees nothing that changed after it)."""

    path = "/papan/tahap"
    guards = [public]

    async def _state(self, viewer: CurrentUser | None) -> views.State:
        return await policy.require_board(viewer)

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[CurrentUser | None]
    ) -> Template:
        state = await self._state(viewer)
        return page(
            request,
            "leaderboard/stages.html",
            competition=state.info,
            stages=await all_stages_of(state.id),
            label=stage_label,
        )

    async def _context(self, viewer: CurrentUser | None, code: str) -> dict[str, Any]:
        state = await self._state(viewer)
        all_stages = await all_stages_of(state.id)
        stage = next((s for s in all_stages if s["code"] == code), None)
        if stage is None:
            raise NotFoundException(detail=i18n._("Stage not found."))
        audience = views.audience_of(viewer)
        frozen = state.frozen_for(audience)
        hidden = False
        rows: list[dict[str, Any]] = []
        if stage["kind"] == "activity":
            # The leaderboard's own board: under a freeze, the public gets the frozen snapshot.
            choice = views.Choice("overall", views.parse_period("season"))
            board = await views.build(state, choice, audience, i18n.get_locale())
            rows = [
                {
                    "rank": r.rank,
                    "shared": r.shared,
                    "team_code": r.team_code,
                    "team_name": r.team_name,
                    "score": r.score,
                    "parts": {"counted": r.counted},
                }
                for r in board.rows
            ]
        elif frozen and not (
            stage["status"] == "closed"
            and stage["closed_at"] is not None
            and state.frozen_at is not None
            and _aware(stage["closed_at"]) <= state.frozen_at
        ):
            hidden = True  # a ranking that may have moved since the freeze stays hidden from the public
        else:
            rows = await stages.stage_ranking(state.info, stage, all_stages)
        return {
            "competition": state.info,
            "stage": stage,
            "stages": all_stages,
            "rows": rows,
            "hidden": hidden,
            "frozen": frozen,
            "label": stage_label,
            "place_title": place_title,
            "poll_seconds": POLL_SECONDS,
            "live_poll_seconds": LIVE_POLL_SECONDS,
        }

    @get("/{code:str}")
    async def stage(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        viewer: NamedDependency[CurrentUser | None],
    ) -> Template:
        return page(request, "leaderboard/stage.html", **await self._context(viewer, code))

    @get("/{code:str}/baris")
    async def rows(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        viewer: NamedDependency[CurrentUser | None],
    ) -> Template:
        """The stage's ranking alone, which the open page fetches again on each change (htmx)."""
        return page(request, "leaderboard/_stage_rows.html", **await self._context(viewer, code))


def _aware(value: Any) -> Any:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
