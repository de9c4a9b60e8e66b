"""Public pages: the live leaderboard and its fragments, the SSE stream, the team page, the freeze form;
and the probes."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_400_BAD_REQUEST

from app import db, i18n, observability
from app.accounts.auth import CurrentUser, public, requires
from app.competitions.services import activity_types, team_by_code, team_count
from app.errors import Invalid
from app.leaderboard import caches, cards, exports, live, policy, views
from app.leaderboard import map as tile_map
from app.leaderboard import team as team_view
from app.leaderboard.state import STATE_TTL_SECONDS
from app.settings import Settings
from app.web import page

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


async def _unchanged(viewer: CurrentUser | None, versi: int | None) -> bool:
    """The page already shows the version its audience may see (checked on a state at most
    FRESH_SECONDS old, so a commit in another worker is not answered with "unchanged")."""
    if versi is None:
        return False
    # The board policy first: a private board answers nobody "unchanged".
    state = await policy.current_board(viewer, max_age=FRESH_SECONDS)
    return state is not None and versi == policy.standings_version(viewer, state)


async def _types(state: views.State) -> list[dict[str, Any]]:
    """The competition's activity types (the page's view menu), read at most once per
    STATE_TTL_SECONDS per application like the competition's state: types are only ever added."""
    store = caches.current()
    key = ("types", state.stamp)
    kept = store.fragments.get(key)
    if kept is not None and time.monotonic() - kept[0] < STATE_TTL_SECONDS:
        return kept[1]  # type: ignore[no-any-return]
    types = await activity_types(state.id)
    store.fragments.put(key, (time.monotonic(), types))
    return types


def _plugin(request: Request[Any, Any, Any]) -> ChannelsPlugin | None:
    try:
        return request.app.plugins.get(ChannelsPlugin)
    except KeyError:
        return None


