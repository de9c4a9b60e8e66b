"""The whole jury flow through HTTP, as the organisers, participants and judges live it.

The organisers ask for two reviews per activity; a participant's activity gets the two judges with the
fewest open assignments (never one of the team's own regency); one verifies, one rejects: a tie, and a
third judge decides. A judge of the team's own regency is refused (403). With a rubric, scores that spread
beyond the tolerance bring one more judge (then, still spread, the head judge when there is one) or, when
the organisers choose it, the head judge at once. Finally a judge may revise a review while the
verification stage is open, and is refused (409) once the organisers have closed it (the stage close of
app/judging/stages.py, through its page).
"""

from __future__ import annotations

import re
from typing import Any

from app import regions
from app.security import hash_password_sync
from app.tables import Account, Activity, Assignment, Review, Stage
from tests.integration.conftest import PASSWORD, Season, activity_form, form_key

HASH = hash_password_sync(PASSWORD)

SEASON_FORM = {
    "name": "Lomba Uji",
    "starts_on": "2024-01-01",
    "ends_on": "2030-12-31",
    "timezone": "Asia/Jakarta",
    "reviews_required": "2",
    "q_tolerance": "0,3",
    "tolerance_action": "extra_judge",
    "head_judge": "",
    "place": "Surabaya",
}


async def make_judge(username: str, region: str, active: bool = True) -> int:
    account = Account(
        username=username,
        password_hash=HASH,
        full_name=username.title(),
        role="judge",
        region_code=region,
        is_active=active,
    )
    await account.save()
    return int(account.id)


def malang_village() -> str:
    district = regions.districts_of("35.07")[0]
    return regions.villages_of(district.code)[0].code


async def submit(participant: Any, title: str, **overrides: Any) -> int:
    key = form_key((await participant.get("/kegiatan/baru")).text)
    response = await participant.send_activity(activity_form(key, title=title, **overrides))
    assert response.status_code in (302, 303), response.text
    return int(re.search(r"/kegiatan/(\d+)", response.headers["location"]).group(1))


async def assignments(activity_id: int, status: str = "open") -> dict[int, str]:
    """judge id -> origin of the activity's assignments in `status`."""
    rows = await Assignment.select(Assignment.judge, Assignment.origin).where(
        (Assignment.activity == activity_id) & (Assignment.status == status)
    )
    return {r["judge"]: r["origin"] for r in rows}


async def state(activity_id: int) -> tuple[str, str]:
    row = await Activity.select(Activity.status, Activity.jury_flag).where(Activity.id == activity_id).first()
    return row["status"], row["jury_flag"]


async def decide(judge: Any, activity_id: int, decision: str, score: str | None = None) -> Any:
    data = {"decision": decision, "reason": "" if decision == "verified" else "Bukti kurang"}
    if score is not None:
        data["score_dampak"] = score
    return await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data=data)


