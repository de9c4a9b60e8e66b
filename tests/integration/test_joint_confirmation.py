"""`joint_only` with `require_confirmation` over the whole app: the rule editor offers the parameter in
Indonesian, the what-if preview and the published standings leave out an activity no officer has confirmed
(its line says so), and confirming it (the `officer_confirmed` column the officers' attestation keeps) puts
it back."""

from __future__ import annotations

import re

from app.db import write_transaction
from app.leaderboard.services import leaderboard, recompute
from app.tables import Activity
from tests.integration.test_organiser_rules import _verified_activity


async def _score(competition_id: int, code: str = "35.78"):
    rows, _version = await leaderboard(competition_id)
    return {row.team_code: row.score for row in rows}[code]


async def _confirm(season, confirmed: bool) -> None:
    async with write_transaction():
        await Activity.update({Activity.officer_confirmed: confirmed}).where(
            Activity.competition == season.competition.id
        )
        await recompute(season.competition)


async def test_a_ruleset_requiring_the_officers_confirmation(app, season, browser_factory):
    await _verified_activity(season, browser_factory)
    (activity,) = await Activity.select(Activity.id, Activity.officer_confirmed)
    assert activity["officer_confirmed"] is False  # the column's default: not confirmed
    organiser = await browser_factory("panitia")
    await organiser.post("/panitia/aturan/kosongkan")
    for rule in ("joint_only", "points_per_activity"):
        assert (await organiser.post("/panitia/aturan/tambah", data={"rule": rule})).status_code in (302, 303)
    page = (await organiser.get("/panitia/aturan/")).text
    field = re.search(
        r'<select id="r0-p.require_confirmation" name="p.require_confirmation".*?</select>', page, re.S
    )
    assert field, page
    assert '<option value="false" selected>Tidak</option>' in field.group(0)
    assert '<option value="true" >Ya</option>' in field.group(0)
    assert "Hanya kegiatan yang sudah dikonfirmasi petugas" in page
    assert "require_confirmation" in page  # the generated documentation names the parameter

    bad = await organiser.post("/panitia/aturan/0/parameter", data={"p.require_confirmation": "mungkin"})
    assert bad.status_code == 422 and "Pilih ya atau tidak." in bad.text
    ok = await organiser.post(
        "/panitia/aturan/0/parameter",
        data={"p.min_senkom": "1", "p.min_officers": "1", "p.require_confirmation": "true"},
    )
    assert ok.status_code in (302, 303), ok.text
    ok = await organiser.post("/panitia/aturan/1/parameter", data={"p.points.DDS": "10", "p.default": "1"})
    assert ok.status_code in (302, 303), ok.text
    page = (await organiser.get("/panitia/aturan/")).text
    assert '<option value="true" selected>Ya</option>' in page

    # What if: the draft leaves the unconfirmed activity out; the ruleset in force counts it.
    preview = await organiser.get("/panitia/aturan/pratinjau")
    row = re.search(r'data-team="35.78">(.*?)</tr>', preview.text, re.S)
    assert row and 'data-testid="score-draft">0<' in row.group(1), preview.text

    published = await organiser.post("/panitia/aturan/terbitkan", data={"note": "konfirmasi", "confirm": "1"})
    assert published.status_code in (302, 303)
    assert await _score(season.competition.id) == 0
    public = await browser_factory()
    html = (await public.get("/tim/35.78")).text
    assert "Belum dikonfirmasi petugas" in html
    await public.get("/bahasa/en?next=/tim/35.78")
    assert "Not yet confirmed by the officer" in (await public.get("/tim/35.78")).text
    rules_page = (await browser_factory()).get("/aturan")
    assert "dikonfirmasi" in (await rules_page).text  # the plain-language summary says it

    # The officer confirms: the activity counts; the confirmation withdrawn, it is out again.
    await _confirm(season, True)
    assert await _score(season.competition.id) == 10
    html = (await (await browser_factory()).get("/tim/35.78")).text
    assert "Belum dikonfirmasi petugas" not in html
    await _confirm(season, False)
    assert await _score(season.competition.id) == 0


async def test_the_default_ruleset_ignores_the_confirmation(app, season, browser_factory):
    await _verified_activity(season, browser_factory)
    before = await _score(season.competition.id)
    assert before > 0
    await _confirm(season, True)
    assert await _score(season.competition.id) == before


async def _publish_requiring_confirmation(browser_factory) -> None:
    organiser = await browser_factory("panitia")
    await organiser.post("/panitia/aturan/kosongkan")
    for rule in ("joint_only", "points_per_activity"):
        await organiser.post("/panitia/aturan/tambah", data={"rule": rule})
    await organiser.post("/panitia/aturan/0/parameter", data={"p.require_confirmation": "true"})
    await organiser.post("/panitia/aturan/1/parameter", data={"p.points.DDS": "10", "p.default": "1"})
    published = await organiser.post("/panitia/aturan/terbitkan", data={"note": "konfirmasi", "confirm": "1"})
    assert published.status_code in (302, 303)


async def test_the_officers_own_confirmation_moves_the_standings(app, season, browser_factory):
    # Through the officers' attestation service: the named officer (NRP 85011234, account petugas.sby)
    # confirms on their phone after the jury verified; the team's points follow at once.
    await _publish_requiring_confirmation(browser_factory)
    await _verified_activity(season, browser_factory)
    (activity,) = await Activity.select(Activity.id)
    assert await _score(season.competition.id) == 0
    officer = await browser_factory("petugas.sby")
    response = await officer.post(f"/petugas/kegiatan/{activity['id']}/konfirmasi", data={})
    assert response.status_code in (302, 303), response.text[:300]
    assert await _score(season.competition.id) == 10
    html = (await (await browser_factory()).get("/tim/35.78")).text
    assert "Belum dikonfirmasi petugas" not in html
    assert "✓ 1 dikonfirmasi" in html  # the team page's people: the officer's confirmation counts
