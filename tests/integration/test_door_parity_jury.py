"""Door parity for the activity and judging rules: whichever door a request comes in by — the console's
pages, the API, the photo route, the lists — the verdict is the same.

Two tables drive it. DOORS holds every route of the app that takes an activity or photo id (and the lists
that show activities), with how to call it; `test_every_activity_route_is_a_door` fails when a route that
reaches an activity is missing from it, so a new door cannot skip the rules. RULES holds each rule (own team,
own regency, declared conflict, blind judging, judge independence, only the assigned judges review, stage
closed), who tries, which doors reach it and the verdict every one of them must give.

Verdicts are classes: "allowed" (2xx/3xx), "403", "404", "409"; a list door says "listed" or "absent" (a
refusal elsewhere is "absent" there)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar

from app.tables import Account, Assignment, Competition, Stage, Team
from tests.integration.api.helpers import activity_body, api_factory
from tests.integration.conftest import Season, activity_form, jpeg

__all__ = ["api_factory"]

SLUG = "uji"
SECRET_REASON = "ALASAN-RAHASIA-JURI-LAIN"


@dataclass
class Ctx:
    """One activity of Surabaya (35.78), with a photo, and the clients of whoever tries the doors."""

    activity_id: int
    photo_id: int
    page: Any  # the viewer's browser (cookies, CSRF)
    api: Any  # the viewer's API client (bearer token)
    names: list[str] = field(default_factory=list)  # what names the team, its desa and its people


Call = Callable[[Ctx], Awaitable[Any]]


@dataclass(frozen=True)
class Door:
    kind: str  # which rules reach it: see RULES' `kinds`
    call: Call
    listing: bool = False  # a list: the verdict is whether the activity is in it


def _form(ctx: Ctx) -> dict[str, Any]:
    return activity_form(str(uuid.uuid4()), title="Diubah lewat pintu")


DOORS: dict[tuple[str, str], Door] = {
    # The participant's pages.
    ("GET", "/kegiatan/{activity_id:int}"): Door(
        "team-view", lambda c: c.page.get(f"/kegiatan/{c.activity_id}")
    ),
    ("GET", "/kegiatan/{activity_id:int}/ubah"): Door(
        "team-change", lambda c: c.page.get(f"/kegiatan/{c.activity_id}/ubah")
    ),
    ("POST", "/kegiatan/{activity_id:int}/ubah"): Door(
        "team-change", lambda c: c.page.post(f"/kegiatan/{c.activity_id}/ubah", data=_form(c))
    ),
    ("GET", "/kegiatan/{activity_id:int}/tarik"): Door(
        "team-change", lambda c: c.page.get(f"/kegiatan/{c.activity_id}/tarik")
    ),
    ("POST", "/kegiatan/{activity_id:int}/tarik"): Door(
        "team-change", lambda c: c.page.post(f"/kegiatan/{c.activity_id}/tarik")
    ),
    # Sending a corrected copy needs a rejected activity: only the team rule reaches it here.
    ("GET", "/kegiatan/{activity_id:int}/kirim-ulang"): Door(
        "team-only", lambda c: c.page.get(f"/kegiatan/{c.activity_id}/kirim-ulang")
    ),
    ("POST", "/kegiatan/{activity_id:int}/kirim-ulang"): Door(
        "team-only", lambda c: c.page.post(f"/kegiatan/{c.activity_id}/kirim-ulang", data=_form(c))
    ),
    # The photo route, for everyone who may see the activity.
    ("GET", "/foto/{photo_id:int}"): Door("photo", lambda c: c.page.get(f"/foto/{c.photo_id}")),
    ("GET", "/foto/{photo_id:int}/kecil"): Door("photo", lambda c: c.page.get(f"/foto/{c.photo_id}/kecil")),
    # The judge's pages.
    ("GET", "/juri/kegiatan/{activity_id:int}"): Door(
        "judge-view", lambda c: c.page.get(f"/juri/kegiatan/{c.activity_id}")
    ),
    ("POST", "/juri/kegiatan/{activity_id:int}/keputusan"): Door(
        "review",
        lambda c: c.page.post(f"/juri/kegiatan/{c.activity_id}/keputusan", data={"decision": "verified"}),
    ),
    # Revising one's own review: the judge's rules (regency, conflict) and the closed stage reach it; a
    # judge who never reviewed is told so (404) whatever else.
    ("GET", "/juri/ulasan/{activity_id:int}"): Door(
        "revise-view", lambda c: c.page.get(f"/juri/ulasan/{c.activity_id}")
    ),
    ("POST", "/juri/ulasan/{activity_id:int}"): Door(
        "revise",
        lambda c: c.page.post(f"/juri/ulasan/{c.activity_id}", data={"decision": "verified"}),
    ),
    # The organisers' pages: organisers see everything (role guard); no rule below narrows them.
    ("GET", "/panitia/kegiatan/{activity_id:int}"): Door(
        "organiser", lambda c: c.page.get(f"/panitia/kegiatan/{c.activity_id}")
    ),
    ("POST", "/panitia/kegiatan/{activity_id:int}/batalkan"): Door(
        "organiser-annul",
        lambda c: c.page.post(f"/panitia/kegiatan/{c.activity_id}/batalkan", data={"review": "0"}),
    ),
    # The API.
    ("GET", "/api/v1/activities/{activity_id:int}"): Door(
        "any-view", lambda c: c.api.get(f"/api/v1/activities/{c.activity_id}")
    ),
    ("POST", "/api/v1/activities/{activity_id:int}/reviews"): Door(
        "review",
        lambda c: c.api.post(f"/api/v1/activities/{c.activity_id}/reviews", {"decision": "verified"}),
    ),
    ("PUT", "/api/v1/activities/{activity_id:int}/reviews/mine"): Door(
        "revise",
        lambda c: c.api.put(f"/api/v1/activities/{c.activity_id}/reviews/mine", {"decision": "verified"}),
    ),
    # The API's annulment takes a review id, as the console's form does: organisers only, like that form.
    ("POST", "/api/v1/competitions/{slug:str}/reviews/{review_id:int}/annul"): Door(
        "organiser-annul",
        lambda c: c.api.post(f"/api/v1/competitions/{SLUG}/reviews/0/annul", {"reason": "Uji pintu"}),
    ),
    ("POST", "/api/v1/activities/{activity_id:int}/photos"): Door(
        "team-photo",
        lambda c: c.api.post(
            f"/api/v1/activities/{c.activity_id}/photos", files={"file": ("foto.jpg", jpeg(), "image/jpeg")}
        ),
    ),
    # The named officer's doors: the confirm page (the QR code's address), the answers, and the API's.
    ("GET", "/petugas/kegiatan/{activity_id:int}"): Door(
        "officer-view", lambda c: c.page.get(f"/petugas/kegiatan/{c.activity_id}")
    ),
    ("POST", "/petugas/kegiatan/{activity_id:int}/konfirmasi"): Door(
        "officer-answer", lambda c: c.page.post(f"/petugas/kegiatan/{c.activity_id}/konfirmasi", data={})
    ),
    ("POST", "/petugas/kegiatan/{activity_id:int}/tolak"): Door(
        "officer-answer",
        lambda c: c.page.post(f"/petugas/kegiatan/{c.activity_id}/tolak", data={"reason": "Bukan saya"}),
    ),
    ("POST", "/api/v1/activities/{activity_id:int}/attestation/confirm"): Door(
        "officer-answer", lambda c: c.api.post(f"/api/v1/activities/{c.activity_id}/attestation/confirm", {})
    ),
    ("POST", "/api/v1/activities/{activity_id:int}/attestation/decline"): Door(
        "officer-answer",
        lambda c: c.api.post(
            f"/api/v1/activities/{c.activity_id}/attestation/decline", {"reason": "Bukan saya"}
        ),
    ),
    # The team invites a named officer without an account (the one named here has one: only the team rule).
    ("POST", "/kegiatan/{activity_id:int}/undang-petugas"): Door(
        "team-invite",
        lambda c: c.page.post(f"/kegiatan/{c.activity_id}/undang-petugas", data={"nrp": "85011234"}),
    ),
    # Lists that show activities.
    ("GET", "/api/v1/competitions/{slug:str}/activities"): Door(
        "list", lambda c: c.api.get(f"/api/v1/competitions/{SLUG}/activities"), listing=True
    ),
    ("GET", "/juri/daftar"): Door("judge-list", lambda c: c.page.get("/juri/daftar"), listing=True),
    ("GET", "/api/v1/competitions/{slug:str}/queue"): Door(
        "judge-list", lambda c: c.api.get(f"/api/v1/competitions/{SLUG}/queue"), listing=True
    ),
    # The photo's stored copy through the API: the /foto route's rule.
    ("GET", "/api/v1/photos/{photo_id:int}"): Door(
        "photo", lambda c: c.api.get(f"/api/v1/photos/{c.photo_id}")
    ),
    ("GET", "/api/v1/photos/{photo_id:int}/thumbnail"): Door(
        "photo", lambda c: c.api.get(f"/api/v1/photos/{c.photo_id}/thumbnail")
    ),
}

# Routes with an id that are not an activity's (checked by name so that a new activity route is not missed).
# An assignment's routes (override, skip): their own table in tests/integration/test_door_parity_people.py.
NOT_ACTIVITY_IDS = {
    "account_id",
    "version",
    "index",
    "stage_id",
    "code",
    "file_path",
    "path",
    "slug",
    "token",
    "assignment_id",
    "webhook_id",
    "delivery_id",
}


@dataclass(frozen=True)
class Rule:
    viewer: str  # who tries ("juri.*" accounts beyond the season's are made by the setup)
    kinds: frozenset[str]  # the door kinds the rule reaches
    verdict: str  # "allowed", "403", "404" or "409"
    setup: Callable[[Season, Any, list[Ctx]], Awaitable[None]] | None = None
    # Checked on every allowed, non-list answer: none of these strings may appear in it.
    hidden: Callable[[Ctx], list[str]] | None = None


VIEW = {"any-view", "photo"}
JUDGE_ITEM = {"judge-view", "review", "revise-view", "revise", *VIEW}
TEAM_ITEM = {"team-view", "team-change", "team-only", "team-photo", "team-invite", *VIEW}
OFFICER_ITEM = {"officer-view", "officer-answer", *VIEW}


async def _declare_conflict(season: Season, make: Any, ctxs: list[Ctx]) -> None:
    answer = await ctxs[0].page.post(
        "/juri/konflik",
        data={"team": season.team_ids["35.78"], "reason": "Adik saya anggota tim", "confirm": "1"},
    )
    assert answer.status_code in (302, 303), answer.text


async def _blind(season: Season, make: Any, ctxs: list[Ctx]) -> None:
    await Competition.update({Competition.blind_judging: True}).where(Competition.id == season.competition.id)


async def _other_judge_reviewed(season: Season, make: Any, ctxs: list[Ctx]) -> None:
    other = await make("juri.dua")
    for ctx in ctxs:
        answer = await other["api"].post(
            f"/api/v1/activities/{ctx.activity_id}/reviews", {"decision": "rejected", "reason": SECRET_REASON}
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["activity_status"] == "submitted"


async def _moved_away(season: Season, make: Any, ctxs: list[Ctx]) -> None:
    """The organiser moves juri.mlg's work to juri.lain: the judge who lost it may no longer decide it."""
    organiser = await make("panitia")
    judges = {
        row["username"]: row["id"]
        for row in await Account.select(Account.id, Account.username).where(
            Account.username.is_in(["juri.mlg", "juri.lain"])
        )
    }
    for ctx in ctxs:
        row = (
            await Assignment.select(Assignment.id)
            .where(
                (Assignment.activity == ctx.activity_id)
                & (Assignment.judge == judges["juri.mlg"])
                & (Assignment.status == "open")
            )
            .first()
        )
        assert row is not None
        answer = await organiser["page"].post(
            "/panitia/juri/alihkan",
            data={"tugas": str(row["id"]), "judge": str(judges["juri.lain"]), "confirm": "1"},
        )
        assert answer.status_code in (302, 303), answer.text


