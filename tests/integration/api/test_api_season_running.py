"""The season-running routes of the API in their own right: the settings round trip (head judge by username,
exact tolerance, English messages), the audit trail's filters and cursor pages, a stage's close answering
with its Berita Acara (the stored SHA-256 is the PDF's), and the final results' waiting count."""

from __future__ import annotations

import hashlib

from app.audit import services as audit
from app.tables import AuditEvent, Competition, Stage
from tests.integration.api.helpers import activity_body

API = "/api/v1/competitions/uji"


async def _patch(api, body, lang=None):
    return await api.client.patch(f"{API}/settings", json=body, headers=api._headers(None, lang))


async def test_settings_round_trip(season, api_factory):
    organiser = await api_factory("panitia")
    response = await _patch(
        organiser,
        {
            "reviews_required": 2,
            "blind_judging": True,
            "q_tolerance": 0.25,
            "tolerance_action": "head_judge",
            "head_judge": "Juri.Sby",
            "judge_normalisation": True,
            "place": "Surabaya",
        },
    )
    assert response.status_code == 200, response.text
    settings = response.json()["settings"]
    assert settings["reviews_required"] == 2 and settings["blind_judging"] is True
    assert settings["q_tolerance"] == "0.25" and settings["head_judge"] == "juri.sby"
    assert settings["judge_normalisation"] is True and settings["place"] == "Surabaya"
    row = await Competition.select().where(Competition.id == season.competition.id).first()
    assert row["head_judge"] == season.accounts["juri.sby"] and row["reviews_required"] == 2
    assert (await organiser.get(f"{API}/settings")).json() == settings
    # Left out: kept. An empty head judge removes him (then the head-judge action needs one again).
    kept = await _patch(organiser, {"name": "Lomba Uji 2025"})
    assert kept.status_code == 200 and kept.json()["settings"]["head_judge"] == "juri.sby"
    refused = await _patch(organiser, {"head_judge": ""}, lang="en")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "head_judge",
            "message": "Choose the head judge who decides when the scores spread too far.",
        }
    ]
    # A participant is no judge; the message is Indonesian by default.
    wrong = await _patch(organiser, {"head_judge": "peserta.sby"})
    assert wrong.json()["errors"] == [{"field": "head_judge", "message": "Pilih juri yang aktif."}]
    events = await AuditEvent.select().where(AuditEvent.action == "competition.update")
    assert len(events) == 2  # the refusals recorded nothing


