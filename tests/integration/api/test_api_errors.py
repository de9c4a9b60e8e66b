"""The API's edges: tokens, roles, the error shapes and languages, idempotency, paging, privacy."""

from __future__ import annotations

import asyncio
import uuid

from app.accounts.services import set_active
from app.judging.assignment import ensure_assignments
from app.tables import Activity, Competition, RulesetVersion
from tests.integration.api.helpers import activity_body

BASE = "/api/v1/competitions/uji"


async def test_token_lifecycle(season, api_factory):
    anonymous = await api_factory()
    bad = await anonymous.post("/api/v1/auth/token", {"username": "panitia", "password": "salah-sekali"})
    assert bad.status_code == 401 and bad.json()["detail"]
    organiser = await api_factory("panitia")
    assert organiser.token
    assert (await organiser.get(f"{BASE}/activities")).status_code == 200
    assert (await organiser.delete("/api/v1/auth/token")).status_code == 204
    assert (await organiser.get(f"{BASE}/activities")).status_code == 401
    # A token dies with its account.
    participant = await api_factory("peserta.sby")
    assert (await participant.get(f"{BASE}/activities")).status_code == 200
    await set_active(
        season.accounts["peserta.sby"], False, actor_id=season.accounts["panitia"], actor_name="panitia"
    )
    assert (await participant.get(f"{BASE}/activities")).status_code == 401
    assert (
        await anonymous.post("/api/v1/auth/token", {"username": "peserta.sby", "password": "rahasia-123"})
    ).status_code == 401


async def test_token_is_rate_limited_like_the_login_page(season, api_factory):
    api = await api_factory()
    codes = [
        (await api.post("/api/v1/auth/token", {"username": "juri.sby", "password": f"salah-{i}"})).status_code
        for i in range(6)
    ]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    blocked = await api.post("/api/v1/auth/token", {"username": "juri.sby", "password": "rahasia-123"})
    assert blocked.status_code == 429


async def test_cookies_do_not_authenticate_the_api(season, api_factory, browser_factory):
    browser = await browser_factory("panitia")
    response = await browser.client.get(f"{BASE}/activities")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_errors_have_their_shapes_and_languages(season, api_factory):
    organiser = await api_factory("panitia")
    judge = await api_factory("juri.sby")
    assert (await (await api_factory()).get(f"{BASE}/activities")).status_code == 401
    assert (
        await (await api_factory()).get(f"{BASE}/activities", headers={"Authorization": "Bearer nope"})
    ).status_code == 401
    assert (await judge.post("/api/v1/competitions", {"slug": "x"})).status_code == 403
    assert (await organiser.get("/api/v1/competitions/tidak-ada")).status_code == 404
    assert (await organiser.get("/api/v1/activities/999999")).status_code == 404

    malformed = await organiser.post(
        "/api/v1/competitions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400, malformed.text
    # NUL characters never reach the database (PostgreSQL refuses them in text).
    assert (await organiser.get(f"{BASE}/activities?team=%00")).status_code == 400
    nul = await organiser.post(f"{BASE}/teams", {"code": "35.78\u0000"})
    assert nul.status_code == 400

    body = {
        "slug": "Bad Slug!",
        "name": "",
        "starts_on": "2024-03-01",
        "ends_on": "2024-02-01",
        "timezone": "Mars/Base",
    }
    indonesian = await organiser.post("/api/v1/competitions", body)
    assert indonesian.status_code == 422
    fields = {e["field"]: e["message"] for e in indonesian.json()["errors"]}
    assert set(fields) == {"slug", "name", "ends_on", "timezone"}
    english = await organiser.post("/api/v1/competitions", body, lang="en")
    english_fields = {e["field"]: e["message"] for e in english.json()["errors"]}
    assert english_fields["ends_on"] == "The season cannot end before it starts."
    assert fields["ends_on"] != english_fields["ends_on"]

    wrong_type = await organiser.post("/api/v1/competitions", {**body, "name": 5}, lang="en")
    assert wrong_type.status_code == 422
    assert wrong_type.json()["errors"] == [{"field": "name", "message": "Wrong type: expected text."}]
    missing = await organiser.post("/api/v1/competitions", {"slug": "a-b"}, lang="en")
    assert missing.status_code == 422 and missing.json()["errors"][0]["message"] == "This field is required."

    taken = await organiser.post(
        "/api/v1/competitions",
        {"slug": "uji", "name": "Lagi", "starts_on": "2024-02-01", "ends_on": "2024-03-01"},
    )
    assert taken.status_code == 409

    unknown_team = await organiser.post(f"{BASE}/teams", {"code": "99.99", "name": "X"})
    assert unknown_team.status_code == 422 and unknown_team.json()["errors"][0]["field"] == "code"
    duplicate = await organiser.post(f"{BASE}/teams", {"code": "35.78"})
    assert duplicate.status_code == 409


async def test_ruleset_errors_name_every_parameter(season, api_factory):
    organiser = await api_factory("panitia")
    body = {
        "rules": [
            {"rule": "cap_per_period", "params": {"max": 0, "period": "year"}},
            {"rule": "tidak_ada", "params": {}},
        ],
        "tie_break": ["score", "luck"],
    }
    response = await organiser.put(f"{BASE}/ruleset", body, lang="en")
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"rules[0].params.max", "rules[0].params.period", "rules[1].rule", "tie_break[1]"}
    assert await RulesetVersion.count() == 1


