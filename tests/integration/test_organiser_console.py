"""The rest of the organiser console: season set-up, the catalogue, bonuses and penalties with their reason
on the team's breakdown, and the audit page's filters — each change leaving its audit event."""

from __future__ import annotations

import re

from app.audit import services as audit
from app.competitions.services import competition_by_id
from app.tables import ActivityType, Adjustment, AuditEvent


async def test_season_settings_are_validated_saved_and_audited(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    page = await organiser.get("/panitia/musim/")
    assert page.status_code == 200 and 'data-testid="catalogue-row"' in page.text
    bad = await organiser.post(
        "/panitia/musim/",
        data={"name": "", "starts_on": "2024-03-01", "ends_on": "2024-02-01", "timezone": "Mars/Base"},
    )
    assert bad.status_code == 422
    assert 'data-testid="error-name"' in bad.text and 'data-testid="error-ends_on"' in bad.text
    assert 'data-testid="error-timezone"' in bad.text and 'data-testid="error-reviews_required"' in bad.text
    ok = await organiser.post(
        "/panitia/musim/",
        data={
            "name": "Lomba Sinergitas 2025",
            "starts_on": "2025-01-01",
            "ends_on": "2025-06-30",
            "timezone": "Asia/Makassar",
            "reviews_required": "2",
            "is_private": "1",
        },
    )
    assert ok.status_code in (302, 303)
    competition = await competition_by_id(season.competition.id)
    assert competition.name == "Lomba Sinergitas 2025" and competition.timezone == "Asia/Makassar"
    assert competition.is_private and competition.reviews_required == 2
    event = await AuditEvent.select().where(AuditEvent.action == "competition.update").first()
    assert event["actor_name"] == "panitia" and '"Lomba Uji"' in event["before"]
    assert (await audit.verify()).ok


async def test_catalogue_entry(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    bad = await organiser.post("/panitia/musim/jenis", data={"code": "x", "name": "", "cluster": "?"})
    assert bad.status_code == 422
    dup = await organiser.post(
        "/panitia/musim/jenis", data={"code": "DDS", "name": "Lagi", "cluster": "kamtibmas"}
    )
    assert dup.status_code == 409  # a code already taken: a conflict, as on the API
    ok = await organiser.post(
        "/panitia/musim/jenis", data={"code": "ronda_malam", "name": "Ronda malam", "cluster": "kamtibmas"}
    )
    assert ok.status_code in (302, 303)
    assert await ActivityType.exists().where(ActivityType.code == "RONDA_MALAM")
    # The new type gets its own input in the ruleset editor's points mapping.
    editor = await organiser.get("/panitia/aturan/")
    assert 'name="p.points.RONDA_MALAM"' in editor.text


async def test_adjustment_needs_a_reason_and_shows_on_the_team_page(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    missing = await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.78", "points": "-5", "reason": " "}
    )
    assert missing.status_code == 422 and 'data-testid="error-reason"' in missing.text
    for points in ("abc", "0", "1,2345", "1000001"):
        bad = await organiser.post(
            "/panitia/penyesuaian/", data={"team": "35.78", "points": points, "reason": "x"}
        )
        assert bad.status_code == 422, points
    assert await Adjustment.count() == 0
    ok = await organiser.post(
        "/panitia/penyesuaian/",
        data={"team": "35.78", "points": "-2,5", "reason": "Laporan ganda minggu ke-3"},
    )
    assert ok.status_code in (302, 303)
    row = await Adjustment.select().first()
    assert row["points"] == "-2.5"
    listing = await organiser.get("/panitia/penyesuaian/")
    assert "Laporan ganda minggu ke-3" in listing.text
    anonymous = await browser_factory()
    team = await anonymous.get("/tim/35.78")
    assert "Laporan ganda minggu ke-3" in team.text


async def test_audit_page_filters(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    await organiser.post("/panitia/aturan/kosongkan")
    await organiser.post("/panitia/aturan/tambah", data={"rule": "coverage"})
    await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.07", "points": "3", "reason": "Bonus kegiatan bencana"}
    )
    everything = await organiser.get("/panitia/audit/")
    assert everything.status_code == 200
    total = len(re.findall(r'data-testid="audit-row"', everything.text))
    assert total == await AuditEvent.count()
    by_actor = await organiser.get("/panitia/audit/?pelaku=panitia")
    actions = set(re.findall(r'data-testid="audit-row" data-action="([a-z_.]+)"', by_actor.text))
    assert actions == {"ruleset.draft", "adjustment.create"}
    by_action = await organiser.get("/panitia/audit/?tindakan=adjustment.create")
    assert len(re.findall(r'data-testid="audit-row"', by_action.text)) == 1
    assert "Bonus kegiatan bencana" in by_action.text
    by_object = await organiser.get(
        "/panitia/audit/?objek=competition&id_objek=" + str(season.competition.id)
    )
    assert set(re.findall(r'data-action="([a-z_.]+)"', by_object.text)) == {"competition.create"}
    future = await organiser.get("/panitia/audit/?dari=2999-01-01")
    assert 'data-testid="audit-row"' not in future.text
    today = await organiser.get("/panitia/audit/?sampai=2000-01-01")
    assert 'data-testid="audit-row"' not in today.text
    bad_date = await organiser.get("/panitia/audit/?dari=kemarin")
    assert bad_date.status_code == 422
    chain = await organiser.get("/panitia/audit/verifikasi")
    assert 'data-testid="chain-ok"' in chain.text
    await AuditEvent.raw(
        "UPDATE audit_event SET actor_name = {} WHERE action = {}", "juri.sby", "adjustment.create"
    )
    chain = await organiser.get("/panitia/audit/verifikasi")
    assert 'data-testid="chain-broken"' in chain.text


async def test_rubric_form(app, season, browser_factory):
    from app.tables import RubricCriterion

    organiser = await browser_factory("panitia")
    bad = await organiser.post(
        "/panitia/musim/rubrik",
        data={"code_0": "Dampak!", "name_0": "", "weight_0": "0", "min_0": "5", "max_0": "1"},
    )
    assert bad.status_code == 422
    for field in ("code_0", "name_0", "weight_0", "max_0"):
        assert f'data-testid="error-{field}"' in bad.text, field
    assert await RubricCriterion.count() == 0
    ok = await organiser.post(
        "/panitia/musim/rubrik",
        data={
            "code_0": "dampak",
            "name_0": "Dampak bagi warga",
            "weight_0": "2",
            "min_0": "1",
            "max_0": "5",
            "code_1": "bukti",
            "name_1": "Kelengkapan bukti",
            "weight_1": "0,5",
            "min_1": "0",
            "max_1": "10",
        },
    )
    assert ok.status_code in (302, 303)
    rows = await RubricCriterion.select().order_by(RubricCriterion.position)
    assert [(r["code"], r["weight"]) for r in rows] == [("dampak", "2"), ("bukti", "0.5")]
    assert await AuditEvent.exists().where(AuditEvent.action == "rubric.update")


async def test_final_results_are_a_copy_that_locks_rules_and_adjustments(app, season, browser_factory):
    from app.tables import FinalResult

    organiser = await browser_factory("panitia")
    anonymous = await browser_factory()
    assert 'data-testid="final-none"' in (await anonymous.get("/hasil-akhir")).text
    page = await organiser.get("/panitia/musim/hasil-akhir")
    assert page.status_code == 200 and 'href="/panitia/beku"' in page.text
    refused = await organiser.post("/panitia/musim/hasil-akhir", data={"note": "x"})
    assert refused.status_code == 422 and await FinalResult.count() == 0
    await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.07", "points": "12", "reason": "Juara lomba cepat tanggap"}
    )
    # The standings about to become final read as the public board does: two decimals on every row.
    scores = re.findall(
        r'<td class="num">([\d.,]+)</td></tr>', (await organiser.get("/panitia/musim/hasil-akhir")).text
    )
    assert scores and all(re.fullmatch(r"[\d.]+,\d\d", s) for s in scores), scores
    ok = await organiser.post("/panitia/musim/hasil-akhir", data={"confirm": "1", "note": "Ditetapkan"})
    assert ok.status_code in (302, 303) and ok.headers["location"] == "/hasil-akhir"
    public = await anonymous.get("/hasil-akhir")
    rows = re.findall(r'data-testid="final-row" data-team="([\d.]+)"', public.text)
    assert len(rows) == len(season.team_ids) and rows[0] == "35.07"
    event = await AuditEvent.select().where(AuditEvent.action == "results.publish_final").first()
    assert event and "35.07" in event["after"]
    # Afterwards: no second publication, no new rules, no new adjustments.
    # A stage weight would publish rules: the stage form shows it read-only with the reason beforehand.
    stage_form = (await organiser.get("/panitia/tahap")).text
    assert re.search(r'data-testid="stage-weight" readonly', stage_form)
    assert 'data-testid="weight-locked">Hasil akhir sudah diumumkan' in stage_form
    again = await organiser.post("/panitia/musim/hasil-akhir", data={"confirm": "1"})
    assert again.status_code in (200, 409) and await FinalResult.count() == 1
    late = await organiser.post(
        "/panitia/penyesuaian/", data={"team": "35.78", "points": "5", "reason": "Telat"}
    )
    assert late.status_code == 409 and await Adjustment.count() == 1
    await organiser.post("/panitia/aturan/kosongkan")
    await organiser.post("/panitia/aturan/tambah", data={"rule": "coverage"})
    publish = await organiser.post("/panitia/aturan/terbitkan", data={"confirm": "1"})
    assert publish.status_code == 409
    restore = await organiser.post("/panitia/aturan/versi/1", data={"confirm": "1"})
    assert restore.status_code == 409
