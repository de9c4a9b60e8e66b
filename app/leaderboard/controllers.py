"""Public pages: the live leaderboard and its fragments, the SSE stream, the team page, the freeze form;
and the probes."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_400_BAD_REQUEST

from app import db, i18n, observability
from app.accounts.auth import public, requires
from app.competitions.services import activity_types, team_by_code
from app.errors import Invalid
from app.leaderboard import live, views
from app.leaderboard import team as team_view
from app.settings import Settings
from app.web import current_user, page

# These answer with bytes gzipped once (or a stream): the app's compression must leave them alone.
NO_COMPRESSION = {"skip_compression": True}
POLL_SECONDS = 5  # without a live connection
LIVE_POLL_SECONDS = 30  # with one: the poll only covers a missed event
# A 204 ("unchanged") is decided on a state at most this old: another worker may have committed.
FRESH_SECONDS = 0.25


def _render(request: Request[Any, Any, Any], template: str, **context: Any) -> str:
    environment = request.app.template_engine.engine  # type: ignore[attr-defined]
    context.setdefault("locale", i18n.get_locale())
    context.setdefault("poll_seconds", POLL_SECONDS)
    context.setdefault("live_poll_seconds", LIVE_POLL_SECONDS)
    return environment.get_template(template).render(**context)


def html_bytes(request: Request[Any, Any, Any], rendered: views.Rendered) -> Response[bytes]:
    headers = {"Vary": "Accept-Encoding, Cookie", "Cache-Control": "no-cache"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(rendered.gzipped, media_type="text/html; charset=utf-8", headers=headers)
    return Response(rendered.body, media_type="text/html; charset=utf-8", headers=headers)


async def _choice(state: views.State, view: str | None, period: str | None) -> views.Choice:
    types = (
        {t["code"] for t in await activity_types(state.id)} if view and view.startswith("type:") else set()
    )
    try:
        return views.choose(view, period, types)
    except Invalid as exc:
        # A query parameter, not a form: the page answers 400 with what to choose instead.
        raise HTTPException(status_code=HTTP_400_BAD_REQUEST, detail=exc.message) from None


async def _unchanged(request: Request[Any, Any, Any], versi: int | None) -> bool:
    """The page already shows the version its audience may see (checked on a state at most
    FRESH_SECONDS old, so a commit in another worker is not answered with "unchanged")."""
    if versi is None:
        return False
    state = await views.current_state(max_age=FRESH_SECONDS)
    return state is not None and versi == state.version_for(views.audience_of(current_user(request)))


def _plugin(request: Request[Any, Any, Any]) -> ChannelsPlugin | None:
    try:
        return request.app.plugins.get(ChannelsPlugin)
    except KeyError:
        return None


class LeaderboardController(Controller):
    path = "/"
    guards = [public]

    async def _fragment(
        self, request: Request[Any, Any, Any], state: views.State, choice: views.Choice
    ) -> views.Rendered:
        audience = views.audience_of(current_user(request))
        locale = i18n.get_locale()

        def render(board: views.Board) -> str:
            return _render(request, "leaderboard/rows.html", board=board)

        return await views.fragment(state, choice, audience, locale, render)

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        tampilan: FromQuery[str | None] = None,
        periode: FromQuery[str | None] = None,
    ) -> Template:
        state = await views.current_state()
        if state is None:
            return page(request, "leaderboard/index.html", competition=None)
        choice = await _choice(state, tampilan, periode)
        rendered = await self._fragment(request, state, choice)
        audience = views.audience_of(current_user(request))
        return page(
            request,
            "leaderboard/index.html",
            competition=state.info,
            choice=choice,
            fragment=rendered.body.decode(),
            frozen=state.frozen_for(audience),
            state=state,
            audience=audience,
            options=views.period_options(state.info),
            types=await activity_types(state.id),
        )

    @get("/papan/baris", opt=NO_COMPRESSION)
    async def rows(
        self,
        request: Request[Any, Any, Any],
        versi: FromQuery[int | None] = None,
        tampilan: FromQuery[str | None] = None,
        periode: FromQuery[str | None] = None,
    ) -> Response[Any]:
        if await _unchanged(request, versi):
            # htmx swaps nothing on 204: the poll costs a few bytes while nothing changed.
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        choice = await _choice(state, tampilan, periode)
        return html_bytes(request, await self._fragment(request, state, choice))

    @get("/papan/sse", opt=NO_COMPRESSION)
    async def stream(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> ServerSentEvent:
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        audience = views.audience_of(current_user(request))
        return live.sse_response(
            _plugin(request), state.id, audience, settings.sse_seconds, first=state.version_for(audience)
        )

    @get("/tim/{code:str}")
    async def team(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        state, team = await self._team(code)
        audience = views.audience_of(current_user(request))
        summary = await team_view.summary(state, team, audience, i18n.get_locale())
        return page(
            request,
            "leaderboard/team.html",
            competition=state.info,
            team=team,
            s=summary,
            poll_seconds=POLL_SECONDS,
            live_poll_seconds=LIVE_POLL_SECONDS,
        )

    @get("/tim/{code:str}/ringkas")
    async def team_fragment(
        self, request: Request[Any, Any, Any], code: FromPath[str], versi: FromQuery[int | None] = None
    ) -> Response[Any]:
        unchanged = await _unchanged(request, versi)
        state, team = await self._team(code)
        if unchanged:
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        audience = views.audience_of(current_user(request))
        summary = await team_view.summary(state, team, audience, i18n.get_locale())
        body = _render(request, "leaderboard/team_summary.html", team=team, s=summary)
        return Response(body, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})

    async def _team(self, code: str) -> tuple[views.State, dict[str, Any]]:
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        team = await team_by_code(state.id, code)
        if team is None:
            raise NotFoundException(detail=i18n._("Team not found."))
        return state, team


class FreezeController(Controller):
    path = "/panitia/beku"
    guards = [requires("organiser")]

    @get("/")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        return page(request, "leaderboard/freeze.html", competition=state.info, state=state)

    @post("/")
    async def submit(self, request: Request[Any, Any, Any]) -> Redirect | Template:
        action = (await request.form()).get("action", "")
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        user = current_user(request)
        if action == "freeze":
            await views.freeze(state.id, user)
        elif action == "unfreeze":
            await views.unfreeze(state.id, user)
        else:
            return page(
                request,
                "leaderboard/freeze.html",
                status_code=422,
                competition=state.info,
                state=state,
                error=i18n._("Choose freeze or unfreeze."),
            )
        return Redirect("/panitia/beku")


class ProbeController(Controller):
    path = "/"
    guards = [public]
    include_in_schema = False

    @get("/healthz", media_type=MediaType.TEXT)
    async def healthz(self) -> str:
        return "ok"

    @get("/readyz", media_type=MediaType.TEXT)
    async def readyz(self, settings: NamedDependency[Settings]) -> Response[str]:
        failed = [] if await db.ping() else ["database"]
        if settings.redis_url and not await observability.redis_ping(settings.redis_url):
            failed.append("redis")
        if not failed:
            return Response("ok", media_type=MediaType.TEXT)
        body = "\n".join(f"{name} unavailable" for name in failed)
        return Response(body, status_code=503, media_type=MediaType.TEXT)


SCREEN_STEPS = (
    ("overall", "season"),
    ("cluster:kamtibmas", "season"),
    ("cluster:bencana", "season"),
    ("cluster:bela_negara", "season"),
    ("overall", "week"),
)
SCREEN_SECONDS = 15
SCREEN_ROWS = 10
REVEAL_PLACES = 10


class BoardExtrasController(Controller):
    """The map, the big screen and the exports: other shapes of the same leaderboard views."""

    path = "/"
    guards = [public]

    @get("/peta")
    async def map_page(self, request: Request[Any, Any, Any]) -> Template:
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        rendered = await self._map(request, state)
        return page(
            request, "leaderboard/map_page.html", competition=state.info, fragment=rendered.body.decode()
        )

    @get("/peta/isi", opt=NO_COMPRESSION)
    async def map_fragment(
        self, request: Request[Any, Any, Any], versi: FromQuery[int | None] = None
    ) -> Response[Any]:
        if await _unchanged(request, versi):
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        return html_bytes(request, await self._map(request, state))

    async def _map(self, request: Request[Any, Any, Any], state: views.State) -> views.Rendered:
        from app.leaderboard import map as tile_map

        def render(board: views.Board) -> str:
            return _render(
                request,
                "leaderboard/map.html",
                board=board,
                tiles=tile_map.tiles(board.rows),
                legend=tile_map.legend(board.rows),
                columns=tile_map.COLUMNS,
                rows=tile_map.ROWS,
            )

        choice = views.Choice("overall", views.parse_period("season"))
        audience = views.audience_of(current_user(request))
        return await views.fragment(state, choice, audience, i18n.get_locale(), render, kind="map")

    @get("/layar")
    async def screen(self, request: Request[Any, Any, Any]) -> Template:
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        return page(
            request,
            "leaderboard/screen.html",
            competition=state.info,
            fragment=(await self._screen(request, state, 0)).body.decode(),
        )

    @get("/layar/isi", opt=NO_COMPRESSION)
    async def screen_fragment(
        self,
        request: Request[Any, Any, Any],
        langkah: FromQuery[int] = 0,
        versi: FromQuery[int | None] = None,
    ) -> Response[Any]:
        if await _unchanged(request, versi):
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        return html_bytes(request, await self._screen(request, state, langkah))

    async def _screen(self, request: Request[Any, Any, Any], state: views.State, step: int) -> views.Rendered:
        step = step % len(SCREEN_STEPS)
        view, period = SCREEN_STEPS[step]
        if period == "week":
            year, number, _ = views.local_today(state.info).isocalendar()
            period = f"week:{year:04d}-W{number:02d}"
        choice = views.Choice(view, views.parse_period(period))
        titles = {
            "overall": i18n._("Overall"),
            "cluster:kamtibmas": i18n._("Kamtibmas"),
            "cluster:bencana": i18n._("Disasters"),
            "cluster:bela_negara": i18n._("Defending the nation"),
        }

        def render(board: views.Board) -> str:
            return _render(
                request,
                "leaderboard/screen_rows.html",
                board=board,
                step=step,
                next_step=(step + 1) % len(SCREEN_STEPS),
                title=titles[view],
                week=period if period != "season" else "",
                rows=board.rows[:SCREEN_ROWS],
                seconds=SCREEN_SECONDS,
            )

        audience = views.audience_of(current_user(request))
        return await views.fragment(state, choice, audience, i18n.get_locale(), render, kind=f"screen{step}")

    @get(["/papan/unduh.csv", "/papan/unduh.xlsx"], opt=NO_COMPRESSION)
    async def export(
        self,
        request: Request[Any, Any, Any],
        tampilan: FromQuery[str | None] = None,
        periode: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        from app.leaderboard import exports

        fmt = request.url.path.rsplit(".", 1)[-1]
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        choice = await _choice(state, tampilan, periode)
        audience = views.audience_of(current_user(request))
        board = await views.build(state, choice, audience, i18n.get_locale())
        name = exports.filename(board, fmt)
        body, media_type = exports.csv_bytes(board) if fmt == "csv" else exports.xlsx_bytes(board)
        return Response(
            body,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )


class RevealController(Controller):
    """Award night: the final places uncovered from the tenth to Juara I, one key press at a time."""

    path = "/panitia/pengumuman"
    guards = [requires("organiser")]

    @get("/")
    async def reveal(self, request: Request[Any, Any, Any], langkah: FromQuery[int] = 0) -> Template:
        state = await views.current_state()
        if state is None:
            raise NotFoundException()
        choice = views.Choice("overall", views.parse_period("season"))
        board = await views.build(state, choice, views.STAFF, i18n.get_locale())
        places = [r for r in board.rows if r.rank <= REVEAL_PLACES][::-1]  # the last place first
        step = max(0, min(langkah, len(places)))
        return page(
            request,
            "leaderboard/reveal.html",
            competition=state.info,
            shown=places[:step][::-1],
            step=step,
            total=len(places),
            next_step=min(step + 1, len(places)),
            prev_step=max(step - 1, 0),
            frozen=state.frozen_at is not None,
        )
