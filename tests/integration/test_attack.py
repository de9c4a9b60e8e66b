"""People who try to break in: stored and reflected XSS through every text field that is shown again,
session fixation, the login rate limit shared by the page and the API, IDOR (another team's activities,
photos and drafts; a judge's own region), and the route table's guard check catching a new route.

Covered elsewhere and not repeated here: the route x role matrix over every route
(tests/integration/test_routes.py, built from the route table), the API's route x token matrix
(api/test_api_routes.py), CSRF on unsafe requests (test_accounts.py: a POST without or with a forged
token is 403; the matrix posts every unsafe route with the token), schemathesis with no 5xx
(api/test_schemathesis.py).
"""

from __future__ import annotations

import re
from typing import Any

from litestar import get

from app.accounts.auth import SESSION_COOKIE
from app.main import create_app
from app.tables import Activity, ActivityDraft, Photo, Team
from tests.integration.api.helpers import api_factory
from tests.integration.conftest import PASSWORD, activity_form, form_key, jpeg
from tests.integration.test_routes import route_table

__all__ = ["api_factory"]  # the API client fixture, shared with tests/integration/api/
HOST = "testserver.local"


def payload(n: int) -> str:
    """Breaks out of an attribute and opens a script: harmless only when escaped."""
    return f"\"><script>x{n}</script>'"


def escaped(n: int) -> str:
    return f"&#34;&gt;&lt;script&gt;x{n}&lt;/script&gt;&#39;"


def assert_safe(html: str, where: str, fields: dict[str, int], shown: tuple[str, ...] = ()) -> None:
    """No field's payload comes back as markup; the fields in `shown` come back escaped."""
    for name, n in fields.items():
        assert f"<script>x{n}</script>" not in html, f"{name} is not escaped on {where}"
        assert f'"><script>x{n}' not in html, f"{name} breaks out of an attribute on {where}"
    for name in shown:
        assert escaped(fields[name]) in html, f"{name} is not shown (escaped) on {where}"


async def _submit(browser: Any, **overrides: Any) -> int:
    key = form_key((await browser.get("/kegiatan/baru")).text)
    response = await browser.send_activity(activity_form(key, **overrides))
    assert response.status_code in (302, 303), response.text[:2000]
    return int(re.search(r"/kegiatan/(\d+)", response.headers["location"]).group(1))


async def _review(api_factory: Any, judge: str, activity_id: int, decision: str, reason: str = "") -> None:
    api = await api_factory(judge)
    response = await api.post(
        f"/api/v1/activities/{activity_id}/reviews", {"decision": decision, "reason": reason}
    )
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------------------------------ stored XSS

ACTIVITY_FIELDS = {"title": 1, "description": 2, "senkom member": 3, "officer name": 4, "officer rank": 5}
ACTIVITY_FIELDS |= {"officer polres": 6}


