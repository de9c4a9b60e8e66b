"""Door parity for the leaderboard's and the competition's rules: for each rule (private board, freeze,
final-results lock) every door that can reach it gives the same verdict to the same viewer — anonymous,
participant, judge, organiser. The table of doors is checked against the application's routes: a new
public route that is neither a board door here nor named as "not a board" fails
`test_every_public_route_is_in_the_table`."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import httpx
import pytest
from litestar.channels import ChannelsPlugin
from openpyxl import load_workbook

from app.accounts.auth import PUBLIC
from app.leaderboard import live
from app.main import create_app
from app.tables import Adjustment, Competition, RubricCriterion, RulesetVersion, Stage
from tests.integration.api import helpers

api_factory = helpers.api_factory  # the API tests' client fixture

ROLES = ("anonymous", "peserta.mlg", "juri.mlg", "panitia")
STAFF = ("juri.mlg", "panitia")
TEAM = "35.78"


@dataclasses.dataclass(frozen=True)
class Door:
    name: str
    route: str  # the route's path as `app.routes` names it
    url: str = ""  # what is fetched (the route itself when empty)
    kind: str = "html"  # html | csv | xlsx | png | sse | api | api-list
    who: str = "anyone"  # anyone | organiser (a role guard stands in front of the board)
    # Shows standings, so a freeze applies; False: no standings (a list of stages, the rules), the final
    # results (a deliberate publication) or an organisers' page (always live).
    frozen: bool = True

    @property
    def target(self) -> str:
        return self.url or self.route


API = "/api/v1/competitions/{slug:str}"
DOORS = (
    Door("leaderboard page", "/"),
    Door("leaderboard fragment", "/papan/baris"),
    Door("SSE stream (first event)", "/papan/sse", kind="sse"),
    Door("CSV export", "/papan/unduh.csv", kind="csv"),
    Door("XLSX export", "/papan/unduh.xlsx", kind="xlsx"),
    Door("team page", "/tim/{code:str}", f"/tim/{TEAM}"),
    Door("team summary fragment", "/tim/{code:str}/ringkas", f"/tim/{TEAM}/ringkas"),
    Door("team card PNG", "/tim/{code:str}/kartu.png", f"/tim/{TEAM}/kartu.png", kind="png"),
    Door("map", "/peta"),
    Door("map fragment", "/peta/isi"),
    Door("big screen", "/layar"),
    Door("big screen fragment", "/layar/isi"),
    Door("stage boards", "/papan/tahap", frozen=False),
    Door("stage board", "/papan/tahap/{code:str}", "/papan/tahap/verifikasi"),
    Door("stage board rows", "/papan/tahap/{code:str}/baris", "/papan/tahap/verifikasi/baris"),
    Door("final results", "/hasil-akhir", frozen=False),
    Door("rules reference", "/aturan", frozen=False),
    Door("reveal", "/panitia/pengumuman", who="organiser", frozen=False),
    Door("organiser console: final results", "/panitia/musim/hasil-akhir", who="organiser", frozen=False),
    Door("API competitions", "/api/v1/competitions", kind="api-list"),
    Door("API competition", API, "/api/v1/competitions/uji", kind="api"),
    Door("API leaderboard", f"{API}/leaderboard", "/api/v1/competitions/uji/leaderboard", kind="api"),
    Door(
        "API team explanation",
        f"{API}/teams/{{code:str}}/explanation",
        f"/api/v1/competitions/uji/teams/{TEAM}/explanation",
        kind="api",
    ),
    Door("API teams", f"{API}/teams", "/api/v1/competitions/uji/teams", kind="api", frozen=False),
    Door(
        "API activity types",
        f"{API}/activity-types",
        "/api/v1/competitions/uji/activity-types",
        kind="api",
        frozen=False,
    ),
    Door("API rubric", f"{API}/rubric", "/api/v1/competitions/uji/rubric", kind="api", frozen=False),
    Door("API ruleset", f"{API}/ruleset", "/api/v1/competitions/uji/ruleset", kind="api", frozen=False),
    Door(
        "API final results",
        f"{API}/final-results",
        "/api/v1/competitions/uji/final-results",
        kind="api",
        frozen=False,
    ),
)

# Public GET routes that serve nothing of a competition's board, and why.
NOT_BOARD = {
    "/masuk": "the sign-in page",
    "/bahasa/{code:str}": "switches the language",
    "/healthz": "probe",
    "/readyz": "probe",
    "/favicon.ico": "static",
    "/manifest.webmanifest": "static",
    "/static/{file_path:path}": "static",
    "/schema": "the API's description",
    "/schema/openapi.json": "the API's description",
    "/schema/{path:str}": "the API's description",
    "/api/v1/scoring/rules": "the registered rules, the same for every competition",
    "/sw.js": "static: the offline capture's service worker",
    "/undangan-petugas/{token:str}": "an officer's invitation to confirm an activity, by its token",
    "/wilayah/desa": "the desa of a regency by name, for the officer forms (public region data, no board)",
}


def _public_get_routes(app: Any) -> set[str]:
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if "GET" not in handler.http_methods:
                continue
            roles = {role for guard in handler.resolve_guards() for role in getattr(guard, "roles", ())}
            if PUBLIC in roles:
                found.add(route.path)
    return found


def test_every_public_route_is_in_the_table(app):
    public = _public_get_routes(app)
    assert public, "the routes were not read"
    table = {door.route for door in DOORS if door.who == "anyone"}
    unclassified = public - table - set(NOT_BOARD)
    assert not unclassified, f"public routes missing from the door table: {sorted(unclassified)}"
    # And the table names only routes that exist (a renamed route must be renamed here).
    every = {route.path for route in app.routes}
    assert {door.route for door in DOORS} <= every, {door.route for door in DOORS} - every


# --- the viewers -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Viewer:
    browser: Any  # cookies: the pages
    api: Any  # a bearer token (or none): the API
    sse: httpx.AsyncClient  # the same cookies on an app whose streams end quickly


@pytest.fixture
async def short_app(settings):
    """The application with streams that end after a moment (the test client reads a stream whole) and
    its own started channels."""
    application = create_app(dataclasses.replace(settings, sse_seconds=0.2, channels_backend="memory"))
    plugin = application.plugins.get(ChannelsPlugin)
    async with plugin:
        live._started.append(plugin)
        try:
            yield application
        finally:
            live._started.remove(plugin)


@pytest.fixture
async def viewers(season, browser_factory, api_factory, short_app) -> Any:
    made: dict[str, Viewer] = {}
    clients = []
    for role in ROLES:
        username = None if role == "anonymous" else role
        browser = await browser_factory(username)
        sse = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=short_app),
            base_url="http://testserver.local",
            cookies=browser.client.cookies,
        )
        clients.append(sse)
        made[role] = Viewer(browser, await api_factory(username), sse)
    yield made
    for client in clients:
        await client.aclose()


async def fetch(viewer: Viewer, door: Door) -> httpx.Response:
    if door.kind == "sse":
        return await viewer.sse.get(door.target)
    if door.kind.startswith("api"):
        return await viewer.api.get(door.target)
    return await viewer.browser.get(door.target)


def access(door: Door, response: httpx.Response) -> str:
    status = response.status_code
    if door.kind == "api-list" and status == 200:
        # The list leaves out what the viewer may not see.
        slugs = {c["slug"] for c in response.json()["items"]}
        return "shown" if "uji" in slugs else "sign in"
    if status == 401 or (status in (302, 303) and response.headers["location"].startswith("/masuk")):
        return "sign in"
    if status == 403:
        return "forbidden"
    if status in (200, 204):
        return "shown"
    return f"status {status}"


def expected_access(door: Door, role: str, private: bool) -> str:
    if role == "anonymous":
        return "sign in" if private or door.who != "anyone" else "shown"
    if door.who == "organiser" and role != "panitia":
        return "forbidden"
    return "shown"


@pytest.mark.parametrize("private", [False, True], ids=["public board", "private board"])
async def test_private_board(season, viewers, private):
    if private:
        await Competition.update({Competition.is_private: True}).where(
            Competition.id == season.competition.id
        )
    got, want = {}, {}
    for door in DOORS:
        for role in ROLES:
            got[door.name, role] = access(door, await fetch(viewers[role], door))
            want[door.name, role] = expected_access(door, role, private)
    assert got == want
    if private:
        # Nothing of the board went to the anonymous visitor on the way to the refusal.
        for door in DOORS:
            body = (await fetch(viewers["anonymous"], door)).text
            assert 'data-testid="board-row"' not in body and TEAM not in body, door.name


# --- freeze ----------------------------------------------------------------------------------------

MARK = re.compile(r"9[.,]?191")  # the bonus given after the freeze: 9191 points, "9.191" on the pages


async def trace(viewer: Viewer, door: Door) -> Any:
    """What a door shows that could tell a change: its text (the bonus' points show there), or for the
    doors that show no text, the bytes of the card, the stream's first version, the standings version."""
    response = await fetch(viewer, door)
    assert response.status_code == 200, (door.name, response.status_code)
    if door.kind == "png":
        return response.content
    if door.kind == "sse":
        return re.search(r"event: changed\r?\ndata: (\d+)", response.text).group(1)
    if door.kind == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content)).active
        return [cell.value for row in sheet.iter_rows() for cell in row]
    if door.kind == "api":
        return response.json()
    if door.kind == "api-list":
        return next(c for c in response.json()["items"] if c["slug"] == "uji")
    return response.text


