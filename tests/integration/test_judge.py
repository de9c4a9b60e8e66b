"""A judge works the queue: conflicts of interest, verification, rejection with a reason."""

from __future__ import annotations

from app.tables import Activity, AuditEvent, Review, Standing
from tests.integration.conftest import activity_form, form_key


async def submit(browser_factory, username: str = "peserta.sby", **overrides) -> int:
    b = await browser_factory(username)
    key = form_key((await b.get("/kegiatan/baru")).text)
    if username == "peserta.mlg":
        overrides.setdefault("village_code", "35.07.01.2001")
    response = await b.send_activity(activity_form(key, **overrides))
    assert response.status_code in (302, 303), response.text[:400]
    return int(response.headers["location"].split("/")[2].split("?")[0])


async def test_queue_hides_the_judges_own_region(season, browser_factory):
    sby = await submit(browser_factory, title="Kegiatan Surabaya")
    mlg = await submit(browser_factory, "peserta.mlg", title="Kegiatan Malang")
    judge_sby = await browser_factory("juri.sby")
    page = (await judge_sby.get("/juri")).text
    assert "Kegiatan Malang" in page and "Kegiatan Surabaya" not in page
    assert f'data-activity-id="{mlg}"' in page
    refused = await judge_sby.post(f"/juri/kegiatan/{sby}/keputusan", data={"decision": "verified"})
    assert refused.status_code == 403
    assert (await judge_sby.get(f"/juri/kegiatan/{sby}")).status_code == 403
    assert await Review.count() == 0


async def test_verify_updates_standings_and_leaderboard(season, browser_factory):
    activity_id = await submit(browser_factory)
    public = await browser_factory()
    before = (await public.get("/")).text
    version_before = season.competition.standings_version
    judge = await browser_factory("juri.mlg")
    response = await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    assert response.status_code in (302, 303)
    assert (await Activity.select(Activity.status).where(Activity.id == activity_id).first())[
        "status"
    ] == "verified"
    row = await Standing.select().where(Standing.team == season.team_ids["35.78"]).first()
    assert row["counted"] == 1 and row["rank"] == 1 and float(row["score"]) > 0
    after = (await public.get("/")).text
    assert after != before
    fragment = await public.get(f"/papan/baris?versi={version_before}")
    assert fragment.status_code == 200 and 'data-team="35.78"' in fragment.text
    team = await public.get("/tim/35.78")
    assert f"#{activity_id}" in team.text
    assert await AuditEvent.exists().where(AuditEvent.action == "review.verified")


async def test_reject_needs_a_reason(season, browser_factory):
    activity_id = await submit(browser_factory)
    judge = await browser_factory("juri.mlg")
    response = await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "rejected"})
    assert response.status_code == 422 and 'data-testid="decision-error"' in response.text
    response = await judge.post(
        f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "rejected", "reason": "Foto tidak jelas"}
    )
    assert response.status_code in (302, 303)
    assert (await Activity.select(Activity.status).where(Activity.id == activity_id).first())[
        "status"
    ] == "rejected"
    participant = await browser_factory("peserta.sby")
    assert 'class="badge rejected"' in (await participant.get("/kegiatan")).text


async def test_decided_twice_and_bad_decisions(season, browser_factory):
    activity_id = await submit(browser_factory)
    judge = await browser_factory("juri.mlg")
    bad = await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "maybe"})
    assert bad.status_code == 422
    await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    again = await judge.post(
        f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "rejected", "reason": "x"}
    )
    assert again.status_code == 409
    missing = await judge.post("/juri/kegiatan/999999/keputusan", data={"decision": "verified"})
    assert missing.status_code == 404


async def test_one_teams_recompute_equals_a_full_one(season, browser_factory):
    from app.leaderboard.services import recompute

    judge = await browser_factory("juri.mlg")
    for title in ("Sambang satu", "Sambang dua"):
        activity_id = await submit(browser_factory, title=title)
        await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    judge_sby = await browser_factory("juri.sby")
    activity_id = await submit(browser_factory, "peserta.mlg", title="Ronda Malang", residents_reached="300")
    await judge_sby.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})

    columns = (
        Standing.team,
        Standing.rank,
        Standing.score,
        Standing.counted,
        Standing.subtotals,
        Standing.lines,
    )
    incremental = sorted(await Standing.select(*columns), key=lambda r: r["team"])
    await recompute(season.competition)
    full = sorted(await Standing.select(*columns), key=lambda r: r["team"])
    assert incremental == full
    top = sorted(full, key=lambda r: r["rank"])[:2]
    assert {r["team"] for r in top} == {season.team_ids["35.78"], season.team_ids["35.07"]}