async def test_activity_text_fields_come_back_escaped_on_every_page(season, browser_factory, api_factory):
    sby = await browser_factory("peserta.sby")
    f = ACTIVITY_FIELDS
    activity_id = await _submit(
        sby,
        title=payload(f["title"]),
        description=payload(f["description"]),
        senkom_members=f"{payload(f['senkom member'])}\nSiti Lestari",
        officer_name=[payload(f["officer name"]), ""],
        officer_rank=[payload(f["officer rank"]), ""],
        officer_polres=[payload(f["officer polres"]), ""],
    )
    every = tuple(f)
    pages = {
        "the participant's list": (await sby.get("/kegiatan"), ("title",)),
        "the participant's detail": (await sby.get(f"/kegiatan/{activity_id}"), every),
        # Polres is a choice from a list there: the stored text is not written back into the form.
        "the participant's edit form": (
            await sby.get(f"/kegiatan/{activity_id}/ubah"),
            tuple(name for name in every if name != "officer polres"),
        ),
        "the withdraw confirmation": (await sby.get(f"/kegiatan/{activity_id}/tarik"), ()),
    }
    judge = await browser_factory("juri.mlg")
    pages["the judge's queue"] = (await judge.get("/juri"), ("title",))
    pages["the judge's detail"] = (await judge.get(f"/juri/kegiatan/{activity_id}"), every)
    pages["the judge's full list"] = (await judge.get("/juri/daftar"), ("title",))
    organiser = await browser_factory("panitia")
    pages["the audit trail"] = (await organiser.get("/panitia/audit"), ())
    pages["the organiser's teams"] = (await organiser.get("/panitia/tim"), ())
    pages["the jury console"] = (await organiser.get("/panitia/juri"), ())
    pages["the jury assignments"] = (await organiser.get("/panitia/juri/tugas"), ())

    await _review(api_factory, "juri.mlg", activity_id, "verified")
    anonymous = await browser_factory()
    pages["the public team page"] = (await anonymous.get("/tim/35.78"), ("title",))
    pages["the public leaderboard"] = (await anonymous.get("/"), ())
    pages["the leaderboard fragment"] = (await anonymous.get("/papan/baris"), ())
    pages["the big screen"] = (await anonymous.get("/layar"), ())
    pages["the map"] = (await anonymous.get("/peta"), ())
    pages["the participant's detail, verified"] = (await sby.get(f"/kegiatan/{activity_id}"), every)
    pages["the judge's own reviews"] = (await judge.get("/juri/ulasan"), ())
    pages["the judge's review of it"] = (await judge.get(f"/juri/ulasan/{activity_id}"), ())
    pages["the public stage board"] = (await anonymous.get("/papan/tahap"), ())
    for where, (response, shown) in pages.items():
        assert response.status_code == 200, (where, response.status_code)
        assert_safe(response.text, where, f, shown)


async def test_a_rejection_reason_comes_back_escaped(season, browser_factory, api_factory):
    sby = await browser_factory("peserta.sby")
    activity_id = await _submit(sby, title="Sambang warga RW 05")
    fields = {"rejection reason": 11}
    await _review(api_factory, "juri.mlg", activity_id, "rejected", payload(11))
    judge = await browser_factory("juri.mlg")
    organiser = await browser_factory("panitia")
    pages = {
        "the participant's list": (await sby.get("/kegiatan"), ()),
        "the participant's detail": (await sby.get(f"/kegiatan/{activity_id}"), ("rejection reason",)),
        "the correction form": (await sby.get(f"/kegiatan/{activity_id}/kirim-ulang"), ()),
        "the judge's queue": (await judge.get("/juri"), ()),
        "the judge's detail": (await judge.get(f"/juri/kegiatan/{activity_id}"), ()),
        "the judge's own reviews": (await judge.get("/juri/ulasan"), ()),
        "the judge's review of it": (await judge.get(f"/juri/ulasan/{activity_id}"), ()),
        "the audit trail": (await organiser.get("/panitia/audit"), ()),
        "the jury assignments": (await organiser.get("/panitia/juri/tugas"), ()),
    }
    for where, (response, shown) in pages.items():
        assert response.status_code in (200, 403, 404, 409), (where, response.status_code)
        assert_safe(response.text, where, fields, shown if response.status_code == 200 else ())
    assert escaped(11) in pages["the participant's detail"][0].text


async def test_rejected_input_is_sent_back_escaped(season, browser_factory):
    """A form refused with 422 shows the typed values again: that copy must be escaped too."""
    sby = await browser_factory("peserta.sby")
    key = form_key((await sby.get("/kegiatan/baru")).text)
    fields = {"rw": 21, "title": 22, "description": 23, "senkom member": 24, "officer name": 25}
    response = await sby.send_activity(
        activity_form(
            key,
            rw=payload(21)[:32],
            title=payload(22),
            description=payload(23),
            senkom_members=payload(24),
            officer_name=[payload(25), ""],
            officer_nrp=["bukan-nrp", ""],
        ),
        photos=0,  # a refused form keeps its photos for the corrected one: none to leave behind
    )
    assert response.status_code == 422
    assert_safe(response.text, "the refused activity form", fields, ("title", "description", "officer name"))
    anonymous = await browser_factory()
    login = await anonymous.post("/masuk", data={"username": payload(26), "password": "x"})
    assert login.status_code in (401, 422)
    assert_safe(login.text, "the refused sign-in", {"username": 26})
    bounced = await anonymous.get("/masuk", params={"next": payload(27)})
    assert_safe(bounced.text, "the sign-in page's next", {"next": 27})