def shows_change(door: Door, before: Any, after: Any) -> str:
    if door.kind == "xlsx":
        changed = 9191 in after
    elif door.kind in ("png", "sse", "api-list") or door.name == "API competition":
        changed = before != after  # no text to read: any difference tells
    else:
        changed = MARK.search(str(after)) is not None
    return "live" if changed else "frozen"


async def test_freeze(season, viewers):
    organiser = viewers["panitia"].browser
    assert (await organiser.post("/panitia/beku", data={"action": "freeze"})).status_code in (302, 303)
    doors = [door for door in DOORS if door.frozen]
    before = {(d.name, r): await trace(viewers[r], d) for d in doors for r in ROLES}
    bonus = await organiser.post(
        "/panitia/penyesuaian/", data={"team": TEAM, "points": "9191", "reason": "Bonus sesudah beku"}
    )
    assert bonus.status_code in (302, 303)
    got, want = {}, {}
    for door in doors:
        for role in ROLES:
            after = await trace(viewers[role], door)
            got[door.name, role] = shows_change(door, before[door.name, role], after)
            want[door.name, role] = "live" if role in STAFF else "frozen"
    assert got == want
    # Unfrozen, the public sees the change at every door.
    await organiser.post("/panitia/beku", data={"action": "unfreeze"})
    for door in doors:
        after = await trace(viewers["anonymous"], door)
        assert shows_change(door, before[door.name, "anonymous"], after) == "live", door.name


