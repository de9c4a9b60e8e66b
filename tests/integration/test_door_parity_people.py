"""Door parity for the jury's assignments, conflicts of interest and accounts: the console's page and the
API endpoint give the same verdict for the same actor in the same state.

CASES holds each rule: who tries, how to set the state up, and the verdict ("allowed" for 2xx/3xx, else the
status). Every case runs once per door, each time in a fresh season, so a door's success never changes what
the other door meets. `test_every_people_route_has_a_case` fails when an API route of these groups has no
case, so a new endpoint cannot skip its parity check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar

from app.tables import Assignment, Competition, RubricCriterion, Stage
from tests.integration.api.helpers import activity_body, api_factory
from tests.integration.conftest import Season
from tests.integration.test_import import GOOD_AND_BAD

__all__ = ["api_factory"]

BASE = "/api/v1/competitions/uji"


@dataclass
class World:
    season: Season
    assignment_id: int = 0  # juri.mlg's open assignment of a Surabaya activity
    extra: dict[str, Any] | None = None


Call = Callable[[Any, World], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    actor: str
    page: Call
    api: Call
    verdict: str
    routes: tuple[str, ...]  # the API routes (method, path) this case covers
    setup: Callable[[World, Any], Awaitable[None]] | None = None


def _id(w: World, username: str) -> int:
    return w.season.accounts[username]


async def _other_judge(w: World, make: Any) -> None:
    organiser = await make("panitia", api=True)
    made = await organiser.post(
        "/api/v1/users",
        {"username": "juri.lain", "password": "rahasia-123", "role": "judge", "region_code": "35.10"},
    )
    assert made.status_code == 201, made.text
    w.extra = {"other": made.json()["id"]}


async def _moved(w: World, make: Any) -> None:
    await _other_judge(w, make)
    await Assignment.update({Assignment.status: "moved"}).where(Assignment.id == w.assignment_id)


async def _two_reviews(w: World, make: Any) -> None:
    await _other_judge(w, make)
    await Competition.update({Competition.reviews_required: 2}).where(
        Competition.id == w.season.competition.id
    )


async def _declared(w: World, make: Any) -> None:
    judge = await make("juri.mlg", api=True)
    done = await judge.post(f"{BASE}/conflicts", {"team_code": "35.78", "reason": "Adik saya"})
    assert done.status_code == 201, done.text


async def _team_stage(w: World, make: Any, *, close: bool = False) -> None:
    """A team rubric (sinergi, dampak: 1..5), the team stage open (or closed) and juri.mlg asked to score
    Kota Surabaya in it."""
    competition = w.season.competition.id
    await RubricCriterion.insert(
        *[
            RubricCriterion(
                competition=competition, code=code, name=code, weight="1", min="1", max="5", scope="team"
            )
            for code in ("sinergi", "dampak")
        ]
    )
    stage = (
        await Stage.select(Stage.id)
        .where((Stage.competition == competition) & (Stage.kind == "team"))
        .first()
    )
    await Stage.update({Stage.status: "closed" if close else "open"}).where(Stage.id == stage["id"])
    row = Assignment(
        competition=competition, stage=stage["id"], team=w.season.team_ids["35.78"], judge=_id(w, "juri.mlg")
    )
    await row.save()
    w.extra = {"team_assignment": row.id}


async def _team_stage_closed(w: World, make: Any) -> None:
    await _team_stage(w, make, close=True)


def _score_team(scores: dict[str, str]) -> tuple[Call, Call]:
    async def page(client: Any, w: World) -> Any:
        data = {"assignment": str(w.extra["team_assignment"]), **{f"score_{k}": v for k, v in scores.items()}}
        return await client.post("/juri/tim/nilai", data=data)

    async def api(client: Any, w: World) -> Any:
        return await client.post(f"{BASE}/queue/{w.extra['team_assignment']}/team-review", {"scores": scores})

    return page, api


def _skip() -> tuple[Call, Call]:
    async def page(client: Any, w: World) -> Any:
        return await client.post("/juri/lewati", data={"assignment": str(w.assignment_id)})

    async def api(client: Any, w: World) -> Any:
        return await client.post(f"{BASE}/queue/{w.assignment_id}/skip")

    return page, api


def _override(judge: Callable[[World], int]) -> tuple[Call, Call]:
    async def page(client: Any, w: World) -> Any:
        data = {"tugas": str(w.assignment_id), "judge": str(judge(w)), "confirm": "1"}
        return await client.post("/panitia/juri/alihkan", data=data)

    async def api(client: Any, w: World) -> Any:
        return await client.post(f"{BASE}/assignments/{w.assignment_id}/override", {"judge_id": judge(w)})

    return page, api


def _declare(team: str, reason: str = "Adik saya anggota tim") -> tuple[Call, Call]:
    async def page(client: Any, w: World) -> Any:
        team_id = w.season.team_ids.get(team, 999999)
        return await client.post("/juri/konflik", data={"team": team_id, "reason": reason, "confirm": "1"})

    async def api(client: Any, w: World) -> Any:
        return await client.post(f"{BASE}/conflicts", {"team_code": team, "reason": reason})

    return page, api


def _status(username: str | None, active: bool) -> tuple[Call, Call]:
    def target(w: World) -> int:
        return _id(w, username) if username else 999999

    async def page(client: Any, w: World) -> Any:
        return await client.post(f"/panitia/akun/{target(w)}/status", data={"active": "1" if active else "0"})

    async def api(client: Any, w: World) -> Any:
        return await client.post(f"/api/v1/users/{target(w)}/{'enable' if active else 'disable'}")

    return page, api


def _password(username: str | None, password: str) -> tuple[Call, Call]:
    def target(w: World) -> int:
        return _id(w, username) if username else 999999

    async def page(client: Any, w: World) -> Any:
        return await client.post(
            f"/panitia/akun/{target(w)}/sandi", data={"password": password, "password2": password}
        )

    async def api(client: Any, w: World) -> Any:
        return await client.post(f"/api/v1/users/{target(w)}/password", {"password": password})

    return page, api


def _create(username: str, password: str, role: str) -> tuple[Call, Call]:
    async def page(client: Any, w: World) -> Any:
        return await client.post(
            "/panitia/akun", data={"username": username, "password": password, "role": role}
        )

    async def api(client: Any, w: World) -> Any:
        return await client.post("/api/v1/users", {"username": username, "password": password, "role": role})

    return page, api


def _import() -> tuple[Call, Call]:
    files = {"file": ("akun.csv", GOOD_AND_BAD.encode(), "text/csv")}

    async def page(client: Any, w: World) -> Any:
        return await client.post("/panitia/akun/impor", files=files)

    async def api(client: Any, w: World) -> Any:
        return await client.post("/api/v1/users/import", files=files)

    return page, api


def _get(page_url: str, api_url: str) -> tuple[Call, Call]:
    async def page(client: Any, w: World) -> Any:
        return await client.get(page_url)

    async def api(client: Any, w: World) -> Any:
        return await client.get(api_url)

    return page, api


def _top_up() -> tuple[Call, Call]:
    async def page(client: Any, w: World) -> Any:
        return await client.post("/panitia/juri/tugas/lengkapi")

    async def api(client: Any, w: World) -> Any:
        return await client.post(f"{BASE}/assignments/assign-unassigned")

    return page, api


OVERRIDE = ("POST", "/api/v1/competitions/{slug}/assignments/{assignment_id}/override")
TOP_UP = ("POST", "/api/v1/competitions/{slug}/assignments/assign-unassigned")
LIST = ("GET", "/api/v1/competitions/{slug}/assignments")
DECLARE = ("POST", "/api/v1/competitions/{slug}/conflicts")
CONFLICTS = ("GET", "/api/v1/competitions/{slug}/conflicts")
DISABLE = ("POST", "/api/v1/users/{account_id}/disable")
ENABLE = ("POST", "/api/v1/users/{account_id}/enable")
PASSWORD = ("POST", "/api/v1/users/{account_id}/password")
CREATE = ("POST", "/api/v1/users")
USERS = ("GET", "/api/v1/users")
IMPORT = ("POST", "/api/v1/users/import")
EXPORT = ("GET", "/api/v1/users/export.csv")
EXPORT_XLSX = ("GET", "/api/v1/users/export.xlsx")
QUEUE = ("GET", "/api/v1/competitions/{slug}/queue")
NEXT = ("GET", "/api/v1/competitions/{slug}/queue/next")
TEAM = ("POST", "/api/v1/competitions/{slug}/queue/{assignment_id}/team-review")
SKIP = ("POST", "/api/v1/competitions/{slug}/queue/{assignment_id}/skip")


def _case(
    actor: str, doors: tuple[Call, Call], verdict: str, *routes: tuple[str, str], setup: Any = None
) -> Case:
    return Case(actor, doors[0], doors[1], verdict, tuple(f"{m} {p}" for m, p in routes), setup)


CASES: dict[str, Case] = {
    # Assignments.
    "override to an eligible judge": _case(
        "panitia", _override(lambda w: w.extra["other"]), "allowed", OVERRIDE, setup=_other_judge
    ),
    "override to a judge of the team's own regency": _case(
        "panitia", _override(lambda w: _id(w, "juri.sby")), "422", OVERRIDE
    ),
    "override an assignment no longer open": _case(
        "panitia", _override(lambda w: w.extra["other"]), "409", OVERRIDE, setup=_moved
    ),
    "a judge may not override": _case("juri.mlg", _override(lambda w: _id(w, "juri.sby")), "403", OVERRIDE),
    "assign the unassigned": _case("panitia", _top_up(), "allowed", TOP_UP, setup=_two_reviews),
    "a judge may not assign": _case("juri.mlg", _top_up(), "403", TOP_UP),
    "the assignments list is the organisers'": _case(
        "juri.mlg", _get("/panitia/juri/tugas", f"{BASE}/assignments"), "403", LIST
    ),
    "organisers read the assignments": _case(
        "panitia", _get("/panitia/juri/tugas", f"{BASE}/assignments"), "allowed", LIST
    ),
    # Conflicts of interest.
    "declare a conflict": _case("juri.mlg", _declare("35.78"), "allowed", DECLARE),
    "declare with one's own regency": _case("juri.mlg", _declare("35.07"), "422", DECLARE),
    "declare with an unknown team": _case("juri.mlg", _declare("35.99"), "422", DECLARE),
    "declare without a reason": _case("juri.mlg", _declare("35.78", reason=" "), "422", DECLARE),
    "declare twice": _case("juri.mlg", _declare("35.78"), "409", DECLARE, setup=_declared),
    "an organiser declares nothing": _case("panitia", _declare("35.78"), "403", DECLARE),
    "the conflicts are read by organisers": _case(
        "panitia", _get("/panitia/juri", f"{BASE}/conflicts"), "allowed", CONFLICTS
    ),
    "a judge reads their own conflicts": _case(
        "juri.mlg", _get("/juri/konflik", f"{BASE}/conflicts"), "allowed", CONFLICTS
    ),
    "a participant reads no conflicts": _case(
        "peserta.sby", _get("/juri/konflik", f"{BASE}/conflicts"), "403", CONFLICTS
    ),
    # The judge's queue.
    "the judge's queue": _case("juri.mlg", _get("/juri/daftar", f"{BASE}/queue"), "allowed", QUEUE),
    "the judge's next assignment": _case("juri.mlg", _get("/juri", f"{BASE}/queue/next"), "allowed", NEXT),
    "an organiser has no queue": _case("panitia", _get("/juri", f"{BASE}/queue/next"), "403", NEXT, QUEUE),
    "skip one's own assignment": _case("juri.mlg", _skip(), "allowed", SKIP),
    "skip someone else's assignment": _case("juri.sby", _skip(), "404", SKIP),
    "an organiser skips nothing": _case("panitia", _skip(), "403", SKIP),
    "score a team": _case(
        "juri.mlg", _score_team({"sinergi": "4", "dampak": "3"}), "allowed", TEAM, setup=_team_stage
    ),
    "score a team leaving a criterion out": _case(
        "juri.mlg", _score_team({"sinergi": "4"}), "422", TEAM, setup=_team_stage
    ),
    "score a team out of bounds": _case(
        "juri.mlg", _score_team({"sinergi": "4", "dampak": "9"}), "422", TEAM, setup=_team_stage
    ),
    "score a team once its stage is closed": _case(
        "juri.mlg", _score_team({"sinergi": "4", "dampak": "3"}), "409", TEAM, setup=_team_stage_closed
    ),
    "another judge scores no team of someone else's": _case(
        "juri.sby", _score_team({"sinergi": "4", "dampak": "3"}), "404", TEAM, setup=_team_stage
    ),
    # Accounts.
    "reset another account's password": _case(
        "panitia", _password("juri.sby", "kata-sandi-baru-123"), "allowed", PASSWORD
    ),
    "a password too short": _case("panitia", _password("juri.sby", "pendek"), "422", PASSWORD),
    "reset an unknown account's password": _case(
        "panitia", _password(None, "kata-sandi-baru-123"), "404", PASSWORD
    ),
    "a judge resets no password": _case(
        "juri.mlg", _password("juri.sby", "kata-sandi-baru-123"), "403", PASSWORD
    ),
    "disable another account": _case("panitia", _status("juri.sby", False), "allowed", DISABLE),
    "disable one's own account": _case("panitia", _status("panitia", False), "409", DISABLE),
    "disable an unknown account": _case("panitia", _status(None, False), "404", DISABLE),
    "enable an account": _case("panitia", _status("juri.sby", True), "allowed", ENABLE),
    "a judge disables nobody": _case("juri.mlg", _status("juri.sby", False), "403", DISABLE, ENABLE),
    "create an account": _case("panitia", _create("juri.baru", "rahasia-123", "judge"), "allowed", CREATE),
    "create with a taken username": _case(
        "panitia", _create("juri.sby", "rahasia-123", "judge"), "409", CREATE
    ),
    "create with bad fields": _case("panitia", _create("X", "pendek", "raja"), "422", CREATE),
    "a participant creates nothing": _case(
        "peserta.sby", _create("juri.baru", "rahasia-123", "judge"), "403", CREATE
    ),
    "organisers list the accounts": _case(
        "panitia", _get("/panitia/akun", "/api/v1/users"), "allowed", USERS
    ),
    "a judge lists no accounts": _case("juri.mlg", _get("/panitia/akun", "/api/v1/users"), "403", USERS),
    "import a file with bad rows": _case("panitia", _import(), "422", IMPORT),
    "a judge imports nothing": _case("juri.mlg", _import(), "403", IMPORT),
    "export the accounts": _case(
        "panitia", _get("/panitia/akun/ekspor", "/api/v1/users/export.csv"), "allowed", EXPORT
    ),
    "export the accounts as XLSX": _case(
        "panitia",
        _get("/panitia/akun/ekspor?format=xlsx", "/api/v1/users/export.xlsx"),
        "allowed",
        EXPORT_XLSX,
    ),
    "a participant exports nothing": _case(
        "peserta.sby", _get("/panitia/akun/ekspor", "/api/v1/users/export.csv"), "403", EXPORT, EXPORT_XLSX
    ),
}


def _verdict(response: Any) -> str:
    status = response.status_code
    return "allowed" if 200 <= status < 400 else str(status)


@pytest.mark.parametrize("door", ["page", "api"])
@pytest.mark.parametrize("name", list(CASES))
async def test_one_verdict_whatever_the_door(
    name: str, door: str, season: Season, browser_factory: Any, api_factory: Any
) -> None:
    case = CASES[name]
    team = await api_factory("peserta.sby")
    created = await team.post(f"{BASE}/activities", activity_body(), headers={"Idempotency-Key": "pintu"})
    assert created.status_code == 201, created.text
    row = await Assignment.select(Assignment.id).where(Assignment.activity == created.json()["id"]).first()
    world = World(season, row["id"])

    async def make(username: str, api: bool = False) -> Any:
        return await (api_factory(username) if api else browser_factory(username))

    if case.setup is not None:
        await case.setup(world, make)
    if door == "page":
        response = await case.page(await browser_factory(case.actor), world)
    else:
        response = await case.api(await api_factory(case.actor), world)
    assert response.status_code < 500, response.text
    assert _verdict(response) == case.verdict, (
        f"{name} by the {door}: {response.status_code} {response.text[:300]}"
    )


def test_every_people_route_has_a_case(app: Litestar) -> None:
    groups = (
        "/api/v1/users",
        "/api/v1/competitions/{slug:str}/assignments",
        "/api/v1/competitions/{slug:str}/conflicts",
    )
    queue = "/api/v1/competitions/{slug:str}/queue"
    covered = {route for case in CASES.values() for route in case.routes}
    missing = []
    for route in app.routes:
        if not route.path.startswith((*groups, queue)):
            continue
        path = route.path.replace(":str", "").replace(":int", "")
        for method in sorted(set(getattr(route, "methods", ())) - {"HEAD", "OPTIONS"}):
            if f"{method} {path}" not in covered:
                missing.append(f"{method} {path}")
    assert not missing, f"API routes of the people groups without a parity case: {missing}"