async def test_organiser_text_fields_come_back_escaped(season, browser_factory, api_factory):
    organiser = await browser_factory("panitia")
    fields = {
        "account full name": 31,
        "adjustment reason": 32,
        "ruleset note": 33,
        "activity type name": 34,
        "season name": 35,
        "team name": 36,
    }
    created = await organiser.post(
        "/panitia/akun",
        data={
            "username": "peserta.jahat",
            "password": PASSWORD,
            "full_name": payload(31),
            "role": "participant",
            "team": "35.07",
        },
    )
    assert created.status_code in (302, 303), created.text[:2000]
    adjusted = await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.07", "points": "7", "reason": payload(32)}
    )
    assert adjusted.status_code in (302, 303), adjusted.text[:2000]
    await organiser.post("/panitia/aturan/kosongkan")
    assert (await organiser.post("/panitia/aturan/tambah", data={"rule": "coverage"})).status_code in (
        200,
        302,
        303,
    )
    published = await organiser.post("/panitia/aturan/terbitkan", data={"note": payload(33), "confirm": "1"})
    assert published.status_code in (302, 303), published.text[:2000]
    kind = await organiser.post(
        "/panitia/musim/jenis", data={"code": "ronda_malam", "name": payload(34), "cluster": "kamtibmas"}
    )
    assert kind.status_code in (302, 303), kind.text[:2000]
    today = season.competition.starts_on
    renamed = await organiser.post(
        "/panitia/musim/",
        data={
            "name": payload(35),
            "starts_on": today.isoformat(),
            "ends_on": season.competition.ends_on.isoformat(),
            "timezone": "Asia/Jakarta",
            "reviews_required": "1",
        },
    )
    assert renamed.status_code in (302, 303), renamed.text[:2000]
    # Team names come from the region data or the API; whatever stored one, it is shown escaped.
    await Team.update({Team.name: payload(36)}).where(Team.code == "35.07")

    newcomer = await browser_factory("peserta.jahat")
    activity_id = await _submit(newcomer, village_code="35.07.01.2001", activity_type="RONDA_MALAM")
    await _review(api_factory, "juri.sby", activity_id, "verified")
    judge = await browser_factory("juri.sby")
    anonymous = await browser_factory()
    pages = {
        "the organiser's accounts": (await organiser.get("/panitia/akun"), ("account full name",)),
        "the organiser's teams": (await organiser.get("/panitia/tim"), ("team name",)),
        "the adjustments page": (await organiser.get("/panitia/penyesuaian"), ("adjustment reason",)),
        "the ruleset editor": (await organiser.get("/panitia/aturan"), ()),
        "the season page": (await organiser.get("/panitia/musim/"), ("activity type name",)),
        "the audit trail": (await organiser.get("/panitia/audit"), ()),
        "the account export page": (await organiser.get("/panitia/akun/impor"), ()),
        "the participant's own pages": (await newcomer.get("/kegiatan"), ("account full name",)),
        "the capture form": (await newcomer.get("/kegiatan/baru"), ("activity type name",)),
        "the participant's detail": (await newcomer.get(f"/kegiatan/{activity_id}"), ()),
        "the judge's queue": (await judge.get("/juri"), ()),
        "the judge's detail": (await judge.get(f"/juri/kegiatan/{activity_id}"), ()),
        "the public leaderboard": (await anonymous.get("/"), ("team name",)),
        "the leaderboard fragment": (await anonymous.get("/papan/baris"), ("team name",)),
        "the public team page": (await anonymous.get("/tim/35.07"), ("team name", "adjustment reason")),
        "the team summary": (await anonymous.get("/tim/35.07/ringkas"), ()),
        "the map": (await anonymous.get("/peta"), ()),
        "the map fragment": (await anonymous.get("/peta/isi"), ()),
        "the big screen": (await anonymous.get("/layar"), ()),
        "the big screen fragment": (await anonymous.get("/layar/isi"), ()),
        "the public rules": (await anonymous.get("/aturan"), ()),
        "the reveal": (await organiser.get("/panitia/pengumuman"), ()),
        "the freeze page": (await organiser.get("/panitia/beku"), ()),
    }
    for view in ("cluster:kamtibmas", "type:RONDA_MALAM"):
        pages[f"the leaderboard view {view}"] = (await anonymous.get("/", params={"tampilan": view}), ())
    for where, (response, shown) in pages.items():
        assert response.status_code == 200, (where, response.status_code)
        assert_safe(response.text, where, fields, shown)
    # The ruleset note and the season name are shown somewhere: prove it, so the check above bites.
    assert any(escaped(33) in r.text for r, _ in pages.values()), "the ruleset note is shown nowhere"
    assert any(escaped(35) in r.text for r, _ in pages.values()), "the season name is shown nowhere"

    final = await organiser.post("/panitia/musim/hasil-akhir", data={"confirm": "1", "note": payload(37)})
    assert final.status_code in (302, 303), final.text[:2000]
    results = await anonymous.get("/hasil-akhir")
    assert results.status_code == 200
    assert_safe(results.text, "the final results", {**fields, "final note": 37}, ("team name",))