class LeaderboardController(Controller):
    path = "/"
    guards = [public]

    async def _fragment(
        self,
        request: Request[Any, Any, Any],
        viewer: CurrentUser | None,
        state: views.State,
        choice: views.Choice,
    ) -> views.Rendered:
        audience = views.audience_of(viewer)
        locale = i18n.get_locale()

        def render(board: views.Board) -> str:
            return _render(request, "leaderboard/rows.html", board=board)

        return await views.fragment(state, choice, audience, locale, render)

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        tampilan: FromQuery[str | None] = None,
        periode: FromQuery[str | None] = None,
    ) -> Template:
        state = await policy.current_board(viewer)
        if state is None:
            return page(request, "leaderboard/index.html", competition=None)
        choice = await _choice(state, tampilan, periode)
        return page(
            request,
            "leaderboard/index.html",
            competition=state.info,
            body=await self._body(request, viewer, state, choice),
        )

    async def _body(
        self,
        request: Request[Any, Any, Any],
        viewer: CurrentUser | None,
        state: views.State,
        choice: views.Choice,
    ) -> str:
        """The page's body below the viewer's navigation, rendered once per (competition, view,
        period, audience, version, freeze, locale, activity types) — after the board policy decided (the
        caller's `policy.current_board`); the page adds the viewer's shell (navigation, CSRF token)."""
        audience = views.audience_of(viewer)
        locale = i18n.get_locale()
        types = await _types(state)
        version = state.version_for(audience)
        frozen_at = state.frozen_at if state.frozen_for(audience) else None
        names = tuple((t["code"], t["name"], t["name_en"]) for t in types)
        key = (
            state.stamp,
            choice.view,
            str(choice.period),
            audience,
            version,
            frozen_at,
            locale,
            "page",
            names,
        )
        store = caches.current()
        hit = store.fragments.get(key)
        if hit is None:
            rendered = await self._fragment(request, viewer, state, choice)
            hit = _render(
                request,
                "leaderboard/_index_body.html",
                competition=state.info,
                choice=choice,
                fragment=rendered.body.decode(),
                frozen=state.frozen_for(audience),
                state=state,
                audience=audience,
                options=views.period_options(state.info),
                types=types,
            )
            if rendered.version == version:  # a board of the previous version is never kept as this one's
                store.fragments.put(key, hit)
        return hit  # type: ignore[no-any-return]

    @get("/papan/baris", opt=NO_COMPRESSION)
    async def rows(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        versi: FromQuery[int | None] = None,
        tampilan: FromQuery[str | None] = None,
        periode: FromQuery[str | None] = None,
    ) -> Response[Any]:
        if await _unchanged(viewer, versi):
            # htmx swaps nothing on 204: the poll costs a few bytes while nothing changed.
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        state = await policy.require_board(viewer)
        choice = await _choice(state, tampilan, periode)
        return html_bytes(request, await self._fragment(request, viewer, state, choice))

    @get("/papan/sse", opt=NO_COMPRESSION)
    async def stream(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        viewer: NamedDependency[CurrentUser | None],
    ) -> ServerSentEvent:
        state = await policy.require_board(viewer)
        audience = views.audience_of(viewer)
        return live.sse_response(
            _plugin(request), state.id, audience, settings.sse_seconds, first=state.version_for(audience)
        )

    @get("/tim/{code:str}")
    async def team(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        viewer: NamedDependency[CurrentUser | None],
    ) -> Template:
        state, team = await self._team(viewer, code)
        body, title, description, version = await self._team_body(request, state, team, viewer)
        return page(
            request,
            "leaderboard/team.html",
            competition=state.info,
            team=team,
            body=body,
            og_title=title,
            og_description=description,
            og_image=f"/tim/{team['code']}/kartu.png?v={version}",
            share_text=f"{title} · {description}",
        )

    async def _team_body(
        self,
        request: Request[Any, Any, Any],
        state: views.State,
        team: dict[str, Any],
        viewer: CurrentUser | None,
    ) -> tuple[str, str, str, int]:
        """The team page's summary (with its title and description for link previews), rendered once per
        (competition, team, audience, version, freeze, locale, week) — after the board policy decided
        (`_team`); the page adds the viewer's shell (navigation, CSRF token)."""
        audience = views.audience_of(viewer)
        locale = i18n.get_locale()
        week = views.baseline_label(views.local_today(state.info))  # the rank's move is this week's
        version = state.version_for(audience)
        frozen_at = state.frozen_at if state.frozen_for(audience) else None
        key = ("team", state.stamp, team["code"], team["name"], audience, version, frozen_at, locale, week)
        store = caches.current()
        hit = store.fragments.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        summary = await team_view.summary(state, team, audience, locale)
        standing = summary.standing
        title = team["name"]
        if standing is not None:
            title += " — " + i18n._("rank %(rank)s of %(teams)s", rank=standing["rank"], teams=summary.teams)
        description = state.info.name
        if standing is not None:
            points = i18n._("%(score)s points", score=i18n.format_score(standing["score"]))
            description = f"{points} · {description}"
        body = _render(request, "leaderboard/team_summary.html", team=team, s=summary, competition=state.info)
        made = (body, title, description, summary.version)
        if summary.version == version:
            store.fragments.put(key, made)
        return made

    @get("/tim/{code:str}/ringkas")
    async def team_fragment(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        viewer: NamedDependency[CurrentUser | None],
        versi: FromQuery[int | None] = None,
    ) -> Response[Any]:
        unchanged = await _unchanged(viewer, versi)
        state, team = await self._team(viewer, code)
        if unchanged:
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        audience = views.audience_of(viewer)
        summary = await team_view.summary(state, team, audience, i18n.get_locale())
        body = _render(request, "leaderboard/team_summary.html", team=team, s=summary, competition=state.info)
        return Response(body, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})

    @get("/tim/{code:str}/kartu.png", opt=NO_COMPRESSION)
    async def team_card(
        self, code: FromPath[str], viewer: NamedDependency[CurrentUser | None]
    ) -> Response[bytes]:
        """The team's rank card for link previews (Open Graph), drawn once per standings version."""
        state, team = await self._team(viewer, code)
        audience = views.audience_of(viewer)
        summary = await team_view.summary(state, team, audience, i18n.get_locale(), with_chart=False)
        standing = summary.standing or {}
        card = cards.TeamCard(
            team_name=team["name"],
            competition_name=state.info.name,
            rank=standing.get("rank"),
            teams=summary.teams,
            shared=summary.shared,
            score=standing.get("score", Decimal(0)),
            move=summary.move,
            frozen=summary.frozen,
        )
        key = (state.stamp, state.version_for(audience), team["code"], i18n.get_locale())
        return Response(
            await cards.team_card_png(key, card),
            media_type="image/png",
            # A private board's card must not sit in a shared cache for the next anonymous visitor.
            headers={
                "Cache-Control": f"{'private' if state.info.is_private else 'public'}, max-age=300",
                "Vary": "Cookie",
            },
        )

    async def _team(self, viewer: CurrentUser | None, code: str) -> tuple[views.State, dict[str, Any]]:
        state = await policy.require_board(viewer)
        team = await team_by_code(state.id, code)
        if team is None:
            raise NotFoundException(detail=i18n._("Team not found."))
        return state, team


class FreezeController(Controller):
    path = "/panitia/beku"
    guards = [requires("organiser")]

    @get("/")
    async def form(self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]) -> Template:
        state = await policy.require_board(user)
        return page(request, "leaderboard/freeze.html", competition=state.info, state=state)

    @post("/")
    async def submit(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser]
    ) -> Redirect | Template:
        action = (await request.form()).get("action", "")
        state = await policy.require_board(user)
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


SCREEN_VIEWS = ("cluster:kamtibmas", "cluster:bencana", "cluster:bela_negara")
SCREEN_SECONDS = 15
SCREEN_ROWS = 10


