"""The ruleset editor over HTTP: a validated draft, the side-by-side preview, publish with confirmation,
restore, the public rules reference, and the audit events each step leaves."""

from __future__ import annotations

import re

from app.competitions.services import ruleset_in_force
from app.leaderboard.services import leaderboard
from app.tables import AuditEvent, RulesetDraft
from tests.integration.conftest import activity_form, form_key


async def _verified_activity(season, browser_factory, **overrides) -> None:
    participant = await browser_factory("peserta.sby")
    key = form_key((await participant.get("/kegiatan/baru")).text)
    response = await participant.send_activity(activity_form(key, **overrides))
    activity_id = int(re.search(r"/kegiatan/(\d+)", response.headers["location"]).group(1))
    judge = await browser_factory("juri.mlg")
    response = await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    assert response.status_code in (302, 303), response.text


def draft_rules(html: str) -> list[str]:
    return re.findall(r'data-testid="draft-rule" data-rule="([a-z_]+)"', html)


async def test_compose_preview_publish_and_restore(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    page = await organiser.get("/panitia/aturan/")
    assert page.status_code == 200
    assert len(draft_rules(page.text)) == 9  # a copy of the default ruleset in force
    assert "Poin per jenis kegiatan" in page.text  # the generated documentation, in Indonesian

    assert (await organiser.post("/panitia/aturan/kosongkan")).status_code in (302, 303)
    for rule in ("points_per_activity", "joint_only", "coverage"):
        assert (await organiser.post("/panitia/aturan/tambah", data={"rule": rule})).status_code in (302, 303)
    page = await organiser.get("/panitia/aturan/")
    assert draft_rules(page.text) == ["points_per_activity", "joint_only", "coverage"]
    # The points mapping is one input per activity type of the competition.
    assert 'name="p.points.DDS"' in page.text and 'name="p.points.BENCANA"' in page.text

    # Reorder: joint_only (an eligibility rule) to the top.
    await organiser.post("/panitia/aturan/1/pindah", data={"arah": "naik"})
    page = await organiser.get("/panitia/aturan/")
    assert draft_rules(page.text) == ["joint_only", "points_per_activity", "coverage"]

    # Invalid parameters are refused with Indonesian messages, and the draft is unchanged.
    bad = await organiser.post(
        "/panitia/aturan/1/parameter", data={"p.points.DDS": "5000", "p.default": "abc"}
    )
    assert bad.status_code == 422
    assert "Harus antara 0 dan 1000" in bad.text
    assert 'data-testid="error-p.default"' in bad.text
    bad_int = await organiser.post("/panitia/aturan/0/parameter", data={"p.min_senkom": "1,5"})
    assert bad_int.status_code == 422 and 'data-testid="error-p.min_senkom"' in bad_int.text

    ok = await organiser.post("/panitia/aturan/1/parameter", data={"p.points.DDS": "7,5", "p.default": "1"})
    assert ok.status_code in (302, 303), ok.text
    body = (await RulesetDraft.select(RulesetDraft.body).first())["body"]
    assert '"DDS":7.5' in body
    assert (await ruleset_in_force(season.competition.id))[0] == 1  # nothing in force changed yet

    # The preview: both rankings side by side, one row per team.
    preview = await organiser.get("/panitia/aturan/pratinjau")
    assert preview.status_code == 200
    assert len(re.findall(r'data-testid="preview-row"', preview.text)) == len(season.team_ids)

    # Publishing needs the confirmation box.
    refused = await organiser.post("/panitia/aturan/terbitkan", data={"note": "uji"})
    assert refused.status_code == 422
    assert (await ruleset_in_force(season.competition.id))[0] == 1
    published = await organiser.post("/panitia/aturan/terbitkan", data={"note": "uji", "confirm": "1"})
    assert published.status_code in (302, 303)
    version, ruleset = await ruleset_in_force(season.competition.id)
    assert version == 2 and [r.rule for r in ruleset.rules] == [
        "joint_only",
        "points_per_activity",
        "coverage",
    ]
    _, standings_version = await leaderboard(season.competition.id)
    assert standings_version == 2  # the stored standings were recomputed in the same transaction
    assert await RulesetDraft.count() == 0

    # The public reference shows the published rules.
    anonymous = await browser_factory()
    reference = await anonymous.get("/aturan")
    assert reference.status_code == 200
    assert re.findall(r'data-testid="reference-rule" data-rule="([a-z_]+)"', reference.text) == [
        "joint_only",
        "points_per_activity",
        "coverage",
    ]

    # Restore version 1, with confirmation: it becomes version 3.
    assert (await organiser.post("/panitia/aturan/versi/1", data={})).status_code == 422
    restored = await organiser.post("/panitia/aturan/versi/1", data={"confirm": "1"})
    assert restored.status_code in (302, 303)
    version, ruleset = await ruleset_in_force(season.competition.id)
    assert version == 3 and len(ruleset.rules) == 9
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions.count("ruleset.publish") == 3
    assert "ruleset.restore" in actions and actions.count("ruleset.draft") >= 5


async def test_preview_shows_change_of_rank_and_points(app, season, browser_factory):
    await _verified_activity(season, browser_factory)
    organiser = await browser_factory("panitia")
    await organiser.post("/panitia/aturan/kosongkan")
    await organiser.post("/panitia/aturan/tambah", data={"rule": "points_per_activity"})
    await organiser.post("/panitia/aturan/0/parameter", data={"p.points.DDS": "100", "p.default": "0"})
    preview = await organiser.get("/panitia/aturan/pratinjau")
    row = re.search(r'data-team="35.78">(.*?)</tr>', preview.text, re.S)
    assert row, preview.text
    assert 'data-testid="score-draft">100<' in row.group(1)


async def test_preview_says_when_a_rule_costs_the_fast_path(app, season, browser_factory):
    # The test package's night_patrol_bonus has no columnar kernel: the draft's standings would be
    # computed team by team. Its senkom_bonus has one, like every built-in rule: no notice.
    await _verified_activity(season, browser_factory)
    organiser = await browser_factory("panitia")
    preview = await organiser.get("/panitia/aturan/pratinjau")
    assert preview.status_code == 200 and 'data-testid="slow-path"' not in preview.text
    await organiser.post("/panitia/aturan/tambah", data={"rule": "senkom_bonus"})
    preview = await organiser.get("/panitia/aturan/pratinjau")
    assert preview.status_code == 200 and 'data-testid="slow-path"' not in preview.text

    await organiser.post("/panitia/aturan/tambah", data={"rule": "night_patrol_bonus"})
    preview = await organiser.get("/panitia/aturan/pratinjau")
    assert preview.status_code == 200
    notice = re.search(r'data-testid="slow-path">(.*?)</p>', preview.text, re.S)
    assert notice, preview.text
    assert notice.group(1) == "Aturan Bonus ronda malam tidak punya jalur cepat; perhitungan lebih lambat."
    assert len(re.findall(r'data-testid="preview-row"', preview.text)) == len(season.team_ids)

    english = await organiser.get("/panitia/aturan/pratinjau", headers={"Accept-Language": "en"})
    assert "Rule Night patrol bonus has no fast path; the calculation is slower." in english.text


async def test_tie_break_chain_and_errors(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    dup = await organiser.post("/panitia/aturan/urutan-seri", data={"k0": "score", "k1": "score"})
    assert dup.status_code == 422 and "Kunci ganda" in dup.text
    ok = await organiser.post("/panitia/aturan/urutan-seri", data={"k0": "score", "k1": "coverage"})
    assert ok.status_code in (302, 303)
    body = (await RulesetDraft.select(RulesetDraft.body).first())["body"]
    assert '"tie_break":["score","coverage"]' in body


async def test_bad_input_never_fails(app, season, browser_factory):
    organiser = await browser_factory("panitia")
    assert (await organiser.post("/panitia/aturan/tambah", data={"rule": "nope"})).status_code == 422
    assert (await organiser.post("/panitia/aturan/99/hapus")).status_code == 404
    assert (await organiser.get("/panitia/aturan/versi/99")).status_code == 404
    await organiser.post("/panitia/aturan/kosongkan")
    empty = await organiser.post("/panitia/aturan/terbitkan", data={"confirm": "1"})
    assert empty.status_code == 422
    assert (await ruleset_in_force(season.competition.id))[0] == 1