async def test_audit_filters_and_cursor_pages(season, api_factory):
    organiser = await api_factory("panitia")
    for n in range(5):
        assert (await _patch(organiser, {"name": f"Lomba Uji {n}", "place": "Surabaya"})).status_code == 200
    everything = await organiser.get("/api/v1/audit", params={"limit": 200})
    assert everything.status_code == 200
    all_ids = [e["id"] for e in everything.json()["items"]]
    assert all_ids == sorted(all_ids, reverse=True) and everything.json()["next_cursor"] is None
    seen: list[int] = []
    cursor = None
    while True:
        params = {"action": "competition.", "actor": "panitia", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await organiser.get("/api/v1/audit", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [e["id"] for e in page["items"]]
        assert all(e["action"] == "competition.update" for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    rows, total = await audit.events(audit.EventFilter(actor="panitia", action="competition."), 0, 100)
    assert seen == [r["id"] for r in rows] and total == 5
    first = (await organiser.get("/api/v1/audit", params={"action": "competition.update", "limit": 1})).json()
    assert first["items"][0]["after"]["name"] == "Lomba Uji 4"
    assert first["items"][0]["action_label"] == "Musim diubah"
    future = await organiser.get("/api/v1/audit", params={"since": "2999-01-01"})
    assert future.json()["items"] == []
    past = await organiser.get("/api/v1/audit", params={"until": "2000-01-01"})
    assert past.json()["items"] == []
    bad = await organiser.get("/api/v1/audit", params={"cursor": "nope"}, lang="en")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    bad_date = await organiser.get("/api/v1/audit", params={"since": "kemarin"})
    assert bad_date.json()["errors"] == [{"field": "since", "message": "Isi tanggal seperti 2024-02-14."}]
    check = (await organiser.get("/api/v1/audit/verify")).json()
    assert check["ok"] is True and check["checked"] == await AuditEvent.count() and check["problem"] == ""


async def test_close_answers_with_the_berita_acara(season, api_factory):
    organiser = await api_factory("panitia")
    assert (await _patch(organiser, {"place": "Surabaya"})).status_code == 200
    stage = await Stage.select(Stage.id).where(Stage.code == "verifikasi").first()
    plan = (await organiser.get(f"{API}/stages/{stage['id']}")).json()
    assert plan["stage"]["status"] == "open" and plan["close_plan"]["next_stage"] == "lapangan"
    closed = await organiser.post(f"{API}/stages/{stage['id']}/close")
    assert closed.status_code == 200, closed.text
    record = closed.json()["berita_acara"]
    assert closed.headers["link"].startswith(f"<{record['url']}>")
    judge = await api_factory("juri.mlg")
    pdf = await judge.get(record["url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    digest = hashlib.sha256(pdf.content).hexdigest()
    assert digest == record["sha256"] == pdf.headers["x-content-sha256"]
    listed = (await judge.get(f"{API}/berita-acara")).json()["items"]
    assert [r["sha256"] for r in listed] == [digest]
    stages = (await organiser.get(f"{API}/stages")).json()["items"]
    assert [(s["code"], s["status"]) for s in stages] == [
        ("verifikasi", "closed"),
        ("lapangan", "open"),
        ("penetapan", "waiting"),
    ]
    assert stages[0]["berita_acara"]["sha256"] == digest
    # Cursor pages in the stages' own order, as every list of the API.
    first = (await organiser.get(f"{API}/stages?limit=2")).json()
    assert [s["code"] for s in first["items"]] == ["verifikasi", "lapangan"] and first["next_cursor"]
    rest = (await organiser.get(f"{API}/stages?limit=2&cursor={first['next_cursor']}")).json()
    assert [s["code"] for s in rest["items"]] == ["penetapan"] and rest["next_cursor"] is None
    one = (await judge.get(f"{API}/berita-acara?limit=1")).json()
    assert [r["sha256"] for r in one["items"]] == [digest] and one["next_cursor"] is None
    assert (await organiser.get(f"{API}/stages?cursor=xyz")).status_code == 422
    assert (await organiser.get(f"{API}/stages?limit=0")).status_code == 422
    again = await organiser.post(f"{API}/stages/{stage['id']}/close", lang="en")
    assert again.status_code == 409 and "already closed" in again.json()["detail"]


async def test_final_results_waiting_count(season, api_factory):
    participant = await api_factory("peserta.sby")
    sent = await participant.post(f"{API}/activities", activity_body(), headers={"Idempotency-Key": "w1"})
    assert sent.status_code == 201
    organiser = await api_factory("panitia")
    before = (await organiser.get(f"{API}/final-results")).json()
    assert before["published"] is False and before["waiting_activities"] == 1
    assert (await participant.get(f"{API}/final-results")).json()["waiting_activities"] is None
    refused = await organiser.post(f"{API}/final-results", {"note": "Final"})
    assert refused.status_code == 409 and refused.json()["waiting"] == 1
    published = await organiser.post(f"{API}/final-results", {"note": "Final", "waiting_acknowledged": 1})
    assert published.status_code == 201, published.text
    body = published.json()
    assert body["published"] is True and body["note"] == "Final" and body["published_by"] == "panitia"
    assert len(body["rows"]) == 38 and body["rows"][0]["rank"] == 1
    again = await organiser.post(f"{API}/final-results", {"waiting_acknowledged": 1})
    assert again.status_code == 409 and again.json()["waiting"] == 0
    public = (await (await api_factory()).get(f"{API}/final-results")).json()
    assert public["rows"] == body["rows"] and public["waiting_activities"] is None


async def test_adjustments_list_by_cursor(season, api_factory):
    organiser = await api_factory("panitia")
    for n, points in enumerate(("2.5", "-1", "0.125")):
        body = {"team_code": "35.78" if n % 2 == 0 else "35.07", "points": points, "reason": f"Alasan {n}"}
        assert (await organiser.post(f"{API}/adjustments", body)).status_code == 201
    first = (await organiser.get(f"{API}/adjustments", params={"limit": 2})).json()
    assert [(a["team_code"], a["points"]) for a in first["items"]] == [("35.78", "2.5"), ("35.07", "-1")]
    rest = (await organiser.get(f"{API}/adjustments", params={"cursor": first["next_cursor"]})).json()
    assert [(a["points"], a["reason"]) for a in rest["items"]] == [("0.125", "Alasan 2")]
    assert rest["next_cursor"] is None
    zero = await organiser.post(f"{API}/adjustments", {"team_code": "35.78", "points": 0, "reason": "Nol"})
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "points"


async def test_audit_bounds_at_the_ends_of_the_calendar(season, api_factory):
    """The last and first days a date can name filter like any other day, or are refused with the field
    named — never a server error (the end of 9999-12-31 is beyond any datetime)."""
    organiser = await api_factory("panitia")
    total = len((await organiser.get("/api/v1/audit", params={"limit": 200})).json()["items"])
    last = await organiser.get("/api/v1/audit", params={"until": "9999-12-31", "limit": 200})
    assert last.status_code == 200 and len(last.json()["items"]) == total
    beyond = await organiser.get("/api/v1/audit", params={"since": "9999-12-31"})
    assert beyond.status_code == 200 and beyond.json()["items"] == []
    for params in (
        {"since": "0001-01-01"},
        {"until": "0001-01-01T00:00+14:00"},
        {"until": "9999-12-31T23:59-12:00"},
    ):
        response = await organiser.get("/api/v1/audit", params=params, lang="en")
        assert response.status_code in (200, 422), (params, response.text)
        if response.status_code == 422:
            assert response.json()["errors"][0]["field"] in params


async def test_season_dates_beyond_the_calendar_are_refused_at_every_door(
    season, api_factory, browser_factory
):
    """A season on the first or last day a date can name would be scored on days beyond Python's calendar
    (a 500 when the board is recomputed): the years 2000–2100 the periods allow, the field named — on the
    settings of the API and of the console page, and on a new competition."""
    organiser = await api_factory("panitia")
    for body, field in (
        ({"starts_on": "0001-01-01"}, "starts_on"),
        ({"ends_on": "9999-12-31"}, "ends_on"),
        ({"starts_on": "1999-12-31"}, "starts_on"),
        ({"ends_on": "2101-01-01"}, "ends_on"),
    ):
        refused = await _patch(organiser, body, lang="en")
        assert refused.status_code == 422, (body, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [field], refused.text
    widest = await _patch(organiser, {"starts_on": "2000-01-01", "ends_on": "2100-12-31"})
    assert widest.status_code == 200, widest.text
    created = await organiser.post(
        "/api/v1/competitions",
        {"slug": "kuno", "name": "Kuno", "starts_on": "0001-01-01", "ends_on": "9999-12-31"},
        lang="en",
    )
    assert created.status_code == 422, created.text
    assert {e["field"] for e in created.json()["errors"]} == {"starts_on", "ends_on"}
    page = await browser_factory("panitia")
    form = (await page.get("/panitia/musim/")).text
    assert 'name="starts_on"' in form
    posted = await page.post(
        "/panitia/musim/",
        data={
            "name": "Lomba Uji",
            "starts_on": "0001-01-01",
            "ends_on": "2024-05-31",
            "timezone": "Asia/Jakarta",
            "reviews_required": "1",
            "q_tolerance": "0.3",
            "tolerance_action": "flag",
        },
    )
    assert posted.status_code == 422, posted.status_code
