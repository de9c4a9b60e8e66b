"""The judge's queue through HTTP: one assignment at a time with its rubric, decisions with scores, skip,
revising one's own review until the stage closes, blind judging, a team-level stage, conflicts of interest."""

from __future__ import annotations

import json
import re

from app.tables import (
    Activity,
    Assignment,
    Competition,
    ConflictOfInterest,
    Photo,
    Review,
    RubricCriterion,
    Stage,
    TeamReview,
)
from tests.integration.conftest import activity_form, form_key

LEVELS = [
    {"score": "1", "id": "Tidak ada bukti kerja sama", "en": "No evidence of partnership"},
    {"score": "2", "id": "Kerja sama sekadarnya", "en": "Token partnership"},
    {"score": "3", "id": "Kerja sama nyata di lapangan", "en": "Real joint work"},
    {"score": "4", "id": "Kerja sama terencana dan terdokumentasi", "en": "Planned and documented"},
    {"score": "5", "id": "Teladan bagi wilayah lain", "en": "A model for other regions"},
]


async def add_rubric(competition_id: int, scope: str = "activity") -> None:
    prefix = "T" if scope == "team" else "A"
    await RubricCriterion.insert(
        RubricCriterion(
            competition=competition_id,
            code=f"{prefix}SINERGI",
            name="Sinergi Senkom–Polri",
            name_en="Senkom–police synergy",
            weight="0.6",
            min="1",
            max="5",
            position=0,
            scope=scope,
            description="Seberapa nyata kerja sama kedua pihak.",
            levels=json.dumps(LEVELS),
        ),
        RubricCriterion(
            competition=competition_id,
            code=f"{prefix}DAMPAK",
            name="Dampak bagi warga",
            name_en="Impact on residents",
            weight="0.4",
            min="0",
            max="100",
            position=1,
            scope=scope,
            description="Perkiraan dampak, 0–100.",
            levels=json.dumps([{"score": "0", "id": "Tidak berdampak", "en": "None"}]),
        ),
    )


async def submit(browser_factory, username: str = "peserta.sby", **overrides) -> int:
    b = await browser_factory(username)
    key = form_key((await b.get("/kegiatan/baru")).text)
    if username == "peserta.mlg":
        overrides.setdefault("village_code", "35.07.01.2001")
        overrides.setdefault("officer_polres", ["Polres Malang", ""])
    response = await b.send_activity(activity_form(key, **overrides))
    assert response.status_code in (302, 303), response.text[:400]
    return int(response.headers["location"].split("/")[2].split("?")[0])