async def _other_officer(organiser: Any) -> None:
    """An officer account whose NRP the activities do not name (made through the API's alias "petugas")."""
    answer = await organiser.post(
        "/api/v1/users",
        {
            "username": "petugas.lain",
            "password": "rahasia-123",
            "role": "petugas",
            "nrp": "87654321",
            "rank": "Bripda",
            "polres": "Polrestabes Surabaya",
            "village_code": "35.78.01.1001",
        },
    )
    assert answer.status_code == 201, answer.text


async def _close_stage(season: Season, make: Any, ctxs: list[Ctx]) -> None:
    await Stage.update({Stage.status: "closed"}).where(
        (Stage.competition == season.competition.id) & (Stage.kind == "activity")
    )


RULES: dict[str, Rule] = {
    # Control: the rightful viewers are let in by every door the rules below narrow.
    "the team sees its own activity": Rule(
        "peserta.sby", frozenset({"team-view", "team-change", "team-photo", *VIEW, "list"}), "allowed"
    ),
    "the assigned judge sees and reviews it": Rule(
        "juri.mlg", frozenset({"judge-view", "review", *VIEW, "list", "judge-list"}), "allowed"
    ),
    "organisers see everything": Rule("panitia", frozenset({"organiser", *VIEW, "list"}), "allowed"),
    "own team: another team's activity is missing": Rule(
        "peserta.mlg", frozenset({*TEAM_ITEM, "list"}), "404"
    ),
    "own regency: a judge never sees their regency's": Rule(
        "juri.sby", frozenset({*JUDGE_ITEM, "list", "judge-list"}), "403"
    ),
    "declared conflict: refused by every door": Rule(
        "juri.mlg", frozenset({*JUDGE_ITEM, "list", "judge-list"}), "403", setup=_declare_conflict
    ),
    "blind judging: nothing names the team, desa or people": Rule(
        "juri.mlg",
        frozenset({"judge-view", *VIEW, "list", "judge-list"}),
        "allowed",
        setup=_blind,
        hidden=lambda c: c.names,
    ),
    "independence: no other judge's pending verdict": Rule(
        "juri.mlg",
        frozenset({"judge-view", "any-view", "list", "judge-list"}),
        "allowed",
        setup=_other_judge_reviewed,
        hidden=lambda c: [SECRET_REASON],
    ),
    "the named officer sees the activity and answers": Rule(
        "petugas.sby", frozenset({*OFFICER_ITEM, "list"}), "allowed"
    ),
    "an officer not named: missing by every door": Rule(
        "petugas.lain", frozenset({*OFFICER_ITEM, "list"}), "404"
    ),
    "only officers answer for an activity": Rule(
        "juri.mlg", frozenset({"officer-view", "officer-answer"}), "403"
    ),
    "only the assigned judges review": Rule("juri.lain", frozenset({"review"}), "403"),
    "reassigned: the judge who lost the work no longer reviews it": Rule(
        "juri.mlg", frozenset({"review"}), "403", setup=_moved_away
    ),
    "stage closed: no verdict and no change any more": Rule(
        "juri.mlg", frozenset({"review", "revise"}), "409", setup=_close_stage
    ),
    "stage closed: the team can no longer change it, nor add a photo": Rule(
        "peserta.sby", frozenset({"team-change", "team-photo"}), "409", setup=_close_stage
    ),
}