async def test_the_jury_flow_through_http(app, season: Season, browser_factory):
    ids = {name: season.accounts[name] for name in ("juri.sby", "juri.mlg")}
    ids["juri.a"] = await make_judge("juri.a", "35.10")
    ids["juri.b"] = await make_judge("juri.b", "35.15")
    ids["ketua"] = await make_judge("ketua", "35.20", active=False)
    names = {v: k for k, v in ids.items()}
    organiser = await browser_factory("panitia")
    judges = {name: await browser_factory(name) for name in ("juri.sby", "juri.mlg", "juri.a", "juri.b")}

    # The organisers ask for two reviews per activity.
    saved = await organiser.post("/panitia/musim/", data=SEASON_FORM)
    assert saved.status_code in (302, 303), saved.text

    # Malang's activity: judges of other regencies with 0 open assignments, lowest id first (sby, a).
    malang = await submit(
        await browser_factory("peserta.mlg"), "Sambang Malang", village_code=malang_village()
    )
    assert set(await assignments(malang)) == {ids["juri.sby"], ids["juri.a"]}

    # Surabaya's activity: of the eligible judges (mlg 0, a 1, b 0 open) the two with the fewest open.
    participant = await browser_factory("peserta.sby")
    first = await submit(participant, "Sambang RW 03")
    assert await assignments(first) == {ids["juri.mlg"]: "auto", ids["juri.b"]: "auto"}
    queue = (await judges["juri.b"].get("/juri")).text
    assert "Sambang RW 03" in queue

    # A judge of the team's own regency is refused.
    own = await decide(judges["juri.sby"], first, "verified")
    assert own.status_code == 403
    assert not await Review.exists().where(Review.judge == ids["juri.sby"])

    # One verifies, one rejects: a tie, and the third eligible judge is asked.
    assert (await decide(judges["juri.mlg"], first, "verified")).status_code in (302, 303)
    assert await state(first) == ("submitted", "")
    assert (await decide(judges["juri.b"], first, "rejected")).status_code in (302, 303)
    assert await state(first) == ("submitted", "tie")
    assert await assignments(first) == {ids["juri.a"]: "tie"}
    flagged = (await organiser.get("/panitia/juri/tugas")).text
    assert re.search(
        rf'data-testid="flagged-row" data-flag="tie">.*?/panitia/kegiatan/{first}"', flagged, re.S
    )
    assert (await decide(judges["juri.a"], first, "verified")).status_code in (302, 303)
    assert await state(first) == ("verified", "")
    history = (await organiser.get(f"/panitia/kegiatan/{first}")).text
    assert history.count('data-testid="review-version"') == 3

    # A rubric, so that judges give scores; q = (score − 1) / 4, tolerance 0,3.
    rubric = await organiser.post(
        "/panitia/musim/rubrik",
        data={"code_0": "dampak", "name_0": "Dampak", "weight_0": "1", "min_0": "1", "max_0": "5"},
    )
    assert rubric.status_code in (302, 303), rubric.text

    # Scores 5 and 1 (q 1 and 0): beyond the tolerance, one more judge is asked.
    second = await submit(participant, "Siskamling RW 05")
    pair = sorted(await assignments(second))
    assert len(pair) == 2 and ids["juri.sby"] not in pair
    assert (await decide(judges[names[pair[0]]], second, "verified", "5")).status_code in (302, 303)
    assert (await decide(judges[names[pair[1]]], second, "verified", "1")).status_code in (302, 303)
    assert await state(second) == ("submitted", "spread")
    (extra,) = await assignments(second)
    assert (await assignments(second))[extra] == "spread" and extra not in pair
    # The extra judge's 3 leaves the spread as it was; without a head judge the majority stands, flagged.
    assert (await decide(judges[names[extra]], second, "verified", "3")).status_code in (302, 303)
    assert await state(second) == ("verified", "spread")

    # The organisers choose the head judge (ketua juri) for scores beyond the tolerance.
    third = await submit(participant, "FKPM RW 07")
    pair = sorted(await assignments(third))
    enabled = await organiser.post(f"/panitia/akun/{ids['ketua']}/status", data={"active": "1"})
    assert enabled.status_code in (302, 303)
    chosen = await organiser.post(
        "/panitia/musim/",
        data={**SEASON_FORM, "tolerance_action": "head_judge", "head_judge": str(ids["ketua"])},
    )
    assert chosen.status_code in (302, 303), chosen.text
    assert (await decide(judges[names[pair[0]]], third, "verified", "5")).status_code in (302, 303)
    assert (await decide(judges[names[pair[1]]], third, "verified", "2")).status_code in (302, 303)
    assert await state(third) == ("submitted", "head")
    assert await assignments(third) == {ids["ketua"]: "head"}
    head = await browser_factory("ketua")
    assert (await decide(head, third, "rejected", "1")).status_code in (302, 303)
    assert await state(third) == ("rejected", "head")

    # A correction while the stage is open makes a new version...
    revised = await judges["juri.b"].post(
        f"/juri/ulasan/{first}", data={"decision": "verified", "reason": "Setelah dicek ulang"}
    )
    assert revised.status_code in (302, 303), revised.text
    versions = await Review.select(Review.version, Review.is_current).where(
        (Review.activity == first) & (Review.judge == ids["juri.b"])
    )
    assert sorted((v["version"], v["is_current"]) for v in versions) == [(1, False), (2, True)]

    # ...and after the organisers close the verification stage, it is refused.
    stage = (
        await Stage.select(Stage.id)
        .where((Stage.competition == season.competition.id) & (Stage.kind == "activity"))
        .first()
    )
    closed = await organiser.post(f"/panitia/tahap/{stage['id']}/tutup", data={"confirm": "1"})
    assert closed.status_code in (302, 303), closed.text
    refused = await judges["juri.b"].post(
        f"/juri/ulasan/{first}", data={"decision": "rejected", "reason": "Berubah pikiran"}
    )
    assert refused.status_code == 409
    assert "Tahap verifikasi sudah ditutup" in refused.text
    assert await Review.count().where((Review.activity == first) & (Review.judge == ids["juri.b"])) == 2
    assert await state(first) == ("verified", "")