def items(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-testid="queue-item" data-activity-id="(\d+)"', html)]


def progress(html: str) -> str:
    match = re.search(r'data-testid="progress-text">([^<]+)<', html)
    return match.group(1).strip() if match else ""


async def test_queue_shows_one_activity_with_its_rubric_levels_and_progress(season, browser_factory):
    await add_rubric(season.competition.id)
    ids = [await submit(browser_factory, title=f"Sambang {n}") for n in range(3)]
    judge = await browser_factory("juri.mlg")
    response = await judge.get("/juri")
    assert response.status_code == 200
    page = response.text
    assert items(page) == [ids[0]], "one activity at a time, the oldest first"
    assert "Sambang 0" in page and "Sambang 1" not in page
    assert progress(page) == "0 dari 3 selesai"
    # The rubric: each criterion with its weight, scale and description, each level's description.
    assert page.count('data-testid="criterion"') == 2
    for level in LEVELS:
        assert level["id"] in page
    assert 'name="score_ASINERGI" value="5"' in page
    assert 'name="score_ADAMPAK" type="text"' in page
    assert "Seberapa nyata kerja sama kedua pihak." in page
    assert "Tidak berdampak" in page
    # The details: type, cluster, date the Indonesian way, desa/kelurahan, people, photos.
    assert 'data-testid="fact-type"' in page and 'data-testid="fact-cluster"' in page
    assert re.search(r'data-testid="fact-when">\d{1,2} \w+ \d{4}, \d{2}\.\d{2} WIB<', page)
    assert "Ahmad Santoso" in page and "Budi Wibowo" in page and "Kota Surabaya" in page
    assert page.count('data-testid="judge-photo"') == 1
    # Keyboard: the script and its documented shortcuts; no inline script.
    assert "/static/judge.js" in page and 'data-testid="shortcuts"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    # The whole list is still one click away.
    listing = (await judge.get("/juri/daftar")).text
    assert sorted(items(listing)) == sorted(ids)
    # English: plural-safe wording.
    await judge.get("/bahasa/en?next=/juri")
    assert progress((await judge.get("/juri")).text) == "0 of 3 assignments done"


async def test_decide_with_scores_then_the_next_one_shows(season, browser_factory):
    await add_rubric(season.competition.id)
    first = await submit(browser_factory, title="Pertama")
    second = await submit(browser_factory, title="Kedua")
    judge = await browser_factory("juri.mlg")
    url = f"/juri/kegiatan/{first}/keputusan"

    # Out of range and a rejection without a reason: 422, clear messages, everything typed kept.
    bad = await judge.post(url, data={"decision": "verified", "score_ASINERGI": "4", "score_ADAMPAK": "150"})
    assert bad.status_code == 422
    assert 'data-testid="error-score_ADAMPAK"' in bad.text and "antara 0 dan 100" in bad.text
    assert 'name="score_ASINERGI" value="4" checked' in bad.text
    assert 'value="150"' in bad.text
    partial = await judge.post(url, data={"decision": "verified", "score_ASINERGI": "4"})
    assert partial.status_code == 422 and 'data-testid="error-score_ADAMPAK"' in partial.text
    no_reason = await judge.post(url, data={"decision": "rejected", "score_ASINERGI": "2", "reason": "  "})
    assert no_reason.status_code == 422
    assert 'data-testid="error-reason"' in no_reason.text and "alasan" in no_reason.text
    assert 'name="score_ASINERGI" value="2" checked' in no_reason.text
    assert await Review.count() == 0

    done = await judge.post(
        url, data={"decision": "verified", "score_ASINERGI": "4", "score_ADAMPAK": "72,5"}
    )
    assert done.status_code in (302, 303) and done.headers["location"] == f"/juri?selesai={first}"
    review = await Review.select().where(Review.activity == first).first()
    scores = json.loads(review["scores"]) if isinstance(review["scores"], str) else review["scores"]
    assert review["decision"] == "verified" and scores == {"ASINERGI": "4", "ADAMPAK": "72.5"}
    status = await Activity.select(Activity.status).where(Activity.id == first).first()
    assert status["status"] == "verified"

    page = (await judge.get(done.headers["location"])).text
    assert 'data-testid="decided-notice"' in page
    assert items(page) == [second]
    assert progress(page) == "1 dari 2 selesai"
    # Without a rubric score a decision is still a plain verify/reject (the JSON API's way too).
    rejected = await judge.post(
        f"/juri/kegiatan/{second}/keputusan", data={"decision": "rejected", "reason": "Foto buram"}
    )
    assert rejected.status_code in (302, 303)
    page = (await judge.get("/juri")).text
    assert items(page) == [] and 'data-testid="queue-empty"' in page
    assert progress(page) == "2 dari 2 selesai"


async def test_skip_moves_the_activity_to_the_end(season, browser_factory):
    ids = [await submit(browser_factory, title=f"Urutan {n}") for n in range(3)]
    judge = await browser_factory("juri.mlg")
    seen = []
    for _ in range(4):
        page = (await judge.get("/juri")).text
        seen.append(items(page)[0])
        assignment = re.search(r'name="assignment" value="(\d+)"', page).group(1)
        response = await judge.post("/juri/lewati", data={"assignment": assignment})
        assert response.status_code in (302, 303)
        assert 'data-testid="skipped-notice"' in (await judge.get(response.headers["location"])).text
    assert seen == [ids[0], ids[1], ids[2], ids[0]]
    # Nobody else's assignment, nothing at all: refused, no 500.
    other = await browser_factory("juri.sby")
    assert (await other.post("/juri/lewati", data={"assignment": assignment})).status_code == 404
    assert (await other.post("/juri/lewati", data={})).status_code == 422


async def test_a_judge_revises_their_own_review_until_the_stage_closes(season, browser_factory):
    await add_rubric(season.competition.id)
    activity_id = await submit(browser_factory, title="Ronda malam")
    judge = await browser_factory("juri.mlg")
    await judge.post(
        f"/juri/kegiatan/{activity_id}/keputusan",
        data={"decision": "verified", "score_ASINERGI": "3", "score_ADAMPAK": "40"},
    )
    mine = (await judge.get("/juri/ulasan")).text
    assert f'data-testid="my-review" data-activity-id="{activity_id}"' in mine
    assert mine.count('data-testid="review-version"') == 1

    form = (await judge.get(f"/juri/ulasan/{activity_id}")).text
    assert 'name="score_ASINERGI" value="3" checked' in form and 'value="40"' in form
    bad = await judge.post(f"/juri/ulasan/{activity_id}", data={"decision": "rejected", "reason": ""})
    assert bad.status_code == 422 and 'data-testid="error-reason"' in bad.text
    revised = await judge.post(
        f"/juri/ulasan/{activity_id}",
        data={"decision": "rejected", "reason": "Foto diambil di luar wilayah", "score_ASINERGI": "1"},
    )
    assert revised.status_code in (302, 303), revised.text[:500]
    versions = await Review.select().where(Review.activity == activity_id).order_by(Review.version)
    assert [(v["version"], v["decision"], v["is_current"]) for v in versions] == [
        (1, "verified", False),
        (2, "rejected", True),
    ]
    assert (await Activity.select(Activity.status).where(Activity.id == activity_id).first())[
        "status"
    ] == "rejected"
    mine = (await judge.get(revised.headers["location"])).text
    assert 'data-testid="revised-notice"' in mine
    assert mine.count('data-testid="review-version"') == 2 and "Foto diambil di luar wilayah" in mine

    # Another judge has no review to revise.
    other = await browser_factory("juri.sby")
    assert (await other.get(f"/juri/ulasan/{activity_id}")).status_code in (403, 404)

    # The stage closes: the form is gone and a revision is refused with a clear message.
    await Stage.update({Stage.status: "closed"}).where(
        (Stage.competition == season.competition.id) & (Stage.kind == "activity")
    )
    closed = (await judge.get(f"/juri/ulasan/{activity_id}")).text
    assert 'data-testid="stage-closed"' in closed and 'data-testid="decision-form"' not in closed
    assert 'data-testid="revise-link"' not in (await judge.get("/juri/ulasan")).text
    refused = await judge.post(f"/juri/ulasan/{activity_id}", data={"decision": "verified"})
    assert refused.status_code == 409 and "ditutup" in refused.text
    assert await Review.count().where(Review.activity == activity_id) == 2


async def test_blind_judging_hides_the_team_but_keeps_the_photos(season, browser_factory):
    activity_id = await submit(browser_factory, title="Patroli bersama")
    await Competition.update({Competition.blind_judging: True}).where(Competition.id == season.competition.id)
    judge = await browser_factory("juri.mlg")
    for url in ("/juri", f"/juri/kegiatan/{activity_id}", "/juri/daftar"):
        page = (await judge.get(url)).text
        assert "Patroli bersama" in page, url
        for secret in (
            "Kota Surabaya",
            "35.78",
            "Ahmad Santoso",
            "Budi Wibowo",
            "Polrestabes",
            "Peserta.Sby",
        ):
            assert secret not in page, f"{secret!r} shown on {url}"
        assert "disembunyikan" in page, url
    page = (await judge.get("/juri")).text
    assert page.count('data-testid="judge-photo"') == 1 and "/foto/" in page
    # A photo's GPS position would show where: left out; its flag says "outside" without naming the area.
    await Photo.update({Photo.gps_lat: "-6.2", Photo.gps_lon: "106.8"}).where(Photo.activity == activity_id)
    page = (await judge.get("/juri")).text
    assert "openstreetmap" not in page and "106.8" not in page
    assert 'data-kind="region"' in page and "Kota Surabaya" not in page
    await Competition.update({Competition.blind_judging: False}).where(
        Competition.id == season.competition.id
    )
    page = (await judge.get("/juri")).text
    assert "Kota Surabaya" in page and "openstreetmap" in page and 'data-kind="region"' in page


async def test_team_stage_scoring(season, browser_factory):
    await add_rubric(season.competition.id, scope="team")
    activity_id = await submit(browser_factory, title="Kegiatan terverifikasi")
    judge = await browser_factory("juri.mlg")
    await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    stage = (
        await Stage.select()
        .where((Stage.competition == season.competition.id) & (Stage.kind == "team"))
        .first()
    )
    await Stage.update({Stage.status: "open"}).where(Stage.id == stage["id"])
    team_id = season.team_ids["35.78"]
    assignment = Assignment(
        competition=season.competition.id, stage=stage["id"], team=team_id, judge=season.accounts["juri.mlg"]
    )
    await assignment.save()

    page = (await judge.get("/juri")).text
    assert 'data-testid="team-item"' in page and "Kota Surabaya" in page
    assert 'data-testid="team-counted">1<' in page
    assert "Kegiatan terverifikasi" in page and "/foto/" in page
    assert 'name="score_TSINERGI" value="3"' in page and LEVELS[2]["id"] in page
    assert progress(page) == "1 dari 2 selesai"

    missing = await judge.post("/juri/tim/nilai", data={"assignment": assignment.id, "score_TSINERGI": "4"})
    assert missing.status_code == 422 and 'data-testid="error-score_TDAMPAK"' in missing.text
    assert 'name="score_TSINERGI" value="4" checked' in missing.text
    saved = await judge.post(
        "/juri/tim/nilai",
        data={
            "assignment": assignment.id,
            "score_TSINERGI": "4",
            "score_TDAMPAK": "80",
            "note": "Posko aktif",
        },
    )
    assert saved.status_code in (302, 303), saved.text[:500]
    row = await TeamReview.select().where(TeamReview.team == team_id).first()
    assert json.loads(row["scores"]) == {"TSINERGI": "4", "TDAMPAK": "80"} and row["note"] == "Posko aktif"
    page = (await judge.get("/juri")).text
    assert 'data-testid="queue-empty"' in page and progress(page) == "2 dari 2 selesai"

    # Scored again from "Ulasan saya": the form prefilled, a new version kept beside the first.
    mine = (await judge.get("/juri/ulasan")).text
    assert 'data-testid="my-team-review"' in mine and "Kota Surabaya" in mine
    link = re.search(r'href="(/juri/tim\?tugas=\d+)" data-testid="team-revise-link"', mine).group(1)
    form = (await judge.get(link)).text
    assert (
        'name="score_TSINERGI" value="4" checked' in form and 'value="80"' in form and "Posko aktif" in form
    )
    assert 'data-testid="skip"' not in form
    again = await judge.post(
        "/juri/tim/nilai", data={"assignment": assignment.id, "score_TSINERGI": "5", "score_TDAMPAK": "90"}
    )
    assert again.status_code in (302, 303)
    versions = await TeamReview.select().where(TeamReview.team == team_id).order_by(TeamReview.version)
    assert [(v["version"], v["is_current"], json.loads(v["scores"])["TSINERGI"]) for v in versions] == [
        (1, False, "4"),
        (2, True, "5"),
    ]
    # Someone else's assignment is nobody's business.
    other = await browser_factory("juri.sby")
    assert (await other.get(link)).status_code == 404
    assert (await other.post("/juri/tim/nilai", data={"assignment": assignment.id})).status_code == 404

    # Blind: the team's name, code and score are hidden in the team stage too.
    await Competition.update({Competition.blind_judging: True}).where(Competition.id == season.competition.id)
    again = Assignment(
        competition=season.competition.id, stage=stage["id"], team=team_id, judge=season.accounts["juri.mlg"]
    )
    await again.save()
    page = (await judge.get("/juri")).text
    assert 'data-testid="team-item"' in page and "Kota Surabaya" not in page and "35.78" not in page
    assert 'data-testid="team-review-version"' in page
    assert "Kota Surabaya" not in (await judge.get("/juri/ulasan")).text

    # The stage closes: no form any more, and a score is refused.
    await Stage.update({Stage.status: "closed"}).where(Stage.id == stage["id"])
    closed = (await judge.get(link)).text
    assert 'data-testid="stage-closed"' in closed and 'data-testid="team-form"' not in closed
    refused = await judge.post(
        "/juri/tim/nilai", data={"assignment": assignment.id, "score_TSINERGI": "1", "score_TDAMPAK": "1"}
    )
    assert refused.status_code == 409


async def test_conflict_declaration_moves_the_judges_assignments(season, browser_factory):
    activity_id = await submit(browser_factory, title="Sosialisasi")
    judge = await browser_factory("juri.mlg")
    assert items((await judge.get("/juri")).text) == [activity_id]
    team_id = season.team_ids["35.78"]

    page = (await judge.get("/juri/konflik")).text
    assert 'data-testid="no-conflicts"' in page and f'value="{team_id}"' in page
    assert f'value="{season.team_ids["35.07"]}"' not in page, "one's own regency is never judged anyway"
    unconfirmed = await judge.post("/juri/konflik", data={"team": team_id, "reason": "Adik saya anggota tim"})
    assert unconfirmed.status_code == 422 and 'data-testid="error-confirm"' in unconfirmed.text
    assert "Adik saya anggota tim" in unconfirmed.text
    nothing = await judge.post("/juri/konflik", data={"team": "x", "confirm": "1"})
    assert nothing.status_code == 422
    assert 'data-testid="error-team"' in nothing.text and 'data-testid="error-reason"' in nothing.text
    assert await ConflictOfInterest.count() == 0

    done = await judge.post(
        "/juri/konflik", data={"team": team_id, "reason": "Adik saya anggota tim", "confirm": "1"}
    )
    assert done.status_code in (302, 303)
    page = (await judge.get(done.headers["location"])).text
    assert 'data-testid="conflict-saved"' in page
    assert 'data-testid="my-conflict" data-team-code="35.78"' in page
    assert f'<option value="{team_id}"' not in page
    assert (
        await ConflictOfInterest.count().where(ConflictOfInterest.judge == season.accounts["juri.mlg"]) == 1
    )
    mine = await Assignment.select(Assignment.status).where(
        (Assignment.activity == activity_id) & (Assignment.judge == season.accounts["juri.mlg"])
    )
    assert [a["status"] for a in mine] == ["moved"]
    assert items((await judge.get("/juri")).text) == []
    assert (await judge.get(f"/juri/kegiatan/{activity_id}")).status_code == 403
    refused = await judge.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    assert refused.status_code == 403
    assert activity_id not in items((await judge.get("/juri/daftar")).text)


async def test_own_region_detail_is_refused(season, browser_factory):
    activity_id = await submit(browser_factory, title="Wilayah sendiri")
    home = await browser_factory("juri.sby")
    assert (await home.get(f"/juri/kegiatan/{activity_id}")).status_code == 403
    assert (
        await home.post(f"/juri/kegiatan/{activity_id}/keputusan", data={"decision": "verified"})
    ).status_code == 403
    assert items((await home.get("/juri")).text) == []
    assert activity_id not in items((await home.get("/juri/daftar")).text)
    assert (await home.get("/juri/kegiatan/999999")).status_code == 404