# --- final-results lock -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Write:
    name: str
    method: str
    url: str
    body: dict[str, Any]
    api: bool = False


def writes(stage_id: int, ruleset: dict[str, Any]) -> tuple[Write, ...]:
    rubric_form = {"code_0": "dampak", "name_0": "Dampak", "weight_0": "1", "min_0": "1", "max_0": "5"}
    criterion = {"code": "dampak", "name": "Dampak", "weight": "1", "min": "1", "max": "5"}
    return (
        Write(
            "console: bonus/penalty",
            "post",
            "/panitia/penyesuaian/",
            {"team": TEAM, "points": "5", "reason": "x"},
        ),
        # Every rule is already in the season's draft (a second copy is refused): this write removes one.
        Write("console: draft rule", "post", "/panitia/aturan/0/hapus", {}),
        Write("console: publish ruleset", "post", "/panitia/aturan/terbitkan", {"confirm": "1"}),
        Write("console: restore ruleset", "post", "/panitia/aturan/versi/1", {"confirm": "1"}),
        Write("console: rubric", "post", "/panitia/musim/rubrik", rubric_form),
        Write(
            "console: stage weight",
            "post",
            f"/panitia/tahap/{stage_id}",
            {
                "code": "verifikasi",
                "name": "Verifikasi kegiatan",
                "kind": "activity",
                "top_n": "0",
                "weight": "0,6",
            },
        ),
        Write(
            "API: bonus/penalty",
            "post",
            "/api/v1/competitions/uji/adjustments",
            {"team_code": TEAM, "points": "5", "reason": "x"},
            api=True,
        ),
        Write(
            "API: ruleset",
            "put",
            "/api/v1/competitions/uji/ruleset",
            {"rules": ruleset["rules"], "tie_break": ruleset["tie_break"]},
            api=True,
        ),
        Write("API: rubric", "put", "/api/v1/competitions/uji/rubric", {"criteria": [criterion]}, api=True),
        # Moving a rule in the draft goes through the same lock as removing one.
        Write("console: draft order", "post", "/panitia/aturan/1/pindah", {"arah": "naik"}),
    )