async def test_idempotency_and_conflicts(season, api_factory):
    participant = await api_factory("peserta.sby")
    key = str(uuid.uuid4())
    first = await participant.post(f"{BASE}/activities", activity_body(), headers={"Idempotency-Key": key})
    assert first.status_code == 201 and first.headers["idempotent-replayed"] == "false"
    again = await participant.post(f"{BASE}/activities", activity_body(), headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await participant.post(
        f"{BASE}/activities", activity_body(title="Lain"), headers={"Idempotency-Key": key}
    )
    assert other.status_code == 409
    assert await Activity.count() == 1
    no_key = await participant.post(f"{BASE}/activities", activity_body(title="Tanpa kunci"))
    assert no_key.status_code == 422
    invalid = await participant.post(
        f"{BASE}/activities",
        activity_body(type="NOPE", desa_code="35.07.01.2001", officers=[]),
        headers={"Idempotency-Key": "k-2"},
    )
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} == {"type", "desa_code", "officers"}
    judge = await api_factory("juri.mlg")
    assert (
        await judge.post(f"{BASE}/activities", activity_body(), headers={"Idempotency-Key": "x"})
    ).status_code == 403


async def test_parallel_duplicates_make_one_activity(season, api_factory):
    participant = await api_factory("peserta.sby")
    key = str(uuid.uuid4())
    responses = await asyncio.gather(
        *[
            participant.post(f"{BASE}/activities", activity_body(), headers={"Idempotency-Key": key})
            for _ in range(12)
        ]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await Activity.count() == 1


async def test_reviews_required_raises_the_bar(season, api_factory):
    await Competition.update({Competition.reviews_required: 2}).where(Competition.slug == "uji")
    participant = await api_factory("peserta.mlg")
    created = await participant.post(
        f"{BASE}/activities", activity_body(desa_code="35.07.01.2001"), headers={"Idempotency-Key": "r2"}
    )
    activity_id = created.json()["id"]
    first = await (await api_factory("juri.sby")).post(
        f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"}
    )
    assert first.status_code == 201 and first.json()["activity_status"] == "submitted"
    organiser = await api_factory("panitia")
    judge = await organiser.post(
        "/api/v1/users",
        {"username": "juri.tiga", "password": "rahasia-123", "role": "judge", "region_code": "35.10"},
    )
    assert judge.status_code == 201
    # Only assigned judges review: the new judge is refused until the organisers' top-up
    # ("Tugaskan yang belum mendapat juri") gives them the missing place.
    refused = await (await api_factory("juri.tiga")).post(
        f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"}
    )
    assert refused.status_code == 403
    assert await ensure_assignments(season.competition) == 1
    second = await (await api_factory("juri.tiga")).post(
        f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"}
    )
    assert second.json()["activity_status"] == "verified"
    again = await (await api_factory("juri.tiga")).post(
        f"/api/v1/activities/{activity_id}/reviews", {"decision": "verified"}
    )
    assert again.status_code == 409


async def test_paging_walks_every_team(season, api_factory):
    anonymous = await api_factory()
    seen: list[str] = []
    url = f"{BASE}/teams?limit=10"
    while True:
        page = (await anonymous.get(url)).json()
        seen += [t["code"] for t in page["items"]]
        if not page["next_cursor"]:
            break
        url = f"{BASE}/teams?limit=10&cursor={page['next_cursor']}"
    assert len(seen) == 38 == len(set(seen))
    assert (await anonymous.get(f"{BASE}/teams?cursor=bogus!")).status_code == 422
    assert (await anonymous.get(f"{BASE}/teams?limit=0")).status_code == 422


async def test_private_competition_needs_a_token(season, api_factory):
    await Competition.update({Competition.is_private: True}).where(Competition.slug == "uji")
    anonymous = await api_factory()
    assert (await anonymous.get(f"{BASE}/leaderboard")).status_code == 401
    assert (await anonymous.get("/api/v1/competitions")).json()["items"] == []
    judge = await api_factory("juri.sby")
    board = await judge.get(f"{BASE}/leaderboard")
    assert board.status_code == 200 and len(board.json()["rows"]) == 38
    assert (await anonymous.get(f"{BASE}/leaderboard?view=cluster:nope")).status_code == 401
    assert (await judge.get(f"{BASE}/leaderboard?view=cluster:nope&period=week:2024-W99")).status_code == 422


async def test_a_cursor_beyond_any_id_is_refused_on_every_list(season, api_factory):
    """A cursor naming an id no row can have (beyond PostgreSQL's `integer`) is one we never issued: 422
    with the field named, on every list — PostgreSQL would refuse the number and answer 500."""
    import base64

    def cursor(n: int) -> str:
        return base64.urlsafe_b64encode(f"id:{n}".encode()).decode().rstrip("=")

    organiser = await api_factory("panitia")
    judge = await api_factory("juri.mlg")
    lists = [
        (organiser, f"{BASE}/teams"),
        (organiser, f"{BASE}/activities"),
        (organiser, f"{BASE}/assignments"),
        (organiser, f"{BASE}/conflicts"),
        (organiser, f"{BASE}/adjustments"),
        (organiser, f"{BASE}/webhooks"),
        (organiser, "/api/v1/audit"),
        (organiser, "/api/v1/users"),
        (judge, f"{BASE}/queue"),
    ]
    for api, url in lists:
        for n in (2**31, 999_999_999_999_999_999):
            response = await api.get(url, params={"cursor": cursor(n)}, lang="en")
            assert response.status_code == 422, (url, n, response.text)
            assert response.json()["errors"][0]["field"] == "cursor", url
        last = await api.get(url, params={"cursor": cursor(2**31 - 1)})
        assert last.status_code == 200, (url, last.text)  # the largest id is a cursor still


async def test_unreadable_bodies_are_told_in_the_clients_language(season, api_factory):
    """JSON or multipart the framework cannot read: a 400 in Indonesian (English on request), not the
    parser's own English words ("JSON is malformed: …", "Invalid multipart/form-data")."""
    organiser = await api_factory("panitia")
    bodies = [
        (f"{BASE}/stages", b"{bad", "application/json"),
        (f"{BASE}/stages", b"\xff\xfe", "application/json"),
        (f"{BASE}/webhooks", b'{"url": "http://a.example/"', "application/json"),
        ("/api/v1/users/import", b"{}", "application/json"),
        ("/api/v1/users/import", b"--x\r\nbroken", "multipart/form-data; boundary=x"),
    ]
    for url, body, content_type in bodies:
        for lang, words in (
            ("id", "Permintaan tidak dapat dibaca."),
            ("en", "The request could not be read."),
        ):
            response = await organiser.post(
                url, content=body, headers={"Content-Type": content_type}, lang=lang
            )
            assert response.status_code == 400, (url, response.text)
            assert response.json() == {"status_code": 400, "detail": words}, (url, lang, response.text)


async def test_a_missing_body_is_named_as_such(season, api_factory):
    """A route that needs a JSON body, called without one: 422 saying so (was "Invalid value.")."""
    organiser = await api_factory("panitia")
    for url in (f"{BASE}/final-results", f"{BASE}/stages", f"{BASE}/webhooks"):
        for lang, words in (
            ("id", "Kirim sebuah objek JSON sebagai isi permintaan."),
            ("en", "Send a JSON object as the request body."),
        ):
            response = await organiser.post(url, lang=lang)
            assert response.status_code == 422, (url, response.text)
            assert response.json() == {"errors": [{"field": "", "message": words}]}, (url, response.text)
