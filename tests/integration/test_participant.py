"""A participant records joint activities through the plain HTML form: success, repeats, and bad input."""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime, timedelta

from app import i18n
from app.tables import Activity, AuditEvent
from tests.integration.conftest import activity_form, form_key, jpeg


def indonesian(message: str, **params: object) -> str:
    token = i18n.set_locale("id")
    try:
        text = i18n._(message, **params)
    finally:
        i18n._locale.reset(token)
    assert text != message, f"no Indonesian translation for {message!r}"
    return html.escape(text, quote=False)


async def test_record_activity_and_see_it_listed(season, browser_factory):
    b = await browser_factory("peserta.sby")
    form = await b.get("/kegiatan/baru")
    assert form.status_code == 200
    assert 'name="village_code"' in form.text and "Karang Pilang" in form.text
    response = await b.send_activity(activity_form(form_key(form.text)))
    assert response.status_code in (302, 303)
    location = response.headers["location"]
    detail = await b.get(location)
    assert "Sambang warga RW 03" in detail.text and 'data-testid="sent-notice"' in detail.text
    listing = await b.get("/kegiatan")
    assert listing.text.count('data-testid="activity-item"') == 1
    row = await Activity.select().first()
    assert row["status"] == "submitted" and row["senkom_count"] == 2 and row["officer_count"] == 1
    assert row["district_code"] == "35.78.01" and row["residents_reached"] == 40 and row["preemptive"]
    assert await AuditEvent.exists().where(AuditEvent.action == "activity.submit")


async def test_repeated_and_concurrent_submits_make_one_activity(season, browser_factory):
    b = await browser_factory("peserta.sby")
    key = form_key((await b.get("/kegiatan/baru")).text)
    data = activity_form(key)
    photo = [("photos", ("foto.jpg", jpeg(), "image/jpeg"))]
    first = await b.send_activity(data, files=photo)
    again = await b.send_activity(data, files=photo)
    assert first.headers["location"] == again.headers["location"]
    key2 = form_key((await b.get("/kegiatan/baru")).text)
    twin = activity_form(key2, title="Ronda malam bersama")
    twins = await asyncio.gather(*[b.send_activity(twin, files=photo) for _ in range(6)])
    assert {r.status_code for r in twins} <= {302, 303}
    assert len({r.headers["location"] for r in twins}) == 1
    assert await Activity.count() == 2


async def test_same_key_with_other_data_is_refused_and_keeps_the_form(season, browser_factory):
    b = await browser_factory("peserta.sby")
    key = form_key((await b.get("/kegiatan/baru")).text)
    await b.send_activity(activity_form(key))
    response = await b.send_activity(activity_form(key, title="Judul lain sama sekali"))
    assert response.status_code == 409
    assert 'value="Judul lain sama sekali"' in response.text
    assert form_key(response.text) != key
    assert await Activity.count() == 1


async def _bad(b, status: int = 422, **overrides):
    key = form_key((await b.get("/kegiatan/baru")).text)
    response = await b.send_activity(activity_form(key, **overrides))
    assert response.status_code == status, response.text[:500]
    return response


async def test_missing_title_keeps_what_was_typed(season, browser_factory):
    b = await browser_factory("peserta.sby")
    r = await _bad(b, title="")
    assert indonesian("Fill in the title of the activity.") in r.text
    assert "Ahmad Santoso\nSiti Lestari" in r.text
    assert 'value="Budi Wibowo"' in r.text and 'value="85011234"' in r.text
    assert 'value="35.78.01.1001" selected' in r.text and 'value="RW 03"' in r.text
    assert await Activity.count() == 0


async def test_unknown_activity_type(season, browser_factory):
    r = await _bad(await browser_factory("peserta.sby"), activity_type="TERBANG")
    assert indonesian("Unknown activity type.") in r.text


async def test_date_outside_the_season(season, browser_factory):
    b = await browser_factory("peserta.sby")
    r = await _bad(b, occurred_at="2019-01-01T08:00")
    assert 'data-testid="error-occurred_at"' in r.text
    future = (datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    r = await _bad(b, occurred_at=future)
    assert indonesian("The activity cannot take place in the future.") in r.text
    r = await _bad(b, occurred_at="kemarin sore")
    assert 'data-testid="error-occurred_at"' in r.text


async def test_desa_of_another_regency(season, browser_factory):
    b = await browser_factory("peserta.sby")
    r = await _bad(b, village_code="35.07.01.2001")
    assert indonesian("That desa/kelurahan is not in your team's regency/city.") in r.text
    r = await _bad(b, village_code="99.99.99.9999")
    assert indonesian("Unknown desa/kelurahan code.") in r.text


async def test_ten_megabyte_title(season, browser_factory):
    b = await browser_factory("peserta.sby")
    r = await _bad(b, title="A" * (10 * 1024 * 1024))
    assert indonesian("Too long: at most %(n)s characters.", n=200) in r.text
    assert len(r.content) < 500_000
    assert "Ahmad Santoso" in r.text
    assert await Activity.count() == 0


async def test_missing_partners_and_bad_numbers(season, browser_factory):
    b = await browser_factory("peserta.sby")
    r = await _bad(
        b,
        senkom_members="",
        officer_name=[""],
        officer_rank=[""],
        officer_nrp=[""],
        officer_polres=[""],
        residents_reached="-4",
    )
    assert 'data-testid="error-senkom_members"' in r.text
    assert 'data-testid="error-officers"' in r.text
    assert 'data-testid="error-residents_reached"' in r.text
    r = await _bad(b, officer_nrp=["12ab", ""])
    assert 'data-testid="error-officers"' in r.text


async def test_missing_idempotency_key_is_not_a_500(season, browser_factory):
    b = await browser_factory("peserta.sby")
    data = activity_form("")
    r = await b.send_activity(data)
    assert r.status_code == 422
    assert form_key(r.text)
    assert 'value="Sambang warga RW 03"' in r.text


async def test_participant_cannot_read_another_teams_activity(season, browser_factory):
    sby = await browser_factory("peserta.sby")
    key = form_key((await sby.get("/kegiatan/baru")).text)
    location = (await sby.send_activity(activity_form(key))).headers["location"]
    mlg = await browser_factory("peserta.mlg")
    assert (await mlg.get(location.split("?")[0])).status_code == 404


async def test_resending_the_same_content_with_a_fresh_key_makes_no_second_activity(season, browser_factory):
    b = await browser_factory("peserta.sby")
    first = await b.send_activity(activity_form(form_key((await b.get("/kegiatan/baru")).text)))
    again = await b.send_activity(activity_form(form_key((await b.get("/kegiatan/baru")).text)))
    assert first.headers["location"] == again.headers["location"]
    other = await b.send_activity(
        activity_form(form_key((await b.get("/kegiatan/baru")).text), title="Kegiatan kedua")
    )
    assert other.headers["location"] != first.headers["location"]
    assert await Activity.count() == 2


async def test_a_new_activity_needs_a_photo(season, browser_factory):
    b = await browser_factory("peserta.sby")
    key = form_key((await b.get("/kegiatan/baru")).text)
    response = await b.send_activity(activity_form(key), photos=0)
    assert response.status_code == 422
    assert indonesian("Add at least one photo of the activity (at most %(n)s).", n=5) in response.text
    assert 'value="Sambang warga RW 03"' in response.text
    assert await Activity.count() == 0