async def send(viewer: Viewer, write: Write) -> httpx.Response:
    if write.api:
        return await getattr(viewer.api, write.method)(write.url, write.body)
    return await viewer.browser.post(write.url, data=write.body)


def verdict(response: httpx.Response) -> str:
    status = response.status_code
    if status == 401:
        return "sign in"
    if status == 403:
        return "forbidden"
    if status == 409:
        return "locked"
    if status in (200, 201, 302, 303):
        return "done"
    return f"status {status}"


async def _stored() -> tuple[int, int, int, list[Any]]:
    return (
        await Adjustment.count(),
        await RulesetVersion.count(),
        await RubricCriterion.count(),
        [s["code"] for s in await Stage.select(Stage.code).order_by(Stage.id)],
    )


async def test_final_results_lock(season, viewers):
    organiser = viewers["panitia"]
    stage = await Stage.select(Stage.id).where(Stage.code == "verifikasi").first()
    ruleset = (await organiser.api.get("/api/v1/competitions/uji/ruleset")).json()
    table = writes(stage["id"], ruleset)
    # While the results are open the organiser's writes go through at every door (so the lock below
    # is the lock, not a bad request).
    for write in table:
        response = await send(organiser, write)
        assert verdict(response) == "done", (write.name, response.status_code, response.text[:300])
    published = await organiser.browser.post("/panitia/musim/hasil-akhir", data={"confirm": "1"})
    assert published.status_code in (302, 303)
    stored = await _stored()
    got, want = {}, {}
    for write in table:
        for role in ROLES:
            response = await send(viewers[role], write)
            got[write.name, role] = verdict(response)
            want[write.name, role] = {"anonymous": "sign in", "panitia": "locked"}.get(role, "forbidden")
            if role == "panitia" and write.api:
                assert "final results" in response.json()["detail"].lower() or "hasil akhir" in (
                    response.json()["detail"].lower()
                ), response.text
    assert got == want
    assert await _stored() == stored


async def test_final_results_lock_the_season_dates_not_its_name(season, viewers):
    organiser = viewers["panitia"].browser
    assert (await organiser.post("/panitia/musim/hasil-akhir", data={"confirm": "1"})).status_code in (
        302,
        303,
    )
    c = season.competition
    form = {
        "name": "Lomba Uji (selesai)",
        "starts_on": c.starts_on.isoformat(),
        "ends_on": c.ends_on.isoformat(),
        "timezone": c.timezone,
        "reviews_required": "1",
    }
    renamed = await organiser.post("/panitia/musim/", data=form)
    assert renamed.status_code in (302, 303), renamed.text[:300]
    later = c.ends_on.replace(day=1) if c.ends_on.day != 1 else c.ends_on.replace(day=2)
    moved = await organiser.post("/panitia/musim/", data={**form, "ends_on": later.isoformat()})
    assert moved.status_code == 409 and "Hasil akhir sudah diumumkan" in moved.text
    stored = await Competition.select(Competition.name, Competition.ends_on).first()
    assert stored["name"] == "Lomba Uji (selesai)" and stored["ends_on"] == c.ends_on
