"""Bounds on input, held by every door: a period outside 2000–2100, an id beyond the database's integer
range, a NUL character, an activity time in year 1 or 9999 and JSON nested too deep are refused with a
clear message before anything is saved — never a 500 (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from app.activities import forms
from app.inputs import MAX_ID, json_depth, parse_id, valid_id
from app.tables import Account, Activity, ActivityDraft, RulesetDraft
from scoring import parse_period
from scoring.ruleset import RulesetInvalid, parse_ruleset
from tests.integration.api.helpers import activity_body, api_factory
from tests.integration.conftest import activity_form, form_key, jpeg
from tests.integration.test_participant import indonesian

__all__ = ["api_factory"]
FAR_PERIODS = ("week:9999-W52", "month:0001-01", "week:1999-W52", "month:2101-01", "week:2024-W99", "kemarin")
PERIOD_DOORS = ("/", "/papan/baris", "/papan/unduh.csv", "/papan/unduh.xlsx")
HUGE = "99999999999999999999"
NUL_MESSAGE = "The request contains a NUL character (\\0), which is not allowed."


def period_message() -> str:
    return indonesian(
        "Use season, week:YYYY-Www or month:YYYY-MM, of a year from %(first)s to %(last)s.",
        first=2000,
        last=2100,
    )


@pytest.mark.parametrize("text", ["week:2000-W01", "month:2000-01", "week:2100-W52", "month:2100-12"])
def test_the_period_parser_takes_the_years_2000_to_2100(text):
    assert str(parse_period(text)) == text


@pytest.mark.parametrize("text", [*FAR_PERIODS, "week:٢٠٢٤-W07"])
def test_the_period_parser_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_period(text)


async def test_a_far_period_is_refused_at_every_door(season, browser_factory, api_factory):
    viewers = [await browser_factory(), await browser_factory("panitia")]
    for viewer in viewers:
        for door in PERIOD_DOORS:
            for period in FAR_PERIODS:
                answer = await viewer.get(f"{door}?periode={quote(period)}")
                assert answer.status_code == 400, (door, period, answer.status_code)
                assert period_message() in answer.text, (door, period)
            # The edges of the bound are periods like any other.
            for period in ("week:2000-W01", "month:2100-12"):
                assert (await viewer.get(f"{door}?periode={period}")).status_code == 200, (door, period)
        # Pages that show no chosen period ignore one.
        for door in ("/peta", "/peta/isi", "/layar", "/layar/isi", "/tim/35.78", "/tim/35.78/ringkas"):
            assert (await viewer.get(f"{door}?periode=week:9999-W52")).status_code == 200, door
    api = await api_factory()
    for period in FAR_PERIODS:
        answer = await api.get(f"/api/v1/competitions/uji/leaderboard?period={quote(period)}")
        assert answer.status_code == 422, (period, answer.text)
        assert answer.json()["errors"] == [{"field": "period", "message": period_message()}]
    edge = await api.get("/api/v1/competitions/uji/leaderboard?period=week:2000-W01")
    assert edge.status_code == 200 and len(edge.json()["rows"]) == 38


def test_an_id_is_a_whole_number_in_the_databases_integer_range():
    assert valid_id(0) and valid_id(MAX_ID) and not valid_id(MAX_ID + 1) and not valid_id(-1)
    assert not valid_id(True)
    assert parse_id(" 42 ") == 42 and parse_id(str(MAX_ID)) == MAX_ID
    for text in (HUGE, "-1", "4.2", "", None, "9" * 5000, "٤٢x"):
        assert parse_id(text) is None, text


async def test_ids_beyond_the_database_range_are_not_found_on_every_html_route(season, browser_factory):
    organiser = await browser_factory("panitia")
    rules_before = await RulesetDraft.select()
    asked = {
        "peserta.sby": [
            f"/kegiatan/{HUGE}",
            f"/kegiatan/{HUGE}/ubah",
            f"/foto/{HUGE}",
            f"/foto/{HUGE}/kecil",
        ],
        "juri.mlg": [f"/juri/kegiatan/{HUGE}", f"/juri/ulasan/{HUGE}", f"/foto/{HUGE}"],
        "panitia": [
            f"/panitia/kegiatan/{HUGE}",
            f"/panitia/akun/{HUGE}/sandi",
            f"/panitia/tahap/{HUGE}",
            f"/panitia/aturan/versi/{HUGE}",
            f"/berita-acara/{HUGE}/unduh",
            f"/foto/{HUGE}",
            f"/foto/{2**31}",
        ],
    }
    for username, urls in asked.items():
        browser = organiser if username == "panitia" else await browser_factory(username)
        for url in urls:
            assert (await browser.get(url)).status_code == 404, (username, url)
    for url in (f"/kegiatan/{HUGE}/tarik", f"/juri/kegiatan/{HUGE}/keputusan", "/panitia/aturan/-1/hapus"):
        browser = (
            organiser
            if url.startswith("/panitia")
            else await browser_factory("juri.mlg" if url.startswith("/juri") else "peserta.sby")
        )
        assert (await browser.post(url, data={"action": "verify"})).status_code == 404, url
    # A negative position names no rule: the draft is untouched (Python would have taken the last one).
    assert await RulesetDraft.select() == rules_before
    # Ids in a query or a form are read by the same parser: nothing named, nothing found, no 500.
    judge = await browser_factory("juri.mlg")
    assert (await judge.get(f"/juri/tim?tugas={HUGE}")).status_code < 500
    assert (await judge.post("/juri/lewati", data={"assignment": HUGE})).status_code < 500
    assert (await organiser.get(f"/panitia/juri/alihkan?tugas={HUGE}")).status_code < 500
    assert (await organiser.get(f"/panitia/juri/tugas?juri={HUGE}&tim={HUGE}")).status_code == 200
    # A number with more digits than any score is refused as points, not taken to the database.
    answer = await organiser.post(
        "/panitia/penyesuaian", data={"team": "35.78", "points": "-" + "9" * 40, "reason": "uji"}
    )
    assert answer.status_code == 422 and 'data-testid="error-points"' in answer.text


async def test_a_nul_character_is_refused_everywhere_before_anything_is_saved(
    season, browser_factory, api_factory
):
    message = indonesian(NUL_MESSAGE)
    anonymous = await browser_factory()
    organiser = await browser_factory("panitia")
    participant = await browser_factory("peserta.sby")
    accounts = await Account.count()
    for browser, url in (
        (anonymous, "/tim/35%0078"),
        (anonymous, "/papan/baris?periode=%00"),
        (organiser, "/panitia/audit?aktor=%00"),
        (organiser, "/panitia/juri/tugas?tim=a%00b"),
        (participant, "/kegiatan/desa?district_code=35.78%00"),
    ):
        answer = await browser.get(url)
        assert answer.status_code == 400 and message in answer.text, (url, answer.status_code)
    created = await organiser.post(
        "/panitia/akun", data={"username": "nul\x00user", "password": "rahasia-123", "role": "judge"}
    )
    assert created.status_code == 400 and message in created.text
    key = form_key((await participant.get("/kegiatan/baru")).text)
    sent = await participant.send_activity(activity_form(key, title="Sambang\x00warga"))
    assert sent.status_code == 400 and message in sent.text
    draft = await participant.post("/kegiatan/draf", data=activity_form(key, title="a\x00"))
    assert draft.status_code == 400
    # A file name is sent as the browser wrote it (httpx would escape the NUL): the body is built by hand.
    boundary = "batas"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nRonda\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="a\x00.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + jpeg()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    named = await participant.post(
        "/kegiatan/baru",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert named.status_code == 400
    assert await Account.count() == accounts
    assert await Activity.count() == 0 and await ActivityDraft.count() == 0
    api = await api_factory("peserta.sby")
    answer = await api.post(
        "/api/v1/competitions/uji/activities", activity_body(title="a\x00b"), headers={"Idempotency-Key": "n"}
    )
    assert answer.status_code == 400 and answer.json()["detail"] == indonesian(NUL_MESSAGE)
    assert await Activity.count() == 0


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "0001-01-01T00:00+14:00", "9999-12-31T23:59"])
async def test_an_activity_time_in_year_1_or_9999_is_refused_and_never_kept(season, browser_factory, when):
    participant = await browser_factory("peserta.sby")
    key = form_key((await participant.get("/kegiatan/baru")).text)
    season_message = "Tanggal harus berada dalam masa lomba"
    autosaved = await participant.post("/kegiatan/draf", data=activity_form(key, occurred_at=when))
    assert autosaved.status_code == 200 and season_message in autosaved.json()["errors"]["occurred_at"]
    stored = json.loads((await ActivityDraft.select(ActivityDraft.fields).first())["fields"])
    assert stored["occurred_at_local"] == "" and stored["title"] == "Sambang warga RW 03"
    sent = await participant.send_activity(activity_form(key, occurred_at=when))
    assert sent.status_code == 422 and season_message in sent.text
    assert await Activity.count() == 0
    # The same form, corrected, is one activity.
    corrected = await participant.send_activity(activity_form(key))
    assert corrected.status_code in (302, 303), corrected.text[:300]


async def test_a_draft_poisoned_before_the_bound_does_not_break_the_form(season, browser_factory):
    participant = await browser_factory("peserta.sby")
    key = form_key((await participant.get("/kegiatan/baru")).text)
    poisoned = {**json.loads(forms.to_draft(forms.ActivityInput(title="Ronda", idempotency_key=key)))}
    poisoned["occurred_at_local"] = "0001-01-01T00:00+14:00"
    await ActivityDraft(
        account=season.accounts["peserta.sby"], form_key=key, fields=json.dumps(poisoned)
    ).save()
    page = await participant.get("/kegiatan/baru")
    assert page.status_code == 200 and 'value="Ronda"' in page.text and "0001-01-01" not in page.text
    sent = await participant.send_activity(activity_form(form_key(page.text)))
    assert sent.status_code in (302, 303), sent.text[:300]


async def test_the_api_refuses_an_activity_time_in_year_1(season, api_factory):
    api = await api_factory("peserta.sby")
    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"):
        answer = await api.post(
            "/api/v1/competitions/uji/activities",
            activity_body(occurred_at=when),
            headers={"Idempotency-Key": when},
        )
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == ["occurred_at"]
    assert await Activity.count() == 0


def deeply_nested(depth: int) -> str:
    return (
        '{"rules": [{"rule": "points_per_activity", "params": {"points": '
        + "[" * depth
        + "]" * depth
        + "}}]}"
    )


def test_json_depth_counts_brackets_outside_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth(b'"\\"[[["') == 0
    assert json_depth(deeply_nested(100_000).encode()) == 100_004
    with pytest.raises(RulesetInvalid) as refused:
        parse_ruleset(deeply_nested(100_000))
    assert refused.value.errors[0].message_en == "The JSON is nested too deeply."


async def test_deeply_nested_json_to_the_ruleset_preview_is_refused(season, api_factory, browser_factory):
    api = await api_factory("panitia")
    message = indonesian("The JSON is nested too deeply: at most %(n)s levels.", n=32)
    for path in ("/ruleset/preview", "/ruleset"):
        answer = await api.client.request(
            "POST" if path.endswith("preview") else "PUT",
            f"/api/v1/competitions/uji{path}",
            content=deeply_nested(100_000),
            headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
        )
        assert answer.status_code == 400 and answer.json()["detail"] == message, answer.text[:300]
    # Modest nesting still reaches the ruleset's own validation (a 422 naming the parameter).
    answer = await api.post("/api/v1/competitions/uji/ruleset/preview", json.loads(deeply_nested(10)))
    assert answer.status_code == 422
    # The organiser's console reads forms; JSON sent to it is held to the same bound.
    organiser = await browser_factory("panitia")
    answer = await organiser.post(
        "/panitia/aturan/0/parameter",
        content=deeply_nested(100_000),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400 and message in answer.text