# ------------------------------------------------------------------------------------ session fixation


async def test_signing_in_never_keeps_a_planted_session_token(season, browser_factory):
    victim = await browser_factory()
    victim.client.cookies.set(SESSION_COOKIE, "planted-by-the-attacker", domain=HOST)
    await victim.login("peserta.sby")
    issued = victim.client.cookies[SESSION_COOKIE]
    assert issued != "planted-by-the-attacker" and len(issued) >= 32
    assert (await victim.get("/kegiatan")).status_code == 200

    # The attacker plants their own real session; the victim signs in as someone else.
    attacker = await browser_factory("peserta.mlg")
    attackers_token = attacker.client.cookies[SESSION_COOKIE]
    shared = await browser_factory()
    shared.client.cookies.set(SESSION_COOKIE, attackers_token, domain=HOST)
    await shared.login("panitia")
    organisers_token = shared.client.cookies[SESSION_COOKIE]
    assert organisers_token != attackers_token
    # The attacker's token did not become the organiser's session.
    assert (await attacker.get("/panitia/akun")).status_code == 403
    assert (await attacker.get("/kegiatan")).status_code == 200

    # Every sign-in issues a new token; signing out ends the old one everywhere.
    again = await browser_factory()
    await again.login("peserta.sby")
    assert again.client.cookies[SESSION_COOKIE] != issued
    out = await victim.post("/keluar")
    assert out.status_code in (302, 303)
    replay = await browser_factory()
    replay.client.cookies.set(SESSION_COOKIE, issued)
    refused = await replay.get("/kegiatan")
    assert refused.status_code in (302, 303) and refused.headers["location"].startswith("/masuk")
    assert (await again.get("/kegiatan")).status_code == 200  # the other session lives on


async def test_an_api_token_is_no_session_cookie_and_dies_when_revoked(season, browser_factory, api_factory):
    api = await api_factory("peserta.sby")
    cookie_use = await browser_factory()
    cookie_use.client.cookies.set(SESSION_COOKIE, api.token)
    assert (await cookie_use.get("/kegiatan")).status_code in (302, 303)
    web = await browser_factory("peserta.sby")
    bearer = await api.client.get(
        "/api/v1/competitions/uji/activities",
        headers={"Authorization": f"Bearer {web.client.cookies[SESSION_COOKIE]}"},
    )
    assert bearer.status_code == 401
    assert (await api.delete("/api/v1/auth/token")).status_code == 204
    assert (await api.get("/api/v1/competitions/uji/activities")).status_code == 401