def screen_steps(teams: int) -> list[tuple[str, str, int]]:
    """What the big screen shows in turn, (view, period, page): the whole overall board a page at a time,
    then each cluster's first page, then this week's."""
    pages = max(1, -(-teams // SCREEN_ROWS))
    return [
        *(("overall", "season", page) for page in range(pages)),
        *((view, "season", 0) for view in SCREEN_VIEWS),
        ("overall", "week", 0),
    ]


class BoardExtrasController(Controller):
    """The map, the big screen and the exports: other shapes of the same leaderboard views."""

    path = "/"
    guards = [public]

    @get("/peta")
    async def map_page(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[CurrentUser | None]
    ) -> Template:
        state = await policy.require_board(viewer)
        rendered = await self._map(request, viewer, state)
        return page(
            request, "leaderboard/map_page.html", competition=state.info, fragment=rendered.body.decode()
        )

    @get("/peta/isi", opt=NO_COMPRESSION)
    async def map_fragment(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        versi: FromQuery[int | None] = None,
    ) -> Response[Any]:
        if await _unchanged(viewer, versi):
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        state = await policy.require_board(viewer)
        return html_bytes(request, await self._map(request, viewer, state))

    async def _map(
        self, request: Request[Any, Any, Any], viewer: CurrentUser | None, state: views.State
    ) -> views.Rendered:
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
        audience = views.audience_of(viewer)
        return await views.fragment(state, choice, audience, i18n.get_locale(), render, kind="map")

    @get("/layar")
    async def screen(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[CurrentUser | None]
    ) -> Template:
        state = await policy.require_board(viewer)
        return page(
            request,
            "leaderboard/screen.html",
            competition=state.info,
            fragment=(await self._screen(request, viewer, state, 0)).body.decode(),
            now=views.clock(),
        )

    @get("/layar/isi", opt=NO_COMPRESSION)
    async def screen_fragment(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        langkah: FromQuery[int] = 0,
        versi: FromQuery[int | None] = None,
    ) -> Response[Any]:
        if await _unchanged(viewer, versi):
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        state = await policy.require_board(viewer)
        return html_bytes(request, await self._screen(request, viewer, state, langkah))

    async def _screen(
        self, request: Request[Any, Any, Any], viewer: CurrentUser | None, state: views.State, step: int
    ) -> views.Rendered:
        steps = screen_steps(await team_count(state.id))
        step = step % len(steps)
        view, period, page_number = steps[step]
        if period == "week":
            year, number, _ = views.local_today(state.info).isocalendar()
            period = f"week:{year:04d}-W{number:02d}"
        choice = views.Choice(view, views.parse_period(period))

        def render(board: views.Board) -> str:
            pages = max(1, -(-len(board.rows) // SCREEN_ROWS))
            return _render(
                request,
                "leaderboard/screen_rows.html",
                board=board,
                step=step,
                steps=len(steps),
                next_step=(step + 1) % len(steps),
                page_number=page_number + 1,
                pages=pages,
                rows=board.rows[page_number * SCREEN_ROWS : (page_number + 1) * SCREEN_ROWS],
                seconds=SCREEN_SECONDS,
            )

        audience = views.audience_of(viewer)
        return await views.fragment(state, choice, audience, i18n.get_locale(), render, kind=f"screen{step}")

    @get(["/papan/unduh.csv", "/papan/unduh.xlsx"], opt=NO_COMPRESSION)
    async def export(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[CurrentUser | None],
        tampilan: FromQuery[str | None] = None,
        periode: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        fmt = request.url.path.rsplit(".", 1)[-1]
        state = await policy.require_board(viewer)
        choice = await _choice(state, tampilan, periode)
        audience = views.audience_of(viewer)
        board = await views.build(state, choice, audience, i18n.get_locale())
        name = exports.filename(board, fmt)
        body, media_type = exports.csv_bytes(board) if fmt == "csv" else exports.xlsx_bytes(board)
        return Response(
            body,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )


class RevealController(Controller):
    """Award night: every place uncovered from the last to Juara I, one key press at a time, full screen."""

    path = "/panitia/pengumuman"
    guards = [requires("organiser")]

    @get("/")
    async def reveal(
        self, request: Request[Any, Any, Any], user: NamedDependency[CurrentUser], langkah: FromQuery[int] = 0
    ) -> Template:
        state = await policy.require_board(user)
        choice = views.Choice("overall", views.parse_period("season"))
        board = await views.build(state, choice, views.STAFF, i18n.get_locale())
        places = board.rows[::-1]  # the last place first
        step = max(0, min(langkah, len(places)))
        shown = places[:step][::-1]
        return page(
            request,
            "leaderboard/reveal.html",
            competition=state.info,
            current=shown[0] if shown else None,
            shown=shown,
            step=step,
            total=len(places),
            next_step=min(step + 1, len(places)),
            prev_step=max(step - 1, 0),
            frozen=state.frozen_at is not None,
        )