def _verdict(door: Door, response: Any, ctx: Ctx) -> str:
    status = response.status_code
    if door.listing:
        assert status == 200, response.text
        if "json" in response.headers.get("content-type", ""):
            listed = ctx.activity_id in {item["id"] for item in response.json()["items"]}
        else:
            listed = re.search(rf'data-activity-id="{ctx.activity_id}"', response.text) is not None
        return "listed" if listed else "absent"
    if 200 <= status < 400:
        return "allowed"
    return str(status)


def _expected(door: Door, rule: Rule) -> str:
    if door.listing:
        return "listed" if rule.verdict == "allowed" else "absent"
    return rule.verdict


async def _judge(organiser: Any, username: str, region: str) -> None:
    answer = await organiser.post(
        "/api/v1/users",
        {"username": username, "password": "rahasia-123", "role": "judge", "region_code": region},
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("name", list(RULES))
async def test_one_verdict_whatever_the_door(
    name: str, season: Season, browser_factory: Any, api_factory: Any
) -> None:
    rule = RULES[name]
    doors = {key: door for key, door in DOORS.items() if door.kind in rule.kinds}
    assert doors, f"{name}: no door reaches this rule"
    organiser = await api_factory("panitia")
    if name.startswith("independence"):
        # Two judges decide each activity: juri.mlg and juri.dua, both from elsewhere.
        await Competition.update({Competition.reviews_required: 2}).where(
            Competition.id == season.competition.id
        )
        await _judge(organiser, "juri.dua", "35.10")

    async def make(username: str) -> dict[str, Any]:
        return {"page": await browser_factory(username), "api": await api_factory(username)}

    team = await api_factory("peserta.sby")
    body = activity_body()
    team_row = await Team.select(Team.name).where(Team.code == "35.78").first()
    names = [
        team_row["name"],
        *(m["name"] for m in body["senkom_members"]),
        *(o["name"] for o in body["officers"]),
        body["desa_code"],
    ]
    # One activity of Surabaya per door (a door may verify, edit or withdraw its own), each with a photo.
    made: dict[tuple[str, str], tuple[int, int]] = {}
    for n, key in enumerate(doors):
        created = await team.post(
            f"/api/v1/competitions/{SLUG}/activities",
            activity_body(title=f"Sambang pintu {n}"),
            headers={"Idempotency-Key": f"pintu-{n}"},
        )
        assert created.status_code == 201, created.text
        activity_id = created.json()["id"]
        photo = await team.post(
            f"/api/v1/activities/{activity_id}/photos", files={"file": ("foto.jpg", jpeg(), "image/jpeg")}
        )
        assert photo.status_code == 201, photo.text
        made[key] = (activity_id, photo.json()["id"])
    # Made after the activities got their judge (juri.mlg, the only eligible one then): assigned none.
    await _judge(organiser, "juri.lain", "35.10")
    if rule.viewer == "petugas.lain":
        await _other_officer(organiser)
    viewer = await make(rule.viewer)
    ctxs = {key: Ctx(a, p, viewer["page"], viewer["api"], names) for key, (a, p) in made.items()}
    if rule.setup is not None:
        await rule.setup(season, make, list(ctxs.values()))

    verdicts: dict[str, str] = {}
    expected: dict[str, str] = {}
    for (method, path), door in doors.items():
        ctx = ctxs[(method, path)]
        response = await door.call(ctx)
        assert response.status_code < 500, (method, path, response.text)
        verdicts[f"{method} {path}"] = verdict = _verdict(door, response, ctx)
        expected[f"{method} {path}"] = _expected(door, rule)
        kind = response.headers.get("content-type", "")
        if (
            rule.hidden is not None
            and verdict in ("allowed", "listed")
            and ("html" in kind or "json" in kind)
        ):
            for text in rule.hidden(ctx):
                assert text not in response.text, f"{name}: {method} {path} shows {text!r}"
    differ = {
        key: f"{verdicts[key]}, should be {expected[key]}"
        for key in verdicts
        if verdicts[key] != expected[key]
    }
    assert not differ, f"{name}: {differ}"


def test_every_activity_route_is_a_door(app: Litestar) -> None:
    """A new route that takes an activity (or photo) id needs a row in DOORS, and so a verdict per rule."""
    missing = []
    for route in app.routes:
        names = set(getattr(route, "path_parameters", {}) or {})
        if not names or names <= NOT_ACTIVITY_IDS:
            continue
        for method in sorted(set(getattr(route, "methods", ())) - {"HEAD", "OPTIONS"}):
            if (method, route.path) not in DOORS:
                missing.append(f"{method} {route.path}")
    assert not missing, f"routes that reach an activity without a row in DOORS: {missing}"
    known = {(m, r.path) for r in app.routes for m in getattr(r, "methods", ())}
    assert set(DOORS) <= known, f"DOORS names routes the app no longer has: {set(DOORS) - known}"


def test_every_door_is_reached_by_a_rule() -> None:
    reached = {kind for rule in RULES.values() for kind in rule.kinds}
    # An annulment needs a review id of the activity; organisers are never narrowed by these rules.
    exempt = {"organiser-annul"}
    assert {door.kind for door in DOORS.values()} - reached - exempt == set()