# --------------------------------------------------------------------------------------- rate limiting


async def test_the_login_limit_is_shared_by_the_page_and_the_api(season, browser_factory, api_factory):
    """Failures on the page and on the token endpoint from one address count together; unknown names
    count too (no way to probe which accounts exist by watching the limit)."""
    import httpx

    b = await browser_factory()
    address = b.client._transport.client  # type: ignore[attr-defined]
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=b.client._transport.app, client=address),  # type: ignore[attr-defined]
        base_url="http://testserver.local",
    )
    try:
        statuses = []
        for i in range(3):
            statuses.append(
                (await b.post("/masuk", data={"username": "juri.mlg", "password": f"x{i}"})).status_code
            )
        for i in range(2):
            statuses.append(
                (
                    await api.post("/api/v1/auth/token", json={"username": "juri.mlg", "password": f"y{i}"})
                ).status_code
            )
        assert statuses == [401] * 5
        assert (
            await b.post("/masuk", data={"username": "juri.mlg", "password": PASSWORD})
        ).status_code == 429
        blocked = await api.post("/api/v1/auth/token", json={"username": "juri.mlg", "password": PASSWORD})
        assert blocked.status_code == 429

        unknown = [
            (await b.post("/masuk", data={"username": "tidak.ada", "password": f"z{i}"})).status_code
            for i in range(6)
        ]
        assert unknown == [401] * 5 + [429]
    finally:
        await api.aclose()


# ----------------------------------------------------------------------------------------------- IDOR


async def test_a_participant_cannot_read_or_change_another_teams_activity(
    season, browser_factory, api_factory
):
    sby = await browser_factory("peserta.sby")
    activity_id = await _submit(sby, title="Milik Surabaya")
    photo_id = (await Photo.select(Photo.id).where(Photo.activity == activity_id).first())["id"]
    mlg = await browser_factory("peserta.mlg")
    refused = (403, 404)
    for url in (
        f"/kegiatan/{activity_id}",
        f"/kegiatan/{activity_id}/ubah",
        f"/kegiatan/{activity_id}/tarik",
        f"/kegiatan/{activity_id}/kirim-ulang",
        f"/foto/{photo_id}",
        f"/foto/{photo_id}/kecil",
    ):
        response = await mlg.get(url)
        assert response.status_code in refused, (url, response.status_code)
        assert "Milik Surabaya" not in response.text
    edit = activity_form(form_key((await mlg.get("/kegiatan/baru")).text), title="Diubah Malang")
    for url, data in (
        (f"/kegiatan/{activity_id}/ubah", edit),
        (f"/kegiatan/{activity_id}/tarik", {}),
        (f"/kegiatan/{activity_id}/kirim-ulang", edit),
    ):
        response = await mlg.post(url, data=data)
        assert response.status_code in refused, (url, response.status_code)
    row = await Activity.select(Activity.title, Activity.status).where(Activity.id == activity_id).first()
    assert row == {"title": "Milik Surabaya", "status": "submitted"}

    api = await api_factory("peserta.mlg")
    assert (await api.get(f"/api/v1/activities/{activity_id}")).status_code == 404
    upload = await api.post(
        f"/api/v1/activities/{activity_id}/photos", files={"file": ("x.jpg", jpeg(), "image/jpeg")}
    )
    assert upload.status_code in refused
    listed = await api.get("/api/v1/competitions/uji/activities", params={"team": "35.78"})
    assert listed.status_code in (200, 403, 404, 422)
    if listed.status_code == 200:
        assert activity_id not in [a["id"] for a in listed.json()["items"]]
    assert await Photo.count().where(Photo.activity == activity_id) == 1


async def test_a_participant_cannot_reach_another_teams_draft_or_form_key(season, browser_factory):
    sby = await browser_factory("peserta.sby")
    key = form_key((await sby.get("/kegiatan/baru")).text)
    saved = await sby.post("/kegiatan/draf", data=activity_form(key, title="Draf rahasia Surabaya"))
    assert saved.status_code == 200 and saved.json()["saved"] is True

    mlg = await browser_factory("peserta.mlg")
    own_form = await mlg.get("/kegiatan/baru")
    assert "Draf rahasia Surabaya" not in own_form.text and key not in own_form.text
    # Overwriting or discarding the draft by its key touches only mlg's own rows.
    await mlg.post(
        "/kegiatan/draf", data=activity_form(key, title="Ditimpa Malang", village_code="35.07.01.2001")
    )
    await mlg.post("/kegiatan/draf/buang", data={"idempotency_key": key})
    restored = await sby.get("/kegiatan/baru")
    assert "Draf rahasia Surabaya" in restored.text and "Ditimpa Malang" not in restored.text
    assert await ActivityDraft.count().where(ActivityDraft.account == season.accounts["peserta.sby"]) == 1

    # Sending a form with sby's key makes mlg's own activity; it never answers with sby's.
    sent = await sby.send_activity(activity_form(key, title="Draf rahasia Surabaya"))
    sby_location = sent.headers["location"].split("?")[0]
    reused = await mlg.send_activity(
        activity_form(key, title="Kegiatan Malang", village_code="35.07.01.2001")
    )
    assert reused.status_code in (302, 303, 409, 422), reused.status_code
    if reused.status_code in (302, 303):
        assert reused.headers["location"].split("?")[0] != sby_location
    teams = {
        r["team"] for r in await Activity.select(Activity.team).where(Activity.title == "Kegiatan Malang")
    }
    assert teams <= {season.team_ids["35.07"]}


async def test_a_judge_cannot_review_or_see_their_own_region(season, browser_factory, api_factory):
    sby = await browser_factory("peserta.sby")
    activity_id = await _submit(sby, title="Kegiatan Surabaya untuk juri")
    photo_id = (await Photo.select(Photo.id).where(Photo.activity == activity_id).first())["id"]
    own = await browser_factory("juri.sby")  # home regency 35.78
    queue = await own.get("/juri")
    assert queue.status_code == 200 and "Kegiatan Surabaya untuk juri" not in queue.text
    assert (await own.get(f"/juri/kegiatan/{activity_id}")).status_code == 403
    decided = await own.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    assert decided.status_code in (403, 404), decided.status_code
    assert (await own.get(f"/foto/{photo_id}")).status_code in (403, 404)
    api = await api_factory("juri.sby")
    assert (await api.get(f"/api/v1/activities/{activity_id}")).status_code in (403, 404)
    reviewed = await api.post(f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"})
    assert reviewed.status_code == 403
    row = await Activity.select(Activity.status).where(Activity.id == activity_id).first()
    assert row["status"] == "submitted"
    # Another region's judge may.
    other = await browser_factory("juri.mlg")
    assert (await other.get(f"/juri/kegiatan/{activity_id}")).status_code == 200
    assert (await other.get(f"/foto/{photo_id}")).status_code == 200


# ------------------------------------------------------------------------------- the route table check


def test_a_new_route_without_a_guard_is_caught_by_the_route_table(settings):
    application = create_app(settings)
    before = {(path, method) for path, method, roles in route_table(application) if roles is None}

    @get("/lubang", sync_to_thread=False)
    def unguarded() -> str:
        return "terbuka"

    async def not_a_role_guard(connection: Any, handler: Any) -> None:
        return None

    @get("/lubang-lain", guards=[not_a_role_guard], sync_to_thread=False)
    def guarded_by_nothing_that_names_a_role() -> str:
        return "terbuka"

    application.register(unguarded)
    application.register(guarded_by_nothing_that_names_a_role)
    missing = {(path, method) for path, method, roles in route_table(application) if roles is None}
    assert missing - before == {("/lubang", "GET"), ("/lubang-lain", "GET")}
